//! Cell value normalisation: the one place where a raw cell becomes a [`Value`].
//!
//! | cell content | count / amount row | yes/no row |
//! |---|---|---|
//! | empty, spaces only | `Blank` (never 0) | `Blank` |
//! | number (Int or Float alike), incl. a formula's cached value | the number | V01 error (numbers are not 是/否) |
//! | number stored as text `"12"`, `" 12 "`, `"1,234"` | the number, no finding | V02 error |
//! | full-width `"１２"`, `"－３"`, `"１．５"` | converted, N01 info | — |
//! | unit suffix `"12件"` (the indicator's own unit) | the number, N01 info | — |
//! | approximate `"5000余"`, `"约20"`, `"逾610"`, `"200多"`, `"近30"`, `"100以上"`, `"50左右"` | the number, `approximate`, V03 warning | — |
//! | multiplier `"3.5万"`, `"1.2亿"` | ×10⁴ / ×10⁸, `approximate`, V03 warning | — |
//! | `"不适用"` | `NotApplicable` | `NotApplicable` |
//! | placeholder `x xx X XX × — －  - / ／ ＊ *` | `Blank`, V02 error | `Blank`, V02 error |
//! | other text | `Blank`, V02 error | `Blank`, V02 error |
//! | `是 Y √ ✓` / `否 N` (and TRUE/FALSE) | — (text → V02, TRUE/FALSE → V01) | 1 / 0 |
//! | percentage `"92%"` | `Blank`, V01 error | V02 error |
//! | negative number | `Blank`, V01 error | — |
//! | count with a fraction (`2.5`, or `0.92` shown as 92%) | `Blank`, V01 error | — |
//! | amount with more than 2 decimals | `Blank`, V01 error (usually a 万元/元 slip, so it is not silently rounded) | — |
//! | formula without cached value (Empty or `""`) | `Blank`, V01 error "公式没有计算结果…" | same |
//! | Excel error `#DIV/0!`, `#REF!` … | `Blank`, V01 error | same |
//! | NaN / infinity | `Blank`, V01 error | same |
//! | date cell | `Blank`, V01 error | same |
//! | TRUE/FALSE | `Blank`, V01 error | 1 / 0 |
//!
//! | number above the indicator's plausibility bound (`[limits]` / `max` in the schema) | `Blank`, N02 error naming what it probably is (18 digits: 身份证号; 11 digits from 1: 手机号) | — |
//!
//! Floating-point noise from formulas (`2.9999999999999996`, `-2.8e-17`) is rounded away within
//! 1e-6 first, before the sign, integer and 2-decimal checks, silently (no finding): a zero that
//! a formula computed as `-2.8e-17` is a zero, not a negative number. A bad cell keeps `Blank` so
//! validation sees it as not filled, and its finding explains why. The plausibility bound is
//! checked here, in the one place both `check` and `run` read values through, so an implausible
//! number is an error at its cell in both and never reaches a total.

use super::grid::{Cell, Raw};
use crate::codes::Code;
use crate::ingest::Value;
use crate::schema::ValueType;

/// A finding about one cell, before it is given its location and severity.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub code: Code,
    pub message: String,
}

/// The outcome of normalising one cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalised {
    pub value: Value,
    pub approximate: bool,
    pub issues: Vec<Issue>,
}

impl Normalised {
    fn ok(v: f64) -> Self {
        Normalised {
            value: Value::Number(v),
            approximate: false,
            issues: Vec::new(),
        }
    }

    fn plain(value: Value) -> Self {
        Normalised {
            value,
            approximate: false,
            issues: Vec::new(),
        }
    }

    fn bad(code: Code, message: String) -> Self {
        Normalised {
            value: Value::Blank,
            approximate: false,
            issues: vec![Issue { code, message }],
        }
    }
}

const PLACEHOLDERS: [&str; 16] = [
    "x", "xx", "xxx", "X", "XX", "XXX", "×", "—", "——", "－", "-", "--", "/", "／", "＊", "*",
];
/// Error values as text (xls formula results and pasted values come back as strings).
const EXCEL_ERRORS: [&str; 8] = [
    "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!",
];
const APPROX_PREFIXES: [&str; 6] = ["大约", "约", "近", "逾", "超过", "超"];
const APPROX_SUFFIXES: [&str; 4] = ["以上", "左右", "余", "多"];

