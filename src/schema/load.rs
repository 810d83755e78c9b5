//! Raw TOML structs → a checked [`Schema`]. Every check that fails points at the exact line and
//! column of the offending value (inside an expression when the expression is at fault).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use super::parser::{self, IdentRef, BUILTINS};
use super::raw::{
    RawFile, RawIndicator, RawLimits, RawOverride, RawRate, RawRule, RawSection, Text,
};
use super::source::Source;
use super::{
    Aggregation, Expr, Indicator, Limits, Override, Rate, Rule, RuleScope, Schema, Section,
    ValueType,
};
use crate::codes::Code;
use crate::diagnostic::Severity;
use crate::registry::UnitKind;
use crate::Result;

/// Default display precision of a rate shown as a percentage (8.93%).
const DEFAULT_DECIMALS: i64 = 2;

/// Parses and checks schema text.
pub fn parse(text: &str, path: &Path) -> Result<Schema> {
    let src = Source { text, path };
    let raw: RawFile = toml::from_str(text).map_err(|e| src.toml_error(&e))?;
    let mut ck = Checker {
        src: &src,
        seen: BTreeMap::new(),
    };
    let limits = limits(&src, raw.limits.as_ref())?;
    let sections = ck.sections(&raw.sections)?;
    let indicators = ck.indicators(&raw.indicators, &sections)?;
    let codes: Vec<&str> = indicators.iter().map(|i| i.code.as_str()).collect();
    let rates = raw
        .rates
        .iter()
        .map(|r| ck.rate(r, &indicators, &codes))
        .collect::<Result<Vec<_>>>()?;
    let rules = raw
        .rules
        .iter()
        .map(|r| ck.rule(r, &indicators, &codes))
        .collect::<Result<Vec<_>>>()?;
    let overrides = raw
        .overrides
        .iter()
        .map(|o| ck.override_(o))
        .collect::<Result<Vec<_>>>()?;
    let mapping = super::edition::parse(&src, raw.previous.as_ref(), &raw.indicators)?;
    Ok(Schema {
        id: raw.schema.id,
        title: raw.schema.title,
        edition: raw.schema.edition,
        template_version: raw.schema.template_version,
        sections,
        indicators,
        rates,
        rules,
        overrides,
        limits,
        index: Default::default(),
        mapping,
    })
}

struct Checker<'a> {
    src: &'a Source<'a>,
    /// Every code defined so far (sections, indicators, rates, rules) → its line, to refuse
    /// duplicates with a pointer to the first definition.
    seen: BTreeMap<String, usize>,
}

