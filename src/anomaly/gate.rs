//! Routing and severity gates of the year-on-year checks: which unit × indicator pairs get a
//! per-unit test at all, which of them HB sees, how large a change must be before an HB outlier
//! becomes a finding, and how breakdown findings fold into the finding on their total.
//!
//! The methods themselves (HB, Poisson, ratio bounds) stay exactly as in docs/reference/anomaly-methods.md §2;
//! these gates decide what their flags *mean* for a reviewer:
//!
//! * **Singleton kinds.** A per-unit YoY test compares a unit's change with the trend of its
//!   kind. A kind with fewer than [`YoyGates::min_kind_units`] units (the county office, the
//!   court) has no trend but its own: its change *is* the county's change, which the macro
//!   check A09 reports (info) with the unit as the main contributor. Unit slips (A03) still run
//!   there, since they need no trend.
//! * **HB only for values of reasonable size.** With `U = 0.5` a count going 1 → 3 already has
//!   `E = 3.5`; in a homogeneous group that is beyond the exclusion bound, although a Poisson
//!   count of 1 or 3 is pure chance. §2.3 recommends the exact Poisson test for small counts and
//!   zeros: counts with `max(prev, cur) <` [`YoyGates::hb_min_count`] still form the HB group
//!   (Banff's group is every unit with both years > 0, so `r_M`, the quartiles and the `n` of
//!   HB-min are unchanged) but their verdict is A02's, whose effect gate and p thresholds
//!   control that noise.
//! * **Effect gate for HB.** With `U = 0.5`, E grows with `√size`, so the biggest units are
//!   flagged for a −8 % change (the same overdispersion argument that gives A02 its ×2 gate).
//!   An HB outlier is a warning only when the change, after the group trend `r_M`, is at least
//!   [`YoyGates::hb_warn_ratio`] (×2 or ÷2, as A02 and the ratio bounds); between
//!   [`YoyGates::hb_info_ratio`] and that it is info; below it the finding is dropped. ODE and
//!   ODI keep their suspicion (0.6 / 0.9, §4). An ODE flag with a ×2 change stays a warning on
//!   purpose: one large legitimate change masks the others (HB-8b), so ODE is where a second
//!   real jump lands.
//! * **Breakdowns fold into their total.** When a unit's breakdown sub-field (an indicator with
//!   a `parent`, e.g. 处罚种类：罚款 under 行政处罚决定数) moves the same way as its total and
//!   the total already has a YoY finding at least as severe, the sub-field's finding is merged
//!   into the total's message: it is the same story, and one row per story keeps the other
//!   units' findings visible in the top of the list.
//! * **Robust to a single peer.** HB's quartiles move when one unit crosses them, so one
//!   department's 5 → 0 could turn fourteen other departments' identical 9 → 27 from nothing
//!   into warnings. An HB outlier is reported only when it lies outside the exclusion interval
//!   computed without whichever single peer moves the quartiles most (the unit of the smallest
//!   or of the largest effect): [`YoyGates::single_peer`].
//! * **Counts beyond chance.** An HB warning on a count needs the exact Poisson test too
//!   (`p < ` the A02 warning level, trend `r_M`), else it is info: a noisy small count going
//!   9 → 27 (×3, p ≈ 0.003) is flagged by HB in hundreds of clean units of a province
//!   ([`YoyGates::hb_count_poisson`]).
//! * **County changes beyond chance.** The macro check A09 (§2.10) flags a county total that
//!   moved by 30 %; for a count, 10 → 13 is +30 % and pure chance. A county count is reported
//!   only when the exact Poisson test of `prior → total` (§2.3, trend 1) gives
//!   `p <` [`YoyGates::county_count_p`] (0.01, the A02 info level); amounts are unchanged.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{fmt_num, Finding};
use crate::codes::Code;
use crate::diagnostic::Severity;
use crate::schema::Indicator;

