//! The indicator schema: the embedded default loads and is complete; every kind of bad schema is
//! refused with the right line, column and Chinese message.

use std::path::Path;

use huizong::codes::Code;
use huizong::diagnostic::Severity;
use huizong::registry::UnitKind;
use huizong::schema::{Aggregation, RuleScope, Schema, ValueType};
use huizong::Error;

// ---------------------------------------------------------------------------------------------
// The embedded default schema
// ---------------------------------------------------------------------------------------------

fn default() -> Schema {
    match Schema::parse(
        huizong::schema::DEFAULT_SCHEMA,
        Path::new("fazhi-2024.toml"),
    ) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn default_schema_has_the_eleven_sections_in_order() {
    let s = Schema::default_schema();
    let codes: Vec<&str> = s.sections.iter().map(|x| x.code.as_str()).collect();
    assert_eq!(
        codes,
        ["ZL", "GF", "JC", "GW", "ZF", "FY", "YS", "PF", "GK", "FW", "JF"]
    );
    assert_eq!(s.sections[0].name, "一、组织领导与学法");
    assert_eq!(s.sections[10].name, "十一、矛盾纠纷化解");
    assert_eq!(s.id, "fazhi-2024");
    assert_eq!(s.edition, "2024");
    assert!(!s.template_version.is_empty());
}

#[test]
fn default_schema_has_the_whole_catalogue() {
    let s = default();
    // 81 base rows − ZF08 (replaced by ZF08A–E) + 9 + 10 + 5 breakdown fields.
    assert_eq!(s.indicators.len(), 104);
    for code in [
        "FY02", "GF01", "YS08", "YS09", "YS10", "ZF07", "JF03", "ZF08A", "ZF08E",
    ] {
        assert!(s.indicator(code).is_some(), "{code} missing");
    }
    assert!(
        s.indicator("ZF08").is_none(),
        "ZF08 has no value of its own"
    );
    let zf07 = s.indicator("ZF07").unwrap();
    assert_eq!(
        (zf07.value_type, zf07.unit.as_str()),
        (ValueType::Amount, "元")
    );
    let fy02 = s.indicator("FY02").unwrap();
    assert_eq!(fy02.reporters, [UnitKind::CountyOffice]);
    assert_eq!(fy02.aggregation, Aggregation::County);
    for code in ["YS08", "YS09", "YS10"] {
        assert_eq!(s.indicator(code).unwrap().reporters, [UnitKind::External]);
    }
    let gf01 = s.indicator("GF01").unwrap();
    assert_eq!(
        gf01.reporters,
        [
            UnitKind::Township,
            UnitKind::Department,
            UnitKind::CountyOffice
        ]
    );
    assert_eq!(s.indicator("GF07").unwrap().aggregation, Aggregation::Stock);
    assert_eq!(
        s.indicator("YS01").unwrap().aggregation,
        Aggregation::SumOverlap
    );
    let zl04 = s.indicator("ZL04").unwrap();
    assert_eq!(
        (zl04.value_type, zl04.unit.as_str()),
        (ValueType::YesNo, "")
    );
    assert_eq!(zl04.aggregation, Aggregation::CountYes);
}

#[test]
fn default_schema_breakdowns_follow_their_parent() {
    let s = default();
    let children = |p: &str| -> Vec<String> {
        s.indicators
            .iter()
            .filter(|i| i.parent.as_deref() == Some(p))
            .map(|i| i.code.clone())
            .collect()
    };
    assert_eq!(children("ZF06").len(), 9);
    assert_eq!(children("FY06").len(), 10);
    assert_eq!(children("FY06").last().map(String::as_str), Some("FY06J"));
    // Sub-fields sit right after their total, in template order.
    let pos = |c: &str| s.indicators.iter().position(|i| i.code == c).unwrap();
    assert_eq!(pos("ZF06A"), pos("ZF06") + 1);
    assert_eq!(pos("FY06J"), pos("FY06") + 10);
    assert!(s.indicator("ZF08A").unwrap().parent.is_none());
    assert_eq!(s.indicator("ZF08A").unwrap().name, "行政许可申请数");
}

#[test]
fn default_schema_rates() {
    let s = default();
    assert_eq!(s.rates.len(), 27, "every rate of domain.md §1.4");
    let rate = |c: &str| s.rates.iter().find(|r| r.code == c).unwrap();
    let ys = rate("RYS02c");
    assert_eq!(
        (ys.numerator_text.as_str(), ys.denominator_text.as_str()),
        ("YS10", "YS09")
    );
    assert_eq!(ys.decimals, 2);
    assert_eq!(rate("RFY01").numerator_text, "FY03");
    assert_eq!(rate("RFY01").denominator_text, "FY02");
    assert_eq!(
        rate("RFY03").numerator.codes(),
        ["FY06C", "FY06D", "FY06E", "FY06F", "FY06G"]
    );
    assert_eq!(rate("RGW02").denominator.codes(), ["villages"]);
    assert_eq!(rate("RZL01").kinds.len(), 3);
}

#[test]
fn default_schema_rules_are_expressions_and_builtins_are_not_declared() {
    let s = default();
    let v = |n: u32| Code::parse(&format!("V{n:02}")).unwrap();
    for n in (10..=32).chain(40..=44).chain(60..=66) {
        let r = s.rule(v(n)).unwrap_or_else(|| panic!("{} missing", v(n)));
        assert!(!r.expr_text.is_empty(), "{}", r.code);
        assert!(
            r.help.as_deref().is_some_and(|h| h.contains("如何修改")),
            "{}",
            r.code
        );
    }
    // The program's own checks (V67 needs the unit's name, which expressions cannot see) live
    // in the code table, and the rules the anomaly methods own (V45–V47, V70–V72) or that need
    // other reports (V53) have no code at all.
    for n in (1..=6).chain(50..=52).chain(67..=67) {
        assert!(s.rule(v(n)).is_none() && v(n).info().is_some(), "{}", v(n));
    }
    for n in (45..=47).chain(53..=53).chain(70..=72) {
        assert!(s.rule(v(n)).is_none() && v(n).info().is_none(), "{}", v(n));
    }
    assert_eq!(s.rules.len(), 35);
    assert_eq!(
        s.rule(Code::parse("V42").unwrap()).unwrap().scope,
        RuleScope::CrossPeriod
    );
    assert!(s.rule(v(42)).unwrap().expr.uses_prev());
    // The partition rule expands the range over the schema's order.
    assert_eq!(s.rule(v(27)).unwrap().expr.codes().len(), 11);
}

// ---------------------------------------------------------------------------------------------
// Bad schemas
// ---------------------------------------------------------------------------------------------

/// A small valid schema; tests append to it or replace parts of it.
const BASE: &str = r#"[schema]
id = "t"
title = "测试"
edition = "2024"
template_version = "t.1"

[[sections]]
code = "FY"
name = "六、行政复议"

[[indicators]]
code = "FY02"
section = "FY"
name = "收到行政复议申请件数"
unit = "件"
value_type = "count"
reporters = ["county_office"]
aggregation = "county"

[[indicators]]
code = "FY03"
section = "FY"
name = "其中：受理件数"
unit = "件"
value_type = "count"
reporters = ["county_office"]
aggregation = "county"

[[indicators]]
code = "ZF07"
section = "FY"
name = "罚没金额"
unit = "元"
value_type = "amount"
reporters = ["department"]
aggregation = "sum"

[[indicators]]
code = "GW01"
section = "FY"
name = "已聘请法律顾问"
value_type = "yes_no"
reporters = ["department"]
aggregation = "count_yes"
"#;

/// Parses BASE + `extra`, expecting a refusal; returns (line, col, message).
fn refuse(extra: &str) -> (usize, usize, String) {
    refuse_text(&format!("{BASE}{extra}"))
}

fn refuse_text(text: &str) -> (usize, usize, String) {
    match Schema::parse(text, Path::new("t.toml")) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(Error::Schema {
            line, col, message, ..
        }) => (line, col, message),
        Err(e) => panic!("not a schema error: {e}"),
    }
}

