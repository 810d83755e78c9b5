//! Checks across the files of one batch: byte-identical copies of one file, two differing
//! files for the same unit, and registry units that sent nothing. Per-file findings go into the
//! files' own lists; batch findings are returned.
//!
//! Copies first: a unit that mailed the same workbook twice, or a file that sits in two
//! folders, has sent one submission, not two conflicting ones. Files with the same SHA-256 are
//! one submission; the first in the batch order (sorted by shown path) stands for it, and each
//! later copy gets only an S13 hint naming that file. A copy's own reading is dropped
//! (`submission = None`, its findings replaced by the hint): otherwise it would be aggregated
//! twice, or be listed and sent back twice. Only differing files of one unit are S10.

use std::collections::{BTreeMap, HashMap};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::ingest::FileOutcome;
use crate::registry::Registry;

/// Folds byte-identical copies into one submission (S13 on each later copy), marks differing
/// files of one unit (S10, on every file involved) and returns one S11 finding per expected unit
/// that sent nothing. `registry_display` is how the registry file is named in messages.
pub fn check_batch(
    outcomes: &mut [FileOutcome],
    registry: Option<&Registry>,
    year: Option<i32>,
    registry_display: &str,
) -> Vec<Diagnostic> {
    mark_copies(outcomes);
    let mut by_unit: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        if let Some(code) = o
            .submission
            .as_ref()
            .and_then(|s| s.cover.unit_code.clone())
        {
            by_unit.entry(code).or_default().push(i);
        }
    }
    for (code, idx) in by_unit.iter().filter(|(_, v)| v.len() > 1) {
        let names: Vec<String> = idx.iter().map(|&i| outcomes[i].display.clone()).collect();
        for &i in idx {
            let others: Vec<&str> = names
                .iter()
                .filter(|n| **n != outcomes[i].display)
                .map(String::as_str)
                .collect();
            let d = Diagnostic::new(
                Code::S10,
                Severity::Error,
                Location::file(outcomes[i].display.clone()),
                format!(
                    "单位 {code} 还报送了 {}，多份文件均暂不汇总，请确认最终版本",
                    others.join("、")
                ),
            )
            .with_unit(code.clone());
            outcomes[i].diagnostics.push(d);
        }
    }
    let (Some(registry), Some(year)) = (registry, year) else {
        return Vec::new();
    };
    registry
        .active_in(year)
        .filter(|u| !by_unit.contains_key(&u.code))
        .map(|u| {
            Diagnostic::new(
                Code::S11,
                Severity::Warning,
                Location::file(registry_display),
                format!(
                    "{}（{}，{}）未报送 {year} 年度报表",
                    u.name,
                    u.code,
                    u.kind.label()
                ),
            )
            .with_unit(u.code.clone())
        })
        .collect()
}

/// The code of a later byte-identical copy.
pub const COPY: Code = Code::S13;

/// Marks every file whose bytes equal an earlier file's (S13) and drops its own reading. Files
/// without a hash (not read, or over the size cap) are never copies.
fn mark_copies(outcomes: &mut [FileOutcome]) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut copies: Vec<(usize, usize)> = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        if o.sha256.is_empty() {
            continue;
        }
        match first.get(o.sha256.as_str()) {
            Some(&orig) => copies.push((i, orig)),
            None => {
                first.insert(&o.sha256, i);
            }
        }
    }
    for (i, orig) in copies {
        let orig_display = outcomes[orig].display.clone();
        let unit = outcomes[orig]
            .submission
            .as_ref()
            .and_then(|s| s.cover.unit_code.clone());
        let copy = &mut outcomes[i];
        let mut d = Diagnostic::new(
            COPY,
            Severity::Info,
            Location::file(copy.display.clone()),
            format!("与 {orig_display} 内容完全相同，按同一份报送处理，以该文件为准"),
        );
        if let Some(u) = unit {
            d = d.with_unit(u);
        }
        copy.submission = None;
        copy.diagnostics = vec![d];
    }
}
