//! Unit-of-measure slips (元 / 千元 / 万元), after KOSTRA `ThError` (docs/reference/anomaly-methods.md §2.4): when
//! `d = log10(cur/prev)` is near ±3 or ±4 the value was almost certainly typed in the wrong
//! unit; other jumps beyond the gate are reported as extreme changes. Runs before HB, and the
//! units it flags are left out of the county trend.

use serde::{Deserialize, Serialize};

/// Parameters (§3.3 defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitErrorParams {
    /// `|d|` at or above this is either a unit slip or an extreme jump.
    pub gate: f64,
    /// Powers of ten that correspond to a unit confusion (3 = 千元, 4 = 万元).
    pub powers: Vec<i32>,
    /// Maximum distance of `d` from the power.
    pub band: f64,
}

impl Default for UnitErrorParams {
    fn default() -> Self {
        UnitErrorParams {
            gate: 2.5,
            powers: vec![3, 4],
            band: 0.35,
        }
    }
}

/// Verdict for one value pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum UnitErrorVerdict {
    Ok,
    /// Probable ×10^k unit error.
    Probable {
        k: i32,
    },
    /// `|d| ≥ gate` but not near a unit power.
    ExtremeJump,
}

/// `log10(cur/prev)` and the verdict; `None` unless both values are positive.
pub fn check(prev: f64, cur: f64, p: &UnitErrorParams) -> Option<(f64, UnitErrorVerdict)> {
    if !(prev > 0.0 && cur > 0.0 && prev.is_finite() && cur.is_finite()) {
        return None;
    }
    let d = (cur / prev).log10();
    let k = d.round() as i32;
    let verdict = if d.abs() < p.gate {
        UnitErrorVerdict::Ok
    } else if p.powers.contains(&k.abs()) && (d - k as f64).abs() <= p.band {
        UnitErrorVerdict::Probable { k }
    } else {
        UnitErrorVerdict::ExtremeJump
    };
    Some((d, verdict))
}

/// The Chinese name of a ×10^|k| scale, relative to 元.
pub fn scale_name(k: i32) -> &'static str {
    match k.abs() {
        1 => "十元",
        2 => "百元",
        3 => "千元",
        4 => "万元",
        8 => "亿元",
        _ => "其他单位",
    }
}

/// "1万" for 10^4: how many times too large or too small, in words.
pub fn times_word(k: i32) -> &'static str {
    match k.abs() {
        1 => "10",
        2 => "100",
        3 => "1千",
        4 => "1万",
        8 => "1亿",
        _ => "许多",
    }
}

/// The suggestion text (never applied): the value corrected by 10^−k, in words the unit
/// understands. `unit` is the indicator's unit (元 for amounts).
pub fn suggestion(cur: f64, k: i32, unit: &str) -> String {
    let corrected = cur * 10f64.powi(-k);
    let unit = if unit.is_empty() { "元" } else { unit };
    if k > 0 {
        // Too large: last year's figure looks like 万元/千元 against this year's 元.
        format!(
            "按{}计应为{}",
            scale_name(k),
            super::fmt_thousands(corrected)
        )
    } else {
        format!("按{unit}应为{}{unit}", super::fmt_thousands(corrected))
    }
}

/// The message of a probable slip: the two values, how far apart, and the likely cause.
pub fn message(name: &str, unit: &str, cur: f64, prev: f64, k: i32) -> String {
    let unit = if unit.is_empty() { "元" } else { unit };
    let cause = if k < 0 {
        format!("很可能按{}填写", scale_name(k))
    } else {
        format!("很可能单位填错（上年或今年按{}填写）", scale_name(k))
    };
    format!(
        "{name}今年{}{unit}，去年{}{unit}，约{}{}倍：{cause}",
        super::fmt_thousands(cur),
        super::fmt_thousands(prev),
        if k < 0 { "小" } else { "大" },
        times_word(k),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e5_rows() {
        let p = UnitErrorParams::default();
        let rows = [
            (
                1_250_000.,
                126.5,
                -3.995,
                UnitErrorVerdict::Probable { k: -4 },
            ),
            (85.3, 853_000., 4.0, UnitErrorVerdict::Probable { k: 4 }),
            (46_000., 52_000., 0.053, UnitErrorVerdict::Ok),
            (300., 120_000., 2.602, UnitErrorVerdict::ExtremeJump),
            (7_800., 7.9, -2.994, UnitErrorVerdict::Probable { k: -3 }),
        ];
        for (prev, cur, d, v) in rows {
            let (dd, vv) = check(prev, cur, &p).unwrap();
            assert_eq!((dd * 1000.0).round() / 1000.0, d, "({prev},{cur})");
            assert_eq!(vv, v, "({prev},{cur})");
        }
        assert!(check(0.0, 5.0, &p).is_none());
    }

    #[test]
    fn suggestions_name_the_scale() {
        assert_eq!(suggestion(853_000., 4, "元"), "按万元计应为85.3");
        assert_eq!(suggestion(126.5, -4, "元"), "按元应为1,265,000元");
        assert_eq!(suggestion(7.9, -3, "元"), "按元应为7,900元");
    }

    #[test]
    fn a_slip_reads_as_a_clerk_would_say_it() {
        assert_eq!(
            format!(
                "{}，{}",
                message("罚没金额", "元", 55.46, 642331.0, -4),
                suggestion(55.46, -4, "元")
            ),
            "罚没金额今年55.46元，去年642,331元，约小1万倍：很可能按万元填写，按元应为554,600元"
        );
        assert_eq!(
            message("罚没金额", "元", 853_000.0, 85.3, 4),
            "罚没金额今年853,000元，去年85.3元，约大1万倍：很可能单位填错（上年或今年按万元填写）"
        );
    }
}
