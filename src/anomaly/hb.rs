//! Hidiroglou–Berthelot year-on-year test with Banff conventions (docs/reference/anomaly-methods.md §2.1):
//! effects `E`, the exclusion/imputation bounds, per-unit status, the optional absolute floor,
//! the KOSTRA tie rule, and the acceptable interval for the current value (by bisection).

use serde::{Deserialize, Serialize};

use super::stats::{self, Quantile};

/// HB parameters; defaults are the tool's recommendation (§2.1, §3.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HbParams {
    /// Size exponent U (0 ≤ U ≤ 1).
    pub u: f64,
    /// The `A` term protecting against tiny quartile distances.
    pub a: f64,
    /// Exclusion multiplier (Banff `mei`).
    pub c_exclusion: f64,
    /// Imputation multiplier (Banff `mii`), larger than `c_exclusion`.
    pub c_imputation: f64,
    /// Minimum usable units per group; below it HB is not run and the fallback is used.
    pub min_n: usize,
    /// The absolute floor `dmin = A · median(max(x,p)^U)` (extension, not in Banff).
    pub floor: bool,
    /// KOSTRA tie rule: when ≥ 50 % of usable units are unchanged, run on the changed ones only.
    pub drop_ties_if_majority: bool,
    pub quantile: Quantile,
}

impl Default for HbParams {
    fn default() -> Self {
        HbParams {
            u: 0.5,
            a: 0.05,
            c_exclusion: 4.0,
            c_imputation: 7.0,
            min_n: 10,
            floor: true,
            drop_ties_if_majority: true,
            quantile: Quantile::Type6,
        }
    }
}

/// Banff outlier status of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HbStatus {
    /// Below the imputation interval.
    Odil,
    /// Below the exclusion interval only.
    Odel,
    Ok,
    /// Above the exclusion interval only.
    Oder,
    /// Above the imputation interval.
    Odir,
}

impl HbStatus {
    /// Beyond an interval at all.
    pub fn is_outlier(self) -> bool {
        self != HbStatus::Ok
    }

    /// Beyond the imputation interval (the stronger flag).
    pub fn is_imputation(self) -> bool {
        matches!(self, HbStatus::Odil | HbStatus::Odir)
    }

    /// Banff's code, e.g. `ODIR`.
    pub fn code(self) -> &'static str {
        match self {
            HbStatus::Odil => "ODIL",
            HbStatus::Odel => "ODEL",
            HbStatus::Ok => "OK",
            HbStatus::Oder => "ODER",
            HbStatus::Odir => "ODIR",
        }
    }
}

/// Per-unit result for a unit that took part. `I` identifies the unit: a code in the worked
/// cases, the unit's position in the run (no string copies for 10,000 units × 100 indicators).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HbUnit<I = String> {
    pub id: I,
    pub prev: f64,
    pub cur: f64,
    pub ratio: f64,
    pub effect: f64,
    pub status: HbStatus,
}

/// Result of one HB run over a group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HbResult<I = String> {
    /// Median ratio `r_M` (the group trend).
    pub r_m: f64,
    pub q1: f64,
    pub m: f64,
    pub q3: f64,
    /// `dL`, `dR` after the `|A·M|` term and the floor.
    pub d_left: f64,
    pub d_right: f64,
    /// The floor that was applied (0 when `floor = false`).
    pub d_min: f64,
    /// Exclusion interval for E.
    pub exclusion: (f64, f64),
    /// Imputation interval for E.
    pub imputation: (f64, f64),
    /// Units that took part, input order.
    pub units: Vec<HbUnit<I>>,
    /// Units left out, with the reason (`prev<=0`, `cur<=0`, `unchanged (tie rule)`).
    pub excluded: Vec<(I, &'static str)>,
    /// Set when the tie rule dropped unchanged units: (unchanged, usable).
    pub ties_dropped: Option<(usize, usize)>,
    /// The units' effects, ascending (for [`HbResult::single_peer_exclusion`]).
    #[serde(skip)]
    pub sorted_effects: Vec<f64>,
}

