//! A sample county whose earlier years are in the previous edition of the indicators: the
//! county is generated in the previous edition, then the files of the years from `from` on are
//! rewritten in this edition along the declared mapping, forwards (a renamed code keeps its
//! value, merged ones are added, a unit factor applied and amounts rounded to 2 decimals, a
//! split without shares divides the old value 7 : 3 between its parts, a new indicator gets a
//! neutral value, a dropped one is left out). 上年数 shown in those files is last year's value
//! mapped the same way the run maps it.

use std::collections::BTreeMap;

use super::{SampleCounty, UnitData};
use crate::schema::edition::{Mapping, Origin};
use crate::schema::{Schema, ValueType};

/// Rewrites the files of years ≥ `from` from `old`'s codes into `new`'s (which must declare
/// `old` as its previous edition through `mapping`).
pub fn convert(county: &mut SampleCounty, new: &Schema, mapping: &Mapping, from: i32) {
    for (_, files) in county.years.range_mut(from..) {
        for f in files.iter_mut() {
            convert_file(f, new, mapping);
        }
    }
}

fn convert_file(f: &mut UnitData, new: &Schema, mapping: &Mapping) {
    let reported: Vec<&str> = f.values.keys().map(String::as_str).collect();
    let mut values = BTreeMap::new();
    let mut typed = BTreeMap::new();
    let mut notes = BTreeMap::new();
    for link in &mapping.links {
        let Some(ind) = new.indicator(&link.code) else {
            continue;
        };
        let sources = link.sources();
        let reports = match link.origin {
            Origin::New => f.values.keys().next().is_some() && reports_like(new, ind, &reported),
            _ => sources.iter().any(|s| f.values.contains_key(*s)),
        };
        if !reports {
            continue;
        }
        let factor = link.factor.unwrap_or(1.0);
        let sum: f64 = sources.iter().filter_map(|s| f.values.get(*s)).sum();
        let value = match &link.origin {
            Origin::New => {
                if ind.value_type == ValueType::YesNo {
                    1.0
                } else {
                    0.0
                }
            }
            Origin::Split { from, share } => split_value(mapping, &link.code, from, *share, sum),
            _ if ind.value_type == ValueType::YesNo => sum.min(1.0),
            _ => sum,
        } * factor;
        let value = match ind.value_type {
            ValueType::Amount => (value * 100.0).round() / 100.0,
            ValueType::Count => value.round(),
            ValueType::YesNo => value,
        };
        values.insert(link.code.clone(), value);
        if let [only] = sources.as_slice() {
            if link.factor.is_none() && !matches!(link.origin, Origin::Split { .. }) {
                if let Some(t) = f.typed.get(*only) {
                    typed.insert(link.code.clone(), t.clone());
                }
            }
            if let Some(n) = f.notes.get(*only) {
                notes.insert(link.code.clone(), n.clone());
            }
        }
    }
    f.prior = prior_in(&f.prior, mapping);
    f.values = values;
    f.typed = typed;
    f.notes = notes;
}

/// Whether a unit that reported `reported` (old codes) fills the new indicator `ind`: its
/// section-mates are among what it reported.
fn reports_like(new: &Schema, ind: &crate::schema::Indicator, reported: &[&str]) -> bool {
    new.indicators
        .iter()
        .filter(|i| i.section == ind.section && i.code != ind.code && i.reporters == ind.reporters)
        .any(|i| reported.contains(&i.code.as_str()))
}

/// A part of a split: its share of the old value, or without shares 7 : 3 between the first
/// part and the others (whole numbers, so the parts add up to the old value).
fn split_value(mapping: &Mapping, code: &str, from: &str, share: Option<f64>, old: f64) -> f64 {
    if let Some(s) = share {
        return old * s;
    }
    let parts: Vec<&str> = mapping
        .links
        .iter()
        .filter(|l| matches!(&l.origin, Origin::Split { from: f, .. } if f == from))
        .map(|l| l.code.as_str())
        .collect();
    let rest = (old * 0.3).floor();
    let others = parts.len().saturating_sub(1).max(1) as f64;
    if parts.first() == Some(&code) {
        old - (rest / others).floor() * others
    } else {
        (rest / others).floor()
    }
}

/// Last year's values (old codes) as this edition's 上年数: the run's mapping (weights).
fn prior_in(prior: &BTreeMap<String, f64>, mapping: &Mapping) -> BTreeMap<String, f64> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for (code, targets) in mapping.weights() {
        let Some(v) = prior.get(code) else {
            continue;
        };
        for (to, w) in targets {
            *out.entry(to.to_string()).or_default() += w * v;
        }
    }
    out
}
