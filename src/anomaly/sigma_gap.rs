//! Banff's sigma-gap outlier method on current values (docs/reference/anomaly-methods.md §2.2, Appendix A.3): sort
//! the values, and where a gap between neighbours exceeds β·σ (σ = 1.4826·MAD) beyond the
//! starting percentile, everything past the gap is an outlier. Optional; not run by default.

use serde::{Deserialize, Serialize};

use super::hb::HbStatus;
use super::stats::pct_type6;

/// Sigma-gap parameters (Banff has no defaults for β).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigmaGapParams {
    pub beta_exclusion: f64,
    pub beta_imputation: f64,
    /// Percentile (0–100) where the right-side scan starts; the left side starts at 100 − this.
    pub start_centile: f64,
    pub min_n: usize,
}

impl Default for SigmaGapParams {
    fn default() -> Self {
        SigmaGapParams {
            beta_exclusion: 5.0,
            beta_imputation: 10.0,
            start_centile: 75.0,
            min_n: 5,
        }
    }
}

/// The result: the scale, both gaps and the flagged ids (id order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigmaGapResult {
    pub median: f64,
    pub sigma: f64,
    pub gap_exclusion: f64,
    pub gap_imputation: f64,
    pub flags: Vec<(String, HbStatus)>,
}

/// Runs sigma-gap (side BOTH, σ from the MAD); `None` when there are fewer than `min_n` values.
pub fn run(data: &[(String, f64)], p: &SigmaGapParams) -> Option<SigmaGapResult> {
    let n = data.len();
    if n < p.min_n.max(2) {
        return None;
    }
    let mut order: Vec<&(String, f64)> = data.iter().collect();
    order.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let v: Vec<f64> = order.iter().map(|d| d.1).collect();
    let median = pct_type6(&v, 0.5)?;
    let mut dev: Vec<f64> = v.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let sigma = 1.4826 * pct_type6(&dev, 0.5)?;
    let (ge, gi) = (p.beta_exclusion * sigma, p.beta_imputation * sigma);
    let gap = |i: usize| v[i + 1] - v[i];
    let mut status = vec![HbStatus::Ok; n];

    // Right side: scan upward from the last value at or below the start percentile.
    let sp = pct_type6(&v, p.start_centile / 100.0)?;
    let k = (0..n).filter(|&i| v[i] <= sp).max().unwrap_or(0);
    let imp_idx = (k..n - 1).find(|&i| gap(i) > gi).map_or(n, |i| i + 1);
    let exc_idx = (k..imp_idx.min(n - 1))
        .find(|&i| gap(i) > ge)
        .map_or(n, |i| i + 1);
    for s in status.iter_mut().take(imp_idx).skip(exc_idx) {
        *s = HbStatus::Oder;
    }
    for s in status.iter_mut().skip(imp_idx) {
        *s = HbStatus::Odir;
    }

    // Left side: the mirror image, scanning downward.
    let spl = pct_type6(&v, (100.0 - p.start_centile) / 100.0)?;
    let k = (0..n - 1).find(|&i| v[i] >= spl).unwrap_or(n - 1);
    let imp_l: isize = (1..=k)
        .rev()
        .find(|&i| gap(i - 1) > gi)
        .map_or(-1, |i| i as isize - 1);
    let exc_l: isize = (1..=k)
        .rev()
        .find(|&i| i as isize >= imp_l && gap(i - 1) > ge)
        .map_or(-1, |i| i as isize - 1);
    for i in (imp_l + 1)..=exc_l {
        if let Some(s) = status.get_mut(i as usize) {
            *s = HbStatus::Odel;
        }
    }
    for i in 0..=imp_l {
        if let Some(s) = status.get_mut(i as usize) {
            *s = HbStatus::Odil;
        }
    }
    let mut flags: Vec<(String, HbStatus)> = order
        .iter()
        .zip(&status)
        .filter(|(_, s)| s.is_outlier())
        .map(|(d, s)| (d.0.clone(), *s))
        .collect();
    flags.sort();
    Some(SigmaGapResult {
        median,
        sigma,
        gap_exclusion: ge,
        gap_imputation: gi,
        flags,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sg_10_matches_banff() {
        let x = [12., 15., 9., 14., 11., 13., 48., 10., 16., 95.];
        let data: Vec<(String, f64)> = x
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("T{:02}", i + 1), *v))
            .collect();
        let r = run(&data, &SigmaGapParams::default()).unwrap();
        let r4 = |x: f64| (x * 1e4).round() / 1e4;
        assert_eq!(r.median, 13.5);
        assert_eq!(r4(r.sigma), 3.7065);
        assert_eq!(r4(r.gap_exclusion), 18.5325);
        assert_eq!(r4(r.gap_imputation), 37.065);
        assert_eq!(
            r.flags,
            [
                ("T07".to_string(), HbStatus::Oder),
                ("T10".to_string(), HbStatus::Odir)
            ]
        );
    }

    #[test]
    fn sigma_gap_mirrors_on_the_left() {
        // Negate SG-10: the outliers move to the left side.
        let x = [12., 15., 9., 14., 11., 13., 48., 10., 16., 95.];
        let data: Vec<(String, f64)> = x
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("T{:02}", i + 1), -*v))
            .collect();
        let r = run(&data, &SigmaGapParams::default()).unwrap();
        assert_eq!(
            r.flags,
            [
                ("T07".to_string(), HbStatus::Odel),
                ("T10".to_string(), HbStatus::Odil)
            ]
        );
        assert!(run(&data[..3], &SigmaGapParams::default()).is_none());
    }
}
