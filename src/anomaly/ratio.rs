//! Trend-adjusted ratio bounds for amounts (docs/reference/anomaly-methods.md §2.3 `ratio_bounds`, §4 E10), the
//! fallback when HB cannot run, paired with the zero-transition check it needs (500 → 0 and
//! 0 → 500 would otherwise pass unnoticed).

use serde::{Deserialize, Serialize};

/// Parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatioBoundsParams {
    /// Acceptable `x/(p·g)`.
    pub bounds: (f64, f64),
    /// Evaluate only when `max(x, p)` reaches this (元); small amounts swing freely.
    pub min_level: f64,
}

impl Default for RatioBoundsParams {
    fn default() -> Self {
        RatioBoundsParams {
            bounds: (1.0 / 3.0, 3.0),
            min_level: 10_000.0,
        }
    }
}

/// Outcome for one value pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RatioCheck {
    Ok,
    /// Outside the bounds: the adjusted ratio and its suspicion `min(1, |ln r|/(2 ln B))`.
    OutOfBounds {
        ratio: f64,
        suspicion: f64,
    },
    /// From something to 0 or from 0 to something.
    ZeroTransition,
}

/// Checks `cur` against `prev·g`.
pub fn check(prev: f64, cur: f64, g: f64, p: &RatioBoundsParams) -> RatioCheck {
    if prev.max(cur) < p.min_level || prev < 0.0 || cur < 0.0 {
        return RatioCheck::Ok;
    }
    if prev == 0.0 || cur == 0.0 {
        return RatioCheck::ZeroTransition;
    }
    let ratio = cur / (prev * g);
    if ratio < p.bounds.0 || ratio > p.bounds.1 {
        let b = p.bounds.1.max(1.0 + 1e-9);
        let suspicion = (ratio.ln().abs() / (2.0 * b.ln())).min(1.0);
        RatioCheck::OutOfBounds { ratio, suspicion }
    } else {
        RatioCheck::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e10_u4_amount() {
        // g = median ratio of the E9 amounts = 1.045641.
        let g = (52000.0 / 50000.0 + 41000.0 / 39000.0) / 2.0;
        assert_eq!(format!("{g:.6}"), "1.045641");
        match check(40000., 410000., g, &RatioBoundsParams::default()) {
            RatioCheck::OutOfBounds { ratio, suspicion } => {
                assert_eq!(format!("{ratio:.4}"), "9.8026");
                assert_eq!(suspicion, 1.0);
            }
            other => panic!("{other:?}"),
        }
        let p = RatioBoundsParams::default();
        assert_eq!(check(8800., 9000., g, &p), RatioCheck::Ok);
        assert_eq!(check(50000., 0., g, &p), RatioCheck::ZeroTransition);
        assert_eq!(check(500., 0., g, &p), RatioCheck::Ok);
    }
}
