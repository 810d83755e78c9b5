//! Small statistics shared by the anomaly methods: the two quantile definitions, the median,
//! `ln Γ`, and binomial tail probabilities.
//!
//! Binomial tails run in bounded time and memory for any `n` (an 18-digit ID number typed as a
//! count once made a sum over `√n` terms allocate 200 GB). Up to a window of
//! [`EXACT_MAX_TERMS`] terms (mean ± 40 sd; sd ≈ 125, counts up to the tens of thousands) they
//! are the exact sum, walked outward from the mode with the pmf ratio and no allocation, anchored
//! on Loader's saddle-point pmf (accurate for any `n`, no difference of huge `ln Γ`). Past it they
//! are `Φ` of the continuity-corrected signed root of the deviance, within 1 % of the exact sum
//! out to 6 sd at the crossover (tested) and better beyond. The other methods (HB, sigma-gap,
//! peers, heaping, copies) sort or scan the units once, and their only loops over a value
//! (HB's bisection, heaping's trailing zeros) have fixed caps, so no input can make them slow.
//!
//! One quantile definition (Hyndman–Fan type 6, as Banff/GEIS use it) is the default everywhere;
//! type 7 (R/numpy) exists only because the HB and IQR results depend on the choice and the tests
//! pin the difference (docs/reference/anomaly-methods.md §2.1, §2.5, §5).

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

/// Windows longer than this are not summed: past it (sd ≈ 125, counts in the tens of thousands)
/// the tails come from the signed-root normal approximation, whose relative error there is well
/// under 1 % (the crossover is pinned by a test). Summing stays O(1) per call either way.
const EXACT_MAX_TERMS: u64 = 10_000;