/// Normalises a cell of an indicator of type `vt` whose measurement unit is `unit` and whose
/// plausibility bound is `max` ([`crate::schema::Schema::max_of`]).
pub fn normalise(cell: Option<&Cell>, vt: ValueType, unit: &str, max: f64) -> Normalised {
    let Some(cell) = cell else {
        return Normalised::plain(Value::Blank);
    };
    let no_result = match &cell.raw {
        Raw::Empty => true,
        Raw::Text(s) => s.is_empty(),
        _ => false,
    };
    if let (true, Some(f)) = (no_result, &cell.formula) {
        return Normalised::bad(
            Code::V01,
            format!(
                "公式 ={} 没有计算结果，请在 Excel 中重新计算后保存",
                clip(f)
            ),
        );
    }
    match &cell.raw {
        Raw::Empty => Normalised::plain(Value::Blank),
        Raw::Number(v) => match vt {
            ValueType::YesNo => Normalised::bad(
                Code::V01,
                format!("是/否指标填写了数字 {}，请填写“是”或“否”", fmt_num(*v)),
            ),
            _ => check_number(*v, vt, unit, max, &fmt_typed(*v)),
        },
        Raw::Bool(b) => match vt {
            ValueType::YesNo => Normalised::ok(if *b { 1.0 } else { 0.0 }),
            _ => Normalised::bad(
                Code::V01,
                format!(
                    "填写了逻辑值 {}，此处应填写数值",
                    if *b { "TRUE" } else { "FALSE" }
                ),
            ),
        },
        Raw::Date(_) => Normalised::bad(Code::V01, "填写了日期，此处应填写数值".to_owned()),
        Raw::Error(e) => Normalised::bad(
            Code::V01,
            format!("单元格为 Excel 错误值 {e}，请改正公式或直接填写数值"),
        ),
        Raw::Text(s) => normalise_text(s, vt, unit, max),
    }
}

fn is_blank_char(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}'
}

fn normalise_text(s: &str, vt: ValueType, unit: &str, max: f64) -> Normalised {
    let t = s.trim_matches(is_blank_char);
    if t.is_empty() {
        return Normalised::plain(Value::Blank);
    }
    if t.trim_end_matches(['。', '.']) == "不适用" {
        return Normalised::plain(Value::NotApplicable);
    }
    if EXCEL_ERRORS.contains(&t) {
        return Normalised::bad(
            Code::V01,
            format!("单元格为 Excel 错误值 {t}，请改正公式或直接填写数值"),
        );
    }
    if PLACEHOLDERS.contains(&t) {
        return Normalised::bad(
            Code::V02,
            format!("填写了占位符“{t}”，请填写实际数值；确无此项请填 0，不适用请填“不适用”"),
        );
    }
    if vt == ValueType::YesNo {
        return yes_no_text(t);
    }
    let (half, converted) = to_half_width(t);
    let mut out = parse_number_text(&half, t, vt, unit, max);
    if converted && out.value != Value::Blank {
        out.issues.insert(
            0,
            Issue {
                code: Code::N01,
                message: format!("已将全角数字转换为半角（“{}”）", clip(t)),
            },
        );
    }
    out
}

fn yes_no_text(t: &str) -> Normalised {
    match t {
        "是" | "Y" | "y" | "√" | "✓" | "✔" => Normalised::ok(1.0),
        "否" | "N" | "n" => Normalised::ok(0.0),
        _ => Normalised::bad(Code::V02, format!("应填写“是”或“否”，填写了“{}”", clip(t))),
    }
}