impl HbResult<String> {
    /// The unit's row, if it took part.
    pub fn unit(&self, id: &str) -> Option<&HbUnit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// Status by id for the flagged units only, id order.
    pub fn flags(&self) -> Vec<(String, HbStatus)> {
        let mut f: Vec<_> = self
            .units
            .iter()
            .filter(|u| u.status.is_outlier())
            .map(|u| (u.id.clone(), u.status))
            .collect();
        f.sort();
        f
    }
}

impl<I> HbResult<I> {
    /// The exclusion interval that holds whichever single peer is left out of the group: the
    /// union of the intervals computed without the unit of the smallest and without the one of
    /// the largest effect (leaving out any other unit moves the quartiles less). A flag inside
    /// it depends on one other unit's value, e.g. one department's 5 → 0 making fourteen
    /// identical 9 → 27 changes outliers.
    pub fn single_peer_exclusion(&self, params: &HbParams) -> (f64, f64) {
        let es = &self.sorted_effects;
        if es.len() < 4 {
            return self.exclusion;
        }
        let mut lo = self.exclusion.0;
        let mut hi = self.exclusion.1;
        for part in [&es[1..], &es[..es.len() - 1]] {
            let q = params.quantile;
            let (q1, m, q3) = (
                q.of(part, 0.25).unwrap_or(0.0),
                q.of(part, 0.5).unwrap_or(0.0),
                q.of(part, 0.75).unwrap_or(0.0),
            );
            let am = (params.a * m).abs();
            let d_left = (m - q1).max(am).max(self.d_min);
            let d_right = (q3 - m).max(am).max(self.d_min);
            lo = lo.min(m - params.c_exclusion * d_left);
            hi = hi.max(m + params.c_exclusion * d_right);
        }
        (lo, hi)
    }

    /// Acceptable current-value interval for a unit with prior value `prev`, from the given E
    /// interval (usually `self.exclusion`).
    pub fn accept_interval(&self, prev: f64, u: f64, bounds: (f64, f64)) -> (f64, f64) {
        accept_interval(prev, self.r_m, u, bounds)
    }
}

/// Why HB did not run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HbNotRun {
    /// Usable units.
    pub n: usize,
    pub min_n: usize,
    /// Chinese reason, e.g. `n=8 < 10`.
    pub reason: String,
}

/// The HB effect of one unit given the median ratio.
pub fn effect(prev: f64, cur: f64, r_m: f64, u: f64) -> f64 {
    let r = cur / prev;
    let s = if r < r_m {
        1.0 - r_m / r
    } else {
        r / r_m - 1.0
    };
    s * cur.max(prev).powf(u)
}