/// Routing and severity gates of the YoY checks (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct YoyGates {
    /// Unit kinds with fewer units than this get no per-unit YoY test (A01, A02, A11).
    pub min_kind_units: usize,
    /// A count gets its verdict from HB only when `max(prev, cur)` reaches this; smaller ones
    /// get it from A02.
    pub hb_min_count: f64,
    /// An HB outlier is a warning when its trend-adjusted ratio is at least this (or at most
    /// its inverse).
    pub hb_warn_ratio: f64,
    /// An HB outlier below the warning ratio is info when it reaches this, else dropped.
    pub hb_info_ratio: f64,
    /// Fold breakdown findings into the finding on their total.
    pub fold_breakdowns: bool,
    /// A09 on a count needs the county change to be beyond chance: the exact Poisson p-value
    /// of `prior → total` (trend 1) below this; 1 turns the gate off.
    pub county_count_p: f64,
    /// An HB outlier must lie outside the exclusion interval whichever single peer is left out
    /// ([`super::hb::HbResult::single_peer_exclusion`]): a flag no single other unit can make.
    pub single_peer: bool,
    /// An HB warning on a count also needs the exact Poisson test (trend `r_M`) below
    /// `poisson.p_warn`, else it is info.
    pub hb_count_poisson: bool,
}

impl Default for YoyGates {
    fn default() -> Self {
        YoyGates {
            min_kind_units: 2,
            hb_min_count: 20.0,
            hb_warn_ratio: 2.0,
            hb_info_ratio: 1.5,
            fold_breakdowns: true,
            county_count_p: 0.01,
            single_peer: true,
            hb_count_poisson: true,
        }
    }
}

impl YoyGates {
    /// Severity of an HB outlier with ratio `r = cur/prev` in a group with median ratio `r_m`;
    /// `None` when the change is too small to report.
    pub fn hb_severity(&self, r: f64, r_m: f64) -> Option<Severity> {
        if !(r > 0.0 && r_m > 0.0 && r.is_finite() && r_m.is_finite()) {
            return None;
        }
        let effect = (r / r_m).ln().abs();
        if effect >= self.hb_warn_ratio.ln() {
            Some(Severity::Warning)
        } else if effect >= self.hb_info_ratio.ln() {
            Some(Severity::Info)
        } else {
            None
        }
    }

    /// Whether a count pair is large enough for HB (amounts always are).
    pub fn hb_sized(&self, is_count: bool, prev: f64, cur: f64) -> bool {
        !is_count || prev.max(cur) >= self.hb_min_count
    }
}

/// The YoY codes whose findings fold (trend tests, not unit slips).
const FOLDING: [Code; 3] = [Code::A01, Code::A02, Code::A11];

/// Direction of a YoY finding: +1 up, −1 down, 0 unknown or unchanged.
fn direction(f: &Finding) -> i8 {
    match (f.value, f.prior) {
        (Some(x), Some(p)) if x > p => 1,
        (Some(x), Some(p)) if x < p => -1,
        _ => 0,
    }
}

