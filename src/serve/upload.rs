//! Filing an uploaded workbook. The bytes are sniffed and read as `check` reads a file; the
//! cover's unit code must be a registry unit (and, with a unit's token, that unit); the file is
//! then stored under a name the server makes, `<单位代码>_第<N>版.<ext>` with N the next free
//! version, so `validate::versions` adopts the newest upload by its name mark. Nothing of the
//! client's file name reaches a path. The bytes go to a hidden temp file in the inbox (the
//! input walk skips hidden files), which `pipeline::check` reads once (its findings are then
//! renamed to the stored file); the temp file is hard-linked to the final name (the link fails
//! rather than replace an existing file) and removed; so a file appears whole or not at all and
//! an earlier version is never overwritten.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;

use super::auth::{Access, Refusal};
use super::state::AppState;
use crate::diagnostic::Diagnostic;
use crate::ingest::sniff::{self, Format, Limits};
use crate::pipeline::{self, CheckConfig, LoadedRegistry};
use crate::validate::versions;

/// Versions one unit may file in a round (a bound on what one link can store).
pub const MAX_VERSIONS: u32 = 200;
/// Workbooks in one upload request.
pub const MAX_FILES_PER_REQUEST: usize = 20;

/// One filed upload and its check.
pub struct Filed {
    pub unit: String,
    pub unit_name: String,
    /// The name given in the inbox.
    pub file: String,
    pub version: u32,
    pub findings: Vec<Diagnostic>,
}

/// Checks, names and files one upload. Blocking (runs on the blocking pool).
pub fn file_one(
    state: &AppState,
    access: &Access,
    bytes: Vec<u8>,
) -> Result<Filed, (Refusal, Vec<Diagnostic>)> {
    let cfg = &state.cfg;
    let format = sniff::sniff(&bytes, &Limits::default()).map_err(|r| {
        let why = format!("上传的文件：{}", r.message);
        ((StatusCode::UNPROCESSABLE_ENTITY, why), Vec::new())
    })?;
    let internal = |e: String| ((StatusCode::INTERNAL_SERVER_ERROR, e), Vec::new());
    // Checked once, as a hidden file in the inbox (the run's walk skips it); renamed after.
    let temp = Temp::write(&cfg.inbox, format, &bytes).map_err(internal)?;
    let report = pipeline::check(&CheckConfig {
        schema: cfg.schema.clone(),
        registry: Some(LoadedRegistry {
            registry: cfg.registry.registry.clone(),
            display: cfg.registry.display.clone(),
            settings: cfg.registry.settings.clone(),
        }),
        paths: vec![temp.0.clone()],
        year: None,
        prior: None,
        progress: false,
    })
    .map_err(|e| internal(e.to_string()))?;
    let shown = temp.0.to_string_lossy().replace('\\', "/");
    let mut findings = report.findings;
    let code = report
        .outcomes
        .first()
        .and_then(|o| o.submission.as_ref())
        .map(|s| s.cover.unit_code.clone().unwrap_or_default());
    let Some(code) = code else {
        rename_in(&mut findings, &shown, "上传的文件");
        let why = "无法读取该文件，未存入收表文件夹".to_string();
        return Err(((StatusCode::UNPROCESSABLE_ENTITY, why), findings));
    };
    let Some(unit) = cfg.registry.registry.get(code.trim()) else {
        rename_in(&mut findings, &shown, "上传的文件");
        let why = if code.trim().is_empty() {
            "封面没有填单位代码，无法确定是哪个单位的报表，未存入".to_string()
        } else {
            format!("封面的单位代码 {} 不在单位名册中，未存入", code.trim())
        };
        return Err(((StatusCode::UNPROCESSABLE_ENTITY, why), findings));
    };
    if !access.may_see(&unit.code) {
        let why = format!(
            "这是 {}（{}）的报表，本链接只能上传本单位的报表，未存入",
            unit.name, unit.code
        );
        return Err(((StatusCode::FORBIDDEN, why), Vec::new()));
    }
    let (path, version) = store(state, &unit.code, format, &temp.0).map_err(internal)?;
    let name = file_name(&path);
    rename_in(&mut findings, &shown, &name);
    state.filed(&unit.code);
    Ok(Filed {
        unit: unit.code.clone(),
        unit_name: unit.name.clone(),
        file: name,
        version,
        findings,
    })
}

/// The hidden temp file of an upload, removed when dropped (filed or not).
struct Temp(PathBuf);

impl Temp {
    fn write(inbox: &Path, format: Format, bytes: &[u8]) -> Result<Temp, String> {
        let token = super::auth::new_token().map_err(|e| e.to_string())?;
        let path = inbox.join(format!(".huizong-upload-{token}.{}", extension(format)));
        std::fs::write(&path, bytes)
            .map_err(|e| format!("无法存入收表文件夹 {}：{e}", inbox.display()))?;
        Ok(Temp(path))
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The findings name the temp file: name the stored file instead.
fn rename_in(findings: &mut [Diagnostic], from: &str, to: &str) {
    for d in findings {
        for l in std::iter::once(&mut d.location).chain(d.related.iter_mut()) {
            if l.file == from {
                l.file = to.to_string();
            }
        }
        if d.message.contains(from) {
            d.message = d.message.replace(from, to);
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The extension for the sniffed format (never the client's).
fn extension(f: Format) -> &'static str {
    match f {
        Format::Xlsx => "xlsx",
        Format::Xls => "xls",
        Format::Ods => "ods",
    }
}

/// Whether a registry code can be part of a file name as it is (no separators, no dots).
fn safe_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// Links the checked temp file to the unit's next version name; returns the path and N.
fn store(
    state: &AppState,
    code: &str,
    format: Format,
    temp: &Path,
) -> Result<(PathBuf, u32), String> {
    if !safe_code(code) {
        return Err(format!(
            "单位代码 {code} 含有不能用于文件名的字符，请在名册中改用字母、数字和“-”"
        ));
    }
    let inbox = &state.cfg.inbox;
    let fail = |e: std::io::Error| format!("无法存入收表文件夹 {}：{e}", inbox.display());
    // One filer at a time picks N; the hard link refuses an existing name all the same.
    let _guard = state.filing.blocking_lock();
    let mut n = next_version(state, code);
    loop {
        if n > MAX_VERSIONS {
            return Err(format!(
                "收表文件夹中本单位已有第{MAX_VERSIONS}版或标为“终稿”的文件，新上传的版本不会被采用，未存入；请联系审核人"
            ));
        }
        let target = inbox.join(format!("{code}_第{n}版.{}", extension(format)));
        match std::fs::hard_link(temp, &target) {
            Ok(()) => return Ok((target, n)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(fail(e)),
        }
    }
}

/// One more than the highest version mark among the unit's files: the ones this server named
/// (`<code>_第N版.*` in the inbox) and the ones the last run attributed to the unit.
fn next_version(state: &AppState, code: &str) -> u32 {
    let prefix = format!("{code}_");
    let mut top = 0;
    if let Ok(dir) = std::fs::read_dir(&state.cfg.inbox) {
        for e in dir.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) {
                top = top.max(versions::mark(&name).rank);
            }
        }
    }
    if let Some(r) = &state.snapshot().report {
        for f in r.files.iter().filter(|f| f.unit.as_deref() == Some(code)) {
            if let Some(file) = &f.file {
                top = top.max(versions::mark(file).rank);
            }
        }
    }
    top + 1
}
