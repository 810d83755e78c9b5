//! Checks that run while the unit types: every rule of the schema that applies to the unit
//! becomes an Excel conditional format on the 本年数 cells it reads, so a part above its total
//! or a carry-over that does not match last year turns red (错误) or orange (警告) in Excel and
//! WPS before the workbook is sent, instead of coming back in a 退回 list a week later.
//!
//! The schema's expressions ([`Expr`]) are translated, not re-written by hand, with the same
//! meaning as [`Expr::eval`]: a blank cell is *missing*, not 0, so a rule whose inputs are not
//! all filled does not fire (each sub-expression carries an Excel test of whether it is
//! defined, as `coalesce`, `is_missing` and `if` need); comparisons allow the evaluator's
//! relative tolerance; 是/否 cells count as 1/0. A rule that cannot be written as a formula
//! (a name the template does not know, or a formula past [`MAX_FORMULA`]) is left to `check`.

use std::collections::BTreeMap;

use rust_xlsxwriter::{ConditionalFormatFormula, Format, Worksheet, XlsxError};

use crate::diagnostic::{Pos, Severity};
use crate::registry::Unit;
use crate::schema::expr::{BinOp, Expr};
use crate::schema::{Schema, ValueType};
use crate::sheets::DataColumn;

/// Longest formula written; Excel's limit is 8,192 characters, and a longer one is unreadable.
const MAX_FORMULA: usize = 2000;

/// Red for errors, orange for warnings: the colours of the summary's findings.
fn format_for(severity: Severity) -> Format {
    match severity {
        Severity::Error => Format::new()
            .set_background_color("#FFC7CE")
            .set_font_color("#9C0006"),
        _ => Format::new()
            .set_background_color("#FFEB9C")
            .set_font_color("#9C5700"),
    }
}

/// Where each indicator's row is on the 统计表 sheet, and its value type.
pub struct Cells {
    pub rows: BTreeMap<String, (u32, ValueType)>,
    pub villages: u32,
}

/// An Excel sub-formula with the test of whether it is defined (`None` = always).
struct Part {
    value: String,
    defined: Option<String>,
}

fn all(tests: impl IntoIterator<Item = Option<String>>) -> Option<String> {
    let t: Vec<String> = tests.into_iter().flatten().collect();
    match t.len() {
        0 => None,
        1 => t.into_iter().next(),
        _ => Some(format!("AND({})", t.join(","))),
    }
}

fn abs_ref(row: u32, col: DataColumn) -> String {
    let a1 = Pos::new(row, col.template_col()).a1();
    let split = a1.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
    format!("${}${}", &a1[..split], &a1[split..])
}

impl Cells {
    /// The cell of `code` in this year's or last year's column, as a [`Part`]; `None` when the
    /// expression names something the template cannot show.
    fn operand(&self, code: &str, col: DataColumn) -> Option<Part> {
        if code == "villages" && col == DataColumn::Current {
            return Some(Part {
                value: self.villages.to_string(),
                defined: None,
            });
        }
        let Some((row, t)) = self.rows.get(code) else {
            // Not on this unit's sheet: always missing, as for the evaluator.
            return Some(Part {
                value: "0".into(),
                defined: Some("FALSE".into()),
            });
        };
        let r = abs_ref(*row, col);
        Some(match t {
            ValueType::YesNo => Part {
                value: format!("IF({r}=\"是\",1,0)"),
                defined: Some(format!("OR({r}=\"是\",{r}=\"否\")")),
            },
            _ => Part {
                value: r.clone(),
                defined: Some(format!("ISNUMBER({r})")),
            },
        })
    }

    fn formula(&self, e: &Expr) -> Option<Part> {
        Some(match e {
            Expr::Number(n) => Part {
                value: crate::anomaly::fmt_num(*n),
                defined: None,
            },
            Expr::Ident(c) if c == "expected" => return None,
            Expr::Ident(c) => self.operand(c, DataColumn::Current)?,
            Expr::Prev(c) => self.operand(c, DataColumn::Prior)?,
            Expr::Neg(x) => {
                let p = self.formula(x)?;
                Part {
                    value: format!("(-({}))", p.value),
                    defined: p.defined,
                }
            }
            Expr::Not(x) => {
                let p = self.formula(x)?;
                Part {
                    value: format!("NOT({})", p.value),
                    defined: p.defined,
                }
            }
            Expr::Binary(op, a, b) => self.binary(*op, a, b)?,
            Expr::Call(name, args) => self.call(name, args)?,
        })
    }

    fn binary(&self, op: BinOp, a: &Expr, b: &Expr) -> Option<Part> {
        let (x, y) = (self.formula(a)?, self.formula(b)?);
        let (xv, yv) = (&x.value, &y.value);
        let tol = format!("0.000001*MAX(ABS({xv}),ABS({yv}),1)");
        let mut defined = all([x.defined.clone(), y.defined.clone()]);
        let value = match op {
            BinOp::Add => format!("({xv}+{yv})"),
            BinOp::Sub => format!("({xv}-{yv})"),
            BinOp::Mul => format!("({xv}*{yv})"),
            BinOp::Div => {
                defined = all([defined, Some(format!("({yv})<>0"))]);
                format!("IF(({yv})=0,0,({xv})/({yv}))")
            }
            BinOp::Lt => format!("(({xv})<({yv})-{tol})"),
            BinOp::Le => format!("(({xv})<=({yv})+{tol})"),
            BinOp::Eq => format!("(ABS(({xv})-({yv}))<={tol})"),
            BinOp::Ne => format!("(ABS(({xv})-({yv}))>{tol})"),
            BinOp::Ge => format!("(({xv})+{tol}>=({yv}))"),
            BinOp::Gt => format!("(({xv})>({yv})+{tol})"),
            BinOp::And => format!("AND({xv},{yv})"),
            BinOp::Or => format!("OR({xv},{yv})"),
        };
        Some(Part { value, defined })
    }

