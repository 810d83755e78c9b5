//! Aggregation: accepted submissions → county figures, unit-kind subtotals, recomputed rates and
//! year-on-year change, with the exact semantics of the domain reference (§1.4, §1.6). polars types
//! stay inside this module; what leaves it are the plain [`Figures`] structs.

pub mod history;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::registry::{Registry, UnitKind};
use crate::schema::{Aggregation, Schema};
use crate::Result;

/// One accepted value in long form: the unit of aggregation and of the history file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub year: i32,
    pub unit: String,
    pub kind: UnitKind,
    pub indicator: String,
    pub value: f64,
    /// `file!sheet!cell` it came from.
    pub origin: String,
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
    pub origins: BTreeMap<String, String>,
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
pub fn aggregate(
    _schema: &Schema,
    _registry: &Registry,
    _year: i32,
    _current: &[Record],
    _prior: &[Record],
    _coverage: Coverage,
) -> Result<Figures> {
    todo!("aggregation")
}