/// 1-based line and character column in BASE+extra of the `nth` (0-based) occurrence of `needle`
/// in `extra`.
fn at(extra: &str, needle: &str, nth: usize) -> (usize, usize) {
    let text = format!("{BASE}{extra}");
    let (in_extra, _) = extra
        .match_indices(needle)
        .nth(nth)
        .expect("needle present");
    let byte = BASE.len() + in_extra;
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line, col)
}

fn assert_refused(extra: &str, needle: &str, nth: usize, message_part: &str) {
    let (line, col, message) = refuse(extra);
    assert_eq!((line, col), at(extra, needle, nth), "{message}");
    assert!(message.contains(message_part), "{message}");
}

#[test]
fn base_schema_is_valid() {
    let s = Schema::parse(BASE, Path::new("t.toml")).unwrap();
    assert_eq!(s.indicators.len(), 4);
}

#[test]
fn toml_syntax_error() {
    let extra = "\n[[rules]\ncode = \"V10\"\n";
    let (line, col, message) = refuse(extra);
    assert_eq!(line, at(extra, "[[rules]", 0).0);
    assert!(col >= 1, "{col}");
    assert!(message.starts_with("TOML 语法错误"), "{message}");
}

#[test]
fn unknown_field() {
    let extra = "\n[[sections]]\ncode = \"ZF\"\nname = \"五\"\nlabel = \"x\"\n";
    assert_refused(extra, "label", 0, "未知字段“label”");
    let (_, _, message) = refuse(extra);
    assert!(message.contains("code、name"), "{message}");
}

