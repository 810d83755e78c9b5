//! Aggregation: accepted submissions → county figures, unit-kind subtotals, recomputed rates and
//! year-on-year change, with the exact semantics of docs/reference/domain.md (§1.4, §1.6). polars types
//! stay inside this module; what leaves it are the plain [`Figures`] structs.
//!
//! Entry points: [`map_prior`] aligns last year's records with this year's units, [`aggregate`]
//! computes the figures, [`figures_json`] dumps them, [`history`] keeps the long data across
//! years.

mod edition;
mod frame;
pub mod history;
mod prior;
mod rates;
pub mod rollup;
mod units;
mod unverified;

pub use edition::{mark_editions, renamed_note};
pub use prior::{map_edition, map_prior, EditionMapped};
pub use rollup::{Incomplete, Level};
pub use unverified::{mark_unverified, Unverified};

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
    /// Units whose submission has errors, so their data was held back (and those `run --strict`
    /// held back, [`Coverage::held_unverified`]).
    pub held_back: Vec<String>,
    /// Expected units with no file.
    pub missing: Vec<String>,
    /// Units present in the prior year's data.
    pub prior_units: Vec<String>,
    /// The set of reporting units differs between the years (after following predecessors).
    pub units_changed: bool,
    /// Units whose last-year values are in last year's reported total but outside the
    /// comparison (可比口径), because they are not aggregated this year: this year's codes (a
    /// held-back or missing unit, a merged unit under its successor's code), then last year's
    /// codes of units no unit active this year continues. Filled in by [`aggregate`].
    #[serde(default)]
    pub prior_excluded: Vec<String>,
    /// Units aggregated this year without last-year values (new units): they count in this
    /// year's figures with nothing to compare. Filled in by [`aggregate`].
    #[serde(default)]
    pub without_prior: Vec<String>,
    /// In a roll-up: the regions whose own run left units out (held back or missing), so their
    /// figures are summed as they stand but are not complete. Empty in a county run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<Incomplete>,
    /// Units held back by `run --strict` because something in their data is still to verify
    /// (an unexplained warning, an open anomaly); also in `held_back`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held_unverified: Vec<String>,
}

/// Why a unit's last year is outside the comparison (可比口径).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LeftOut {
    /// Sent this year, held back for errors.
    HeldBack,
    /// Expected this year, sent nothing.
    Missing,
    /// Not among this year's units (abolished, or continued by nobody in the registry).
    Other,
}

impl LeftOut {
    /// The Chinese words after "N个单位": "暂未汇总", "未报送", "本年不再报送".
    pub fn label(self) -> &'static str {
        match self {
            LeftOut::HeldBack => "暂未汇总",
            LeftOut::Missing => "未报送",
            LeftOut::Other => "本年不再报送",
        }
    }
}

impl Coverage {
    /// Whether last year's figures over this year's units (可比口径) cover other units than
    /// last year's report, or some aggregated unit has nothing to compare.
    pub fn scope_differs(&self) -> bool {
        !self.prior_excluded.is_empty() || !self.without_prior.is_empty()
    }

    /// Why each unit of [`Coverage::prior_excluded`] is left out.
    pub fn left_out(&self) -> FxHashMap<&str, LeftOut> {
        // In a roll-up the units left out are the regions' own units, listed per region.
        let nested = |f: fn(&Incomplete) -> &Vec<String>| {
            self.incomplete
                .iter()
                .flat_map(move |i| f(i).iter().map(String::as_str))
        };
        let held: FxHashSet<&str> = self
            .held_back
            .iter()
            .map(String::as_str)
            .chain(nested(|i| &i.held_back))
            .collect();
        let missing: FxHashSet<&str> = self
            .missing
            .iter()
            .map(String::as_str)
            .chain(nested(|i| &i.missing))
            .collect();
        self.prior_excluded
            .iter()
            .map(|c| {
                let why = if held.contains(c.as_str()) {
                    LeftOut::HeldBack
                } else if missing.contains(c.as_str()) {
                    LeftOut::Missing
                } else {
                    LeftOut::Other
                };
                (c.as_str(), why)
            })
            .collect()
    }

