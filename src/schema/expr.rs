//! The rule expression language: `FY06 <= FY01 + FY03`, `ZF06 == 0 or ZF07 > 0`,
//! `sum(ZF06A..ZF06I) == ZF06`, `prev.GF07 + GF01 - GF06`, with missing-value semantics
//! (any missing operand makes the result missing, except inside `is_missing`/`coalesce`).
//! Equalities and inequalities allow a small tolerance so amounts with 2 decimals compare
//! exactly as people expect.

use serde::{Deserialize, Serialize};

/// A parse error with a 0-based character offset into the expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
    And,
    Or,
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    Number(f64),
    /// An indicator of the current year, or a built-in name (`villages`, `expected`).
    Ident(String),
    /// The same indicator in the prior year.
    Prev(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// Function call: `sum`, `min`, `max`, `abs`, `coalesce`, `is_missing`, `if`.
    Call(String, Vec<Expr>),
}

/// Values the evaluator needs: current and prior-year values by code. `None` = missing (blank,
/// not applicable or not reported).
pub trait Env {
    fn current(&self, code: &str) -> Option<f64>;
    fn prior(&self, code: &str) -> Option<f64>;
}

impl Expr {
    /// Parses expression text. Ranges like `ZF06A..ZF06I` inside `sum(...)` are expanded against
    /// `codes` (the schema's indicator codes, in template order).
    /// Identifiers are checked for form only (`FY06`, `prev.GF07`, `villages`, `expected`);
    /// whether a code exists is the schema loader's job (see [`super::parser::parse`], which also
    /// returns where each identifier was written).
    pub fn parse(text: &str, codes: &[&str]) -> Result<Expr, ExprError> {
        super::parser::parse(text, codes).map(|(expr, _)| expr)
    }

    /// Evaluates to a number (booleans are 1/0); `None` = missing. Any missing operand makes
    /// the result missing, except inside `is_missing`, `coalesce` and `if`; division by zero is
    /// missing too (not an error).
    pub fn eval(&self, env: &dyn Env) -> Option<f64> {
        match self {
            Expr::Number(v) => Some(*v),
            Expr::Ident(code) => env.current(code),
            Expr::Prev(code) => env.prior(code),
            Expr::Neg(e) => e.eval(env).map(|v| -v),
            Expr::Not(e) => e.eval(env).map(|v| bool_num(v == 0.0)),
            Expr::Binary(op, a, b) => eval_binary(*op, a, b, env),
            Expr::Call(name, args) => eval_call(name, args, env),
        }
    }

    /// Evaluates as a condition; `None` = could not be decided (a missing operand).
    pub fn holds(&self, env: &dyn Env) -> Option<bool> {
        self.eval(env).map(|v| v != 0.0)
    }

    /// Every indicator code the expression reads (current or prior), sorted, deduplicated.
    pub fn codes(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.visit(&mut |e| match e {
            Expr::Ident(c) | Expr::Prev(c) => out.push(c.clone()),
            _ => {}
        });
        out.sort();
        out.dedup();
        out
    }

    /// Whether the expression reads any prior-year value.
    pub fn uses_prev(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::Prev(_)));
        found
    }

    /// Calls `f` on this node and every node below it.
    fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Neg(e) | Expr::Not(e) => e.visit(f),
            Expr::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.visit(f)),
            Expr::Number(_) | Expr::Ident(_) | Expr::Prev(_) => {}
        }
    }
}

/// Comparison tolerance: amounts carry 2 decimals, and sums of them pick up binary rounding noise.
const TOLERANCE: f64 = 1e-6;

fn bool_num(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

fn eval_binary(op: BinOp, a: &Expr, b: &Expr, env: &dyn Env) -> Option<f64> {
    let (x, y) = (a.eval(env)?, b.eval(env)?);
    let tol = TOLERANCE * x.abs().max(y.abs()).max(1.0);
    Some(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div if y == 0.0 => return None,
        BinOp::Div => x / y,
        BinOp::Lt => bool_num(x < y - tol),
        BinOp::Le => bool_num(x <= y + tol),
        BinOp::Eq => bool_num((x - y).abs() <= tol),
        BinOp::Ne => bool_num((x - y).abs() > tol),
        BinOp::Ge => bool_num(x + tol >= y),
        BinOp::Gt => bool_num(x > y + tol),
        BinOp::And => bool_num(x != 0.0 && y != 0.0),
        BinOp::Or => bool_num(x != 0.0 || y != 0.0),
    })
}

