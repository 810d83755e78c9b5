//! Roll-up one level up (docs/reference/domain.md §5.3): a city's figures from its counties'
//! figures, a province's from its cities', with the same algebra as a county's from its units.
//!
//! A region's [`Figures`] already hold every sum the level above needs: the value and the
//! subtotals of each indicator, Σ numerator and Σ denominator of each rate, the 是 count and the
//! number of units asked, and last year's figures over the same units (可比口径) and as reported.
//! So the level above adds them and recomputes what is not a sum:
//!
//! | what | one level up |
//! |---|---|
//! | `sum`, `sum_overlap`, `stock` | Σ over the regions (+ the level's own units) |
//! | `county` (复议, the court's cases) | Σ of the regions' county-office values + the level's own office (市政府复议, 中院) |
//! | `count_yes` | Σ 是 of Σ units asked ("m of n units") |
//! | rates | Σ numerators / Σ denominators, never an average of the regions' rates |
//! | 可比口径 prior | Σ of the regions' comparable priors: last year of the same units of the same regions |
//! | subtotals | per unit kind, summed (乡镇小计 of the city = Σ the counties' 乡镇小计); the level's own units under its office kind (市本级) |
//!
//! The level's own workbooks (市本级, 中院) are aggregated by [`super::aggregate_years`] like a
//! county's units and enter here as one more [`Figures`]. Each region becomes one
//! [`UnitRow`] (its figures as values, its comparable priors as prior), so the anomaly checks
//! compare regions as peers exactly as they compare a county's units.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Coverage, Figures, IndicatorFigure, RateFigure, UnitRow};
use crate::registry::{Registry, UnitKind};
use crate::schema::{Aggregation, Schema};
use crate::Result;

/// Whose figures: a county run's, or a roll-up of the level below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// `huizong run`: the county's units.
    #[default]
    County,
    /// `huizong rollup` over counties.
    City,
    /// `huizong rollup` over cities.
    Province,
}

impl Level {
    /// For serde: a county's JSON leaves the field out.
    pub fn is_county(&self) -> bool {
        *self == Level::County
    }

    /// 县 / 市 / 省.
    pub fn area(self) -> &'static str {
        match self {
            Level::County => "县",
            Level::City => "市",
            Level::Province => "省",
        }
    }

    /// The output set's label in the manifest: `汇总 2024`, `市汇总 2024`, `省汇总 2024`.
    pub fn set_label(self, year: i32) -> String {
        match self {
            Level::County => format!("汇总 {year}"),
            other => format!("{}汇总 {year}", other.area()),
        }
    }

    /// The level and year of an output set's label ([`Level::set_label`]); `None` for any other
    /// set (templates) or a label of no level.
    pub fn parse_label(label: &str) -> Option<(Level, i32)> {
        let (kind, year) = label.split_once(' ')?;
        let year = year.trim().parse().ok()?;
        let level = [Level::County, Level::City, Level::Province]
            .into_iter()
            .find(|l| l.set_label(year) == format!("{kind} {year}"))?;
        Some((level, year))
    }

    /// The registry kind of a region whose figures are of this level (`county`, `city`).
    pub fn region_kind(self) -> Option<UnitKind> {
        match self {
            Level::County => Some(UnitKind::County),
            Level::City => Some(UnitKind::City),
            Level::Province => None,
        }
    }

    /// The level a roll-up of regions of `kind` produces.
    pub fn above(kind: UnitKind) -> Option<Level> {
        match kind {
            UnitKind::County => Some(Level::City),
            UnitKind::City => Some(Level::Province),
            _ => None,
        }
    }

    /// The kind the level's own units are subtotalled under (市本级, 省本级).
    pub fn office_kind(self) -> UnitKind {
        match self {
            Level::Province => UnitKind::ProvinceOffice,
            _ => UnitKind::CityOffice,
        }
    }
}

/// A region summed although its own run left units out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Incomplete {
    /// The region's registry code.
    pub unit: String,
    /// Units held back for errors in the region's run (through nested roll-ups).
    pub held_back: Vec<String>,
    /// Units (or regions) that sent nothing.
    pub missing: Vec<String>,
}

