//! Typing slips in a year-on-year change: this year's value with two adjacent digits swapped,
//! or with a digit dropped or doubled, that lands where the unit's own trend expects it while the
//! typed value does not (docs/anomaly-ranking.md, "Missing signals").
//!
//! A swap changes a value by 10–90 %, often less than the YoY gates (×2) can see, so without
//! this check 1 234 typed as 1 324 passes. The test is a likelihood comparison on the log scale:
//! `e` is the expected value (`prev × trend`), `s` the group's robust spread of
//! `ln(cur / prev)` (1.4826 × MAD, floored), and a variant `v` of the typed `x` explains the
//! change when `|ln(v/e)| ≤ tight × s` while `|ln(x/e)| ≥ far × s`: under the usual spread
//! the typed value is unlikely and the variant is as likely as any clean value. Exactly one
//! variant must fit (two fits are a guess). The typing-error variants are those of
//! [`super::correct::variants`] (swaps skip equal digits and a leading zero); swaps need a value
//! of three digits or more, as a two-digit swap (12 ↔ 21) lands anywhere by chance.
//!
//! The verdict feeds the YoY routing in `detect`: an existing A01/A02/A11 line on the cell gets
//! the suggestion; otherwise a new line under the code of the method that judged the cell.

use serde::{Deserialize, Serialize};

/// Parameters; the defaults are the ones measured in docs/anomaly-ranking.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigitSlipParams {
    /// Off by at least this many spreads: the typed value is unusual.
    pub far: f64,
    /// Off by this many spreads or more, and the variant within `warn_tight` spreads: a
    /// warning (else info).
    pub far_warn: f64,
    pub warn_tight: f64,
    /// The variant within this many spreads of the expected value …
    pub tight: f64,
    /// … and a swapped variant within this distance (log scale, ≈ ±16 %) whatever the spread:
    /// in a group with a wide spread some swap lands "near" almost any expected value.
    pub max_band: f64,
    /// A ×10 or ÷10 variant may be this far (log scale) from the expected value: the dropped
    /// digit is unknown (45 for 452 gives 450), and a factor 10 is 2.3 away.
    pub scale_band: f64,
    /// Floor of the spread (log scale), so a very regular group does not flag ordinary noise.
    pub min_spread: f64,
    /// The variant's distance must be at most this share of the typed value's.
    pub gain: f64,
}

impl Default for DigitSlipParams {
    fn default() -> Self {
        DigitSlipParams {
            far: 2.0,
            far_warn: 3.0,
            warn_tight: 0.3,
            tight: 1.2,
            max_band: 0.15,
            scale_band: 0.35,
            min_spread: 0.05,
            gain: 0.5,
        }
    }
}

/// A variant of the typed value that explains the change.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigitSlip {
    pub value: f64,
    /// 数字顺序颠倒, 可能少输了一位, 可能多输了一个0.
    pub reason: &'static str,
    /// Whether the fit is strong enough for a warning.
    pub warn: bool,
}

impl DigitSlip {
    /// `可能应为 322（数字顺序颠倒）`; a dropped digit is only roughly known:
    /// `可能应为 450 左右（可能少输了一位）`.
    pub fn suggestion(&self) -> String {
        let about = if self.reason == DROPPED {
            " 左右"
        } else {
            ""
        };
        format!(
            "可能应为 {}{about}（{}）",
            super::fmt_thousands(self.value),
            self.reason
        )
    }
}

/// The group's spread of `ln(cur/prev)` from the pairs with both years > 0 (1.4826 × MAD,
/// at least `min_spread`); `None` with fewer than 5 pairs.
pub fn spread(pairs: impl Iterator<Item = (f64, f64)>, p: &DigitSlipParams) -> Option<f64> {
    let logs: Vec<f64> = pairs
        .filter(|(a, b)| *a > 0.0 && *b > 0.0)
        .map(|(a, b)| (b / a).ln())
        .collect();
    if logs.len() < 5 {
        return None;
    }
    let m = super::stats::median(&logs)?;
    let dev: Vec<f64> = logs.iter().map(|l| (l - m).abs()).collect();
    let mad = super::stats::median(&dev)?;
    Some((1.4826 * mad).max(p.min_spread))
}

