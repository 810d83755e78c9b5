//! The 概览 sheet, first in the workbook: one portrait A4 page a leader can read — the
//! figures the annual report leads with ([`RunMeta::headline`], from the draft's section
//! templates), this year and last year on the comparable scope, the change in the report's
//! words (增长/减少, 百分点, 上年为0), whose data it covers, and a chart of the main counts' 同比.
//!
//! The chart leaves out counts in single digits either year: "不予受理 1→4 = +300%" says nothing
//! and would dwarf every real change.

use rust_xlsxwriter::{Chart, ChartDataLabel, ChartFont, ChartType, RowNum, Worksheet};

use super::totals::coverage_line;
use super::{SummaryInput, SHEET_CHART_DATA};
use crate::aggregate::{IndicatorFigure, RateFigure};
use crate::draft::wording;
use crate::report::styles::{xlsx_err, Sheet, Styles};
use crate::schema::Aggregation;
use crate::Result;

/// The sheet's name.
pub const SHEET_OVERVIEW: &str = "概览";

const HEADERS: [&str; 5] = ["指标", "本年", "上年（可比口径）", "同比变化", "备注"];
/// Rows above the table: title, coverage note, blank.
const TOP_ROWS: RowNum = 3;
/// Counts smaller than this in either year stay out of the chart.
const CHART_MIN_COUNT: f64 = 10.0;
/// The chart's data: columns of the hidden chart-data sheet (the 汇总 chart uses 0 and 1).
pub(super) const CHART_DATA_COLS: (u16, u16) = (3, 4);
/// The value columns' width, in character units.
const NUMBER_WIDTH: f64 = 12.0;
/// The 备注 of a figure resting on values not verified yet.
const UNVERIFIED_REMARK: &str = "含待核实数据";
/// When the headline list is empty (a caller without draft templates): the first indicators.
const FALLBACK_ROWS: usize = 30;

/// One line of the page.
enum Line<'a> {
    Indicator(&'a IndicatorFigure),
    Rate(&'a RateFigure),
}

/// The figures of the page, in the report's order.
fn lines<'a>(input: &SummaryInput<'a>) -> Vec<Line<'a>> {
    let fig = input.figures;
    if input.meta.headline.is_empty() {
        return fig
            .indicators
            .iter()
            .take(FALLBACK_ROWS)
            .map(Line::Indicator)
            .collect();
    }
    input
        .meta
        .headline
        .iter()
        .filter_map(|code| {
            fig.indicator(code)
                .map(Line::Indicator)
                .or_else(|| fig.rate(code).map(Line::Rate))
                .or_else(|| renamed(fig, code).map(Line::Indicator))
        })
        .collect()
}

/// The figure that carries `old` under a new code, when this year's edition renamed it (the
/// draft's templates name the previous edition's codes).
fn renamed<'a>(fig: &'a crate::aggregate::Figures, old: &str) -> Option<&'a IndicatorFigure> {
    let note = crate::aggregate::renamed_note(old);
    fig.indicators.iter().find(|i| {
        i.prior_mapping
            .as_deref()
            .is_some_and(|m| m.starts_with(&note))
    })
}

/// The counts of the chart: headline counts and amounts (not 是/否 tallies) with both years at
/// least [`CHART_MIN_COUNT`].
pub(super) fn chart_figures<'a>(input: &SummaryInput<'a>) -> Vec<&'a IndicatorFigure> {
    lines(input)
        .into_iter()
        .filter_map(|l| match l {
            Line::Indicator(f) => Some(f),
            Line::Rate(_) => None,
        })
        .filter(|f| f.aggregation != Aggregation::CountYes)
        .filter(|f| match (f.value, f.prior, f.change_pct) {
            (Some(v), Some(p), Some(c)) => {
                v >= CHART_MIN_COUNT && p >= CHART_MIN_COUNT && c.is_finite()
            }
            _ => false,
        })
        .collect()
}

pub(super) fn overview_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let fig = input.figures;
    let mut sh = Sheet::new(SHEET_OVERVIEW)?;
    sh.long_text(
        0,
        0,
        &format!("{}年{}概览", fig.year, input.schema.title),
        &st.title,
    )?;
    let mut line = format!(
        "{}同比按可比口径计算（本年已汇总的同一批单位上年的数）；全部指标见“汇总”表。",
        coverage_line(&fig.coverage)
    );
    let unverified = fig.indicators.iter().any(|f| !f.unverified.is_empty())
        || fig.rates.iter().any(|r| !r.unverified.is_empty());
    if unverified {
        line.push_str(&format!(
            "“{UNVERIFIED_REMARK}”：数中含单位尚未核实的数值（哪些单位见“汇总”表的“待核实单位”列），引用时请注明。"
        ));
    }
    sh.note(1, &line, &st.note);
    sh.header(TOP_ROWS - 1, &HEADERS, &st.header)?;
    // Narrow enough for a portrait page: names and remarks wrap.
    sh.wrap_at(0, 30.0);
    sh.wrap_at(4, 14.0);
    let mut row = TOP_ROWS;
    for line in lines(input) {
        match line {
            Line::Indicator(f) => indicator_line(&mut sh, st, row, f)?,
            Line::Rate(r) => rate_line(&mut sh, st, row, r)?,
        }
        row += 1;
    }
    let last_row = row.saturating_sub(1).max(TOP_ROWS - 1);
    sh.min_width(0, 24.0);
    sh.min_width(3, 20.0);
    sh.min_width(4, 12.0);
    // 12 characters: "12,345,678.90", the largest a county's headline figure reaches.
    sh.fix_width(1, NUMBER_WIDTH);
    sh.fix_width(2, NUMBER_WIDTH);
    if let Some(chart) = chart(input) {
        sh.ws
            .insert_chart(last_row + 2, 0, &chart)
            .map_err(xlsx_err)?;
    }
    let mut ws = sh.finish(TOP_ROWS, last_row, (HEADERS.len() - 1) as u16)?;
    // One portrait page, the chart below the table: at the schema's ~35 headline figures it
    // prints at full size (tests/report.rs renders it and measures the text).
    ws.set_portrait();
    ws.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    ws.set_print_fit_to_pages(1, 1);
    Ok(ws)
}

