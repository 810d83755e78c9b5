//! The history file: accepted long-form data (year, unit, indicator, value, origin) written by
//! every run, so next year's run needs only that file as `--prior`.
//!
//! Format (chosen so county staff can open it in Excel/WPS and so it needs no parquet stack):
//! CSV, UTF-8 with a BOM, comma-separated, one header row
//!
//! ```text
//! 年度,单位代码,单位类型,指标代码,数值,来源,指标体系
//! 2024,411321-T01,township,FY08,3,大同镇.xlsx!复议应诉!C5,fazhi-2024
//! ```
//!
//! - `单位类型` is the stable registry key (`township`, `department`, `county_office`,
//!   `external`); the reader also accepts the Chinese labels.
//! - `数值` is printed exactly: whole numbers without `.0`, amounts with at most 2 decimals, any
//!   other value (weighted predecessor shares) as the shortest text that reads back identically.
//! - Rows are sorted by (year, unit, indicator); one file holds any number of years, and
//!   [`merge`] replaces the years a new run produced.
//! - `指标体系` is the id of the schema edition the row's indicator code belongs to (one edition
//!   per year): a year read under last year's edition keeps its codes and that edition, and next
//!   year's run maps them (docs/schema-format.md §版本与上年对应). Files written before this
//!   column existed have six columns; their rows are in the edition of the schema in force.
//! - The reader also accepts the ASCII header `year,unit,kind,indicator,value,origin[,edition]`.

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Interner, Record};
use crate::registry::UnitKind;
use crate::Result;

/// The header written by [`write`].
pub const HEADER: [&str; 7] = [
    "年度",
    "单位代码",
    "单位类型",
    "指标代码",
    "数值",
    "来源",
    "指标体系",
];
/// The ASCII header [`read`] also accepts.
pub const HEADER_ASCII: [&str; 7] = [
    "year",
    "unit",
    "kind",
    "indicator",
    "value",
    "origin",
    "edition",
];

/// The schema edition (its id) of each year's rows; a year not listed is in `default`'s.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Editions {
    pub by_year: BTreeMap<i32, String>,
    /// The edition of years not listed: the schema in force.
    pub default: String,
}

impl Editions {
    /// Every year in `default`.
    pub fn of(default: &str) -> Self {
        Editions {
            by_year: BTreeMap::new(),
            default: default.to_string(),
        }
    }

    /// The edition of `year`'s rows.
    pub fn get(&self, year: i32) -> &str {
        self.by_year.get(&year).unwrap_or(&self.default)
    }
}

const BOM: &str = "\u{feff}";

/// Reads a history file written by [`write`].
pub fn read(path: &Path) -> Result<Vec<Record>> {
    read_editions(path).map(|(records, _)| records)
}

/// Reads a history file with the edition of each year that names one.
pub fn read_editions(path: &Path) -> Result<(Vec<Record>, BTreeMap<i32, String>)> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_editions(&text)
        .map_err(|m| crate::Error::Other(format!("历史数据文件 {}：{m}", path.display())))
}

/// Parses history text; errors name the 1-based line.
pub fn parse(text: &str) -> std::result::Result<Vec<Record>, String> {
    parse_editions(text).map(|(records, _)| records)
}

