//! Verification status of an anomaly (核实, as in 联网直报's 核实性审核): whether the unit
//! explained it in the row's 说明, the reviewer confirmed it, or the reviewer rejected it.
//!
//! | status | when | the unit must act |
//! |---|---|---|
//! | 待核实 | nobody settled it yet (and every error, even one the unit explained) | warning/error: yes |
//! | 已说明 | a warning or info on a unit × indicator row whose 说明 is a real explanation ([`crate::sheets::is_real_explanation`]) | no |
//! | 已确认 | the reviewer accepted it (`decision = "accept"` in the acceptance file) | no |
//! | 不予认可 | the reviewer rejected it (`decision = "reject"`), whatever the unit wrote | yes |
//!
//! Why an explained error stays 待核实: an error (A04 error level, A06) is an impossible or
//! duplicated value, which a note cannot make right; the note is still kept and shown, so the
//! reviewer sees what the unit said. Unit-level findings (A05 copied year, A06, unit-level A07)
//! have no row, so a row's 说明 never explains them; only the reviewer can settle them.
//!
//! The row of a rate finding (A04, A08 under a rate code) is the rate's own row when the unit
//! wrote a note there, else the first of its numerator and denominator rows with a real note,
//! as a rule warning is explained by any of the rows its expression reads.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::Finding;
use crate::diagnostic::Severity;
use crate::schema::Schema;
use crate::sheets::is_real_explanation;

/// The units' 说明 texts: unit code → indicator (or rate) code → text.
pub type Notes = BTreeMap<String, BTreeMap<String, String>>;

/// Where an anomaly stands in the verification (serialised as the Chinese word).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum Status {
    /// 待核实: open.
    #[default]
    #[serde(rename = "待核实")]
    Open,
    /// 已说明: the unit's own real explanation on the row.
    #[serde(rename = "已说明")]
    Explained,
    /// 已确认: the reviewer accepted it.
    #[serde(rename = "已确认")]
    Confirmed,
    /// 不予认可: the reviewer rejected the finding's explanation.
    #[serde(rename = "不予认可")]
    Rejected,
}

impl Status {
    /// The Chinese word shown in every output.
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "待核实",
            Status::Explained => "已说明",
            Status::Confirmed => "已确认",
            Status::Rejected => "不予认可",
        }
    }

    /// Settled: explained by the unit or confirmed by the reviewer.
    pub fn is_settled(self) -> bool {
        matches!(self, Status::Explained | Status::Confirmed)
    }
}

impl Finding {
    /// Whether the unit must still act on this finding: a warning or error that is neither
    /// explained nor confirmed (an info never goes to the unit).
    pub fn needs_action(&self) -> bool {
        self.severity != Severity::Info && !self.status.is_settled()
    }
}

/// The real explanation the unit wrote for a finding's row, if any (see the module doc for the
/// rows of a rate).
pub fn explanation_for<'a>(f: &Finding, notes: &'a Notes, schema: &Schema) -> Option<&'a str> {
    let (unit, code) = (f.unit.as_deref()?, f.indicator.as_deref()?);
    let rows = notes.get(unit)?;
    let real = |c: &str| {
        rows.get(c)
            .map(String::as_str)
            .filter(|n| is_real_explanation(n))
    };
    // A breakdown moves with its total: the total's 说明 explains it too.
    let parent = || real(schema.indicator(code)?.parent.as_deref()?);
    real(code).or_else(parent).or_else(|| {
        let rate = schema.rates.iter().find(|r| r.code == code)?;
        let mut inputs = rate.numerator.codes();
        inputs.extend(rate.denominator.codes());
        inputs.iter().find_map(|c| real(c))
    })
}