fn eval_call(name: &str, args: &[Expr], env: &dyn Env) -> Option<f64> {
    match name {
        "is_missing" => Some(bool_num(args.first()?.eval(env).is_none())),
        "coalesce" => args.iter().find_map(|a| a.eval(env)),
        "if" => match args {
            [c, t, e] => {
                if c.eval(env)? != 0.0 {
                    t.eval(env)
                } else {
                    e.eval(env)
                }
            }
            _ => None,
        },
        "abs" => args.first()?.eval(env).map(f64::abs),
        "sum" | "min" | "max" => {
            let vals = args
                .iter()
                .map(|a| a.eval(env))
                .collect::<Option<Vec<f64>>>()?;
            match name {
                "sum" => Some(vals.iter().sum()),
                "min" => vals.into_iter().reduce(f64::min),
                _ => vals.into_iter().reduce(f64::max),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const CODES: [&str; 6] = ["ZF06", "ZF06A", "ZF06B", "ZF06C", "ZF07", "GF07"];

    fn p(text: &str) -> Expr {
        match Expr::parse(text, &CODES) {
            Ok(e) => e,
            Err(e) => panic!("{text}: {e:?}"),
        }
    }

    fn perr(text: &str) -> ExprError {
        match Expr::parse(text, &CODES) {
            Ok(e) => panic!("{text} parsed as {e:?}"),
            Err(e) => e,
        }
    }

    fn id(c: &str) -> Box<Expr> {
        Box::new(Expr::Ident(c.to_string()))
    }

    fn num(v: f64) -> Box<Expr> {
        Box::new(Expr::Number(v))
    }

    fn bin(op: BinOp, a: Box<Expr>, b: Box<Expr>) -> Box<Expr> {
        Box::new(Expr::Binary(op, a, b))
    }

    struct Vals {
        cur: BTreeMap<&'static str, f64>,
        prior: BTreeMap<&'static str, f64>,
    }

    impl Env for Vals {
        fn current(&self, code: &str) -> Option<f64> {
            self.cur.get(code).copied()
        }
        fn prior(&self, code: &str) -> Option<f64> {
            self.prior.get(code).copied()
        }
    }

    fn env(cur: &[(&'static str, f64)], prior: &[(&'static str, f64)]) -> Vals {
        Vals {
            cur: cur.iter().copied().collect(),
            prior: prior.iter().copied().collect(),
        }
    }

    fn eval(text: &str, e: &Vals) -> Option<f64> {
        p(text).eval(e)
    }

    #[test]
    fn multiplication_binds_tighter_than_addition() {
        assert_eq!(
            p("1 + 2 * 3"),
            *bin(BinOp::Add, num(1.0), bin(BinOp::Mul, num(2.0), num(3.0)))
        );
        assert_eq!(eval("1 + 2 * 3", &env(&[], &[])), Some(7.0));
        assert_eq!(eval("(1 + 2) * 3", &env(&[], &[])), Some(9.0));
    }

    #[test]
    fn subtraction_is_left_associative() {
        assert_eq!(eval("10 - 3 - 2", &env(&[], &[])), Some(5.0));
        assert_eq!(eval("12 / 3 / 2", &env(&[], &[])), Some(2.0));
    }

    #[test]
    fn and_binds_tighter_than_or_and_comparison_tighter_than_and() {
        assert_eq!(
            p("ZF06 == 0 and ZF07 == 0 or ZF06 > 0"),
            *bin(
                BinOp::Or,
                bin(
                    BinOp::And,
                    bin(BinOp::Eq, id("ZF06"), num(0.0)),
                    bin(BinOp::Eq, id("ZF07"), num(0.0)),
                ),
                bin(BinOp::Gt, id("ZF06"), num(0.0)),
            )
        );
    }

    #[test]
    fn not_and_unary_minus() {
        assert_eq!(
            p("not ZF06 > 0"),
            Expr::Not(bin(BinOp::Gt, id("ZF06"), num(0.0)))
        );
        assert_eq!(eval("-2 * -3", &env(&[], &[])), Some(6.0));
        assert_eq!(eval("not 0 and not 0", &env(&[], &[])), Some(1.0));
    }

    #[test]
    fn prev_and_builtins() {
        let e = p("GF07 == prev.GF07 + villages - expected");
        assert!(e.uses_prev());
        assert_eq!(e.codes(), vec!["GF07", "expected", "villages"]);
        assert!(!p("GF07 >= 0").uses_prev());
    }

    #[test]
    fn range_expands_in_schema_order() {
        assert_eq!(
            p("sum(ZF06A..ZF06C)"),
            Expr::Call("sum".into(), vec![*id("ZF06A"), *id("ZF06B"), *id("ZF06C")])
        );
        let e = env(
            &[
                ("ZF06A", 1.0),
                ("ZF06B", 2.0),
                ("ZF06C", 4.0),
                ("ZF06", 7.0),
            ],
            &[],
        );
        assert_eq!(eval("sum(ZF06A..ZF06C) == ZF06", &e), Some(1.0));
        assert_eq!(eval("sum(ZF06A..ZF06B, 10)", &e), Some(13.0));
    }

    #[test]
    fn range_errors_point_at_the_bad_end() {
        let e = perr("sum(ZF06A..ZF06Z)");
        assert_eq!(e.offset, 11);
        assert!(e.message.contains("ZF06Z"), "{}", e.message);
        let e = perr("sum(ZF06C..ZF06A)");
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("顺序颠倒"), "{}", e.message);
        let e = perr("abs(ZF06A..ZF06B)");
        assert!(e.message.contains("只能用在"), "{}", e.message);
    }

    #[test]
    fn syntax_errors_carry_char_offsets_and_chinese_messages() {
        let cases: [(&str, usize, &str); 12] = [
            ("", 0, "为空"),
            ("ZF06 +", 6, "不完整"),
            ("ZF06 = 0", 5, "=="),
            ("(ZF06 + 1", 9, "右括号"),
            ("ZF06 ZF07", 5, "多余"),
            ("0 <= ZF06 <= 5", 10, "连写"),
            ("foo(ZF06)", 0, "未知的函数"),
            ("abs(ZF06, ZF07)", 0, "1 个参数"),
            ("ZF06 && ZF07", 5, "and"),
            ("规范 > 0", 0, "无法识别的字符"),
            ("zf06 > 0", 0, "无法识别的名称"),
            ("prev.villages", 5, "prev."),
        ];
        for (text, offset, needle) in cases {
            let e = perr(text);
            assert_eq!(e.offset, offset, "{text}: {e:?}");
            assert!(e.message.contains(needle), "{text}: {}", e.message);
        }
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        // The full-width parenthesis is 3 bytes in UTF-8 but one character.
        let e = perr("ZF06 + （ZF07)");
        assert_eq!(e.offset, 7);
        assert!(e.message.contains("半角"), "{}", e.message);
    }

    #[test]
    fn missing_operand_makes_the_result_missing() {
        let e = env(&[("ZF06", 3.0)], &[]);
        assert_eq!(eval("ZF06 + ZF07", &e), None);
        assert_eq!(eval("ZF06 > 0 or ZF07 == 0", &e), None);
        assert_eq!(p("ZF07 == 0").holds(&e), None);
        assert_eq!(eval("sum(ZF06, ZF07)", &e), None);
        assert_eq!(eval("prev.ZF06", &e), None);
    }

    #[test]
    fn missing_aware_functions() {
        let e = env(&[("ZF06", 3.0)], &[("GF07", 5.0)]);
        assert_eq!(eval("is_missing(ZF07)", &e), Some(1.0));
        assert_eq!(eval("is_missing(ZF06)", &e), Some(0.0));
        assert_eq!(eval("coalesce(ZF07, ZF06, 9)", &e), Some(3.0));
        assert_eq!(eval("coalesce(ZF07 <= 1, 1)", &e), Some(1.0));
        assert_eq!(eval("if(ZF06 > 2, prev.GF07, ZF07)", &e), Some(5.0));
        assert_eq!(eval("if(ZF07 > 2, 1, 0)", &e), None);
    }

    #[test]
    fn division_by_zero_is_missing_and_comparisons_tolerate_rounding() {
        let e = env(&[("ZF06", 0.0), ("ZF07", 0.3)], &[]);
        assert_eq!(eval("ZF07 / ZF06", &e), None);
        assert_eq!(eval("0.1 + 0.2 == ZF07", &e), Some(1.0));
        assert_eq!(eval("0.1 + 0.2 > ZF07", &e), Some(0.0));
        assert_eq!(eval("min(3, 1, 2) + max(1, 5) + abs(-2)", &e), Some(8.0));
    }
}
