//! County-level (macro) check (docs/reference/anomaly-methods.md §2.10): when a county total moves by more than
//! `warn_change`, list the units whose own change explains it, with their share of `|Δ|`.

use serde::{Deserialize, Serialize};

/// Parameters (§3.3 defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroParams {
    /// Relative change of the county total that triggers the check.
    pub warn_change: f64,
    /// Minimum prior-year county total.
    pub min_level: f64,
    /// How many contributors to list.
    pub top: usize,
}

impl Default for MacroParams {
    fn default() -> Self {
        MacroParams {
            warn_change: 0.30,
            min_level: 10.0,
            top: 3,
        }
    }
}

/// One unit's contribution to a county change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contributor {
    pub unit: String,
    /// `x − p`.
    pub delta: f64,
    /// `|x − p| / |Δ|`.
    pub share: f64,
}

/// The macro result for one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroResult {
    pub prior_total: f64,
    pub total: f64,
    /// `T1/T0 − 1`.
    pub change: f64,
    pub flagged: bool,
    /// Top contributors by `|x − p|` (unit code breaks ties), only when flagged.
    pub contributors: Vec<Contributor>,
}

/// Runs the check. `units` are `(code, prev, cur)`; `totals` overrides the unit sums when the
/// county totals are known (`(prior, current)`). `None` when the prior total is 0. The codes may
/// be borrowed: the check runs for every indicator over every unit.
pub fn check<S: AsRef<str>>(
    units: &[(S, f64, f64)],
    totals: Option<(f64, f64)>,
    p: &MacroParams,
) -> Option<MacroResult> {
    let (t0, t1) = totals.unwrap_or_else(|| {
        units
            .iter()
            .fold((0.0, 0.0), |(a, b), u| (a + u.1, b + u.2))
    });
    if t0 == 0.0 {
        return None;
    }
    let change = t1 / t0 - 1.0;
    let flagged = change.abs() >= p.warn_change && t0 >= p.min_level;
    let mut contributors = Vec::new();
    let delta = (t1 - t0).abs();
    if flagged && delta > 0.0 {
        let mut all: Vec<&(S, f64, f64)> = units.iter().collect();
        all.sort_by(|a, b| {
            (b.2 - b.1)
                .abs()
                .total_cmp(&(a.2 - a.1).abs())
                .then_with(|| a.0.as_ref().cmp(b.0.as_ref()))
        });
        contributors = all
            .into_iter()
            .take(p.top)
            .map(|u| Contributor {
                unit: u.0.as_ref().to_string(),
                delta: u.2 - u.1,
                share: (u.2 - u.1).abs() / delta,
            })
            .collect();
    }
    Some(MacroResult {
        prior_total: t0,
        total: t1,
        change,
        flagged,
        contributors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e9(col: usize) -> Vec<(String, f64, f64)> {
        let prev = [
            [38., 50000.],
            [30., 8800.],
            [90., 31000.],
            [21., 40000.],
            [6., 3000.],
            [31., 39000.],
        ];
        let cur = [
            [40., 52000.],
            [12., 9000.],
            [95., 30000.],
            [20., 410000.],
            [7., 3500.],
            [33., 41000.],
        ];
        (0..6)
            .map(|i| (format!("U{}", i + 1), prev[i][col], cur[i][col]))
            .collect()
    }

    #[test]
    fn e11_macro() {
        let cases = check(&e9(0), None, &MacroParams::default()).unwrap();
        assert_eq!((cases.prior_total, cases.total), (216.0, 207.0));
        assert_eq!(format!("{:+.1}%", cases.change * 100.0), "-4.2%");
        assert!(!cases.flagged);
        let amount = check(&e9(1), None, &MacroParams::default()).unwrap();
        assert_eq!((amount.prior_total, amount.total), (171800.0, 545500.0));
        assert_eq!(format!("{:+.1}%", amount.change * 100.0), "+217.5%");
        assert!(amount.flagged);
        let c: Vec<(String, f64, String)> = amount
            .contributors
            .iter()
            .map(|c| (c.unit.clone(), c.delta, format!("{:.1}", c.share * 100.0)))
            .collect();
        assert_eq!(
            c,
            [
                ("U4".to_string(), 370000.0, "99.0".to_string()),
                ("U1".to_string(), 2000.0, "0.5".to_string()),
                ("U6".to_string(), 2000.0, "0.5".to_string()),
            ]
        );
    }
}
