//! The 比率 sheet (rates recomputed as Σ分子/Σ分母) and the 分单位明细 sheet (units × indicators,
//! with cells that have findings or anomalies filled in colour).

use rust_xlsxwriter::{ColNum, Format, FormatBorder, RowNum, Worksheet};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

use super::SummaryInput;
use crate::aggregate::{Figures, RateFigure, UnitRow};
use crate::diagnostic::Severity;
use crate::registry::{Registry, UnitKind};
use crate::report::styles::{xlsx_err, Sheet, Styles, FILL_ERROR, FILL_WARNING};
use crate::schema::Schema;
use crate::schema::ValueType;
use crate::Result;

const RATE_HEADERS: [&str; 13] = [
    "代码",
    "比率名称",
    "分子",
    "分子数值",
    "分母",
    "分母数值",
    "本年",
    "上年（可比口径）",
    "变动(百分点)",
    "上年（报送口径）",
    "参与单位数",
    "备注",
    super::totals::UNVERIFIED_HEADER,
];

/// Builds the 比率 sheet.
pub(super) fn rates_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let mut sh = Sheet::new("比率")?;
    sh.header(0, &RATE_HEADERS, &st.header)?;
    let mut row = 1;
    for r in &input.figures.rates {
        let unit = input
            .schema
            .rates
            .iter()
            .find(|s| s.code == r.code)
            .and_then(|s| s.unit.as_deref());
        rate_row(&mut sh, st, row, r, unit)?;
        let names = super::totals::unverified_names(input, &r.unverified);
        sh.text(row, 12, &names, &st.text)?;
        row += 1;
    }
    sh.min_width(6, 9.0);
    sh.min_width(7, 9.0);
    sh.min_width(9, 9.0);
    sh.print_readably(2);
    sh.finish(1, row - 1, (RATE_HEADERS.len() - 1) as ColNum)
}

/// One rate. `unit` is `Some` for ratios that are not percentages (元/宗): shown as numbers, and
/// their change as a plain difference instead of 百分点.
fn rate_row(
    sh: &mut Sheet,
    st: &Styles,
    row: RowNum,
    r: &RateFigure,
    unit: Option<&str>,
) -> Result<()> {
    let pct = match unit {
        Some(_) => st.amount.clone(),
        None => st.pct(r.decimals),
    };
    sh.text(row, 0, &r.code, &st.text)?;
    sh.text(row, 1, &r.name, &st.text)?;
    let label = |words: &str, text: &str| {
        if words.is_empty() {
            text.to_string()
        } else {
            words.to_string()
        }
    };
    sh.text(
        row,
        2,
        &label(&r.numerator_label, &r.numerator_text),
        &st.text,
    )?;
    sh.number(row, 3, Some(r.numerator), &st.amount_or_count(r.numerator))?;
    sh.text(
        row,
        4,
        &label(&r.denominator_label, &r.denominator_text),
        &st.text,
    )?;
    sh.number(
        row,
        5,
        Some(r.denominator),
        &st.amount_or_count(r.denominator),
    )?;
    sh.number(row, 6, r.value, &pct)?;
    sh.number(row, 7, r.prior_value, &pct)?;
    match unit {
        Some(_) => sh.number(
            row,
            8,
            r.value.zip(r.prior_value).map(|(v, p)| v - p),
            &st.amount,
        )?,
        None => sh.number(row, 8, change_pp(r), &st.pp)?,
    }
    sh.number(row, 9, r.prior_reported, &pct)?;
    sh.number(row, 10, Some(f64::from(r.units)), &st.count)?;
    let mut remark = rate_remark(r);
    if let Some(u) = unit {
        remark = [format!("单位：{u}（不是百分比，变动为差值）"), remark]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("；");
    }
    sh.text(row, 11, &remark, &st.text)?;
    Ok(())
}

/// 本年 − 上年 in percentage points, computed from the two shown values so the sheet is
/// self-consistent.
fn change_pp(r: &RateFigure) -> Option<f64> {
    match (r.value, r.prior_value) {
        (Some(v), Some(p)) => Some((v - p) * 100.0),
        _ => None,
    }
}

