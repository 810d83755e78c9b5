//! The 汇总 sheet (county figures by section, with year-on-year change and unit-kind subtotals)
//! and the hidden sheet feeding its chart of the largest 同比 changes.

use rust_xlsxwriter::{Chart, ChartType, RowNum, Worksheet};

use super::{fmt_num, SummaryInput, SHEET_CHART_DATA, SHEET_TOTALS};
use crate::aggregate::{Coverage, IndicatorFigure};
use crate::registry::UnitKind;
use crate::report::styles::{xlsx_err, Sheet, Styles};
use crate::schema::{Aggregation, ValueType};
use crate::Result;

/// Rows above the table: title and coverage note.
const TOP_ROWS: RowNum = 2;
/// How many changes the chart shows.
const CHART_TOP: usize = 10;

/// Header of the 汇总 table; the subtotal columns follow [`UnitKind::ALL`].
fn headers() -> Vec<&'static str> {
    let mut h = vec![
        "代码",
        "指标名称",
        "计量单位",
        "本年",
        "上年",
        "增减",
        "同比",
    ];
    h.extend(UnitKind::ALL.iter().map(|k| k.subtotal_label()));
    h.extend(["报送单位数", "备注"]);
    h
}

/// Builds the 汇总 sheet.
pub(super) fn totals_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let fig = input.figures;
    let mut sh = Sheet::new(SHEET_TOTALS)?;
    sh.long_text(
        0,
        0,
        &format!("{}年{}汇总表", fig.year, input.schema.title),
        &st.title,
    )?;
    sh.long_text(1, 0, &coverage_note(&fig.coverage), &st.note)?;
    let header = headers();
    sh.header(TOP_ROWS, &header, &st.header)?;
    let last_col = (header.len() - 1) as u16;

    let mut row = TOP_ROWS + 1;
    for (section, items) in sections(input) {
        sh.long_text(row, 0, &section, &st.section)?;
        for col in 1..=last_col {
            sh.ws.write_blank(row, col, &st.section).map_err(xlsx_err)?;
        }
        row += 1;
        for ind in items {
            indicator_row(&mut sh, st, input, row, ind)?;
            row += 1;
        }
    }
    let last_row = row.saturating_sub(1).max(TOP_ROWS);
    sh.min_width(1, 24.0);
    sh.min_width(3, 10.0);
    sh.min_width(4, 10.0);
    if let Some(chart) = change_chart(input) {
        sh.ws.insert_chart(row + 1, 1, &chart).map_err(xlsx_err)?;
    }
    sh.finish(TOP_ROWS + 1, last_row, last_col)
}

/// "本表汇总 … 个单位" — the line saying whose data the figures cover.
pub(super) fn coverage_note(c: &Coverage) -> String {
    let mut s = format!(
        "本表汇总 {} 个单位的数据（名册应报 {} 个，收到 {} 个）；{} 个单位因有错误暂未汇总，{} 个单位未报送。",
        c.accepted.len(),
        c.expected.len(),
        c.received.len(),
        c.held_back.len(),
        c.missing.len()
    );
    if c.units_changed {
        s.push_str("两年报送单位范围不同，同比仅供参考。");
    }
    s
}

/// Indicators grouped by schema section, in schema order; indicators of unknown sections last.
fn sections<'a>(input: &SummaryInput<'a>) -> Vec<(String, Vec<&'a IndicatorFigure>)> {
    let figs = &input.figures.indicators;
    let mut out: Vec<(String, Vec<&IndicatorFigure>)> = input
        .schema
        .sections
        .iter()
        .map(|s| {
            let items = figs.iter().filter(|f| f.section == s.code).collect();
            (s.name.clone(), items)
        })
        .filter(|(_, items): &(String, Vec<_>)| !items.is_empty())
        .collect();
    let other: Vec<_> = figs
        .iter()
        .filter(|f| !input.schema.sections.iter().any(|s| s.code == f.section))
        .collect();
    if !other.is_empty() {
        out.push(("其他".to_string(), other));
    }
    out
}

fn value_type(input: &SummaryInput, code: &str) -> ValueType {
    input
        .schema
        .indicator(code)
        .map(|i| i.value_type)
        .unwrap_or(ValueType::Count)
}