/// Merges breakdown findings into the finding on their total (same unit, same direction, the
/// total's finding at least as severe); the total's message names the folded parts.
pub fn fold_breakdowns(out: &mut Vec<Finding>, indicators: &[Indicator]) {
    let parent: BTreeMap<&str, &str> = indicators
        .iter()
        .filter_map(|i| Some((i.code.as_str(), i.parent.as_deref()?)))
        .collect();
    let names: BTreeMap<&str, &str> = indicators
        .iter()
        .map(|i| (i.code.as_str(), i.name.as_str()))
        .collect();
    let is_yoy = |f: &Finding| FOLDING.contains(&f.code) && f.unit.is_some();
    // (child index, parent index) pairs.
    let mut merges: Vec<(usize, usize)> = Vec::new();
    for (ci, c) in out.iter().enumerate().filter(|(_, f)| is_yoy(f)) {
        let Some(p_code) = c.indicator.as_deref().and_then(|i| parent.get(i)) else {
            continue;
        };
        let dir = direction(c);
        let target = out.iter().position(|p| {
            is_yoy(p)
                && p.unit == c.unit
                && p.indicator.as_deref() == Some(*p_code)
                && dir != 0
                && direction(p) == dir
                && p.severity <= c.severity
        });
        if let Some(pi) = target {
            merges.push((ci, pi));
        }
    }
    if merges.is_empty() {
        return;
    }
    let mut parts: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (ci, pi) in &merges {
        let Some(c) = out.get(*ci) else { continue };
        let code = c.indicator.as_deref().unwrap_or_default();
        let name = names.get(code).copied().unwrap_or(code);
        let name = name.rsplit('：').next().unwrap_or(name);
        parts.entry(*pi).or_default().push(format!(
            "{name}{}→{}",
            c.prior.map_or("—".into(), fmt_num),
            c.value.map_or("—".into(), fmt_num)
        ));
    }
    for (pi, list) in parts {
        if let Some(p) = out.get_mut(pi) {
            p.message
                .push_str(&format!("；分项同步变化：{}", list.join("、")));
        }
    }
    let drop: Vec<usize> = merges.iter().map(|m| m.0).collect();
    let mut i = 0;
    out.retain(|_| {
        let keep = !drop.contains(&i);
        i += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hb_severity_follows_the_trend_adjusted_change() {
        let g = YoyGates::default();
        assert_eq!(g.hb_severity(2.85, 1.0), Some(Severity::Warning));
        assert_eq!(g.hb_severity(0.33, 1.0), Some(Severity::Warning));
        assert_eq!(g.hb_severity(1.6, 1.0), Some(Severity::Info));
        // −8 % at a big unit: not worth a row.
        assert_eq!(g.hb_severity(0.92, 1.0), None);
        // Against a county trend of ×1.5, ×2.9 is only ×1.93.
        assert_eq!(g.hb_severity(2.9, 1.5), Some(Severity::Info));
        assert_eq!(g.hb_severity(0.0, 1.0), None);
    }

    #[test]
    fn small_counts_leave_hb() {
        let g = YoyGates::default();
        assert!(!g.hb_sized(true, 3.0, 5.0));
        assert!(g.hb_sized(true, 12.0, 20.0));
        assert!(g.hb_sized(false, 3.0, 5.0));
    }

    fn finding(code: Code, sev: Severity, unit: &str, ind: &str, p: f64, x: f64) -> Finding {
        let mut f = Finding::new(code, sev, format!("{ind}变化"));
        f.unit = Some(unit.into());
        f.indicator = Some(ind.into());
        f.prior = Some(p);
        f.value = Some(x);
        f
    }

    fn ind(code: &str, name: &str, parent: Option<&str>) -> Indicator {
        Indicator {
            code: code.into(),
            name: name.into(),
            unit: "宗".into(),
            value_type: crate::schema::ValueType::Count,
            section: "ZF".into(),
            reporters: vec![],
            aggregation: crate::schema::Aggregation::Sum,
            parent: parent.map(Into::into),
            hint: None,
            max: None,
        }
    }

    #[test]
    fn breakdowns_fold_into_their_total() {
        let inds = [
            ind("ZF06", "行政处罚决定数", None),
            ind("ZF06A", "处罚种类：警告", Some("ZF06")),
            ind("ZF06B", "处罚种类：罚款", Some("ZF06")),
        ];
        let w = Severity::Warning;
        let mut out = vec![
            finding(Code::A01, w, "D09", "ZF06B", 113.0, 322.0),
            finding(Code::A01, w, "D09", "ZF06", 151.0, 430.0),
            finding(Code::A01, w, "D09", "ZF06A", 22.0, 62.0),
            // Another unit's breakdown, and one moving the other way: both stay.
            finding(Code::A01, w, "D01", "ZF06B", 100.0, 300.0),
            finding(Code::A02, w, "D02", "ZF06B", 30.0, 5.0),
            finding(Code::A01, Severity::Info, "D02", "ZF06", 30.0, 70.0),
            // A unit slip never folds.
            finding(Code::A03, w, "D09", "ZF06A", 22.0, 62.0),
        ];
        fold_breakdowns(&mut out, &inds);
        let keys: Vec<(Code, &str, &str)> = out
            .iter()
            .map(|f| {
                (
                    f.code,
                    f.unit.as_deref().unwrap_or(""),
                    f.indicator.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                (Code::A01, "D09", "ZF06"),
                (Code::A01, "D01", "ZF06B"),
                (Code::A02, "D02", "ZF06B"),
                (Code::A01, "D02", "ZF06"),
                (Code::A03, "D09", "ZF06A"),
            ]
        );
        assert_eq!(
            out[0].message,
            "ZF06变化；分项同步变化：罚款113→322、警告22→62"
        );
    }

    #[test]
    fn a_warning_does_not_fold_into_an_info() {
        let inds = [
            ind("ZF06", "行政处罚决定数", None),
            ind("ZF06B", "处罚种类：罚款", Some("ZF06")),
        ];
        let mut out = vec![
            finding(Code::A01, Severity::Info, "D09", "ZF06", 151.0, 260.0),
            finding(Code::A01, Severity::Warning, "D09", "ZF06B", 113.0, 322.0),
        ];
        fold_breakdowns(&mut out, &inds);
        assert_eq!(out.len(), 2);
    }
}
