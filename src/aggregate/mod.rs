//! Aggregation: accepted submissions → county figures, unit-kind subtotals, recomputed rates and
//! year-on-year change, with the exact semantics of docs/reference/domain.md (§1.4, §1.6). polars types
//! stay inside this module; what leaves it are the plain [`Figures`] structs.
//!
//! Entry points: [`map_prior`] aligns last year's records with this year's units, [`aggregate`]
//! computes the figures, [`figures_json`] dumps them, [`history`] keeps the long data across
//! years.

mod frame;
pub mod history;
mod prior;
mod rates;
mod units;

pub use prior::map_prior;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::registry::{Registry, UnitKind};
use crate::schema::{Aggregation, Indicator, Schema};
use crate::Result;
use frame::{GroupSum, Groups};
use units::UnitValues;

/// One accepted value in long form: the unit of aggregation and of the history file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
///
/// The strings are shared (`Arc<str>`): a province run holds millions of records, which are
/// cloned when last year's are mapped onto this year's units and when the history is merged;
/// a unit's records share one copy of its code.
pub struct Record {
    pub year: i32,
    pub unit: Arc<str>,
    pub kind: UnitKind,
    pub indicator: Arc<str>,
    pub value: f64,
    /// `file!sheet!cell` it came from.
    pub origin: Arc<str>,
}

/// One shared copy per distinct code (indicator and unit codes repeat in every record): two
/// million records then hold a pointer each instead of a small heap string each.
#[derive(Debug, Default)]
pub struct Interner(FxHashSet<Arc<str>>);

impl Interner {
    /// The shared copy of `s`.
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        self.0.insert(a.clone());
        a
    }

    /// An interner that already holds the schema's indicator codes, for [`Interner::shared`].
    pub fn of_indicators(schema: &Schema) -> Self {
        let mut codes = Interner::default();
        for ind in &schema.indicators {
            codes.get(&ind.code);
        }
        codes
    }

    /// The shared copy of `s` when the interner holds it, a new one otherwise. Takes `&self`, so
    /// one interner serves threads that build records side by side.
    pub fn shared(&self, s: &str) -> Arc<str> {
        self.0.get(s).cloned().unwrap_or_else(|| s.into())
    }
}

/// Who was expected, who sent what, and who was held back.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Coverage {
    /// Registry units active in the year.
    pub expected: Vec<String>,
    /// Units with at least one readable file.
    pub received: Vec<String>,
    /// Units whose data was aggregated.
    pub accepted: Vec<String>,
    /// Units whose submission has errors, so their data was held back.
    pub held_back: Vec<String>,
    /// Expected units with no file.
    pub missing: Vec<String>,
    /// Units present in the prior year's data.
    pub prior_units: Vec<String>,
    /// The set of reporting units differs between the years (after following predecessors).
    pub units_changed: bool,
}

/// A county figure for one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorFigure {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub section: String,
    pub aggregation: Aggregation,
    /// County value (`None` when no accepted unit reported it).
    pub value: Option<f64>,
    pub prior: Option<f64>,
    /// value − prior.
    pub change: Option<f64>,
    /// (value − prior) / prior; `None` when prior is 0 or missing.
    pub change_pct: Option<f64>,
    /// Sum per unit kind (乡镇小计, 部门小计, 县本级, 外部来源).
    pub subtotals: BTreeMap<UnitKind, f64>,
    /// Number of accepted units that reported a value.
    pub units_reporting: u32,
    /// For yes/no indicators: units answering 是 and units expected to answer.
    pub yes: Option<u32>,
    pub expected_units: Option<u32>,
}

/// A recomputed rate: Σ numerator / Σ denominator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateFigure {
    pub code: String,
    pub name: String,
    pub numerator_text: String,
    pub denominator_text: String,
    pub numerator: f64,
    pub denominator: f64,
    /// `None` when the denominator is 0.
    pub value: Option<f64>,
    pub prior_numerator: Option<f64>,
    pub prior_denominator: Option<f64>,
    pub prior_value: Option<f64>,
    /// value − prior_value, in 百分点 (percentage points).
    pub change_pp: Option<f64>,
    pub decimals: u8,
    /// Units that contributed (reported both inputs).
    pub units: u32,
}

/// Values of one accepted unit, for the 分单位明细 sheet and the anomaly module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub values: BTreeMap<String, f64>,
    pub prior: BTreeMap<String, f64>,
    /// Origin cell per indicator. Kept out of `figures_<year>.json`: the history file carries
    /// every value's origin already, and repeating it here made the JSON five times larger.
    #[serde(default, skip_serializing)]
    pub origins: BTreeMap<String, Arc<str>>,
}

