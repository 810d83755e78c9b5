//! Loading a workbook into sparse sheets of raw cells. This is the only file that touches
//! calamine's reader types; everything after works on [`Sheet`] and [`Raw`].
//!
//! xlsx sheets are streamed cell by cell (`worksheet_cells_reader`), so a sheet whose cells sit
//! far apart never materialises a huge dense range. The bounds of [`Limits`] apply to the cells
//! that hold something: the declared `<dimension>` is ignored (writers declare A1:XFD1048576 for
//! sheets of 80 rows) and so are empty styled cells wherever they sit. The data sheets of an
//! xlsx then get one more pass ([`super::sheetxml`]) for hidden rows and number formats.
//! xls and ods are read with `worksheet_range`, which builds a dense grid over the cells' bounding
//! box; xls is checked by [`super::biff`] before calamine sees it (calamine reserves memory from
//! the declared DIMENSIONS record), ods repeat counts are capped by calamine.
//! Positions are stored absolute and 0-based.

use calamine::{Data, DataRef, Ods, Range, Reader, SheetType, SheetVisible, Xls, Xlsx};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use super::locate::{is_data_sheet, is_ignorable, needs_loading};
use super::sheetxml::{self, NumFmt};
use super::sniff::{encrypted, Archive, Format, Limits, Rejection};
use crate::codes::Code;

/// A raw cell value, before normalisation.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    Empty,
    /// Int and Float alike.
    Number(f64),
    Text(String),
    Bool(bool),
    /// A date-formatted cell: the date when it converts, else `None`.
    Date(Option<chrono::NaiveDate>),
    /// An Excel error value, e.g. `#DIV/0!`.
    Error(String),
}

/// A cell: its value (the cached one for formulas) and its formula text, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub raw: Raw,
    pub formula: Option<String>,
}

/// One worksheet as sparse cells keyed by absolute (row, col).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub hidden: bool,
    pub cells: BTreeMap<(u32, u16), Cell>,
    /// Hidden rows that hold cells (xlsx data sheets, when `facts_read`; else ask [`Facts`]).
    pub hidden_rows: BTreeSet<u32>,
    /// Whether `hidden_rows` and `formats` were read.
    pub facts_read: bool,
    /// Cells with a percent, date or text number format (xlsx data sheets only).
    pub formats: BTreeMap<(u32, u16), NumFmt>,
    /// The number stored in each date cell of an xlsx (what the unit typed, shown as a date).
    pub date_serials: BTreeMap<(u32, u16), f64>,
}

impl Sheet {
    pub fn get(&self, row: u32, col: u16) -> Option<&Cell> {
        self.cells.get(&(row, col))
    }

    /// The cells of one row, left to right.
    pub fn row(&self, row: u32) -> impl Iterator<Item = (u16, &Cell)> {
        self.cells
            .range((row, 0)..=(row, u16::MAX))
            .map(|((_, c), cell)| (*c, cell))
    }

    /// The distinct rows that hold cells, top to bottom.
    pub fn rows(&self) -> Vec<u32> {
        let mut rows: Vec<u32> = self.cells.keys().map(|(r, _)| *r).collect();
        rows.dedup();
        rows
    }

    /// The trimmed text of a cell (numbers rendered), empty when blank.
    pub fn text(&self, row: u32, col: u16) -> String {
        self.get(row, col).map(|c| c.raw.text()).unwrap_or_default()
    }
}

impl Raw {
    /// A display/text form: strings trimmed (of invisible characters too), numbers without a
    /// needless `.0`.
    pub fn text(&self) -> String {
        match self {
            Raw::Empty => String::new(),
            Raw::Number(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{}", *v as i64),
            Raw::Number(v) => v.to_string(),
            Raw::Text(s) => s.trim_matches(is_ignorable).to_owned(),
            Raw::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
            Raw::Date(Some(d)) => d.format("%Y-%m-%d").to_string(),
            Raw::Date(None) => String::new(),
            Raw::Error(e) => e.clone(),
        }
    }
}

/// Opens `bytes` with the reader for `format` and loads every worksheet a reader needs.
/// `zip` is the archive sniffing opened (xlsx/ods).
pub fn load<'a>(
    bytes: &'a [u8],
    format: Format,
    zip: Option<Archive<'a>>,
    limits: &Limits,
) -> Result<(Vec<Sheet>, Option<Facts<'a>>), Rejection> {
    match format {
        Format::Xlsx => load_xlsx(bytes, zip, limits),
        Format::Xls => {
            let guarded = super::biff::guard(bytes, limits)?;
            let wb: Xls<_> = calamine::open_workbook_from_rs(Cursor::new(guarded.as_ref()))
                .map_err(|e| match e {
                    calamine::XlsError::Password => encrypted(),
                    other => corrupt(&other),
                })?;
            Ok((load_dense(wb, limits)?, None))
        }
        Format::Ods => {
            let wb: Ods<_> =
                calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| match e {
                    calamine::OdsError::Password => encrypted(),
                    other => corrupt(&other),
                })?;
            Ok((load_dense(wb, limits)?, None))
        }
    }
}

