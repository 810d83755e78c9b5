//! The blank (or, for the sample county, filled) submission workbook: 封面, 统计表, 填报说明.

mod cover;
mod data;
mod guide;
mod live;
mod style;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, XlsxError};
use std::collections::BTreeMap;

use super::FIXED_DATETIME;
use crate::registry::Unit;
use crate::schema::Schema;
use crate::Result;

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
    /// The county's deadline, contact and 表号 for the cover ([`crate::settings`]).
    pub settings: crate::settings::Settings,
}

/// A value as typed into a cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellInput {
    Number(f64),
    Text(String),
}

/// Builds the workbook for one unit and returns its bytes (deterministic).
pub fn build(schema: &Schema, unit: &Unit, year: i32, fill: &TemplateFill) -> Result<Vec<u8>> {
    write_workbook(schema, unit, year, fill)
        .map_err(|e| crate::Error::Other(format!("生成 {} 的填报模板失败：{e}", unit.name)))
}

fn write_workbook(
    schema: &Schema,
    unit: &Unit,
    year: i32,
    fill: &TemplateFill,
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = super::new_workbook();
    let (y, m, d) = FIXED_DATETIME;
    // A fixed creation time is the only thing needed for byte-identical output.
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{}（{year}年度）{}", schema.title, unit.name))
            .set_author("huizong")
            .set_comment(format!("模板版本 {}", schema.template_version))
            .set_creation_datetime(&ExcelDateTime::from_ymd(y, m, d)?.and_hms(0, 0, 0)?),
    );
    cover::write(wb.add_worksheet(), schema, unit, year, fill)?;
    data::write(wb.add_worksheet(), schema, unit, year, fill)?;
    guide::write(wb.add_worksheet(), schema, unit)?;
    wb.save_to_buffer()
}

/// The file name for a unit's workbook: `<code>_<name>_<year>.xlsx`. Characters that Windows or
/// Unix refuse in file names (`/`, `\`, `:` …) are replaced by `_`, so a name such as
/// "农业农村局/乡村振兴局" cannot point into another folder.
pub fn file_name(unit: &Unit, year: i32) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_control()
                    || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
                {
                    '_'
                } else {
                    c
                }
            })
            .collect()
    };
    format!("{}_{}_{}.xlsx", safe(&unit.code), safe(&unit.name), year)
}
