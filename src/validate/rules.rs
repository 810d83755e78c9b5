//! Schema rules on one submission: required cells (V01), indicators the unit's kind does not
//! report (V06), and every in-record and cross-period rule expression.

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::ingest::{Submission, Value};
use crate::registry::UnitKind;
use crate::schema::expr::{BinOp, Env, Expr};
use crate::schema::{Rule, RuleScope, Schema};
use crate::sheets::is_real_explanation;

use super::PriorValues;

/// What a rule expression can see of one unit.
pub(super) struct Context<'a> {
    pub sub: &'a Submission,
    pub file: &'a str,
    pub kind: UnitKind,
    pub villages: Option<u32>,
    pub prior: Option<&'a PriorValues>,
}

impl Env for Context<'_> {
    fn current(&self, code: &str) -> Option<f64> {
        match code {
            "expected" => Some(1.0),
            "villages" => self.villages.map(f64::from),
            _ => self.sub.number(code),
        }
    }

    fn prior(&self, code: &str) -> Option<f64> {
        self.prior.and_then(|p| p.get(code).copied())
    }
}

/// V01: an indicator the unit reports was left blank. Breakdown sub-fields may stay blank when
/// their total is 0 or blank; cells that already have a finding from the reader are not repeated.
pub(super) fn required(
    sub: &Submission,
    file: &str,
    schema: &Schema,
    kind: UnitKind,
    earlier: &[Diagnostic],
    out: &mut Vec<Diagnostic>,
) {
    let severity = schema.severity(Code::V01);
    for ind in schema.indicators.iter().filter(|i| i.reported_by(kind)) {
        let Some(cell) = sub.values.get(&ind.code) else {
            continue; // a missing row is reported by the reader (S06)
        };
        if cell.value != Value::Blank {
            continue;
        }
        let parent_empty = ind
            .parent
            .as_deref()
            .is_some_and(|p| sub.number(p).unwrap_or(0.0) == 0.0);
        let already = earlier.iter().any(|d| {
            d.location.sheet.as_deref() == Some(&cell.sheet) && d.location.cell == Some(cell.pos)
        });
        if parent_empty || already {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::V01,
                severity,
                Location::cell(file, cell.sheet.clone(), cell.pos),
                format!("“{}”（{}）未填写；没有发生的请填 0", ind.name, ind.code),
            )
            .with_indicator(&ind.code),
        );
    }
}

/// V06: a value for an indicator the unit's kind does not report; it is ignored in aggregation.
pub(super) fn applicability(
    sub: &Submission,
    file: &str,
    schema: &Schema,
    kind: UnitKind,
    out: &mut Vec<Diagnostic>,
) {
    let severity = schema.severity(Code::V06);
    for (code, cell) in &sub.values {
        let Some(ind) = schema.indicator(code) else {
            continue;
        };
        if ind.reported_by(kind) || cell.value.number().is_none_or(|v| v == 0.0) {
            continue;
        }
        out.push(
            Diagnostic::new(
                Code::V06,
                severity,
                Location::cell(file, cell.sheet.clone(), cell.pos),
                format!(
                    "“{}”（{}）不属于{}的填报范围，该数不纳入汇总",
                    ind.name,
                    code,
                    kind.label()
                ),
            )
            .with_indicator(code),
        );
    }
}

/// V67: 行政拘留 (ZF06H) reported by a unit that is not a police authority. The registry has no
/// "police" flag, so the unit's name decides: 公安 in the registry (or cover) name.
pub(super) fn police_detention(
    ctx: &Context,
    name: &str,
    schema: &Schema,
    out: &mut Vec<Diagnostic>,
) {
    const CODE: &str = "ZF06H";
    let Some(cell) = ctx.sub.values.get(CODE) else {
        return;
    };
    if cell.value.number().unwrap_or(0.0) <= 0.0 || name.contains("公安") {
        return;
    }
    let template = schema.template(Code::V67).unwrap_or_default();
    let mut d = Diagnostic::new(
        Code::V67,
        schema.severity(Code::V67),
        Location::cell(ctx.file, cell.sheet.clone(), cell.pos),
        render_message(template, ctx),
    )
    .with_indicator(CODE);
    d.explanation = ctx
        .sub
        .notes
        .get(CODE)
        .filter(|n| is_real_explanation(n))
        .cloned();
    out.push(d);
}