fn corrupt(e: &dyn std::fmt::Display) -> Rejection {
    Rejection::new(Code::S01, format!("工作簿内容已损坏，无法读取（{e}）"))
}

fn too_large(sheet: &str, what: String) -> Rejection {
    Rejection::new(
        Code::S09,
        format!("工作表“{sheet}”{what}，超过读取上限，拒绝读取"),
    )
}

/// The worksheets (not chart or macro sheets) with their hidden flag.
/// Worksheets whose content no reader needs ([`needs_loading`]) are left out.
fn worksheet_names<'a, R: Reader<Cursor<&'a [u8]>>>(wb: &R) -> Vec<(String, bool)> {
    let sheets: Vec<(String, bool)> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible != SheetVisible::Visible))
        .collect();
    let names: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
    sheets
        .into_iter()
        .filter(|(n, _)| needs_loading(n, &names))
        .collect()
}

/// Most sheets a workbook may have (Excel's practical limit; the template has three). Each sheet
/// is parsed on its own, so ten thousand `<sheet>` entries pointing at one part cost minutes.
pub const MAX_SHEETS: usize = 255;

/// The sheet list of `xl/workbook.xml` checked before calamine parses anything of a sheet: at
/// most [`MAX_SHEETS`] sheets, no two pointing at the same part. Returns sheet name → part.
fn check_sheet_list(zip: &mut Archive<'_>) -> Result<BTreeMap<String, String>, Rejection> {
    let list = sheetxml::sheet_list(zip).unwrap_or_default();
    if list.len() > MAX_SHEETS {
        return Err(too_many_sheets(list.len()));
    }
    let mut parts: BTreeMap<String, String> = BTreeMap::new();
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for (name, part) in &list {
        let Some(part) = part else { continue };
        if let Some(first) = owner.insert(part.to_ascii_lowercase(), name) {
            return Err(Rejection::new(
                Code::S09,
                format!("工作表“{first}”和“{name}”指向同一个部件 {part}，文件结构异常，拒绝读取"),
            ));
        }
        parts.insert(name.clone(), part.clone());
    }
    Ok(parts)
}

fn too_many_sheets(n: usize) -> Rejection {
    Rejection::new(
        Code::S09,
        format!("工作簿有 {n} 个工作表，超过上限 {MAX_SHEETS} 个，文件结构异常，拒绝读取"),
    )
}

