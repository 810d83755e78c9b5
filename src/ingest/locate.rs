//! Finding the cover and the indicator rows by content, never by fixed positions (the layout in
//! [`crate::sheets`] is what the template writes, but units insert rows and columns, add title
//! rows, rename, reorder and hide sheets).
//!
//! - Cover: the sheet named 封面, else any sheet holding the label 单位代码. Each field is read by
//!   its label (trailing `：`/`:` and spaces tolerated); the value is the next non-empty cell to the
//!   right in the same row. Merged value cells keep their value in the top-left cell, which is the
//!   one found.
//! - Data: every sheet with a row holding the headers 代码 and 本年数 (or 本年/本期数). Columns
//!   are mapped by header label; every row below whose code cell (trimmed, upper-cased, full-width
//!   folded) is an indicator code of the schema becomes a value.

use std::collections::BTreeMap;

use super::grid::{Raw, Sheet};
use super::value::normalise;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location, Pos, Severity};
use crate::ingest::{CellValue, Cover, Submission, Value};
use crate::registry::UnitKind;
use crate::schema::{Schema, ValueType};
use crate::sheets::{CoverField, COVER_SHEET, GUIDE_SHEET};

/// Labels accepted for the data columns besides the template's own.
const CURRENT_LABELS: [&str; 3] = ["本年数", "本年", "本期数"];
const PRIOR_LABELS: [&str; 4] = ["上年数", "上年", "上期数", "上年同期数"];
const NOTE_LABELS: [&str; 3] = ["说明", "备注", "情况说明"];
const CODE_LABELS: [&str; 2] = ["代码", "指标代码"];

/// Where the columns of one data sheet are.
#[derive(Debug, Clone, Copy)]
struct Columns {
    header_row: u32,
    code: u16,
    current: u16,
    prior: Option<u16>,
    note: Option<u16>,
}

/// A label as compared: no spaces anywhere, no trailing colon.
pub fn norm_label(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}' && *c != '\u{a0}')
        .collect::<String>()
        .trim_end_matches(['：', ':'])
        .to_owned()
}

/// A header label: like [`norm_label`], and a bracketed suffix such as `（件）` dropped.
fn norm_header(s: &str) -> String {
    let l = norm_label(s);
    match l.find(['(', '（']) {
        Some(i) if i > 0 => l[..i].to_owned(),
        _ => l,
    }
}

/// A code as compared: trimmed, full-width letters/digits folded, upper-cased.
pub fn norm_code(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .collect::<String>()
        .to_uppercase()
}

/// `[A-Z]{2}\d{2}[A-Z]?`: looks like an indicator code.
fn looks_like_code(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 4 || b.len() == 5)
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_uppercase)
}

/// Whether a worksheet needs loading at all, given every worksheet name of the workbook: the
/// generated 填报说明 sheet is never data, and is only a candidate for the cover when no sheet is
/// named 封面. Skipping it when it cannot matter saves about a third of the XML each template
/// carries (measured at 10,000 workbooks).
pub fn needs_loading(name: &str, all: &[String]) -> bool {
    name.trim() != GUIDE_SHEET || !all.iter().any(|n| n.trim() == COVER_SHEET)
}

/// Reads the submission from loaded sheets. Always returns one; what is missing or wrong is in
/// the findings.
pub fn read_submission(
    sheets: &[Sheet],
    schema: &Schema,
    file: &str,
) -> (Submission, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let cover = match find_cover(sheets) {
        Some(sheet) => read_cover(sheet, schema, file, &mut diags),
        None => {
            diags.push(Diagnostic::new(
                "S03",
                Severity::Error,
                Location::file(file),
                "找不到封面（工作表“封面”或含“单位代码”的工作表）",
            ));
            Cover::default()
        }
    };
    let mut sub = Submission {
        cover,
        values: BTreeMap::new(),
        notes: BTreeMap::new(),
    };
    let data: Vec<(&Sheet, Columns)> = sheets
        .iter()
        // The generated 填报说明 sheet lists the codes too; it is never data.
        .filter(|s| s.name.trim() != GUIDE_SHEET)
        .filter_map(|s| find_columns(s).map(|c| (s, c)))
        .collect();
    if data.is_empty() {
        diags.push(Diagnostic::new(
            "S04",
            Severity::Error,
            Location::file(file),
            "找不到统计表：没有工作表含有“代码”和“本年数”表头",
        ));
    }
    for (sheet, cols) in &data {
        read_rows(sheet, *cols, schema, file, &mut sub, &mut diags);
    }
    if let Some((sheet, _)) = data.first() {
        check_missing(&sub, schema, file, &sheet.name, &mut diags);
    }
    (sub, diags)
}