/// A rate the unit typed itself (a row under a rate code such as RZF01), in percent as
/// [`crate::anomaly`]'s A04 compares it: a number as stored (`85.7`, or `0.857`, which A04 then
/// reports as typed as a fraction), a percent-formatted number as Excel shows it (0.857 shown
/// as 85.7% is 85.7), text `85.7%` / `85.7` / full-width `８５．７％` as written. Blank and
/// 不适用 are no rate; anything else is `Blank` with V02. No bound or decimal check: whatever
/// the number, A04 judges it against the counts.
pub fn reported_rate(cell: Option<&Cell>, percent_format: bool) -> Normalised {
    const HOW: &str = "请填写百分比（如 85.7%），或将此行删除由程序计算";
    let Some(cell) = cell else {
        return Normalised::plain(Value::Blank);
    };
    let finite = |v: f64| {
        if v.is_finite() {
            // 0.857 × 100 is 85.69999999999999: round away the binary noise.
            Normalised::ok((v * 1e9).round() / 1e9)
        } else {
            Normalised::bad(Code::V02, format!("比率数值无效（非数字或无穷大）；{HOW}"))
        }
    };
    match &cell.raw {
        Raw::Empty => Normalised::plain(Value::Blank),
        Raw::Number(v) if percent_format => finite(v * 100.0),
        Raw::Number(v) => finite(*v),
        Raw::Text(t) => {
            let (half, _) = to_half_width(t.trim());
            if half.is_empty() {
                return Normalised::plain(Value::Blank);
            }
            if half == "不适用" {
                return Normalised::plain(Value::NotApplicable);
            }
            let number = half.strip_suffix('%').unwrap_or(&half);
            match parse_plain(number) {
                Some(v) => finite(v),
                None => Normalised::bad(
                    Code::V02,
                    format!("比率填写了“{}”，无法读取为数值；{HOW}", clip(t)),
                ),
            }
        }
        other => Normalised::bad(
            Code::V02,
            format!(
                "比率单元格为“{}”，无法读取为数值；{HOW}",
                clip(&other.text())
            ),
        ),
    }
}

/// Full-width digits and signs to ASCII; spaces inside are dropped.
fn to_half_width(t: &str) -> (String, bool) {
    let mut converted = false;
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        let h = match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            '．' => Some('.'),
            '－' => Some('-'),
            '＋' => Some('+'),
            '，' => Some(','),
            '％' => Some('%'),
            _ => None,
        };
        match h {
            Some(h) => {
                converted = true;
                out.push(h);
            }
            None if is_blank_char(c) => {}
            None => out.push(c),
        }
    }
    (out, converted)
}

fn parse_number_text(
    half: &str,
    original: &str,
    vt: ValueType,
    unit: &str,
    max: f64,
) -> Normalised {
    let mut issues = Vec::new();
    let mut s = half;
    if !unit.is_empty() {
        if let Some(rest) = s.strip_suffix(unit) {
            s = rest;
            issues.push(Issue {
                code: Code::N01,
                message: format!("已去除计量单位“{unit}”（“{}”）", clip(original)),
            });
        }
    }
    let (s, approx) = strip_approx(s);
    let (s, multiplier) = match (s.strip_suffix('万'), s.strip_suffix('亿')) {
        (Some(r), _) => (r, 1e4),
        (_, Some(r)) => (r, 1e8),
        _ => (s, 1.0),
    };
    if s.ends_with('%') {
        return Normalised::bad(
            Code::V01,
            format!(
                "填写了百分比“{}”，此处应填写{}",
                clip(original),
                what(vt, unit)
            ),
        );
    }
    let Some(base) = parse_plain(s) else {
        return Normalised::bad(
            Code::V02,
            format!(
                "填写了文字“{}”，此处应填写{}",
                clip(original),
                what(vt, unit)
            ),
        );
    };
    let v = base * multiplier;
    let mut out = check_number(v, vt, unit, max, &clip(original));
    if out.value == Value::Blank {
        return out;
    }
    if approx || multiplier != 1.0 {
        out.approximate = true;
        let message = if approx {
            format!(
                "填写了约数“{}”，已按 {} 读取，请填写准确数字",
                clip(original),
                fmt_num(v)
            )
        } else {
            format!(
                "“{}”已换算为 {}，请直接填写准确数字",
                clip(original),
                fmt_num(v)
            )
        };
        issues.push(Issue {
            code: Code::V03,
            message,
        });
    }
    issues.append(&mut out.issues);
    out.issues = issues;
    out
}

fn strip_approx(mut s: &str) -> (&str, bool) {
    let mut approx = false;
    loop {
        let before = s;
        for p in APPROX_PREFIXES {
            if let Some(r) = s.strip_prefix(p) {
                s = r;
                approx = true;
            }
        }
        for p in APPROX_SUFFIXES {
            if let Some(r) = s.strip_suffix(p) {
                s = r;
                approx = true;
            }
        }
        if s == before {
            return (s, approx);
        }
    }
}

/// A plain decimal: optional sign, digits with optional thousands separators, optional fraction.
/// Rejects `inf`, `NaN`, exponents and anything else `f64::from_str` would accept.
fn parse_plain(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let int_ok = if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups.iter().skip(1).all(|g| g.len() == 3)
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
    } else {
        !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit())
    };
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !int_ok || !frac_ok {
        return None;
    }
    s.replace(',', "").parse::<f64>().ok()
}

