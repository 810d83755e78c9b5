//! Which county figures rest on values not verified yet (核实): a figure that includes a unit's
//! value still 待核实 or 不予认可 at warning or error level lists that unit, so the summary and
//! the draft never state it as plain fact. `run` collects the open items ([`Unverified`]) from
//! the anomalies and the rule warnings without explanation; [`mark_unverified`] fills
//! `unverified` on every [`super::IndicatorFigure`] and [`super::RateFigure`].
//!
//! - an item on an indicator marks that unit in that indicator's figure, when the unit's value
//!   enters it (a `County` indicator takes the county office's or court's value only);
//! - an item without an indicator (A05 copied year, A06, a rule warning about the whole file such
//!   as V05) marks every figure the unit's values enter;
//! - a rate lists the units whose numerator or denominator values are marked, and the units whose
//!   own reported rate is (A04), among the units it applies to that report one of its inputs.

use std::collections::{BTreeMap, BTreeSet};

use super::{counts_kind, Figures};
use crate::schema::Schema;

/// The unverified values of each unit: unit code → the codes, or every value of the unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unverified(BTreeMap<String, Pending>);

/// What of one unit is unverified.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    /// Every value (a finding about the whole submission).
    All,
    /// The values under these indicator or rate codes.
    Codes(BTreeSet<String>),
}

impl Unverified {
    /// Marks the unit's value under `code`, or every value of the unit when `code` is `None`.
    pub fn add(&mut self, unit: &str, code: Option<&str>) {
        let entry = self
            .0
            .entry(unit.to_string())
            .or_insert_with(|| Pending::Codes(BTreeSet::new()));
        match (entry, code) {
            (Pending::All, _) => {}
            (e, None) => *e = Pending::All,
            (Pending::Codes(codes), Some(c)) => {
                codes.insert(c.to_string());
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The units with anything unverified, by code.
    pub fn units(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Whether the unit's value under `code` is unverified.
    pub fn covers(&self, unit: &str, code: &str) -> bool {
        match self.0.get(unit) {
            None => false,
            Some(Pending::All) => true,
            Some(Pending::Codes(c)) => c.contains(code),
        }
    }
}

/// Fills `unverified` on every figure from `pending` (units in the figures' unit order); clears
/// it everywhere when nothing is pending. Only the units with pending items are looked at.
pub fn mark_unverified(figures: &mut Figures, schema: &Schema, pending: &Unverified) {
    for f in &mut figures.indicators {
        f.unverified.clear();
    }
    for r in &mut figures.rates {
        r.unverified.clear();
    }
    if pending.is_empty() {
        return;
    }
    let rates: BTreeMap<&str, (&crate::schema::Rate, Vec<String>, Vec<String>)> = schema
        .rates
        .iter()
        .map(|r| {
            (
                r.code.as_str(),
                (r, r.numerator.codes(), r.denominator.codes()),
            )
        })
        .collect();
    for u in figures
        .units
        .iter()
        .filter(|u| pending.0.contains_key(&u.code))
    {
        for f in &mut figures.indicators {
            let enters = u.values.contains_key(&f.code)
                && schema
                    .indicator(&f.code)
                    .is_none_or(|ind| counts_kind(ind, u.kind));
            if enters && pending.covers(&u.code, &f.code) {
                f.unverified.push(u.code.clone());
            }
        }
        for f in &mut figures.rates {
            let Some((rate, num, den)) = rates.get(f.code.as_str()) else {
                continue;
            };
            let has = |codes: &[String]| codes.iter().any(|c| u.values.contains_key(c));
            let applies =
                (rate.kinds.is_empty() || rate.kinds.contains(&u.kind)) && has(num) && has(den);
            let marked = pending.covers(&u.code, &f.code)
                || num.iter().chain(den).any(|c| pending.covers(&u.code, c));
            if applies && marked {
                f.unverified.push(u.code.clone());
            }
        }
    }
}
