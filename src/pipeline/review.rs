//! The reviewer's decisions on anomalies (`huizong accept` / `huizong reject`): checks one
//! decision and records it in the acceptance file, which `run --accept` reads. The file format
//! and its editing are [`crate::anomaly::accept`]; the user documentation is docs/acceptance.md.

use std::path::Path;

use crate::anomaly::accept::{self, Acceptance, Decision, Recorded};
use crate::io::write_atomic;
use crate::schema::Schema;
use crate::sheets::{is_real_explanation, MIN_EXPLANATION_CHARS};
use crate::{Error, Result};

/// One decision as the reviewer gave it (codes as typed).
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub unit: String,
    pub rule: String,
    pub indicator: Option<String>,
    pub decision: Decision,
    pub reason: String,
    pub by: Option<String>,
    pub value: Option<f64>,
    pub date: Option<String>,
    pub year: Option<i32>,
}

/// Checks `req` against the code table and `schema`, and writes it into the acceptance file at
/// `path` (created when missing; the entry for the same unit, rule, indicator and year is
/// replaced; written atomically). Every refusal is [`Error::Usage`] (exit 2) and leaves the file
/// as it was. Returns the entry as recorded and whether it was new.
pub fn record_decision(
    path: &Path,
    req: &DecisionRequest,
    schema: &Schema,
) -> Result<(Acceptance, Recorded)> {
    let entry = entry(req, schema)?;
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let (text, how) = accept::record(existing.as_deref(), entry.clone()).map_err(|m| {
        Error::Usage(format!(
            "审核确认文件 {}：{m}；请先改正该文件，本次没有记录",
            path.display()
        ))
    })?;
    write_atomic(path, text.as_bytes())?;
    Ok((entry, how))
}

/// The file entry for a request, or why it is refused.
fn entry(req: &DecisionRequest, schema: &Schema) -> Result<Acceptance> {
    let unit = req.unit.trim();
    if unit.is_empty() {
        return Err(Error::Usage("请给出单位代码，如 411321-T03".into()));
    }
    let indicator = req
        .indicator
        .as_deref()
        .map(str::trim)
        .filter(|i| !i.is_empty());
    let rule = accept::check_rule(&req.rule, indicator, req.decision).map_err(Error::Usage)?;
    if let Some(code) = indicator {
        let known = schema.indicator(code).is_some() || schema.rates.iter().any(|r| r.code == code);
        if !known {
            return Err(Error::Usage(format!(
                "指标体系 {} 中没有指标或比率 {code}；请用统计表“代码”列中的代码，如 ZF06",
                schema.id
            )));
        }
    }
    let reason = req.reason.trim();
    if !is_real_explanation(reason) {
        return Err(Error::Usage(format!(
            "请用 --reason 写明具体理由（不少于{MIN_EXPLANATION_CHARS}个字，不能只写“核实无误”“属实”），\
             它会显示在汇总表{}",
            match req.decision {
                Decision::Accept => "的异常提示中",
                Decision::Reject => "和退回该单位的清单中",
            }
        )));
    }
    if let Some(v) = req.value.filter(|v| !v.is_finite()) {
        return Err(Error::Usage(format!("--value {v} 不是有效的数值")));
    }
    let date = req.date.as_deref().map(str::trim).filter(|d| !d.is_empty());
    Ok(Acceptance {
        unit: unit.to_string(),
        indicator: indicator.map(String::from),
        rule,
        decision: req.decision,
        value: req.value,
        reason: reason.to_string(),
        by: req
            .by
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(String::from),
        date: date.map(|d| match d.parse::<toml::value::Datetime>() {
            Ok(dt) => accept::AcceptDate::Date(dt),
            Err(_) => accept::AcceptDate::Text(d.to_string()),
        }),
        period: req.year,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(decision: Decision) -> DecisionRequest {
        DecisionRequest {
            unit: "411321-T03".into(),
            rule: "a02".into(),
            indicator: Some("ZF06".into()),
            decision,
            reason: "专项整治，案件增加属实".into(),
            by: Some("张三".into()),
            value: Some(40.0),
            date: Some("2025-01-20".into()),
            year: Some(2024),
        }
    }

    #[test]
    fn decisions_are_recorded_and_replaced_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accept.toml");
        let schema = Schema::default_schema();
        let (e, how) = record_decision(&path, &request(Decision::Accept), &schema).unwrap();
        assert_eq!(how, Recorded::Added);
        assert_eq!(e.rule, crate::codes::Code::A02);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "[[accept]]\nunit = \"411321-T03\"\nindicator = \"ZF06\"\nrule = \"A02\"\n\
             decision = \"accept\"\nvalue = 40.0\nreason = \"专项整治，案件增加属实\"\nby = \"张三\"\n\
             date = 2025-01-20\nperiod = 2024\n"
        );
        let mut r = request(Decision::Reject);
        r.reason = "台账只有12件，请核对后更正".into();
        let (_, how) = record_decision(&path, &r, &schema).unwrap();
        assert_eq!(how, Recorded::Replaced);
        let back = accept::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].decision, Decision::Reject);
        // what run --accept reads
        assert_eq!(crate::pipeline::load_acceptances(&path).unwrap(), back);
    }

    #[test]
    fn refusals_leave_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accept.toml");
        let schema = Schema::default_schema();
        let refused = |r: DecisionRequest| match record_decision(&path, &r, &schema) {
            Err(Error::Usage(m)) => m,
            other => panic!("{other:?}"),
        };
        let mut r = request(Decision::Accept);
        r.rule = "V25".into();
        assert!(refused(r).contains("是校验规则"));
        let mut r = request(Decision::Accept);
        r.indicator = Some("ZF99".into());
        assert!(refused(r).contains("没有指标或比率 ZF99"));
        let mut r = request(Decision::Accept);
        r.reason = "属实".into();
        assert!(refused(r).contains("--reason"));
        assert!(!path.exists());
        std::fs::write(&path, "[[accept]]\nunit = 1\n").unwrap();
        assert!(refused(request(Decision::Accept)).contains("请先改正该文件"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[[accept]]\nunit = 1\n"
        );
    }
}
