//! Exact conditional test of two Poisson counts for year-on-year change of small counts
//! (docs/reference/anomaly-methods.md §2.3): given `N = prev + cur`, `cur ~ Binomial(N, g/(1+g))` where `g` is the
//! county trend; a finding needs both a small p-value and a large effect
//! `|ln((cur+0.5)/(prev+0.5)) − ln g| ≥ ln(min_effect)`, because real counts are overdispersed.

use serde::{Deserialize, Serialize};

use super::stats::{binom_cdf, binom_sf};
use crate::diagnostic::Severity;

/// Poisson test parameters (§3.3 defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoissonParams {
    /// Warning when p is below this.
    pub p_warn: f64,
    /// Info when p is below this.
    pub p_info: f64,
    /// Minimum ratio (after trend) for any finding; 2.0 means "at least doubled or halved".
    pub min_effect: f64,
}

impl Default for PoissonParams {
    fn default() -> Self {
        PoissonParams {
            p_warn: 0.001,
            p_info: 0.01,
            min_effect: 2.0,
        }
    }
}

/// Outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoissonTest {
    /// Two-sided p-value.
    pub p: f64,
    /// Log effect after the trend.
    pub effect: f64,
    /// Severity of the finding, `None` when nothing is flagged.
    pub verdict: Option<Severity>,
}

/// Two-sided p-value `min(1, 2·min(P(X ≤ cur), P(X ≥ cur)))`; `None` when both years are 0.
pub fn p_value(prev: u64, cur: u64, g: f64) -> Option<f64> {
    let n = prev.checked_add(cur)?;
    if n == 0 || g <= 0.0 || !g.is_finite() {
        return None;
    }
    let pi = g / (1.0 + g);
    let lower = binom_cdf(cur, n, pi);
    let upper = binom_sf(cur, n, pi);
    Some((2.0 * lower.min(upper)).min(1.0))
}

/// `ln((cur+0.5)/(prev+0.5)) − ln g`.
pub fn log_effect(prev: f64, cur: f64, g: f64) -> f64 {
    ((cur + 0.5) / (prev + 0.5)).ln() - g.ln()
}

/// Runs the test with its gates. Counts are rounded to whole numbers (they are validated as
/// integers upstream); negative values are not tested.
pub fn test(prev: f64, cur: f64, g: f64, params: &PoissonParams) -> Option<PoissonTest> {
    if prev < 0.0 || cur < 0.0 || !prev.is_finite() || !cur.is_finite() {
        return None;
    }
    let p = p_value(prev.round() as u64, cur.round() as u64, g)?;
    let effect = log_effect(prev, cur, g);
    let big = effect.abs() >= params.min_effect.ln();
    let verdict = if big && p < params.p_warn {
        Some(Severity::Warning)
    } else if big && p < params.p_info {
        Some(Severity::Info)
    } else {
        None
    };
    Some(PoissonTest { p, effect, verdict })
}

/// [`test`] for callers that keep flagged results only: `Some` exactly when `test` gives a
/// verdict. The effect gate is checked first, so the p-value (a sum over the binomial
/// distribution) is only computed for the changes large enough to be flagged: most are not,
/// and at province scale this test runs a million times.
pub fn flag(prev: f64, cur: f64, g: f64, params: &PoissonParams) -> Option<PoissonTest> {
    // A NaN effect (bad input) is not below the gate; `test` then rejects the input itself.
    if log_effect(prev, cur, g).abs() < params.min_effect.ln() {
        return None;
    }
    test(prev, cur, g, params).filter(|t| t.verdict.is_some())
}