fn find_cover(sheets: &[Sheet]) -> Option<&Sheet> {
    sheets
        .iter()
        .find(|s| s.name.trim() == COVER_SHEET)
        .or_else(|| {
            let label = CoverField::UnitCode.label();
            sheets.iter().find(|s| {
                s.cells
                    .values()
                    .any(|c| matches!(&c.raw, Raw::Text(t) if norm_label(t) == label))
            })
        })
}

fn read_cover(sheet: &Sheet, schema: &Schema, file: &str, diags: &mut Vec<Diagnostic>) -> Cover {
    let mut cover = Cover::default();
    for field in CoverField::ALL {
        let label = field.label();
        let Some(&(row, col)) = sheet
            .cells
            .iter()
            .find(|(_, c)| matches!(&c.raw, Raw::Text(t) if norm_label(t) == label))
            .map(|(k, _)| k)
        else {
            diags.push(cover_missing(field, file, sheet, None, "封面缺少字段"));
            continue;
        };
        let value = sheet
            .row(row)
            .find(|(c, cell)| *c > col && !cell.raw.text().is_empty());
        let Some((vcol, vcell)) = value else {
            let pos = Pos::new(row, col.saturating_add(1));
            cover
                .cells
                .insert(label.to_owned(), (sheet.name.clone(), pos));
            diags.push(cover_missing(
                field,
                file,
                sheet,
                Some(pos),
                "封面字段未填写",
            ));
            continue;
        };
        let pos = Pos::new(row, vcol);
        cover
            .cells
            .insert(label.to_owned(), (sheet.name.clone(), pos));
        set_field(&mut cover, field, &vcell.raw, file, sheet, pos, diags);
    }
    check_version(&cover, schema, file, diags);
    check_cutoff(&cover, schema, file, diags);
    cover
}

fn cover_missing(
    field: CoverField,
    file: &str,
    sheet: &Sheet,
    pos: Option<Pos>,
    what: &str,
) -> Diagnostic {
    let identity = matches!(
        field,
        CoverField::UnitCode | CoverField::UnitName | CoverField::UnitKind | CoverField::Year
    );
    let severity = if identity {
        Severity::Error
    } else {
        Severity::Warning
    };
    let location = match pos {
        Some(p) => Location::cell(file, &sheet.name, p),
        None => Location {
            file: file.to_owned(),
            sheet: Some(sheet.name.clone()),
            cell: None,
        },
    };
    Diagnostic::new(
        "S03",
        severity,
        location,
        format!("{what}“{}”", field.label()),
    )
}

fn set_field(
    cover: &mut Cover,
    field: CoverField,
    raw: &Raw,
    file: &str,
    sheet: &Sheet,
    pos: Pos,
    diags: &mut Vec<Diagnostic>,
) {
    let text = raw.text();
    match field {
        CoverField::UnitCode => cover.unit_code = Some(text),
        CoverField::UnitName => cover.unit_name = Some(text),
        CoverField::UnitKind => cover.unit_kind = Some(text),
        CoverField::Year => match parse_year(raw) {
            Some(y) => cover.year = Some(y),
            None => diags.push(Diagnostic::new(
                "S03",
                Severity::Error,
                Location::cell(file, &sheet.name, pos),
                format!("封面统计年度“{text}”无法识别，应填写四位年份"),
            )),
        },
        CoverField::CutoffDate => cover.cutoff_date = Some(parse_date(raw).unwrap_or(text)),
        CoverField::Filler => cover.filler = Some(text),
        CoverField::Phone => cover.phone = Some(text),
        CoverField::Head => cover.head = Some(text),
        CoverField::TemplateVersion => cover.template_version = Some(text),
    }
}

fn parse_year(raw: &Raw) -> Option<i32> {
    let y = match raw {
        Raw::Number(v) if v.fract() == 0.0 => *v as i64,
        Raw::Text(t) => {
            let t = norm_code(t);
            let t = t.trim_end_matches('度').trim_end_matches('年');
            t.parse::<i64>().ok()?
        }
        _ => return None,
    };
    (1900..=2200).contains(&y).then_some(y as i32)
}

