//! Per-unit value tables: the long records of one year folded into one row per unit, keeping only
//! the indicators the unit's kind reports (values from non-applicable kinds are ignored, V06).

use std::collections::{BTreeMap, BTreeSet};
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
pub(crate) fn collect_units(
    schema: &Schema,
    registry: &Registry,
    records: &[Record],
    extra: &[String],
    origins: bool,
) -> Vec<UnitValues> {
    let mut by_code: BTreeMap<&str, UnitValues> = BTreeMap::new();
    for code in extra {
        if let Some(u) = registry.get(code) {
            by_code
                .entry(code.as_str())
                .or_insert_with(|| empty_row(registry, code, u.kind));
        }
    }
    for r in records {
        let row = by_code
            .entry(&*r.unit)
            .or_insert_with(|| empty_row(registry, &r.unit, r.kind));
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
    order_units(registry, by_code)
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
fn order_units(registry: &Registry, mut by_code: BTreeMap<&str, UnitValues>) -> Vec<UnitValues> {
    let mut out = Vec::with_capacity(by_code.len());
    let mut seen = BTreeSet::new();
    for u in &registry.units {
        if seen.insert(u.code.as_str()) {
            if let Some(row) = by_code.remove(u.code.as_str()) {
                out.push(row);
            }
        }
    }
    out.extend(by_code.into_values());
    out
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
