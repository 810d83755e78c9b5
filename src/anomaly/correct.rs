//! Where a rule fails, the likely wrong cell and the value that would satisfy every rule
//! (Fellegi–Holt error localisation with one changed cell, and the typing-error checks of R's
//! deducorrect: transposed adjacent digits, a dropped or doubled zero, a sign flip).
//!
//! For each current-year cell the failing rule reads, each typing-error variant of its value is
//! tried: the variant must make the failing rule hold and leave no applicable rule that reads
//! the cell false. A suggestion is made only when exactly one (cell, value) pair passes: two
//! possible corrections are a guess, and the clerk's own check is better than a guess. The text
//! goes on the rule's `Diagnostic::suggestion` (shown under 怎么改 in the 退回 workbook); the
//! value is never applied.

use crate::registry::UnitKind;
use crate::schema::expr::Env;
use crate::schema::{Rule, RuleScope, Schema};

/// One candidate correction.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    pub code: String,
    pub value: f64,
    /// Why this value: 数字顺序颠倒, 多输了一个0 …
    pub reason: &'static str,
}

impl Correction {
    /// The suggestion text, e.g. `ZF06B（罚款）可能应为 322（数字顺序颠倒），改后相关校验均能通过`.
    pub fn text(&self, schema: &Schema) -> String {
        let name = schema
            .indicator(&self.code)
            .map(|i| format!("（{}）", i.name))
            .unwrap_or_default();
        format!(
            "{}{name}可能应为 {}（{}），改后相关校验均能通过",
            self.code,
            super::fmt_num(self.value),
            self.reason
        )
    }
}

/// The environment with one cell's current value replaced.
struct With<'a> {
    base: &'a dyn Env,
    code: &'a str,
    value: f64,
}

impl Env for With<'_> {
    fn current(&self, code: &str) -> Option<f64> {
        if code == self.code {
            Some(self.value)
        } else {
            self.base.current(code)
        }
    }
    fn prior(&self, code: &str) -> Option<f64> {
        self.base.prior(code)
    }
}

/// Typing-error variants of a value: adjacent digits swapped, ×10, ÷10 (a trailing zero), the
/// sign flipped.
pub fn variants(v: f64) -> Vec<(f64, &'static str)> {
    let mut out = Vec::new();
    if v.fract() == 0.0 && v.abs() < 1e12 {
        let s = format!("{:.0}", v.abs());
        let b = s.as_bytes();
        for i in 0..b.len().saturating_sub(1) {
            if b[i] == b[i + 1] || (i == 0 && b[i + 1] == b'0') {
                continue;
            }
            let mut t = b.to_vec();
            t.swap(i, i + 1);
            if let Some(w) = std::str::from_utf8(&t)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
            {
                out.push((w.copysign(v), "数字顺序颠倒"));
            }
        }
        if v != 0.0 {
            out.push((v * 10.0, "疑似少输了一位数"));
            if (v / 10.0).fract() == 0.0 {
                out.push((v / 10.0, "疑似多输了一个0"));
            }
        }
    }
    if v < 0.0 {
        out.push((-v, "正负号填反"));
    }
    out
}

/// Whether `rule` applies to a unit of `kind` under `env` (kinds, scope, `when`).
fn applies(rule: &Rule, kind: UnitKind, env: &dyn Env, has_prior: bool) -> bool {
    (rule.kinds.is_empty() || rule.kinds.contains(&kind))
        && (rule.scope == RuleScope::InRecord || has_prior)
        && rule
            .when
            .as_ref()
            .is_none_or(|w| w.holds(env) == Some(true))
}

