//! Small statistics shared by the anomaly methods: the two quantile definitions, the median,
//! `ln Γ`, and binomial tail probabilities computed in log space.
//!
//! One quantile definition (Hyndman–Fan type 6, as Banff/GEIS use it) is the default everywhere;
//! type 7 (R/numpy) exists only because the HB and IQR results depend on the choice and the tests
//! pin the difference (anomaly-methods §2.1, §2.5, §5).

use serde::{Deserialize, Serialize};

/// Which sample-quantile definition to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantile {
    /// Hyndman–Fan type 6 (Banff/GEIS percentile): position `p·(n+1)`.
    #[default]
    Type6,
    /// Hyndman–Fan type 7 (R and numpy default): position `1 + p·(n−1)`.
    Type7,
}

impl Quantile {
    /// The `p`-quantile (`p` in [0, 1]) of an ascending slice; `None` when empty.
    pub fn of(self, sorted: &[f64], p: f64) -> Option<f64> {
        match self {
            Quantile::Type6 => pct_type6(sorted, p),
            Quantile::Type7 => pct_type7(sorted, p),
        }
    }
}

/// Banff's percentile (type 6) of an ascending slice, `p` in [0, 1].
pub fn pct_type6(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    let first = *sorted.first()?;
    let last = *sorted.last()?;
    let t = p * (n as f64 + 1.0);
    let w = t.floor();
    let d = t - w;
    if w < 1.0 {
        return Some(first);
    }
    let w = w as usize;
    if w >= n {
        return Some(last);
    }
    let lo = *sorted.get(w - 1)?;
    let hi = *sorted.get(w)?;
    Some((1.0 - d) * lo + d * hi)
}

/// R's default quantile (type 7) of an ascending slice, `p` in [0, 1].
pub fn pct_type7(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n as f64 - 1.0) * p;
    let lo = h.floor() as usize;
    let a = *sorted.get(lo)?;
    let b = *sorted.get((lo + 1).min(n - 1))?;
    Some(a + (h - lo as f64) * (b - a))
}

/// Sorts a copy ascending (NaN-free input assumed; NaNs sort last and never panic).
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// The ordinary median (equal to the type-6 50 % point); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    pct_type6(&sorted(values), 0.5)
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; relative error about 1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps the series in its accurate range.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `ln P(X = k)` for `X ~ Binomial(n, p)`.
fn ln_binom_pmf(k: u64, n: u64, p: f64) -> f64 {
    let (kf, nf) = (k as f64, n as f64);
    let ln_choose = ln_gamma(nf + 1.0) - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0);
    let a = if k == 0 { 0.0 } else { kf * p.ln() };
    let b = if k == n {
        0.0
    } else {
        (nf - kf) * (1.0 - p).ln()
    };
    ln_choose + a + b
}

/// `Σ exp(terms)` without overflow (log-sum-exp).
fn sum_exp(terms: impl Iterator<Item = f64>) -> f64 {
    let terms: Vec<f64> = terms.collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return 0.0;
    }
    max.exp() * terms.iter().map(|t| (t - max).exp()).sum::<f64>()
}

/// The range of `j` whose pmf can matter in double precision: mean ± 40 sd (+ 50). Terms
/// outside it are below e^−800, so summing only this window keeps big counts fast and exact.
fn window(n: u64, p: f64) -> (u64, u64) {
    let nf = n as f64;
    let mean = nf * p;
    let half = 40.0 * (nf * p * (1.0 - p)).sqrt() + 50.0;
    let lo = (mean - half).max(0.0) as u64;
    let hi = ((mean + half).min(nf) as u64).min(n);
    (lo, hi)
}

/// `P(X ≤ k)` for `X ~ Binomial(n, p)`.
pub fn binom_cdf(k: u64, n: u64, p: f64) -> f64 {
    let (lo, hi) = window(n, p);
    let hi = hi.min(k);
    if lo > hi {
        return if k >= n { 1.0 } else { 0.0 };
    }
    sum_exp((lo..=hi).map(|j| ln_binom_pmf(j, n, p))).min(1.0)
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`.
pub fn binom_sf(k: u64, n: u64, p: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    let (lo, hi) = window(n, p);
    let lo = lo.max(k);
    if lo > hi {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    sum_exp((lo..=hi).map(|j| ln_binom_pmf(j, n, p))).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type6_and_type7_differ_on_eight_values() {
        // E3: [3,5,6,7,8,9,11,16]
        let v = [3.0, 5.0, 6.0, 7.0, 8.0, 9.0, 11.0, 16.0];
        assert_eq!(pct_type6(&v, 0.25), Some(5.25));
        assert_eq!(pct_type6(&v, 0.75), Some(10.5));
        assert_eq!(pct_type7(&v, 0.25), Some(5.75));
        assert_eq!(pct_type7(&v, 0.75), Some(9.5));
        assert_eq!(pct_type6(&[], 0.5), None);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        assert!((ln_gamma(1.0)).abs() < 1e-12);
        assert!((ln_gamma(11.0) - 3_628_800f64.ln()).abs() < 1e-10);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
    }

    #[test]
    fn binomial_tails_are_complementary() {
        let lo = binom_cdf(3, 10, 0.3);
        let hi = binom_sf(4, 10, 0.3);
        assert!((lo + hi - 1.0).abs() < 1e-12);
        assert!((binom_sf(0, 5, 0.5) - 1.0).abs() < 1e-12);
        assert_eq!(binom_sf(6, 5, 0.5), 0.0);
        // Large counts stay fast and sensible (only the window around the mode is summed).
        let n = 2_000_000_000;
        assert!((binom_cdf(n / 2, n, 0.5) - 0.5).abs() < 1e-3);
        assert_eq!(binom_sf(n, n, 0.5), 0.0);
        assert_eq!(binom_cdf(0, n, 0.5), 0.0);
    }
}
