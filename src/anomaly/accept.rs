//! `accept.toml`: the "comply or explain" acceptances (docs/reference/anomaly-methods.md §3.5). A matching
//! warning or info finding is kept and shown with `accepted = true` and the reason, never
//! deleted; an acceptance that names a value is void once the value changes. Errors cannot be
//! accepted.
//!
//! ```toml
//! [[accept]]
//! unit      = "411321-T03"
//! indicator = "ZF06"          # `field` is accepted as an alias
//! rule      = "A02"
//! value     = 40              # optional: holds only while the value is unchanged
//! reason    = "2024年开展道路交通专项整治，案件数增加属实"
//! by        = "张三"           # optional
//! date      = 2025-01-20      # optional (TOML date or string)
//! ```

use serde::{Deserialize, Serialize};

use super::Finding;
use crate::codes::Code;
use crate::diagnostic::Severity;

/// One acceptance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    pub unit: String,
    /// The indicator; absent for unit-level rules (A05, A06).
    #[serde(default, alias = "field")]
    pub indicator: Option<String>,
    /// Anomaly code, e.g. `A02` (any case; an unknown code is refused when the file is read).
    pub rule: Code,
    pub reason: String,
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub date: Option<AcceptDate>,
    /// Report year the acceptance was written for (optional).
    #[serde(default)]
    pub period: Option<i32>,
}

/// A TOML date (`2025-01-20`) or a plain string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AcceptDate {
    Date(toml::value::Datetime),
    Text(String),
}

#[derive(Debug, Deserialize)]
struct AcceptFile {
    #[serde(default)]
    accept: Vec<Acceptance>,
}

/// Parses `accept.toml` text; the error message is Chinese and names the line.
pub fn parse(text: &str) -> Result<Vec<Acceptance>, String> {
    toml::from_str::<AcceptFile>(text)
        .map(|f| f.accept)
        .map_err(|e| format!("accept.toml 格式错误：{e}"))
}

/// Whether an acceptance is about this finding (unit, rule, indicator and, if given, year).
fn matches(a: &Acceptance, f: &Finding, year: Option<i32>) -> bool {
    f.unit.as_deref() == Some(a.unit.as_str())
        && f.code == a.rule
        && (a.indicator.is_none() || a.indicator == f.indicator)
        && (a.period.is_none() || year.is_none() || a.period == year)
}

/// Marks matching findings accepted; an acceptance for another value voids (noted in
/// `accept_void`). Errors stay unaccepted.
pub fn apply(findings: &mut [Finding], acceptances: &[Acceptance], year: Option<i32>) {
    for f in findings.iter_mut() {
        let Some(a) = acceptances.iter().find(|a| matches(a, f, year)) else {
            continue;
        };
        if f.severity == Severity::Error {
            f.accept_void = Some("错误不能以说明方式接受，须由单位更正".to_string());
            continue;
        }
        match (a.value, f.value) {
            (Some(v), Some(x)) if (v - x).abs() > 1e-6 * v.abs().max(1.0) => {
                f.accept_void = Some(format!(
                    "说明针对的数值为 {}，现为 {}，说明已失效",
                    super::fmt_num(v),
                    super::fmt_num(x)
                ));
            }
            _ => {
                f.accepted = true;
                f.accept_reason = Some(a.reason.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;

    fn finding(code: Code, severity: Severity, value: f64) -> Finding {
        let mut f = Finding::new(code, severity, "m");
        f.unit = Some("T01".into());
        f.indicator = Some("ZF06".into());
        f.value = Some(value);
        f
    }

    #[test]
    fn errors_and_other_years_are_not_accepted() {
        let a = parse(
            "[[accept]]\nunit = \"T01\"\nfield = \"ZF06\"\nrule = \"A04\"\nreason = \"r\"\nperiod = 2023\n\n\
             [[accept]]\nunit = \"T01\"\nindicator = \"ZF06\"\nrule = \"A02\"\nreason = \"属实\"\nperiod = 2024\ndate = \"2025年1月\"",
        )
        .unwrap();
        assert_eq!(a[1].date, Some(AcceptDate::Text("2025年1月".into())));
        let mut f = vec![
            finding(Code::A04, Severity::Error, 90.0),
            finding(Code::A02, Severity::Warning, 40.0),
        ];
        apply(&mut f, &a, Some(2023));
        assert!(!f[0].accepted);
        assert!(f[0].accept_void.as_deref().unwrap().contains("错误不能"));
        assert!(
            !f[1].accepted,
            "acceptance written for 2024 does not hold in 2023"
        );
        apply(&mut f, &a, Some(2024));
        assert!(f[1].accepted);
        assert_eq!(f[1].accept_reason.as_deref(), Some("属实"));
    }
}
