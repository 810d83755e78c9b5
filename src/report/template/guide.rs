//! The 填报说明 sheet: general instructions, then the unit's indicators with type and hint.

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use super::{data, style};
use crate::registry::Unit;
use crate::schema::{Indicator, Schema, ValueType};
use crate::sheets::{DATA_SHEET, GUIDE_SHEET, MIN_EXPLANATION_CHARS};

/// Columns of the indicator table: 代码, 指标名称, 计量单位, 类型, 填报提示.
const HEADERS: [&str; 5] = ["代码", "指标名称", "计量单位", "类型", "填报提示"];
const WIDTHS: [f64; 5] = [10.0, 44.0, 10.0, 22.0, 60.0];

/// The general instructions, one paragraph each.
fn instructions() -> Vec<String> {
    vec![
        format!("只填写“{DATA_SHEET}”中黄色的“本年数”和“说明”单元格；灰色单元格（代码、上年数等）由县里预填，不能修改。"),
        "没有发生的事项填 0；不知道或未统计的留空。空白不等于 0，请不要用空白代替 0。".into(),
        "填写准确数字，不要填写“约”“余”“多”“以上”“近”等字样，也不要填写“xx”等占位符。".into(),
        "金额一律以“元”为单位，最多保留两位小数，不要换算成“万元”；数字请用半角（英文）数字。".into(),
        "“是/否”类指标从下拉列表中选择“是”或“否”。".into(),
        format!("校验提示需要核实的数据（如与上年相比变化很大），请在同一行“说明”中写明原因，不少于 {MIN_EXPLANATION_CHARS} 个字；只写“核实无误”“属实”不能作为说明。"),
        format!("请勿修改工作表名称，请勿删除或改动“代码”列、插入或删除行；“{DATA_SHEET}”中只显示本单位需要填报的指标。"),
        "封面的填报人、联系电话、单位负责人须填写完整；统计截止日期一般为当年 12 月 31 日。".into(),
    ]
}

fn type_label(t: ValueType) -> &'static str {
    match t {
        ValueType::Count => "整数（≥0）",
        ValueType::Amount => "金额（元，≥0，两位小数）",
        ValueType::YesNo => "是/否",
    }
}

/// Writes the guide sheet.
pub fn write(ws: &mut Worksheet, schema: &Schema, unit: &Unit) -> Result<(), XlsxError> {
    ws.set_name(GUIDE_SHEET)?;
    for (c, w) in WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let last_col = (HEADERS.len() - 1) as u16;
    let text_width: f64 = WIDTHS.iter().sum();
    ws.set_row_height(0, 30)?;
    ws.merge_range(0, 0, 0, last_col, "填报说明", &style::title())?;
    let wrap = Format::new().set_text_wrap();
    let mut row = 2;
    ws.write_string_with_format(row, 0, "一、填报要求", &Format::new().set_bold())?;
    row += 1;
    for (n, text) in instructions().iter().enumerate() {
        let text = format!("{}. {text}", n + 1);
        ws.merge_range(row, 0, row, last_col, &text, &wrap)?;
        ws.set_row_height(row, style::wrapped_height(&text, text_width))?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(
        row,
        0,
        format!("二、本单位填报的指标（{}）", unit.kind.label()),
        &Format::new().set_bold(),
    )?;
    row += 1;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *h, &style::header())?;
    }
    ws.set_repeat_rows(row, row)?;
    row += 1;
    for line in data::lines(schema, unit) {
        match line {
            data::Line::Section(name) => {
                ws.merge_range(row, 0, row, last_col, name, &style::section())?;
            }
            data::Line::Indicator(ind) => write_indicator(ws, row, ind)?,
        }
        row += 1;
    }
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.protect_with_options(&style::protection());
    Ok(())
}

fn write_indicator(ws: &mut Worksheet, row: u32, ind: &Indicator) -> Result<(), XlsxError> {
    let hint = ind.hint.clone().unwrap_or_default();
    let name = data::display_name(ind);
    let cells = [
        ind.code.as_str(),
        name.as_str(),
        ind.unit.as_str(),
        type_label(ind.value_type),
        hint.as_str(),
    ];
    for (c, s) in cells.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *s, &style::cell())?;
    }
    let height =
        style::wrapped_height(&hint, WIDTHS[4]).max(style::wrapped_height(&name, WIDTHS[1]));
    ws.set_row_height(row, height)?;
    Ok(())
}