/// Runs HB on `(id, prev, cur)` triples. Units with a zero or negative year are excluded (they
/// belong to the Poisson/zero-transition rules).
pub fn run<I: Clone>(data: &[(I, f64, f64)], params: &HbParams) -> Result<HbResult<I>, HbNotRun> {
    let mut excluded = Vec::new();
    let mut usable: Vec<&(I, f64, f64)> = Vec::new();
    for d in data {
        if d.1.is_nan() || d.1 <= 0.0 {
            excluded.push((d.0.clone(), "prev<=0"));
        } else if d.2.is_nan() || d.2 <= 0.0 {
            excluded.push((d.0.clone(), "cur<=0"));
        } else {
            usable.push(d);
        }
    }
    let mut ties_dropped = None;
    let unchanged = usable.iter().filter(|d| d.1 == d.2).count();
    if params.drop_ties_if_majority && !usable.is_empty() && 2 * unchanged >= usable.len() {
        ties_dropped = Some((unchanged, usable.len()));
        for d in usable.iter().filter(|d| d.1 == d.2) {
            excluded.push((d.0.clone(), "unchanged (tie rule)"));
        }
        usable.retain(|d| d.1 != d.2);
    }
    let n = usable.len();
    if n < params.min_n.max(3) {
        return Err(HbNotRun {
            n,
            min_n: params.min_n.max(3),
            reason: format!("n={n} < {}", params.min_n.max(3)),
        });
    }
    let q = params.quantile;
    let ratios = stats::sorted(&usable.iter().map(|d| d.2 / d.1).collect::<Vec<_>>());
    let r_m = q.of(&ratios, 0.5).unwrap_or(1.0);
    let effects: Vec<f64> = usable
        .iter()
        .map(|d| effect(d.1, d.2, r_m, params.u))
        .collect();
    let es = stats::sorted(&effects);
    let (q1, m, q3) = (
        q.of(&es, 0.25).unwrap_or(0.0),
        q.of(&es, 0.5).unwrap_or(0.0),
        q.of(&es, 0.75).unwrap_or(0.0),
    );
    let am = (params.a * m).abs();
    let mut d_left = (m - q1).max(am);
    let mut d_right = (q3 - m).max(am);
    let mut d_min = 0.0;
    if params.floor {
        let sizes = stats::sorted(
            &usable
                .iter()
                .map(|d| d.1.max(d.2).powf(params.u))
                .collect::<Vec<_>>(),
        );
        d_min = params.a * q.of(&sizes, 0.5).unwrap_or(0.0);
        d_left = d_left.max(d_min);
        d_right = d_right.max(d_min);
    }
    let exclusion = (
        m - params.c_exclusion * d_left,
        m + params.c_exclusion * d_right,
    );
    let imputation = (
        m - params.c_imputation * d_left,
        m + params.c_imputation * d_right,
    );
    let units = usable
        .iter()
        .zip(&effects)
        .map(|(d, &e)| HbUnit {
            id: d.0.clone(),
            prev: d.1,
            cur: d.2,
            ratio: d.2 / d.1,
            effect: e,
            status: classify(e, m, exclusion, imputation),
        })
        .collect();
    Ok(HbResult {
        r_m,
        q1,
        m,
        q3,
        d_left,
        d_right,
        d_min,
        exclusion,
        imputation,
        units,
        excluded,
        ties_dropped,
        sorted_effects: es,
    })
}

/// Strict inequalities; the imputation interval is checked first (as Banff does).
fn classify(e: f64, m: f64, exc: (f64, f64), imp: (f64, f64)) -> HbStatus {
    if e < imp.0 || e > imp.1 {
        if e < m {
            HbStatus::Odil
        } else {
            HbStatus::Odir
        }
    } else if e < exc.0 || e > exc.1 {
        if e < m {
            HbStatus::Odel
        } else {
            HbStatus::Oder
        }
    } else {
        HbStatus::Ok
    }
}

