//! The 统计表 sheet: title, unit line, header, then section rows and the indicators the unit's
//! kind reports. Only 本年数 and 说明 take input; codes and 上年数 are locked. The schema's rules
//! mark broken values while the unit types ([`live`]).

use rust_xlsxwriter::{DataValidation, Format, Formula, Worksheet, XlsxError};

use super::{live, style, CellInput, TemplateFill};
use crate::diagnostic::Pos;
use crate::registry::Unit;
use crate::schema::{Indicator, Schema, ValueType};
use crate::sheets::{DataColumn, DATA_FIRST_ROW, DATA_HEADER_ROW, DATA_SHEET};

/// Row of the sheet title and of the unit line (above the header).
const TITLE_ROW: u32 = 0;
const UNIT_ROW: u32 = 1;

/// Fixed widths of the short columns.
const UNIT_MIN_WIDTH: f64 = 10.0;
const VALUE_WIDTH: f64 = 15.0;
const NOTE_WIDTH: f64 = 32.0;
/// The name column grows with the longest name up to this width, then wraps.
const NAME_MIN_WIDTH: f64 = 28.0;
const NAME_MAX_WIDTH: f64 = 50.0;

fn col(c: DataColumn) -> u16 {
    c.template_col()
}

/// What one table row shows, in sheet order.
pub enum Line<'a> {
    Section(&'a str),
    Indicator(&'a Indicator),
}

/// Sections that have at least one indicator for the unit, each followed by those indicators.
pub fn lines<'a>(schema: &'a Schema, unit: &Unit) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for section in &schema.sections {
        let items: Vec<&Indicator> = schema
            .section_indicators(&section.code)
            .filter(|i| i.reported_by(unit.kind))
            .collect();
        if !items.is_empty() {
            out.push(Line::Section(&section.name));
            out.extend(items.into_iter().map(Line::Indicator));
        }
    }
    out
}

/// The name as shown: breakdown sub-fields are indented and read "其中：…".
pub fn display_name(ind: &Indicator) -> String {
    match ind.parent {
        None => ind.name.clone(),
        Some(_) if ind.name.trim_start().starts_with("其中") => format!("  {}", ind.name.trim()),
        Some(_) => format!("  其中：{}", ind.name.trim()),
    }
}