    /// [`Coverage::prior_excluded`] counted by reason, reasons in order, empty ones left out.
    pub fn left_out_counts(&self) -> Vec<(LeftOut, usize)> {
        let mut counts: BTreeMap<LeftOut, usize> = BTreeMap::new();
        for why in self.left_out().into_values() {
            *counts.entry(why).or_default() += 1;
        }
        counts.into_iter().collect()
    }
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
    /// Last year's figure of the units aggregated this year (可比口径: through registry
    /// predecessors, a merged unit's predecessors summed). `change` and `change_pct` use it.
    pub prior: Option<f64>,
    /// Last year's county figure as reported (报送口径): every unit of last year's data.
    #[serde(default)]
    pub prior_reported: Option<f64>,
    /// Units whose last-year value is in `prior_reported` but not in `prior` (codes as in
    /// [`Coverage::prior_excluded`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prior_excluded: Vec<String>,
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
    /// Units whose value in this figure is not verified yet (待核实 or 不予认可 at warning or
    /// error level: an anomaly, or a rule warning without explanation), in unit order; empty
    /// when the figure rests on verified values only ([`mark_unverified`]).
    #[serde(default)]
    pub unverified: Vec<String>,
    /// False when last year has no comparable value after a change of indicator system: then
    /// `prior` and the changes are `None` and [`IndicatorFigure::not_comparable_reason`] says
    /// why ([`mark_editions`]).
    #[serde(default = "comparable_default")]
    pub comparable: bool,
    /// `新增指标` or `口径变化` when not comparable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_comparable_reason: Option<String>,
    /// How last year's value was taken from the previous edition (`上年为 GF01（改代码）`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_mapping: Option<String>,
}

fn comparable_default() -> bool {
    true
}

/// A recomputed rate: Σ numerator / Σ denominator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateFigure {
    pub code: String,
    pub name: String,
    pub numerator_text: String,
    pub denominator_text: String,
    /// The two in words (`集体学法不少于4次的单位数`, `应报单位数`), for people
    /// ([`crate::schema::label`]).
    #[serde(default)]
    pub numerator_label: String,
    #[serde(default)]
    pub denominator_label: String,
    pub numerator: f64,
    pub denominator: f64,
    /// `None` when the denominator is 0.
    pub value: Option<f64>,
    /// Last year's sums and rate over the units aggregated this year (可比口径).
    pub prior_numerator: Option<f64>,
    pub prior_denominator: Option<f64>,
    pub prior_value: Option<f64>,
    /// Last year's sums and rate as reported (报送口径): every unit of last year's data.
    #[serde(default)]
    pub prior_reported_numerator: Option<f64>,
    #[serde(default)]
    pub prior_reported_denominator: Option<f64>,
    #[serde(default)]
    pub prior_reported: Option<f64>,
    /// value − prior_value, in 百分点 (percentage points).
    pub change_pp: Option<f64>,
    pub decimals: u8,
    /// Units that contributed (reported both inputs).
    pub units: u32,
    /// Units whose numerator or denominator values (or their reported rate) are not verified
    /// yet, in unit order ([`mark_unverified`]).
    #[serde(default)]
    pub unverified: Vec<String>,
    /// False when an indicator of the rate has no comparable prior ([`mark_editions`]).
    #[serde(default = "comparable_default")]
    pub comparable: bool,
    /// `新增指标` or `口径变化` when not comparable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_comparable_reason: Option<String>,
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
    /// Whose figures: a county run's, or a roll-up of counties (city) or of cities (province).
    /// Left out of a county's JSON, which keeps the shape it always had.
    #[serde(default, skip_serializing_if = "Level::is_county")]
    pub level: Level,
    /// The region's 6-digit division code (GB/T 2260): a county run's from its registry's
    /// `parent` column (when every unit names the same one), a roll-up's from its registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
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

/// Last year's records, both ways (see [`aggregate_years`]).
#[derive(Debug, Clone, Copy)]
pub struct PriorYear<'a> {
    /// Mapped onto this year's unit codes through predecessors ([`map_prior`]).
    pub mapped: &'a [Record],
    /// As reported: under last year's own unit codes. Records of other years are ignored (a
    /// history file holds every year).
    pub reported: &'a [Record],
}

/// Aggregates the accepted records of `year` with `prior` records of `year - 1` already mapped
/// to this year's unit codes: [`aggregate_years`] with the mapped records standing for last
/// year's report too (its `prior_reported` is then their total over every unit).
pub fn aggregate(
    schema: &Schema,
    registry: &Registry,
    year: i32,
    current: &[Record],
    prior: &[Record],
    coverage: Coverage,
) -> Result<Figures> {
    let prior = PriorYear {
        mapped: prior,
        reported: prior,
    };
    aggregate_years(schema, registry, year, current, prior, coverage)
}

