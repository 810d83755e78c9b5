//! The county summary workbook `汇总_<year>.xlsx`: county figures, rates, per-unit detail, every
//! finding, the anomaly list, who sent what, and a page explaining the figures.
//!
//! Sheets are produced by one function each, listed once in [`SHEETS`]; the workbook has exactly
//! that order. Output is byte-identical for identical input (fixed document timestamp, no
//! wall-clock time unless the caller puts one in [`RunMeta::run_time`]).

mod anomalies;
mod detail;
mod lists;
mod overview;
mod totals;

pub use detail::DetailRow;
pub use overview::SHEET_OVERVIEW;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Worksheet};

use super::styles::{xlsx_err, Styles};
use crate::aggregate::Figures;
use crate::diagnostic::{Diagnostic, Severity};
use crate::registry::{Registry, UnitKind};
use crate::schema::Schema;
use crate::validate::versions::Revision;
use crate::Result;

/// Everything the summary workbook shows.
#[derive(Debug, Clone)]
pub struct SummaryInput<'a> {
    pub figures: &'a Figures,
    pub schema: &'a Schema,
    pub registry: &'a Registry,
    /// Every finding of the run (any order; the 校验问题 sheet sorts them).
    pub findings: &'a [Diagnostic],
    /// One row per expected unit or received file, in the order to show them.
    pub files: &'a [FileStatus],
    pub anomalies: &'a [AnomalyRow],
    pub meta: RunMeta,
}

/// What happened to one unit's submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileState {
    /// 已汇总: read, no errors, aggregated.
    Aggregated,
    /// 已退回(有错误): read, but errors hold the data back.
    Returned,
    /// 未报送: an expected unit with no file.
    Missing,
    /// 无法读取: the file could not be opened or is not our template.
    Unreadable,
    /// 重复报送: another file of the same unit was used instead.
    Duplicate,
    /// 名册外单位: the cover names a unit the registry does not know.
    Unregistered,
    /// 相同文件(按一份计): byte-identical to an earlier file of the batch, counted once there.
    Copy,
    /// 已被替代: a later version of the unit's return replaces it (S14).
    Superseded,
    /// 暂缓汇总(待核实): readable without errors, held back by `run --strict` because a warning
    /// or an anomaly is still to verify.
    HeldUnverified,
}

impl FileState {
    /// The Chinese label shown in the workbook.
    pub fn label(self) -> &'static str {
        match self {
            FileState::Aggregated => "已汇总",
            FileState::Returned => "已退回(有错误)",
            FileState::Missing => "未报送",
            FileState::Unreadable => "无法读取",
            FileState::Duplicate => "重复报送",
            FileState::Unregistered => "名册外单位",
            FileState::Copy => "相同文件(按一份计)",
            FileState::Superseded => "已被替代",
            FileState::HeldUnverified => "暂缓汇总(待核实)",
        }
    }
}

/// One row of the 报送情况 sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct FileStatus {
    /// Registry code, when the unit is known.
    pub unit: Option<String>,
    pub unit_name: String,
    pub kind: Option<UnitKind>,
    pub status: FileState,
    /// The file as the user named it.
    pub file: Option<String>,
    pub sha256: Option<String>,
    pub errors: u32,
    pub warnings: u32,
    /// Its place among the unit's versions, when it sent several ([`Revision`]).
    pub revision: Option<Revision>,
}

/// One row of the 异常提示 sheet (a ranked anomaly).
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyRow {
    /// 1 = most suspicious.
    pub rank: u32,
    /// The entry (unit × problem) it belongs to; rows of one entry make one row of the sheet.
    /// 0 = a row of its own.
    pub entry: u32,
    pub severity: Severity,
    pub unit: String,
    pub unit_name: String,
    pub indicator: String,
    pub indicator_name: String,
    /// `文件!工作表!单元格`.
    pub location: String,
    pub value: Option<f64>,
    pub prior: Option<f64>,
    /// Expected interval (low, high), when the method gives one.
    pub expected: Option<(f64, f64)>,
    /// Which statistic flagged it, e.g. `robust z = 6.2`.
    pub statistic: String,
    pub score: f64,
    pub message: String,
    /// The unit explained it and the reviewer accepted the explanation.
    pub accepted: bool,
    pub accept_reason: Option<String>,
    /// Where the verification stands (待核实, 已说明, 已确认, 不予认可).
    pub status: crate::anomaly::Status,
    /// The unit's own 说明 on the row.
    pub explanation: Option<String>,
    /// The reviewer's reason when rejected.
    pub reject_reason: Option<String>,
}

/// Facts about the run written to the 说明 sheet. No clock time unless given, so repeated runs
/// produce identical files.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunMeta {
    pub tool_version: String,
    pub schema_id: String,
    pub schema_edition: String,
    /// Input files/folders as the user gave them.
    pub inputs: Vec<String>,
    /// Where the prior-year figures came from (history file or folder).
    pub prior_source: Option<String>,
    /// The registry file.
    pub registry: Option<String>,
    /// Written only when present (breaks byte-identical output on purpose).
    pub run_time: Option<String>,
    /// 制表单位, from the county's settings: printed in every sheet's page header.
    pub office: Option<String>,
    /// The figure codes the 概览 sheet shows, in order (the draft's headline figures,
    /// [`crate::draft::TemplateSet::headline_codes`]); empty → the first indicators.
    pub headline: Vec<String>,
}