#[test]
fn missing_field() {
    let extra = "\n[[sections]]\ncode = \"ZF\"\n";
    let (_, _, message) = refuse(extra);
    assert_eq!(message, "缺少必填字段“name”");
}

#[test]
fn duplicate_indicator_code() {
    let extra = r#"
[[indicators]]
code = "FY03"
section = "FY"
name = "重复"
unit = "件"
value_type = "count"
reporters = ["county_office"]
aggregation = "county"
"#;
    let (line, col, message) = refuse(extra);
    assert_eq!((line, col), at(extra, "\"FY03\"", 0));
    assert_eq!(message, "指标代码“FY03”重复：第 21 行已经定义过");
}

#[test]
fn duplicate_rule_and_rate_codes() {
    let rule = r#"
[[rules]]
code = "V24"
severity = "error"
title = "t"
message = "m"
scope = "in_record"
expr = "FY03 <= FY02"
"#;
    let twice = format!("{rule}{rule}");
    assert_refused(&twice, "\"V24\"", 1, "规则代码“V24”重复");
    let rate = "\n[[rates]]\ncode = \"RFY01\"\nname = \"受理率\"\nnumerator = \"FY03\"\ndenominator = \"FY02\"\n";
    let twice = format!("{rate}{rate}");
    assert_refused(&twice, "\"RFY01\"", 1, "比率代码“RFY01”重复");
}

#[test]
fn unknown_section() {
    let text = BASE.replacen("section = \"FY\"", "section = \"XX\"", 1);
    let (line, col, message) = refuse_text(&text);
    assert_eq!((line, col), (13, 11));
    assert_eq!(message, "未知的分组“XX”；已定义的分组：FY");
}

#[test]
fn unknown_unit_kind() {
    let text = BASE.replacen("[\"county_office\"]", "[\"county_office\", \"court\"]", 1);
    let (line, col, message) = refuse_text(&text);
    assert_eq!((line, col), (17, 31));
    assert!(message.starts_with("未知的单位类型“court”"), "{message}");
}

