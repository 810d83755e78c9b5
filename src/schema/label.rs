//! A rate's numerator and denominator in words, for the 比率 sheet and messages: the schema
//! writes them as expressions (`ZL02 >= 4`, `expected`, `villages`), which a reader of the
//! summary should never see. Indicator codes become their names, the built-in names become
//! 应报单位数 and 村(社区)总数, and a comparison becomes "…不少于4次的单位数".

use super::expr::{BinOp, Expr};
use super::{Indicator, Schema, ValueType};

impl Schema {
    /// The numerator and denominator of a rate in words, `None` for an unknown rate code.
    pub fn rate_labels(&self, code: &str) -> Option<(String, String)> {
        let r = self.rates.iter().find(|r| r.code == code)?;
        Some((
            operand(&r.numerator, &self.indicators),
            operand(&r.denominator, &self.indicators),
        ))
    }
}

/// One side of a rate in words.
pub fn operand(e: &Expr, inds: &[Indicator]) -> String {
    match e {
        Expr::Binary(op @ (BinOp::Ge | BinOp::Gt | BinOp::Le | BinOp::Lt | BinOp::Eq), a, b) => {
            match (a.as_ref(), b.as_ref()) {
                (Expr::Ident(code), Expr::Number(n)) => {
                    format!("{}的单位数", condition(code, *op, *n, inds))
                }
                _ => words(e, inds),
            }
        }
        Expr::Ident(code) => match find(code, inds) {
            Some(i) if i.value_type == ValueType::YesNo => format!("{}的单位数", i.name),
            _ => words(e, inds),
        },
        _ => words(e, inds),
    }
}

fn find<'a>(code: &str, inds: &'a [Indicator]) -> Option<&'a Indicator> {
    inds.iter().find(|i| i.code == code)
}

/// `集体学法不少于4次`: the indicator's name without its bracketed note and without the
/// "次数" its unit repeats, then the comparison.
fn condition(code: &str, op: BinOp, n: f64, inds: &[Indicator]) -> String {
    let n = crate::anomaly::fmt_num(n);
    let Some(ind) = find(code, inds) else {
        return format!("{code}{}{n}", relation(op));
    };
    let base = ind
        .name
        .split(['(', '（'])
        .next()
        .unwrap_or(&ind.name)
        .trim()
        .to_string();
    let unit = ind.unit.trim();
    let counted = format!("{unit}数");
    let base = match base.strip_suffix(&counted) {
        Some(b) if !unit.is_empty() && !b.is_empty() => b.to_string(),
        _ => base,
    };
    format!("{base}{}{n}{unit}", relation(op))
}

fn relation(op: BinOp) -> &'static str {
    match op {
        BinOp::Ge => "不少于",
        BinOp::Gt => "多于",
        BinOp::Le => "不超过",
        BinOp::Lt => "少于",
        BinOp::Eq => "为",
        _ => "",
    }
}

/// Any other expression: names for codes, the usual signs for the arithmetic.
fn words(e: &Expr, inds: &[Indicator]) -> String {
    match e {
        Expr::Number(n) => crate::anomaly::fmt_num(*n),
        Expr::Ident(c) if c == "expected" => "应报单位数".to_string(),
        Expr::Ident(c) if c == "villages" => "村(社区)总数".to_string(),
        Expr::Ident(c) => find(c, inds).map_or_else(|| c.clone(), |i| i.name.clone()),
        Expr::Prev(c) => format!("上年{}", words(&Expr::Ident(c.clone()), inds)),
        Expr::Neg(x) => format!("−{}", words(x, inds)),
        Expr::Not(x) => format!("非（{}）", words(x, inds)),
        Expr::Binary(op, a, b) => {
            let sign = match op {
                BinOp::Add => " + ",
                BinOp::Sub => " − ",
                BinOp::Mul => " × ",
                BinOp::Div => " ÷ ",
                BinOp::And => " 且 ",
                BinOp::Or => " 或 ",
                other => relation(*other),
            };
            format!("{}{sign}{}", words(a, inds), words(b, inds))
        }
        Expr::Call(f, args) if f == "sum" => {
            let parts: Vec<String> = args.iter().map(|a| words(a, inds)).collect();
            parts.join(" + ")
        }
        Expr::Call(f, args) => {
            let parts: Vec<String> = args.iter().map(|a| words(a, inds)).collect();
            format!("{f}({})", parts.join("，"))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_rates_read_as_words() {
        let s = crate::schema::Schema::default_schema();
        let label = |c: &str| s.rate_labels(c).expect(c);
        assert_eq!(
            label("RZL01"),
            (
                "集体学法不少于4次的单位数".to_string(),
                "应报单位数".to_string()
            )
        );
        assert_eq!(label("RGW01").0, "已聘请法律顾问或设立公职律师的单位数");
        assert_eq!(label("RGW02").1, "村(社区)总数");
        for r in &s.rates {
            let (n, d) = label(&r.code);
            for text in [&n, &d] {
                assert!(
                    !text.contains("expected")
                        && !text.contains("villages")
                        && !text.contains(">="),
                    "{}: {text}",
                    r.code
                );
                assert!(
                    !text.chars().any(|c| c.is_ascii_uppercase()),
                    "{}: a code is left in {text}",
                    r.code
                );
            }
        }
    }
}