/// The 6-digit division code every unit active in `year` names as its parent, when they agree
/// (a county's registry); `None` when none does or they name several.
pub fn region_of(registry: &Registry, year: i32) -> Option<String> {
    let mut found: Option<&str> = None;
    for u in registry.active_in(year) {
        let p = u.parent.as_deref().filter(|p| is_division_code(p))?;
        match found {
            Some(f) if f != p => return None,
            _ => found = Some(p),
        }
    }
    found.map(String::from)
}

/// A 6-digit division code (GB/T 2260).
pub fn is_division_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// One region's figures, as read from its run's output.
#[derive(Debug, Clone)]
pub struct Region {
    /// Its code and name in the roll-up's registry.
    pub code: String,
    pub name: String,
    /// `county` or `city`.
    pub kind: UnitKind,
    pub figures: Figures,
    /// Where its figures came from (`县A/汇总/figures_2024.json`): the origin of its values.
    pub origin: Arc<str>,
}

/// Which level and which region a roll-up is.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub schema: &'a Schema,
    pub year: i32,
    pub level: Level,
    pub region: Option<String>,
}

/// Adds the regions' figures and the level's own (`own`: its workbooks aggregated by
/// [`super::aggregate_years`]) into the figures one level up. `regions` come in registry order;
/// `coverage` has who was expected, received and accepted (regions and own units), and gets the
/// regions' incomplete runs, the units left out of the comparison and the regions without last
/// year's data.
pub fn roll_up(
    target: &Target,
    regions: &[Region],
    own: Option<&Figures>,
    mut coverage: Coverage,
) -> Result<Figures> {
    let schema = target.schema;
    let office = target.level.office_kind();
    // The level's own figures, seen as one more region whose subtotals are all the office's.
    let own_as_region = own.map(|f| {
        let mut f = f.clone();
        for ind in &mut f.indicators {
            let total: f64 = ind.subtotals.values().sum();
            ind.subtotals = if ind.subtotals.is_empty() {
                BTreeMap::new()
            } else {
                BTreeMap::from([(office, total)])
            };
        }
        f
    });
    let parts: Vec<&Figures> = regions
        .iter()
        .map(|r| &r.figures)
        .chain(own_as_region.as_ref())
        .collect();
    let indicators: Vec<IndicatorFigure> = schema
        .indicators
        .iter()
        .map(|ind| {
            let figs: Vec<&IndicatorFigure> = parts
                .iter()
                .filter_map(|f| f.indicator(&ind.code))
                .collect();
            indicator(ind.code.as_str(), ind, &figs)
        })
        .collect();
    // A figure rests on unverified values where a region's (or the office's) figure does: the
    // level lists those regions (its own units), as a county lists its units.
    let codes: Vec<&str> = regions
        .iter()
        .map(|r| r.code.as_str())
        .chain(own.map(|_| ""))
        .collect();
    let unverified = |of: &dyn Fn(&Figures) -> bool, own_units: &[String]| -> Vec<String> {
        let mut out = Vec::new();
        for (f, code) in parts.iter().zip(&codes) {
            if code.is_empty() {
                out.extend(own_units.iter().cloned());
            } else if of(f) {
                out.push((*code).to_string());
            }
        }
        out
    };
    let mut indicators = indicators;
    for f in &mut indicators {
        let own_units: Vec<String> = own
            .and_then(|o| o.indicator(&f.code))
            .map(|i| i.unverified.clone())
            .unwrap_or_default();
        let code = f.code.clone();
        f.unverified = unverified(
            &|p: &Figures| p.indicator(&code).is_some_and(|i| !i.unverified.is_empty()),
            &own_units,
        );
    }
    let rates: Vec<RateFigure> = schema
        .rates
        .iter()
        .map(|rate| {
            let figs: Vec<&RateFigure> = parts.iter().filter_map(|f| f.rate(&rate.code)).collect();
            let mut r = rate_figure(rate, &figs);
            if let Some((n, d)) = schema.rate_labels(&rate.code) {
                (r.numerator_label, r.denominator_label) = (n, d);
            }
            let own_units: Vec<String> = own
                .and_then(|o| o.rate(&rate.code))
                .map(|x| x.unverified.clone())
                .unwrap_or_default();
            r.unverified = unverified(
                &|p: &Figures| p.rate(&rate.code).is_some_and(|x| !x.unverified.is_empty()),
                &own_units,
            );
            r
        })
        .collect();
    super::refuse_overflow(&indicators, &rates)?;

    for r in regions {
        let c = &r.figures.coverage;
        let mut held_back = c.held_back.clone();
        let mut missing = c.missing.clone();
        for i in &c.incomplete {
            held_back.extend(i.held_back.iter().cloned());
            missing.extend(i.missing.iter().cloned());
        }
        if !held_back.is_empty() || !missing.is_empty() {
            coverage.incomplete.push(Incomplete {
                unit: r.code.clone(),
                held_back,
                missing,
            });
        }
        coverage.units_changed |= c.units_changed;
    }
    let mut excluded: Vec<String> = parts
        .iter()
        .flat_map(|f| f.coverage.prior_excluded.iter().cloned())
        .collect();
    excluded.dedup();
    coverage.prior_excluded = excluded;
    coverage.without_prior = regions
        .iter()
        .filter(|r| !has_prior(&r.figures))
        .map(|r| r.code.clone())
        .chain(
            own.into_iter()
                .flat_map(|f| f.coverage.without_prior.iter().cloned()),
        )
        .collect();

    let mut units: Vec<UnitRow> = regions.iter().map(region_row).collect();
    if let Some(own) = own {
        units.extend(own.units.iter().cloned().map(|mut u| {
            u.kind = office;
            u
        }));
    }
    Ok(Figures {
        year: target.year,
        prior_year: target.year - 1,
        schema_id: schema.id.clone(),
        schema_edition: schema.edition.clone(),
        level: target.level,
        region: target.region.clone(),
        coverage,
        indicators,
        rates,
        units,
    })
}

