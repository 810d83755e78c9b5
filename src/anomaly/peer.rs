//! Peer comparison among units of one kind (docs/reference/anomaly-methods.md §2.5): the modified z-score
//! (Iglewicz & Hoaglin) on the log scale of a size-free quantity, with the MeanAD fallback when
//! more than half the values are equal, plus Tukey fences for reference. Mean/SD z-scores are
//! deliberately absent: with n ≤ 10 they cannot exceed 3.

use serde::{Deserialize, Serialize};

use super::stats::{median, sorted, Quantile};
use crate::diagnostic::Severity;

/// Parameters (§3.3 defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerParams {
    /// Flag when `|M|` exceeds this.
    pub threshold: f64,
    /// Minimum group size.
    pub min_n: usize,
    /// Compare on the log scale (only positive values take part).
    pub log: bool,
    /// Severity of a peer finding (info: size-free quantities still differ for real reasons).
    pub severity: Severity,
}

impl Default for PeerParams {
    fn default() -> Self {
        PeerParams {
            threshold: 3.5,
            min_n: 8,
            log: true,
            severity: Severity::Info,
        }
    }
}

/// How the scale was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scale {
    /// `0.6745·(x − med)/MAD`.
    Mad,
    /// MAD = 0: `(x − med)/(1.253314·MeanAD)`.
    MeanAd,
}

/// Modified z-scores of a sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModifiedZ {
    pub median: f64,
    pub mad: f64,
    pub scale: Scale,
    pub scores: Vec<f64>,
}

/// Modified z-scores; `None` when the scale is undefined (all values equal) or the sample empty.
pub fn modified_z(values: &[f64]) -> Option<ModifiedZ> {
    let med = median(values)?;
    let dev: Vec<f64> = values.iter().map(|x| (x - med).abs()).collect();
    let mad = median(&dev)?;
    if mad > 0.0 {
        let scores = values.iter().map(|x| 0.6745 * (x - med) / mad).collect();
        return Some(ModifiedZ {
            median: med,
            mad,
            scale: Scale::Mad,
            scores,
        });
    }
    let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
    if mean_ad == 0.0 {
        return None;
    }
    let scores = values
        .iter()
        .map(|x| (x - med) / (1.253_314 * mean_ad))
        .collect();
    Some(ModifiedZ {
        median: med,
        mad,
        scale: Scale::MeanAd,
        scores,
    })
}

/// Indices with `|M| > threshold`.
pub fn flagged(z: &ModifiedZ, threshold: f64) -> Vec<usize> {
    (0..z.scores.len())
        .filter(|&i| z.scores.get(i).is_some_and(|s| s.abs() > threshold))
        .collect()
}

/// Suspicion for ranking: `min(1, |M|/(2·threshold))` (§4).
pub fn suspicion(m: f64, threshold: f64) -> f64 {
    (m.abs() / (2.0 * threshold)).min(1.0)
}

/// Tukey fences `[Q1 − k·IQR, Q3 + k·IQR]` and the values outside them.
pub fn tukey(values: &[f64], k: f64, q: Quantile) -> Option<((f64, f64), Vec<f64>)> {
    let s = sorted(values);
    let (q1, q3) = (q.of(&s, 0.25)?, q.of(&s, 0.75)?);
    let iqr = q3 - q1;
    let fences = (q1 - k * iqr, q3 + k * iqr);
    let out = s
        .iter()
        .copied()
        .filter(|x| *x < fences.0 || *x > fences.1)
        .collect();
    Some((fences, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r2(v: &[f64]) -> Vec<f64> {
        v.iter().map(|x| (x * 100.0).round() / 100.0).collect()
    }

    const A: [f64; 9] = [820., 760., 905., 1010., 690., 880., 12500., 950., 840.];

    #[test]
    fn e2_a_average_fine() {
        let z = modified_z(&A).unwrap();
        assert_eq!((z.median, z.mad, z.scale), (880.0, 70.0, Scale::Mad));
        assert_eq!(
            r2(&z.scores),
            [-0.58, -1.16, 0.24, 1.25, -1.83, 0.0, 111.97, 0.67, -0.39]
        );
        assert_eq!(flagged(&z, 3.5), [6]);
        let logs: Vec<f64> = A.iter().map(|x| x.ln()).collect();
        let z = modified_z(&logs).unwrap();
        assert_eq!(
            r2(&z.scores),
            [-0.62, -1.29, 0.25, 1.21, -2.14, 0.0, 23.38, 0.67, -0.41]
        );
        assert_eq!(flagged(&z, 3.5), [6]);
    }

    #[test]
    fn e2_b_and_c_zeros() {
        let z = modified_z(&[0., 0., 0., 0., 1., 2., 3., 40.]).unwrap();
        assert_eq!((z.median, z.mad, z.scale), (0.5, 0.5, Scale::Mad));
        assert_eq!(
            r2(&z.scores),
            [-0.67, -0.67, -0.67, -0.67, 0.67, 2.02, 3.37, 53.29]
        );
        assert_eq!(flagged(&z, 3.5), [7]);
        let z = modified_z(&[0., 0., 0., 0., 0., 2., 3., 40.]).unwrap();
        assert_eq!((z.median, z.mad, z.scale), (0.0, 0.0, Scale::MeanAd));
        assert_eq!(r2(&z.scores), [0.0, 0.0, 0.0, 0.0, 0.0, 0.28, 0.43, 5.67]);
        assert_eq!(flagged(&z, 3.5), [7]);
        assert!(modified_z(&[5., 5., 5.]).is_none());
    }

    #[test]
    fn e3_fences_depend_on_quantile() {
        let v = [3., 5., 6., 7., 8., 9., 11., 16.];
        let (f6, out6) = tukey(&v, 1.5, Quantile::Type6).unwrap();
        assert_eq!(f6, (-2.625, 18.375));
        assert!(out6.is_empty());
        let (f7, out7) = tukey(&v, 1.5, Quantile::Type7).unwrap();
        assert_eq!(f7, (0.125, 15.125));
        assert_eq!(out7, [16.0]);
    }
}
