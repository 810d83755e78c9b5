//! The check job: read and validate submissions (and, with the prior year, the anomaly methods
//! that judge a unit by itself), returning every finding. `huizong check` renders the report.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::batch::{self as common, LoadedRegistry};
use super::Outcome;
use crate::aggregate::UnitRow;
use crate::anomaly::{self, AnomalyInput};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ingest::FileOutcome;
use crate::schema::Schema;
use crate::validate;
use crate::Result;

/// What to check, resolved from the command line.
pub struct CheckConfig {
    pub schema: Schema,
    pub registry: Option<LoadedRegistry>,
    /// Files and folders; registry units that sent nothing (S11) are listed only when one of
    /// them is a folder.
    pub paths: Vec<PathBuf>,
    /// `None`: the most common year on the covers. A given year that no readable workbook
    /// carries stops the check (exit 2).
    pub year: Option<i32>,
    /// Last year's folder or `history.csv`, for the cross-period rules and unit anomalies; data
    /// that is not of the year before stops the check (exit 2).
    pub prior: Option<PathBuf>,
    pub progress: bool,
}

/// Every file's outcome and all findings, sorted.
pub struct CheckReport {
    pub outcome: Outcome,
    pub year: Option<i32>,
    pub outcomes: Vec<FileOutcome>,
    pub findings: Vec<Diagnostic>,
}

pub fn check(cfg: &CheckConfig) -> Result<CheckReport> {
    let schema = &cfg.schema;
    let registry = cfg.registry.as_ref();
    let pool = common::pool(None)?;
    let files = common::inputs(&cfg.paths, registry)?;
    let mut outcomes = common::read_all(&files, schema, &pool, cfg.progress);
    if let Some(y) = cfg.year {
        common::check_year(&outcomes, y)?;
    }
    let year = cfg.year.or_else(|| common::batch_year(&outcomes));
    let reg = registry.map(|r| &r.registry);
    // Last year in this year's codes; codes neither edition knows are S15 findings.
    let (prior, prior_findings) = match (&cfg.prior, year) {
        (Some(p), Some(y)) => {
            let loaded = super::prior::load(p, schema, registry, y, &pool)?;
            let by_unit = pool.install(|| common::prior_by_unit(&loaded.records, reg, y).1);
            (by_unit, loaded.findings)
        }
        _ => (BTreeMap::new(), Vec::new()),
    };
    // Missing units (S11) only when a whole folder is checked: a few resubmitted files checked
    // on their own are not the batch, and every other unit would be listed as not sent.
    let whole_batch = cfg.paths.iter().any(|p| p.is_dir());
    let batch = common::validate_all(
        &mut outcomes,
        schema,
        registry,
        year,
        &prior,
        whole_batch,
        &pool,
    );
    let mut all: Vec<Diagnostic> = outcomes
        .iter()
        .flat_map(|o| o.diagnostics.clone())
        .collect();
    all.extend(batch);
    all.extend(prior_findings);
    // Without a prior year only A06 (two units with identical data) can fire; run it anyway,
    // as `run` does, so the two commands agree on the same files.
    all.extend(unit_anomalies(schema, &outcomes, reg, year, &prior));
    crate::diagnostic::sort(&mut all);
    let outcome = if all.iter().any(|d| d.severity == Severity::Error) {
        Outcome::Findings
    } else {
        Outcome::Clean
    };
    Ok(CheckReport {
        outcome,
        year,
        outcomes,
        findings: all,
    })
}

fn unit_anomalies(
    schema: &Schema,
    outcomes: &[FileOutcome],
    registry: Option<&crate::registry::Registry>,
    year: Option<i32>,
    prior: &BTreeMap<String, validate::PriorValues>,
) -> Vec<Diagnostic> {
    let units: Vec<UnitRow> = common::accepted(outcomes)
        .filter_map(|o| {
            let sub = o.submission.as_ref()?;
            let code = sub.cover.unit_code.clone()?;
            let records = common::records_of(
                o,
                schema,
                registry,
                year.unwrap_or_default(),
                &Default::default(),
            );
            let mut row = UnitRow {
                name: registry
                    .and_then(|r| r.get(&code))
                    .map(|u| u.name.clone())
                    .or_else(|| sub.cover.unit_name.clone())
                    .unwrap_or_default(),
                kind: validate::unit_kind(sub, registry)?,
                values: records
                    .iter()
                    .map(|r| (r.indicator.to_string(), r.value))
                    .collect(),
                origins: records
                    .iter()
                    .map(|r| (r.indicator.to_string(), r.origin.clone()))
                    .collect(),
                prior: prior.get(&code).cloned().unwrap_or_default(),
                code,
            };
            // A rate the unit typed itself sits under its rate code, where A04 looks for it.
            for (rate, v, origin) in common::reported_rates(o) {
                row.values.insert(rate.clone(), v);
                row.origins.insert(rate, origin);
            }
            Some(row)
        })
        .collect();
    let input = AnomalyInput {
        schema,
        year,
        units,
        county: BTreeMap::new(),
        notes: common::unit_notes(outcomes),
    };
    let params = anomaly::Params {
        unit_only: true,
        ..Default::default()
    };
    anomaly::detect(&input, &params)
        .iter()
        .map(|f| f.to_diagnostic())
        .collect()
}