/// Formula noise: values within this of a whole number (count) or of a whole 分 (amount) are
/// that number.
const NOISE: f64 = 1e-6;

/// Range and precision checks shared by numeric cells and parsed text; `typed` is the cell as
/// the unit typed it, for the plausibility message.
fn check_number(v: f64, vt: ValueType, unit: &str, max: f64, typed: &str) -> Normalised {
    if !v.is_finite() {
        return Normalised::bad(Code::V01, "数值无效（非数字或无穷大）".to_owned());
    }
    // Noise first: `-2.8e-17` is a zero and `2.9999999999999996` a 3 before any check sees them.
    let v = match vt {
        ValueType::Count if (v - v.round()).abs() <= NOISE => v.round(),
        ValueType::Amount if (v - (v * 100.0).round() / 100.0).abs() <= NOISE => {
            (v * 100.0).round() / 100.0
        }
        _ => v,
    };
    // `-0.0` (rounded noise below zero) is zero; adding 0.0 turns it into +0.0.
    let v = v + 0.0;
    if v < 0.0 {
        return Normalised::bad(
            Code::V01,
            format!("填写了负数 {}，指标值不能为负", fmt_num(v)),
        );
    }
    if v > max && vt != ValueType::YesNo {
        return Normalised::bad(Code::N02, implausible(v, vt, unit, max, typed));
    }
    match vt {
        ValueType::Count => {
            let r = v.round();
            if (v - r).abs() > NOISE {
                return Normalised::bad(
                    Code::V01,
                    format!("{}应为整数，填写了 {}", what(vt, unit), fmt_num(v)),
                );
            }
            Normalised::ok(r)
        }
        ValueType::Amount => {
            let r = (v * 100.0).round() / 100.0;
            if (v - r).abs() > NOISE {
                return Normalised::bad(
                    Code::V01,
                    format!(
                        "金额最多保留两位小数，填写了 {}（请核实是否按“{}”填报）",
                        fmt_num(v),
                        if unit.is_empty() { "元" } else { unit }
                    ),
                );
            }
            Normalised::ok(r)
        }
        ValueType::YesNo => Normalised::ok(v),
    }
}

/// The N02 message: the value as typed, what it probably is, the bound and how to fix it.
fn implausible(v: f64, vt: ValueType, unit: &str, max: f64, typed: &str) -> String {
    let unit = if unit.is_empty() && vt == ValueType::Amount {
        "元"
    } else {
        unit
    };
    let bound = format!("{} {unit}", fmt_num(max));
    // Digits of the integer part; only meaningful below 1e18, which covers both patterns.
    let digits = if (1.0..1e18).contains(&v) {
        (v as u64).to_string().len()
    } else {
        0
    };
    let guess = if digits == 18 {
        "是 18 位数，像是身份证号"
    } else if digits == 11 && (1e10..2e10).contains(&v) {
        "是以 1 开头的 11 位数，像是手机号"
    } else {
        "超出合理范围"
    };
    format!(
        "填写了 {typed}，{guess}，不是本项应填的{}（本项不超过 {bound}）。该数未计入汇总；请改为实际数字：核对是否误粘贴了号码、多打了零或用错了计量单位",
        what(vt, unit)
    )
}

/// What the cell should hold, e.g. `件数`, `金额`.
fn what(vt: ValueType, unit: &str) -> String {
    match vt {
        ValueType::Count if unit.is_empty() => "整数".to_owned(),
        ValueType::Count => format!("{unit}数"),
        ValueType::Amount => "金额".to_owned(),
        ValueType::YesNo => "“是”或“否”".to_owned(),
    }
}

/// A number without a needless `.0`; from 1e15 on in Excel's `9.99999999999999E+307` form
/// (Rust would print all 308 digits).
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.is_finite() && v.abs() >= 1e15 {
        fmt_typed(v)
    } else {
        format!("{v}")
    }
}