impl Checker<'_> {
    /// Records a code, refusing a second definition.
    fn define(&mut self, code: &Text, what: &str) -> Result<String> {
        let span = code.span();
        let name = code.get_ref().clone();
        if let Some(line) = self.seen.get(&name) {
            return Err(self.src.error_span(
                &span,
                format!("{what}代码“{name}”重复：第 {line} 行已经定义过"),
            ));
        }
        let (line, _) = super::source::line_col(self.src.text, span.start);
        self.seen.insert(name.clone(), line);
        Ok(name)
    }

    fn sections(&mut self, raw: &[RawSection]) -> Result<Vec<Section>> {
        raw.iter()
            .map(|s| {
                let code = self.define(&s.code, "分组")?;
                Ok(Section {
                    code,
                    name: s.name.clone(),
                })
            })
            .collect()
    }

    fn indicators(&mut self, raw: &[RawIndicator], sections: &[Section]) -> Result<Vec<Indicator>> {
        if raw.is_empty() {
            return Err(self
                .src
                .error_at(0, "指标体系中没有任何指标（[[indicators]]）"));
        }
        let mut out = Vec::new();
        for ind in raw {
            out.push(self.indicator(ind, sections)?);
        }
        for (ind, checked) in raw.iter().zip(&out) {
            if let Some(parent) = &ind.parent {
                self.check_parent(parent, checked, &out)?;
            }
        }
        Ok(out)
    }

    fn indicator(&mut self, ind: &RawIndicator, sections: &[Section]) -> Result<Indicator> {
        let src = self.src;
        if !parser::is_code(ind.code.get_ref()) {
            return Err(src.error_span(
                &ind.code.span(),
                format!(
                    "指标代码“{}”无效：只能由大写字母开头、大写字母和数字组成（如 FY02、ZF06B）",
                    ind.code.get_ref()
                ),
            ));
        }
        let code = self.define(&ind.code, "指标")?;
        let section = ind.section.get_ref();
        if !sections.iter().any(|s| &s.code == section) {
            let known: Vec<&str> = sections.iter().map(|s| s.code.as_str()).collect();
            return Err(src.error_span(
                &ind.section.span(),
                format!("未知的分组“{section}”；已定义的分组：{}", known.join("、")),
            ));
        }
        let value_type = value_type(src, &ind.value_type)?;
        let aggregation = aggregation(src, &ind.aggregation)?;
        let unit = ind
            .unit
            .as_ref()
            .map(|u| u.get_ref().clone())
            .unwrap_or_default();
        check_type_fits(src, ind, value_type, aggregation, &unit)?;
        let max = match &ind.max {
            Some(m) if value_type == ValueType::YesNo => {
                return Err(
                    src.error_span(&m.span(), "是/否类指标只能是 0 或 1，不能写 max，请删除")
                );
            }
            Some(m) => Some(bound(src, m, "max")?),
            None => None,
        };
        let reporters = kinds(src, ind.reporters.get_ref())?;
        if reporters.is_empty() {
            return Err(src.error_span(
                &ind.reporters.span(),
                "reporters 不能为空：至少要有一类单位填报该指标",
            ));
        }
        Ok(Indicator {
            code,
            name: ind.name.clone(),
            unit,
            value_type,
            section: section.clone(),
            reporters,
            aggregation,
            parent: ind.parent.as_ref().map(|p| p.get_ref().clone()),
            hint: ind.hint.clone(),
            max,
        })
    }

    fn check_parent(&self, parent: &Text, child: &Indicator, all: &[Indicator]) -> Result<()> {
        let name = parent.get_ref();
        let found = all.iter().find(|i| &i.code == name);
        let problem = match found {
            None => format!("上级指标“{name}”不存在"),
            Some(p) if p.code == child.code => format!("指标“{name}”不能以自己为上级指标"),
            Some(p) if p.parent.is_some() => {
                format!("上级指标“{name}”本身也是分项，分项不能再分项")
            }
            Some(p) if p.value_type != child.value_type => format!(
                "分项“{}”与上级指标“{name}”的取值类型不同，分项之和无法等于合计",
                child.code
            ),
            Some(_) => return Ok(()),
        };
        Err(self.src.error_span(&parent.span(), problem))
    }

    fn rate(&mut self, r: &RawRate, inds: &[Indicator], codes: &[&str]) -> Result<Rate> {
        let src = self.src;
        let code = self.define(&r.code, "比率")?;
        let (numerator, num_refs) = expression(src, &r.numerator, codes)?;
        let (denominator, den_refs) = expression(src, &r.denominator, codes)?;
        for (text, refs) in [(&r.numerator, &num_refs), (&r.denominator, &den_refs)] {
            check_refs(src, text, refs, inds)?;
            if let Some(p) = refs.iter().find(|r| r.prev) {
                return Err(src.error_in_string(
                    &text.span(),
                    p.offset,
                    format!("比率只按本年数计算，不能引用上年数 prev.{}", p.name),
                ));
            }
        }
        for rf in &den_refs {
            let Some(ind) = inds.iter().find(|i| i.code == rf.name) else {
                continue; // a built-in (`expected`, `villages`) is a count
            };
            if ind.value_type != ValueType::Count {
                let kind = match ind.value_type {
                    ValueType::Amount => "金额",
                    _ => "是/否",
                };
                return Err(src.error_in_string(
                    &r.denominator.span(),
                    rf.offset,
                    format!(
                        "比率的分母只能由计数类指标构成，“{}”是{kind}类指标",
                        ind.code
                    ),
                ));
            }
        }
        let decimals = match &r.decimals {
            None => DEFAULT_DECIMALS,
            Some(d) if (0..=6).contains(d.get_ref()) => *d.get_ref(),
            Some(d) => {
                return Err(src.error_span(&d.span(), "decimals 应为 0 到 6 之间的整数"));
            }
        };
        Ok(Rate {
            code,
            name: r.name.clone(),
            numerator,
            denominator,
            numerator_text: r.numerator.get_ref().clone(),
            denominator_text: r.denominator.get_ref().clone(),
            decimals: u8::try_from(decimals).unwrap_or(2),
            unit: r.unit.clone().filter(|u| !u.trim().is_empty()),
            kinds: kinds(src, &r.kinds)?,
        })
    }

    fn rule(&mut self, r: &RawRule, inds: &[Indicator], codes: &[&str]) -> Result<Rule> {
        let src = self.src;
        let code = self.rule_code(&r.code)?;
        if let Some(b) = code.info() {
            return Err(src.error_span(
                &r.code.span(),
                format!(
                    "{code}（{}）由程序内置检查，不能再定义为表达式规则；要改它的严重程度请写在 [[overrides]] 中",
                    b.title
                ),
            ));
        }
        let severity = severity(src, &r.severity)?;
        let scope = scope(src, &r.scope)?;
        let (expr, when) = self.rule_exprs(r, scope, inds, codes)?;
        check_placeholders(src, &r.message, inds)?;
        Ok(Rule {
            code,
            severity,
            title: r.title.clone(),
            message: r.message.get_ref().clone(),
            scope,
            expr,
            expr_text: r
                .expr
                .as_ref()
                .map(|e| e.get_ref().clone())
                .unwrap_or_default(),
            when,
            kinds: kinds(src, &r.kinds)?,
            help: r.help.clone(),
        })
    }

    /// A rule's or override's code: a letter and two digits, defined once.
    fn rule_code(&mut self, text: &Text) -> Result<Code> {
        let name = self.define(text, "规则")?;
        Code::parse(&name).ok_or_else(|| {
            self.src.error_span(
                &text.span(),
                format!("规则代码“{name}”格式不对：应为一个大写字母加两位数字，如 V25"),
            )
        })
    }

    /// `[[overrides]]`: the code must be one the program checks itself; a message only where
    /// the program renders the code from a template.
    fn override_(&mut self, o: &RawOverride) -> Result<Override> {
        let src = self.src;
        let code = self.rule_code(&o.code)?;
        let Some(info) = code.info() else {
            return Err(src.error_span(
                &o.code.span(),
                format!("{code} 不是程序内置的检查，不能覆盖；表达式规则请写在 [[rules]] 中"),
            ));
        };
        if !matches!(code.prefix(), b'V' | b'N') {
            return Err(src.error_span(
                &o.code.span(),
                format!(
                    "{code}（{}）是文件结构、异常提示或程序自身的代码，严重程度由程序决定，不能覆盖；只能覆盖 V 和 N 开头的检查",
                    info.title
                ),
            ));
        }
        if let Some(m) = &o.message {
            if info.template.is_none() {
                return Err(src.error_span(
                    &m.span(),
                    format!(
                        "{code}（{}）的提示信息由程序生成，只能修改 severity",
                        info.title
                    ),
                ));
            }
        }
        Ok(Override {
            code,
            severity: o.severity.as_ref().map(|s| severity(src, s)).transpose()?,
            message: o.message.as_ref().map(|m| m.get_ref().clone()),
        })
    }

    /// Parses `expr` and `when`, and checks they fit the scope.
    fn rule_exprs(
        &self,
        r: &RawRule,
        scope: RuleScope,
        inds: &[Indicator],
        codes: &[&str],
    ) -> Result<(Expr, Option<Expr>)> {
        let src = self.src;
        let Some(expr_text) = &r.expr else {
            return Err(src.error_span(
                &r.scope.span(),
                format!("规则 {} 缺少 expr", r.code.get_ref()),
            ));
        };
        let mut parsed = Vec::new();
        for text in [Some(expr_text), r.when.as_ref()].into_iter().flatten() {
            let (e, refs) = expression(src, text, codes)?;
            check_refs(src, text, &refs, inds)?;
            if scope == RuleScope::InRecord {
                if let Some(p) = refs.iter().find(|x| x.prev) {
                    return Err(src.error_in_string(
                        &text.span(),
                        p.offset,
                        format!(
                            "表内规则（scope = \"in_record\"）不能引用上年数 prev.{}；需要上年数请改为 scope = \"cross_period\"",
                            p.name
                        ),
                    ));
                }
            }
            parsed.push(e);
        }
        let uses_prev = parsed.iter().any(Expr::uses_prev);
        if scope == RuleScope::CrossPeriod && !uses_prev {
            return Err(src.error_span(
                &r.scope.span(),
                "跨期规则（scope = \"cross_period\"）的表达式没有引用任何上年数（prev.X）；只用本年数请改为 scope = \"in_record\"",
            ));
        }
        let mut it = parsed.into_iter();
        match it.next() {
            Some(expr) => Ok((expr, it.next())),
            None => Err(src.error_span(&r.scope.span(), "规则缺少 expr")),
        }
    }
}