/// [`parse`] with the edition of each year whose rows name one. A year whose rows name two
/// editions is refused: its codes could not be read under one.
pub fn parse_editions(
    text: &str,
) -> std::result::Result<(Vec<Record>, BTreeMap<i32, String>), String> {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("第 1 行：无法读取表头（{e}）"))?;
    let fields: Vec<&str> = header.iter().map(str::trim).collect();
    let columns = if fields == HEADER || fields == HEADER_ASCII {
        HEADER.len()
    } else if fields == HEADER[..6] || fields == HEADER_ASCII[..6] {
        6
    } else {
        return Err(format!(
            "第 1 行：表头应为“{}”，实际为“{}”",
            HEADER.join(","),
            fields.join(",")
        ));
    };
    let mut out = Vec::new();
    let mut editions: BTreeMap<i32, (String, u64)> = BTreeMap::new();
    let mut codes = Interner::default();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("第 {line} 行：无法读取（{e}）")
        })?;
        let line = row.position().map_or(0, |p| p.line());
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let record =
            parse_row(&row, columns, &mut codes).map_err(|m| format!("第 {line} 行：{m}"))?;
        let edition = row.get(6).map(str::trim).unwrap_or_default();
        if !edition.is_empty() {
            match editions.get(&record.year) {
                Some((known, first)) if known != edition => {
                    return Err(format!(
                        "第 {line} 行：{} 年的数据同时有指标体系“{known}”（第 {first} 行起）和“{edition}”，\
                         同一年度只能是一个版本",
                        record.year
                    ));
                }
                Some(_) => {}
                None => {
                    editions.insert(record.year, (edition.to_string(), line));
                }
            }
        }
        out.push(record);
    }
    let editions = editions.into_iter().map(|(y, (e, _))| (y, e)).collect();
    Ok((out, editions))
}

fn parse_row(
    row: &csv::StringRecord,
    columns: usize,
    codes: &mut Interner,
) -> std::result::Result<Record, String> {
    if row.len() != columns {
        return Err(format!("应有 {columns} 列，实际 {} 列", row.len()));
    }
    let field = |i: usize| row.get(i).map(str::trim).unwrap_or_default();
    let year = field(0)
        .parse::<i32>()
        .map_err(|_| format!("年度“{}”不是整数", field(0)))?;
    let unit = field(1);
    if unit.is_empty() {
        return Err("单位代码为空".to_string());
    }
    let kind =
        UnitKind::parse(field(2)).ok_or_else(|| format!("单位类型“{}”无法识别", field(2)))?;
    let indicator = field(3);
    if indicator.is_empty() {
        return Err("指标代码为空".to_string());
    }
    let value = field(4)
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("数值“{}”不是数字", field(4)))?;
    Ok(Record {
        year,
        unit: codes.get(unit),
        kind,
        indicator: codes.get(indicator),
        value,
        // Origins are kept verbatim (a path may end in spaces only in theory; do not trim).
        origin: row.get(5).unwrap_or_default().into(),
    })
}

/// Writes records (sorted) to `path` atomically, each year in its edition.
pub fn write(path: &Path, records: &[Record], editions: &Editions) -> Result<()> {
    crate::io::write_atomic_with(path, |w| write_csv(w, records.iter(), editions))
}

/// Writes the merge of `old` and `new` (see [`merge`]) to `path`, streaming, without copying
/// the records: at province scale they are two million rows. Each year's rows name the
/// edition `editions` gives it (the years of `new` are the schema in force).
pub fn write_merged(
    path: &Path,
    old: &[Record],
    new: &[Record],
    editions: &Editions,
) -> Result<()> {
    let years: BTreeSet<i32> = new.iter().map(|r| r.year).collect();
    let rows = old.iter().filter(|r| !years.contains(&r.year)).chain(new);
    crate::io::write_atomic_with(path, |w| write_csv(w, rows, editions))
}

/// The file text for `records`: BOM, header, rows sorted by (year, unit, indicator).
fn write_csv<'a>(
    out: &mut dyn std::io::Write,
    records: impl Iterator<Item = &'a Record>,
    editions: &Editions,
) -> std::io::Result<()> {
    let mut sorted: Vec<&Record> = records.collect();
    sorted.par_sort_unstable_by(|a, b| order(a, b));
    out.write_all(BOM.as_bytes())?;
    let mut header = csv::Writer::from_writer(Vec::new());
    header.write_record(HEADER)?;
    out.write_all(&header.into_inner().map_err(|e| e.into_error())?)?;
    // Rows are formatted in parallel, a block of chunks at a time (bounded memory), and written
    // in order: formatting two million rows on one thread was the longest job of its phase.
    const CHUNK: usize = 16 * 1024;
    for block in sorted.chunks(CHUNK * 2 * rayon::current_num_threads()) {
        let texts: Vec<std::io::Result<Vec<u8>>> = block
            .par_chunks(CHUNK)
            .map(|rows| rows_csv(rows, editions))
            .collect();
        for text in texts {
            out.write_all(&text?)?;
        }
    }
    Ok(())
}

