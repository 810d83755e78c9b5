//! Derived rates recomputed from summed inputs (docs/reference/domain.md §1.4, §1.6): for every unit the numerator
//! and denominator expressions are evaluated, and the county rate is Σ numerator / Σ denominator
//! over the units where both are defined. Rates of units are never averaged: one township with
//! 1/1 = 100% must not weigh like a department with 45/60.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

use super::units::{UnitEnv, UnitValues};
use super::RateFigure;
use crate::schema::Rate;

/// Σ numerator, Σ denominator and the number of contributing units.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Sums {
    numerator: f64,
    denominator: f64,
    units: u32,
}

impl Sums {
    /// Σn/Σd; `None` when Σd is 0 (no unit, or only zero denominators).
    fn value(self) -> Option<f64> {
        (self.denominator != 0.0).then(|| self.numerator / self.denominator)
    }
}

/// Last year's units, as the rates see them (see [`super::aggregate_years`]).
pub(crate) struct PriorUnits<'a> {
    /// The comparable units (those aggregated this year), in unit order.
    pub comparable: &'a [UnitValues],
    /// Per comparable unit: whether its row is also its row of last year's report as it stood.
    pub as_reported: &'a [bool],
    /// The rest of last year's report: its units not in `comparable` as they stood.
    pub reported_rest: &'a [UnitValues],
}

/// The county figures of every rate, this year, last year over the same units (可比口径) and
/// last year as reported (报送口径).
/// `prior_of` maps a unit code to its prior-year values (for `prev.X` in the expressions).
///
/// Each unit's numerator and denominator are evaluated unit by unit for all rates at once, in
/// parallel (a unit's values stay in cache while its rates are evaluated; rate by rate, the
/// ten thousand value maps of a province were walked once per rate), and then summed rate by
/// rate in unit order, so the sums are the same as a plain loop's, bit for bit. Last year's
/// terms are evaluated once per unit: the reported sums reuse the comparable units' terms.
pub(crate) fn rate_figures(
    rates: &[Rate],
    current: &[UnitValues],
    prior: &PriorUnits,
    prior_of: &FxHashMap<&str, &BTreeMap<String, f64>>,
) -> Vec<RateFigure> {
    let now = terms(rates, current, |code| prior_of.get(code).copied());
    let before = terms(rates, prior.comparable, |_| None);
    let rest = terms(rates, prior.reported_rest, |_| None);
    rates
        .iter()
        .enumerate()
        .map(|(i, rate)| {
            let reported = before
                .iter()
                .zip(prior.as_reported)
                .filter(|(_, same)| **same)
                .map(|(t, _)| t)
                .chain(&rest);
            figure(rate, sum(&now, i), sum(&before, i), sum(reported, i))
        })
        .collect()
}

/// Per unit, per rate: (numerator, denominator) when the rate applies to the unit's kind and
/// both are defined.
fn terms<'a>(
    rates: &[Rate],
    units: &'a [UnitValues],
    prior_of: impl Fn(&str) -> Option<&'a BTreeMap<String, f64>> + Sync,
) -> Vec<Vec<Option<(f64, f64)>>> {
    units
        .par_iter()
        .map(|u| {
            let env = UnitEnv {
                values: &u.values,
                prior: prior_of(&u.code),
                villages: u.villages,
            };
            rates
                .iter()
                .map(|rate| {
                    if !rate.kinds.is_empty() && !rate.kinds.contains(&u.kind) {
                        return None;
                    }
                    rate.numerator.eval(&env).zip(rate.denominator.eval(&env))
                })
                .collect()
        })
        .collect()
}

/// Σ numerator and Σ denominator of rate `i` over the units, in unit order.
fn sum<'a>(terms: impl IntoIterator<Item = &'a Vec<Option<(f64, f64)>>>, i: usize) -> Sums {
    let mut sums = Sums::default();
    for (n, d) in terms
        .into_iter()
        .filter_map(|t| t.get(i).copied().flatten())
    {
        sums.numerator += n;
        sums.denominator += d;
        sums.units += 1;
    }
    sums
}

/// The county figure of one rate from this year's sums and last year's (comparable, reported).
fn figure(rate: &Rate, now: Sums, before: Sums, reported: Sums) -> RateFigure {
    let value = now.value();
    let prior_value = before.value();
    let has_prior = before.units > 0;
    let has_reported = reported.units > 0;
    RateFigure {
        code: rate.code.clone(),
        name: rate.name.clone(),
        numerator_text: rate.numerator_text.clone(),
        denominator_text: rate.denominator_text.clone(),
        numerator_label: String::new(),
        denominator_label: String::new(),
        numerator: now.numerator,
        denominator: now.denominator,
        value,
        prior_numerator: has_prior.then_some(before.numerator),
        prior_denominator: has_prior.then_some(before.denominator),
        prior_value,
        prior_reported_numerator: has_reported.then_some(reported.numerator),
        prior_reported_denominator: has_reported.then_some(reported.denominator),
        prior_reported: reported.value(),
        change_pp: value.zip(prior_value).map(|(v, p)| (v - p) * 100.0),
        decimals: rate.decimals,
        units: now.units,
        unverified: Vec::new(),
        comparable: true,
        not_comparable_reason: None,
    }
}
