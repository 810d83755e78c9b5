//! The 封面 sheet: title, then one label/value row per [`CoverField`] (layout in `sheets`).

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use super::{style, TemplateFill};
use crate::registry::Unit;
use crate::schema::Schema;
use crate::sheets::{CoverField, COVER_LABEL_COL, COVER_SHEET, COVER_TITLE_ROW, COVER_VALUE_COL};

/// Width of the label column (A) and the value column (B).
const LABEL_WIDTH: f64 = 16.0;
const VALUE_WIDTH: f64 = 40.0;

/// A cover value: text or number.
enum Value {
    Text(String),
    Number(f64),
}

/// Writes the cover sheet.
pub fn write(
    ws: &mut Worksheet,
    schema: &Schema,
    unit: &Unit,
    year: i32,
    fill: &TemplateFill,
) -> Result<(), XlsxError> {
    ws.set_name(COVER_SHEET)?;
    ws.set_column_width(COVER_LABEL_COL, LABEL_WIDTH)?;
    ws.set_column_width(COVER_VALUE_COL, VALUE_WIDTH)?;
    ws.set_row_height(COVER_TITLE_ROW, 30)?;
    ws.merge_range(
        COVER_TITLE_ROW,
        COVER_LABEL_COL,
        COVER_TITLE_ROW,
        COVER_VALUE_COL,
        &format!("{}（{year}年度）", schema.title),
        &style::title(),
    )?;
    for field in CoverField::ALL {
        let row = field.template_row();
        ws.set_row_height(row, 22)?;
        ws.write_string_with_format(row, COVER_LABEL_COL, field.label(), &style::header())?;
        let format = if field.editable() {
            style::input()
        } else {
            style::given()
        };
        match value(field, schema, unit, year, fill) {
            Value::Text(s) if s.is_empty() => ws.write_blank(row, COVER_VALUE_COL, &format)?,
            Value::Text(s) => ws.write_string_with_format(row, COVER_VALUE_COL, &s, &format)?,
            Value::Number(n) => {
                ws.write_number_with_format(row, COVER_VALUE_COL, n, &format.set_num_format("0"))?
            }
        };
    }
    let note_row = CoverField::TemplateVersion.template_row() + 2;
    ws.merge_range(
        note_row,
        COVER_LABEL_COL,
        note_row,
        COVER_VALUE_COL,
        "黄色单元格由填报单位填写；灰色单元格由名册生成，请勿修改。填报前请阅读“填报说明”工作表。",
        &Format::new().set_text_wrap(),
    )?;
    ws.set_row_height(note_row, 33)?;
    // What the county office filled in once (huizong.toml): where and by when to send it.
    let notice = [
        ("表号", fill.settings.form_number.clone()),
        ("报送截止日期", fill.settings.deadline.clone()),
        ("县级联系人", fill.settings.contact_line()),
        ("制表单位", fill.settings.office.clone()),
    ];
    for ((label, value), row) in notice
        .into_iter()
        .filter_map(|(l, v)| v.map(|v| (l, v)))
        .zip(note_row + 2..)
    {
        ws.write_string_with_format(row, COVER_LABEL_COL, label, &style::header())?;
        ws.write_string_with_format(row, COVER_VALUE_COL, &value, &style::given())?;
    }
    ws.set_paper_size(9); // A4
    ws.protect_with_options(&style::protection());
    Ok(())
}

fn value(field: CoverField, schema: &Schema, unit: &Unit, year: i32, fill: &TemplateFill) -> Value {
    let text = |s: Option<&String>| Value::Text(s.cloned().unwrap_or_default());
    match field {
        CoverField::UnitCode => Value::Text(fill.cover_code.clone().unwrap_or(unit.code.clone())),
        CoverField::UnitName => Value::Text(unit.name.clone()),
        CoverField::UnitKind => Value::Text(unit.kind.label().to_string()),
        CoverField::Year => Value::Number(f64::from(year)),
        CoverField::CutoffDate => Value::Text(
            fill.cutoff_date
                .clone()
                .unwrap_or_else(|| format!("{year}-12-31")),
        ),
        CoverField::Filler => text(fill.filler.as_ref()),
        CoverField::Phone => text(fill.phone.as_ref()),
        CoverField::Head => text(fill.head.as_ref()),
        CoverField::TemplateVersion => Value::Text(schema.template_version.clone()),
    }
}
