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

/// The suggestion text (never applied): the value corrected by 10^−k, in words the unit
/// understands. `unit` is the indicator's unit (元 for amounts).
pub fn suggestion(cur: f64, k: i32, unit: &str) -> String {
    let corrected = cur * 10f64.powi(-k);
    let unit = if unit.is_empty() { "元" } else { unit };
    if k > 0 {
        // Too large: the figure looks like 元 where the scale of last year was 万元/千元.
        format!(
            "疑似单位错误：按{}应为 {}",
            scale_name(k),
            super::fmt_num(corrected)
        )
    } else {
        // Too small: the figure looks like it was typed in 万元/千元.
        format!(
            "疑似单位错误：似按{}填报，按{unit}应为 {}",
            scale_name(k),
            super::fmt_num(corrected)
        )
    }
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
        assert_eq!(
            suggestion(853_000., 4, "元"),
            "疑似单位错误：按万元应为 85.3"
        );
        assert_eq!(
            suggestion(126.5, -4, "元"),
            "疑似单位错误：似按万元填报，按元应为 1265000"
        );
        assert_eq!(
            suggestion(7.9, -3, "元"),
            "疑似单位错误：似按千元填报，按元应为 7900"
        );
    }
}
