//! Prior-year alignment (docs/reference/domain.md §5.4): last year's records are mapped onto this year's unit codes
//! through the registry's predecessor map, so merged and renamed units compare like with like.

use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::Record;
use crate::registry::{Registry, Unit};

/// Maps the records of `year - 1` onto the units active in `year`.
///
/// A unit with predecessors gets Σ weight × predecessor value per indicator (an indicator is
/// present when at least one predecessor reported it); a unit without predecessors keeps its own
/// code's records. Records of other years, and of prior units no current unit continues, are
/// dropped. The mapped records keep the prior year and take the current unit's code and kind;
/// their origin lists the source origins.
///
/// The flag is true when the set of reporting units differs between the years after following
/// predecessors: an active unit with no prior data (or only part of its predecessors), or prior
/// data that no current unit continues. Whether this year's expected units all reported is the
/// caller's to add (it knows who was accepted).
pub fn map_prior(records: &[Record], registry: &Registry, year: i32) -> (Vec<Record>, bool) {
    let prior_year = year - 1;
    let mut by_unit: FxHashMap<&str, Vec<&Record>> = FxHashMap::default();
    for r in records.iter().filter(|r| r.year == prior_year) {
        by_unit.entry(&*r.unit).or_default().push(r);
    }
    // About one record per prior record (fewer after merges, more only when a unit was split
    // between several): reserving once spares the copies of a growing vector of a million.
    let mut out = Vec::with_capacity(by_unit.values().map(Vec::len).sum());
    let mut consumed: FxHashSet<&str> = FxHashSet::default();
    let mut changed = false;
    for unit in registry.active_in(year) {
        let sources = sources_of(unit);
        let code: Arc<str> = unit.code.as_str().into();
        if let [(own, weight)] = sources.as_slice() {
            if let Some((&key, recs)) = by_unit.get_key_value(own.as_str()) {
                if one_to_one(recs, &code, unit, *weight, &mut out) {
                    consumed.insert(key);
                    continue;
                }
            }
        }
        let mut found = 0usize;
        let mut sums: BTreeMap<&str, (f64, Vec<&Record>)> = BTreeMap::new();
        for (code, weight) in &sources {
            let Some((&key, recs)) = by_unit.get_key_value(code.as_str()) else {
                continue;
            };
            found += 1;
            consumed.insert(key);
            for r in recs {
                let entry = sums.entry(&*r.indicator).or_default();
                entry.0 += weight * r.value;
                entry.1.push(r);
            }
        }
        changed |= found < sources.len();
        out.extend(sums.into_values().filter_map(|(value, parts)| {
            let first = *parts.first()?;
            // A unit that continues itself keeps its records as they are (shared strings, no
            // copy): a province's million prior records mostly map one to one.
            if let [only] = parts.as_slice() {
                if only.unit == code && only.kind == unit.kind && only.value == value {
                    return Some((*only).clone());
                }
            }
            let origin = match parts.as_slice() {
                [only] => only.origin.clone(),
                _ => {
                    let all: Vec<&str> = parts.iter().map(|r| &*r.origin).collect();
                    all.join("; ").into()
                }
            };
            Some(Record {
                year: prior_year,
                unit: code.clone(),
                kind: unit.kind,
                indicator: first.indicator.clone(),
                value,
                origin,
            })
        }));
    }
    changed |= by_unit.keys().any(|code| !consumed.contains(*code));
    (out, changed)
}

/// The common case of a unit continuing one prior unit whose records have distinct indicators in
/// code order: each record maps to one record, as the general path would map it (same values,
/// same order), without a table per unit. Appends to `out` and returns true, or returns false
/// (appending nothing) when the records are not in that shape.
fn one_to_one(
    recs: &[&Record],
    code: &Arc<str>,
    unit: &Unit,
    weight: f64,
    out: &mut Vec<Record>,
) -> bool {
    if !recs.windows(2).all(|w| w[0].indicator < w[1].indicator) {
        return false;
    }
    out.extend(recs.iter().map(|r| {
        // Summed from zero as in the general path (which turns -0 into 0).
        let value = 0.0 + weight * r.value;
        if r.unit == *code && r.kind == unit.kind && r.value == value {
            (*r).clone()
        } else {
            Record {
                year: r.year,
                unit: code.clone(),
                kind: unit.kind,
                indicator: r.indicator.clone(),
                value,
                origin: r.origin.clone(),
            }
        }
    }));
    true
}

/// The (code, weight) pairs a unit's prior value is built from.
fn sources_of(unit: &Unit) -> Vec<(String, f64)> {
    if unit.predecessors.is_empty() {
        vec![(unit.code.clone(), 1.0)]
    } else {
        unit.predecessors.clone()
    }
}
