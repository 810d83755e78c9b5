//! 表间审核 across units (V50–V52): what the townships and departments report about themselves
//! against what the county office and the court report for the whole county.
//!
//! | code | units' side | county's side | flagged when |
//! |---|---|---|---|
//! | V50 | Σ FY08 of townships and departments (被申请复议) | 县本级 FY03 (受理) | they differ by more than 10 % of the county figure and more than 2 |
//! | V51 | Σ FY09 of townships and departments (被纠错) | 县本级 FY06C..FY06G (变更、撤销、确认违法、责令履行、确认无效) | as V50 |
//! | V52 | Σ YS01 of every unit (新收应诉) | the court's YS08 (受理一审行政案件) | one is at least twice the other and they differ by 5 or more |
//!
//! The units' side adds every readable submission of an identified unit of the right kind
//! (held-back ones too: an error elsewhere in a workbook does not make its FY08 wrong), except
//! files that conflict with another file of the same unit (S10) and files of another year or an
//! unknown unit (V04). When some units that should
//! report the indicator gave no number (missing, unreadable, blank), the sum can only be too
//! small: a shortfall is then not flagged, an excess still is, and the message says how many
//! units are not in the sum. The finding sits at the county-side cell, in that unit's file; the
//! units' cells are its `related` locations, largest first.

use std::collections::BTreeSet;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location};
use crate::ingest::{FileOutcome, Submission};
use crate::registry::{Registry, UnitKind};
use crate::schema::Schema;

use super::unit_kind;

/// One cross-unit comparison.
struct Check {
    code: Code,
    /// Summed over the units of these kinds.
    parts: &'static [&'static str],
    part_kinds: &'static [UnitKind],
    /// Reported by the one unit of this kind.
    total: &'static [&'static str],
    total_kind: UnitKind,
    flagged: fn(sum: f64, total: f64) -> bool,
}

const TOWNS_AND_DEPTS: &[UnitKind] = &[UnitKind::Township, UnitKind::Department];

const CHECKS: [Check; 3] = [
    Check {
        code: Code::V50,
        parts: &["FY08"],
        part_kinds: TOWNS_AND_DEPTS,
        total: &["FY03"],
        total_kind: UnitKind::CountyOffice,
        flagged: about_equal_fails,
    },
    Check {
        code: Code::V51,
        parts: &["FY09"],
        part_kinds: TOWNS_AND_DEPTS,
        total: &["FY06C", "FY06D", "FY06E", "FY06F", "FY06G"],
        total_kind: UnitKind::CountyOffice,
        flagged: about_equal_fails,
    },
    Check {
        code: Code::V52,
        parts: &["YS01"],
        part_kinds: &[
            UnitKind::Township,
            UnitKind::Department,
            UnitKind::CountyOffice,
        ],
        total: &["YS08"],
        total_kind: UnitKind::External,
        flagged: far_apart,
    },
];

/// More than 10 % of the county figure and more than 2 cases apart.
fn about_equal_fails(sum: f64, total: f64) -> bool {
    let gap = (sum - total).abs();
    gap > 2.0 && gap > 0.1 * total
}

/// One at least twice the other, and at least 5 apart.
fn far_apart(sum: f64, total: f64) -> bool {
    let (lo, hi) = if sum < total {
        (sum, total)
    } else {
        (total, sum)
    };
    hi - lo >= 5.0 && hi >= 2.0 * lo
}

/// A submission the cross-unit checks may use, with its unit's kind.
struct Unit<'a> {
    file: &'a str,
    code: &'a str,
    kind: UnitKind,
    sub: &'a Submission,
}

/// Runs V50–V52 and appends each finding to the county-side unit's file.
pub fn check(
    outcomes: &mut [FileOutcome],
    schema: &Schema,
    registry: Option<&Registry>,
    year: Option<i32>,
) {
    let mut found: Vec<(usize, Diagnostic)> = Vec::new();
    {
        let units: Vec<(usize, Unit)> = outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                // a conflicting file, or one of another year or an unknown unit (V04), speaks
                // for nobody in this year's sums
                !o.diagnostics
                    .iter()
                    .any(|d| d.code == Code::S10 || d.code == Code::V04)
            })
            .filter_map(|(i, o)| {
                let sub = o.submission.as_ref()?;
                let code = sub.cover.unit_code.as_deref()?;
                let kind = unit_kind(sub, registry)?;
                let file = o.display.as_str();
                Some((
                    i,
                    Unit {
                        file,
                        code,
                        kind,
                        sub,
                    },
                ))
            })
            .collect();
        for check in &CHECKS {
            if let Some(hit) = run_one(check, &units, schema, registry.zip(year)) {
                found.push(hit);
            }
        }
    }
    for (i, d) in found {
        outcomes[i].diagnostics.push(d);
        crate::diagnostic::sort(&mut outcomes[i].diagnostics);
    }
}

