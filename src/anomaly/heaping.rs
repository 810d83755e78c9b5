//! Round-number heaping (docs/reference/anomaly-methods.md §2.8; info, or a warning when almost all of a unit's counts are round): among counts ≥ 10 the last digit
//! should be roughly uniform, so a binomial tail tests the share of multiples of 10; amounts are
//! flagged only when "very round" (≥ 3 trailing zeros and at most one significant digit left).

use serde::{Deserialize, Serialize};

use super::stats::binom_sf;

/// Parameters (§3.3 defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeapingParams {
    pub base: u64,
    /// Only counts at or above this take part.
    pub min_value: f64,
    /// Flag when the tail probability is below this.
    pub p_warn: f64,
    /// Report very round amounts (1000000, 2000).
    pub round_amounts: bool,
    /// A unit's heaping is a warning, not info, when at least this share of its counts (of at
    /// least `warn_min_n`) are round: almost nothing was counted, the sheet was estimated.
    #[serde(default = "default_warn_share")]
    pub warn_share: f64,
    #[serde(default = "default_warn_min_n")]
    pub warn_min_n: u64,
}

fn default_warn_share() -> f64 {
    0.9
}

fn default_warn_min_n() -> u64 {
    8
}

impl HeapingTest {
    /// Whether a unit's heaping is a warning (see [`HeapingParams::warn_share`]).
    pub fn is_warning(&self, p: &HeapingParams) -> bool {
        self.n >= p.warn_min_n && (self.k as f64) >= p.warn_share * self.n as f64
    }
}

impl Default for HeapingParams {
    fn default() -> Self {
        HeapingParams {
            base: 10,
            min_value: 10.0,
            p_warn: 0.001,
            round_amounts: true,
            warn_share: default_warn_share(),
            warn_min_n: default_warn_min_n(),
        }
    }
}

/// The heaping test over a set of counts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeapingTest {
    /// Values ≥ `min_value`.
    pub n: u64,
    /// Of those, multiples of `base`.
    pub k: u64,
    /// `P(X ≥ k)`, `X ~ Binomial(n, 1/base)`.
    pub p: f64,
    pub flagged: bool,
}

/// Tests a set of counts; `None` when no value reaches `min_value`.
pub fn test(values: &[f64], p: &HeapingParams) -> Option<HeapingTest> {
    let base = p.base.max(2);
    let eligible: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| *v >= p.min_value && v.fract() == 0.0)
        .collect();
    let n = eligible.len() as u64;
    if n == 0 {
        return None;
    }
    let k = eligible
        .iter()
        .filter(|v| (**v as u64).is_multiple_of(base))
        .count() as u64;
    let pv = binom_sf(k, n, 1.0 / base as f64);
    Some(HeapingTest {
        n,
        k,
        p: pv,
        flagged: pv < p.p_warn,
    })
}

/// `(trailing zeros, digits)` of the integer part of an amount; `None` for non-integers.
pub fn roundness(x: f64) -> Option<(u32, u32)> {
    if x.fract() != 0.0 || !x.is_finite() || x.abs() >= 1e18 {
        return None;
    }
    let mut v = x.abs() as u64;
    let digits = v.to_string().len() as u32;
    let mut t = 0;
    while v != 0 && v.is_multiple_of(10) {
        v /= 10;
        t += 1;
    }
    Some((t, digits))
}

/// A "very round" amount: `t ≥ 3` and `t ≥ digits − 1`.
pub fn very_round(x: f64) -> bool {
    roundness(x).is_some_and(|(t, d)| t >= 3 && t + 1 >= d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e8_field_and_unit_level() {
        // 12 of 20 values ≥ 10 are multiples of 10.
        let mut field: Vec<f64> = vec![
            10., 20., 30., 40., 50., 60., 70., 80., 90., 100., 110., 120.,
        ];
        field.extend([11., 13., 17., 23., 29., 31., 37., 41.]);
        field.extend([1., 2., 5.]); // below min_value: ignored
        let t = test(&field, &HeapingParams::default()).unwrap();
        assert_eq!((t.k, t.n), (12, 20));
        assert_eq!(format!("{:.2e}", t.p), "5.81e-8");
        assert!(t.flagged);
        let unit = [20., 50., 100., 30., 60., 70., 13.];
        let t = test(&unit, &HeapingParams::default()).unwrap();
        assert_eq!((t.k, t.n), (6, 7));
        assert_eq!(format!("{:.1e}", t.p), "6.4e-6");
        assert!(t.flagged);
        assert!(test(&[1., 2.], &HeapingParams::default()).is_none());
    }

    #[test]
    fn e8_round_amounts() {
        assert_eq!(roundness(1_000_000.), Some((6, 7)));
        assert!(very_round(1_000_000.));
        assert_eq!(roundness(350_000.), Some((4, 6)));
        assert!(!very_round(350_000.));
        assert_eq!(roundness(348_500.), Some((2, 6)));
        assert!(!very_round(348_500.));
        assert_eq!(roundness(2_000.), Some((3, 4)));
        assert!(very_round(2_000.));
        assert_eq!(roundness(123_457.), Some((0, 6)));
        assert!(!very_round(123_457.));
        assert!(!very_round(2_000.5));
    }
}