/// `[limits]`, each key defaulting to the built-in bound.
fn limits(src: &Source, raw: Option<&RawLimits>) -> Result<Limits> {
    let mut out = Limits::default();
    if let Some(raw) = raw {
        if let Some(c) = &raw.count {
            out.count = bound(src, c, "limits.count")?;
        }
        if let Some(a) = &raw.amount {
            out.amount = bound(src, a, "limits.amount")?;
        }
    }
    Ok(out)
}

/// A plausibility bound: positive, finite, at most [`Limits::CEILING`] (so that no sum over a
/// registry's units can overflow).
fn bound(src: &Source, v: &toml::Spanned<f64>, key: &str) -> Result<f64> {
    let x = *v.get_ref();
    if x.is_finite() && x > 0.0 && x <= Limits::CEILING {
        return Ok(x);
    }
    Err(src.error_span(
        &v.span(),
        format!(
            "{key} 应为大于 0、不超过 1e15（1000 万亿）的数，写的是 {x}；更大的上限没有实际单位能达到，还会使全县合计失去精度"
        ),
    ))
}

/// Parses one expression string, positioning a parse error inside it.
fn expression(src: &Source, text: &Text, codes: &[&str]) -> Result<(Expr, Vec<IdentRef>)> {
    parser::parse(text.get_ref(), codes).map_err(|e| {
        src.error_in_string(&text.span(), e.offset, format!("表达式有误：{}", e.message))
    })
}