/// Builds one worksheet of the summary workbook.
type SheetBuilder = fn(&SummaryInput, &Styles) -> Result<Worksheet>;

/// The sheets, in workbook order: name and builder.
pub(crate) const SHEETS: &[(&str, SheetBuilder)] = &[
    (SHEET_OVERVIEW, overview::overview_sheet),
    (SHEET_TOTALS, totals::totals_sheet),
    ("比率", detail::rates_sheet),
    (SHEET_DETAIL, detail::units_sheet),
    ("校验问题", lists::findings_sheet),
    ("异常提示", anomalies::anomalies_sheet),
    ("报送情况", lists::files_sheet),
    ("版本变化", lists::versions_sheet),
    ("说明", lists::notes_sheet),
    (SHEET_CHART_DATA, totals::chart_data_sheet),
];

/// The per-unit sheet.
pub const SHEET_DETAIL: &str = "分单位明细";
/// The county figures by section (after the one-page 概览).
pub const SHEET_TOTALS: &str = "汇总";
/// Hidden sheet holding the chart's data range.
pub const SHEET_CHART_DATA: &str = "图表数据";

/// The sheet names of the summary workbook, in order (the last one is hidden).
pub fn sheet_names() -> Vec<&'static str> {
    SHEETS.iter().map(|(name, _)| *name).collect()
}

/// The summary file name: `汇总_<year>.xlsx`.
pub fn file_name(year: i32) -> String {
    format!("汇总_{year}.xlsx")
}

/// The 分单位明细 sheet built ahead of the rest of the workbook (see [`DetailSheet::build`]).
pub struct DetailSheet(detail::Draft);

impl DetailSheet {
    /// Writes the unit rows of 分单位明细, which need nothing but the figures' indicators and the
    /// unit values: `run` builds this, the largest sheet, while the anomaly checks run. The cells
    /// with findings are filled in by [`build_summary_with`].
    pub fn build(
        figures: &Figures,
        schema: &Schema,
        registry: &Registry,
        units: Vec<DetailRow>,
    ) -> Result<Self> {
        let draft = detail::draft(figures, schema, registry, units, &Styles::default())?;
        Ok(DetailSheet(draft))
    }
}

/// Writes the summary workbook and returns its bytes (deterministic).
pub fn build_summary(input: &SummaryInput) -> Result<Vec<u8>> {
    build_summary_with(input, None)
}

/// [`build_summary`] with the 分单位明细 sheet built beforehand from the same units.
pub fn build_summary_with(input: &SummaryInput, detail: Option<DetailSheet>) -> Result<Vec<u8>> {
    let styles = Styles::default();
    let mut wb = super::new_workbook();
    wb.set_properties(&properties(input)?);
    let mut detail = detail;
    let header = page_header(input);
    for (name, build) in SHEETS {
        let ahead = detail.take_if(|_| *name == SHEET_DETAIL);
        let mut sheet = match ahead {
            Some(DetailSheet(draft)) => detail::finish(draft, input, &styles)?,
            None => build(input, &styles)?,
        };
        sheet.set_header(&header);
        wb.push_worksheet(sheet);
    }
    wb.save_to_buffer().map_err(xlsx_err)
}

/// Every sheet's page header: 制表单位 on the left (when the county's settings name it), the
/// table's title and the sheet's name in the middle, the print date on the right (Excel's
/// `&D`, so the bytes do not depend on the day). `&` in a name is doubled, as Excel reads a
/// single one as a code.
fn page_header(input: &SummaryInput) -> String {
    let esc = |s: &str| s.replace('&', "&&");
    let left = input
        .meta
        .office
        .as_deref()
        .map(|o| format!("&L制表单位：{}", esc(o)))
        .unwrap_or_default();
    format!(
        "{left}&C&\"-,Bold\"{}年{} &A&R打印日期：&D",
        input.figures.year,
        esc(&input.schema.title)
    )
}

fn properties(input: &SummaryInput) -> Result<DocProperties> {
    Ok(DocProperties::new()
        .set_title(format!(
            "{}年{}汇总",
            input.figures.year, input.schema.title
        ))
        .set_author("huizong")
        .set_creation_datetime(&fixed_datetime()?))
}

/// [`crate::report::FIXED_DATETIME`] as an Excel timestamp.
pub(crate) fn fixed_datetime() -> Result<ExcelDateTime> {
    let (y, m, d) = crate::report::FIXED_DATETIME;
    ExcelDateTime::from_ymd(y, m, d)
        .and_then(|d| d.and_hms(0, 0, 0))
        .map_err(xlsx_err)
}

/// The unit's display name from the registry, else its code.
fn unit_name<'a>(registry: &'a Registry, code: &'a str) -> &'a str {
    registry.get(code).map(|u| u.name.as_str()).unwrap_or(code)
}

/// Compact number text for notes: at most two decimals, no trailing zeros.
fn fmt_num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_text_drop_trailing_zeros() {
        assert_eq!(fmt_num(70.0), "70");
        assert_eq!(fmt_num(2.5), "2.5");
        assert_eq!(fmt_num(1234.567), "1234.57");
        assert_eq!(fmt_num(-0.001), "0");
    }

    #[test]
    fn sheet_list_is_unique() {
        let mut names: Vec<_> = SHEETS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SHEETS.len());
    }
}
