//! Reading returned workbooks. One file in, one [`FileOutcome`] out: the [`Submission`] (when the
//! file could be read as one) plus every finding about the file. Nothing here panics on bad
//! input; a file that cannot be read is a finding, not an error.
//!
//! calamine types stay inside this module.
//!
//! Steps for one file: size cap and SHA-256 ([`read_file`]), format by magic bytes and zip
//! bounds ([`sniff`]), xls record bounds (`biff`), sparse cells with per-sheet bounds ([`grid`]),
//! hidden rows and number formats of xlsx data sheets ([`sheetxml`]), cover and indicator rows
//! by label ([`locate`]), value normalisation ([`value`]), the saved time ([`props`]). The finding codes are in
//! [`crate::codes`]. A panic anywhere inside is our bug, not the unit's: it is caught per file and
//! becomes an X01 finding ("程序内部错误，请报告") carrying the panic text, and the panic hook
//! keeps it off stderr ([`guard`]).

mod biff;
mod collect;
pub mod grid;
mod guard;
pub mod locate;
pub mod props;
pub mod sheetxml;
pub mod sniff;
pub mod value;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location, Pos};
use crate::schema::Schema;
pub use collect::Collected;
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
    /// Rate code → the rate the unit typed itself in a row under a percentage rate's code
    /// (RZF01), in percent ([`value::reported_rate`]). Not an indicator: never aggregated, only
    /// compared with its counts (A04).
    #[serde(default)]
    pub rates: BTreeMap<String, CellValue>,
    /// When the workbook says it was last saved ([`props`]), to order versions of a return.
    #[serde(default)]
    pub saved: Option<props::SavedAt>,
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
    /// Its place among several versions of its unit's return, when there are several
    /// ([`crate::validate::versions`]).
    #[serde(default)]
    pub revision: Option<crate::validate::versions::Revision>,
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
        revision: None,
    };
    let Some(bytes) = read_capped(path, limits, &mut outcome) else {
        return outcome;
    };
    let (submission, diagnostics) = read_bytes_with_limits(bytes, display, schema, limits);
    outcome.submission = submission;
    outcome.diagnostics = diagnostics;
    outcome
}

/// Checks that `path` is a regular file, then reads at most `max_file_bytes + 1` of it and
/// hashes what it read. Returns `None` with the finding in `outcome` when the entry is not a
/// regular file (S12: dangling link, FIFO, device, socket, folder that cannot be listed), cannot
/// be opened (S12) or is over the size cap (S09; its hash is then left empty, since hashing it
/// would mean reading all of it).
///
/// The type is checked on the path before opening, so opening a FIFO never blocks, and again on
/// the opened handle, so an entry swapped for a FIFO or a device in between is caught too (the
/// open is non-blocking on Unix for that case). Every read is bounded: a link to `/dev/zero`
/// or a file that grows while it is read costs at most the cap.
fn read_capped(path: &Path, limits: &Limits, outcome: &mut FileOutcome) -> Option<Vec<u8>> {
    let refuse = |outcome: &mut FileOutcome, why: String| {
        let d = rejection_finding(&outcome.display, Rejection::new(Code::S12, why));
        outcome.diagnostics.push(d);
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            let why = match std::fs::read_link(path) {
                Ok(_) if is_link_loop(&e) => {
                    "这是一个循环链接（最终又指向它自己），无法打开".to_string()
                }
                Ok(target) if e.kind() == std::io::ErrorKind::NotFound => format!(
                    "这是一个链接（快捷方式），它指向的 {} 不存在",
                    target.display()
                ),
                Ok(target) => format!(
                    "这是一个链接，无法打开它指向的 {}：{}",
                    target.display(),
                    io_reason(&e)
                ),
                Err(_) => format!("无法打开：{}", io_reason(&e)),
            };
            refuse(outcome, why);
            return None;
        }
    };
    if let Some(why) = not_a_file(&meta, path) {
        refuse(outcome, why);
        return None;
    }
    let file = match open_no_block(path) {
        Ok(f) => f,
        Err(e) => {
            refuse(outcome, format!("无法打开：{}", io_reason(&e)));
            return None;
        }
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => {
            refuse(outcome, format!("无法读取文件信息：{}", io_reason(&e)));
            return None;
        }
    };
    if let Some(why) = not_a_file(&meta, path) {
        refuse(outcome, why);
        return None;
    }
    let cap = limits.max_file_bytes;
    let mut bytes = Vec::with_capacity(meta.len().min(cap.saturating_add(1)) as usize);
    if let Err(e) = file.take(cap.saturating_add(1)).read_to_end(&mut bytes) {
        refuse(outcome, format!("读取中断：{}", io_reason(&e)));
        return None;
    }
    let read = bytes.len() as u64;
    if read > cap {
        outcome.size = meta.len().max(read);
        let r = sniff::too_big_file(outcome.size, limits);
        outcome
            .diagnostics
            .push(rejection_finding(&outcome.display, r));
        return None;
    }
    outcome.size = read;
    outcome.sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(bytes)
}

