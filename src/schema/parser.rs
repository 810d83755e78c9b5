//! Lexer and recursive-descent parser for the rule expression language (see [`super::expr`]).
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! or      := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | cmp
//! cmp     := add (("<" | "<=" | "==" | "!=" | ">=" | ">") add)?     -- never chained
//! add     := mul (("+" | "-") mul)*
//! mul     := unary (("*" | "/") unary)*
//! unary   := "-" unary | atom
//! atom    := NUMBER | CODE | builtin | "prev." CODE | "(" or ")" | NAME "(" args ")"
//! args    := arg ("," arg)*          arg := CODE ".." CODE | or
//! ```
//!
//! Offsets are 0-based character (not byte) offsets so a schema loader can add them to the
//! column of the string that holds the expression.

use super::expr::{BinOp, Expr, ExprError};

/// Built-in identifiers: `villages` (the unit's 村(社区) count from the registry) and `expected`
/// (1 for every unit expected to report).
pub const BUILTINS: [&str; 2] = ["villages", "expected"];

/// Functions and their arity (`None` = one or more arguments).
const FUNCTIONS: [(&str, Option<usize>); 7] = [
    ("sum", None),
    ("min", None),
    ("max", None),
    ("coalesce", None),
    ("abs", Some(1)),
    ("is_missing", Some(1)),
    ("if", Some(3)),
];

/// An identifier the expression reads, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentRef {
    /// The code or built-in name.
    pub name: String,
    /// 0-based character offset in the expression text.
    pub offset: usize,
    /// Read as `prev.X`.
    pub prev: bool,
}

/// Parses `text`, expanding `A..B` ranges against `codes`, and returns every identifier read.
pub fn parse(text: &str, codes: &[&str]) -> Result<(Expr, Vec<IdentRef>), ExprError> {
    let tokens = lex(text)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        codes,
        refs: Vec::new(),
        end: text.chars().count(),
    };
    if p.tokens.is_empty() {
        return Err(err(0, "表达式为空"));
    }
    let expr = p.or()?;
    if let Some(t) = p.peek() {
        return Err(err(
            t.offset,
            format!("表达式在此处应当结束，却出现了多余的“{}”", t.kind.text()),
        ));
    }
    Ok((expr, p.refs))
}

fn err(offset: usize, message: impl Into<String>) -> ExprError {
    ExprError {
        offset,
        message: message.into(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Op(&'static str),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Num(v) => v.to_string(),
            Tok::Name(n) => n.clone(),
            Tok::Op(o) => (*o).to_string(),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tok,
    offset: usize,
}

/// Two-character operators first so `<=` is not read as `<` `=`.
const OPS: [&str; 16] = [
    "<=", ">=", "==", "!=", "..", "<", ">", "+", "-", "*", "/", "(", ")", ",", ".", "=",
];

fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            // A fraction only when a digit follows the dot: `1..2` is not a number.
            if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
                while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
            }
            let s: String = chars.get(start..i).unwrap_or_default().iter().collect();
            let v = s
                .parse::<f64>()
                .map_err(|_| err(start, format!("无法识别的数字“{s}”")))?;
            out.push(Token {
                kind: Tok::Num(v),
                offset: start,
            });
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            let s: String = chars.get(start..i).unwrap_or_default().iter().collect();
            out.push(Token {
                kind: Tok::Name(s),
                offset: start,
            });
        } else {
            let op = lex_op(&chars, i)?;
            out.push(Token {
                kind: Tok::Op(op),
                offset: i,
            });
            i += op.chars().count();
        }
    }
    Ok(out)
}

