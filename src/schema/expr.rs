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
    pub fn parse(_text: &str, _codes: &[&str]) -> Result<Expr, ExprError> {
        todo!("expression parsing")
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
