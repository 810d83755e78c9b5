//! The 汇总 sheet (county figures by section, with year-on-year change and unit-kind subtotals)
//! and the hidden sheet feeding the 概览 chart of the main counts' 同比 ([`super::overview`]).

use rust_xlsxwriter::{RowNum, Worksheet};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

use super::{fmt_num, overview, unit_name, SummaryInput, SHEET_CHART_DATA, SHEET_TOTALS};
use crate::aggregate::{Coverage, IndicatorFigure, LeftOut};
use crate::registry::UnitKind;
use crate::report::styles::{xlsx_err, Sheet, Styles};
use crate::schema::{Aggregation, ValueType};
use crate::Result;

/// How wide 备注 runs before it wraps, in character units: its print block has 代码 and
/// 指标名称 beside it and nothing else wide.
const REMARK_WRAP: f64 = 50.0;

/// Rows above the table: title and coverage note.
const TOP_ROWS: RowNum = 2;

/// The subtotal columns: the four kinds of a county's units always (a county's table keeps its
/// shape whoever reported), then the roll-up kinds (区县合计, 市本级 …) that some figure has.
fn subtotal_kinds(input: &SummaryInput) -> Vec<UnitKind> {
    let present = |k: &UnitKind| {
        input
            .figures
            .indicators
            .iter()
            .any(|f| f.subtotals.contains_key(k))
    };
    UnitKind::ALL
        .into_iter()
        .filter(|k| UnitKind::BASE.contains(k) || present(k))
        .collect()
}

/// Header of the 汇总 table; the subtotal columns are [`subtotal_kinds`].
fn headers(kinds: &[UnitKind]) -> Vec<&'static str> {
    let mut h = vec![
        "代码",
        "指标名称",
        "计量单位",
        "本年",
        "上年（可比口径）",
        "增减",
        "同比",
        "上年（报送口径）",
    ];
    h.extend(kinds.iter().map(|k| k.subtotal_label()));
    h.extend(["报送单位数", "备注", UNVERIFIED_HEADER]);
    h
}

/// The column naming the units whose values in a figure are not verified yet.
pub(super) const UNVERIFIED_HEADER: &str = "待核实单位";

/// What the 待核实单位 column means, added to the note above the table when any figure has
/// unverified units.
pub(super) const UNVERIFIED_LEGEND: &str = "“待核实单位”：全县数中含这些单位尚未核实的数值（异常提示或警告既未在“说明”栏说明，也未经审核确认，或审核不予认可），引用时请注明“含待核实数据”。";

/// The 待核实单位 cell: the units' names, the first few and a count ("甲镇、乙镇等7个单位").
pub(super) fn unverified_names(input: &SummaryInput, codes: &[String]) -> String {
    let shown: Vec<&str> = codes
        .iter()
        .take(NAMES_SHOWN)
        .map(|c| unit_name(input.registry, c))
        .collect();
    match codes.len() {
        n if n > NAMES_SHOWN => format!("{}等{n}个单位", shown.join("、")),
        _ => shown.join("、"),
    }
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
    let mut note = coverage_note(&fig.coverage);
    if fig.indicators.iter().any(|f| !f.unverified.is_empty()) {
        note.push_str(UNVERIFIED_LEGEND);
    }
    sh.note(1, &note, &st.note);
    let kinds = subtotal_kinds(input);
    let header = headers(&kinds);
    sh.header(TOP_ROWS, &header, &st.header)?;
    let last_col = (header.len() - 1) as u16;
    let at = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or(header.len()) as u16
    };
    // 备注 prints on a page of its own (below): let it run wider, in fewer lines.
    sh.wrap_at(at("备注"), REMARK_WRAP);
    sh.wrap_at(at(UNVERIFIED_HEADER), 14.0);

    let left_out = fig.coverage.left_out();
    let mut row = TOP_ROWS + 1;
    for (section, items) in sections(input) {
        sh.long_text(row, 0, &section, &st.section)?;
        for col in 1..=last_col {
            sh.ws.write_blank(row, col, &st.section).map_err(xlsx_err)?;
        }
        row += 1;
        for ind in items {
            indicator_row(&mut sh, st, input, (&left_out, &kinds), row, ind)?;
            row += 1;
        }
    }
    let last_row = row.saturating_sub(1).max(TOP_ROWS);
    sh.min_width(1, 24.0);
    sh.min_width(3, 10.0);
    sh.min_width(4, 10.0);
    sh.min_width(7, 10.0);
    // Printed in three blocks at a readable 82 % instead of shrunk to one page wide (5 pt):
    // this year, last year and the change; last year as reported and the subtotals; 报送单位数,
    // 备注 and 待核实单位 — with 代码 and 指标名称 repeated on every page.
    sh.print_in_blocks(
        2,
        &[at("上年（报送口径）").into(), at("报送单位数").into()],
        82,
    )?;
    sh.repeat_rows_from(TOP_ROWS);
    sh.finish(TOP_ROWS + 1, last_row, last_col)
}

/// "本表汇总 … 个单位" — the line saying whose data the figures cover, and whose last year the
/// 同比 compares with.
pub(super) fn coverage_note(c: &Coverage) -> String {
    let mut s = coverage_line(c);
    if !c.incomplete.is_empty() {
        s.push_str(&format!(
            "其中 {} 个地区本身的汇总不完整（有单位暂未汇总或未报送），见“说明”。",
            c.incomplete.len()
        ));
    }
    if let Some(scope) = scope_note(c) {
        s.push_str(&scope);
    } else if c.units_changed {
        s.push_str("两年报送单位范围不同，同比仅供参考。");
    }
    s
}

