//! Validation: every rule of the schema on each submission, the cross-period rules against the
//! prior year, and the batch checks (unknown unit, two files for one unit, missing units).
//!
//! Per-cell problems (placeholders, bad numbers, approximate values) are found while reading, in
//! `ingest`; this module works on the normalised values and the unit's identity.

mod batch;
pub mod cross_unit;
mod identity;
mod rules;
pub mod versions;

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::ingest::FileOutcome;
use crate::registry::{Registry, UnitKind};
use crate::schema::Schema;

pub use batch::{check_batch, COPY};

/// Prior-year values of one unit (already mapped through the registry's predecessors).
pub type PriorValues = BTreeMap<String, f64>;

/// Checks one read submission against the schema (and prior year when given). Findings are
/// appended to `outcome.diagnostics`.
pub fn check_file(
    outcome: &mut FileOutcome,
    schema: &Schema,
    registry: Option<&Registry>,
    year: Option<i32>,
    prior: Option<&PriorValues>,
) {
    let Some(sub) = outcome.submission.as_ref() else {
        return;
    };
    let mut found = identity::check(sub, &outcome.display, schema, registry, year);
    let unit = sub.cover.unit_code.clone();
    let kind = unit_kind(sub, registry);
    let villages = unit
        .as_deref()
        .and_then(|c| registry.and_then(|r| r.get(c)))
        .map(|u| u.villages);
    if let Some(kind) = kind {
        rules::required(
            sub,
            &outcome.display,
            schema,
            kind,
            &outcome.diagnostics,
            &mut found,
        );
        rules::applicability(sub, &outcome.display, schema, kind, &mut found);
        let ctx = rules::Context {
            sub,
            file: &outcome.display,
            kind,
            villages,
            prior,
        };
        rules::evaluate(&ctx, schema, &mut found);
        let name = unit
            .as_deref()
            .and_then(|c| registry.and_then(|r| r.get(c)))
            .map(|u| u.name.clone())
            .or_else(|| sub.cover.unit_name.clone())
            .unwrap_or_default();
        rules::police_detention(&ctx, &name, schema, &mut found);
    }
    for d in &mut found {
        if d.unit.is_none() {
            d.unit = unit.clone();
        }
    }
    // The reader's warnings (V03 约数, N codes) are settled by a real 说明 on their row, as the
    // rules' warnings are: the 退回 workbook tells the unit to explain them there.
    for d in outcome
        .diagnostics
        .iter_mut()
        .filter(|d| d.severity == Severity::Warning && d.explanation.is_none())
    {
        d.explanation = d
            .indicator
            .as_ref()
            .and_then(|c| sub.notes.get(c))
            .filter(|n| crate::sheets::is_real_explanation(n))
            .cloned();
    }
    outcome.diagnostics.extend(found);
    crate::diagnostic::sort(&mut outcome.diagnostics);
}

/// The unit's kind: the registry's when the unit is known there, else what the cover says.
pub fn unit_kind(sub: &crate::ingest::Submission, registry: Option<&Registry>) -> Option<UnitKind> {
    let code = sub.cover.unit_code.as_deref();
    code.and_then(|c| registry.and_then(|r| r.get(c)))
        .map(|u| u.kind)
        .or_else(|| sub.cover.unit_kind.as_deref().and_then(UnitKind::parse))
}

/// Whether the file's findings hold its data back from aggregation (any error).
pub fn has_errors(outcome: &FileOutcome) -> bool {
    outcome
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
}

/// Counts (errors, warnings, infos) of a list of findings.
pub fn counts(diags: &[Diagnostic]) -> (usize, usize, usize) {
    diags
        .iter()
        .fold((0, 0, 0), |(e, w, i), d| match d.severity {
            Severity::Error => (e + 1, w, i),
            Severity::Warning => (e, w + 1, i),
            Severity::Info => (e, w, i + 1),
        })
}
