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
//!   folded) is an indicator code of the schema becomes a value. A row under a percentage rate's
//!   code (RZF01) is the rate the unit typed itself ([`Submission::rates`], judged by A04 against
//!   its counts); a row under a computed ratio's code (RZF03, 元/宗) and any other code-like text
//!   (3–7 letters and digits) is S08 at its code cell.

use std::collections::{BTreeMap, BTreeSet};

use super::grid::{Raw, Sheet};
use super::sheetxml::NumFmt;
use super::value::{fmt_num, normalise, reported_rate};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location, Pos, Severity};
use crate::ingest::{CellValue, Cover, Submission, Value};
use crate::registry::UnitKind;
use crate::schema::{Rate, Schema, ValueType};
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

/// Characters dropped wherever codes and labels are compared: Unicode white space (which takes
/// in U+00A0 and U+3000) and the invisible characters that come along when text is pasted from
/// web pages, WeChat or Word: zero-width space/non-joiner/joiner (U+200B–U+200D), word joiner
/// (U+2060), byte-order mark (U+FEFF), soft hyphen (U+00AD) and Mongolian vowel separator
/// (U+180E). Without this a code like `ZF03\u{200B}` looks right on screen and matches nothing.
pub fn is_ignorable(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
        )
}

/// A label as compared: no spaces or invisible characters anywhere, no trailing colon.
pub fn norm_label(s: &str) -> String {
    s.chars()
        .filter(|c| !is_ignorable(*c))
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

/// A code as compared: spaces and invisible characters ([`is_ignorable`]) dropped, full-width
/// letters/digits folded, upper-cased. The one normalisation for indicator codes.
pub fn norm_code(s: &str) -> String {
    s.chars()
        .filter(|c| !is_ignorable(*c))
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .collect::<String>()
        .to_uppercase()
}

/// Looks like a code (of an indicator, a rate or a mistyped one): 3–7 ASCII letters and
/// digits, starting with a letter and holding a digit (`ZF06B`, `RZF01`, `ZF6`, `GF2024`), as
/// [`norm_code`] leaves it (upper case). Headings (`一、`), labels and numbers are not.
fn looks_like_code(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=7).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b.iter().any(u8::is_ascii_digit)
}

/// Whether a worksheet needs loading at all, given every worksheet name of the workbook: the
/// generated 填报说明 sheet is never data, and is only a candidate for the cover when no sheet is
/// named 封面. Skipping it when it cannot matter saves about a third of the XML each template
/// carries (measured at 10,000 workbooks).
pub fn needs_loading(name: &str, all: &[String]) -> bool {
    name.trim() != GUIDE_SHEET || !all.iter().any(|n| n.trim() == COVER_SHEET)
}

/// Whether a sheet is a data sheet: it has the 代码/本年数 header row and is not the generated
/// 填报说明 sheet (which lists the codes too).
pub fn is_data_sheet(sheet: &Sheet) -> bool {
    sheet.name.trim() != GUIDE_SHEET && find_columns(sheet).is_some()
}

