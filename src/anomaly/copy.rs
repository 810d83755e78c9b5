//! Copy-from-last-year (`copy_prev`) and identical submissions from two units
//! (`duplicate_units`), docs/reference/anomaly-methods.md §2.7. Both compare two value vectors over the same
//! fields, looking only at cells that are non-zero in either vector.

use serde::{Deserialize, Serialize};

/// `copy_prev` parameters (§3.3 defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyParams {
    /// Minimum cells non-zero in either year.
    pub min_nonzero: usize,
    /// Minimum share of those cells that are identical.
    pub share: f64,
    /// Minimum identical cells with a value ≥ `nontrivial_value` (1, 2, 3 are weak evidence).
    pub min_nontrivial: usize,
    pub nontrivial_value: f64,
}

impl Default for CopyParams {
    fn default() -> Self {
        CopyParams {
            min_nonzero: 5,
            share: 0.8,
            min_nontrivial: 3,
            nontrivial_value: 10.0,
        }
    }
}

/// `duplicate_units` parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateParams {
    /// Minimum non-zero cells for two identical vectors to count as a duplicate.
    pub min_nonzero: usize,
}

impl Default for DuplicateParams {
    fn default() -> Self {
        DuplicateParams { min_nonzero: 3 }
    }
}

/// The comparison of two vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    /// Cells non-zero in either vector.
    pub nonzero: usize,
    /// Of those, cells with equal values.
    pub identical: usize,
    /// Identical cells with a value ≥ the non-trivial threshold.
    pub nontrivial: usize,
}

impl Comparison {
    pub fn share(&self) -> f64 {
        if self.nonzero == 0 {
            0.0
        } else {
            self.identical as f64 / self.nonzero as f64
        }
    }
}

/// Compares two vectors cell by cell; pairs with a missing side are skipped.
pub fn compare(a: &[Option<f64>], b: &[Option<f64>], nontrivial_value: f64) -> Comparison {
    let mut c = Comparison {
        nonzero: 0,
        identical: 0,
        nontrivial: 0,
    };
    for (x, y) in a.iter().zip(b) {
        let (Some(x), Some(y)) = (x, y) else {
            continue;
        };
        if *x == 0.0 && *y == 0.0 {
            continue;
        }
        c.nonzero += 1;
        if (x - y).abs() <= 1e-9 {
            c.identical += 1;
            if *x >= nontrivial_value {
                c.nontrivial += 1;
            }
        }
    }
    c
}

/// `copy_prev` verdict for a unit's current vs prior vector.
pub fn is_copy(c: &Comparison, p: &CopyParams) -> bool {
    c.nonzero >= p.min_nonzero && c.share() >= p.share && c.nontrivial >= p.min_nontrivial
}

/// `duplicate_units` verdict for two units in the same year.
pub fn is_duplicate(c: &Comparison, p: &DuplicateParams) -> bool {
    c.nonzero >= p.min_nonzero && c.identical == c.nonzero
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[f64]) -> Vec<Option<f64>> {
        x.iter().map(|a| Some(*a)).collect()
    }

    #[test]
    fn e7_copy_and_duplicate() {
        let prev_a = v(&[12., 3., 0., 45., 7., 0., 150000., 2., 1., 0., 9., 4.]);
        let cur_a = v(&[12., 3., 0., 45., 7., 0., 150000., 2., 1., 0., 9., 5.]);
        let prev_b = v(&[13., 2., 0., 48., 6., 1., 150000., 2., 1., 0., 8., 3.]);
        let cur_b = v(&[14., 2., 0., 51., 6., 1., 162000., 2., 1., 0., 8., 4.]);
        let cur_c = cur_b.clone();
        let a = compare(&cur_a, &prev_a, 10.0);
        assert_eq!((a.identical, a.nonzero, a.nontrivial), (8, 9, 3));
        assert_eq!(format!("{:.3}", a.share()), "0.889");
        assert!(is_copy(&a, &CopyParams::default()));
        let b = compare(&cur_b, &prev_b, 10.0);
        assert_eq!((b.identical, b.nonzero, b.nontrivial), (6, 10, 0));
        assert!(!is_copy(&b, &CopyParams::default()));
        let c = compare(&cur_c, &cur_b, 10.0);
        assert_eq!((c.identical, c.nonzero, c.nontrivial), (10, 10, 3));
        assert!(is_duplicate(&c, &DuplicateParams::default()));
        assert!(!is_duplicate(
            &compare(&cur_a, &cur_b, 10.0),
            &DuplicateParams::default()
        ));
    }
}
