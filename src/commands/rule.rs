//! `huizong rule CODE` / `huizong rule --all`: explain the checks, from the one list of each kind
//! (schema rules, reader codes, batch codes, anomaly codes).

use crate::cli::{Outcome, RuleArgs};
use crate::diagnostic::Severity;
use crate::schema::{RuleScope, Schema};
use crate::{Error, Result};

/// One explainable code, whatever module owns it.
struct Entry {
    code: String,
    severity: Severity,
    title: String,
    detail: String,
}

pub fn run(args: &RuleArgs) -> Result<Outcome> {
    let schema = Schema::load(args.schema.schema.as_deref())?;
    let entries = all_entries(&schema);
    match (&args.code, args.all) {
        (_, true) => {
            let list: String = entries
                .iter()
                .map(|e| format!("{}\t{}\t{}\n", e.code, e.severity.label(), e.title))
                .collect();
            crate::console::text(&list)?;
        }
        (Some(code), false) => {
            let want = code.trim().to_ascii_uppercase();
            let e = entries.iter().find(|e| e.code == want).ok_or_else(|| {
                Error::Usage(format!(
                    "没有规则 {code}；用 huizong rule --all 查看全部规则"
                ))
            })?;
            crate::outln!(
                "{} {}（{}）\n\n{}",
                e.code,
                e.title,
                e.severity.label(),
                e.detail.trim_end()
            )?;
        }
        (None, false) => {
            return Err(Error::Usage(
                "请给出规则代码（如 V25），或用 --all 列出全部规则".into(),
            ))
        }
    }
    Ok(Outcome::Clean)
}

fn all_entries(schema: &Schema) -> Vec<Entry> {
    let mut out: Vec<Entry> = schema
        .rules
        .iter()
        .map(|r| {
            let mut detail = String::new();
            if let Some(t) = &r.expr_text {
                let scope = match r.scope {
                    RuleScope::CrossPeriod => "（跨期，需提供上年数据）",
                    _ => "",
                };
                detail.push_str(&format!("条件：{t}{scope}\n"));
            }
            if !r.kinds.is_empty() {
                let kinds: Vec<&str> = r.kinds.iter().map(|k| k.label()).collect();
                detail.push_str(&format!("适用：{}\n", kinds.join("、")));
            }
            detail.push_str(&format!("提示信息：{}\n", r.message));
            if let Some(h) = &r.help {
                detail.push('\n');
                detail.push_str(h);
            }
            Entry {
                code: r.code.clone(),
                severity: r.severity,
                title: r.title.clone(),
                detail,
            }
        })
        .collect();
    let builtin = crate::validate::BatchCodes::ALL
        .iter()
        .chain(crate::anomaly::codes());
    out.extend(builtin.map(|(code, severity, title, help)| Entry {
        code: code.to_string(),
        severity: *severity,
        title: title.to_string(),
        detail: help.to_string(),
    }));
    out.extend(crate::ingest::codes::BUILTIN.iter().map(|c| Entry {
        code: c.code.to_string(),
        severity: c.severity,
        title: c.title.to_string(),
        detail: c.help.to_string(),
    }));
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out.dedup_by(|a, b| a.code == b.code);
    out
}
