//! Reported rate versus its counts (docs/reference/anomaly-methods.md §2.6): a rate typed by the unit must agree
//! with numerator/denominator to one unit of its last decimal; a rate typed as a fraction is a
//! warning; a rate reported with no cases should be blank.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Severity;

/// Parameters (§3.3 defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateParams {
    /// Tolerance in units of the last decimal (1 accepts rounding and truncation; 0.5 rounding only).
    pub tolerance_units: f64,
    /// Recognise a rate typed as a fraction (0.857 for 85.7 %).
    pub detect_fraction: bool,
}

impl Default for RateParams {
    fn default() -> Self {
        RateParams {
            tolerance_units: 1.0,
            detect_fraction: true,
        }
    }
}

/// Outcome of the check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RateCheck {
    /// Numerator or denominator missing.
    Na,
    Pass,
    /// A count is negative.
    Negative,
    /// Numerator exceeds denominator.
    NumAboveDen,
    /// Denominator 0 but a rate was reported.
    ReportedWithoutCases,
    /// Denominator > 0 but no rate.
    Blank,
    /// The rate equals the computed one divided by 100.
    Fraction {
        computed: f64,
    },
    /// Disagrees; `imbalance` = reported − computed.
    Mismatch {
        computed: f64,
        imbalance: f64,
    },
}

impl RateCheck {
    /// Severity of a failing outcome; `None` for pass/NA.
    pub fn severity(self) -> Option<Severity> {
        match self {
            RateCheck::Na | RateCheck::Pass => None,
            RateCheck::ReportedWithoutCases | RateCheck::Fraction { .. } => Some(Severity::Warning),
            _ => Some(Severity::Error),
        }
    }
}

/// Checks a reported rate (in percent, `dec` decimals) against its counts.
pub fn check(
    num: Option<f64>,
    den: Option<f64>,
    rate: Option<f64>,
    dec: u8,
    p: &RateParams,
) -> RateCheck {
    let (Some(num), Some(den)) = (num, den) else {
        return RateCheck::Na;
    };
    let tol = p.tolerance_units * 10f64.powi(-i32::from(dec)) + 1e-9;
    if num < 0.0 || den < 0.0 {
        return RateCheck::Negative;
    }
    if num > den {
        return RateCheck::NumAboveDen;
    }
    if den == 0.0 {
        return match rate {
            None => RateCheck::Pass,
            Some(_) => RateCheck::ReportedWithoutCases,
        };
    }
    let Some(rate) = rate else {
        return RateCheck::Blank;
    };
    let computed = 100.0 * num / den;
    if (rate - computed).abs() <= tol {
        RateCheck::Pass
    } else if p.detect_fraction && (100.0 * rate - computed).abs() <= tol {
        RateCheck::Fraction { computed }
    } else {
        RateCheck::Mismatch {
            computed,
            imbalance: rate - computed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e6_rows() {
        let p = RateParams::default();
        let c = |n: f64, d: f64, r: Option<f64>, dec: u8| check(Some(n), Some(d), r, dec, &p);
        assert_eq!(c(6., 7., Some(85.7), 1), RateCheck::Pass);
        assert_eq!(c(6., 7., Some(86.), 0), RateCheck::Pass);
        assert_eq!(c(6., 7., Some(85.8), 1), RateCheck::Pass);
        match c(6., 7., Some(90.), 0) {
            RateCheck::Mismatch {
                computed,
                imbalance,
            } => {
                assert_eq!(format!("{computed:.3}"), "85.714");
                assert_eq!(format!("{imbalance:+.3}"), "+4.286");
            }
            other => panic!("{other:?}"),
        }
        match c(6., 7., Some(0.857), 1) {
            RateCheck::Fraction { computed } => assert_eq!(format!("{computed:.3}"), "85.714"),
            other => panic!("{other:?}"),
        }
        assert_eq!(c(0., 0., None, 1), RateCheck::Pass);
        assert_eq!(c(0., 0., Some(0.), 1), RateCheck::ReportedWithoutCases);
        assert_eq!(c(0., 0., Some(100.), 1), RateCheck::ReportedWithoutCases);
        assert_eq!(c(8., 7., Some(114.3), 1), RateCheck::NumAboveDen);
        assert_eq!(c(5., 5., None, 1), RateCheck::Blank);
        assert_eq!(check(None, Some(5.), Some(1.), 1, &p), RateCheck::Na);
        assert_eq!(c(-1., 5., Some(1.), 1), RateCheck::Negative);
        assert_eq!(RateCheck::Blank.severity(), Some(Severity::Error));
        assert_eq!(
            RateCheck::ReportedWithoutCases.severity(),
            Some(Severity::Warning)
        );
    }
}
