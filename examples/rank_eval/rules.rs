//! The schema's rules on the generated unit rows, as `run` applies them to submissions: a unit
//! with a failing error-level rule is held back (退回) and left out of the anomaly phase, and
//! the failing rule may carry the one typing fix that satisfies every rule
//! (`anomaly::correct::locate`, the 怎么改 of the 退回 workbook).

use huizong::aggregate::UnitRow;
use huizong::anomaly::correct;
use huizong::diagnostic::Severity;
use huizong::schema::expr::Env;
use huizong::schema::Schema;

/// What a rule sees of one unit: its values, last year's and the registry's village count.
struct RowEnv<'a> {
    row: &'a UnitRow,
    villages: Option<f64>,
}

impl Env for RowEnv<'_> {
    fn current(&self, code: &str) -> Option<f64> {
        match code {
            "expected" => Some(1.0),
            "villages" => self.villages,
            _ => self.row.values.get(code).copied(),
        }
    }
    fn prior(&self, code: &str) -> Option<f64> {
        self.row.prior.get(code).copied()
    }
}

/// A failing error-level rule of one unit.
pub struct RuleError {
    /// The rule's code (V14 …), for the harness's debugging output.
    pub rule: String,
    /// The fix `locate` proposes, if exactly one typing error explains the failure.
    pub fix: Option<(String, f64)>,
}

/// The failing error-level rules of `row`.
pub fn errors(schema: &Schema, row: &UnitRow, villages: Option<f64>) -> Vec<RuleError> {
    let env = RowEnv { row, villages };
    let has_prior = !row.prior.is_empty();
    schema
        .rules
        .iter()
        .filter(|r| r.severity == Severity::Error)
        .filter(|r| correct::applies(r, row.kind, &env, has_prior))
        .filter(|r| r.expr.holds(&env) == Some(false))
        .map(|r| RuleError {
            rule: r.code.to_string(),
            fix: correct::locate(r, &schema.rules, row.kind, &env, has_prior)
                .map(|c| (c.code, c.value)),
        })
        .collect()
}