/// Evaluates every expression rule that applies to the unit.
pub(super) fn evaluate(ctx: &Context, schema: &Schema, out: &mut Vec<Diagnostic>) {
    for rule in &schema.rules {
        if let Some(d) = evaluate_one(ctx, rule) {
            out.push(with_correction(d, ctx, rule, schema));
        }
    }
}

/// The failing rule's likely wrong cell and value, when exactly one typing error explains it
/// ([`crate::anomaly::correct`]).
fn with_correction(d: Diagnostic, ctx: &Context, rule: &Rule, schema: &Schema) -> Diagnostic {
    let has_prior = ctx.prior.is_some();
    match crate::anomaly::correct::locate(rule, &schema.rules, ctx.kind, ctx, has_prior) {
        Some(c) => d.with_suggestion(c.text(schema)),
        None => d,
    }
}

fn evaluate_one(ctx: &Context, rule: &Rule) -> Option<Diagnostic> {
    let expr = &rule.expr;
    let applies = match rule.scope {
        RuleScope::InRecord => true,
        RuleScope::CrossPeriod => ctx.prior.is_some(),
    };
    if !applies || !(rule.kinds.is_empty() || rule.kinds.contains(&ctx.kind)) {
        return None;
    }
    if let Some(when) = &rule.when {
        if when.holds(ctx) != Some(true) {
            return None;
        }
    }
    if expr.holds(ctx) != Some(false) {
        return None; // holds, or could not be decided because an input is missing
    }
    // A rule of several checks (the "其中" rules: a <= x and b <= x …) is about the checks
    // that fail: the finding sits at the first failing part and its message names only those.
    let failing: Vec<&Expr> = conjuncts(expr)
        .into_iter()
        .filter(|c| c.holds(ctx) == Some(false))
        .collect();
    let parts: Vec<String> = failing
        .iter()
        .filter_map(|c| codes_in_order(c).into_iter().next())
        .collect();
    let mut codes = codes_in_order(expr);
    if let Some(first) = parts.first() {
        codes.retain(|c| c != first);
        codes.insert(0, first.clone());
    }
    let anchor = codes
        .iter()
        .find_map(|c| ctx.sub.values.get(c).map(|cell| (c, cell)));
    let location = match anchor {
        Some((_, cell)) => Location::cell(ctx.file, cell.sheet.clone(), cell.pos),
        None => Location::file(ctx.file),
    };
    let mut d = Diagnostic::new(
        rule.code,
        rule.severity,
        location,
        render_message(&focus_message(&rule.message, &parts), ctx),
    );
    if let Some((code, _)) = anchor {
        d = d.with_indicator(code.clone());
    }
    if rule.severity == Severity::Warning {
        d.explanation = codes
            .iter()
            .filter_map(|c| ctx.sub.notes.get(c))
            .find(|n| is_real_explanation(n))
            .cloned();
    }
    Some(d)
}

/// The checks of a conjunction (`a and b and c`), or the expression itself.
fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Binary(BinOp::And, a, b) => {
            let mut out = conjuncts(a);
            out.extend(conjuncts(b));
            out
        }
        e => vec![e],
    }
}

/// A message listing several checks after its "：" ("…超过总数：持证人数{ZF02}/执法人员{ZF01}，
/// 优秀案卷{ZF12}/评查案卷{ZF11}") keeps only the items naming a failing part; any other
/// message, or one where no item would be left, stays as it is. Items are split at "，", or at
/// "、" when the list has no "，".
fn focus_message(template: &str, parts: &[String]) -> String {
    let Some((head, list)) = template.split_once('：') else {
        return template.to_string();
    };
    let sep = if list.contains('，') { '，' } else { '、' };
    let items: Vec<&str> = list.split(sep).collect();
    if parts.is_empty() || items.len() < 2 {
        return template.to_string();
    }
    let kept: Vec<&str> = items
        .iter()
        .copied()
        .filter(|item| placeholders(item).iter().any(|c| parts.contains(c)))
        .collect();
    if kept.is_empty() || kept.len() == items.len() {
        return template.to_string();
    }
    format!("{head}：{}", kept.join(&sep.to_string()))
}