/// CSV text of consecutive rows.
fn rows_csv(rows: &[&Record], editions: &Editions) -> std::io::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 64));
    let mut value = String::new();
    let mut year = String::new();
    for r in rows {
        if !r.value.is_finite() {
            return Err(std::io::Error::other(format!(
                "{} 的 {} 数值无效（{}）",
                r.unit, r.indicator, r.value
            )));
        }
        value.clear();
        push_value(&mut value, r.value);
        year.clear();
        push_value(&mut year, f64::from(r.year));
        let row = [
            year.as_str(),
            &*r.unit,
            r.kind.key(),
            &*r.indicator,
            value.as_str(),
            &*r.origin,
            editions.get(r.year),
        ];
        writer.write_record(row)?;
    }
    writer.into_inner().map_err(|e| e.into_error())
}

fn sort_key(r: &Record) -> (i32, &str, &str, &str) {
    (r.year, &r.unit, &r.indicator, &r.origin)
}

/// The file order; the value breaks the last ties so the order is total and an unstable
/// (parallel) sort gives the same bytes every time.
pub(crate) fn order(a: &Record, b: &Record) -> std::cmp::Ordering {
    sort_key(a)
        .cmp(&sort_key(b))
        .then(a.kind.cmp(&b.kind))
        .then(a.value.total_cmp(&b.value))
}

/// Prints a value exactly: `12`, `7610.5`, `0.35`; values that are not whole or 2-decimal (up to
/// binary noise from summing amounts) print as the shortest text that parses back identically.
pub fn format_value(v: f64) -> String {
    let mut s = String::new();
    push_value(&mut s, v);
    s
}

/// [`format_value`] into a buffer. Whole numbers, nearly every value, take a fast path: the
/// general one formats with two decimals, which was a visible share of writing two million rows.
fn push_value(out: &mut String, v: f64) {
    use std::fmt::Write;
    if v.fract() == 0.0 && v.abs() < 1e15 {
        // `as i64` also turns -0.0 into 0.
        let _ = write!(out, "{}", v as i64);
        return;
    }
    out.push_str(&format_general(v));
}

fn format_general(v: f64) -> String {
    let cents = (v * 100.0).round() / 100.0;
    let close = (v - cents).abs() <= 1e-9 * v.abs().max(1.0);
    if !close {
        return format!("{v}");
    }
    if cents == 0.0 {
        // Avoid "-0".
        return "0".to_string();
    }
    let text = format!("{cents:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Merges a new run into an existing history: rows of the years present in `new` are replaced,
/// other years are kept. The result is sorted like the file.
pub fn merge(old: Vec<Record>, new: Vec<Record>) -> Vec<Record> {
    let years: BTreeSet<i32> = new.iter().map(|r| r.year).collect();
    let mut out: Vec<Record> = old
        .into_iter()
        .filter(|r| !years.contains(&r.year))
        .chain(new)
        .collect();
    out.sort_by(order);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_exactly() {
        assert_eq!(format_value(70.0), "70");
        assert_eq!(format_value(0.0), "0");
        assert_eq!(format_value(-0.0), "0");
        assert_eq!(format_value(7610.5), "7610.5");
        assert_eq!(format_value(0.1 + 0.2), "0.3");
        assert_eq!(format_value(12.34), "12.34");
        assert_eq!(format_value(-8.0), "-8");
        assert_eq!(format_value(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(format_value(1e15), "1000000000000000");
    }
}
