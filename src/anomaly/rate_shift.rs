//! A proportion that jumps from one year to the next while its denominator stays put: the
//! numerator was typed against the wrong base, pushed towards its denominator, or taken from
//! another row (docs/anomaly-ranking.md, "Missing signals").
//!
//! The count checks (A01/A02) judge the numerator by itself, and at 24 → 39 a count is within
//! Poisson chance. The denominator is evidence they do not use: 22 of 40 last year and 39 of
//! 40 this year is far beyond binomial chance. The test works on the logit scale, where a
//! proportion's year-on-year change has a known chance spread:
//!
//! - `Δ = logit(p₂) − logit(p₁)` with the +½ correction (`p = (x + ½)/(n + 1)`), so 0 of n and
//!   n of n stay finite;
//! - its binomial variance `v = Σ 1/(x + ½) + 1/(n − x + ½)` over both years;
//! - the kind's median change `m` and robust spread `s` (1.4826 × MAD, floored): units whose
//!   rates really move together (a campaign, a new counting rule) move the median, and a kind
//!   whose rates wander widely has a wide spread;
//! - `z = (Δ − m) / √max(v, s²)`: a unit is judged by its own chance noise or by the kind's
//!   spread, whichever is wider.
//!
//! The ½ correction makes `z` cautious at the boundary (22 of 40 → 39 of 40 is z ≈ 3.4), so
//! chance is also judged exactly: Fisher's test of the two years' 2 × 2 table (two-sided,
//! twice the smaller tail), which knows nothing of the kind's trend but needs no
//! approximation. A warning needs `|z| ≥ warn_z`, Fisher's `p < warn_p` (under pure binomial
//! noise about one pair in 10,000: a 48-unit county has a few hundred pairs), a change of at
//! least `warn_points` (20 percentage points) against the kind's expected rate, and a
//! denominator that moved by less than `steady_den` (×1.5): the pattern of a numerator typed
//! wrong. Otherwise `|z| ≥ info_z`, `p < info_p` and at least `info_points` is info. Proportions only (rates shown in percent, numerator ≤ denominator),
//! denominators of at least `min_den` in both years, and kinds of at least `min_units` such
//! units.

use serde::{Deserialize, Serialize};

use super::stats;
use crate::diagnostic::Severity;

/// Parameters; the defaults are the ones measured in docs/anomaly-ranking.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateShiftParams {
    /// Both years' denominators at least this.
    pub min_den: f64,
    /// Units of one kind with usable pairs; fewer and the kind has no reliable median.
    pub min_units: usize,
    pub warn_z: f64,
    /// Fisher's exact p of the two years' table.
    pub warn_p: f64,
    /// Percentage points, as a fraction (0.2 = 20 points).
    pub warn_points: f64,
    pub info_z: f64,
    pub info_p: f64,
    pub info_points: f64,
    /// A warning needs the denominator within this factor of last year's.
    pub steady_den: f64,
    /// Floor of the kind's spread of logit changes.
    pub min_spread: f64,
}

impl Default for RateShiftParams {
    fn default() -> Self {
        RateShiftParams {
            min_den: 10.0,
            min_units: 5,
            warn_z: 3.0,
            warn_p: 1e-4,
            warn_points: 0.2,
            info_z: 3.0,
            info_p: 1e-3,
            info_points: 0.1,
            steady_den: 1.5,
            min_spread: 0.1,
        }
    }
}

/// One unit's numerator and denominator in both years.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    pub x1: f64,
    pub n1: f64,
    pub x2: f64,
    pub n2: f64,
}

impl Pair {
    /// Usable: a proportion in both years with a denominator of at least `min_den`.
    fn usable(&self, min_den: f64) -> bool {
        [(self.x1, self.n1), (self.x2, self.n2)]
            .iter()
            .all(|&(x, n)| n >= min_den && (0.0..=n).contains(&x))
    }

    fn delta(&self) -> f64 {
        logit(self.x2, self.n2) - logit(self.x1, self.n1)
    }

    /// One year's binomial variance of the logit, at last year's counts.
    fn variance_before(&self) -> f64 {
        1.0 / (self.x1 + 0.5) + 1.0 / (self.n1 - self.x1 + 0.5)
    }

    fn variance(&self) -> f64 {
        let v = |x: f64, n: f64| 1.0 / (x + 0.5) + 1.0 / (n - x + 0.5);
        v(self.x1, self.n1) + v(self.x2, self.n2)
    }
}