/// Why an entry whose metadata is `meta` is not a file to read, or `None` for a regular file.
fn not_a_file(meta: &std::fs::Metadata, path: &Path) -> Option<String> {
    let ft = meta.file_type();
    if ft.is_file() {
        return None;
    }
    if ft.is_dir() {
        let why = std::fs::read_dir(path)
            .err()
            .map(|e| io_reason(&e))
            .unwrap_or_else(|| "无法列出其中的文件".to_string());
        return Some(format!("这是一个无法打开的文件夹：{why}"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("这是命名管道（FIFO），不是报表文件".to_string());
        }
        if ft.is_char_device() || ft.is_block_device() {
            return Some("这是设备文件，不是报表文件".to_string());
        }
        if ft.is_socket() {
            return Some("这是套接字，不是报表文件".to_string());
        }
    }
    Some("这不是普通文件，不是报表文件".to_string())
}

/// Opens for reading without blocking on a FIFO that appeared after the type check (no effect
/// on regular files).
fn open_no_block(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    opts.open(path)
}

fn is_link_loop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

/// An I/O error in words for the clerk (the system text stays in brackets for support).
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let what = match e.kind() {
        ErrorKind::PermissionDenied => "没有读取权限",
        ErrorKind::NotFound => "文件不存在（可能在读取时被移走或删除）",
        _ => "系统报错",
    };
    format!("{what}（{e}）")
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
    let caught = guard::catch(|| {
        guard::test_trigger(display);
        let (format, mut zip) = sniff::sniff_archive(&bytes, limits)?;
        let saved = zip.as_mut().and_then(|z| props::saved_time(z, format));
        let (sheets, mut facts) = grid::load(&bytes, format, zip, limits)?;
        let mut hidden_rows = |sheet: &grid::Sheet| match facts.as_mut() {
            Some(f) => f.hidden_rows(sheet),
            None => Default::default(),
        };
        let (mut sub, diags) = locate::read_submission(&sheets, schema, display, &mut hidden_rows);
        sub.saved = saved;
        Ok::<_, Rejection>((sub, diags))
    });
    let (submission, mut diags) = match caught {
        Ok(Ok((sub, diags))) => (Some(sub), diags),
        Ok(Err(r)) => (None, vec![rejection_finding(display, r)]),
        Err(panic) => (None, vec![internal_error(display, &panic)]),
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

/// The X01 finding for a panic caught while reading `display`: it says the fault is the
/// program's, so the clerk reports it instead of sending the unit back, and keeps the panic
/// text (bounded: it may quote file content) for whoever fixes it.
fn internal_error(display: &str, panic: &str) -> Diagnostic {
    const MAX_TAIL: usize = 300;
    let mut tail: String = panic.chars().take(MAX_TAIL).collect();
    if tail.len() < panic.len() {
        tail.push('…');
    }
    let message = format!(
        "读取文件“{display}”时程序内部出错。这是 huizong 程序的缺陷，不是报送单位的问题，\
         请勿退回该单位；请把此文件连同本条消息报告给软件维护人员。内部信息：{tail}"
    );
    rejection_finding(display, Rejection::new(Code::X01, message))
}

fn rejection_finding(display: &str, r: Rejection) -> Diagnostic {
    let severity = r.code.severity();
    Diagnostic::new(r.code, severity, Location::file(display), r.message)
}

/// Lists the input files under the given paths (files are taken as given; folders are walked
/// recursively), sorted by display name, each file once. Every file in a folder is an input
/// except lock files (`~$x.xlsx`), hidden files, OS clutter and the tool's own output folders;
/// non-workbooks and entries that are not files are rejected later, when read, with a clear
/// finding rather than skipped silently. A path that does not exist is an error.
pub fn collect_inputs(paths: &[PathBuf]) -> crate::Result<Collected> {
    collect::collect(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_is_x01_naming_the_file_not_s01() {
        let d = internal_error("收表/城关镇.xlsx", "panic at x.rs:1: boom");
        assert_eq!(d.code, Code::X01);
        assert_eq!(d.severity, crate::diagnostic::Severity::Error);
        let line = d.render_concise();
        assert!(line.starts_with("收表/城关镇.xlsx: X01 "), "{line}");
        assert!(line.contains("不是报送单位的问题"), "{line}");
        assert!(line.ends_with("内部信息：panic at x.rs:1: boom"), "{line}");
        assert!(!line.contains("另存为"), "{line}");
    }

    #[test]
    fn a_long_panic_text_is_cut() {
        let long = "长".repeat(5000);
        let d = internal_error("a.xlsx", &long);
        assert!(d.message.chars().count() < 500);
        assert!(d.message.ends_with('…'));
    }
}