/// Aggregates the accepted records of `year` into county figures, with last year's figures two
/// ways: over the same units (可比口径, `prior`, from which the change is computed) and as
/// reported (报送口径, `prior_reported`).
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
/// - rates: Σ numerator / Σ denominator over the units where both are defined, never averaged;
/// - 可比口径: last year's values of exactly the units aggregated this year (those with a record
///   in `current` or listed in `coverage.accepted`), each through its registry predecessors
///   (`prior.mapped`); a held-back or missing unit's last year is left out, a new unit has none.
///   County-office and court values are single units' values, compared when that unit is
///   aggregated this year. The units left out are listed per indicator and in the coverage.
///
/// Cost: each year's records are folded into unit rows once. A unit that continues only itself
/// has one row for both of last year's views; only the few other units of last year's report
/// (held back, missing, merged, discontinued) are folded a second time, as reported.
///
/// Indicators and rates come out in schema order, units in registry order.
pub fn aggregate_years(
    schema: &Schema,
    registry: &Registry,
    year: i32,
    current: &[Record],
    prior: PriorYear,
    mut coverage: Coverage,
) -> Result<Figures> {
    refuse_non_finite(current)?;
    refuse_non_finite(prior.mapped)?;
    if !std::ptr::eq(prior.mapped, prior.reported) {
        refuse_non_finite(prior.reported)?;
    }
    let scope = Scope::new(registry, year, current, &coverage.accepted);
    // The two years are independent until they are compared: fold and group them side by side.
    // Last year's origins are in last year's history; keeping them here cost ~160 MB at 10,000 units.
    let ((now, now_groups), before) = rayon::join(
        || {
            let now = units::collect_units(schema, registry, current, &coverage.accepted, true);
            let groups = frame::group_sums(&now, frame::is_yes);
            (now, groups)
        },
        || PriorSide::build(schema, registry, year - 1, prior, &scope),
    );
    let (now_groups, before) = (now_groups?, before?);
    let excluded = before.excluded(&scope);
    let indicators: Vec<IndicatorFigure> = schema
        .indicators
        .iter()
        .map(|ind| {
            let expected = expected_units(ind, registry, year);
            let mut f = indicator_figure(ind, &now_groups, &before, expected);
            f.prior_excluded = excluded
                .iter()
                .filter(|u| u.values.contains_key(&ind.code) && counts_kind(ind, u.kind))
                .map(|u| u.code.clone())
                .collect();
            f
        })
        .collect();
    let prior_codes: FxHashSet<&str> = before.comparable.iter().map(|u| u.code.as_str()).collect();
    let without_prior = now
        .iter()
        .filter(|u| !prior_codes.contains(u.code.as_str()))
        .map(|u| u.code.clone())
        .collect();
    let prior_excluded = excluded.iter().map(|u| u.code.clone()).collect();
    drop((prior_codes, excluded, scope));
    coverage.prior_excluded = prior_excluded;
    coverage.without_prior = without_prior;
    let prior_of: FxHashMap<&str, &BTreeMap<String, f64>> = before
        .comparable
        .iter()
        .map(|u| (u.code.as_str(), &u.values))
        .collect();
    let prior_units = rates::PriorUnits {
        comparable: &before.comparable,
        as_reported: &before.as_reported,
        reported_rest: &before.reported_rest,
    };
    let mut rates = rates::rate_figures(&schema.rates, &now, &prior_units, &prior_of);
    for r in &mut rates {
        if let Some((n, d)) = schema.rate_labels(&r.code) {
            (r.numerator_label, r.denominator_label) = (n, d);
        }
    }
    drop(prior_of);
    refuse_overflow(&indicators, &rates)?;
    Ok(Figures {
        year,
        prior_year: year - 1,
        schema_id: schema.id.clone(),
        schema_edition: schema.edition.clone(),
        level: Level::County,
        region: rollup::region_of(registry, year),
        coverage,
        indicators,
        rates,
        units: unit_rows(now, before.comparable),
    })
}

/// Who is compared with whom.
struct Scope<'a> {
    /// Units aggregated this year: a record in the current data, or accepted (an accepted unit
    /// may have left every cell blank).
    aggregated: FxHashSet<&'a str>,
    /// Aggregated units active this year without predecessors: [`map_prior`] gives them their
    /// own records, so their mapped row is also their row of last year's report.
    as_reported: FxHashSet<&'a str>,
    /// Units active this year and every unit one of them continues; last year's other units are
    /// continued by nobody.
    continued: FxHashSet<&'a str>,
}

impl<'a> Scope<'a> {
    fn new(
        registry: &'a Registry,
        year: i32,
        current: &'a [Record],
        accepted: &'a [String],
    ) -> Self {
        let mut aggregated: FxHashSet<&str> = FxHashSet::default();
        // A unit's records arrive together: one lookup per unit, not per record.
        let mut last: Option<&str> = None;
        for r in current {
            if last != Some(&*r.unit) {
                aggregated.insert(&*r.unit);
                last = Some(&*r.unit);
            }
        }
        aggregated.extend(
            accepted
                .iter()
                .filter(|c| registry.get(c).is_some())
                .map(String::as_str),
        );
        let mut as_reported = FxHashSet::default();
        let mut continued = FxHashSet::default();
        for u in registry.active_in(year) {
            continued.insert(u.code.as_str());
            continued.extend(u.predecessors.iter().map(|(c, _)| c.as_str()));
            if u.predecessors.is_empty() && aggregated.contains(u.code.as_str()) {
                as_reported.insert(u.code.as_str());
            }
        }
        Scope {
            aggregated,
            as_reported,
            continued,
        }
    }
}