#[test]
fn unknown_parent() {
    let text = BASE.replacen(
        "aggregation = \"county\"\n\n[[indicators]]\ncode = \"ZF07\"",
        "aggregation = \"county\"\nparent = \"FY01\"\n\n[[indicators]]\ncode = \"ZF07\"",
        1,
    );
    let (line, col, message) = refuse_text(&text);
    assert_eq!((line, col), (28, 10));
    assert_eq!(message, "上级指标“FY01”不存在");
}

#[test]
fn unknown_indicator_in_rule_expression_points_inside_the_expression() {
    let extra = r#"
[[rules]]
code = "V24"
severity = "error"
title = "受理数不能超过收到数"
message = "受理{FY03}件"
scope = "in_record"
expr = "FY03 <= FY02 + FY99"
"#;
    assert_refused(extra, "FY99", 0, "未定义的指标“FY99”");
}

#[test]
fn unknown_indicator_in_rate_expression() {
    let extra = "\n[[rates]]\ncode = \"R1\"\nname = \"n\"\nnumerator = \"FY03 + GF01\"\ndenominator = \"FY02\"\n";
    assert_refused(extra, "GF01", 0, "未定义的指标“GF01”");
}

#[test]
fn unparsable_expression_points_at_the_offending_character() {
    let extra = r#"
[[rules]]
code = "V24"
severity = "error"
title = "t"
message = "m"
scope = "in_record"
expr = "FY03 <= = FY02"
"#;
    let (line, col, message) = refuse(extra);
    assert_eq!((line, col), at(extra, "= FY02", 0));
    assert!(message.starts_with("表达式有误："), "{message}");
}

#[test]
fn error_in_a_multiline_expression_points_at_its_own_line() {
    let extra = r#"
[[rules]]
code = "V24"
severity = "error"
title = "t"
message = "m"
scope = "in_record"
expr = """
FY03 <= FY02
and FY03 >= （0"""
"#;
    let (line, col, message) = refuse(extra);
    assert_eq!((line, col), at(extra, "（", 0));
    assert!(message.contains("半角"), "{message}");
}

#[test]
fn reversed_range_is_refused() {
    let extra = "\n[[rules]]\ncode = \"V81\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"in_record\"\nexpr = \"sum(FY03..FY02) >= 0\"\n";
    assert_refused(extra, "FY03..", 0, "顺序颠倒");
}

#[test]
fn rate_denominator_must_be_a_count() {
    let extra = "\n[[rates]]\ncode = \"R1\"\nname = \"n\"\nnumerator = \"FY03\"\ndenominator = \"FY02 + ZF07\"\n";
    assert_refused(extra, "ZF07\"", 0, "“ZF07”是金额类指标");
    let extra =
        "\n[[rates]]\ncode = \"R1\"\nname = \"n\"\nnumerator = \"FY03\"\ndenominator = \"GW01\"\n";
    assert_refused(extra, "GW01\"", 0, "是/否类指标");
}

#[test]
fn cross_period_rule_needs_prev() {
    let extra = "\n[[rules]]\ncode = \"V42\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"cross_period\"\nexpr = \"FY02 >= FY03\"\n";
    assert_refused(extra, "\"cross_period\"", 0, "没有引用任何上年数");
}

#[test]
fn in_record_rule_must_not_use_prev() {
    let extra = "\n[[rules]]\ncode = \"V42\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"in_record\"\nexpr = \"FY02 >= prev.FY02\"\n";
    assert_refused(extra, "FY02\"", 0, "不能引用上年数 prev.FY02");
}

#[test]
fn builtin_checks_are_not_declared_as_rules() {
    let extra = "\n[[rules]]\ncode = \"V19\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"builtin\"\n";
    assert_refused(extra, "\"builtin\"", 0, "写 [[overrides]]");
    let extra = "\n[[rules]]\ncode = \"V01\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"in_record\"\nexpr = \"FY02 >= 0\"\n";
    assert_refused(extra, "\"V01\"", 0, "不能再定义为表达式规则");
    let extra = "\n[[rules]]\ncode = \"V1\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"in_record\"\nexpr = \"FY02 >= 0\"\n";
    assert_refused(extra, "\"V1\"", 0, "格式不对");
}