/// Records the unit's explanation on every finding of a unit × indicator row that has one; a
/// warning or info becomes 已说明, an error keeps 待核实 (module doc). Run before the
/// acceptances, which override it.
pub fn explain(findings: &mut [Finding], notes: &Notes, schema: &Schema) {
    if notes.is_empty() {
        return;
    }
    for f in findings.iter_mut() {
        if let Some(text) = explanation_for(f, notes, schema) {
            f.explanation = Some(text.trim().to_string());
            if f.severity != Severity::Error {
                f.status = Status::Explained;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;
    use crate::schema::{Expr, Rate};

    fn finding(code: Code, severity: Severity, unit: &str, indicator: Option<&str>) -> Finding {
        let mut f = Finding::new(code, severity, "m");
        f.unit = Some(unit.into());
        f.indicator = indicator.map(String::from);
        f
    }

    fn notes(rows: &[(&str, &str, &str)]) -> Notes {
        let mut n = Notes::new();
        for (u, c, t) in rows {
            n.entry(u.to_string())
                .or_default()
                .insert(c.to_string(), t.to_string());
        }
        n
    }

    fn schema_with_rate() -> Schema {
        let mut s = Schema::default_schema();
        s.rates = vec![Rate {
            code: "RZF01".into(),
            name: "持证率".into(),
            numerator: Expr::Ident("ZF02".into()),
            denominator: Expr::Ident("ZF01".into()),
            numerator_text: "ZF02".into(),
            denominator_text: "ZF01".into(),
            decimals: 2,
            unit: None,
            kinds: vec![],
        }];
        s
    }

    #[test]
    fn a_real_note_explains_warnings_of_its_row_only() {
        let n = notes(&[
            ("T01", "ZF06", "专项整治，案件增加属实"),
            ("T02", "ZF06", "核实无误"),
            ("T03", "ZF06", "专项整治，案件增加属实"),
        ]);
        let mut f = vec![
            finding(Code::A02, Severity::Warning, "T01", Some("ZF06")),
            // boilerplate does not count
            finding(Code::A02, Severity::Warning, "T02", Some("ZF06")),
            // another row of the same unit
            finding(Code::A02, Severity::Warning, "T01", Some("ZF07")),
            // unit-level: no row
            finding(Code::A05, Severity::Warning, "T01", None),
            // an error keeps its note but stays open
            finding(Code::A04, Severity::Error, "T03", Some("ZF06")),
        ];
        explain(&mut f, &n, &Schema::default_schema());
        let got: Vec<(Status, Option<&str>)> = f
            .iter()
            .map(|f| (f.status, f.explanation.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (Status::Explained, Some("专项整治，案件增加属实")),
                (Status::Open, None),
                (Status::Open, None),
                (Status::Open, None),
                (Status::Open, Some("专项整治，案件增加属实")),
            ]
        );
        assert!(!f[0].needs_action());
        assert!(f[1].needs_action() && f[3].needs_action() && f[4].needs_action());
    }

    #[test]
    fn a_rate_finding_is_explained_by_its_row_or_its_inputs() {
        let s = schema_with_rate();
        let n = notes(&[
            ("T01", "ZF01", "年中机构改革，人员划转"),
            ("T02", "RZF01", "按上级口径填写持证率"),
            ("T02", "ZF02", "另一行的说明文字"),
        ]);
        let mut f = vec![
            finding(Code::A08, Severity::Info, "T01", Some("RZF01")),
            finding(Code::A04, Severity::Warning, "T02", Some("RZF01")),
        ];
        explain(&mut f, &n, &s);
        assert_eq!(f[0].explanation.as_deref(), Some("年中机构改革，人员划转"));
        assert_eq!(f[1].explanation.as_deref(), Some("按上级口径填写持证率"));
        assert_eq!(f[1].status, Status::Explained);
    }

    #[test]
    fn statuses_serialise_as_chinese_words() {
        let words: Vec<String> = [
            Status::Open,
            Status::Explained,
            Status::Confirmed,
            Status::Rejected,
        ]
        .iter()
        .map(|s| serde_json::to_string(s).unwrap_or_default())
        .collect();
        assert_eq!(
            words,
            ["\"待核实\"", "\"已说明\"", "\"已确认\"", "\"不予认可\""]
        );
        for s in [Status::Open, Status::Rejected] {
            assert_eq!(
                format!("\"{}\"", s.label()),
                serde_json::to_string(&s).unwrap()
            );
        }
    }
}
