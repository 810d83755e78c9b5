//! `huizong rollup`: resolve the arguments into a [`RollupConfig`], roll the regions' outputs up
//! one level, print the short report.

use crate::cli::RollupArgs;
use crate::pipeline::{self, LoadedRegistry, Outcome, RollupConfig, RollupReport};
use crate::registry::Registry;
use crate::Result;

pub fn run(args: &RollupArgs) -> Result<Outcome> {
    let registry = LoadedRegistry::load(&args.registry)?;
    let acceptances = pipeline::acceptances(args.accept.as_deref())?;
    let cfg = RollupConfig {
        schema: args.schema.load()?,
        registry,
        paths: args.paths.clone(),
        year: args.year,
        prior: args.prior.clone(),
        out: args.out.clone(),
        acceptances,
        threads: args.threads,
    };
    let report = pipeline::rollup(&cfg)?;
    print_summary(&report, &cfg.registry.registry, args)?;
    Ok(report.outcome)
}

/// The short report on stdout.
fn print_summary(r: &RollupReport, registry: &Registry, args: &RollupArgs) -> Result<()> {
    let c = &r.coverage;
    let name = |code: &str| {
        registry
            .get(code)
            .map_or_else(|| code.to_string(), |u| format!("{}（{code}）", u.name))
    };
    let area = r.level.area();
    crate::outln!(
        "{} 年度{}汇总：应报 {} 个（地区和本级单位），已汇总 {}，未报 {}",
        r.year,
        area,
        c.expected.len(),
        c.accepted.len(),
        c.missing.len()
    )?;
    for i in &c.incomplete {
        crate::outln!(
            "  注意：{} 的汇总不完整：{} 个单位暂未汇总、{} 个单位未报送，其合计已计入但不完整",
            name(&i.unit),
            i.held_back.len(),
            i.missing.len()
        )?;
    }
    if !c.missing.is_empty() {
        let missing: Vec<String> = c.missing.iter().map(|m| name(m)).collect();
        crate::outln!("  未报：{}", missing.join("、"))?;
    }
    crate::outln!(
        "本级报表校验问题：错误 {}，警告 {}；异常提示 {} 条",
        r.errors,
        r.warnings,
        r.anomalies.len()
    )?;
    for a in r.anomalies.iter().filter(|a| !a.accepted).take(5) {
        let who = a
            .unit_name
            .as_deref()
            .or(a.unit.as_deref())
            .unwrap_or("合计");
        crate::outln!("  {}. {who}：{}", a.rank, a.message)?;
    }
    crate::outln!("输出：{}", args.out.display())
}