fn logit(x: f64, n: f64) -> f64 {
    ((x + 0.5) / (n - x + 0.5)).ln()
}

fn logistic(l: f64) -> f64 {
    1.0 / (1.0 + (-l).exp())
}

/// A unit whose rate moved beyond chance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    /// Index into the pairs passed in.
    pub index: usize,
    pub severity: Severity,
    pub z: f64,
    /// The rate this year's denominator would have had at the kind's usual change.
    pub expected: f64,
    /// Fisher's exact p (two-sided) of the two years' table.
    pub p: f64,
    /// This year's rate minus `expected` (a fraction: 0.425 = 42.5 points).
    pub points: f64,
    /// The kind's median change, in points, at this unit's rate of last year.
    pub typical_points: f64,
    /// The rates within `info_z` of the expectation, at the chance spread last year's counts
    /// give both years (or the kind's spread): the 合理范围.
    pub range: (f64, f64),
}

/// The shifts among one kind's `pairs` (`None` entries are units without both years).
pub fn assess(pairs: &[Option<Pair>], p: &RateShiftParams) -> Vec<Shift> {
    let usable: Vec<(usize, Pair)> = pairs
        .iter()
        .enumerate()
        .filter_map(|(i, q)| q.filter(|q| q.usable(p.min_den)).map(|q| (i, q)))
        .collect();
    if usable.len() < p.min_units {
        return Vec::new();
    }
    let deltas: Vec<f64> = usable.iter().map(|(_, q)| q.delta()).collect();
    let Some(m) = stats::median(&deltas) else {
        return Vec::new();
    };
    let dev: Vec<f64> = deltas.iter().map(|d| (d - m).abs()).collect();
    let s = (1.4826 * stats::median(&dev).unwrap_or(0.0)).max(p.min_spread);
    usable
        .iter()
        .zip(&deltas)
        .filter_map(|(&(index, q), &d)| {
            let sd = q.variance().max(s * s).sqrt();
            let z = (d - m) / sd;
            let before = logit(q.x1, q.n1);
            let expected = logistic(before + m);
            let points = q.x2 / q.n2 - expected;
            let steady = (q.n2 / q.n1).max(q.n1 / q.n2) < p.steady_den;
            if z.abs() < p.warn_z.min(p.info_z) {
                return None;
            }
            let fisher = fisher(&q);
            let severity = if z.abs() >= p.warn_z
                && fisher < p.warn_p
                && points.abs() >= p.warn_points
                && steady
            {
                Severity::Warning
            } else if z.abs() >= p.info_z && fisher < p.info_p && points.abs() >= p.info_points {
                Severity::Info
            } else {
                return None;
            };
            Some(Shift {
                index,
                severity,
                z,
                p: fisher,
                expected,
                points,
                typical_points: expected - logistic(before),
                range: {
                    let w = p.info_z * (2.0 * q.variance_before()).max(s * s).sqrt();
                    (logistic(before + m - w), logistic(before + m + w))
                },
            })
        })
        .collect()
}

