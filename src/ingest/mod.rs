//! Reading returned workbooks. One file in, one [`FileOutcome`] out: the [`Submission`] (when the
//! file could be read as one) plus every finding about the file. Nothing here panics on bad
//! input; a file that cannot be read is a finding, not an error.
//!
//! calamine types stay inside this module.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Pos};
use crate::schema::Schema;

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
pub fn read_file(_path: &Path, _display: &str, _schema: &Schema) -> FileOutcome {
    todo!("ingest")
}

/// Lists the workbook files under the given paths (files are taken as given; folders are walked
/// recursively), sorted, with their display names. Lock files (`~$x.xlsx`) and hidden files are
/// skipped.
pub fn collect_inputs(_paths: &[PathBuf]) -> crate::Result<Vec<(PathBuf, String)>> {
    todo!("collect inputs")
}
