//! The acceptance file (`accept.toml`): the reviewer's decisions on anomalies, "comply or
//! explain" (docs/reference/anomaly-methods.md §3.5; the format and the commands are in
//! docs/acceptance.md). A matching finding is kept and shown, never deleted:
//! `decision = "accept"` (the default, so older files read as before) makes a warning or info
//! 已确认 (`accepted = true` and the reason); `decision = "reject"` makes any finding 不予认可,
//! even one the unit explained, and its reason goes back to the unit as the 审核意见. A decision
//! that names a value is void once the value changes. Errors cannot be accepted (they must be
//! corrected), only rejected.
//!
//! ```toml
//! [[accept]]
//! unit      = "411321-T03"
//! indicator = "ZF06"          # `field` is accepted as an alias
//! rule      = "A02"
//! decision  = "accept"        # or "reject"; optional, default "accept"
//! value     = 40              # optional: holds only while the value is unchanged
//! reason    = "2024年开展道路交通专项整治，案件数增加属实"
//! by        = "张三"           # optional
//! date      = 2025-01-20      # optional (TOML date or string)
//! period    = 2024            # optional: the report year it was written for
//! ```
//!
//! `huizong accept` and `huizong reject` edit the file through [`record`]: the entry for the
//! same unit, rule, indicator and year is replaced, any other is kept, and the file is written
//! back in one fixed layout (entries in their order, fields in the order above, no comments).

use serde::{Deserialize, Serialize};

use super::status::Status;
use super::Finding;
use crate::codes::Code;
use crate::diagnostic::Severity;

/// What the reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// 已确认: the value is right (the unit's explanation, or the reviewer's own check).
    #[default]
    Accept,
    /// 不予认可: the explanation does not hold; the unit must correct or explain better.
    Reject,
}

impl Decision {
    /// "确认" / "不予认可", as the commands print it.
    pub fn label(self) -> &'static str {
        match self {
            Decision::Accept => "确认",
            Decision::Reject => "不予认可",
        }
    }
}

/// One decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    pub unit: String,
    /// The indicator; absent for unit-level rules (A05, A06).
    #[serde(default, alias = "field", skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    /// Anomaly code, e.g. `A02` (any case; an unknown code is refused when the file is read).
    pub rule: Code,
    #[serde(default)]
    pub decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<AcceptDate>,
    /// Report year the decision was written for (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<i32>,
}

impl Acceptance {
    /// Whether two entries decide the same thing (unit, rule, indicator, year): the one a new
    /// decision replaces.
    pub fn same_key(&self, other: &Acceptance) -> bool {
        self.unit == other.unit
            && self.rule == other.rule
            && self.indicator == other.indicator
            && self.period == other.period
    }
}

/// A TOML date (`2025-01-20`) or a plain string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AcceptDate {
    Date(toml::value::Datetime),
    Text(String),
}

#[derive(Debug, Serialize, Deserialize)]
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

/// The file text for these entries, in the one layout [`record`] writes.
pub fn render(entries: &[Acceptance]) -> Result<String, String> {
    toml::to_string(&AcceptFile {
        accept: entries.to_vec(),
    })
    .map_err(|e| format!("无法写出审核确认文件：{e}"))
}

/// What [`record`] did with the new entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Added,
    /// It replaced the entry for the same unit, rule, indicator and year.
    Replaced,
}

/// Adds `entry` to the file text `existing` (`None` or empty: a new file), replacing the entry
/// with the same key ([`Acceptance::same_key`]) in place; returns the new text.
pub fn record(existing: Option<&str>, entry: Acceptance) -> Result<(String, Recorded), String> {
    let mut entries = match existing {
        Some(text) if !text.trim().is_empty() => parse(text)?,
        _ => Vec::new(),
    };
    let how = match entries.iter_mut().find(|e| e.same_key(&entry)) {
        Some(old) => {
            *old = entry;
            Recorded::Replaced
        }
        None => {
            entries.push(entry);
            Recorded::Added
        }
    };
    Ok((render(&entries)?, how))
}

/// Whether a reviewer may decide on `rule` (for `huizong accept`/`reject`): only anomaly
/// codes of the table; unit-level ones without an indicator, A09 (county level, no unit)
/// never; A06 (always an error) may be rejected, not accepted. The error text is Chinese.
pub fn check_rule(text: &str, indicator: Option<&str>, decision: Decision) -> Result<Code, String> {
    let unknown = || {
        format!(
            "没有代码 {text}；可确认或不予认可的是异常提示 A01–A12（huizong rule --all 列出全部代码）"
        )
    };
    let code = Code::parse(&text.trim().to_ascii_uppercase()).ok_or_else(unknown)?;
    if code.prefix() != b'A' {
        return Err(format!(
            "{code} 是校验规则，不是异常提示：只有异常提示（A01–A12）由审核人员确认或不予认可；\
             校验规则的警告请单位在该行“说明”栏写明原因，错误须由单位改正"
        ));
    }
    if code.info().is_none() {
        return Err(unknown());
    }
    if code == Code::A09 {
        return Err("A09 是全县汇总数变化的提示，不针对某个单位，不需要确认或不予认可".to_string());
    }
    if indicator.is_some() && matches!(code, Code::A05 | Code::A06) {
        return Err(format!(
            "{code} 针对整个单位，不针对某个指标：请去掉 --indicator"
        ));
    }
    if code == Code::A06 && decision == Decision::Accept {
        return Err(
            "A06（两个单位填报数据完全相同）是错误，不能确认，须由单位改正后重新报送".to_string(),
        );
    }
    Ok(code)
}