/// Fisher's exact test of `x1` of `n1` against `x2` of `n2` (two-sided: twice the smaller
/// hypergeometric tail of `x2`, at most 1). Counts are rounded; the tail has at most `n2` terms.
pub fn fisher(q: &Pair) -> f64 {
    let r = |v: f64| v.round().max(0.0);
    let (x1, n1, x2, n2) = (r(q.x1), r(q.n1), r(q.x2), r(q.n2));
    let (k, n) = (x1 + x2, n1 + n2);
    let ln_choose = |a: f64, b: f64| {
        stats::ln_gamma(a + 1.0) - stats::ln_gamma(b + 1.0) - stats::ln_gamma(a - b + 1.0)
    };
    let (lo, hi) = ((k - n1).max(0.0), k.min(n2));
    let whole = ln_choose(n, n2);
    let pmf = |j: f64| (ln_choose(k, j) + ln_choose(n - k, n2 - j) - whole).exp();
    let tail = |from: f64, to: f64| {
        let mut s = 0.0;
        let mut j = from;
        while j <= to {
            s += pmf(j);
            j += 1.0;
        }
        s
    };
    (2.0 * tail(x2, hi).min(tail(lo, x2))).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(x1: f64, n1: f64, x2: f64, n2: f64) -> Option<Pair> {
        Some(Pair { x1, n1, x2, n2 })
    }

    /// Ten departments whose share of 涉企 inspections wanders a little around 50 %.
    fn steady_kind() -> Vec<Option<Pair>> {
        [
            (20., 40., 21., 41.),
            (30., 60., 28., 58.),
            (12., 25., 13., 27.),
            (45., 90., 47., 88.),
            (10., 22., 9., 21.),
            (25., 50., 27., 52.),
            (18., 35., 16., 34.),
            (33., 64., 35., 66.),
            (14., 30., 15., 29.),
            (40., 80., 38., 79.),
        ]
        .iter()
        .map(|&(a, b, c, d)| pair(a, b, c, d))
        .collect()
    }

    #[test]
    fn a_numerator_pushed_to_its_denominator_is_a_warning() {
        let mut k = steady_kind();
        k.push(pair(22., 40., 39., 40.));
        let s = assess(&k, &RateShiftParams::default());
        assert_eq!(s.len(), 1, "{s:?}");
        let s = s[0];
        assert_eq!((s.index, s.severity), (10, Severity::Warning));
        assert!(s.z > 3.0 && s.p < 1e-4 && s.points > 0.4, "{s:?}");
        // The 合理范围 comes from last year's base: roughly 26–83 %, not the boundary's width.
        assert!(s.range.0 > 0.2 && s.range.1 < 0.9, "{s:?}");
        assert!((s.expected - 0.55).abs() < 0.03, "{s:?}");
    }

    #[test]
    fn ordinary_wandering_and_small_bases_are_not_flagged() {
        assert!(assess(&steady_kind(), &RateShiftParams::default()).is_empty());
        let mut k = steady_kind();
        // 2 of 8 → 7 of 8: a large change, but the base is under 10 cases.
        k.push(pair(2., 8., 7., 8.));
        assert!(assess(&k, &RateShiftParams::default()).is_empty());
    }

    #[test]
    fn a_moving_denominator_is_at_most_info() {
        let mut k = steady_kind();
        // The base tripled as well: a real change of scope as likely as a slip.
        k.push(pair(22., 40., 118., 120.));
        let s = assess(&k, &RateShiftParams::default());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].severity, Severity::Info);
    }

    #[test]
    fn a_kind_that_moves_together_moves_the_expectation() {
        // Every unit's share rose by about 30 points (a campaign): none stands out.
        let k: Vec<Option<Pair>> = (0..8)
            .map(|i| pair(10. + i as f64, 40., 22. + i as f64, 40.))
            .collect();
        assert!(assess(&k, &RateShiftParams::default()).is_empty());
    }

    /// Pure binomial noise: 4,000 units whose true rate (20–80 %) does not change, 10–80 cases
    /// a year. A warning is at most one in 2,000 units, an info one in 200.
    #[test]
    fn binomial_noise_gives_almost_no_findings() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let draw = |n: f64, p: f64, u: &mut dyn FnMut() -> f64| {
            (0..n as usize).filter(|_| u() < p).count() as f64
        };
        let mut pairs = Vec::new();
        for _ in 0..4000 {
            let rate = 0.2 + 0.6 * uniform();
            let (n1, n2) = (
                (10.0 + 70.0 * uniform()).round(),
                (10.0 + 70.0 * uniform()).round(),
            );
            let x1 = draw(n1, rate, &mut uniform);
            let x2 = draw(n2, rate, &mut uniform);
            pairs.push(pair(x1, n1, x2, n2));
        }
        let s = assess(&pairs, &RateShiftParams::default());
        let warnings = s.iter().filter(|s| s.severity == Severity::Warning).count();
        assert!(warnings <= 2, "{warnings} warnings");
        assert!(s.len() <= 20, "{} findings", s.len());
    }

    #[test]
    fn fisher_matches_r() {
        // R: fisher.test(matrix(c(22, 18, 39, 1), 2))$p.value = 1.5e-05 (2 × one tail here).
        let p = fisher(&Pair {
            x1: 22.,
            n1: 40.,
            x2: 39.,
            n2: 40.,
        });
        assert!((1e-6..3e-5).contains(&p), "{p}");
        let p = fisher(&Pair {
            x1: 20.,
            n1: 40.,
            x2: 21.,
            n2: 40.,
        });
        assert_eq!(p, 1.0);
    }

    #[test]
    fn too_few_units_give_no_verdict() {
        let k = vec![pair(22., 40., 39., 40.), pair(20., 40., 21., 40.)];
        assert!(assess(&k, &RateShiftParams::default()).is_empty());
    }
}