fn rate_remark(r: &RateFigure) -> String {
    let mut parts = Vec::new();
    if r.value.is_none() {
        parts.push("分母为0，不计算".to_string());
    }
    if r.prior_value.is_none() {
        parts.push("无上年比率".to_string());
    }
    let sums = |n: Option<f64>, d: Option<f64>| match (n, d) {
        (Some(n), Some(d)) => format!("{}/{}", super::fmt_num(n), super::fmt_num(d)),
        _ => "无".to_string(),
    };
    let comparable = sums(r.prior_numerator, r.prior_denominator);
    let reported = sums(r.prior_reported_numerator, r.prior_reported_denominator);
    if comparable != reported {
        parts.push(format!(
            "上年可比口径 {comparable}，报送口径 {reported}（报送口径含本年未汇总的单位）"
        ));
    }
    parts.join("；")
}

impl Styles {
    /// Count format for whole numbers, amount format otherwise (rate inputs may be either).
    fn amount_or_count(&self, v: f64) -> Format {
        if v.fract() == 0.0 {
            self.count.clone()
        } else {
            self.amount.clone()
        }
    }
}

/// Columns before the indicator columns: 单位代码, 单位名称, 类型.
const UNIT_COLS: ColNum = 3;

/// One unit's row of the 分单位明细 sheet.
#[derive(Debug, Clone, Copy)]
pub struct DetailRow<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: UnitKind,
    pub values: &'a BTreeMap<String, f64>,
}

impl<'a> From<&'a UnitRow> for DetailRow<'a> {
    fn from(u: &'a UnitRow) -> Self {
        DetailRow {
            code: &u.code,
            name: &u.name,
            kind: u.kind,
            values: &u.values,
        }
    }
}

/// The 分单位明细 sheet with its values and formats written, before the cells with findings are
/// filled in: the largest sheet, which needs the unit values only, so `run` builds it while the
/// anomaly checks run ([`super::DetailSheet`]).
pub(super) struct Draft {
    sh: Sheet,
    /// Unit codes in row order, from row 2.
    units: Vec<String>,
    /// Indicator codes in column order, from column [`UNIT_COLS`].
    codes: Vec<String>,
    types: Vec<ValueType>,
    last_row: RowNum,
}

/// Builds the 分单位明细 sheet: row 0 indicator codes, row 1 indicator names, then one row per
/// accepted unit in registry order (units unknown to the registry last, by code).
pub(super) fn units_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let rows = input.figures.units.iter().map(DetailRow::from).collect();
    let draft = draft(input.figures, input.schema, input.registry, rows, st)?;
    finish(draft, input, st)
}

/// Writes the headers, every unit's values and the column formats.
pub(super) fn draft(
    figures: &Figures,
    schema: &Schema,
    registry: &Registry,
    rows: Vec<DetailRow>,
    st: &Styles,
) -> Result<Draft> {
    let mut sh = Sheet::new(super::SHEET_DETAIL)?;
    sh.freeze_cols = UNIT_COLS;
    sh.header(0, &["单位代码", "单位名称", "类型"], &st.header)?;
    for col in 0..UNIT_COLS {
        sh.ws.write_blank(1, col, &st.header).map_err(xlsx_err)?;
    }
    let codes: Vec<&str> = figures.indicators.iter().map(|f| f.code.as_str()).collect();
    for (col, f) in (UNIT_COLS..).zip(&figures.indicators) {
        sh.text(0, col, &f.code, &st.header)?;
        sh.long_text(1, col, &f.name, &st.header)?;
        sh.min_width(col, 10.0);
    }
    sh.ws.set_row_height(1, 60).map_err(xlsx_err)?;
    // 107 indicator columns shrunk to one page wide print at 2 pt: print in blocks with the unit
    // columns on every page instead, whole sections to a page as far as they fit.
    let breaks = section_breaks(figures);
    sh.print_in_blocks(UNIT_COLS, &breaks, 85)?;

    let formats = CellFormats::new(st);
    let types: Vec<ValueType> = codes
        .iter()
        .map(|code| {
            schema
                .indicator(code)
                .map_or(ValueType::Count, |i| i.value_type)
        })
        .collect();
    // A unit's values are a map sorted by code: walk it alongside the columns sorted by code
    // instead of looking every column up (a million string searches at 10,000 units).
    let mut by_code: Vec<(&str, ColNum)> = (UNIT_COLS..)
        .zip(codes.iter().copied())
        .map(|(c, k)| (k, c))
        .collect();
    by_code.sort_unstable();
    let mut widest = vec![None::<f64>; codes.len()];
    let units = ordered_units(registry, rows);
    let mut row = 2;
    for unit in &units {
        sh.text(row, 0, unit.code, &st.text)?;
        sh.text(row, 1, unit.name, &st.text)?;
        sh.text(row, 2, unit.kind.label(), &st.text)?;
        for (col, v) in matching(&by_code, unit.values) {
            sh.ws.write_number(row, col, v).map_err(xlsx_err)?;
            let w = &mut widest[usize::from(col - UNIT_COLS)];
            *w = Some(w.map_or(v.abs(), |w| w.max(v.abs())));
        }
        row += 1;
    }
    let last_row = row - 1;
    for (col, w) in (UNIT_COLS..).zip(&widest) {
        if let Some(w) = w {
            sh.widen_for_number(col, *w);
        }
    }
    if last_row >= 2 && !types.is_empty() {
        column_formats(&mut sh, &types, last_row, &formats)?;
    }
    Ok(Draft {
        sh,
        units: units.iter().map(|u| u.code.to_string()).collect(),
        codes: codes.iter().map(|c| c.to_string()).collect(),
        types,
        last_row,
    })
}