fn indicator_row(
    sh: &mut Sheet,
    st: &Styles,
    input: &SummaryInput,
    row: RowNum,
    f: &IndicatorFigure,
) -> Result<()> {
    let is_sub = input
        .schema
        .indicator(&f.code)
        .is_some_and(|i| i.parent.is_some());
    let name = if is_sub {
        format!("  {}", f.name)
    } else {
        f.name.clone()
    };
    let num = st.for_value(value_type(input, &f.code));
    sh.text(row, 0, &f.code, &st.text)?;
    sh.text(row, 1, &name, &st.text)?;
    sh.text(row, 2, &f.unit, &st.text)?;
    sh.number(row, 3, f.value, num)?;
    sh.number(row, 4, f.prior, num)?;
    sh.number(row, 5, f.change, num)?;
    sh.number(row, 6, f.change_pct, &st.pct1)?;
    for (col, kind) in (7..).zip(UnitKind::ALL) {
        sh.number(row, col, f.subtotals.get(&kind).copied(), num)?;
    }
    sh.number(row, 11, Some(f64::from(f.units_reporting)), &st.count)?;
    sh.text(row, 12, &remark(f), &st.text)?;
    Ok(())
}

/// The 备注 cell: why 同比 is blank, yes/no counts as "n/N", and aggregation caveats.
pub(super) fn remark(f: &IndicatorFigure) -> String {
    let mut parts = Vec::new();
    if f.aggregation == Aggregation::CountYes {
        let yes = f.yes.map(f64::from).or(f.value).unwrap_or(0.0);
        match f.expected_units {
            Some(n) => parts.push(format!("{}/{} 个单位为“是”", fmt_num(yes), n)),
            None => parts.push(format!("{} 个单位为“是”", fmt_num(yes))),
        }
    }
    if f.change_pct.is_none() && f.value.is_some() {
        if f.prior == Some(0.0) {
            parts.push("上年为0，不计算同比".to_string());
        } else if f.prior.is_none() {
            parts.push("无上年数".to_string());
        }
    }
    match f.aggregation {
        Aggregation::County => parts.push("取县本级（或法院）数，不累加".to_string()),
        Aggregation::SumOverlap => parts.push("各单位相加，可能重复计数".to_string()),
        Aggregation::Stock => parts.push("年末存量".to_string()),
        Aggregation::Sum | Aggregation::CountYes => {}
    }
    parts.join("；")
}

/// The indicators with the largest |同比|, largest first (ties by code).
pub(super) fn top_changes<'a>(input: &SummaryInput<'a>) -> Vec<&'a IndicatorFigure> {
    let mut v: Vec<_> = input
        .figures
        .indicators
        .iter()
        .filter(|f| f.change_pct.is_some_and(f64::is_finite))
        .collect();
    v.sort_by(|a, b| {
        let (x, y) = (
            a.change_pct.unwrap_or(0.0).abs(),
            b.change_pct.unwrap_or(0.0).abs(),
        );
        y.total_cmp(&x).then_with(|| a.code.cmp(&b.code))
    });
    v.truncate(CHART_TOP);
    v
}

/// A bar chart of [`top_changes`], reading the hidden chart-data sheet; `None` when no
/// indicator has a 同比.
fn change_chart(input: &SummaryInput) -> Option<Chart> {
    let n = top_changes(input).len() as RowNum;
    if n == 0 {
        return None;
    }
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name("同比")
        .set_categories((SHEET_CHART_DATA, 1, 0, n, 0))
        .set_values((SHEET_CHART_DATA, 1, 1, n, 1));
    chart.title().set_name("同比变动最大的指标（前10项）");
    chart.y_axis().set_num_format("0%");
    chart.legend().set_hidden();
    chart.set_width(720).set_height(360);
    Some(chart)
}

/// The hidden sheet with the chart's data: 指标, 同比.
pub(super) fn chart_data_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let mut sh = Sheet::new(SHEET_CHART_DATA)?;
    sh.header(0, &["指标", "同比"], &st.header)?;
    let top = top_changes(input);
    for (row, f) in (1..).zip(&top) {
        sh.text(row, 0, &format!("{} {}", f.code, f.name), &st.text)?;
        sh.number(row, 1, f.change_pct, &st.pct1)?;
    }
    sh.ws.set_hidden(true);
    sh.finish(0, top.len() as RowNum, 1)
}