fn lex_op(chars: &[char], i: usize) -> Result<&'static str, ExprError> {
    let two: String = chars.get(i..i + 2).unwrap_or_default().iter().collect();
    let one: String = chars.get(i..i + 1).unwrap_or_default().iter().collect();
    match two.as_str() {
        "&&" => return Err(err(i, "请用 and 表示“并且”，不要用 &&")),
        "||" => return Err(err(i, "请用 or 表示“或者”，不要用 ||")),
        _ => {}
    }
    if let Some(op) = OPS.iter().find(|o| **o == two || **o == one) {
        return match *op {
            "=" => Err(err(i, "判断相等请用 ==，不要用单个 =")),
            _ => Ok(op),
        };
    }
    let hint = match one.as_str() {
        "!" => "；表示“不”请用 not，表示“不等于”请用 !=",
        "（" | "）" | "，" | "＝" | "＋" | "－" | "＜" | "＞" => "；请改用半角（英文）符号",
        _ => "",
    };
    Err(err(i, format!("无法识别的字符“{one}”{hint}")))
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    codes: &'a [&'a str],
    refs: Vec<IdentRef>,
    /// Character length of the text: where "unexpected end" errors point.
    end: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + ahead).map(|t| &t.kind)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn at_op(&self, op: &str) -> bool {
        matches!(self.peek_at(0), Some(Tok::Op(o)) if *o == op)
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek_at(0), Some(Tok::Name(n)) if n == word)
    }

    fn here(&self) -> usize {
        self.peek().map_or(self.end, |t| t.offset)
    }

    fn expect_op(&mut self, op: &str, what: &str) -> Result<(), ExprError> {
        if self.at_op(op) {
            self.pos += 1;
            Ok(())
        } else {
            Err(err(self.here(), format!("此处缺少{what}“{op}”")))
        }
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.and()?;
        while self.at_word("or") {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.not()?;
        while self.at_word("and") {
            self.pos += 1;
            let right = self.not()?;
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ExprError> {
        if self.at_word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }

    fn cmp_op(&self) -> Option<BinOp> {
        match self.peek_at(0) {
            Some(Tok::Op("<")) => Some(BinOp::Lt),
            Some(Tok::Op("<=")) => Some(BinOp::Le),
            Some(Tok::Op("==")) => Some(BinOp::Eq),
            Some(Tok::Op("!=")) => Some(BinOp::Ne),
            Some(Tok::Op(">=")) => Some(BinOp::Ge),
            Some(Tok::Op(">")) => Some(BinOp::Gt),
            _ => None,
        }
    }

    fn cmp(&mut self) -> Result<Expr, ExprError> {
        let left = self.add()?;
        let Some(op) = self.cmp_op() else {
            return Ok(left);
        };
        self.pos += 1;
        let right = self.add()?;
        if self.cmp_op().is_some() {
            return Err(err(
                self.here(),
                "比较不能连写（如 a <= b <= c），请拆成 a <= b and b <= c",
            ));
        }
        Ok(Expr::Binary(op, Box::new(left), Box::new(right)))
    }

    fn add(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.mul()?;
        loop {
            let op = match self.peek_at(0) {
                Some(Tok::Op("+")) => BinOp::Add,
                Some(Tok::Op("-")) => BinOp::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.mul()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn mul(&mut self) -> Result<Expr, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek_at(0) {
                Some(Tok::Op("*")) => BinOp::Mul,
                Some(Tok::Op("/")) => BinOp::Div,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.at_op("-") {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        let Some(tok) = self.next() else {
            return Err(err(self.end, "表达式不完整，末尾缺少数值或指标"));
        };
        match tok.kind {
            Tok::Num(v) => Ok(Expr::Number(v)),
            Tok::Op("(") => {
                let inner = self.or()?;
                self.expect_op(")", "右括号")?;
                Ok(inner)
            }
            Tok::Op(op) => Err(err(
                tok.offset,
                format!("此处应为数值、指标代码或左括号，却出现了“{op}”"),
            )),
            Tok::Name(name) => self.name(name, tok.offset),
        }
    }

    fn name(&mut self, name: String, offset: usize) -> Result<Expr, ExprError> {
        if matches!(name.as_str(), "and" | "or" | "not") {
            return Err(err(offset, format!("“{name}”前后缺少操作数")));
        }
        if name == "prev" && self.at_op(".") {
            self.pos += 1;
            return self.prev(offset);
        }
        if self.at_op("(") {
            self.pos += 1;
            return self.call(name, offset);
        }
        self.ident(name, offset)
    }

    /// `prev.CODE`: `prev` and its dot are already consumed; `offset` points at `prev`.
    fn prev(&mut self, offset: usize) -> Result<Expr, ExprError> {
        match self.next() {
            Some(Token {
                kind: Tok::Name(code),
                offset: at,
            }) if is_code(&code) => {
                self.refs.push(IdentRef {
                    name: code.clone(),
                    offset: at,
                    prev: true,
                });
                Ok(Expr::Prev(code))
            }
            Some(t) => Err(err(
                t.offset,
                format!(
                    "prev. 后面应为指标代码（如 prev.GF07），却出现了“{}”",
                    t.kind.text()
                ),
            )),
            None => Err(err(offset, "prev. 后面缺少指标代码（如 prev.GF07）")),
        }
    }

    fn ident(&mut self, name: String, offset: usize) -> Result<Expr, ExprError> {
        if !is_code(&name) && !BUILTINS.contains(&name.as_str()) {
            return Err(err(
                offset,
                format!(
                    "无法识别的名称“{name}”：指标代码由大写字母和数字组成，内置名称只有 villages、expected"
                ),
            ));
        }
        self.refs.push(IdentRef {
            name: name.clone(),
            offset,
            prev: false,
        });
        Ok(Expr::Ident(name))
    }

    fn call(&mut self, name: String, offset: usize) -> Result<Expr, ExprError> {
        let Some((_, arity)) = FUNCTIONS.iter().find(|(f, _)| *f == name) else {
            return Err(err(
                offset,
                format!(
                    "未知的函数“{name}”；可用函数：sum、min、max、abs、coalesce、is_missing、if"
                ),
            ));
        };
        let mut args = Vec::new();
        if !self.at_op(")") {
            loop {
                self.arg(&name, &mut args)?;
                if self.at_op(",") {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        self.expect_op(")", "函数调用的右括号")?;
        match arity {
            Some(n) if args.len() != *n => Err(err(
                offset,
                format!("函数 {name} 需要 {n} 个参数，实际给了 {} 个", args.len()),
            )),
            None if args.is_empty() => Err(err(offset, format!("函数 {name} 至少需要 1 个参数"))),
            _ => Ok(Expr::Call(name, args)),
        }
    }

    /// One argument; `A..B` expands to every code from A to B in schema order.
    fn arg(&mut self, func: &str, args: &mut Vec<Expr>) -> Result<(), ExprError> {
        let is_range = matches!(self.peek_at(0), Some(Tok::Name(_)))
            && matches!(self.peek_at(1), Some(Tok::Op("..")));
        if !is_range {
            args.push(self.or()?);
            return Ok(());
        }
        let start = self.here();
        if !matches!(func, "sum" | "min" | "max" | "coalesce") {
            return Err(err(
                start,
                format!("范围 A..B 只能用在 sum、min、max、coalesce 中，不能用在 {func} 中"),
            ));
        }
        let (first, first_at) = self.range_end()?;
        self.pos += 1; // the `..`
        let (last, last_at) = self.range_end()?;
        for code in self.expand(&first, first_at, &last, last_at)? {
            self.refs.push(IdentRef {
                name: code.clone(),
                offset: start,
                prev: false,
            });
            args.push(Expr::Ident(code));
        }
        Ok(())
    }

    fn range_end(&mut self) -> Result<(String, usize), ExprError> {
        match self.next() {
            Some(Token {
                kind: Tok::Name(n),
                offset,
            }) if is_code(&n) => Ok((n, offset)),
            Some(t) => Err(err(
                t.offset,
                format!("范围的两端应为指标代码，却出现了“{}”", t.kind.text()),
            )),
            None => Err(err(self.end, "范围 A..B 缺少结尾的指标代码")),
        }
    }

    fn expand(
        &self,
        first: &str,
        first_at: usize,
        last: &str,
        last_at: usize,
    ) -> Result<Vec<String>, ExprError> {
        let index = |code: &str, at: usize| {
            self.codes
                .iter()
                .position(|c| *c == code)
                .ok_or_else(|| err(at, format!("范围端点“{code}”不是已定义的指标")))
        };
        let (a, b) = (index(first, first_at)?, index(last, last_at)?);
        if b < a {
            return Err(err(
                first_at,
                format!("范围 {first}..{last} 顺序颠倒：{last} 排在 {first} 之前"),
            ));
        }
        Ok(self
            .codes
            .get(a..=b)
            .unwrap_or_default()
            .iter()
            .map(|c| (*c).to_string())
            .collect())
    }
}

/// Indicator codes: an uppercase letter, then uppercase letters and digits (`FY06`, `ZF06B`).
pub fn is_code(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}