#[test]
fn overrides_change_builtin_severity_only_where_allowed() {
    let extra = "\n[[overrides]]\ncode = \"V05\"\nseverity = \"error\"\n\n[[overrides]]\ncode = \"V67\"\nmessage = \"拘留{ZF06H}\"\n";
    let s = Schema::parse(&format!("{BASE}{extra}"), Path::new("t.toml")).unwrap();
    assert_eq!(s.severity(Code::V05), Severity::Error);
    assert_eq!(s.severity(Code::V06), Severity::Warning);
    assert_eq!(s.template(Code::V67), Some("拘留{ZF06H}"));
    let extra = "\n[[overrides]]\ncode = \"V24\"\nseverity = \"error\"\n";
    assert_refused(extra, "\"V24\"", 0, "不是程序内置的检查");
    let extra = "\n[[overrides]]\ncode = \"V01\"\nmessage = \"m\"\n";
    assert_refused(extra, "\"m\"", 0, "只能修改 severity");
    let extra = "\n[[overrides]]\ncode = \"V01\"\nseverity = \"fatal\"\n";
    assert_refused(extra, "\"fatal\"", 0, "未知的严重程度");
}

#[test]
fn non_builtin_rule_needs_an_expression() {
    let extra = "\n[[rules]]\ncode = \"V10\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"in_record\"\n";
    assert_refused(extra, "\"in_record\"", 0, "缺少 expr");
}

#[test]
fn message_placeholder_must_name_an_indicator() {
    let extra = "\n[[rules]]\ncode = \"V10\"\nseverity = \"warning\"\ntitle = \"t\"\nmessage = \"收到{FY02}件，受理{FY3}件\"\nscope = \"in_record\"\nexpr = \"FY03 <= FY02\"\n";
    assert_refused(extra, "{FY3}", 0, "“{FY3}”无效");
}

#[test]
fn unknown_severity_and_scope() {
    let extra = "\n[[rules]]\ncode = \"V10\"\nseverity = \"fatal\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"in_record\"\nexpr = \"FY03 <= FY02\"\n";
    assert_refused(extra, "\"fatal\"", 0, "未知的严重程度");
    let extra = "\n[[rules]]\ncode = \"V10\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"table\"\nexpr = \"FY03 <= FY02\"\n";
    assert_refused(extra, "\"table\"", 0, "未知的规则范围");
}

#[test]
fn yes_no_needs_count_yes() {
    let text = BASE.replacen("aggregation = \"count_yes\"", "aggregation = \"sum\"", 1);
    let (line, col, message) = refuse_text(&text);
    assert_eq!((line, col), (44, 15));
    assert!(message.contains("count_yes"), "{message}");
}

#[test]
fn rendered_errors() {
    let text = BASE.replacen("section = \"FY\"", "section = \"XX\"", 1);
    let err = Schema::parse(&text, Path::new("schemas/t.toml")).unwrap_err();
    insta::assert_snapshot!("unknown_section", err.to_string());
    let extra = "\n[[rules]]\ncode = \"V24\"\nseverity = \"error\"\ntitle = \"t\"\nmessage = \"m\"\nscope = \"in_record\"\nexpr = \"FY03 <= FY02 +\"\n";
    let err = Schema::parse(&format!("{BASE}{extra}"), Path::new("schemas/t.toml")).unwrap_err();
    insta::assert_snapshot!("incomplete_expression", err.to_string());
}

// ---------------------------------------------------------------------------------------------
// The documented example
// ---------------------------------------------------------------------------------------------

