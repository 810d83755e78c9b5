//! Checks across the files of one batch: two files for the same unit, and registry units that
//! sent nothing. Per-file findings go into the files' own lists; batch findings are returned.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::ingest::FileOutcome;
use crate::registry::Registry;

/// The batch-level codes, for `huizong rule`: (code, severity, title, help).
pub struct BatchCodes;

impl BatchCodes {
    pub const ALL: &'static [(&'static str, Severity, &'static str, &'static str)] = &[
        (
            "S10",
            Severity::Error,
            "同一单位报送了多份文件",
            "同一单位代码出现在两份或更多文件中。无法判断哪一份有效，这些文件都暂不汇总。\
             请与该单位确认最终版本，只保留一份后重新运行。",
        ),
        (
            "S11",
            Severity::Warning,
            "名册中的单位未报送",
            "单位名册中当年应报的单位没有任何可读取的报表。全县数据不完整：请催报，\
             或确认该单位已撤并并更新名册。",
        ),
    ];
}

/// Marks duplicate submissions (S10, on every file involved) and returns one S11 finding per
/// expected unit that sent nothing. `registry_display` is how the registry file is named in
/// messages.
pub fn check_batch(
    outcomes: &mut [FileOutcome],
    registry: Option<&Registry>,
    year: Option<i32>,
    registry_display: &str,
) -> Vec<Diagnostic> {
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
                "S10",
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
                "S11",
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
