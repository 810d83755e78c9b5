//! `huizong accept` / `huizong reject`: record one reviewer decision on an anomaly in the
//! acceptance file ([`crate::pipeline::record_decision`]) and say what was recorded.

use crate::anomaly::accept::Recorded;
use crate::anomaly::Decision;
use crate::cli::{DecideArgs, Outcome};
use crate::pipeline::{self, DecisionRequest};
use crate::Result;

pub fn run(args: &DecideArgs, decision: Decision) -> Result<Outcome> {
    let schema = args.schema.load()?;
    let req = DecisionRequest {
        unit: args.unit.clone(),
        rule: args.code.clone(),
        indicator: args.indicator.clone(),
        decision,
        reason: args.reason.clone(),
        by: args.by.clone(),
        value: args.value,
        date: args.date.clone(),
        year: args.year,
    };
    let (e, how) = pipeline::record_decision(&args.file, &req, &schema)?;
    let what = match &e.indicator {
        Some(i) => format!("{} {} {i}", e.unit, e.rule),
        None => format!("{} {}", e.unit, e.rule),
    };
    let mut scope = Vec::new();
    if let Some(v) = e.value {
        scope.push(format!("数值为 {} 时有效", crate::anomaly::fmt_num(v)));
    }
    if let Some(y) = e.period {
        scope.push(format!("适用于{y}年度"));
    }
    if let Some(b) = &e.by {
        scope.push(format!("审核人：{b}"));
    }
    let scope = if scope.is_empty() {
        String::new()
    } else {
        format!("（{}）", scope.join("，"))
    };
    let how = match how {
        Recorded::Added => "新增",
        Recorded::Replaced => "替换了原有的同一条记录",
    };
    crate::outln!(
        "已记录（{how}）：{} {what}{scope}，理由：{}",
        e.decision.label(),
        e.reason
    )?;
    crate::outln!(
        "写入 {}；运行 huizong run … --accept {} 时生效",
        args.file.display(),
        args.file.display()
    )?;
    Ok(Outcome::Clean)
}