/// Everything the report and the draft need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub year: i32,
    pub prior_year: i32,
    pub schema_id: String,
    pub schema_edition: String,
    pub coverage: Coverage,
    pub indicators: Vec<IndicatorFigure>,
    pub rates: Vec<RateFigure>,
    pub units: Vec<UnitRow>,
}

impl Figures {
    pub fn indicator(&self, code: &str) -> Option<&IndicatorFigure> {
        self.indicators.iter().find(|i| i.code == code)
    }

    pub fn rate(&self, code: &str) -> Option<&RateFigure> {
        self.rates.iter().find(|r| r.code == code)
    }
}

/// Aggregates the accepted records of `year` (with `prior` records of `year - 1`, already mapped
/// to this year's unit codes through predecessors) into county figures.
///
/// Semantics (docs/reference/domain.md §1.4, §1.6):
/// - only values of indicators the unit's kind reports count (others are ignored, V06);
/// - `Sum`, `SumOverlap`, `Stock`: Σ over units (a stock is a year-end figure: this year's Σ is
///   compared with last year's Σ, years are never added);
/// - `County`: the county office's value, or the external source's (court) when the indicator
///   is not reported by the county office; never summed over other kinds. Several units of that
///   kind (县司法局 and 政务服务管理局 are both county offices) are summed, since each reports its
///   own share of the county's figure;
/// - `CountYes`: the number of units answering 是 (value 1), out of the registry units of the
///   reporting kinds active in `year`;
/// - rates: Σ numerator / Σ denominator over the units where both are defined, never averaged.
///
/// Indicators and rates come out in schema order, units in registry order.
pub fn aggregate(
    schema: &Schema,
    registry: &Registry,
    year: i32,
    current: &[Record],
    prior: &[Record],
    coverage: Coverage,
) -> Result<Figures> {
    refuse_non_finite(current)?;
    refuse_non_finite(prior)?;
    // The two years are independent until they are compared: fold and group them side by side.
    // Last year's origins are in last year's history; keeping them here cost ~160 MB at 10,000 units.
    let ((now, now_groups), (before, before_groups)) = rayon::join(
        || {
            let now = units::collect_units(schema, registry, current, &coverage.accepted, true);
            let groups = frame::group_sums(&now);
            (now, groups)
        },
        || {
            let before = units::collect_units(schema, registry, prior, &[], false);
            let groups = frame::group_sums(&before);
            (before, groups)
        },
    );
    let (now_groups, before_groups) = (now_groups?, before_groups?);
    let indicators: Vec<IndicatorFigure> = schema
        .indicators
        .iter()
        .map(|ind| {
            let expected = expected_units(ind, registry, year);
            indicator_figure(ind, &now_groups, &before_groups, expected)
        })
        .collect();
    let prior_of: FxHashMap<&str, &BTreeMap<String, f64>> = before
        .iter()
        .map(|u| (u.code.as_str(), &u.values))
        .collect();
    let rates = rates::rate_figures(&schema.rates, &now, &before, &prior_of);
    refuse_overflow(&indicators, &rates)?;
    Ok(Figures {
        year,
        prior_year: year - 1,
        schema_id: schema.id.clone(),
        schema_edition: schema.edition.clone(),
        coverage,
        indicators,
        rates,
        units: unit_rows(now, before),
    })
}

/// A record whose value is NaN or infinite cannot be summed into anything meaningful. Ingest
/// never produces one (such cells are V01 errors, implausible ones N02, and the loader caps every
/// bound at [`crate::schema::Limits::CEILING`]); this keeps a record built any other way from
/// becoming a `null` county figure.
fn refuse_non_finite(records: &[Record]) -> Result<()> {
    match records.iter().find(|r| !r.value.is_finite()) {
        None => Ok(()),
        Some(r) => Err(crate::Error::Other(format!(
            "无法汇总：{} 的数值 {}（指标 {}）不是有限数，请改正该单元格后重新运行",
            r.origin, r.value, r.indicator
        ))),
    }
}