#[test]
fn documented_example_loads() {
    let doc = include_str!("../docs/schema-format.md");
    let start = doc.find("```toml\n").expect("a ```toml block") + "```toml\n".len();
    let len = doc[start..].find("```").expect("closing fence");
    let example = &doc[start..start + len];
    let s = match Schema::parse(example, Path::new("docs/schema-format.md")) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert!(!s.sections.is_empty() && !s.indicators.is_empty());
    assert!(!s.rates.is_empty() && !s.rules.is_empty());
    assert_eq!(s.limits.count, 1e6);
    assert_eq!(s.indicator("FY02").and_then(|i| i.max), Some(1e5));
}

// ---------------------------------------------------------------------------------------------
// The default rules mean what domain.md says
// ---------------------------------------------------------------------------------------------

struct Vals {
    cur: std::collections::BTreeMap<String, f64>,
    prior: std::collections::BTreeMap<String, f64>,
}

impl huizong::schema::expr::Env for Vals {
    fn current(&self, code: &str) -> Option<f64> {
        self.cur.get(code).copied()
    }
    fn prior(&self, code: &str) -> Option<f64> {
        self.prior.get(code).copied()
    }
}

fn vals(cur: &[(&str, f64)], prior: &[(&str, f64)]) -> Vals {
    let map = |v: &[(&str, f64)]| v.iter().map(|(k, x)| (k.to_string(), *x)).collect();
    Vals {
        cur: map(cur),
        prior: map(prior),
    }
}

fn holds(rule: &str, env: &Vals) -> Option<bool> {
    let s = default();
    let r = s.rule(Code::parse(rule).unwrap()).unwrap();
    r.expr.holds(env)
}

#[test]
fn v21_fines_need_penalty_decisions() {
    assert_eq!(
        holds("V21", &vals(&[("ZF06", 0.0), ("ZF07", 0.0)], &[])),
        Some(true)
    );
    assert_eq!(
        holds("V21", &vals(&[("ZF06", 0.0), ("ZF07", 50.0)], &[])),
        Some(false)
    );
    assert_eq!(
        holds("V21", &vals(&[("ZF06", 3.0), ("ZF07", 0.0)], &[])),
        Some(true)
    );
    assert_eq!(
        holds("V21", &vals(&[("ZF06", 268.0), ("ZF07", 7610.0)], &[])),
        Some(true)
    );
}

#[test]
fn v25_and_v42_on_fangcheng_like_figures() {
    let ok = vals(
        &[("FY02", 70.0), ("FY03", 60.0), ("FY04", 4.0), ("FY05", 6.0)],
        &[],
    );
    assert_eq!(holds("V25", &ok), Some(true));
    let bad = vals(
        &[("FY02", 70.0), ("FY03", 60.0), ("FY04", 4.0), ("FY05", 5.0)],
        &[],
    );
    assert_eq!(holds("V25", &bad), Some(false));
    let prior = [("FY01", 3.0), ("FY03", 20.0), ("FY06", 18.0)];
    assert_eq!(holds("V42", &vals(&[("FY01", 5.0)], &prior)), Some(true));
    assert_eq!(holds("V42", &vals(&[("FY01", 4.0)], &prior)), Some(false));
    assert_eq!(holds("V42", &vals(&[("FY01", 5.0)], &[])), None);
}

#[test]
fn v17_checks_each_pair_a_unit_reports() {
    // A township reports ZF01/ZF02 only: the county-office pairs are skipped, not fatal.
    assert_eq!(
        holds("V17", &vals(&[("ZF01", 10.0), ("ZF02", 12.0)], &[])),
        Some(false)
    );
    assert_eq!(
        holds("V17", &vals(&[("ZF01", 10.0), ("ZF02", 9.0)], &[])),
        Some(true)
    );
    let county = vals(
        &[
            ("ZF11", 600.0),
            ("ZF12", 601.0),
            ("ZF13", 80.0),
            ("ZF14", 80.0),
        ],
        &[],
    );
    assert_eq!(holds("V17", &county), Some(false));
}

