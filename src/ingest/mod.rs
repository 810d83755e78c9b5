//! Reading returned workbooks. One file in, one [`FileOutcome`] out: the [`Submission`] (when the
//! file could be read as one) plus every finding about the file. Nothing here panics on bad
//! input; a file that cannot be read is a finding, not an error.
//!
//! calamine types stay inside this module.
//!
//! Steps for one file: size cap and SHA-256 ([`read_file`]), format by magic bytes and zip
//! bounds ([`sniff`]), xls record bounds (`biff`), sparse cells with per-sheet bounds ([`grid`]),
//! hidden rows and number formats of xlsx data sheets ([`sheetxml`]), cover and indicator rows
//! by label ([`locate`]), value normalisation ([`value`]). The finding codes are in [`codes`].
//! A panic anywhere inside is caught and becomes a finding.

mod biff;
pub mod codes;
mod collect;
pub mod grid;
pub mod locate;
pub mod sheetxml;
pub mod sniff;
pub mod value;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Location, Pos, Severity};
use crate::schema::Schema;
use sniff::{Limits, Rejection};

/// A normalised cell value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// A number (counts and amounts; 是/否 are stored as 1/0).
    Number(f64),
    /// Left blank: not filled, distinct from 0.
    Blank,
    /// 不适用.
    NotApplicable,
}

impl Value {
    pub fn number(self) -> Option<f64> {
        match self {
            Value::Number(v) => Some(v),
            _ => None,
        }
    }
}

/// One indicator value with its origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellValue {
    pub value: Value,
    /// Sheet and cell it was read from.
    pub sheet: String,
    pub pos: Pos,
    /// The value was approximate ("5000余", "约20") and taken as its number.
    pub approximate: bool,
    /// The 上年数 the template showed next to it, if any.
    pub prior_shown: Option<f64>,
}

/// The cover sheet as read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Cover {
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub unit_kind: Option<String>,
    pub year: Option<i32>,
    pub cutoff_date: Option<String>,
    pub filler: Option<String>,
    pub phone: Option<String>,
    pub head: Option<String>,
    pub template_version: Option<String>,
    /// Cell of each cover field that was found, by label.
    pub cells: BTreeMap<String, (String, Pos)>,
}

/// A submission read from one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub cover: Cover,
    /// Indicator code → value, for every indicator row found.
    pub values: BTreeMap<String, CellValue>,
    /// Indicator code → the unit's 说明 text (non-empty only).
    pub notes: BTreeMap<String, String>,
}

impl Submission {
    /// The number for `code`, if present and filled.
    pub fn number(&self, code: &str) -> Option<f64> {
        self.values.get(code).and_then(|c| c.value.number())
    }
}

/// Everything known about one input file after reading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileOutcome {
    pub path: PathBuf,
    /// The path as shown to the user (relative to the input they named).
    pub display: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    pub size: u64,
    pub submission: Option<Submission>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads one file. Never panics; unreadable files come back with `submission: None` and a finding
/// naming the reason.
pub fn read_file(path: &Path, display: &str, schema: &Schema) -> FileOutcome {
    read_file_with_limits(path, display, schema, &Limits::default())
}

/// [`read_file`] with explicit resource bounds.
pub fn read_file_with_limits(
    path: &Path,
    display: &str,
    schema: &Schema,
    limits: &Limits,
) -> FileOutcome {
    let mut outcome = FileOutcome {
        path: path.to_path_buf(),
        display: display.to_owned(),
        sha256: String::new(),
        size: 0,
        submission: None,
        diagnostics: Vec::new(),
    };
    let bytes = match read_capped(path, limits, &mut outcome) {
        Ok(Some(b)) => b,
        Ok(None) => return outcome,
        Err(e) => {
            outcome.diagnostics.push(rejection_finding(
                display,
                Rejection::new("S01", format!("无法打开文件（{e}）")),
            ));
            return outcome;
        }
    };
    let (submission, diagnostics) = read_bytes_with_limits(bytes, display, schema, limits);
    outcome.submission = submission;
    outcome.diagnostics = diagnostics;
    outcome
}

/// Hashes the file and returns its bytes, or `None` (with an S09 finding) when it is over the
/// size cap; the hash is computed either way so duplicate detection still works.
fn read_capped(
    path: &Path,
    limits: &Limits,
    outcome: &mut FileOutcome,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size: u64 = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        size += n as u64;
        if size <= limits.max_file_bytes {
            bytes.extend_from_slice(chunk);
        }
    }
    outcome.sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    outcome.size = size;
    if size > limits.max_file_bytes {
        let r = sniff::too_big_file(size, limits);
        outcome
            .diagnostics
            .push(rejection_finding(&outcome.display, r));
        return Ok(None);
    }
    Ok(Some(bytes))
}

/// Reads a workbook from memory (the core of [`read_file`]). Never panics.
pub fn read_bytes(
    bytes: Vec<u8>,
    display: &str,
    schema: &Schema,
) -> (Option<Submission>, Vec<Diagnostic>) {
    read_bytes_with_limits(bytes, display, schema, &Limits::default())
}

fn read_bytes_with_limits(
    bytes: Vec<u8>,
    display: &str,
    schema: &Schema,
    limits: &Limits,
) -> (Option<Submission>, Vec<Diagnostic>) {
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (format, zip) = sniff::sniff_archive(&bytes, limits)?;
        let (sheets, mut facts) = grid::load(&bytes, format, zip, limits)?;
        let mut hidden_rows = |sheet: &grid::Sheet| match facts.as_mut() {
            Some(f) => f.hidden_rows(sheet),
            None => Default::default(),
        };
        Ok::<_, Rejection>(locate::read_submission(
            &sheets,
            schema,
            display,
            &mut hidden_rows,
        ))
    }));
    let (submission, mut diags) = match caught {
        Ok(Ok((sub, diags))) => (Some(sub), diags),
        Ok(Err(r)) => (None, vec![rejection_finding(display, r)]),
        Err(_) => (
            None,
            vec![rejection_finding(
                display,
                Rejection::new(
                    "S01",
                    "读取时发生内部错误，请用 Excel 打开后另存为 .xlsx 重新报送",
                ),
            )],
        ),
    };
    if let Some(unit) = submission
        .as_ref()
        .and_then(|s| s.cover.unit_code.clone())
        .filter(|u| !u.is_empty())
    {
        for d in &mut diags {
            d.unit = Some(unit.clone());
        }
    }
    crate::diagnostic::sort(&mut diags);
    (submission, diags)
}

fn rejection_finding(display: &str, r: Rejection) -> Diagnostic {
    let severity = codes::builtin(r.code)
        .map(|c| c.severity)
        .unwrap_or(Severity::Error);
    Diagnostic::new(r.code, severity, Location::file(display), r.message)
}

/// Lists the input files under the given paths (files are taken as given; folders are walked
/// recursively), sorted by display name. Every file in a folder is an input except lock files
/// (`~$x.xlsx`), hidden files and OS clutter; non-workbooks are rejected later by sniffing with a
/// clear finding rather than skipped silently. A path that does not exist is an error.
pub fn collect_inputs(paths: &[PathBuf]) -> crate::Result<Vec<(PathBuf, String)>> {
    collect::collect(paths)
}