/// "行政复议收案数（件）".
fn label(name: &str, unit: &str) -> String {
    if unit.is_empty() {
        name.to_string()
    } else {
        format!("{name}（{unit}）")
    }
}

fn indicator_line(sh: &mut Sheet, st: &Styles, row: RowNum, f: &IndicatorFigure) -> Result<()> {
    let yes_no = f.aggregation == Aggregation::CountYes;
    let unit = if yes_no { "个" } else { f.unit.as_str() };
    let name = if yes_no {
        format!("{}（“是”的单位数）", f.name)
    } else {
        label(&f.name, unit)
    };
    sh.text(row, 0, &name, &st.text)?;
    let format = if f.value.is_some_and(|v| v.fract() != 0.0) {
        &st.amount
    } else {
        &st.count
    };
    sh.number(row, 1, f.value, format)?;
    sh.number(row, 2, f.prior, format)?;
    let change = match (f.value, f.prior) {
        (Some(v), Some(p)) if v == p => "持平".to_string(),
        (Some(v), Some(p)) if p == 0.0 => wording::pct_words(v, p, unit),
        (Some(v), Some(p)) => format!(
            "{}，{}",
            wording::change_words(v, p, unit),
            wording::pct_words(v, p, unit)
        ),
        (Some(_), None) => crate::report::edition_notes::not_comparable_remark(f)
            .unwrap_or_else(|| "上年无数据".to_string()),
        (None, _) => String::new(),
    };
    sh.text(row, 3, &change, &st.text)?;
    let mut remark = Vec::new();
    if f.value.is_none() {
        remark.push("本年无数据".to_string());
    }
    if let (true, Some(yes), Some(expected)) = (yes_no, f.yes, f.expected_units) {
        remark.push(format!(
            "{}单位",
            wording::yes_words(yes, f.units_reporting, expected)
        ));
    }
    if !f.unverified.is_empty() {
        remark.push(UNVERIFIED_REMARK.to_string());
    }
    sh.text(row, 4, &remark.join("；"), &st.wrap)
}

fn rate_line(sh: &mut Sheet, st: &Styles, row: RowNum, r: &RateFigure) -> Result<()> {
    sh.text(row, 0, &r.name, &st.text)?;
    let pct = st.pct(r.decimals);
    sh.number(row, 1, r.value, &pct)?;
    sh.number(row, 2, r.prior_value, &pct)?;
    let change = match (r.value, r.prior_value) {
        (Some(v), Some(p)) => wording::pp_words(v, p, r.decimals),
        (Some(_), None) => match &r.not_comparable_reason {
            Some(why) => format!("不可比（{why}）"),
            None => "上年无数据".to_string(),
        },
        (None, _) => String::new(),
    };
    sh.text(row, 3, &change, &st.text)?;
    let mut remark = Vec::new();
    if r.value.is_none() {
        remark.push("本年无数据（分母为0或缺失）".to_string());
    }
    if !r.unverified.is_empty() {
        remark.push(UNVERIFIED_REMARK.to_string());
    }
    sh.text(row, 4, &remark.join("；"), &st.wrap)
}

/// Bars of the main counts' 同比, from the hidden chart-data sheet; `None` when no count is
/// large enough both years.
fn chart(input: &SummaryInput) -> Option<Chart> {
    let n = chart_figures(input).len() as RowNum;
    if n == 0 {
        return None;
    }
    let (cat, val) = CHART_DATA_COLS;
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name("同比")
        .set_categories((SHEET_CHART_DATA, 1, cat, n, cat))
        .set_values((SHEET_CHART_DATA, 1, val, n, val))
        .set_data_label(ChartDataLabel::new().show_value().set_num_format("0%"));
    chart
        .title()
        .set_name("主要指标同比变化（两年均不少于10的件数）")
        .set_font(ChartFont::new().set_size(11).set_bold());
    chart
        .x_axis()
        .set_num_format("0%")
        .set_major_gridlines(true);
    // the first figure on top, as in the table
    chart.y_axis().set_reverse();
    chart.legend().set_hidden();
    chart.set_width(640).set_height(14 * n + 44);
    Some(chart)
}

/// Column header of the chart's data (for [`super::totals::chart_data_sheet`]).
pub(super) const CHART_DATA_HEADERS: [&str; 2] = ["主要指标", "同比"];