/// Every county figure, subtotal, change and rate must be a finite number: a sum that overflowed
/// would be written as `null` to the figures JSON and read as "not reported". With bounded inputs
/// this cannot happen; if it ever does the run stops (exit 2) instead of publishing it.
fn refuse_overflow(indicators: &[IndicatorFigure], rates: &[RateFigure]) -> Result<()> {
    let bad = |x: Option<f64>| x.is_some_and(|v| !v.is_finite());
    let indicator = indicators.iter().find(|f| {
        [f.value, f.prior, f.change, f.change_pct]
            .into_iter()
            .any(bad)
            || f.subtotals.values().any(|v| !v.is_finite())
    });
    let code = indicator.map(|f| f.code.as_str()).or_else(|| {
        rates
            .iter()
            .find(|r| {
                [
                    Some(r.numerator),
                    Some(r.denominator),
                    r.value,
                    r.prior_numerator,
                    r.prior_denominator,
                    r.prior_value,
                    r.change_pp,
                ]
                .into_iter()
                .any(bad)
            })
            .map(|r| r.code.as_str())
    });
    match code {
        None => Ok(()),
        Some(code) => Err(crate::Error::Other(format!(
            "无法汇总：{code} 的全县合计超出了可计算的范围，请检查各单位该项是否有异常大的数"
        ))),
    }
}

/// Pretty, deterministic JSON of the figures (maps are ordered, floats are plain numbers).
pub fn figures_json(figures: &Figures) -> String {
    // Serialising plain structs with string-keyed maps cannot fail; keep a visible fallback anyway.
    serde_json::to_string_pretty(figures)
        .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string())
}

/// Registry units of the indicator's reporting kinds that must report in `year` (the N of
/// "n of N").
fn expected_units(ind: &Indicator, registry: &Registry, year: i32) -> u32 {
    let n = registry
        .active_in(year)
        .filter(|u| ind.reported_by(u.kind))
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The subtotals of one indicator, by kind.
fn subtotals_of(groups: &Groups, code: &str) -> BTreeMap<UnitKind, GroupSum> {
    UnitKind::ALL
        .iter()
        .filter_map(|k| groups.get(&(code.to_string(), *k)).map(|g| (*k, *g)))
        .collect()
}

/// The kind whose value is the county figure of a `County` indicator: the county office, else
/// the external source (court figures), else the first kind that reports it.
fn county_kind(ind: &Indicator) -> Option<UnitKind> {
    [UnitKind::CountyOffice, UnitKind::External]
        .into_iter()
        .find(|k| ind.reported_by(*k))
        .or_else(|| ind.reporters.first().copied())
}

/// The county value of one indicator from its subtotals; `None` when nobody reported it.
fn county_value(ind: &Indicator, subs: &BTreeMap<UnitKind, GroupSum>) -> Option<f64> {
    if subs.is_empty() {
        return None;
    }
    match ind.aggregation {
        Aggregation::Sum | Aggregation::SumOverlap | Aggregation::Stock => {
            Some(subs.values().map(|g| g.value).sum())
        }
        Aggregation::County => county_kind(ind).and_then(|k| subs.get(&k)).map(|g| g.value),
        Aggregation::CountYes => Some(subs.values().map(|g| f64::from(g.yes)).sum()),
    }
}

fn indicator_figure(
    ind: &Indicator,
    now_groups: &Groups,
    before_groups: &Groups,
    expected: u32,
) -> IndicatorFigure {
    let subs = subtotals_of(now_groups, &ind.code);
    let value = county_value(ind, &subs);
    let prior = county_value(ind, &subtotals_of(before_groups, &ind.code));
    let change = value.zip(prior).map(|(v, p)| v - p);
    let change_pct = change
        .zip(prior)
        .and_then(|(c, p)| (p != 0.0).then(|| c / p));
    let count_yes = ind.aggregation == Aggregation::CountYes;
    let subtotals = subs
        .iter()
        .map(|(k, g)| (*k, if count_yes { f64::from(g.yes) } else { g.value }))
        .collect();
    IndicatorFigure {
        code: ind.code.clone(),
        name: ind.name.clone(),
        unit: ind.unit.clone(),
        section: ind.section.clone(),
        aggregation: ind.aggregation,
        value,
        prior,
        change,
        change_pct,
        subtotals,
        units_reporting: subs.values().map(|g| g.units).sum(),
        yes: count_yes.then(|| subs.values().map(|g| g.yes).sum()),
        expected_units: count_yes.then_some(expected),
    }
}

/// One row per accepted unit, with its (mapped) prior-year values.
fn unit_rows(now: Vec<UnitValues>, before: Vec<UnitValues>) -> Vec<UnitRow> {
    // Last year's value maps move into this year's rows (unit codes are distinct on each side):
    // copying them cost a million string copies at 10,000 units.
    let mut prior: FxHashMap<String, BTreeMap<String, f64>> =
        before.into_iter().map(|u| (u.code, u.values)).collect();
    now.into_iter()
        .map(|u| UnitRow {
            prior: prior.remove(u.code.as_str()).unwrap_or_default(),
            code: u.code,
            name: u.name,
            kind: u.kind,
            values: u.values,
            origins: u.origins,
        })
        .collect()
}