/// Indicator columns that fit on one landscape A4 page beside the unit columns at the print
/// scale of [`Sheet::print_in_blocks`] (85 %, so 11 pt text prints at 9.4 pt): five, as
/// LibreOffice lays the sheet out (measured on the sample county's summary).
const COLS_PER_PAGE: usize = 5;

/// Page breaks (the column before which a page starts) that keep sections together: sections
/// are packed onto a page while they fit, and a section wider than a page starts a new one
/// (the printer breaks it further).
fn section_breaks(figures: &Figures) -> Vec<u32> {
    let mut breaks = Vec::new();
    let mut on_page = 0;
    let mut start = 0;
    let inds = &figures.indicators;
    while start < inds.len() {
        let len = inds[start..]
            .iter()
            .take_while(|f| f.section == inds[start].section)
            .count();
        if on_page > 0 && on_page + len > COLS_PER_PAGE {
            breaks.push(u32::from(UNIT_COLS) + start as u32);
            on_page = 0;
        }
        on_page += len;
        start += len;
    }
    breaks
}

/// Gives every value cell, filled or empty, the format of its column's value type. A format per
/// written cell hashed the whole format a million times at 10,000 units; here the commonest type
/// covers the whole block in one row-by-row pass, and the few columns of other types follow.
fn column_formats(
    sh: &mut Sheet,
    types: &[ValueType],
    last_row: RowNum,
    formats: &CellFormats,
) -> Result<()> {
    let count = |t: &ValueType| types.iter().filter(|x| *x == t).count();
    let Some(bulk) = types.iter().max_by_key(|t| count(t)).copied() else {
        return Ok(());
    };
    let last_col = UNIT_COLS + types.len() as ColNum - 1;
    sh.ws
        .set_range_format(2, UNIT_COLS, last_row, last_col, formats.get(bulk, None))
        .map_err(xlsx_err)?;
    for (col, vt) in (UNIT_COLS..).zip(types).filter(|(_, vt)| **vt != bulk) {
        sh.ws
            .set_range_format(2, col, last_row, col, formats.get(*vt, None))
            .map_err(xlsx_err)?;
    }
    Ok(())
}

/// Fills the cells with findings or anomalies and sets widths, panes and the filter.
pub(super) fn finish(mut d: Draft, input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    highlight(&mut d, input, &CellFormats::new(st))?;
    let last_col = (UNIT_COLS + d.codes.len() as ColNum).saturating_sub(1);
    d.sh.finish(2, d.last_row, last_col)
}

/// The finite values of `values` with their columns; `columns` is sorted by code.
fn matching<'a>(
    columns: &'a [(&'a str, ColNum)],
    values: &'a BTreeMap<String, f64>,
) -> impl Iterator<Item = (ColNum, f64)> + 'a {
    let mut cols = columns.iter().peekable();
    values.iter().filter_map(move |(code, v)| {
        while cols.next_if(|(c, _)| *c < code.as_str()).is_some() {}
        let &&(c, col) = cols.peek()?;
        (c == code.as_str() && v.is_finite()).then_some((col, *v))
    })
}

