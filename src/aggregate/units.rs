//! Per-unit value tables: the long records of one year folded into one row per unit, keeping only
//! the indicators the unit's kind reports (values from non-applicable kinds are ignored, V06).

use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::Record;
use crate::registry::{Registry, UnitKind};
use crate::schema::expr::Env;
use crate::schema::Schema;

/// The applicable values of one unit in one year.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnitValues {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub values: BTreeMap<String, f64>,
    pub origins: BTreeMap<String, Arc<str>>,
    /// 村(社区) count from the registry (`None` for units the registry does not know).
    pub villages: Option<f64>,
}

/// Folds `records` into unit rows: registry order first, then unknown units by code.
///
/// A unit's kind is the registry's (the registry is the authority on who is what); a unit the
/// registry does not know keeps the kind its records carry. `extra` lists units that must get a
/// row even without records (accepted units that left every cell blank); `origins` says whether
/// to keep each value's origin cell. When a unit has two
/// records for one indicator, the later one wins, so the unit table and the sums agree.
pub(crate) fn collect_units<'a>(
    schema: &Schema,
    registry: &Registry,
    records: impl IntoIterator<Item = &'a Record>,
    extra: &'a [String],
    origins: bool,
) -> Vec<UnitValues> {
    // Rows in a Vec, found by code through a hash index; a unit's records arrive together, so
    // the last row is tried first. (A BTreeMap keyed by codes that share a long prefix spent
    // most of the aggregate phase comparing strings at 10,000 units.)
    let mut rows: Vec<UnitValues> = Vec::new();
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    let mut row_of = |code: &'a str, kind: UnitKind, rows: &mut Vec<UnitValues>| -> usize {
        *index.entry(code).or_insert_with(|| {
            rows.push(empty_row(registry, code, kind));
            rows.len() - 1
        })
    };
    for code in extra {
        if let Some(u) = registry.get(code) {
            row_of(code, u.kind, &mut rows);
        }
    }
    let mut last: Option<(&str, usize)> = None;
    for r in records {
        let i = match last {
            Some((code, i)) if code == &*r.unit => i,
            _ => row_of(&r.unit, r.kind, &mut rows),
        };
        last = Some((&*r.unit, i));
        let Some(row) = rows.get_mut(i) else {
            continue;
        };
        let applicable = schema
            .indicator(&r.indicator)
            .is_some_and(|ind| ind.reported_by(row.kind));
        if applicable {
            row.values.insert(r.indicator.to_string(), r.value);
            if origins {
                row.origins
                    .insert(r.indicator.to_string(), r.origin.clone());
            }
        }
    }
    order_units(registry, rows)
}

fn empty_row(registry: &Registry, code: &str, record_kind: UnitKind) -> UnitValues {
    let unit = registry.get(code);
    UnitValues {
        code: code.to_string(),
        name: unit.map_or_else(|| code.to_string(), |u| u.name.clone()),
        kind: unit.map_or(record_kind, |u| u.kind),
        values: BTreeMap::new(),
        origins: BTreeMap::new(),
        villages: unit.map(|u| f64::from(u.villages)),
    }
}

/// Registry order first (the order people know), then units the registry lacks, by code.
/// The rows have distinct codes, so the order is total.
fn order_units(registry: &Registry, mut rows: Vec<UnitValues>) -> Vec<UnitValues> {
    let mut position: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, u) in registry.units.iter().enumerate() {
        position.entry(u.code.as_str()).or_insert(i);
    }
    let key = |r: &UnitValues| position.get(r.code.as_str()).copied().unwrap_or(usize::MAX);
    rows.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.code.cmp(&b.code)));
    rows
}

/// Expression environment of one unit: its values, its prior values and the built-ins
/// `expected` (every unit counts once) and `villages` (registry 村(社区) count).
pub(crate) struct UnitEnv<'a> {
    pub values: &'a BTreeMap<String, f64>,
    pub prior: Option<&'a BTreeMap<String, f64>>,
    pub villages: Option<f64>,
}

impl Env for UnitEnv<'_> {
    fn current(&self, code: &str) -> Option<f64> {
        match code {
            "expected" => Some(1.0),
            "villages" => self.villages,
            _ => self.values.get(code).copied(),
        }
    }

    fn prior(&self, code: &str) -> Option<f64> {
        self.prior.and_then(|p| p.get(code).copied())
    }
}