    fn call(&self, name: &str, args: &[Expr]) -> Option<Part> {
        let parts: Vec<Part> = args
            .iter()
            .map(|a| self.formula(a))
            .collect::<Option<_>>()?;
        let d = |p: &Part| p.defined.clone().unwrap_or_else(|| "TRUE".into());
        Some(match (name, parts.as_slice()) {
            ("is_missing", [p]) => Part {
                value: format!("NOT({})", d(p)),
                defined: None,
            },
            ("coalesce", ps) if !ps.is_empty() => {
                // The first defined argument, as the evaluator's find_map.
                let mut value = ps[ps.len() - 1].value.clone();
                for p in ps[..ps.len() - 1].iter().rev() {
                    value = format!("IF({},{},{value})", d(p), p.value);
                }
                let defined = ps.iter().map(d).collect::<Vec<_>>().join(",");
                Part {
                    value,
                    defined: Some(format!("OR({defined})")),
                }
            }
            ("if", [c, t, e]) => Part {
                value: format!("IF({},{},{})", c.value, t.value, e.value),
                defined: all([
                    c.defined.clone(),
                    Some(format!("IF({},{},{})", c.value, d(t), d(e))),
                ]),
            },
            ("abs", [p]) => Part {
                value: format!("ABS({})", p.value),
                defined: p.defined.clone(),
            },
            ("sum" | "min" | "max", ps) if !ps.is_empty() => {
                let f = name.to_ascii_uppercase();
                let values: Vec<&str> = ps.iter().map(|p| p.value.as_str()).collect();
                Part {
                    value: format!("{f}({})", values.join(",")),
                    defined: all(ps.iter().map(|p| p.defined.clone())),
                }
            }
            _ => return None,
        })
    }

    /// The conditional-format formula that is TRUE when the rule is broken: its precondition
    /// holds, every input is defined, and the condition is false.
    pub fn broken(&self, expr: &Expr, when: Option<&Expr>) -> Option<String> {
        let rule = self.formula(expr)?;
        let pre = match when {
            Some(w) => {
                let p = self.formula(w)?;
                all([p.defined, Some(format!("({})<>0", p.value))])
            }
            None => None,
        };
        let test = all([pre, rule.defined, Some(format!("NOT({})", rule.value))])?;
        let f = format!("={test}");
        (f.len() <= MAX_FORMULA).then_some(f)
    }
}

/// Adds one conditional format per rule that applies to the unit, on every 本年数 cell the
/// rule reads. Errors are added first, so a cell in an error and a warning shows red.
pub fn add(
    ws: &mut Worksheet,
    schema: &Schema,
    unit: &Unit,
    cells: &Cells,
) -> Result<(), XlsxError> {
    let mut rules: Vec<_> = schema
        .rules
        .iter()
        .filter(|r| r.kinds.is_empty() || r.kinds.contains(&unit.kind))
        .collect();
    rules.sort_by_key(|r| (r.severity, r.code));
    for rule in rules {
        let Some(formula) = cells.broken(&rule.expr, rule.when.as_ref()) else {
            continue;
        };
        let cf = ConditionalFormatFormula::new()
            .set_rule(formula.as_str())
            .set_format(format_for(rule.severity));
        let col = DataColumn::Current.template_col();
        let mut rows: Vec<u32> = rule
            .expr
            .codes()
            .iter()
            .filter_map(|c| cells.rows.get(c).map(|(r, _)| *r))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        for row in rows {
            ws.add_conditional_format(row, col, row, col, &cf)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells() -> Cells {
        let rows = [
            ("GF01", 5, ValueType::Count),
            ("GF02", 6, ValueType::Count),
            ("GW01", 7, ValueType::YesNo),
        ]
        .into_iter()
        .map(|(c, r, t)| (c.to_string(), (r, t)))
        .collect();
        Cells { rows, villages: 12 }
    }

    fn broken(text: &str) -> Option<String> {
        let codes = ["GF01", "GF02", "GW01", "GW05"];
        let e = Expr::parse(text, &codes).expect("parses");
        cells().broken(&e, None)
    }

    #[test]
    fn a_part_above_its_total_fires_only_when_both_are_filled() {
        assert_eq!(
            broken("GF02 <= GF01").as_deref(),
            Some("=AND(AND(ISNUMBER($D$7),ISNUMBER($D$6)),NOT((($D$7)<=($D$6)+0.000001*MAX(ABS($D$7),ABS($D$6),1))))")
        );
    }

    #[test]
    fn missing_values_follow_the_evaluator() {
        // A code the unit does not report is always missing: the rule never fires …
        let f = broken("GW05 <= villages").expect("formula");
        assert!(f.contains("FALSE"), "{f}");
        // … unless coalesce supplies a value.
        let f = broken("coalesce(GF02 <= GF01, 1)").expect("formula");
        assert!(
            f.starts_with("=AND(OR(AND(ISNUMBER($D$7),ISNUMBER($D$6)),TRUE),NOT(IF(AND("),
            "{f}"
        );
        // 是/否 cells read as 1/0, defined only when 是 or 否 is chosen.
        let f = broken("GW01 == 1").expect("formula");
        assert!(
            f.contains("IF($D$8=\"是\",1,0)") && f.contains("OR($D$8=\"是\",$D$8=\"否\")"),
            "{f}"
        );
        // Last year's column for prev.
        let f = broken("GF01 >= prev.GF01").expect("formula");
        assert!(f.contains("ISNUMBER($E$6)"), "{f}");
    }
}