/// A number cell as Excel shows it in a General cell: up to 15 significant digits, and
/// `4.11321199001011E+17` from 1e15 on (what the clerk sees in the cell).
fn fmt_typed(v: f64) -> String {
    if !v.is_finite() || v.abs() < 1e15 {
        return if v.fract() == 0.0 && v.is_finite() {
            format!("{}", v as i64)
        } else {
            format!("{v}")
        };
    }
    let s = format!("{v:.14E}");
    let (mantissa, exp) = s.split_once('E').unwrap_or((&s, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}E+{exp}")
}

/// User text echoed in a message, cut to 20 characters.
fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(20).collect();
    if s.chars().count() > 20 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str, vt: ValueType) -> Normalised {
        normalise(
            Some(&Cell {
                raw: Raw::Text(s.to_owned()),
                formula: None,
            }),
            vt,
            "件",
            1e8,
        )
    }

    #[test]
    fn reported_rates_as_typed_or_shown() {
        let rate = |raw: Raw, pct: bool| {
            let n = reported_rate(Some(&Cell { raw, formula: None }), pct);
            (n.value, codes(&n).join(","))
        };
        let num = |v: f64| (Value::Number(v), String::new());
        assert_eq!(rate(Raw::Number(85.7), false), num(85.7));
        assert_eq!(rate(Raw::Number(0.857), false), num(0.857));
        assert_eq!(rate(Raw::Number(0.857), true), num(85.7));
        assert_eq!(rate(Raw::Text("85.7%".into()), false), num(85.7));
        assert_eq!(rate(Raw::Text(" ８５．７％ ".into()), false), num(85.7));
        assert_eq!(rate(Raw::Text("0.857".into()), false), num(0.857));
        assert_eq!(
            rate(Raw::Text("  ".into()), false),
            (Value::Blank, String::new())
        );
        assert_eq!(
            rate(Raw::Text("不适用".into()), false),
            (Value::NotApplicable, String::new())
        );
        for bad in [
            Raw::Text("约九成".into()),
            Raw::Bool(true),
            Raw::Number(f64::NAN),
        ] {
            assert_eq!(
                rate(bad.clone(), false),
                (Value::Blank, "V02".into()),
                "{bad:?}"
            );
        }
        assert_eq!(
            reported_rate(None, true).value,
            Value::Blank,
            "no cell is no rate"
        );
    }

    fn number(v: f64, vt: ValueType) -> Normalised {
        normalise(
            Some(&Cell {
                raw: Raw::Number(v),
                formula: Some("SUM(C5:C9)".into()),
            }),
            vt,
            if vt == ValueType::Amount {
                "元"
            } else {
                "件"
            },
            if vt == ValueType::Amount { 1e12 } else { 1e8 },
        )
    }

    fn codes(n: &Normalised) -> Vec<&str> {
        n.issues.iter().map(|i| i.code.as_str()).collect()
    }

    #[test]
    fn plain_numbers_as_text() {
        assert_eq!(text(" 12 ", ValueType::Count).value, Value::Number(12.0));
        assert_eq!(text("1,234", ValueType::Count).value, Value::Number(1234.0));
        assert!(text("1,234", ValueType::Count).issues.is_empty());
        assert_eq!(text("12,34", ValueType::Count).value, Value::Blank);
        assert_eq!(text("inf", ValueType::Count).value, Value::Blank);
        assert_eq!(text("1e5", ValueType::Count).value, Value::Blank);
    }

    #[test]
    fn approximate_forms() {
        for (s, v) in [
            ("5000余", 5000.0),
            ("约20", 20.0),
            ("逾610", 610.0),
            ("200多", 200.0),
            ("近30", 30.0),
            ("100以上", 100.0),
            ("200多件", 200.0),
            ("3.5万", 35000.0),
            ("1.2万余", 12000.0),
        ] {
            let n = text(s, ValueType::Count);
            assert_eq!(n.value, Value::Number(v), "{s}");
            assert!(n.approximate, "{s}");
            assert!(codes(&n).contains(&"V03"), "{s}");
        }
    }

    #[test]
    fn full_width_and_units() {
        let n = text("１２", ValueType::Count);
        assert_eq!(n.value, Value::Number(12.0));
        assert_eq!(codes(&n), ["N01"]);
        let n = text("12件", ValueType::Count);
        assert_eq!(n.value, Value::Number(12.0));
        assert_eq!(codes(&n), ["N01"]);
        assert_eq!(codes(&text("－３", ValueType::Count)), ["V01"]);
    }

    #[test]
    fn yes_no() {
        assert_eq!(text("是", ValueType::YesNo).value, Value::Number(1.0));
        assert_eq!(text("N", ValueType::YesNo).value, Value::Number(0.0));
        assert_eq!(codes(&text("可能", ValueType::YesNo)), ["V02"]);
    }

    #[test]
    fn amounts() {
        assert_eq!(text("12.34", ValueType::Amount).value, Value::Number(12.34));
        assert_eq!(codes(&text("12.345", ValueType::Amount)), ["V01"]);
        let n = normalise(
            Some(&Cell {
                raw: Raw::Number(0.1 + 0.2),
                formula: Some("A1+A2".into()),
            }),
            ValueType::Amount,
            "元",
            1e12,
        );
        assert_eq!(n.value, Value::Number(0.3));
    }

    #[test]
    fn formula_noise_is_rounded_before_the_sign_and_integer_checks() {
        // Issue #12: −2.8e−17 in a zero count was reported as a negative number.
        for vt in [ValueType::Count, ValueType::Amount] {
            let n = number(-2.8e-17, vt);
            assert_eq!(n.value, Value::Number(0.0), "{vt:?}");
            assert!(n.issues.is_empty(), "{vt:?}: {:?}", n.issues);
            // +0.0, not −0.0 (which would print as "-0" in a total).
            assert!(matches!(n.value, Value::Number(z) if z.is_sign_positive()));
        }
        let n = number(2.999_999_999_999_999_6, ValueType::Count);
        assert_eq!(n.value, Value::Number(3.0));
        assert!(n.issues.is_empty(), "{:?}", n.issues);
        let n = number(12.340_000_000_000_002, ValueType::Amount);
        assert_eq!(n.value, Value::Number(12.34));
        assert!(n.issues.is_empty());
        // A real negative is still an error, and so is a fraction beyond the noise.
        for v in [-1.0, -0.5, -1e-3] {
            let n = number(v, ValueType::Count);
            assert_eq!((n.value, codes(&n)), (Value::Blank, vec!["V01"]), "{v}");
        }
        assert!(number(-1.0, ValueType::Count).issues[0]
            .message
            .contains("负数 -1"));
        assert_eq!(codes(&number(2.5, ValueType::Count)), ["V01"]);
        assert_eq!(codes(&number(3.000_01, ValueType::Count)), ["V01"]);
    }

    #[test]
    fn implausible_numbers_are_errors_that_say_what_they_probably_are() {
        let cases: [(Normalised, &str, &str); 7] = [
            (
                number(411_321_199_001_011_234.0, ValueType::Count),
                "4.11321199001011E+17",
                "身份证号",
            ),
            (
                text("411321199001011234", ValueType::Count),
                "411321199001011234",
                "身份证号",
            ),
            (
                number(13_812_345_678.0, ValueType::Count),
                "13812345678",
                "手机号",
            ),
            (
                number(9.999_999_999_999_99e307, ValueType::Count),
                "9.99999999999999E+307",
                "超出合理范围",
            ),
            (
                number(9.999_999_999_999_99e307, ValueType::Amount),
                "9.99999999999999E+307",
                "超出合理范围",
            ),
            (
                number(f64::MAX, ValueType::Amount),
                "1.79769313486232E+308",
                "超出合理范围",
            ),
            (text("1.2亿", ValueType::Count), "1.2亿", "超出合理范围"),
        ];
        for (n, typed, guess) in cases {
            assert_eq!(n.value, Value::Blank, "{typed}");
            assert_eq!(codes(&n), ["N02"], "{typed}");
            let m = &n.issues[0].message;
            assert!(m.contains(&format!("填写了 {typed}，")), "{m}");
            assert!(m.contains(guess), "{m}");
            assert!(m.contains("请改为实际数字"), "{m}");
            assert!(!n.approximate);
        }
        // At the bound is fine; a phone number is a plausible amount (1.38e10 元 < 1e12).
        assert_eq!(number(1e8, ValueType::Count).value, Value::Number(1e8));
        assert!(number(1e8, ValueType::Count).issues.is_empty());
        assert_eq!(
            number(13_812_345_678.0, ValueType::Amount).value,
            Value::Number(13_812_345_678.0)
        );
        assert_eq!(codes(&number(1e12 + 1.0, ValueType::Amount)), ["N02"]);
        // A per-indicator bound (max = 50) is the one applied.
        let n = normalise(
            Some(&Cell {
                raw: Raw::Number(51.0),
                formula: None,
            }),
            ValueType::Count,
            "次",
            50.0,
        );
        assert!(
            n.issues[0].message.contains("不超过 50 次"),
            "{:?}",
            n.issues
        );
    }
}
