//! What `huizong rule` prints and `docs/rules.md` holds: every code a run can emit, built-in
//! ([`super::TABLE`], with the schema's overrides applied) and the schema's expression rules, in
//! code order.

use std::fmt::Write as _;

use super::{Code, TABLE};
use crate::diagnostic::Severity;
use crate::schema::{RuleScope, Schema};

/// One explainable code.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    pub code: Code,
    pub severity: Severity,
    pub title: String,
    /// Condition, scope and message for expression rules, then the help text.
    pub detail: String,
    /// `程序内置（模块）` or `指标体系 <id>`.
    pub source: String,
}

/// Every code, sorted. Codes are unique by construction: the schema loader refuses an
/// expression rule under a built-in code.
pub fn all(schema: &Schema) -> Vec<Explained> {
    let mut out: Vec<Explained> = TABLE
        .iter()
        .map(|c| {
            let mut detail = String::new();
            if let Some(t) = schema.template(c.code) {
                let _ = writeln!(detail, "提示信息：{t}\n");
            }
            detail.push_str(c.help);
            Explained {
                code: c.code,
                severity: schema.severity(c.code),
                title: c.title.to_string(),
                detail,
                source: format!("程序内置（{}）", c.owner),
            }
        })
        .collect();
    out.extend(schema.rules.iter().map(|r| {
        let mut detail = String::new();
        let scope = match r.scope {
            RuleScope::CrossPeriod => "（跨期，需提供上年数据）",
            RuleScope::InRecord => "",
        };
        let _ = writeln!(detail, "条件：{}{scope}", r.expr_text);
        if !r.kinds.is_empty() {
            let kinds: Vec<&str> = r.kinds.iter().map(|k| k.label()).collect();
            let _ = writeln!(detail, "适用：{}", kinds.join("、"));
        }
        let _ = writeln!(detail, "提示信息：{}", r.message);
        if let Some(h) = &r.help {
            detail.push('\n');
            detail.push_str(h);
        }
        Explained {
            code: r.code,
            severity: r.severity,
            title: r.title.clone(),
            detail,
            source: format!("指标体系 {}", schema.id),
        }
    }));
    out.sort_by_key(|e| e.code);
    out
}

/// The one-code text of `huizong rule V25`.
pub fn render(e: &Explained) -> String {
    format!(
        "{} {}（{}）\n\n{}\n\n来源：{}\n",
        e.code,
        e.title,
        e.severity.label(),
        e.detail.trim_end(),
        e.source
    )
}

/// `docs/rules.md`: a table of every code, then each code's explanation.
pub fn markdown(schema: &Schema) -> String {
    let entries = all(schema);
    let mut s = String::from(
        "<!-- 由 `huizong rule --markdown > docs/rules.md` 生成，请勿手改；tests/codes.rs 检查它是否最新。 -->\n\
         # 检查规则一览\n\n\
         级别：**错误**（须改正；校验规则 S、N、V 的错误使该单位数据暂不汇总，异常提示 A04、A06 的错误在汇总之后才查出，数据已计入汇总，须尽快核实）、**警告**（在“说明”栏写明真实原因即可接受）、**提示**（无需处理）。\n\
         前缀：S 文件结构，N 数值规范化，V 审核规则，A 异常提示，X 程序内部错误。\n\n\
         | 代码 | 级别 | 名称 | 来源 |\n|---|---|---|---|\n",
    );
    for e in &entries {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            e.code,
            e.severity.label(),
            e.title,
            e.source
        );
    }
    for e in &entries {
        let _ = write!(
            s,
            "\n## {} {}（{}）\n\n{}\n",
            e.code,
            e.title,
            e.severity.label(),
            e.detail.trim_end().replace('\n', "\n\n")
        );
    }
    s
}