/// `ln(n!) − ln(√(2πn)·(n/e)ⁿ)`, the error of Stirling's formula (Loader 2000). Integer `n`.
fn stirlerr(n: f64) -> f64 {
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 0.0 {
        return 0.0;
    }
    if n <= 15.0 {
        let ln_sqrt_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        return ln_gamma(n + 1.0) - (n + 0.5) * n.ln() + n - ln_sqrt_2pi;
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
}

/// `x·ln(x/m) + m − x` without cancellation when `x ≈ m` (Loader 2000). `x ≥ 0`, `m > 0`.
fn bd0(x: f64, m: f64) -> f64 {
    if x <= 0.0 {
        return m;
    }
    if (x - m).abs() < 0.1 * (x + m) {
        let mut v = (x - m) / (x + m);
        let mut s = (x - m) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        v *= v;
        // |v| < 1/121, so this converges in a handful of steps; the cap only bounds the loop.
        for j in 1..200 {
            ej *= v;
            let s1 = s + ej / f64::from(2 * j + 1);
            if s1 == s {
                return s1;
            }
            s = s1;
        }
        return s;
    }
    x * (x / m).ln() + m - x
}

/// `ln P(X = k)` for `X ~ Binomial(n, p)`, `0 < p < 1`, accurate for any `n` (Loader's
/// saddle-point form: no difference of huge `ln Γ` values).
fn ln_binom_pmf(k: u64, n: u64, p: f64) -> f64 {
    let (kf, nf, q) = (k as f64, n as f64, 1.0 - p);
    if k > n {
        return f64::NEG_INFINITY;
    }
    if k == 0 {
        return if p < 0.1 {
            -bd0(nf, nf * q) - nf * p
        } else {
            nf * q.ln()
        };
    }
    if k == n {
        return if q < 0.1 {
            -bd0(nf, nf * p) - nf * q
        } else {
            nf * p.ln()
        };
    }
    let lc =
        stirlerr(nf) - stirlerr(kf) - stirlerr(nf - kf) - bd0(kf, nf * p) - bd0(nf - kf, nf * q);
    let lf = (2.0 * std::f64::consts::PI).ln() + kf.ln() + (-kf / nf).ln_1p();
    lc - 0.5 * lf
}

/// The range of `j` whose pmf can matter in double precision: mean ± 40 sd (+ 50). Terms
/// outside it are below e^−800.
fn window(n: u64, p: f64) -> (u64, u64) {
    let nf = n as f64;
    let mean = nf * p;
    let half = 40.0 * (nf * p * (1.0 - p)).sqrt() + 50.0;
    let lo = (mean - half).max(0.0) as u64;
    let hi = ((mean + half).min(nf) as u64).min(n);
    (lo, hi)
}

/// `Σ P(X = j)` for `j` in `a..=b` (inside the window, so at most [`EXACT_MAX_TERMS`] terms).
/// The pmf is unimodal: start at the point of `[a, b]` nearest the mode, walk outward with the
/// ratio `P(j+1)/P(j) = (n−j)/(j+1)·p/q`, and stop once a term no longer changes the sum.
/// No allocation, one `ln` evaluation.
fn pmf_sum(a: u64, b: u64, n: u64, p: f64) -> f64 {
    let q = 1.0 - p;
    let mode = (((n as f64) + 1.0) * p).floor() as u64;
    let start = mode.clamp(a, b);
    let (odds, nf) = (p / q, n as f64);
    let mut sum = 1.0;
    let mut t = 1.0;
    for j in start..b {
        t *= (nf - j as f64) / (j as f64 + 1.0) * odds;
        sum += t;
        if t < sum * 1e-18 {
            break;
        }
    }
    t = 1.0;
    for j in (a + 1..=start).rev() {
        t *= j as f64 / (nf - j as f64 + 1.0) / odds;
        sum += t;
        if t < sum * 1e-18 {
            break;
        }
    }
    (ln_binom_pmf(start, n, p).exp() * sum).min(1.0)
}

/// `erfc(x)` with a relative error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit),
/// accurate far into the tail, where `1 − erf` would cancel.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Standard normal CDF.
fn phi(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The signed root of the binomial deviance at `x` (continuity-corrected by the caller):
/// `sign(x − np)·√(2·[x·ln(x/np) + (n−x)·ln((n−x)/nq)])`. `Φ` of it approximates the CDF with a
/// relative error that stays small deep into the tails, unlike `(x − np)/σ`.
fn signed_root(x: f64, n: f64, p: f64) -> f64 {
    let d = bd0(x, n * p) + bd0(n - x, n * (1.0 - p));
    let r = (2.0 * d.max(0.0)).sqrt();
    if x < n * p {
        -r
    } else {
        r
    }
}

/// Whether the window is too long to sum.
fn too_long(lo: u64, hi: u64) -> bool {
    hi - lo >= EXACT_MAX_TERMS
}

/// `P(X ≤ k)` for `X ~ Binomial(n, p)`: exact for windows up to [`EXACT_MAX_TERMS`], the
/// signed-root normal approximation past it. Bounded time and memory for any input.
pub fn binom_cdf(k: u64, n: u64, p: f64) -> f64 {
    if k >= n || p <= 0.0 || p.is_nan() {
        return 1.0;
    }
    if p >= 1.0 {
        return 0.0;
    }
    let (lo, hi) = window(n, p);
    if too_long(lo, hi) {
        return binom_cdf_approx(k, n, p);
    }
    let hi = hi.min(k);
    if lo > hi {
        return 0.0;
    }
    pmf_sum(lo, hi, n, p)
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`; the same two regimes as [`binom_cdf`].
pub fn binom_sf(k: u64, n: u64, p: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    if k == 0 || p >= 1.0 {
        return 1.0;
    }
    if p <= 0.0 || p.is_nan() {
        return 0.0;
    }
    let (lo, hi) = window(n, p);
    if too_long(lo, hi) {
        return binom_sf_approx(k, n, p);
    }
    let lo = lo.max(k);
    if lo > hi {
        return 0.0;
    }
    pmf_sum(lo, hi, n, p)
}

/// `P(X ≤ k) ≈ Φ(r(k + ½))`, `k < n`.
fn binom_cdf_approx(k: u64, n: u64, p: f64) -> f64 {
    phi(signed_root(k as f64 + 0.5, n as f64, p)).clamp(0.0, 1.0)
}

/// `P(X ≥ k) ≈ Φ(−r(k − ½))`, `1 ≤ k ≤ n`.
fn binom_sf_approx(k: u64, n: u64, p: f64) -> f64 {
    phi(-signed_root(k as f64 - 0.5, n as f64, p)).clamp(0.0, 1.0)
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
        // Large counts stay fast and sensible.
        let n = 2_000_000_000;
        assert!((binom_cdf(n / 2, n, 0.5) - 0.5).abs() < 1e-3);
        assert_eq!(binom_sf(n, n, 0.5), 0.0);
        assert_eq!(binom_cdf(0, n, 0.5), 0.0);
    }

    /// The exact sum over the whole window, whatever its length (the reference for the
    /// approximation; only called with windows a test can afford).
    fn exact_cdf(k: u64, n: u64, p: f64) -> f64 {
        let (lo, hi) = window(n, p);
        pmf_sum(lo, hi.min(k), n, p)
    }

    fn exact_sf(k: u64, n: u64, p: f64) -> f64 {
        let (lo, hi) = window(n, p);
        pmf_sum(lo.max(k), hi, n, p)
    }

    #[test]
    fn pmf_matches_the_direct_formula_for_small_n() {
        // C(10,3)·0.3³·0.7⁷ and C(20,0)·0.5²⁰.
        let direct = 120.0 * 0.3f64.powi(3) * 0.7f64.powi(7);
        assert!((ln_binom_pmf(3, 10, 0.3).exp() / direct - 1.0).abs() < 1e-12);
        assert!((ln_binom_pmf(0, 20, 0.5).exp() / 0.5f64.powi(20) - 1.0).abs() < 1e-12);
        assert!((ln_binom_pmf(20, 20, 0.5).exp() / 0.5f64.powi(20) - 1.0).abs() < 1e-12);
        let total: f64 = (0..=30).map(|k| ln_binom_pmf(k, 30, 0.37).exp()).sum();
        assert!((total - 1.0).abs() < 1e-12);
    }

    #[test]
    fn approximation_agrees_with_the_exact_sum_at_the_crossover() {
        // n·p·q just past the point where the window reaches EXACT_MAX_TERMS: both methods
        // apply, and the tail probabilities agree from the centre out to 6 sd (p ≈ 1e-9).
        for (n, p) in [(70_000_u64, 0.5), (160_000, 0.12), (250_000, 0.9)] {
            let (lo, hi) = window(n, p);
            assert!(too_long(lo, hi), "n={n} p={p} is past the crossover");
            let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
            for z in [0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0] {
                let below = (mean - z * sd) as u64;
                let above = (mean + z * sd).ceil() as u64;
                for (exact, approx) in [
                    (exact_cdf(below, n, p), binom_cdf(below, n, p)),
                    (exact_sf(above, n, p), binom_sf(above, n, p)),
                ] {
                    let rel = (approx / exact - 1.0).abs();
                    assert!(rel < 0.01, "n={n} p={p} z={z}: {approx} vs {exact}");
                }
            }
        }
        // Just inside the crossover the exact sum is what is used.
        let (lo, hi) = window(50_000, 0.5);
        assert!(!too_long(lo, hi));
        assert_eq!(
            binom_cdf(24_500, 50_000, 0.5),
            exact_cdf(24_500, 50_000, 0.5)
        );
    }

    #[test]
    fn huge_counts_finish_in_bounded_time_and_memory() {
        // A typed ID number made the old exact sum allocate ~200 GB; every size must now take
        // microseconds and give a probability.
        let started = std::time::Instant::now();
        let sizes: [u64; 7] = [
            1_000_000,
            1_000_000_000,
            1_000_000_000_000,
            1_000_000_000_000_000,
            (1 << 53) + 1,
            411_321_199_001_011_234,
            u64::MAX / 2,
        ];
        for n in sizes {
            for p in [0.5, 0.1, 1e-9, 1.0 - 1e-9] {
                for k in [0, 1, n / 3, n / 2, n - n / 3, n - 1, n] {
                    for v in [binom_cdf(k, n, p), binom_sf(k, n, p)] {
                        assert!((0.0..=1.0).contains(&v), "n={n} p={p} k={k}: {v}");
                    }
                }
                let mean = n as f64 * p;
                if mean > 1e3 && n as f64 - mean > 1e3 {
                    let m = mean as u64;
                    assert!((binom_cdf(m, n, p) - 0.5).abs() < 0.1, "n={n} p={p}");
                }
            }
        }
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }
}
