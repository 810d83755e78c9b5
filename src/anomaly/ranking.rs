//! Ranking (docs/reference/anomaly-methods.md §4): anticipated values `x̂ = prev·g` (or the kind median without
//! history), the SeleMix local score `|x − x̂|/T̂` as impact, `score = suspicion × impact`, a
//! unit's priority as its worst finding, and SeleMix's `sel.edit` cut-off.

use serde::{Deserialize, Serialize};

/// Impact: the share of the anticipated county total that changes if the value is wrong.
/// `T̂ = 0` falls back to `max(1, Σx)` (passed as `fallback_total`).
pub fn impact(x: f64, x_hat: f64, total_hat: f64, fallback_total: f64) -> f64 {
    let t = if total_hat > 0.0 {
        total_hat
    } else {
        fallback_total.max(1.0)
    };
    (x - x_hat).abs() / t
}

/// Result of SeleMix's selective-editing cut-off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelEdit {
    /// Local scores per unit and variable.
    pub local: Vec<Vec<f64>>,
    /// Global score per unit (max of local).
    pub global: Vec<f64>,
    /// Unit indices by descending global score (index breaks ties).
    pub order: Vec<usize>,
    /// Units that must be reviewed, ascending index.
    pub selected: Vec<usize>,
}

/// SeleMix `sel.edit` with w = 1: local score `|y − ŷ|/tot(ŷ)`, global = max; sort ascending by
/// global and accumulate the signed errors; from the first position where any variable's
/// `|cumsum| > t` upward, units are selected.
pub fn sel_edit(y: &[Vec<f64>], ypred: &[Vec<f64>], t: f64) -> SelEdit {
    let vars = y.first().map_or(0, Vec::len);
    let tot: Vec<f64> = (0..vars)
        .map(|j| ypred.iter().filter_map(|r| r.get(j)).sum())
        .collect();
    let err: Vec<Vec<f64>> = y
        .iter()
        .zip(ypred)
        .map(|(yr, pr)| {
            yr.iter()
                .zip(pr)
                .zip(&tot)
                .map(|((a, b), t)| if *t != 0.0 { (a - b) / t } else { 0.0 })
                .collect()
        })
        .collect();
    let local: Vec<Vec<f64>> = err
        .iter()
        .map(|r| r.iter().map(|e| e.abs()).collect())
        .collect();
    let global: Vec<f64> = local
        .iter()
        .map(|r| r.iter().copied().fold(0.0, f64::max))
        .collect();
    // `err`, `local` and `global` have one row per unit present in both inputs.
    let n = global.len();
    let gl = |i: usize| global.get(i).copied().unwrap_or(0.0);
    let mut asc: Vec<usize> = (0..n).collect();
    asc.sort_by(|&a, &b| gl(a).total_cmp(&gl(b)).then(a.cmp(&b)));
    let mut cum = vec![0.0; vars];
    let mut first = None;
    for (pos, &i) in asc.iter().enumerate() {
        for (c, e) in cum.iter_mut().zip(err.get(i).into_iter().flatten()) {
            *c += e;
        }
        if first.is_none() && cum.iter().any(|c: &f64| c.abs() > t) {
            first = Some(pos);
        }
    }
    let mut selected: Vec<usize> =
        first.map_or(Vec::new(), |f| asc.get(f..).unwrap_or(&[]).to_vec());
    selected.sort_unstable();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| gl(b).total_cmp(&gl(a)).then(a.cmp(&b)));
    SelEdit {
        local,
        global,
        order,
        selected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::stats::median;

    #[test]
    fn e9_selemix_ordering() {
        let y = vec![
            vec![40., 52000.],
            vec![12., 9000.],
            vec![95., 30000.],
            vec![20., 410000.],
            vec![7., 3500.],
            vec![33., 41000.],
        ];
        let prev = vec![
            vec![38., 50000.],
            vec![30., 8800.],
            vec![90., 31000.],
            vec![21., 40000.],
            vec![6., 3000.],
            vec![31., 39000.],
        ];
        let g: Vec<f64> = (0..2)
            .map(|j| {
                let r: Vec<f64> = y.iter().zip(&prev).map(|(a, b)| a[j] / b[j]).collect();
                median(&r).unwrap()
            })
            .collect();
        assert_eq!(format!("{:.4} {:.4}", g[0], g[1]), "1.0541 1.0456");
        let ypred: Vec<Vec<f64>> = prev
            .iter()
            .map(|r| r.iter().zip(&g).map(|(p, g)| p * g).collect())
            .collect();
        let s = sel_edit(&y, &ypred, 0.01);
        let names: Vec<String> = s.order.iter().map(|i| format!("U{}", i + 1)).collect();
        assert_eq!(names, ["U4", "U2", "U3", "U5", "U1", "U6"]);
        let sel: Vec<String> = s.selected.iter().map(|i| format!("U{}", i + 1)).collect();
        assert_eq!(sel, ["U2", "U3", "U4"]);
        let g4: Vec<String> = s.local[3].iter().map(|v| format!("{v:.4}")).collect();
        assert_eq!(g4, ["0.0094", "2.0495"]);
        assert_eq!(format!("{:.4}", s.global[1]), "0.0862");
        assert_eq!(format!("{:.4}", s.global[2]), "0.0134");
        assert_eq!(format!("{:.4}", s.global[5]), "0.0014");
    }

    #[test]
    fn impact_falls_back_when_total_is_zero() {
        assert_eq!(impact(5.0, 0.0, 0.0, 0.0), 5.0);
        assert_eq!(impact(5.0, 0.0, 0.0, 10.0), 0.5);
        assert_eq!(impact(5.0, 3.0, 4.0, 10.0), 0.5);
    }
}