/// Every identifier must be a defined indicator or a built-in.
fn check_refs(src: &Source, text: &Text, refs: &[IdentRef], inds: &[Indicator]) -> Result<()> {
    for r in refs {
        let known = BUILTINS.contains(&r.name.as_str()) || inds.iter().any(|i| i.code == r.name);
        if !known {
            return Err(src.error_in_string(
                &text.span(),
                r.offset,
                format!("表达式引用了未定义的指标“{}”", r.name),
            ));
        }
    }
    Ok(())
}

/// `{X}`, `{prev.X}` in a message must name an indicator (or a built-in).
fn check_placeholders(src: &Source, message: &Text, inds: &[Indicator]) -> Result<()> {
    let text = message.get_ref();
    let mut chars = text.char_indices().peekable();
    let mut char_pos = 0;
    while let Some((_, c)) = chars.next() {
        char_pos += 1;
        if c != '{' {
            continue;
        }
        let start = char_pos - 1;
        let mut inner = String::new();
        let mut closed = false;
        for (_, c) in chars.by_ref() {
            char_pos += 1;
            if c == '}' {
                closed = true;
                break;
            }
            inner.push(c);
        }
        let name = inner.trim().strip_prefix("prev.").unwrap_or(inner.trim());
        let known = BUILTINS.contains(&name) || inds.iter().any(|i| i.code == name);
        if !closed || !known {
            return Err(src.error_in_string(
                &message.span(),
                start,
                format!(
                    "消息模板中的“{{{inner}}}”无效：花括号内应为指标代码，如 {{FY06}} 或 {{prev.GF07}}"
                ),
            ));
        }
    }
    Ok(())
}

