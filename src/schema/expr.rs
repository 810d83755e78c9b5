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

    /// Evaluates to a number (booleans are 1/0); `None` = missing.
    pub fn eval(&self, _env: &dyn Env) -> Option<f64> {
        todo!("expression evaluation")
    }

    /// Evaluates as a condition; `None` = could not be decided (a missing operand).
    pub fn holds(&self, env: &dyn Env) -> Option<bool> {
        self.eval(env).map(|v| v != 0.0)
    }

    /// Every indicator code the expression reads (current or prior), sorted, deduplicated.
    pub fn codes(&self) -> Vec<String> {
        todo!("expression codes")
    }

    /// Whether the expression reads any prior-year value.
    pub fn uses_prev(&self) -> bool {
        todo!("expression prev detection")
    }
}