/// Last year's unit rows and their sums, both ways.
struct PriorSide {
    /// Mapped rows of the units aggregated this year, in unit order.
    comparable: Vec<UnitValues>,
    /// Per comparable row: it is also the unit's row as reported.
    as_reported: Vec<bool>,
    /// Mapped rows of units not aggregated this year.
    outside: Vec<UnitValues>,
    /// Rows as reported of last year's units other than the `as_reported` ones.
    reported_rest: Vec<UnitValues>,
    comparable_groups: Groups,
    reported_groups: Groups,
}

impl PriorSide {
    fn build(
        schema: &Schema,
        registry: &Registry,
        prior_year: i32,
        prior: PriorYear,
        scope: &Scope,
    ) -> Result<Self> {
        let (mapped, reported_rest) = rayon::join(
            || units::collect_units(schema, registry, prior.mapped, &[], false),
            || {
                let mut last: Option<(&str, bool)> = None;
                let rest = prior.reported.iter().filter(move |r| {
                    if r.year != prior_year {
                        return false;
                    }
                    let unit = &*r.unit;
                    let same = match last {
                        Some((code, same)) if code == unit => same,
                        _ => scope.as_reported.contains(unit),
                    };
                    last = Some((unit, same));
                    !same
                });
                units::collect_units(schema, registry, rest, &[], false)
            },
        );
        let (comparable, outside): (Vec<UnitValues>, Vec<UnitValues>) = mapped
            .into_iter()
            .partition(|u| scope.aggregated.contains(u.code.as_str()));
        let as_reported: Vec<bool> = comparable
            .iter()
            .map(|u| scope.as_reported.contains(u.code.as_str()))
            .collect();
        let rows = |same: bool| {
            comparable
                .iter()
                .zip(&as_reported)
                .filter(move |(_, s)| **s == same)
                .map(|(u, _)| u)
        };
        let yes = frame::any_yes;
        let shared = frame::group_sums(rows(true), yes)?;
        let comparable_groups = frame::merge(shared.clone(), &frame::group_sums(rows(false), yes)?);
        let reported_groups = frame::merge(shared, &frame::group_sums(&reported_rest, yes)?);
        Ok(PriorSide {
            comparable,
            as_reported,
            outside,
            reported_rest,
            comparable_groups,
            reported_groups,
        })
    }

    /// The rows of last year's report left out of the comparison: units not aggregated this
    /// year (under this year's code), then units nobody continues (under last year's code).
    fn excluded(&self, scope: &Scope) -> Vec<&UnitValues> {
        let mut out: Vec<&UnitValues> = self.outside.iter().collect();
        let mut seen: FxHashSet<&str> = out.iter().map(|u| u.code.as_str()).collect();
        for u in &self.reported_rest {
            if !scope.continued.contains(u.code.as_str()) && seen.insert(u.code.as_str()) {
                out.push(u);
            }
        }
        out
    }
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
        [f.value, f.prior, f.prior_reported, f.change, f.change_pct]
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
                    r.prior_reported_numerator,
                    r.prior_reported_denominator,
                    r.prior_reported,
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

/// Whether a unit of `kind` enters the county value of `ind`.
pub(crate) fn counts_kind(ind: &Indicator, kind: UnitKind) -> bool {
    match ind.aggregation {
        Aggregation::County => county_kind(ind) == Some(kind),
        _ => true,
    }
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
    before: &PriorSide,
    expected: u32,
) -> IndicatorFigure {
    let subs = subtotals_of(now_groups, &ind.code);
    let value = county_value(ind, &subs);
    let prior = county_value(ind, &subtotals_of(&before.comparable_groups, &ind.code));
    let prior_reported = county_value(ind, &subtotals_of(&before.reported_groups, &ind.code));
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
        prior_reported,
        prior_excluded: Vec::new(),
        change,
        change_pct,
        subtotals,
        units_reporting: subs.values().map(|g| g.units).sum(),
        yes: count_yes.then(|| subs.values().map(|g| g.yes).sum()),
        expected_units: count_yes.then_some(expected),
        unverified: Vec::new(),
        comparable: true,
        not_comparable_reason: None,
        prior_mapping: None,
    }
}

/// One row per accepted unit, with its (mapped) prior-year values (`before`: the comparable rows).
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
