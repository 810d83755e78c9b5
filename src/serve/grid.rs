//! A unit's data sheet drawn as an HTML grid: the adopted file read again (it is in the inbox,
//! under the path the run recorded), the cells the findings point at marked. Bounded: a file
//! above the reader's size limit is not drawn, and at most [`MAX_ROWS`] × [`MAX_COLS`] cells are.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader};
use serde::Serialize;

use crate::diagnostic::Severity;
use crate::ingest::sniff::Limits;
use crate::sheets::DATA_SHEET;

pub const MAX_ROWS: usize = 300;
pub const MAX_COLS: usize = 12;

/// One cell as drawn.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub text: String,
    /// `error`, `warning`, `info` or empty.
    pub mark: &'static str,
    /// The findings at the cell, for its tooltip.
    pub note: String,
    /// `D33`: the anchor the findings table links to.
    pub a1: String,
}

/// The sheet as drawn: column letters, then rows of (row number, cells).
#[derive(Debug, Clone, Serialize)]
pub struct Grid {
    pub sheet: String,
    pub columns: Vec<String>,
    pub rows: Vec<(u32, Vec<Cell>)>,
    pub cut: bool,
}

/// Marks by (row, col), 0-based: the worst severity and the messages.
pub type Marks = BTreeMap<(u32, u32), (Severity, Vec<String>)>;

/// Reads `path` and draws its data sheet (统计表, else the first sheet) with `marks`; `None`
/// when the file cannot be read.
pub fn draw(path: &std::path::Path, marks: &Marks) -> Option<Grid> {
    let size = std::fs::metadata(path).ok()?.len();
    if size > Limits::default().max_file_bytes {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).ok()?;
    let names = wb.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.as_str() == DATA_SHEET)
        .or_else(|| names.first())?
        .clone();
    let range = wb.worksheet_range(&sheet).ok()?;
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let width = (range.width() + c0 as usize).min(MAX_COLS);
    let mut rows = Vec::new();
    let height = range.height() + r0 as usize;
    for r in 0..height.min(MAX_ROWS) {
        let cells = (0..width)
            .map(|c| {
                let text = range
                    .get_value((r as u32, c as u32))
                    .map(show)
                    .unwrap_or_default();
                let (mark, note) = match marks.get(&(r as u32, c as u32)) {
                    Some((s, notes)) => (mark_of(*s), notes.join("；")),
                    None => ("", String::new()),
                };
                let a1 = crate::diagnostic::Pos {
                    row: r as u32,
                    col: c as u16,
                }
                .a1();
                Cell {
                    text,
                    mark,
                    note,
                    a1,
                }
            })
            .collect();
        rows.push((r as u32 + 1, cells));
    }
    Some(Grid {
        sheet,
        columns: (0..width).map(letters).collect(),
        rows,
        cut: height > MAX_ROWS || range.width() + c0 as usize > MAX_COLS,
    })
}

fn mark_of(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn letters(col: usize) -> String {
    crate::diagnostic::Pos {
        row: 0,
        col: col as u16,
    }
    .a1()
    .trim_end_matches('1')
    .to_string()
}

/// A cell's value as the clerk sees it (numbers without a trailing .0).
fn show(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// Adds a finding's mark at a cell (the worse severity wins).
pub fn add_mark(marks: &mut Marks, row: u32, col: u32, severity: Severity, note: String) {
    let e = marks.entry((row, col)).or_insert((severity, Vec::new()));
    if severity < e.0 {
        e.0 = severity;
    }
    e.1.push(note);
}

/// Row and column of an A1 reference (`D12` → (11, 3)).
pub fn parse_a1(a1: &str) -> Option<(u32, u32)> {
    let split = a1.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = a1.split_at(split);
    if letters.is_empty() {
        return None;
    }
    let mut col: u32 = 0;
    for b in letters.bytes() {
        if !b.is_ascii_uppercase() {
            return None;
        }
        col = col.checked_mul(26)?.checked_add((b - b'A' + 1) as u32)?;
    }
    let row: u32 = digits.parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}
