//! What the pages and the API show, built from the last completed run: a row per registry
//! unit with its state, the unit's files, findings and anomalies. One model for both, so the
//! JSON and the HTML cannot disagree.

use serde::Serialize;
use serde_json::{json, Value};

use super::state::{AppState, Snapshot};
use crate::anomaly::Finding;
use crate::diagnostic::{Diagnostic, Severity};
use crate::report::summary::{FileState, FileStatus};

/// A unit's place in the round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnitState {
    #[serde(rename = "未报")]
    Missing,
    #[serde(rename = "已收")]
    Received,
    #[serde(rename = "退回")]
    Returned,
    #[serde(rename = "待核实")]
    ToVerify,
    #[serde(rename = "已汇总")]
    Aggregated,
}

impl UnitState {
    pub fn label(self) -> &'static str {
        match self {
            UnitState::Missing => "未报",
            UnitState::Received => "已收",
            UnitState::Returned => "退回",
            UnitState::ToVerify => "待核实",
            UnitState::Aggregated => "已汇总",
        }
    }

    pub const ALL: [UnitState; 5] = [
        UnitState::Missing,
        UnitState::Received,
        UnitState::Returned,
        UnitState::ToVerify,
        UnitState::Aggregated,
    ];
}

/// One row of 报送进度.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub state: UnitState,
    pub state_label: &'static str,
    pub versions: usize,
    /// The adopted file's name.
    pub file: Option<String>,
    pub last_received: Option<String>,
    pub errors: u32,
    pub warnings: u32,
    /// Anomalies still 待核实 or 不予认可.
    pub open_anomalies: usize,
}

/// Whether a file row is one of the unit's returns that counts (not a replaced version or
/// a copy).
fn adopted(f: &FileStatus) -> bool {
    !matches!(
        f.status,
        FileState::Superseded | FileState::Duplicate | FileState::Copy | FileState::Missing
    )
}

/// Every registry unit active in the year, in registry order.
pub fn unit_rows(state: &AppState, snap: &Snapshot) -> Vec<UnitRow> {
    let pending = state.pending();
    let received = state.received();
    let cfg = &state.cfg;
    let files: &[FileStatus] = snap
        .report
        .as_ref()
        .map(|r| r.files.as_slice())
        .unwrap_or_default();
    let anomalies: &[Finding] = snap
        .report
        .as_ref()
        .map(|r| r.anomalies.as_slice())
        .unwrap_or_default();
    cfg.registry
        .registry
        .active_in(cfg.year)
        .map(|u| {
            let mine: Vec<&FileStatus> = files
                .iter()
                .filter(|f| {
                    f.unit.as_deref() == Some(u.code.as_str()) && f.status != FileState::Missing
                })
                .collect();
            let main = mine.iter().find(|f| adopted(f)).copied();
            let open = anomalies
                .iter()
                .filter(|a| a.unit.as_deref() == Some(u.code.as_str()) && a.needs_action())
                .count();
            let state = if pending.contains_key(&u.code) {
                UnitState::Received
            } else {
                match main.map(|f| f.status) {
                    None => UnitState::Missing,
                    Some(FileState::Aggregated)
                        if open == 0 && main.is_some_and(|f| f.warnings == 0) =>
                    {
                        UnitState::Aggregated
                    }
                    Some(FileState::Aggregated | FileState::HeldUnverified) => UnitState::ToVerify,
                    Some(_) => UnitState::Returned,
                }
            };
            let last = received
                .get(&u.code)
                .cloned()
                .or_else(|| main.and_then(|f| f.file.as_deref()).and_then(modified));
            UnitRow {
                code: u.code.clone(),
                name: u.name.clone(),
                kind: u.kind.label().to_string(),
                state,
                state_label: state.label(),
                versions: mine.len(),
                file: main.and_then(|f| f.file.as_deref()).map(base_name),
                last_received: last,
                errors: main.map_or(0, |f| f.errors),
                warnings: main.map_or(0, |f| f.warnings),
                open_anomalies: open,
            }
        })
        .collect()
}

/// The last component of a displayed path.
pub fn base_name(display: &str) -> String {
    display.rsplit('/').next().unwrap_or(display).to_string()
}

/// A file's modification time, local, as shown (the display path is the path as walked).
fn modified(display: &str) -> Option<String> {
    let t = std::fs::metadata(display).ok()?.modified().ok()?;
    let t: chrono::DateTime<chrono::Local> = t.into();
    Some(t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A finding as JSON, in the shape of `check --format json`, plus `fix`: what to do about it,
/// in the words of the unit's 退回 workbook ([`crate::report::feedback::how_to_fix`]).
pub fn finding_json(d: &Diagnostic) -> Value {
    let mut f = crate::diagnostic::json_fields(d);
    f.insert("file".into(), json!(base_name(&d.location.file)));
    f.insert("severity_label".into(), json!(d.severity.label()));
    f.insert("fix".into(), json!(crate::report::feedback::how_to_fix(d)));
    Value::Object(f)
}

/// An anomaly as JSON (the figures JSON's fields plus labels).
pub fn anomaly_json(a: &Finding) -> Value {
    json!({
        "rank": a.rank,
        "code": a.code,
        "severity": a.severity,
        "severity_label": a.severity.label(),
        "unit": a.unit,
        "unit_name": a.unit_name,
        "indicator": a.indicator,
        "location": a.location,
        "value": a.value,
        "prior": a.prior,
        "message": a.message,
        "suggestion": a.suggestion,
        "status": a.status,
        "explanation": a.explanation,
        "open": a.needs_action(),
    })
}

/// Counts of errors, warnings, hints.
pub fn counts(findings: &[Diagnostic]) -> Value {
    let n = |s: Severity| findings.iter().filter(|d| d.severity == s).count();
    json!({"errors": n(Severity::Error), "warnings": n(Severity::Warning), "infos": n(Severity::Info)})
}

/// The unit's findings of the last run (on any of its files).
pub fn unit_findings<'a>(snap: &'a Snapshot, code: &str) -> Vec<&'a Diagnostic> {
    snap.report
        .as_ref()
        .map(|r| {
            r.findings
                .iter()
                .filter(|d| d.unit.as_deref() == Some(code))
                .collect()
        })
        .unwrap_or_default()
}

/// The unit's files in the last run, adopted first.
pub fn unit_files<'a>(snap: &'a Snapshot, code: &str) -> Vec<&'a FileStatus> {
    let mut v: Vec<&FileStatus> = snap
        .report
        .as_ref()
        .map(|r| {
            r.files
                .iter()
                .filter(|f| f.unit.as_deref() == Some(code) && f.status != FileState::Missing)
                .collect()
        })
        .unwrap_or_default();
    v.sort_by_key(|f| !adopted(f));
    v
}

/// One file row with its versions' differences, as JSON.
pub fn file_json(f: &FileStatus) -> Value {
    let rev = f.revision.as_ref();
    json!({
        "file": f.file.as_deref().map(base_name),
        "status": f.status.label(),
        "errors": f.errors,
        "warnings": f.warnings,
        "sha256": f.sha256,
        "role": rev.map(|r| r.role.label()),
        "basis": rev.map(|r| r.basis.clone()),
        "previous": rev.and_then(|r| r.previous.as_deref().map(base_name)),
        "changes": rev.map(|r| r.changes.iter().map(|c| json!({
            "indicator": c.indicator, "field": c.field, "sheet": c.sheet,
            "cell": c.pos.a1(), "before": c.before, "after": c.after,
        })).collect::<Vec<_>>()).unwrap_or_default(),
    })
}