fn value_type(src: &Source, t: &Text) -> Result<ValueType> {
    match t.get_ref().as_str() {
        "count" => Ok(ValueType::Count),
        "amount" => Ok(ValueType::Amount),
        "yes_no" => Ok(ValueType::YesNo),
        other => Err(src.error_span(
            &t.span(),
            format!(
                "未知的取值类型“{other}”；应为 count（计数）、amount（金额）或 yes_no（是/否）"
            ),
        )),
    }
}

fn aggregation(src: &Source, t: &Text) -> Result<Aggregation> {
    match t.get_ref().as_str() {
        "sum" => Ok(Aggregation::Sum),
        "sum_overlap" => Ok(Aggregation::SumOverlap),
        "county" => Ok(Aggregation::County),
        "count_yes" => Ok(Aggregation::CountYes),
        "stock" => Ok(Aggregation::Stock),
        other => Err(src.error_span(
            &t.span(),
            format!("未知的汇总方式“{other}”；应为 sum、sum_overlap、county、count_yes 或 stock"),
        )),
    }
}

fn scope(src: &Source, t: &Text) -> Result<RuleScope> {
    match t.get_ref().as_str() {
        "in_record" => Ok(RuleScope::InRecord),
        "cross_period" => Ok(RuleScope::CrossPeriod),
        "builtin" => Err(src.error_span(
            &t.span(),
            "程序内置的检查不在 [[rules]] 中声明（见 huizong rule --all）；要改它的严重程度请写 [[overrides]]",
        )),
        other => Err(src.error_span(
            &t.span(),
            format!("未知的规则范围“{other}”；应为 in_record 或 cross_period"),
        )),
    }
}

fn severity(src: &Source, t: &Text) -> Result<Severity> {
    Severity::parse(t.get_ref()).ok_or_else(|| {
        src.error_span(
            &t.span(),
            format!(
                "未知的严重程度“{}”；应为 error、warning 或 info",
                t.get_ref()
            ),
        )
    })
}

/// Unit kinds by their schema key; duplicates are dropped, order kept.
fn kinds(src: &Source, list: &[Text]) -> Result<Vec<UnitKind>> {
    let mut out = Vec::new();
    for t in list {
        let kind = UnitKind::BASE
            .into_iter()
            .find(|k| k.key() == t.get_ref())
            .ok_or_else(|| {
                src.error_span(
                    &t.span(),
                    format!(
                        "未知的单位类型“{}”；应为 township（乡镇）、department（县直部门）、county_office（县本级）或 external（外部来源）",
                        t.get_ref()
                    ),
                )
            })?;
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    Ok(out)
}

/// Yes/no indicators have no unit and are counted as "n of N"; numbers need a unit.
fn check_type_fits(
    src: &Source,
    ind: &RawIndicator,
    value_type: ValueType,
    aggregation: Aggregation,
    unit: &str,
) -> Result<()> {
    let yes_no = value_type == ValueType::YesNo;
    if yes_no != (aggregation == Aggregation::CountYes) {
        return Err(src.error_span(
            &ind.aggregation.span(),
            "汇总方式 count_yes 与取值类型 yes_no 必须同时使用",
        ));
    }
    let unit_span: Range<usize> = ind
        .unit
        .as_ref()
        .map_or_else(|| ind.code.span(), |u| u.span());
    if yes_no && !unit.is_empty() {
        return Err(src.error_span(&unit_span, "是/否类指标没有计量单位，请删除 unit"));
    }
    if !yes_no && unit.trim().is_empty() {
        return Err(src.error_span(
            &unit_span,
            format!("指标“{}”缺少计量单位 unit（如 件、元）", ind.code.get_ref()),
        ));
    }
    Ok(())
}