/// The codes of a message's `{X}` and `{prev.X}` placeholders.
fn placeholders(text: &str) -> Vec<String> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(key, _)| key.trim_start_matches("prev.").to_string())
        .collect()
}

/// Indicator codes in the order they appear in the expression (left to right), deduplicated.
pub(super) fn codes_in_order(expr: &Expr) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Ident(c) | Expr::Prev(c) => {
                if !out.contains(c) && c != "expected" && c != "villages" {
                    out.push(c.clone());
                }
            }
            Expr::Neg(x) | Expr::Not(x) => walk(x, out),
            Expr::Binary(_, a, b) => {
                walk(a, out);
                walk(b, out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| walk(a, out)),
            Expr::Number(_) => {}
        }
    }
    let mut out = Vec::new();
    walk(expr, &mut out);
    out
}

/// Replaces `{X}` with the unit's value of X and `{prev.X}` with its prior value ("空" when
/// missing).
pub(super) fn render_message(template: &str, env: &dyn Env) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let key = &rest[start + 1..start + len];
        let value = match key.strip_prefix("prev.") {
            Some(code) => env.prior(code),
            None => env.current(key),
        };
        out.push_str(&value.map_or_else(|| "空".to_string(), format_number));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// Integers without a decimal point, other numbers with up to 2 decimals.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Map(BTreeMap<&'static str, f64>);
    impl Env for Map {
        fn current(&self, c: &str) -> Option<f64> {
            self.0.get(c).copied()
        }
        fn prior(&self, c: &str) -> Option<f64> {
            self.0.get(c).map(|v| v - 1.0)
        }
    }

    #[test]
    fn multi_check_messages_name_the_failing_items() {
        let t = "执法“其中”项超过总数：持证人数{ZF02}/执法人员{ZF01}，优秀案卷{ZF12}/评查案卷{ZF11}，已整改问题{ZF14}/发现问题{ZF13}";
        assert_eq!(
            focus_message(t, &["ZF12".to_string()]),
            "执法“其中”项超过总数：优秀案卷{ZF12}/评查案卷{ZF11}"
        );
        let t = "重大行政决策的“其中”项超过决策总数{JC01}件：合法性审查{JC02}、公众参与{JC03}、专家论证{JC04}";
        assert_eq!(
            focus_message(t, &["JC03".to_string(), "JC04".to_string()]),
            "重大行政决策的“其中”项超过决策总数{JC01}件：公众参与{JC03}、专家论证{JC04}"
        );
        // a single check, or nothing known to fail: unchanged
        let one = "印发前经合法性审核的件数（{GF02}）大于制定印发件数（{GF01}）";
        assert_eq!(focus_message(one, &["GF02".to_string()]), one);
        assert_eq!(focus_message(t, &[]), t);
    }

    #[test]
    fn message_placeholders() {
        let env = Map(BTreeMap::from([("FY06", 12.0), ("FY03", 10.5)]));
        assert_eq!(
            render_message(
                "审结 {FY06} 件超过受理 {FY03}，上年 {prev.FY06}，{XX}",
                &env
            ),
            "审结 12 件超过受理 10.5，上年 11，空"
        );
        assert_eq!(render_message("未闭合 {FY06", &env), "未闭合 {FY06");
    }

    #[test]
    fn numbers() {
        assert_eq!(format_number(70.0), "70");
        assert_eq!(format_number(7610.5), "7610.5");
        assert_eq!(format_number(0.126), "0.13");
    }

    #[test]
    fn code_order_is_left_to_right() {
        let e = Expr::Binary(
            crate::schema::expr::BinOp::Le,
            Box::new(Expr::Ident("FY06".into())),
            Box::new(Expr::Binary(
                crate::schema::expr::BinOp::Add,
                Box::new(Expr::Ident("FY01".into())),
                Box::new(Expr::Ident("expected".into())),
            )),
        );
        assert_eq!(codes_in_order(&e), vec!["FY06", "FY01"]);
    }
}
