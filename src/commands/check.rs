//! `huizong check`: read and validate submissions, print every finding, exit 1 on errors.

use serde_json::json;
use std::collections::BTreeMap;

use super::common;
use crate::anomaly::{self, AnomalyInput, UnitInput};
use crate::cli::{CheckArgs, Format, Outcome};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ingest::FileOutcome;
use crate::schema::Schema;
use crate::validate;
use crate::Result;

pub fn run(args: &CheckArgs) -> Result<Outcome> {
    let schema = Schema::load(args.schema.schema.as_deref())?;
    let registry = common::find_registry(args.registry.as_deref(), &args.paths)?;
    let pool = common::pool(None)?;
    let files = common::inputs(&args.paths, registry.as_ref())?;
    let mut outcomes = common::read_all(&files, &schema, &pool, true);
    let year = args.year.or_else(|| common::batch_year(&outcomes));
    let reg = registry.as_ref().map(|r| &r.registry);
    let prior = match (&args.prior, year) {
        (Some(p), Some(y)) => {
            let records = common::load_prior(p, &schema, registry.as_ref(), y, &pool)?;
            pool.install(|| common::prior_by_unit(&records, reg, y).1)
        }
        _ => BTreeMap::new(),
    };
    let batch = common::validate_all(
        &mut outcomes,
        &schema,
        registry.as_ref(),
        year,
        &prior,
        &pool,
    );
    let mut all: Vec<Diagnostic> = outcomes
        .iter()
        .flat_map(|o| o.diagnostics.clone())
        .collect();
    all.extend(batch);
    if !prior.is_empty() {
        all.extend(unit_anomalies(&schema, &outcomes, reg, year, &prior));
    }
    crate::diagnostic::sort(&mut all);
    let text = match args.format {
        Format::Concise => render_concise(&all, &outcomes),
        Format::Full => render_full(&all, &outcomes),
        Format::Json => render_json(&all, &outcomes, year),
    };
    crate::console::text(&text)?;
    Ok(if all.iter().any(|d| d.severity == Severity::Error) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Anomaly methods that judge one unit against its own prior year, with no peers or county
/// trend: unit slips (A03), reported rates against their counts (A04), a copied year (A05) and
/// two units with identical data (A06). The peer-based methods need the whole county: `run`.
const UNIT_METHODS: [&str; 4] = ["A03", "A04", "A05", "A06"];

fn unit_anomalies(
    schema: &Schema,
    outcomes: &[FileOutcome],
    registry: Option<&crate::registry::Registry>,
    year: Option<i32>,
    prior: &BTreeMap<String, validate::PriorValues>,
) -> Vec<Diagnostic> {
    let units: Vec<UnitInput> = common::accepted(outcomes)
        .filter_map(|o| {
            let sub = o.submission.as_ref()?;
            let code = sub.cover.unit_code.clone()?;
            let records =
                common::records_of(o, registry, year.unwrap_or_default(), &Default::default());
            Some(UnitInput {
                name: registry
                    .and_then(|r| r.get(&code))
                    .map(|u| u.name.clone())
                    .or_else(|| sub.cover.unit_name.clone())
                    .unwrap_or_default(),
                kind: validate::unit_kind(sub, registry)?,
                current: records
                    .iter()
                    .map(|r| (r.indicator.to_string(), r.value))
                    .collect(),
                origins: records
                    .iter()
                    .map(|r| (r.indicator.to_string(), r.origin.clone()))
                    .collect(),
                prior: prior.get(&code).cloned().unwrap_or_default(),
                code,
            })
        })
        .collect();
    let input = AnomalyInput {
        schema,
        year,
        units,
        county: BTreeMap::new(),
    };
    anomaly::detect(&input, &anomaly::Params::default())
        .iter()
        .filter(|f| UNIT_METHODS.contains(&f.code.as_str()))
        .map(|f| f.to_diagnostic())
        .collect()
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
            json!({
                "code": d.code,
                "severity": d.severity,
                "file": d.location.file,
                "sheet": d.location.sheet,
                "cell": d.location.cell.map(|c| c.a1()),
                "row": d.location.cell.map(|c| c.row),
                "col": d.location.cell.map(|c| c.col),
                "unit": d.unit,
                "indicator": d.indicator,
                "message": d.message,
                "explanation": d.explanation,
            })
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