/// Refuses the sheet `name` (zip part `part`) when a cell reference in it does not fit in 32
/// bits ([`sheetxml::oversized_reference`]), before calamine parses it. The part's size is
/// bounded by the zip checks of [`super::sniff`]. Returns the sheet's XML for the facts pass
/// ([`Facts`]), which then need not inflate it again.
fn check_references(
    zip: &mut Archive<'_>,
    name: &str,
    part: &str,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, Rejection> {
    let Some(xml) = sheetxml::read_part(zip, part, limits.max_unzipped_bytes) else {
        return Ok(None);
    };
    if !sheetxml::may_hold_oversized_reference(&xml) {
        return Ok(Some(xml));
    }
    match sheetxml::oversized_reference(&xml) {
        Some(r) => Err(Rejection::new(
            Code::S09,
            format!(
                "工作表“{name}”中的单元格引用“{r}”超出工作表范围（行号或列号过大），\
                 文件结构异常，拒绝读取"
            ),
        )),
        None => Ok(Some(xml)),
    }
}

fn load_xlsx<'a>(
    bytes: &'a [u8],
    mut zip: Option<Archive<'a>>,
    limits: &Limits,
) -> Result<(Vec<Sheet>, Option<Facts<'a>>), Rejection> {
    let parts = match zip.as_mut() {
        Some(z) => Some(check_sheet_list(z)?),
        None => None,
    };
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| match e {
            calamine::XlsxError::Password => encrypted(),
            other => corrupt(&other),
        })?;
    // The same bound on calamine's own reading of the list, should it differ from ours.
    if wb.sheets_metadata().len() > MAX_SHEETS {
        return Err(too_many_sheets(wb.sheets_metadata().len()));
    }
    let mut sheets = Vec::new();
    let mut total = 0usize;
    // Classified style palette, taken from calamine once per workbook.
    let mut palette: Option<Vec<Option<NumFmt>>> = None;
    // Each sheet's XML as the reference check read it, kept for the facts pass.
    let mut xml: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (name, hidden) in worksheet_names(&wb) {
        let mut sheet = Sheet {
            name: name.clone(),
            hidden,
            ..Sheet::default()
        };
        if let (Some(z), Some(part)) = (zip.as_mut(), parts.as_ref().and_then(|p| p.get(&name))) {
            if let Some(read) = check_references(z, &name, part, limits)? {
                xml.insert(name.clone(), read);
            }
        }
        let mut reader = wb.worksheet_cells_reader(&name).map_err(|e| corrupt(&e))?;
        if palette.is_none() {
            palette = Some(
                reader
                    .styles()
                    .iter()
                    .map(|s| {
                        s.number_format
                            .as_ref()
                            .and_then(|f| sheetxml::classify(f.format_id, &f.format_code))
                    })
                    .collect(),
            );
        }
        while let Some(c) = reader.next_cell_with_formula().map_err(|e| corrupt(&e))? {
            let (row, col) = c.pos;
            let serial = match &c.value {
                DataRef::DateTime(dt) => Some(dt.as_f64()),
                _ => None,
            };
            let raw = from_ref(c.value);
            let formula = c.formula.filter(|f| !f.trim().is_empty());
            // Empty cells (styled, or left by a deleted value) are skipped wherever they sit:
            // the bounds apply to cells that hold something.
            if raw == Raw::Empty && formula.is_none() {
                continue;
            }
            check_pos(&name, row, col, limits)?;
            total += 1;
            if total > limits.max_cells {
                return Err(too_large(
                    &name,
                    format!("单元格超过 {} 个", limits.max_cells),
                ));
            }
            if let Some(v) = serial {
                sheet.date_serials.insert((row, col as u16), v);
            }
            sheet.cells.insert((row, col as u16), Cell { raw, formula });
        }
        sheets.push(sheet);
    }
    let facts = zip.map(|zip| {
        let mut facts = Facts {
            zip,
            xml,
            palette: palette.unwrap_or_default(),
            parts,
        };
        facts.read_formats(&mut sheets);
        facts
    });
    Ok((sheets, facts))
}

/// Reads [`sheetxml`] facts of an xlsx's sheets. Number formats are read up front, and only
/// when some style of the workbook is a percent/date/text format; hidden rows are read when a
/// code repeats (they only decide which of its rows is used), through [`Facts::hidden_rows`].
/// The pass re-inflates and re-scans the largest part of the file (+27 % instructions for
/// `check` when it runs on every workbook, callgrind at 300 files), so it runs only when it can
/// matter; on workbooks from our template it does not run (+1 % overall, for the rest of the
/// checks of this module).
pub struct Facts<'a> {
    zip: Archive<'a>,
    /// Sheet name → its XML, when the reference check already inflated it.
    xml: BTreeMap<String, Vec<u8>>,
    palette: Vec<Option<NumFmt>>,
    parts: Option<BTreeMap<String, String>>,
}

impl Facts<'_> {
    fn scan(&mut self, sheet: &Sheet) -> Option<sheetxml::SheetFacts> {
        let cells = &sheet.cells;
        let kept = |r, c| cells.contains_key(&(r, c));
        let row_kept = |r| cells.range((r, 0)..=(r, u16::MAX)).next().is_some();
        if let Some(xml) = self.xml.get(&sheet.name) {
            return sheetxml::scan_read(xml, &self.palette, kept, row_kept);
        }
        let zip = &mut self.zip;
        let parts = self
            .parts
            .get_or_insert_with(|| sheetxml::sheet_parts(zip).unwrap_or_default());
        let part = parts.get(&sheet.name)?;
        sheetxml::scan(zip, part, &self.palette, kept, row_kept)
    }

    /// The hidden rows of `sheet` that hold cells. Facts that cannot be read are left out; the
    /// values calamine read stand either way.
    pub fn hidden_rows(&mut self, sheet: &Sheet) -> BTreeSet<u32> {
        if sheet.facts_read {
            return sheet.hidden_rows.clone();
        }
        self.scan(sheet).map(|f| f.hidden_rows).unwrap_or_default()
    }

    fn read_formats(&mut self, sheets: &mut [Sheet]) {
        if self.palette.iter().all(Option::is_none) {
            return;
        }
        for sheet in sheets.iter_mut().filter(|s| is_data_sheet(s)) {
            if let Some(f) = self.scan(sheet) {
                sheet.hidden_rows = f.hidden_rows;
                sheet.formats = f.formats;
                sheet.facts_read = true;
            }
        }
    }
}