/// Suspicion for ranking: `min(1, −log10(p)/6)` (§4).
pub fn suspicion(p: f64) -> f64 {
    (-p.max(1e-300).log10() / 6.0).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig3(x: f64) -> String {
        format!("{:.2e}", x)
    }

    #[test]
    fn e4_rows() {
        let rows: [(f64, f64, &str, f64, bool); 9] = [
            (2., 6., "2.89e-1", 0.956, false),
            (0., 5., "6.25e-2", 2.398, false),
            (0., 12., "4.88e-4", 3.219, true),
            (10., 40., "2.39e-5", 1.350, true),
            (120., 150., "7.74e-2", 0.222, false),
            (1000., 1100., "3.07e-2", 0.095, false),
            (35., 0., "5.82e-11", -4.263, true),
            (8., 8., "1.00e0", 0.0, false),
            (3., 0., "2.50e-1", -1.946, false),
        ];
        for (prev, cur, p, eff, flag) in rows {
            let t = test(prev, cur, 1.0, &PoissonParams::default()).unwrap();
            assert_eq!(sig3(t.p), p, "p for ({prev},{cur})");
            assert_eq!(
                (t.effect * 1000.0).round() / 1000.0,
                eff,
                "eff ({prev},{cur})"
            );
            assert_eq!(t.verdict == Some(Severity::Warning), flag, "({prev},{cur})");
        }
    }

    #[test]
    fn flag_keeps_exactly_the_flagged_tests() {
        let params = PoissonParams::default();
        let counts = [
            0.0,
            1.0,
            2.0,
            3.0,
            5.0,
            8.0,
            12.0,
            35.0,
            40.0,
            150.0,
            -1.0,
            f64::NAN,
        ];
        for g in [1.0, 1.25, 0.5, 0.0, f64::INFINITY] {
            for prev in counts {
                for cur in counts {
                    let full = test(prev, cur, g, &params).filter(|t| t.verdict.is_some());
                    let quick = flag(prev, cur, g, &params);
                    assert_eq!(
                        quick.map(|t| (t.p, t.verdict)),
                        full.map(|t| (t.p, t.verdict)),
                        "({prev}, {cur}, g={g})"
                    );
                }
            }
        }
        assert!(
            flag(0.0, 12.0, 1.0, &params).is_some(),
            "E4: 0 → 12 is flagged"
        );
    }

    #[test]
    fn e4_with_county_trend() {
        let t = test(120., 150., 1.25, &PoissonParams::default()).unwrap();
        assert_eq!(t.p, 1.0);
        let t = test(10., 40., 1.25, &PoissonParams::default()).unwrap();
        assert_eq!(sig3(t.p), "5.36e-4");
        assert_eq!(t.verdict, Some(Severity::Warning));
        assert!(test(0., 0., 1.0, &PoissonParams::default()).is_none());
    }

    #[test]
    fn e10_u2_is_info() {
        // E10: U2 cases 30 → 12 with g = median ratio 1.0541 → p = 0.0047, eff = −0.94, info.
        let g = (40.0 / 38.0 + 95.0 / 90.0) / 2.0;
        let t = test(30., 12., g, &PoissonParams::default()).unwrap();
        assert_eq!((t.p * 1e4).round() / 1e4, 0.0047);
        assert_eq!((t.effect * 100.0).round() / 100.0, -0.94);
        assert_eq!(t.verdict, Some(Severity::Info));
        assert_eq!((suspicion(t.p) * 1000.0).round() / 1000.0, 0.388);
    }

    #[test]
    fn huge_and_degenerate_counts_give_a_probability_quickly() {
        // Issue #12: an ID number typed as a count aborted the run allocating ~200 GB.
        let started = std::time::Instant::now();
        let params = PoissonParams::default();
        let sizes: [u64; 6] = [
            1_000_000,
            1_000_000_000,
            1_000_000_000_000,
            1_000_000_000_000_000,
            (1 << 53) + 1,
            411_321_199_001_011_234,
        ];
        for n in sizes {
            for (prev, cur) in [(n, n), (n, n + n / 1000), (n / 2, n), (7, n), (n, 0)] {
                for g in [1.0, 1.25, 0.5] {
                    let p = p_value(prev, cur, g).unwrap();
                    assert!((0.0..=1.0).contains(&p), "({prev},{cur},g={g}): {p}");
                }
            }
            // Equal years at trend 1 are no evidence of change; a doubling is overwhelming.
            assert!(p_value(n, n, 1.0).unwrap() > 0.9, "n={n}");
            assert!(p_value(n, 2 * n, 1.0).unwrap() < 1e-12, "n={n}");
            let t = test(n as f64, 3.0 * n as f64, 1.0, &params).unwrap();
            assert_eq!(t.verdict, Some(Severity::Warning), "n={n}");
        }
        // Sums past u64 are not tested; f64::MAX, tiny and zero neither hang nor panic.
        assert_eq!(p_value(u64::MAX, 1, 1.0), None);
        assert!(test(f64::MAX, f64::MAX, 1.0, &params).is_none());
        assert!(test(f64::MAX, 3.0, 1.0, &params).is_none());
        let t = test(1e-300, 5.0, 1.0, &params).unwrap();
        assert!((t.p - 0.0625).abs() < 1e-12, "{t:?}");
        assert!(test(0.0, 0.0, 1.0, &params).is_none());
        assert!(test(5.0, 5.0, f64::MIN_POSITIVE, &params).is_some_and(|t| t.p <= 1.0));
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn the_switch_to_the_approximation_does_not_move_the_verdicts() {
        // Counts straddling the crossover (window of EXACT_MAX_TERMS): verdict and p-value
        // change smoothly with the count.
        let params = PoissonParams::default();
        let mut last: Option<f64> = None;
        for prev in (28_000..36_000).step_by(500) {
            let cur = prev * 3;
            let t = test(prev as f64, cur as f64, 1.0, &params).unwrap();
            assert_eq!(t.verdict, Some(Severity::Warning));
            let t = test(prev as f64, prev as f64 + 150.0, 1.0, &params).unwrap();
            assert_eq!(t.verdict, None);
            if let Some(p) = last {
                assert!((t.p / p - 1.0f64).abs() < 0.05, "{prev}: {} after {p}", t.p);
            }
            last = Some(t.p);
        }
    }
}