#[test]
fn v20_partition_of_penalties() {
    let mut cur: Vec<(&str, f64)> = vec![("ZF06", 10.0)];
    for c in [
        "ZF06A", "ZF06B", "ZF06C", "ZF06D", "ZF06E", "ZF06F", "ZF06G", "ZF06H",
    ] {
        cur.push((c, 1.0));
    }
    cur.push(("ZF06I", 2.0));
    assert_eq!(holds("V20", &vals(&cur, &[])), Some(true));
    cur.pop();
    cur.push(("ZF06I", 3.0));
    assert_eq!(holds("V20", &vals(&cur, &[])), Some(false));
}

// ---------------------------------------------------------------------------------------------
// Plausibility bounds ([limits], max)
// ---------------------------------------------------------------------------------------------

#[test]
fn default_schema_bounds_counts_and_amounts() {
    let s = default();
    assert_eq!((s.limits.count, s.limits.amount), (1e8, 1e12));
    let count = s.indicator("FY02").unwrap();
    assert_eq!(s.max_of(count), 1e8);
    let amount = s
        .indicators
        .iter()
        .find(|i| i.value_type == ValueType::Amount)
        .unwrap();
    assert_eq!(s.max_of(amount), 1e12);
    let yes_no = s
        .indicators
        .iter()
        .find(|i| i.value_type == ValueType::YesNo)
        .unwrap();
    assert_eq!(s.max_of(yes_no), 1.0);
}

#[test]
fn limits_and_overrides_load() {
    let text = BASE.replacen(
        "aggregation = \"county\"\n",
        "aggregation = \"county\"\nmax = 5000\n",
        1,
    ) + "\n[limits]\ncount = 1_000_000\n";
    let s = Schema::parse(&text, Path::new("t.toml")).unwrap();
    assert_eq!(s.max_of(s.indicator("FY02").unwrap()), 5000.0);
    assert_eq!(s.max_of(s.indicator("FY03").unwrap()), 1e6);
    // A key left out keeps its default.
    assert_eq!(s.max_of(s.indicator("ZF07").unwrap()), 1e12);
    assert_eq!(
        Schema::parse(BASE, Path::new("t.toml"))
            .unwrap()
            .limits
            .count,
        1e8
    );
}

#[test]
fn bounds_that_could_overflow_a_total_are_refused() {
    // Anything above 1e15 (or not a positive finite number) is refused where it is written, so
    // no sum over a registry's units can reach f64::MAX and turn a county figure into null.
    for value in [
        "1e300",
        "1.7976931348623157e308",
        "inf",
        "nan",
        "0",
        "-5",
        "1e16",
    ] {
        let extra = format!("\n[limits]\namount = {value}\n");
        assert_refused(&extra, value, 0, "limits.amount 应为大于 0、不超过 1e15");
    }
    let extra = "\n[limits]\ncount = 2e15\n";
    assert_refused(extra, "2e15", 0, "limits.count");
    let extra = "\n[limits]\ncounts = 5\n";
    assert_refused(extra, "counts", 0, "未知字段“counts”");
    // The ceiling itself is allowed.
    let text = format!("{BASE}\n[limits]\namount = 1e15\n");
    assert!(Schema::parse(&text, Path::new("t.toml")).is_ok());
}

#[test]
fn indicator_max_is_checked_where_it_is_written() {
    let huge = BASE.replacen(
        "aggregation = \"county\"\n",
        "aggregation = \"county\"\nmax = 9.99999999999999e307\n",
        1,
    );
    let (line, col, message) = refuse_text(&huge);
    assert_eq!((line, col), (19, 7), "{message}");
    assert!(message.contains("max 应为大于 0、不超过 1e15"), "{message}");
    // A yes/no indicator (GW01, the last one in BASE) has no bound to set.
    let (line, col, message) = refuse_text(&format!("{BASE}max = 3\n"));
    assert_eq!((line, col), (BASE.lines().count() + 1, 7), "{message}");
    assert!(message.contains("是/否类指标"), "{message}");
}