fn check_pos(sheet: &str, row: u32, col: u32, limits: &Limits) -> Result<(), Rejection> {
    if row >= limits.max_rows || col >= limits.max_cols || col > u16::MAX as u32 {
        return Err(too_large(
            sheet,
            format!("有内容的单元格位于第 {} 行第 {} 列", row + 1, col + 1),
        ));
    }
    Ok(())
}

fn load_dense<'a, R>(mut wb: R, limits: &Limits) -> Result<Vec<Sheet>, Rejection>
where
    R: Reader<Cursor<&'a [u8]>>,
    R::Error: std::fmt::Display,
{
    let mut sheets = Vec::new();
    for (name, hidden) in worksheet_names(&wb) {
        let range = wb.worksheet_range(&name).map_err(|e| corrupt(&e))?;
        // A sheet whose formulas cannot be read still has its values; the missing formula text
        // only weakens the "no cached value" check.
        let formulas = wb.worksheet_formula(&name).unwrap_or_default();
        let mut sheet = Sheet {
            name: name.clone(),
            hidden,
            ..Sheet::default()
        };
        fill_dense(&mut sheet, &range, &formulas, limits)?;
        sheets.push(sheet);
    }
    Ok(sheets)
}

fn fill_dense(
    sheet: &mut Sheet,
    range: &Range<Data>,
    formulas: &Range<String>,
    limits: &Limits,
) -> Result<(), Rejection> {
    if let Some((r, c)) = range.end() {
        check_pos(&sheet.name, r, c, limits)?;
    }
    for (row, col, v) in absolute_cells(range) {
        let raw = from_data(v);
        if raw != Raw::Empty {
            sheet
                .cells
                .insert((row, col as u16), Cell { raw, formula: None });
        }
    }
    for (row, col, f) in absolute_cells(formulas) {
        if f.trim().is_empty() || check_pos(&sheet.name, row, col, limits).is_err() {
            continue;
        }
        sheet
            .cells
            .entry((row, col as u16))
            .or_insert(Cell {
                raw: Raw::Empty,
                formula: None,
            })
            .formula = Some(f.clone());
    }
    if sheet.cells.len() > limits.max_cells {
        return Err(too_large(
            &sheet.name,
            format!("单元格超过 {} 个", limits.max_cells),
        ));
    }
    Ok(())
}

/// `used_cells` yields positions relative to `range.start()`; this makes them absolute.
fn absolute_cells<T: calamine::CellType>(range: &Range<T>) -> impl Iterator<Item = (u32, u32, &T)> {
    let (r0, c0) = range.start().unwrap_or((0, 0));
    range
        .used_cells()
        .map(move |(r, c, v)| (r0 + r as u32, c0 + c as u32, v))
}

fn from_data(v: &Data) -> Raw {
    match v {
        Data::Int(i) => Raw::Number(*i as f64),
        Data::Float(f) => Raw::Number(*f),
        Data::String(s) => Raw::Text(s.clone()),
        Data::Bool(b) => Raw::Bool(*b),
        Data::DateTime(dt) => Raw::Date(dt.as_datetime().map(|d| d.date())),
        Data::DateTimeIso(s) => Raw::Date(parse_iso_date(s)),
        Data::DurationIso(s) => Raw::Text(s.clone()),
        Data::Error(e) => Raw::Error(e.to_string()),
        Data::Empty => Raw::Empty,
    }
}

fn from_ref(v: DataRef<'_>) -> Raw {
    match v {
        DataRef::Int(i) => Raw::Number(i as f64),
        DataRef::Float(f) => Raw::Number(f),
        DataRef::String(s) => Raw::Text(s),
        DataRef::SharedString(s) => Raw::Text(s.to_owned()),
        DataRef::Bool(b) => Raw::Bool(b),
        DataRef::DateTime(dt) => Raw::Date(dt.as_datetime().map(|d| d.date())),
        DataRef::DateTimeIso(s) => Raw::Date(parse_iso_date(&s)),
        DataRef::DurationIso(s) => Raw::Text(s),
        DataRef::Error(e) => Raw::Error(e.to_string()),
        DataRef::Empty => Raw::Empty,
    }
}

fn parse_iso_date(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}
