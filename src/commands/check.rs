//! `huizong check`: resolve the arguments, run the check job, print every finding, exit 1 on
//! errors.

use serde_json::json;

use crate::anomaly::Status;
use crate::cli::{CheckArgs, Format};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ingest::FileOutcome;
use crate::pipeline::{self, CheckConfig, Outcome};
use crate::validate;
use crate::Result;

pub fn run(args: &CheckArgs) -> Result<Outcome> {
    let cfg = CheckConfig {
        schema: args.schema.load()?,
        registry: pipeline::find_registry(args.registry.as_deref(), &args.paths)?,
        paths: args.paths.clone(),
        year: args.year,
        prior: args.prior.clone(),
        progress: true,
    };
    let report = pipeline::check(&cfg)?;
    let (all, outcomes, year) = (&report.findings, &report.outcomes, report.year);
    let text = match args.format {
        Format::Concise => render_concise(all, outcomes),
        Format::Full => render_full(all, outcomes),
        Format::Json => render_json(all, outcomes, year),
    };
    crate::console::text(&text)?;
    Ok(report.outcome)
}

fn render_concise(all: &[Diagnostic], outcomes: &[FileOutcome]) -> String {
    let mut s: String = all.iter().map(|d| d.render_concise() + "\n").collect();
    s.push_str(&summary(all, outcomes));
    s
}

fn render_full(all: &[Diagnostic], outcomes: &[FileOutcome]) -> String {
    let mut s: String = all.iter().map(|d| d.render_full() + "\n").collect();
    s.push_str(&summary(all, outcomes));
    s
}

/// Per-file lines for files with findings, then the totals.
fn summary(all: &[Diagnostic], outcomes: &[FileOutcome]) -> String {
    let mut s = String::new();
    if !all.is_empty() {
        s.push('\n');
    }
    for o in outcomes {
        let (e, w, i) = validate::counts(&o.diagnostics);
        if e + w + i > 0 {
            s.push_str(&format!("{}：错误 {e}，警告 {w}，提示 {i}\n", o.display));
        }
    }
    let (e, w, i) = validate::counts(all);
    let clean = outcomes.iter().filter(|o| o.diagnostics.is_empty()).count();
    s.push_str(&format!(
        "共检查 {} 个文件（{clean} 个无问题）：错误 {e}，警告 {w}，提示 {i}\n",
        outcomes.len()
    ));
    s
}

/// The verification status of an error or warning, in the words of `run`'s anomaly list: 待核实
/// while the unit must act, 已说明 once a warning carries a real explanation; none for a hint.
fn status(d: &Diagnostic) -> Option<&'static str> {
    match d.severity {
        Severity::Info => None,
        _ if d.needs_action() => Some(Status::Open.label()),
        _ => Some(Status::Explained.label()),
    }
}

fn render_json(all: &[Diagnostic], outcomes: &[FileOutcome], year: Option<i32>) -> String {
    let files: Vec<_> = outcomes
        .iter()
        .map(|o| {
            let (e, w, i) = validate::counts(&o.diagnostics);
            json!({
                "file": o.display,
                "unit": o.submission.as_ref().and_then(|s| s.cover.unit_code.clone()),
                "sha256": o.sha256,
                "readable": o.submission.is_some(),
                "errors": e, "warnings": w, "infos": i,
            })
        })
        .collect();
    let findings: Vec<_> = all
        .iter()
        .map(|d| {
            let mut f = crate::diagnostic::json_fields(d);
            f.insert("status".into(), json!(status(d)));
            serde_json::Value::Object(f)
        })
        .collect();
    let (e, w, i) = validate::counts(all);
    let doc = json!({
        "year": year,
        "summary": {"files": outcomes.len(), "errors": e, "warnings": w, "infos": i},
        "files": files,
        "findings": findings,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