/// The current values whose E falls inside `bounds`, for a unit with prior `prev`. E is strictly
/// increasing in the current value for 0 ≤ U ≤ 1, so each end is found by bisection.
pub fn accept_interval(prev: f64, r_m: f64, u: f64, bounds: (f64, f64)) -> (f64, f64) {
    let solve = |target: f64| {
        let (mut a, mut b) = (1e-9, prev * 1e6);
        for _ in 0..200 {
            let mid = (a + b) / 2.0;
            if effect(prev, mid, r_m, u) < target {
                a = mid;
            } else {
                b = mid;
            }
            if (b - a) <= 1e-9 * b.abs() {
                break;
            }
        }
        (a + b) / 2.0
    };
    (solve(bounds.0), solve(bounds.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const U8: [&str; 8] = ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8"];
    const P8: [f64; 8] = [120.0, 80.0, 45.0, 300.0, 60.0, 15.0, 200.0, 30.0];
    const C8A: [f64; 8] = [126.0, 84.0, 47.0, 310.0, 180.0, 16.0, 20.0, 33.0];
    const C8B: [f64; 8] = [126.0, 84.0, 47.0, 390.0, 180.0, 16.0, 20.0, 45.0];

    fn data(ids: &[&str], prev: &[f64], cur: &[f64]) -> Vec<(String, f64, f64)> {
        ids.iter()
            .zip(prev.iter().zip(cur))
            .map(|(i, (p, c))| (i.to_string(), *p, *c))
            .collect()
    }

    /// Banff-parity parameters (min_obs=3, no floor, no tie rule).
    fn banff(floor: bool, quantile: Quantile) -> HbParams {
        HbParams {
            min_n: 3,
            floor,
            drop_ties_if_majority: false,
            quantile,
            ..HbParams::default()
        }
    }

    fn r6(x: f64) -> f64 {
        (x * 1e6).round() / 1e6
    }

    fn flags(r: &HbResult) -> Vec<(String, &'static str)> {
        r.flags().into_iter().map(|(i, s)| (i, s.code())).collect()
    }

    fn v10() -> Vec<(String, f64, f64)> {
        let ids: Vec<String> = (1..=10).map(|k| format!("V{k:02}")).collect();
        let idr: Vec<&str> = ids.iter().map(String::as_str).collect();
        data(
            &idr,
            &[40., 25., 60., 12., 90., 33., 50., 20., 0., 70.],
            &[40., 25., 60., 12., 90., 33., 55., 24., 8., 66.],
        )
    }

    #[test]
    fn hb_8a_matches_banff() {
        let r = run(&data(&U8, &P8, &C8A), &banff(false, Quantile::Type6)).unwrap();
        assert_eq!(r6(r.r_m), 1.05);
        assert_eq!(r6(r.q1), -0.222102);
        assert_eq!(r6(r.m), 0.0);
        assert_eq!(r6(r.q3), 0.221036);
        assert_eq!(
            (r6(r.exclusion.0), r6(r.exclusion.1)),
            (-0.888409, 0.884144)
        );
        assert_eq!(
            (r6(r.imputation.0), r6(r.imputation.1)),
            (-1.554716, 1.547252)
        );
        let e: Vec<f64> = r.units.iter().map(|u| r6(u.effect)).collect();
        assert_eq!(
            e,
            [
                0.0,
                0.0,
                -0.036466,
                -0.283981,
                24.916186,
                0.063492,
                -134.350288,
                0.273551
            ]
        );
        assert_eq!(flags(&r), [("U5".into(), "ODIR"), ("U7".into(), "ODIL")]);
        assert!(r.excluded.is_empty());
    }

    #[test]
    fn hb_8a_with_floor() {
        let r = run(&data(&U8, &P8, &C8A), &banff(true, Quantile::Type6)).unwrap();
        assert_eq!(r6(r.d_min), 0.509753);
        assert_eq!(
            (r6(r.exclusion.0), r6(r.exclusion.1)),
            (-2.039012, 2.039012)
        );
        assert_eq!(
            (r6(r.imputation.0), r6(r.imputation.1)),
            (-3.568272, 3.568272)
        );
        assert_eq!(flags(&r), [("U5".into(), "ODIR"), ("U7".into(), "ODIL")]);
    }

    #[test]
    fn hb_8b_type6_masks_u4_and_u8() {
        let r = run(&data(&U8, &P8, &C8B), &banff(false, Quantile::Type6)).unwrap();
        assert_eq!(r6(r.r_m), 1.058333);
        assert_eq!(
            (r6(r.q1), r6(r.m), r6(r.q3)),
            (-0.090646, -0.020622, 4.081983)
        );
        assert_eq!(
            (r6(r.exclusion.0), r6(r.exclusion.1)),
            (-0.300719, 16.389795)
        );
        assert_eq!(
            (r6(r.imputation.0), r6(r.imputation.1)),
            (-0.510792, 28.697608)
        );
        let e: Vec<f64> = r.units.iter().map(|u| r6(u.effect)).collect();
        assert_eq!(
            e,
            [-0.089087, -0.072739, -0.091166, 4.509481, 24.614355, 0.031496, -135.5288, 2.799487]
        );
        assert_eq!(flags(&r), [("U5".into(), "ODER"), ("U7".into(), "ODIL")]);
        let rf = run(&data(&U8, &P8, &C8B), &banff(true, Quantile::Type6)).unwrap();
        assert_eq!(
            (r6(rf.exclusion.0), r6(rf.exclusion.1)),
            (-2.059634, 16.389795)
        );
        assert_eq!(
            (r6(rf.imputation.0), r6(rf.imputation.1)),
            (-3.588893, 28.697608)
        );
        assert_eq!(flags(&rf), [("U5".into(), "ODER"), ("U7".into(), "ODIL")]);
    }

    #[test]
    fn hb_8b_type7_moves_u5_to_imputation() {
        let r = run(&data(&U8, &P8, &C8B), &banff(false, Quantile::Type7)).unwrap();
        let r5 = |x: f64| (x * 1e5).round() / 1e5;
        assert_eq!(r5(r.q3), 3.22699);
        assert_eq!((r5(r.exclusion.0), r5(r.exclusion.1)), (-0.29656, 12.96981));
        assert_eq!(
            (r5(r.imputation.0), r5(r.imputation.1)),
            (-0.50352, 22.71263)
        );
        assert_eq!(flags(&r), [("U5".into(), "ODIR"), ("U7".into(), "ODIL")]);
    }

    #[test]
    fn hb_10t_ties_without_floor_flag_an_artefact() {
        let r = run(&v10(), &banff(false, Quantile::Type6)).unwrap();
        assert_eq!((r6(r.q1), r6(r.m), r6(r.q3)), (0.0, 0.0, 0.37081));
        assert_eq!((r6(r.exclusion.0), r6(r.exclusion.1)), (0.0, 1.48324));
        assert_eq!((r6(r.imputation.0), r6(r.imputation.1)), (0.0, 2.595669));
        assert_eq!(r.excluded, [("V09".to_string(), "prev<=0")]);
        let e: Vec<f64> = r.units.iter().map(|u| r6(u.effect)).collect();
        assert_eq!(
            e,
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.74162, 0.979796, -0.507067]
        );
        assert_eq!(flags(&r), [("V10".into(), "ODIL")]);
    }

    #[test]
    fn hb_10t_floor_removes_the_artefact() {
        let r = run(&v10(), &banff(true, Quantile::Type6)).unwrap();
        assert_eq!((r6(r.exclusion.0), r6(r.exclusion.1)), (-1.264911, 1.48324));
        assert_eq!(
            (r6(r.imputation.0), r6(r.imputation.1)),
            (-2.213594, 2.595669)
        );
        assert!(flags(&r).is_empty());
    }

    #[test]
    fn tie_rule_drops_unchanged_units() {
        let p = HbParams {
            min_n: 3,
            ..HbParams::default()
        };
        let r = run(&v10(), &p).unwrap();
        // 6 of 9 usable units are unchanged: only V07, V08, V10 take part.
        assert_eq!(r.ties_dropped, Some((6, 9)));
        assert_eq!(r.units.len(), 3);
        // With the default min_n = 10 the remaining three are too few.
        let e = run(&v10(), &HbParams::default()).unwrap_err();
        assert_eq!(e.reason, "n=3 < 10");
    }

    #[test]
    fn hb_acceptance_interval() {
        let r = run(&data(&U8, &P8, &C8A), &banff(false, Quantile::Type6)).unwrap();
        let r1 = |x: f64| (x * 10.0).round() / 10.0;
        let iv = |p: f64| {
            let (a, b) = r.accept_interval(p, 0.5, r.exclusion);
            (r1(a), r1(b))
        };
        assert_eq!(iv(60.0), (56.5, 69.7));
        assert_eq!(iv(300.0), (299.6, 330.3));
        assert_eq!(iv(120.0), (116.5, 135.6));
        assert_eq!(iv(15.0), (12.8, 18.9));
        let rf = run(&data(&U8, &P8, &C8A), &banff(true, Quantile::Type6)).unwrap();
        let (a, b) = rf.accept_interval(60.0, 0.5, rf.exclusion);
        assert_eq!((r1(a), r1(b)), (49.9, 77.6));
        let (a, b) = rf.accept_interval(300.0, 0.5, rf.exclusion);
        assert_eq!((r1(a), r1(b)), (281.8, 349.4));
    }

    #[test]
    fn hb_min_n_not_run() {
        let e = run(&data(&U8, &P8, &C8A), &HbParams::default()).unwrap_err();
        assert_eq!(e.n, 8);
        assert_eq!(e.reason, "n=8 < 10");
    }
}