fn run_one(
    check: &Check,
    units: &[(usize, Unit)],
    schema: &Schema,
    registry: Option<(&Registry, i32)>,
) -> Option<(usize, Diagnostic)> {
    // The county side: exactly one unit of that kind with every total cell filled.
    let mut sides = units.iter().filter(|(_, u)| u.kind == check.total_kind);
    let (index, county) = sides.next()?;
    if sides.next().is_some() {
        return None; // two county offices: S10 or a registry problem, reported elsewhere
    }
    let total_cells: Vec<_> = check
        .total
        .iter()
        .map(|c| county.sub.values.get(*c))
        .collect::<Option<_>>()?;
    let total: f64 = total_cells
        .iter()
        .map(|c| c.value.number())
        .sum::<Option<f64>>()?;

    let mut sum = 0.0;
    let mut related: Vec<(f64, Location)> = Vec::new();
    let mut counted: BTreeSet<&str> = BTreeSet::new();
    for (_, u) in units
        .iter()
        .filter(|(_, u)| check.part_kinds.contains(&u.kind))
    {
        let mut any = false;
        for part in check.parts {
            let Some(cell) = u.sub.values.get(*part) else {
                continue;
            };
            let Some(v) = cell.value.number() else {
                continue;
            };
            any = true;
            sum += v;
            if v != 0.0 {
                related.push((v, Location::cell(u.file, cell.sheet.clone(), cell.pos)));
            }
        }
        if any {
            counted.insert(u.code);
        }
    }
    let expected = expected_reporters(check, schema, registry, units);
    let short = expected.iter().filter(|c| !counted.contains(*c)).count();
    if !(check.flagged)(sum, total) || (short > 0 && sum < total) {
        return None;
    }
    related.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let first = total_cells.first()?;
    let mut message = schema
        .template(check.code)
        .unwrap_or_default()
        .replace("{sum}", &crate::anomaly::fmt_num(sum))
        .replace("{total}", &crate::anomaly::fmt_num(total));
    message.push_str(&format!("（{} 个单位的合计", counted.len()));
    if short > 0 {
        message.push_str(&format!("，另有 {short} 个应报单位没有填报这一项"));
    }
    message.push('）');
    let mut d = Diagnostic::new(
        check.code,
        schema.severity(check.code),
        Location::cell(county.file, first.sheet.clone(), first.pos),
        message,
    )
    .with_unit(county.code)
    .with_indicator(check.total[0]);
    d.related = related.into_iter().map(|(_, l)| l).collect();
    Some((*index, d))
}

/// The unit codes expected to report the units' side: the registry's active units of the
/// part kinds when there is a registry, else the submissions themselves.
fn expected_reporters<'a>(
    check: &Check,
    schema: &Schema,
    registry: Option<(&'a Registry, i32)>,
    units: &'a [(usize, Unit)],
) -> BTreeSet<&'a str> {
    let reports = |kind: UnitKind| {
        check.part_kinds.contains(&kind)
            && check
                .parts
                .iter()
                .any(|p| schema.indicator(p).is_some_and(|i| i.reported_by(kind)))
    };
    match registry {
        Some((reg, year)) => reg
            .active_in(year)
            .filter(|u| reports(u.kind))
            .map(|u| u.code.as_str())
            .collect(),
        None => units
            .iter()
            .filter(|(_, u)| reports(u.kind))
            .map(|(_, u)| u.code)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds() {
        assert!(!about_equal_fails(151.0, 151.0));
        assert!(!about_equal_fails(148.0, 151.0)); // 3 apart but within 10 %
        assert!(about_equal_fails(130.0, 151.0));
        assert!(!about_equal_fails(2.0, 0.0)); // 2 apart only
        assert!(about_equal_fails(3.0, 0.0));
        assert!(!far_apart(40.0, 64.0));
        assert!(far_apart(30.0, 64.0));
        assert!(!far_apart(1.0, 4.0)); // twice, but only 3 apart
        assert!(far_apart(5.0, 10.0)); // twice and 5 apart: "5件以上" includes 5
    }
}
