//! Checks across the files of one batch: byte-identical copies of one file, two differing
//! files for the same unit, and registry units that sent nothing. Per-file findings go into the
//! files' own lists; batch findings are returned.
//!
//! Copies first: a unit that mailed the same workbook twice, or a file that sits in two
//! folders, has sent one submission, not two conflicting ones. Files with the same SHA-256 are
//! one submission; the first in the batch order (sorted by shown path) stands for it, and each
//! later copy gets only an S13 hint naming that file. A copy's own reading is dropped
//! (`submission = None`, its findings replaced by the hint): otherwise it would be aggregated
//! twice, or be listed and sent back twice. Differing files of one unit are versions: the
//! later one replaces the others (S14 on each replaced file, [`super::versions`]); only
//! versions with no order are S10.

use std::collections::{BTreeMap, HashMap};

use super::versions;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::ingest::FileOutcome;
use crate::registry::Registry;

/// Folds byte-identical copies into one submission (S13 on each later copy), settles differing
/// files of one unit as versions (S14 on the replaced ones, S10 on all when unordered) and returns one S11 finding per expected unit
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
    for (code, idx) in &by_unit {
        // A file of another year (V04) is held back on its own and is no version of this
        // year's return: it neither replaces nor blocks the others.
        let versions: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| !outcomes[i].diagnostics.iter().any(|d| d.code == Code::V04))
            .collect();
        if versions.len() > 1 {
            settle_versions(outcomes, code, &versions);
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

/// Orders one unit's differing files ([`versions::order`]): the adopted one keeps its reading
/// and learns what changed since the version before; each replaced one gets S14 and loses its
/// reading. With no order, every file gets S10 with the reason and how to mark the final one.
fn settle_versions(outcomes: &mut [FileOutcome], code: &str, files: &[usize]) {
    let names: Vec<String> = files.iter().map(|&i| outcomes[i].display.clone()).collect();
    let (ordered, basis) = match versions::order(outcomes, files) {
        Ok(found) => found,
        Err(why) => {
            for &i in files {
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
                        "单位 {code} 还报送了 {}，{why}，多份文件均暂不汇总。\
                         请在最终版本的文件名中加上“修改”或“终稿”（如“{}”），\
                         或把其余版本移出收表文件夹后重新运行",
                        others.join("、"),
                        versions::suggested_name(&outcomes[i].display)
                    ),
                )
                .with_unit(code.to_string());
                outcomes[i].diagnostics.push(d);
            }
            return;
        }
    };
    let adopted = ordered[0];
    let replaced: Vec<String> = ordered[1..]
        .iter()
        .map(|&i| outcomes[i].display.clone())
        .collect();
    let previous = ordered[1];
    let changes = match (
        &outcomes[previous].submission,
        &outcomes[adopted].submission,
    ) {
        (Some(p), Some(a)) => versions::changes(p, a),
        _ => Vec::new(),
    };
    let adopted_name = outcomes[adopted].display.clone();
    for &i in &ordered[1..] {
        let o = &mut outcomes[i];
        let d = Diagnostic::new(
            Code::S14,
            Severity::Info,
            Location::file(o.display.clone()),
            format!(
                "已被同一单位的 {} 替代（{basis}），本文件不汇总、不退回",
                beside(&adopted_name, &o.display)
            ),
        )
        .with_unit(code.to_string());
        o.submission = None;
        o.diagnostics = vec![d];
        o.revision = Some(versions::Revision {
            role: versions::Role::Superseded,
            others: vec![adopted_name.clone()],
            basis: basis.clone(),
            previous: None,
            changes: Vec::new(),
        });
    }
    outcomes[adopted].revision = Some(versions::Revision {
        role: versions::Role::Adopted,
        others: replaced,
        basis,
        previous: Some(outcomes[previous].display.clone()),
        changes,
    });
}

/// `other` as the clerk finds it from `file`: just its name when both sit in one folder.
fn beside<'a>(other: &'a str, file: &str) -> &'a str {
    let (a, b) = (std::path::Path::new(other), std::path::Path::new(file));
    match a.file_name().and_then(|n| n.to_str()) {
        Some(name) if a.parent() == b.parent() => name,
        _ => other,
    }
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