/// Reads the submission from loaded sheets. Always returns one; what is missing or wrong is in
/// the findings.
/// `hidden_rows` gives a sheet's hidden rows; it is asked only for sheets where a code repeats.
pub fn read_submission(
    sheets: &[Sheet],
    schema: &Schema,
    file: &str,
    hidden_rows: &mut dyn FnMut(&Sheet) -> BTreeSet<u32>,
) -> (Submission, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let cover = match find_cover(sheets) {
        Some(sheet) => read_cover(sheet, schema, file, &mut diags),
        None => {
            diags.push(Diagnostic::new(
                Code::S03,
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
        rates: BTreeMap::new(),
        saved: None,
    };
    let data: Vec<(&Sheet, Columns)> = sheets
        .iter()
        // The generated 填报说明 sheet lists the codes too; it is never data (see is_data_sheet).
        .filter(|s| s.name.trim() != GUIDE_SHEET)
        .filter_map(|s| find_columns(s).map(|c| (s, c)))
        .collect();
    if data.is_empty() {
        diags.push(Diagnostic::new(
            Code::S04,
            Severity::Error,
            Location::file(file),
            "找不到统计表：没有工作表含有“代码”和“本年数”表头",
        ));
    }
    let suggested = read_all_rows(&data, schema, file, hidden_rows, &mut sub, &mut diags);
    if let Some((sheet, _)) = data.first() {
        check_missing(&sub, schema, file, sheet, &suggested, &mut diags);
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
        Code::S03,
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
        CoverField::UnitCode => match raw {
            Raw::Number(v) if !exact_integer(*v) => diags.push(Diagnostic::new(
                Code::S03,
                Severity::Error,
                Location::cell(file, &sheet.name, pos),
                format!(
                    "封面单位代码以数字形式保存为“{text}”，{}，读取的代码可能与填写的不同；\
                     请将该单元格格式设为“文本”后重新输入单位代码",
                    if v.fract() == 0.0 {
                        "位数过多，Excel 只保存前 15 位有效数字"
                    } else {
                        "不是整数"
                    }
                ),
            )),
            _ => cover.unit_code = Some(text),
        },
        CoverField::UnitName => cover.unit_name = Some(text),
        CoverField::UnitKind => cover.unit_kind = Some(text),
        CoverField::Year => match parse_year(raw) {
            Some(y) => cover.year = Some(y),
            None => diags.push(Diagnostic::new(
                Code::S03,
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

/// Whether a number read from a cell is an integer that f64 holds exactly (|v| ≤ 2^53), so that
/// its digits are the ones typed.
fn exact_integer(v: f64) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    v.is_finite() && v.fract() == 0.0 && v.abs() <= EXACT
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
        Code::S05,
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
        Code::V05,
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

/// Missing code → (sheet, code cell, code as written) of the unknown row probably meant for it.
type Suggested = BTreeMap<String, (String, Pos, String)>;

/// One indicator row found on a data sheet.
#[derive(Debug, Clone, Copy)]
struct Found {
    /// Index into the data sheets.
    sheet: usize,
    row: u32,
}

/// A row whose code cell holds something that is not an indicator code of the schema.
struct Unknown {
    sheet: usize,
    row: u32,
    code: String,
}

/// Reads the indicator rows of every data sheet. Each code's rows are gathered first so the
/// row used can be chosen with all of them in view: the first visible one (neither the row nor
/// its sheet hidden), else the first. The rest are S07 findings that say which row was used and
/// which are hidden. Unknown codes are S08, with the known code they were probably meant to be
/// when there is one; that suggestion also places the S06 of the missing code.
fn read_all_rows(
    data: &[(&Sheet, Columns)],
    schema: &Schema,
    file: &str,
    hidden_rows: &mut dyn FnMut(&Sheet) -> BTreeSet<u32>,
    sub: &mut Submission,
    diags: &mut Vec<Diagnostic>,
) -> Suggested {
    // Every indicator row in sheet and row order, then grouped by code (a stable sort keeps
    // that order within a code). A flat vector: no allocation per code on the hot path.
    let mut found: Vec<(&crate::schema::Indicator, Found)> = Vec::new();
    let mut unknown: Vec<Unknown> = Vec::new();
    let mut rates: Vec<(&Rate, Found)> = Vec::new();
    for (i, (sheet, cols)) in data.iter().enumerate() {
        for row in sheet.rows().into_iter().filter(|r| *r > cols.header_row) {
            let code = norm_code(&sheet.text(row, cols.code));
            if code.is_empty() {
                continue;
            }
            match schema.indicator(&code) {
                Some(ind) => found.push((ind, Found { sheet: i, row })),
                None => match schema.rates.iter().find(|r| r.code == code) {
                    Some(rate) => rates.push((rate, Found { sheet: i, row })),
                    None => unknown.push(Unknown {
                        sheet: i,
                        row,
                        code,
                    }),
                },
            }
        }
    }
    for (rate, f) in rates {
        let (sheet, cols) = data[f.sheet];
        read_rate_row(sheet, cols, f.row, rate, schema, file, sub, diags);
    }
    found.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    let groups: Vec<&[(&crate::schema::Indicator, Found)]> =
        found.chunk_by(|a, b| a.0.code == b.0.code).collect();
    // Hidden rows of each data sheet, read only for sheets where some code repeats.
    let mut hidden_of: Vec<Option<BTreeSet<u32>>> = vec![None; data.len()];
    for (_, f) in groups.iter().filter(|g| g.len() > 1).flat_map(|g| g.iter()) {
        if hidden_of[f.sheet].is_none() {
            hidden_of[f.sheet] = Some(hidden_rows(data[f.sheet].0));
        }
    }
    let hidden = |f: &Found| -> Option<&'static str> {
        if data[f.sheet].0.hidden {
            Some("隐藏工作表中的行")
        } else if hidden_of[f.sheet]
            .as_ref()
            .is_some_and(|h| h.contains(&f.row))
        {
            Some("隐藏行")
        } else {
            None
        }
    };
    for group in groups {
        let ind = group[0].0;
        let code = &ind.code;
        let chosen = group
            .iter()
            .position(|(_, f)| hidden(f).is_none())
            .unwrap_or(0);
        let used = group[chosen].1;
        let (used_sheet, used_cols) = data[used.sheet];
        if group.len() > 1 {
            let used_at = Location::cell(
                file,
                &used_sheet.name,
                Pos::new(used.row, used_cols.current),
            )
            .render();
            for (k, (_, dup)) in group.iter().enumerate().filter(|(k, _)| *k != chosen) {
                let message =
                    duplicate_message(code, &used_at, chosen, k, hidden(dup), hidden(&group[0].1));
                let (sheet, cols) = data[dup.sheet];
                diags.push(
                    Diagnostic::new(
                        Code::S07,
                        Severity::Error,
                        Location::cell(file, &sheet.name, Pos::new(dup.row, cols.code)),
                        message,
                    )
                    .with_indicator(code),
                );
            }
        }
        read_value_row(
            used_sheet, used_cols, used.row, ind, schema, file, sub, diags,
        );
    }
    suggest_unknown(data, &unknown, schema, sub, file, diags)
}

/// Reads a row under a rate's code (RZF01): a percentage rate becomes the unit's reported rate
/// ([`Submission::rates`]), which A04 compares with its counts; a second row of the same code is
/// S07 (the first is used). A plain ratio (件均罚没金额, 元/宗) is computed only, so its row is an
/// S08 that says so.
#[allow(clippy::too_many_arguments)]
fn read_rate_row(
    sheet: &Sheet,
    cols: Columns,
    row: u32,
    rate: &Rate,
    schema: &Schema,
    file: &str,
    sub: &mut Submission,
    diags: &mut Vec<Diagnostic>,
) {
    let code = &rate.code;
    let code_at = Location::cell(file, &sheet.name, Pos::new(row, cols.code));
    if let Some(unit) = &rate.unit {
        diags.push(
            Diagnostic::new(
                Code::S08,
                Severity::Warning,
                code_at,
                format!(
                    "代码“{code}”是程序按分子分母计算的{}（{unit}），不需要填报，该行未读取",
                    rate.name
                ),
            )
            .with_indicator(code),
        );
        return;
    }
    if let Some(first) = sub.rates.get(code) {
        let used_at = Location::cell(file, &first.sheet, first.pos).render();
        diags.push(
            Diagnostic::new(
                Code::S07,
                Severity::Error,
                code_at,
                format!("代码 {code} 重复出现（第一次在 {used_at}），已采用第一次出现的行"),
            )
            .with_indicator(code),
        );
        return;
    }
    let pos = Pos::new(row, cols.current);
    let percent = matches!(
        sheet.formats.get(&(pos.row, pos.col)),
        Some(NumFmt::Percent { .. })
    );
    let n = reported_rate(sheet.get(row, cols.current), percent);
    for issue in n.issues {
        diags.push(
            Diagnostic::new(
                issue.code,
                schema.severity(issue.code),
                Location::cell(file, &sheet.name, pos),
                format!("{code}（{}）：{}", rate.name, issue.message),
            )
            .with_indicator(code),
        );
    }
    sub.rates.insert(
        code.clone(),
        CellValue {
            value: n.value,
            sheet: sheet.name.clone(),
            pos,
            approximate: false,
            prior_shown: None,
        },
    );
    // The row's 说明 explains an A04 on the reported rate (anomaly::status).
    if let Some(note) = cols
        .note
        .map(|c| sheet.text(row, c))
        .filter(|t| !t.is_empty())
    {
        sub.notes.insert(code.clone(), note);
    }
}

/// The S07 message for the duplicate at index `dup` of a code's rows, `chosen` being the one
/// used (at `used_at`). The wording of the plain case (both visible, first used) is the one
/// units already know.
fn duplicate_message(
    code: &str,
    used_at: &str,
    chosen: usize,
    dup: usize,
    dup_hidden: Option<&str>,
    first_hidden: Option<&str>,
) -> String {
    match (chosen == 0, dup_hidden) {
        (true, None) => {
            format!("代码 {code} 重复出现（第一次在 {used_at}），已采用第一次出现的行")
        }
        (true, Some(h)) if first_hidden.is_some() => format!(
            "代码 {code} 重复出现（第一次在 {used_at}），两行都是{h}，已采用第一次出现的行；请删除多余的行"
        ),
        (true, Some(h)) => format!(
            "代码 {code} 重复出现（第一次在 {used_at}），本行是{h}，已采用第一次出现的可见行；请删除隐藏的重复行"
        ),
        (false, Some(h)) if dup == 0 => format!(
            "代码 {code} 重复出现，本行是{h}，已改用后面可见的 {used_at} 所在行；请删除隐藏的重复行"
        ),
        (false, h) => format!(
            "代码 {code} 重复出现，已采用可见的 {used_at} 所在行（第一次出现的行是{}）{}；请删除多余的行",
            first_hidden.unwrap_or("隐藏行"),
            if h.is_some() { "，本行也是隐藏的" } else { "" }
        ),
    }
}

/// Reads the 本年数 (with its findings), 上年数 and 说明 of one indicator row.
#[allow(clippy::too_many_arguments)]
fn read_value_row(
    sheet: &Sheet,
    cols: Columns,
    row: u32,
    ind: &crate::schema::Indicator,
    schema: &Schema,
    file: &str,
    sub: &mut Submission,
    diags: &mut Vec<Diagnostic>,
) {
    let pos = Pos::new(row, cols.current);
    let cell = sheet.get(row, cols.current);
    let max = schema.max_of(ind);
    let n = normalise(cell, ind.value_type, &ind.unit, max);
    let at = || Location::cell(file, &sheet.name, pos);
    if let Some(w) = format_warning(sheet, pos, ind.value_type, &n.value) {
        diags.push(
            Diagnostic::new(
                Code::N03,
                schema.severity(Code::N03),
                at(),
                format!("{}（{}）：{w}", ind.code, ind.name),
            )
            .with_indicator(&ind.code),
        );
    }
    for issue in n.issues {
        let severity = schema.severity(issue.code);
        diags.push(
            Diagnostic::new(
                issue.code,
                severity,
                at(),
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
        sub.notes.insert(ind.code.clone(), note);
    }
    sub.values.insert(
        ind.code.clone(),
        CellValue {
            value: n.value,
            sheet: sheet.name.clone(),
            pos,
            approximate: n.approximate,
            prior_shown,
        },
    );
}

/// The N03 text when a count/amount cell's number format makes Excel show something other than
/// the number read (percent, date) or store typed numbers as text (`@`), else `None`. Only
/// cells holding something that format affects are reported: "不适用" in a text cell is fine.
fn format_warning(sheet: &Sheet, pos: Pos, vt: ValueType, read: &Value) -> Option<String> {
    if vt == ValueType::YesNo {
        return None;
    }
    let format = *sheet.formats.get(&(pos.row, pos.col))?;
    let raw = &sheet.get(pos.row, pos.col)?.raw;
    let read_text = match read {
        Value::Number(v) => format!("读取的数值为 {}", fmt_num(*v)),
        _ => "未能读取为数值".to_owned(),
    };
    const FIX: &str = "请将该单元格格式设为“常规”或“数值”后重新填写";
    match (format, raw) {
        (NumFmt::Percent { decimals }, Raw::Number(v)) => Some(format!(
            "单元格格式为百分比，Excel 显示为“{:.*}%”，{read_text}；{FIX}",
            decimals as usize,
            v * 100.0
        )),
        (NumFmt::Date, Raw::Date(d)) => {
            let shown = d
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let typed = sheet
                .date_serials
                .get(&(pos.row, pos.col))
                .map(|s| format!("，实际填写的数字为 {}", fmt_num(*s)))
                .unwrap_or_default();
            Some(format!(
                "单元格格式为日期，Excel 显示为“{shown}”{typed}，{read_text}；{FIX}"
            ))
        }
        (NumFmt::Date, Raw::Number(v)) => Some(format!(
            "单元格格式为日期/时间，Excel 显示的不是数字 {}，{read_text}；{FIX}",
            fmt_num(*v)
        )),
        (NumFmt::Text, Raw::Text(t)) if matches!(read, Value::Number(_)) => Some(format!(
            "单元格格式为文本，Excel 显示为“{}”但按文字保存（合计公式不计入），{read_text}；{FIX}",
            t.trim()
        )),
        (NumFmt::Text, Raw::Number(v)) => Some(format!(
            "单元格格式为文本，Excel 显示为“{}”，{read_text}；今后在此格输入的数字会按文字保存，{FIX}",
            fmt_num(*v)
        )),
        _ => None,
    }
}

/// Known codes an unknown one was probably meant to be: same length with the look-alikes
/// O/0, I/1, L/1 swapped, or one edit away. Only codes not read elsewhere are offered (the
/// intended row is the one missing); look-alikes first.
fn near_codes<'a>(
    code: &str,
    schema: &'a Schema,
    sub: &Submission,
) -> Vec<&'a crate::schema::Indicator> {
    let chars: Vec<char> = code.chars().collect();
    if chars.is_empty() || chars.len() > 8 || !code.is_ascii() {
        return Vec::new();
    }
    let fold = |c: char| match c {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    let look_alike = |known: &str| {
        known.len() == chars.len()
            && known
                .chars()
                .zip(&chars)
                .all(|(k, c)| k == *c || fold(k) == fold(*c))
    };
    let absent = schema
        .indicators
        .iter()
        .filter(|i| !sub.values.contains_key(&i.code));
    let mut alike: Vec<&crate::schema::Indicator> = Vec::new();
    let mut close: Vec<&crate::schema::Indicator> = Vec::new();
    for ind in absent {
        if look_alike(&ind.code) {
            alike.push(ind);
        } else if edit_distance_is_one(&chars, &ind.code) {
            close.push(ind);
        }
    }
    alike.extend(close);
    alike
}

/// Whether `a` and `b` are one insertion, deletion or substitution apart.
fn edit_distance_is_one(a: &[char], b: &str) -> bool {
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (a, &b[..])
    } else {
        (&b[..], a)
    };
    match long.len() - short.len() {
        0 => short.iter().zip(long).filter(|(x, y)| x != y).count() == 1,
        1 => {
            let i = short.iter().zip(long).take_while(|(x, y)| x == y).count();
            short[i..] == long[i + 1..]
        }
        _ => false,
    }
}

/// Emits S08 for unknown codes that look like codes or are near a known one, and returns the
/// code cell of the row each missing code was probably typed as (one suggestion only).
fn suggest_unknown(
    data: &[(&Sheet, Columns)],
    unknown: &[Unknown],
    schema: &Schema,
    sub: &Submission,
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Suggested {
    let mut suggested = BTreeMap::new();
    for u in unknown {
        let near = near_codes(&u.code, schema, sub);
        if near.is_empty() && !looks_like_code(&u.code) {
            continue;
        }
        let (sheet, cols) = data[u.sheet];
        let pos = Pos::new(u.row, cols.code);
        let code = &u.code;
        let message = match near.as_slice() {
            [] => format!("代码“{code}”不在指标体系中，该行未读取"),
            [one] => {
                suggested.entry(one.code.clone()).or_insert((
                    sheet.name.clone(),
                    pos,
                    code.clone(),
                ));
                format!(
                    "代码“{code}”不在指标体系中，是否应为 {}（{}）？该行未读取，请改正代码",
                    one.code, one.name
                )
            }
            many => format!(
                "代码“{code}”不在指标体系中，是否应为 {}？该行未读取，请改正代码",
                many.iter()
                    .take(3)
                    .map(|i| format!("{}（{}）", i.code, i.name))
                    .collect::<Vec<_>>()
                    .join("或")
            ),
        };
        diags.push(Diagnostic::new(
            Code::S08,
            Severity::Warning,
            Location::cell(file, &sheet.name, pos),
            message,
        ));
    }
    suggested
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

/// S06 for every indicator the unit kind reports that has no row. The finding sits at the row
/// whose unknown code was probably meant for it, else on the first data sheet with the row it
/// should follow in the template's order.
fn check_missing(
    sub: &Submission,
    schema: &Schema,
    file: &str,
    sheet: &Sheet,
    suggested: &Suggested,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(kind) = sub.cover.unit_kind.as_deref().and_then(UnitKind::parse) else {
        return;
    };
    let mut previous: Option<&str> = None;
    for ind in &schema.indicators {
        if sub.values.contains_key(&ind.code) {
            previous = Some(&ind.code);
            continue;
        }
        if !ind.reported_by(kind) {
            continue;
        }
        let base = format!(
            "统计表缺少指标 {}（{}）的行，{}应填报此项",
            ind.code,
            ind.name,
            kind.label()
        );
        let (location, message) = match suggested.get(&ind.code) {
            Some((sheet_name, pos, written)) => (
                Location::cell(file, sheet_name, *pos),
                format!(
                    "{base}；本行代码“{written}”可能是其误写，请改为 {}",
                    ind.code
                ),
            ),
            None => {
                let hint = previous
                    .and_then(|p| sub.values.get(p).map(|v| (p, v)))
                    .map(|(p, v)| {
                        format!(
                            "；按模板应位于 {p} 所在第 {} 行（{}!{}）之后",
                            v.pos.row + 1,
                            v.sheet,
                            v.pos.a1()
                        )
                    })
                    .unwrap_or_default();
                (
                    Location {
                        file: file.to_owned(),
                        sheet: Some(sheet.name.clone()),
                        cell: None,
                    },
                    format!("{base}{hint}"),
                )
            }
        };
        diags.push(
            Diagnostic::new(Code::S06, Severity::Error, location, message)
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
        for code in ["ZF06B", "RZF01", "ZF6", "Z06", "GF2024A"] {
            assert!(looks_like_code(code), "{code}");
        }
        for other in [
            "一、", "ZF", "06", "1ZF06", "ZF06-1", "GF20240A", "合计", "ZF06Б",
        ] {
            assert!(!looks_like_code(other), "{other}");
        }
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
