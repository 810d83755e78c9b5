//! The blank (or, for the sample county, filled) submission workbook: 封面, 统计表, 填报说明.

use crate::registry::Unit;
use crate::schema::Schema;
use crate::Result;
use std::collections::BTreeMap;

/// What goes into the editable cells. Blank templates use `TemplateFill::default()`; the sample
/// generator fills values as a unit would, including raw strings such as "5000余".
#[derive(Debug, Clone, Default)]
pub struct TemplateFill {
    /// Indicator code → what the unit typed in 本年数.
    pub current: BTreeMap<String, CellInput>,
    /// Indicator code → 上年数 shown (locked).
    pub prior: BTreeMap<String, f64>,
    /// Indicator code → 说明 text.
    pub notes: BTreeMap<String, String>,
    pub filler: Option<String>,
    pub phone: Option<String>,
    pub head: Option<String>,
    /// Overrides the cover's 单位代码 (to plant an identity defect); normally the unit's code.
    pub cover_code: Option<String>,
    /// Overrides 统计截止日期 (default `<year>-12-31`).
    pub cutoff_date: Option<String>,
}

/// A value as typed into a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellInput {
    Number(f64),
    Text(String),
}

/// Builds the workbook for one unit and returns its bytes (deterministic).
pub fn build(_schema: &Schema, _unit: &Unit, _year: i32, _fill: &TemplateFill) -> Result<Vec<u8>> {
    todo!("template writer")
}

/// The file name for a unit's workbook: `<code>_<name>_<year>.xlsx`.
pub fn file_name(unit: &Unit, year: i32) -> String {
    format!("{}_{}_{}.xlsx", unit.code, unit.name, year)
}
