//! Derived rates recomputed from summed inputs (domain §1.4, §1.6): for every unit the numerator
//! and denominator expressions are evaluated, and the county rate is Σ numerator / Σ denominator
//! over the units where both are defined. Rates of units are never averaged: one township with
//! 1/1 = 100% must not weigh like a department with 45/60.

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

/// The county figure of one rate, this year and last.
/// `prior_of` maps a unit code to its prior-year values (built once for all rates).
pub(crate) fn rate_figure(
    rate: &Rate,
    current: &[UnitValues],
    prior: &[UnitValues],
    prior_of: &FxHashMap<&str, &BTreeMap<String, f64>>,
) -> RateFigure {
    let now = sum_rate(rate, current, |code| prior_of.get(code).copied());
    let before = sum_rate(rate, prior, |_| None);
    let value = now.value();
    let prior_value = before.value();
    let has_prior = before.units > 0;
    RateFigure {
        code: rate.code.clone(),
        name: rate.name.clone(),
        numerator_text: rate.numerator_text.clone(),
        denominator_text: rate.denominator_text.clone(),
        numerator: now.numerator,
        denominator: now.denominator,
        value,
        prior_numerator: has_prior.then_some(before.numerator),
        prior_denominator: has_prior.then_some(before.denominator),
        prior_value,
        change_pp: value.zip(prior_value).map(|(v, p)| (v - p) * 100.0),
        decimals: rate.decimals,
        units: now.units,
    }
}

/// Sums the per-unit numerator and denominator over the units of the rate's kinds where both are
/// defined. `prior_of` gives a unit's prior-year values for `prev.X` inside the expressions.
fn sum_rate<'a>(
    rate: &Rate,
    units: &'a [UnitValues],
    prior_of: impl Fn(&str) -> Option<&'a BTreeMap<String, f64>>,
) -> Sums {
    let mut sums = Sums::default();
    for u in units {
        if !rate.kinds.is_empty() && !rate.kinds.contains(&u.kind) {
            continue;
        }
        let env = UnitEnv {
            values: &u.values,
            prior: prior_of(&u.code),
            villages: u.villages,
        };
        if let (Some(n), Some(d)) = (rate.numerator.eval(&env), rate.denominator.eval(&env)) {
            sums.numerator += n;
            sums.denominator += d;
            sums.units += 1;
        }
    }
    sums
}