/// The one correction of a single cell that makes `failing` hold without breaking any other
/// applicable rule reading that cell; `None` when there is none or more than one.
pub fn locate(
    failing: &Rule,
    rules: &[Rule],
    kind: UnitKind,
    env: &dyn Env,
    has_prior: bool,
) -> Option<Correction> {
    let mut found: Vec<Correction> = Vec::new();
    let mut codes = failing.expr.codes();
    codes.dedup();
    for code in codes
        .iter()
        .filter(|c| !matches!(c.as_str(), "expected" | "villages"))
    {
        let Some(v) = env.current(code) else { continue };
        for (w, reason) in variants(v) {
            let fixed = With {
                base: env,
                code,
                value: w,
            };
            if failing.expr.holds(&fixed) != Some(true) {
                continue;
            }
            let breaks_other = rules.iter().any(|r| {
                r.expr.codes().iter().any(|c| c == code)
                    && applies(r, kind, &fixed, has_prior)
                    && r.expr.holds(&fixed) == Some(false)
            });
            if !breaks_other && !found.iter().any(|f| f.code == *code && f.value == w) {
                found.push(Correction {
                    code: code.clone(),
                    value: w,
                    reason,
                });
            }
        }
        if found.len() > 1 {
            return None;
        }
    }
    found.pop()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Vals(BTreeMap<&'static str, f64>);
    impl Env for Vals {
        fn current(&self, code: &str) -> Option<f64> {
            self.0.get(code).copied()
        }
        fn prior(&self, _: &str) -> Option<f64> {
            None
        }
    }

    fn rule(expr: &str, codes: &[&str]) -> Rule {
        let schema = Schema::default_schema();
        let mut r = schema.rules[0].clone();
        r.expr = crate::schema::Expr::parse(expr, codes).unwrap();
        r.when = None;
        r.kinds = Vec::new();
        r.scope = RuleScope::InRecord;
        r
    }

    #[test]
    fn variants_cover_the_typing_errors() {
        let v: Vec<f64> = variants(232.0).into_iter().map(|x| x.0).collect();
        assert_eq!(v, [322.0, 223.0, 2320.0]);
        let v: Vec<f64> = variants(120.0).into_iter().map(|x| x.0).collect();
        assert_eq!(v, [210.0, 102.0, 1200.0, 12.0]);
        assert!(variants(-5.0).contains(&(5.0, "正负号填反")));
        assert!(variants(1.5).is_empty());
    }

    #[test]
    fn a_transposed_part_is_located_and_a_near_miss_is_not() {
        let codes = ["T", "A", "B", "C"];
        let sum = rule("T == A + B + C", &codes);
        let part = rule("B <= T", &codes);
        let rules = vec![sum.clone(), part];
        let env = Vals(BTreeMap::from([
            ("T", 500.0),
            ("A", 100.0),
            ("B", 232.0),
            ("C", 78.0),
        ]));
        let c = locate(&sum, &rules, UnitKind::Department, &env, false).unwrap();
        assert_eq!(
            (c.code.as_str(), c.value, c.reason),
            ("B", 322.0, "数字顺序颠倒")
        );
        // Off by 91 instead of 90: no single typing error explains it.
        let env = Vals(BTreeMap::from([
            ("T", 501.0),
            ("A", 100.0),
            ("B", 232.0),
            ("C", 78.0),
        ]));
        assert_eq!(
            locate(&sum, &rules, UnitKind::Department, &env, false),
            None
        );
    }

    #[test]
    fn a_dropped_digit_is_located_unless_two_cells_could_be_it() {
        let codes = ["T", "A", "B"];
        let sum = rule("T == A + B", &codes);
        let rules = vec![sum.clone()];
        let env = Vals(BTreeMap::from([("T", 560.0), ("A", 506.0), ("B", 54.0)]));
        let env_bad = Vals(BTreeMap::from([("T", 56.0), ("A", 506.0), ("B", 54.0)]));
        let c = locate(&sum, &rules, UnitKind::Department, &env_bad, false).unwrap();
        assert_eq!((c.code.as_str(), c.value), ("T", 560.0));
        assert_eq!(
            locate(&sum, &rules, UnitKind::Department, &env, false),
            None,
            "holds"
        );
        let env = Vals(BTreeMap::from([("T", 20.0), ("A", 10.0), ("B", 1.0)]));
        // B ×10 = 10 → 10 + 10 = 20 holds; A … 1 + 10 ≠ 20; T ÷10 = 2 ≠ 11: exactly one.
        assert_eq!(
            locate(&sum, &rules, UnitKind::Department, &env, false).map(|c| c.code),
            Some("B".to_string())
        );
        let env = Vals(BTreeMap::from([("T", 110.0), ("A", 10.0), ("B", 10.0)]));
        // A ×10 or B ×10 both give 110: two corrections, no suggestion.
        assert_eq!(
            locate(&sum, &rules, UnitKind::Department, &env, false),
            None
        );
    }
}