/// Whether a region's figures compare with anything of last year.
fn has_prior(f: &Figures) -> bool {
    f.indicators.iter().any(|i| i.prior.is_some())
}

/// Σ of the values that are there; `None` when none is.
fn sum_some(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

fn sum_u32(values: impl Iterator<Item = Option<u32>>) -> Option<u32> {
    values
        .flatten()
        .fold(None, |acc, v| Some(acc.unwrap_or(0u32).saturating_add(v)))
}

/// One indicator one level up: every part's figure added.
fn indicator(
    code: &str,
    ind: &crate::schema::Indicator,
    figs: &[&IndicatorFigure],
) -> IndicatorFigure {
    let value = sum_some(figs.iter().map(|f| f.value));
    let prior = sum_some(figs.iter().map(|f| f.prior));
    let prior_reported = sum_some(figs.iter().map(|f| f.prior_reported));
    let change = value.zip(prior).map(|(v, p)| v - p);
    let change_pct = change
        .zip(prior)
        .and_then(|(c, p)| (p != 0.0).then(|| c / p));
    let mut subtotals: BTreeMap<UnitKind, f64> = BTreeMap::new();
    for f in figs {
        for (k, v) in &f.subtotals {
            *subtotals.entry(*k).or_default() += v;
        }
    }
    let mut prior_excluded: Vec<String> = figs
        .iter()
        .flat_map(|f| f.prior_excluded.iter().cloned())
        .collect();
    prior_excluded.dedup();
    let count_yes = ind.aggregation == Aggregation::CountYes;
    // A region without a comparable prior (its run changed edition) makes the level's prior
    // incomplete: not comparable either.
    let not_comparable = figs.iter().find_map(|f| f.not_comparable_reason.clone());
    let (prior, prior_reported, change, change_pct) = if not_comparable.is_some() {
        (None, None, None, None)
    } else {
        (prior, prior_reported, change, change_pct)
    };
    IndicatorFigure {
        code: code.to_string(),
        name: ind.name.clone(),
        unit: ind.unit.clone(),
        section: ind.section.clone(),
        aggregation: ind.aggregation,
        value,
        prior,
        prior_reported,
        prior_excluded,
        change,
        change_pct,
        subtotals,
        units_reporting: figs
            .iter()
            .map(|f| f.units_reporting)
            .fold(0u32, u32::saturating_add),
        yes: if count_yes {
            sum_u32(figs.iter().map(|f| f.yes))
        } else {
            None
        },
        expected_units: if count_yes {
            sum_u32(figs.iter().map(|f| f.expected_units))
        } else {
            None
        },
        unverified: Vec::new(),
        comparable: not_comparable.is_none(),
        not_comparable_reason: not_comparable,
        prior_mapping: figs.iter().find_map(|f| f.prior_mapping.clone()),
    }
}

/// One rate one level up: Σ numerators / Σ denominators, both years.
fn rate_figure(rate: &crate::schema::Rate, figs: &[&RateFigure]) -> RateFigure {
    let ratio =
        |n: Option<f64>, d: Option<f64>| n.zip(d).and_then(|(n, d)| (d != 0.0).then(|| n / d));
    let numerator: f64 = figs.iter().map(|f| f.numerator).sum();
    let denominator: f64 = figs.iter().map(|f| f.denominator).sum();
    let value = ratio(Some(numerator), Some(denominator));
    let prior_numerator = sum_some(figs.iter().map(|f| f.prior_numerator));
    let prior_denominator = sum_some(figs.iter().map(|f| f.prior_denominator));
    let prior_value = ratio(prior_numerator, prior_denominator);
    let prior_reported_numerator = sum_some(figs.iter().map(|f| f.prior_reported_numerator));
    let prior_reported_denominator = sum_some(figs.iter().map(|f| f.prior_reported_denominator));
    let mut fig = RateFigure {
        code: rate.code.clone(),
        name: rate.name.clone(),
        numerator_text: rate.numerator_text.clone(),
        denominator_text: rate.denominator_text.clone(),
        numerator,
        denominator,
        value,
        prior_numerator,
        prior_denominator,
        prior_value,
        prior_reported_numerator,
        prior_reported_denominator,
        prior_reported: ratio(prior_reported_numerator, prior_reported_denominator),
        change_pp: value.zip(prior_value).map(|(v, p)| (v - p) * 100.0),
        decimals: rate.decimals,
        units: figs.iter().map(|f| f.units).fold(0u32, u32::saturating_add),
        numerator_label: String::new(),
        denominator_label: String::new(),
        unverified: Vec::new(),
        comparable: true,
        not_comparable_reason: None,
    };
    // As for indicators: one region without a comparable prior leaves the level without one.
    if let Some(reason) = figs.iter().find_map(|f| f.not_comparable_reason.clone()) {
        super::edition::rate_not_comparable(&mut fig, &reason);
    }
    fig
}

/// A region as a unit of the level above: its figures are its values, its comparable priors its
/// prior, its figures file the origin of each.
fn region_row(r: &Region) -> UnitRow {
    let mut values = BTreeMap::new();
    let mut prior = BTreeMap::new();
    let mut origins = BTreeMap::new();
    for f in &r.figures.indicators {
        if let Some(v) = f.value {
            values.insert(f.code.clone(), v);
            origins.insert(f.code.clone(), r.origin.clone());
        }
        if let Some(p) = f.prior {
            prior.insert(f.code.clone(), p);
        }
    }
    UnitRow {
        code: r.code.clone(),
        name: r.name.clone(),
        kind: r.kind,
        values,
        prior,
        origins,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_level_and_year() {
        for level in [Level::County, Level::City, Level::Province] {
            assert_eq!(
                Level::parse_label(&level.set_label(2024)),
                Some((level, 2024))
            );
        }
        assert_eq!(Level::set_label(Level::City, 2024), "市汇总 2024");
        assert_eq!(Level::parse_label("模板 2024"), None);
        assert_eq!(Level::parse_label("汇总"), None);
    }

    #[test]
    fn a_region_is_the_parent_every_active_unit_names() {
        let unit = |code: &str, parent: Option<&str>| crate::registry::Unit {
            code: code.into(),
            name: code.into(),
            kind: UnitKind::Township,
            parent: parent.map(String::from),
            active_from: 2020,
            active_to: None,
            predecessors: vec![],
            villages: 0,
        };
        let reg = Registry::new(vec![unit("a", Some("411321")), unit("b", Some("411321"))]);
        assert_eq!(region_of(&reg, 2024).as_deref(), Some("411321"));
        let two = Registry::new(vec![unit("a", Some("411321")), unit("b", Some("411322"))]);
        assert_eq!(region_of(&two, 2024), None);
        let none = Registry::new(vec![unit("a", Some("411321")), unit("b", None)]);
        assert_eq!(region_of(&none, 2024), None);
    }
}