/// The one variant of `x` that fits `expected` when `x` itself does not.
pub fn explain(x: f64, expected: f64, s: f64, p: &DigitSlipParams) -> Option<DigitSlip> {
    if !(x > 0.0 && expected > 0.0 && s > 0.0 && x.is_finite() && expected.is_finite()) {
        return None;
    }
    let off = (x / expected).ln().abs();
    if off < p.far * s {
        return None;
    }
    let mut fits = super::correct::variants(x)
        .into_iter()
        .filter(|(v, _)| *v > 0.0)
        .filter_map(|(v, _)| {
            let reason = reason(x, v)?;
            let d = (v / expected).ln().abs();
            let band = if reason == SWAPPED {
                (p.tight * s).min(p.max_band)
            } else {
                p.scale_band.max(p.tight * s)
            };
            (d <= band && d <= p.gain * off).then_some((v, reason, d))
        });
    let (value, reason, d) = fits.next()?;
    if fits.next().is_some() {
        return None;
    }
    let warn = off >= p.far_warn * s && (reason != SWAPPED || d <= p.warn_tight * s);
    Some(DigitSlip {
        value,
        reason,
        warn,
    })
}

const SWAPPED: &str = "数字顺序颠倒";
const DROPPED: &str = "可能少输了一位";
const DOUBLED: &str = "可能多输了一个0";

/// Why `v` could be what was meant by `x`; `None` for a swap of fewer than three digits.
fn reason(x: f64, v: f64) -> Option<&'static str> {
    if v == x * 10.0 {
        Some(DROPPED)
    } else if v * 10.0 == x {
        Some(DOUBLED)
    } else if x >= 100.0 {
        Some(SWAPPED)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: f64 = 0.1;

    #[test]
    fn a_swap_that_lands_on_the_expected_value_is_found() {
        let p = DigitSlipParams::default();
        // Expected 322, typed 230 (2.8 spreads off); of the swaps 320 and 203 only 320 fits.
        let f = explain(230.0, 322.0, 0.12, &p).expect("a swap");
        assert_eq!(f.value, 320.0);
        assert_eq!(f.reason, "数字顺序颠倒");
        assert!(!f.warn, "2.8 spreads is below the warning level (3)");
        assert_eq!(f.suggestion(), "可能应为 320（数字顺序颠倒）");
        let f = explain(1324.0, 1230.0, 0.015, &p).expect("a swap");
        assert_eq!((f.value, f.warn), (1234.0, true));
    }

    #[test]
    fn near_misses_are_not_flagged() {
        let p = DigitSlipParams::default();
        // Within the usual spread: an ordinary change.
        assert_eq!(explain(1324.0, 1234.0, 0.1, &p), None);
        // The swap (3214) is no closer to the expected value than chance allows.
        assert_eq!(explain(2314.0, 3000.0, 0.05, &p), None);
        // Two digits: 12 ↔ 21 is not evidence.
        assert_eq!(explain(12.0, 21.0, 0.05, &p), None);
        // Equal digits give no swap; 446 → 464 is a swap but too far from 600.
        assert_eq!(explain(446.0, 600.0, 0.05, &p), None);
        // A wide spread (0.3) does not widen the swap band past ±16 %: 429 700 against an
        // expected 190 000 is far off, and its swap 249 700 is 27 % above, not a fit.
        assert_eq!(explain(429_700.0, 190_000.0, 0.3, &p), None);
    }

    #[test]
    fn a_dropped_digit_suggests_ten_times() {
        let p = DigitSlipParams::default();
        let f = explain(45.0, 460.0, S, &p).expect("×10");
        assert_eq!((f.value, f.reason, f.warn), (450.0, "可能少输了一位", true));
        assert_eq!(f.suggestion(), "可能应为 450 左右（可能少输了一位）");
        let f = explain(4600.0, 455.0, S, &p).expect("÷10");
        assert_eq!(f.reason, "可能多输了一个0");
        // Near miss: 2 against an expected 12 with a count's chance spread (≈ 0.76) is only
        // 2.4 spreads off, so 20 is offered as a hint, not a warning.
        let f = explain(2.0, 12.0, 0.76, &p).expect("a hint");
        assert_eq!((f.value, f.warn), (20.0, false));
    }

    #[test]
    fn spread_is_robust_and_floored() {
        let p = DigitSlipParams::default();
        let pairs = [(100.0, 100.0); 6].into_iter();
        assert_eq!(spread(pairs, &p), Some(0.05));
        assert_eq!(spread([(1.0, 2.0); 4].into_iter(), &p), None);
        let pairs = [
            (100., 110.),
            (100., 90.),
            (100., 100.),
            (100., 120.),
            (100., 80.),
        ];
        let s = spread(pairs.into_iter(), &p).unwrap();
        assert!((s - 1.4826 * -(0.9f64).ln()).abs() < 0.01, "{s}");
    }
}