/// The first sentence of [`coverage_note`]: whose data the figures cover.
pub(super) fn coverage_line(c: &Coverage) -> String {
    let unverified = c.held_unverified.len();
    let held = if unverified == 0 {
        format!("{} 个单位因有错误暂未汇总", c.held_back.len())
    } else {
        format!(
            "{} 个单位因有错误、{unverified} 个单位因有待核实事项（严格模式）暂未汇总",
            c.held_back.len().saturating_sub(unverified)
        )
    };
    format!(
        "本表汇总 {} 个单位的数据（名册应报 {} 个，收到 {} 个）；{held}，{} 个单位未报送。",
        c.accepted.len(),
        c.expected.len(),
        c.received.len(),
        c.missing.len()
    )
}

/// The comparable-scope sentence of the 汇总 sheet, when the two views of last year differ:
/// "同比按可比口径计算：上年数为本年已汇总的42个单位上年的数（不含暂未汇总的3个单位、未报送的1个单位）；…".
pub(super) fn scope_note(c: &Coverage) -> Option<String> {
    if !c.scope_differs() {
        return None;
    }
    let outside: Vec<String> = c
        .left_out_counts()
        .into_iter()
        .map(|(why, n)| format!("{}的{n}个单位", why.label()))
        .collect();
    let mut s = format!(
        "同比按可比口径计算：“上年（可比口径）”为本年已汇总的{}个单位上年的数（合并单位取其前身单位之和）",
        c.accepted.len()
    );
    if !outside.is_empty() {
        s.push_str(&format!("，不含{}", outside.join("、")));
    }
    if !c.without_prior.is_empty() {
        s.push_str(&format!(
            "；其中{}个单位上年无数据，只计入本年",
            c.without_prior.len()
        ));
    }
    s.push_str("；“上年（报送口径）”为上年全部报送单位的合计。");
    Some(s)
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
    (left_out, kinds): (&FxHashMap<&str, LeftOut>, &[UnitKind]),
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
    sh.number(row, 7, f.prior_reported, num)?;
    let mut col = 8;
    for kind in kinds {
        sh.number(row, col, f.subtotals.get(kind).copied(), num)?;
        col += 1;
    }
    sh.number(row, col, Some(f64::from(f.units_reporting)), &st.count)?;
    let mut note = remark(f);
    if let Some(scope) = scope_remark(f, input, left_out) {
        if !note.is_empty() {
            note.push('；');
        }
        note.push_str(&scope);
    }
    sh.text(row, col + 1, &note, &st.text)?;
    sh.text(
        row,
        col + 2,
        &unverified_names(input, &f.unverified),
        &st.text,
    )?;
    Ok(())
}

/// How many units a 备注 names before "等N个单位".
const NAMES_SHOWN: usize = 5;

/// Why the two prior columns differ: the units whose last year is in the reported figure only,
/// by reason ("报送口径另含：县民政局、县水利局（暂未汇总）；县统计局（未报送）"). `None` when
/// the columns agree.
pub(super) fn scope_remark(
    f: &IndicatorFigure,
    input: &SummaryInput,
    left_out: &FxHashMap<&str, LeftOut>,
) -> Option<String> {
    if f.prior == f.prior_reported {
        return None;
    }
    if f.prior_excluded.is_empty() {
        return Some("可比口径按名册前身单位折算，与报送口径不同".to_string());
    }
    let mut by_reason: BTreeMap<LeftOut, Vec<&str>> = BTreeMap::new();
    for code in &f.prior_excluded {
        let why = left_out
            .get(code.as_str())
            .copied()
            .unwrap_or(LeftOut::Other);
        by_reason
            .entry(why)
            .or_default()
            .push(unit_name(input.registry, code));
    }
    let groups: Vec<String> = by_reason
        .into_iter()
        .map(|(why, names)| {
            let shown = names
                .iter()
                .take(NAMES_SHOWN)
                .copied()
                .collect::<Vec<_>>()
                .join("、");
            if names.len() > NAMES_SHOWN {
                format!("{shown}等{}个单位（{}）", names.len(), why.label())
            } else {
                format!("{shown}（{}）", why.label())
            }
        })
        .collect();
    Some(format!("报送口径另含：{}", groups.join("；")))
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
        } else if let Some(why) = crate::report::edition_notes::not_comparable_remark(f) {
            parts.push(why);
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

/// The hidden sheet with the 概览 chart's data: 主要指标, 同比 ([`overview::chart_figures`]),
/// in the columns [`overview::CHART_DATA_COLS`].
pub(super) fn chart_data_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let mut sh = Sheet::new(SHEET_CHART_DATA)?;
    let (cat, val) = overview::CHART_DATA_COLS;
    sh.text(0, cat, overview::CHART_DATA_HEADERS[0], &st.header)?;
    sh.text(0, val, overview::CHART_DATA_HEADERS[1], &st.header)?;
    let figures = overview::chart_figures(input);
    for (row, f) in (1..).zip(&figures) {
        sh.text(row, cat, &f.name, &st.text)?;
        sh.number(row, val, f.change_pct, &st.pct1)?;
    }
    sh.ws.set_hidden(true);
    sh.finish(0, figures.len() as RowNum, val)
}
