//! `huizong run`: resolve the arguments into a [`RunConfig`], run the job, print the short
//! report.

use std::path::Path;

use crate::cli::RunArgs;
use crate::pipeline::{self, Outcome, RunConfig, RunReport};
use crate::{Error, Result};

pub fn run(args: &RunArgs) -> Result<Outcome> {
    let registry = pipeline::find_registry(args.registry.as_deref(), &args.paths)?.ok_or_else(|| {
        Error::Usage("需要单位名册：请用 --registry 指定 units.csv，或把 units.csv 放在报表文件夹或其上级".into())
    })?;
    let acceptances = pipeline::acceptances(args.accept.as_deref())?;
    let cfg = RunConfig {
        schema: args.schema.load()?,
        registry,
        paths: args.paths.clone(),
        year: args.year,
        prior: args.prior.clone(),
        out: args.out.clone(),
        acceptances,
        progress: !args.quiet,
        threads: args.threads,
        strict: args.strict,
    };
    let report = pipeline::run(&cfg)?;
    print_summary(&report, &args.out)?;
    Ok(report.outcome)
}

/// The short end-of-run report on stdout.
fn print_summary(r: &RunReport, dir: &Path) -> Result<()> {
    let c = &r.coverage;
    crate::outln!(
        "{} 年度：应报 {} 个单位，收到 {}，已汇总 {}，退回 {}，未报 {}",
        r.year,
        c.expected.len(),
        c.received.len(),
        c.accepted.len(),
        c.held_back.len(),
        c.missing.len()
    )?;
    // Counted as the 异常提示 sheet shows them: one row per entry (unit × problem).
    let entries: std::collections::BTreeSet<usize> = r.anomalies.iter().map(|a| a.entry).collect();
    let open: std::collections::BTreeSet<usize> = r
        .anomalies
        .iter()
        .filter(|a| a.needs_action())
        .map(|a| a.entry)
        .collect();
    let lines = if entries.len() == r.anomalies.len() {
        String::new()
    } else {
        format!("共 {} 条，", r.anomalies.len())
    };
    crate::outln!(
        "校验问题：错误 {}，警告 {}；异常提示 {} 项（{lines}其中 {} 项待单位核实）",
        r.errors,
        r.warnings,
        entries.len(),
        open.len()
    )?;
    if !c.held_unverified.is_empty() {
        crate::outln!(
            "严格模式：{} 个单位有待核实事项，暂缓汇总并已退回核实：{}",
            c.held_unverified.len(),
            c.held_unverified.join("、")
        )?;
    }
    for a in crate::anomaly::entry::main_lines(&r.anomalies).take(5) {
        let who = a
            .unit_name
            .as_deref()
            .or(a.unit.as_deref())
            .unwrap_or("全县");
        crate::outln!("  {}. {who}：{}", a.entry, a.message)?;
    }
    if c.scope_differs() {
        let outside: Vec<String> = c
            .left_out_counts()
            .into_iter()
            .map(|(why, n)| format!("{n}个单位{}", why.label()))
            .collect();
        let mut s = format!(
            "同比按可比口径：上年数只取本年已汇总的{}个单位",
            c.accepted.len()
        );
        if !outside.is_empty() {
            s.push_str(&format!("（上年报送口径另含{}）", outside.join("、")));
        }
        if !c.without_prior.is_empty() {
            s.push_str(&format!("，其中{}个单位上年无数据", c.without_prior.len()));
        }
        crate::outln!("{s}；两种口径见汇总表")?;
    } else if c.units_changed {
        crate::outln!("注意：本年与上年的报送单位不完全相同，同比请结合单位变化解读")?;
    }
    crate::outln!("输出：{}", dir.display())
}