/// Whether a decision is about this finding (unit, rule, indicator and, if given, year).
fn matches(a: &Acceptance, f: &Finding, year: Option<i32>) -> bool {
    f.unit.as_deref() == Some(a.unit.as_str())
        && f.code == a.rule
        && (a.indicator.is_none() || a.indicator == f.indicator)
        && (a.period.is_none() || year.is_none() || a.period == year)
}

/// The decision for a finding: the most specific matching entry (one naming the indicator
/// before one for every indicator of the rule, one naming the year before one for any year),
/// the first in the file among equally specific ones.
fn decision_for<'a>(
    f: &Finding,
    acceptances: &'a [Acceptance],
    year: Option<i32>,
) -> Option<&'a Acceptance> {
    let specificity = |a: &Acceptance| (a.indicator.is_some(), a.period.is_some());
    acceptances
        .iter()
        .filter(|a| matches(a, f, year))
        .fold(None, |best: Option<&Acceptance>, a| match best {
            Some(b) if specificity(b) >= specificity(a) => Some(b),
            _ => Some(a),
        })
}

/// Applies the reviewer's decisions: an acceptance makes a warning or info 已确认, a rejection
/// makes any finding 不予认可; a decision for another value, or an acceptance of an error, is
/// void (noted in `accept_void`) and the finding keeps its status (已说明 or 待核实).
pub fn apply(findings: &mut [Finding], acceptances: &[Acceptance], year: Option<i32>) {
    for f in findings.iter_mut() {
        let Some(a) = decision_for(f, acceptances, year) else {
            continue;
        };
        if a.decision == Decision::Accept && f.severity == Severity::Error {
            f.accept_void = Some("错误不能以说明方式接受，须由单位更正".to_string());
            continue;
        }
        if let (Some(v), Some(x)) = (a.value, f.value) {
            if (v - x).abs() > 1e-6 * v.abs().max(1.0) {
                let whose = match a.decision {
                    Decision::Accept => "说明",
                    Decision::Reject => "审核意见",
                };
                f.accept_void = Some(format!(
                    "{whose}针对的数值为 {}，现为 {}，{whose}已失效",
                    super::fmt_num(v),
                    super::fmt_num(x)
                ));
                continue;
            }
        }
        match a.decision {
            Decision::Accept => {
                f.status = Status::Confirmed;
                f.accepted = true;
                f.accept_reason = Some(a.reason.clone());
            }
            Decision::Reject => {
                f.status = Status::Rejected;
                f.reject_reason = Some(a.reason.clone());
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

    fn entry(unit: &str, rule: Code, indicator: Option<&str>, decision: Decision) -> Acceptance {
        Acceptance {
            unit: unit.into(),
            indicator: indicator.map(String::from),
            rule,
            decision,
            value: None,
            reason: format!("{}的理由", decision.label()),
            by: None,
            date: None,
            period: None,
        }
    }

    #[test]
    fn a_rejection_overrides_the_units_explanation() {
        let mut f = vec![
            finding(Code::A02, Severity::Warning, 40.0),
            finding(Code::A04, Severity::Error, 90.0),
        ];
        f[0].status = Status::Explained;
        f[0].explanation = Some("专项整治，案件增加属实".into());
        let a = [
            entry("T01", Code::A02, Some("ZF06"), Decision::Reject),
            entry("T01", Code::A04, None, Decision::Reject),
        ];
        apply(&mut f, &a, Some(2024));
        assert_eq!(f[0].status, Status::Rejected);
        assert_eq!(f[0].reject_reason.as_deref(), Some("不予认可的理由"));
        assert_eq!(f[0].explanation.as_deref(), Some("专项整治，案件增加属实"));
        assert!(!f[0].accepted && f[0].accept_reason.is_none());
        assert!(f[0].needs_action());
        // an error can be rejected (not accepted)
        assert_eq!(f[1].status, Status::Rejected);
    }

    #[test]
    fn a_decision_for_another_value_is_void_and_the_status_stays() {
        let mut f = vec![
            finding(Code::A02, Severity::Warning, 41.0),
            finding(Code::A03, Severity::Warning, 41.0),
        ];
        f[0].status = Status::Explained;
        let mut reject = entry("T01", Code::A02, Some("ZF06"), Decision::Reject);
        reject.value = Some(40.0);
        let mut accept = entry("T01", Code::A03, Some("ZF06"), Decision::Accept);
        accept.value = Some(40.0);
        apply(&mut f, &[reject, accept], None);
        assert_eq!(f[0].status, Status::Explained);
        assert_eq!(
            f[0].accept_void.as_deref(),
            Some("审核意见针对的数值为 40，现为 41，审核意见已失效")
        );
        assert_eq!(f[1].status, Status::Open);
        assert!(!f[1].accepted);
        assert!(f[1].accept_void.as_deref().unwrap().starts_with("说明针对"));
    }

    #[test]
    fn the_most_specific_decision_wins() {
        let mut f = vec![finding(Code::A02, Severity::Warning, 40.0)];
        let a = [
            entry("T01", Code::A02, None, Decision::Accept),
            entry("T01", Code::A02, Some("ZF06"), Decision::Reject),
        ];
        apply(&mut f, &a, Some(2024));
        assert_eq!(f[0].status, Status::Rejected);
    }

    #[test]
    fn files_without_a_decision_read_as_acceptances() {
        let a = parse("[[accept]]\nunit = \"T01\"\nrule = \"a05\"\nreason = \"属实\"\n").unwrap();
        assert_eq!(a[0].decision, Decision::Accept);
        assert_eq!(a[0].rule, Code::A05);
        assert!(parse(
            "[[accept]]\nunit = \"T01\"\nrule = \"A05\"\nreason = \"x\"\ndecision = \"maybe\"\n"
        )
        .is_err());
    }

    #[test]
    fn recording_appends_or_replaces_and_keeps_the_rest() {
        let (text, how) = record(
            None,
            entry("T01", Code::A02, Some("ZF06"), Decision::Accept),
        )
        .unwrap();
        assert_eq!(how, Recorded::Added);
        assert_eq!(
            text,
            "[[accept]]\nunit = \"T01\"\nindicator = \"ZF06\"\nrule = \"A02\"\ndecision = \"accept\"\nreason = \"确认的理由\"\n"
        );
        let mut other = entry("T02", Code::A05, None, Decision::Accept);
        other.value = Some(40.0);
        other.by = Some("张三".into());
        other.period = Some(2024);
        let (text, how) = record(Some(&text), other).unwrap();
        assert_eq!(how, Recorded::Added);
        let (text, how) = record(
            Some(&text),
            entry("T01", Code::A02, Some("ZF06"), Decision::Reject),
        )
        .unwrap();
        assert_eq!(how, Recorded::Replaced);
        let back = parse(&text).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].decision, Decision::Reject);
        assert_eq!(back[0].reason, "不予认可的理由");
        assert_eq!(back[1].by.as_deref(), Some("张三"));
        assert_eq!(back[1].value, Some(40.0));
        // the same entries always give the same text
        assert_eq!(render(&back).unwrap(), text);
        // an older file with comments and an alias reads, and is written back plainly
        let old = "# 审核记录\n[[accept]]\nunit = \"T03\"\nfield = \"ZF07\"\nrule = \"A03\"\nreason = \"已电话核实\"\ndate = 2025-01-20\n";
        let (text, _) = record(
            Some(old),
            entry("T04", Code::A01, Some("ZF06"), Decision::Accept),
        )
        .unwrap();
        assert!(text.starts_with("[[accept]]\nunit = \"T03\"\nindicator = \"ZF07\"\nrule = \"A03\"\ndecision = \"accept\"\nreason = \"已电话核实\"\ndate = 2025-01-20\n"), "{text}");
        assert!(record(
            Some("[[accept]]\nunit = 1"),
            entry("T04", Code::A01, None, Decision::Accept)
        )
        .is_err());
    }

    #[test]
    fn only_anomaly_codes_can_be_decided() {
        let ok = |t: &str, i: Option<&str>, d: Decision| check_rule(t, i, d);
        assert_eq!(ok("a02", Some("ZF06"), Decision::Accept), Ok(Code::A02));
        assert_eq!(ok("A05", None, Decision::Accept), Ok(Code::A05));
        assert_eq!(ok("A06", None, Decision::Reject), Ok(Code::A06));
        for (t, i, d, words) in [
            ("V25", None, Decision::Accept, "是校验规则"),
            ("A13", None, Decision::Accept, "没有代码"),
            ("甲", None, Decision::Accept, "没有代码"),
            ("V03", None, Decision::Accept, "是校验规则"),
            ("S08", None, Decision::Reject, "是校验规则"),
            ("N03", None, Decision::Accept, "是校验规则"),
            ("A09", None, Decision::Accept, "全县"),
            ("A05", Some("ZF06"), Decision::Accept, "--indicator"),
            ("A06", None, Decision::Accept, "不能确认"),
        ] {
            let e = ok(t, i, d).unwrap_err();
            assert!(e.contains(words), "{t}: {e}");
        }
    }
}