/// A date cell, an Excel serial number or text like 2024-12-31 / 2024年12月31日 / 2024.12.31 /
/// 2024/12/31, as `YYYY-MM-DD`.
pub fn parse_date(raw: &Raw) -> Option<String> {
    let date = match raw {
        Raw::Date(d) => *d,
        Raw::Number(v) if (20_000.0..80_000.0).contains(v) => {
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|d| d.checked_add_days(chrono::Days::new(*v as u64)))
        }
        Raw::Text(t) => parse_date_text(&norm_code(t)),
        _ => None,
    };
    date.map(|d| d.format("%Y-%m-%d").to_string())
}

fn parse_date_text(t: &str) -> Option<chrono::NaiveDate> {
    let parts: Vec<&str> = t
        .split(['-', '.', '/', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [y, m, d] => {
            chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        }
        _ => None,
    }
}

fn check_version(cover: &Cover, schema: &Schema, file: &str, diags: &mut Vec<Diagnostic>) {
    let Some(v) = &cover.template_version else {
        return;
    };
    if v.trim() == schema.template_version.trim() {
        return;
    }
    diags.push(Diagnostic::new(
        "S05",
        Severity::Warning,
        cover_location(cover, CoverField::TemplateVersion, file),
        format!(
            "模板版本为“{v}”，本次指标体系为“{}”，请使用本年度模板",
            schema.template_version
        ),
    ));
}

fn check_cutoff(cover: &Cover, schema: &Schema, file: &str, diags: &mut Vec<Diagnostic>) {
    let Some(date) = &cover.cutoff_date else {
        return;
    };
    let expected = cover.year.map(|y| format!("{y}-12-31"));
    let ok = match &expected {
        Some(e) => date == e,
        None => date.len() == 10 && date.ends_with("-12-31"),
    };
    if ok {
        return;
    }
    let want = expected.unwrap_or_else(|| "当年 12 月 31 日".to_owned());
    diags.push(Diagnostic::new(
        "V05",
        schema.severity(Code::V05),
        cover_location(cover, CoverField::CutoffDate, file),
        format!("统计截止日期为“{date}”，应为 {want}"),
    ));
}

/// The cell a cover field was read from, else just the file.
fn cover_location(cover: &Cover, field: CoverField, file: &str) -> Location {
    match cover.cells.get(field.label()) {
        Some((sheet, pos)) => Location::cell(file, sheet, *pos),
        None => Location::file(file),
    }
}

/// The header row and columns of a data sheet, if it is one.
fn find_columns(sheet: &Sheet) -> Option<Columns> {
    sheet.rows().into_iter().find_map(|row| {
        let labels: Vec<(u16, String)> = sheet
            .row(row)
            .filter_map(|(c, cell)| match &cell.raw {
                Raw::Text(t) => Some((c, norm_header(t))),
                _ => None,
            })
            .collect();
        let find = |set: &[&str]| {
            labels
                .iter()
                .find(|(_, l)| set.contains(&l.as_str()))
                .map(|(c, _)| *c)
        };
        Some(Columns {
            header_row: row,
            code: find(&CODE_LABELS)?,
            current: find(&CURRENT_LABELS)?,
            prior: find(&PRIOR_LABELS),
            note: find(&NOTE_LABELS),
        })
    })
}

fn read_rows(
    sheet: &Sheet,
    cols: Columns,
    schema: &Schema,
    file: &str,
    sub: &mut Submission,
    diags: &mut Vec<Diagnostic>,
) {
    for row in sheet.rows().into_iter().filter(|r| *r > cols.header_row) {
        let code = norm_code(&sheet.text(row, cols.code));
        let code_pos = Pos::new(row, cols.code);
        let Some(ind) = schema.indicator(&code) else {
            if looks_like_code(&code) {
                diags.push(Diagnostic::new(
                    "S08",
                    Severity::Warning,
                    Location::cell(file, &sheet.name, code_pos),
                    format!("代码“{code}”不在指标体系中，该行未读取"),
                ));
            }
            continue;
        };
        if let Some(first) = sub.values.get(&code) {
            let first_at = Location::cell(file, &first.sheet, first.pos).render();
            diags.push(
                Diagnostic::new(
                    "S07",
                    Severity::Error,
                    Location::cell(file, &sheet.name, code_pos),
                    format!("代码 {code} 重复出现（第一次在 {first_at}），已采用第一次出现的行"),
                )
                .with_indicator(&code),
            );
            continue;
        }
        let pos = Pos::new(row, cols.current);
        let max = schema.max_of(ind);
        let n = normalise(sheet.get(row, cols.current), ind.value_type, &ind.unit, max);
        for issue in n.issues {
            let severity = if issue.code == "N01" {
                Severity::Info
            } else {
                schema.severity(issue.code.into())
            };
            diags.push(
                Diagnostic::new(
                    issue.code,
                    severity,
                    Location::cell(file, &sheet.name, pos),
                    format!("{}（{}）：{}", ind.code, ind.name, issue.message),
                )
                .with_indicator(&ind.code),
            );
        }
        let prior_shown = cols
            .prior
            .and_then(|c| prior_value(sheet, row, c, ind.value_type, max));
        if let Some(note) = cols
            .note
            .map(|c| sheet.text(row, c))
            .filter(|t| !t.is_empty())
        {
            sub.notes.insert(code.clone(), note);
        }
        sub.values.insert(
            code,
            CellValue {
                value: n.value,
                sheet: sheet.name.clone(),
                pos,
                approximate: n.approximate,
                prior_shown,
            },
        );
    }
}

/// The 上年数 shown next to a value: any number the cell normalises to, findings ignored (the
/// column is pre-filled and locked; it is not the unit's answer).
fn prior_value(sheet: &Sheet, row: u32, col: u16, vt: ValueType, max: f64) -> Option<f64> {
    let vt = if vt == ValueType::YesNo {
        ValueType::Amount
    } else {
        vt
    };
    match normalise(sheet.get(row, col), vt, "", max).value {
        Value::Number(v) => Some(v),
        _ => match sheet.get(row, col).map(|c| &c.raw) {
            Some(Raw::Text(t)) if t.trim() == "是" => Some(1.0),
            Some(Raw::Text(t)) if t.trim() == "否" => Some(0.0),
            _ => None,
        },
    }
}

fn check_missing(
    sub: &Submission,
    schema: &Schema,
    file: &str,
    sheet: &str,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(kind) = sub.cover.unit_kind.as_deref().and_then(UnitKind::parse) else {
        return;
    };
    for ind in schema.indicators.iter().filter(|i| i.reported_by(kind)) {
        if sub.values.contains_key(&ind.code) {
            continue;
        }
        diags.push(
            Diagnostic::new(
                "S06",
                Severity::Error,
                Location {
                    file: file.to_owned(),
                    sheet: Some(sheet.to_owned()),
                    cell: None,
                },
                format!(
                    "统计表缺少指标 {}（{}）的行，{}应填报此项",
                    ind.code,
                    ind.name,
                    kind.label()
                ),
            )
            .with_indicator(&ind.code),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_sheet_is_skipped_only_when_a_cover_sheet_exists() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let template = names(&["封面", "统计表", "填报说明"]);
        assert!(!needs_loading("填报说明", &template));
        assert!(!needs_loading(" 填报说明 ", &template));
        assert!(needs_loading("统计表", &template));
        assert!(needs_loading("封面", &template));
        // Cover renamed: the guide sheet may be where 单位代码 is found, so it is read.
        let renamed = names(&["单位信息", "统计表", "填报说明"]);
        assert!(needs_loading("填报说明", &renamed));
    }

    #[test]
    fn labels_and_codes() {
        assert_eq!(norm_label(" 单位代码： "), "单位代码");
        assert_eq!(norm_label("单位 代码:"), "单位代码");
        assert_eq!(norm_header("本年数（件）"), "本年数");
        assert_eq!(norm_code(" ｆｙ０２ "), "FY02");
        assert!(looks_like_code("ZF06B"));
        assert!(!looks_like_code("Z06"));
        assert!(!looks_like_code("一、"));
    }

    #[test]
    fn dates() {
        let t = |s: &str| parse_date(&Raw::Text(s.into()));
        assert_eq!(t("2024-12-31").as_deref(), Some("2024-12-31"));
        assert_eq!(t("2024年12月31日").as_deref(), Some("2024-12-31"));
        assert_eq!(t("2024.12.31").as_deref(), Some("2024-12-31"));
        assert_eq!(t("2024.13.31"), None);
        assert_eq!(
            parse_date(&Raw::Number(45657.0)).as_deref(),
            Some("2024-12-31")
        );
    }
}
