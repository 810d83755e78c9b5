//! Prior-year alignment (docs/reference/domain.md §5.4): last year's records are mapped onto this year's unit codes
//! through the registry's predecessor map, so merged and renamed units compare like with like;
//! and [`map_edition`] turns last year's indicator codes into this year's when the indicator
//! system changed between the years (src/schema/edition.rs).

use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Interner, Record};
use crate::registry::{Registry, Unit, UnitKind};
use crate::schema::{Schema, ValueType};

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

/// Last year's records turned into this year's indicator codes (see [`map_edition`]).
#[derive(Debug, Default)]
pub struct EditionMapped {
    /// The prior year's records in this year's codes; `None` when they need no change (read in
    /// this year's edition).
    pub records: Option<Vec<Record>>,
    /// Codes of prior-year records that neither edition knows → how many records.
    pub unknown: BTreeMap<String, usize>,
}

/// Maps the records of `year - 1`, read in edition `read_in`, onto the indicators of
/// `current`: through `current`'s declared mapping when `read_in` is its previous edition
/// (renamed codes, shares of a split, sums of a merge, the unit factor; new, dropped and
/// not-comparable split indicators get nothing), unchanged when it is `current` itself. Codes
/// neither edition knows are counted, not silently dropped. Records of other years are left
/// out of a mapped result (only last year is compared).
pub fn map_edition(
    records: &[Record],
    year: i32,
    read_in: &Schema,
    current: &Schema,
) -> EditionMapped {
    let prior_year = year - 1;
    let last = records.iter().filter(|r| r.year == prior_year);
    let mapping = current.mapping.as_ref().filter(|_| {
        read_in.id != current.id && current.previous().map(|p| &p.id) == Some(&read_in.id)
    });
    let Some(mapping) = mapping else {
        let mut unknown = BTreeMap::new();
        for r in last.filter(|r| read_in.indicator(&r.indicator).is_none()) {
            *unknown.entry(r.indicator.to_string()).or_default() += 1;
        }
        return EditionMapped {
            records: None,
            unknown,
        };
    };
    let weights = mapping.weights();
    let codes = Interner::of_indicators(current);
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    // (unit, this year's code) → (value, kind, source records); BTreeMap: a fixed output order.
    let mut sums: BTreeMap<(&str, &str), (f64, UnitKind, Vec<&Record>)> = BTreeMap::new();
    for r in last {
        match weights.get(&*r.indicator) {
            Some(targets) => {
                for (code, w) in targets {
                    let entry = sums
                        .entry((&*r.unit, code))
                        .or_insert((0.0, r.kind, Vec::new()));
                    let v = w * r.value;
                    let yes_no = current
                        .indicator(code)
                        .is_some_and(|i| i.value_type == ValueType::YesNo);
                    // 是 when any merged part was 是; counts and amounts add up.
                    entry.0 = if yes_no { entry.0.max(v) } else { entry.0 + v };
                    entry.2.push(r);
                }
            }
            None if read_in.indicator(&r.indicator).is_some() => {}
            None if current.indicator(&r.indicator).is_some() => {
                // Already a code of this edition (and not one the previous edition had).
                let entry =
                    sums.entry((&*r.unit, &*r.indicator))
                        .or_insert((0.0, r.kind, Vec::new()));
                entry.0 += r.value;
                entry.2.push(r);
            }
            None => *unknown.entry(r.indicator.to_string()).or_default() += 1,
        }
    }
    let out = sums
        .into_iter()
        .map(|((unit, code), (value, kind, parts))| {
            let origin: Arc<str> = match parts.as_slice() {
                [only] => only.origin.clone(),
                _ => {
                    let all: Vec<&str> = parts.iter().map(|r| &*r.origin).collect();
                    all.join("; ").into()
                }
            };
            Record {
                year: prior_year,
                unit: parts
                    .first()
                    .map_or_else(|| unit.into(), |r| r.unit.clone()),
                kind,
                indicator: codes.shared(code),
                value,
                origin,
            }
        })
        .collect();
    EditionMapped {
        records: Some(out),
        unknown,
    }
}