/// Fills the cells that have findings or anomalies, in row and column order so the workbook's
/// format table comes out the same on every run.
fn highlight(d: &mut Draft, input: &SummaryInput, formats: &CellFormats) -> Result<()> {
    let flags = flagged_cells(input);
    if flags.is_empty() {
        return Ok(());
    }
    let col_of: FxHashMap<&str, usize> = d
        .codes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut cells: Vec<(RowNum, usize, Severity)> = Vec::new();
    for (r, unit) in (2..).zip(&d.units) {
        let Some(of_unit) = flags.get(unit.as_str()) else {
            continue;
        };
        for (ind, sev) in of_unit {
            if let Some(&i) = col_of.get(ind) {
                cells.push((r, i, *sev));
            }
        }
    }
    cells.sort_unstable_by_key(|&(r, i, _)| (r, i));
    for (row, i, sev) in cells {
        let col = UNIT_COLS + i as ColNum;
        d.sh.ws
            .set_cell_format(row, col, formats.get(d.types[i], Some(sev)))
            .map_err(xlsx_err)?;
    }
    Ok(())
}

/// Accepted units in registry order, then units the registry does not list, by code.
fn ordered_units<'a>(registry: &Registry, units: Vec<DetailRow<'a>>) -> Vec<DetailRow<'a>> {
    // By code through a hash map: a scan per registry unit was quadratic (10^8 comparisons at
    // 10,000 units).
    let by_code: FxHashMap<&str, DetailRow> = units.iter().map(|u| (u.code, *u)).collect();
    let mut out: Vec<DetailRow> = registry
        .units
        .iter()
        .filter_map(|r| by_code.get(r.code.as_str()).copied())
        .collect();
    let mut rest: Vec<DetailRow> = units
        .into_iter()
        .filter(|u| registry.get(u.code).is_none())
        .collect();
    rest.sort_by(|a, b| a.code.cmp(b.code));
    out.extend(rest);
    out
}

/// unit → indicator → the most serious flag: errors and warnings from findings, and anomalies
/// not yet accepted (shown as warnings).
type Flags<'a> = FxHashMap<&'a str, FxHashMap<&'a str, Severity>>;

fn flagged_cells<'a>(input: &SummaryInput<'a>) -> Flags<'a> {
    let mut flags: Flags = FxHashMap::default();
    let mut flag = |unit: &'a str, ind: &'a str, sev: Severity| {
        let e = flags.entry(unit).or_default().entry(ind).or_insert(sev);
        *e = (*e).min(sev);
    };
    for d in input.findings {
        if let (Some(u), Some(i), Severity::Error | Severity::Warning) =
            (&d.unit, &d.indicator, d.severity)
        {
            flag(u, i, d.severity);
        }
    }
    for a in input.anomalies.iter().filter(|a| !a.accepted) {
        flag(&a.unit, &a.indicator, a.severity.min(Severity::Warning));
    }
    flags
}

/// Value formats × highlight fills for the detail cells.
struct CellFormats {
    plain: [Format; 3],
    error: [Format; 3],
    warning: [Format; 3],
}

impl CellFormats {
    fn new(st: &Styles) -> Self {
        let yes_no = Format::new()
            .set_border(FormatBorder::Thin)
            .set_num_format("[=1]\"是\";[=0]\"否\";General");
        let base = [st.count.clone(), st.amount.clone(), yes_no];
        let fill = |c: &str| base.clone().map(|f| f.set_background_color(c));
        CellFormats {
            error: fill(FILL_ERROR),
            warning: fill(FILL_WARNING),
            plain: base,
        }
    }

    fn get(&self, vt: ValueType, flag: Option<Severity>) -> &Format {
        let i = match vt {
            ValueType::Count => 0,
            ValueType::Amount => 1,
            ValueType::YesNo => 2,
        };
        let set = match flag {
            Some(Severity::Error) => &self.error,
            Some(Severity::Warning) => &self.warning,
            _ => &self.plain,
        };
        &set[i]
    }
}