/// Writes the indicator sheet.
pub fn write(
    ws: &mut Worksheet,
    schema: &Schema,
    unit: &Unit,
    year: i32,
    fill: &TemplateFill,
) -> Result<(), XlsxError> {
    ws.set_name(DATA_SHEET)?;
    let lines = lines(schema, unit);
    let name_width = style::column_width(
        lines.iter().map(|l| match l {
            Line::Section(s) => *s,
            Line::Indicator(i) => i.name.as_str(),
        }),
        NAME_MIN_WIDTH,
        NAME_MAX_WIDTH,
    );
    set_widths(ws, schema, name_width)?;
    write_heading(ws, schema, unit, year)?;
    for (line, row) in lines.iter().zip(DATA_FIRST_ROW..) {
        match line {
            Line::Section(name) => write_section(ws, row, name)?,
            Line::Indicator(ind) => write_indicator(ws, row, ind, fill, name_width)?,
        }
    }
    let cells = live::Cells {
        rows: lines
            .iter()
            .zip(DATA_FIRST_ROW..)
            .filter_map(|(line, row)| match line {
                Line::Indicator(i) => Some((i.code.clone(), (row, i.value_type))),
                Line::Section(_) => None,
            })
            .collect(),
        villages: unit.villages,
    };
    live::add(ws, schema, unit, &cells)?;
    ws.set_freeze_panes(DATA_FIRST_ROW, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(DATA_HEADER_ROW, DATA_HEADER_ROW)?;
    ws.protect_with_options(&style::protection());
    Ok(())
}

fn set_widths(ws: &mut Worksheet, schema: &Schema, name_width: f64) -> Result<(), XlsxError> {
    let code_width =
        style::column_width(schema.indicators.iter().map(|i| i.code.as_str()), 8.0, 16.0);
    let unit_width = style::column_width(
        schema.indicators.iter().map(|i| i.unit.as_str()),
        UNIT_MIN_WIDTH,
        16.0,
    );
    ws.set_column_width(col(DataColumn::Code), code_width)?;
    ws.set_column_width(col(DataColumn::Name), name_width)?;
    ws.set_column_width(col(DataColumn::Unit), unit_width)?;
    ws.set_column_width(col(DataColumn::Current), VALUE_WIDTH)?;
    ws.set_column_width(col(DataColumn::Prior), VALUE_WIDTH)?;
    ws.set_column_width(col(DataColumn::Note), NOTE_WIDTH)?;
    Ok(())
}

fn write_heading(
    ws: &mut Worksheet,
    schema: &Schema,
    unit: &Unit,
    year: i32,
) -> Result<(), XlsxError> {
    let first = col(DataColumn::Code);
    let last = col(DataColumn::Note);
    ws.set_row_height(TITLE_ROW, 30)?;
    ws.merge_range(
        TITLE_ROW,
        first,
        TITLE_ROW,
        last,
        &format!("{}（{year}年度）", schema.title),
        &style::title(),
    )?;
    ws.merge_range(
        UNIT_ROW,
        first,
        UNIT_ROW,
        last,
        &format!("单位名称：{}　　单位代码：{}", unit.name, unit.code),
        &Format::new(),
    )?;
    ws.set_row_height(DATA_HEADER_ROW, 22)?;
    for c in DataColumn::ALL {
        ws.write_string_with_format(DATA_HEADER_ROW, col(c), c.label(), &style::header())?;
    }
    Ok(())
}

fn write_section(ws: &mut Worksheet, row: u32, name: &str) -> Result<(), XlsxError> {
    let f = style::section();
    for c in DataColumn::ALL {
        ws.write_blank(row, col(c), &f)?;
    }
    ws.write_string_with_format(row, col(DataColumn::Name), name, &f)?;
    ws.set_row_height(row, 20)?;
    Ok(())
}

fn write_indicator(
    ws: &mut Worksheet,
    row: u32,
    ind: &Indicator,
    fill: &TemplateFill,
    name_width: f64,
) -> Result<(), XlsxError> {
    let name = display_name(ind);
    ws.write_string_with_format(row, col(DataColumn::Code), &ind.code, &style::given())?;
    ws.write_string_with_format(row, col(DataColumn::Name), &name, &style::cell())?;
    ws.write_string_with_format(row, col(DataColumn::Unit), &ind.unit, &style::cell())?;
    write_current(ws, row, ind, fill.current.get(&ind.code))?;
    write_prior(ws, row, ind.value_type, fill.prior.get(&ind.code).copied())?;
    let note_format = style::input();
    match fill.notes.get(&ind.code) {
        Some(n) => ws.write_string_with_format(row, col(DataColumn::Note), n, &note_format)?,
        None => ws.write_blank(row, col(DataColumn::Note), &note_format)?,
    };
    let note_height = fill
        .notes
        .get(&ind.code)
        .map_or(0.0, |n| style::wrapped_height(n, NOTE_WIDTH));
    ws.set_row_height(
        row,
        style::wrapped_height(&name, name_width).max(note_height),
    )?;
    Ok(())
}

/// 本年数: the only editable value cell, with Excel's own check of the value type.
fn write_current(
    ws: &mut Worksheet,
    row: u32,
    ind: &Indicator,
    input: Option<&CellInput>,
) -> Result<(), XlsxError> {
    let c = col(DataColumn::Current);
    let f = style::typed(style::input(), ind.value_type);
    match input {
        None => ws.write_blank(row, c, &f)?,
        Some(CellInput::Number(n)) => ws.write_number_with_format(row, c, *n, &f)?,
        // Kept exactly as typed: the sample generator plants "5000余", "xx", "１２" here.
        Some(CellInput::Text(s)) => ws.write_string_with_format(row, c, s, &f)?,
    };
    let cell = Pos::new(row, c).a1();
    ws.add_data_validation(row, c, row, c, &validation(ind.value_type, &cell)?)?;
    Ok(())
}

/// What a value cell accepts: a number of its kind, or the word 不适用, which the reader takes
/// as "not applicable to this unit" (`ingest::value`) and the messages tell units to type.
/// A custom rule, as Excel's whole-number and decimal rules refuse every text.
fn validation(t: ValueType, cell: &str) -> Result<DataValidation, XlsxError> {
    let (dv, message) = match t {
        ValueType::Count => (
            DataValidation::new().allow_custom(Formula::new(format!(
                "=OR(AND(ISNUMBER({cell}),{cell}>=0,{cell}=INT({cell})),{cell}=\"不适用\")"
            ))),
            "请填写大于或等于 0 的整数，不要填写“约”“余”“多”等字样或单位；本单位不适用的填“不适用”。",
        ),
        ValueType::Amount => (
            DataValidation::new().allow_custom(Formula::new(format!(
                "=OR(AND(ISNUMBER({cell}),{cell}>=0),{cell}=\"不适用\")"
            ))),
            "请填写以“元”为单位的金额（大于或等于 0，最多两位小数），不要填写“万元”或“约”“余”；本单位不适用的填“不适用”。",
        ),
        ValueType::YesNo => (
            DataValidation::new().allow_list_strings(&["是", "否"])?,
            "请从下拉列表中选择“是”或“否”。",
        ),
    };
    dv.set_error_title("填写内容不符合要求")?
        .set_error_message(message)
}

/// 上年数: prefilled and locked; 是/否 indicators show the word.
fn write_prior(
    ws: &mut Worksheet,
    row: u32,
    t: ValueType,
    prior: Option<f64>,
) -> Result<(), XlsxError> {
    let c = col(DataColumn::Prior);
    let f = style::typed(style::given(), t);
    match (prior, t) {
        (None, _) => ws.write_blank(row, c, &f)?,
        (Some(v), ValueType::YesNo) => {
            ws.write_string_with_format(row, c, if v != 0.0 { "是" } else { "否" }, &f)?
        }
        (Some(v), _) => ws.write_number_with_format(row, c, v, &f)?,
    };
    Ok(())
}
