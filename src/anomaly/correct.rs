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
    /// Last year's value of the cell, when it chose between several possible fixes.
    pub prior: Option<f64>,
}

impl Correction {
    /// The suggestion text, e.g. `ZF06B（罚款）可能应为 322（数字顺序颠倒），改后相关校验均能通过`.
    pub fn text(&self, schema: &Schema) -> String {
        let name = schema
            .indicator(&self.code)
            .map(|i| format!("（{}）", i.name))
            .unwrap_or_default();
        let prior = self
            .prior
            .map(|p| format!("；上年为 {}", super::fmt_num(p)))
            .unwrap_or_default();
        format!(
            "{}{name}可能应为 {}（{}{prior}），改后相关校验均能通过",
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

/// Whether `rule` applies to a unit of `kind` under `env` (kinds, scope, `when`), as
/// `validate` decides it.
pub fn applies(rule: &Rule, kind: UnitKind, env: &dyn Env, has_prior: bool) -> bool {
    (rule.kinds.is_empty() || rule.kinds.contains(&kind))
        && (rule.scope == RuleScope::InRecord || has_prior)
        && rule
            .when
            .as_ref()
            .is_none_or(|w| w.holds(env) == Some(true))
}

/// The one correction of a single cell that makes `failing` hold without breaking any other
/// applicable rule reading that cell; `None` when there is none, or several and last year's
/// values do not tell them apart ([`by_prior`]).
pub fn locate(
    failing: &Rule,
    rules: &[Rule],
    kind: UnitKind,
    env: &dyn Env,
    has_prior: bool,
) -> Option<Correction> {
    // Candidates by tier: the common slips of `variants` first, a digit left out or added
    // only when no common slip fits.
    let mut found: [Vec<Correction>; 2] = [Vec::new(), Vec::new()];
    let mut codes = failing.expr.codes();
    codes.dedup();
    for code in codes
        .iter()
        .filter(|c| !matches!(c.as_str(), "expected" | "villages"))
    {
        let Some(v) = env.current(code) else { continue };
        for (w, reason, tier) in rule_variants(v) {
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
            let seen = found
                .iter()
                .flatten()
                .any(|f| f.code == *code && f.value == w);
            if !breaks_other && !seen {
                found[tier].push(Correction {
                    code: code.clone(),
                    value: w,
                    reason,
                    prior: None,
                });
            }
        }
    }
    let [common, rare] = found;
    let mut tier = if common.is_empty() { rare } else { common };
    match tier.len() {
        0 => None,
        1 => tier.pop(),
        _ => by_prior(tier, env),
    }
}

/// Several single-cell fixes satisfy the rules (a sum 45 short: 238 → 283 in one row, or
/// 27 → 72 in another): the unit's own last year decides when exactly one fix brings its cell
/// close to last year's value (within ±40 %) and every other fix leaves its cell clearly
/// further away. Distances are on the log scale, `|ln((w + 1)/(p + 1))|`; a cell without a
/// prior value cannot win.
fn by_prior(found: Vec<Correction>, env: &dyn Env) -> Option<Correction> {
    const CLOSE: f64 = 0.35;
    const MARGIN: f64 = 0.4;
    let mut scored: Vec<(f64, Correction)> = found
        .into_iter()
        .map(|c| {
            let d = env
                .prior(&c.code)
                .filter(|p| *p >= 0.0 && c.value >= 0.0)
                .map_or(f64::INFINITY, |p| ((c.value + 1.0) / (p + 1.0)).ln().abs());
            (d, c)
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (best, second) = (scored.first()?.0, scored.get(1)?.0);
    if best > CLOSE || second - best < MARGIN {
        return None;
    }
    let (_, mut c) = scored.swap_remove(0);
    c.prior = env.prior(&c.code);
    Some(c)
}

/// The variants a failing rule tries, with their tier: [`variants`] (tier 0), then a digit
/// left out (any digit inserted anywhere: 8 for 88, which ×10 cannot give) and a digit typed
/// twice or stray (any one digit removed), tier 1. The first reason of a value is kept.
fn rule_variants(v: f64) -> Vec<(f64, &'static str, usize)> {
    let mut out: Vec<(f64, &'static str, usize)> =
        variants(v).into_iter().map(|(w, r)| (w, r, 0)).collect();
    if v.fract() == 0.0 && (0.0..1e12).contains(&v) {
        let s = format!("{v:.0}");
        let mut more: Vec<(f64, &'static str)> = Vec::new();
        for i in 0..=s.len() {
            for d in '0'..='9' {
                let t = format!("{}{d}{}", &s[..i], &s[i..]);
                more.push((t.parse().unwrap_or(f64::NAN), "疑似漏输了一位数字"));
            }
        }
        for i in 0..s.len() {
            let t = format!("{}{}", &s[..i], &s[i + 1..]);
            more.push((t.parse().unwrap_or(f64::NAN), "疑似多输了一位数字"));
        }
        for (w, r) in more {
            let plain = w.is_finite() && (w == 0.0 || !format!("{w:.0}").starts_with('0'));
            if plain && w != v && !out.iter().any(|o| o.0 == w) {
                out.push((w, r, 1));
            }
        }
    }
    out
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

    struct WithPrior(BTreeMap<&'static str, f64>, BTreeMap<&'static str, f64>);
    impl Env for WithPrior {
        fn current(&self, code: &str) -> Option<f64> {
            self.0.get(code).copied()
        }
        fn prior(&self, code: &str) -> Option<f64> {
            self.1.get(code).copied()
        }
    }

    #[test]
    fn last_year_picks_between_two_swaps_that_both_fit() {
        let codes = ["T", "A", "B"];
        let sum = rule("T == A + B", &codes);
        let rules = vec![sum.clone()];
        // 45 short: B 238 → 283, or A 27 → 72. Last year B was 279 and A 25.
        let cur = BTreeMap::from([("T", 310.0), ("A", 27.0), ("B", 238.0)]);
        let env = WithPrior(cur.clone(), BTreeMap::from([("A", 25.0), ("B", 279.0)]));
        let c = locate(&sum, &rules, UnitKind::Department, &env, true).unwrap();
        assert_eq!(
            (c.code.as_str(), c.value, c.prior),
            ("B", 283.0, Some(279.0))
        );
        assert!(c
            .text(&Schema::default_schema())
            .contains("（数字顺序颠倒；上年为 279）"));
        // Without last year, or when last year fits both, there is no suggestion.
        assert_eq!(
            locate(
                &sum,
                &rules,
                UnitKind::Department,
                &Vals(cur.clone()),
                false
            ),
            None
        );
        let env = WithPrior(cur, BTreeMap::from([("A", 70.0), ("B", 280.0)]));
        assert_eq!(locate(&sum, &rules, UnitKind::Department, &env, true), None);
    }

    #[test]
    fn a_digit_left_out_is_found_when_no_common_slip_fits() {
        let codes = ["T", "A", "B"];
        let sum = rule("T == A + B", &codes);
        let rules = vec![sum.clone()];
        // 88 typed as 8: ×10 gives 80, one digit short of the sum; inserting 8 gives 88.
        let env = Vals(BTreeMap::from([("T", 100.0), ("A", 8.0), ("B", 12.0)]));
        let c = locate(&sum, &rules, UnitKind::Department, &env, false).unwrap();
        assert_eq!((c.code.as_str(), c.value), ("A", 88.0));
        assert_eq!(c.reason, "疑似漏输了一位数字");
        let v: Vec<f64> = rule_variants(12.0).iter().map(|x| x.0).collect();
        assert!(v.contains(&120.0) && v.contains(&102.0) && v.contains(&1.0) && v.contains(&2.0));
        assert!(
            !v.contains(&12.0),
            "the typed value itself is not a variant"
        );
    }
}
