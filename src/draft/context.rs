//! What the section templates can see: a few variables and a small set of functions (also usable
//! as filters) that look figures up by indicator or rate code and write them with the wording
//! rules of [`super::wording`]. Every number a function writes is recorded with its code (for
//! the 数据来源 table), and every sentence a template drops through `need`/`need_prior` is
//! recorded with its reason (for the 未生成的句子 list).
//!
//! Template API (codes are indicator codes like `FY02` or rate codes like `RYS02c`):
//!
//! | call | result |
//! |---|---|
//! | `has(c)` / `has_prior(c)` / `prior_zero(c)` | tests, record nothing |
//! | `verified(c)` | test: the figure rests on verified values only (its `unverified` list is empty) |
//! | `need("句子", c, …)` | true when every code has a value; otherwise records the sentence as omitted (数据缺失 / 单位被退回) |
//! | `need_prior("句子", c, …)` | as `need`, and the prior year must be there too (else 上年缺失, or 新增指标，不可比 / 口径变化，不可比 after a change of indicator system) |
//! | `v(c)` | this year's value: "70", "164.2万"; a rate: "8.93%" |
//! | `prior(c)` | the prior year's value, written the same way |
//! | `num(c)` / `den(c)` | a rate's numerator / denominator |
//! | `yes(c)` / `expected(c)` / `yes_words(c)` | 是/否 indicators: "15个单位中有12个" |
//! | `change_words(c)` | "增加8件" / "减少8件" / "持平" |
//! | `pct_words(c)` | "增长204%" / "减少47%" / "持平" / "上年为0，新增70件" |
//! | `yoy_clause(c)` | "比去年减少8件，同比减少47%" / "与去年持平" / "上年为0，新增9件" |
//! | `pp_words(c)` | a rate's change: "上升1.2个百分点" / "下降…" / "持平" |
//!
//! Variables: `year`, `prior_year`, `section`. A value function called on a missing figure is a
//! template error (the template must test with `need` first): the draft never writes a
//! placeholder.
//!
//! A figure that rests on values not verified yet (its `unverified` units, see
//! [`crate::aggregate::mark_unverified`]) is never stated as plain fact: every value function
//! writing it appends [`UNVERIFIED_MARK`], which [`place_unverified_notes`] turns into
//! [`UNVERIFIED_NOTE`] at the end of that sentence (before its 。 or ；), once per sentence, so
//! every template — the county's own too — gets it without change. The 数据来源 row names the
//! units.

use std::sync::{Arc, Mutex, MutexGuard};

use minijinja::value::Rest;
use minijinja::{Environment, Error as JinjaError, ErrorKind};
use serde::Serialize;

use super::wording;
use crate::aggregate::{Figures, IndicatorFigure, RateFigure};

/// Why a sentence was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum OmitReason {
    /// No accepted unit reported the figure.
    Missing,
    /// The figure is missing and some units' data was held back for errors.
    HeldBack,
    /// This year's figure is there, last year's is not.
    PriorMissing,
    /// The code is not an indicator or rate of this year's indicator system.
    NotInEdition,
    /// Last year has no comparable value: a new indicator of this edition.
    NewIndicator,
    /// Last year has no comparable value: its definition changed (a split without shares).
    Redefined,
}

impl OmitReason {
    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            OmitReason::Missing => "数据缺失",
            OmitReason::HeldBack => "单位被退回",
            OmitReason::PriorMissing => "上年缺失",
            OmitReason::NotInEdition => "本年指标体系无此项",
            OmitReason::NewIndicator => "新增指标，不可比",
            OmitReason::Redefined => "口径变化，不可比",
        }
    }
}

/// A sentence a template dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Omitted {
    pub section: String,
    /// The label the template gave the sentence.
    pub sentence: String,
    pub reason: OmitReason,
    /// The codes that were missing.
    pub codes: Vec<String>,
}

/// A number written into the text, tied to the figure it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRow {
    pub section: String,
    /// The text as written ("70", "增长204%", "8.93%").
    pub text: String,
    pub code: String,
    pub name: String,
    /// This year's figure, exact ("70", a rate as "8.93%（5/56）").
    pub value: String,
    pub prior: String,
    /// Codes of the accepted units whose values contributed.
    pub units: Vec<String>,
    /// Codes of the units whose values in the figure are not verified yet (the sentence carries
    /// [`UNVERIFIED_NOTE`]).
    pub unverified: Vec<String>,
}

/// What a sentence resting on unverified values carries.
pub const UNVERIFIED_NOTE: &str = "（含待核实数据）";

/// Appended by the value functions to a figure with unverified units; never left in the text
/// ([`place_unverified_notes`]). A private-use character, so no real text contains it.
pub const UNVERIFIED_MARK: char = '\u{E000}';

/// Moves each [`UNVERIFIED_MARK`] of a paragraph to the end of its sentence or clause (before the
/// next 。；！？, or the paragraph's end) as one [`UNVERIFIED_NOTE`].
pub fn place_unverified_notes(paragraph: &str) -> String {
    let mut out = String::with_capacity(paragraph.len());
    let mut pending = false;
    for ch in paragraph.chars() {
        if ch == UNVERIFIED_MARK {
            pending = true;
            continue;
        }
        if pending && matches!(ch, '。' | '；' | '！' | '？') {
            out.push_str(UNVERIFIED_NOTE);
            pending = false;
        }
        out.push(ch);
    }
    if pending {
        out.push_str(UNVERIFIED_NOTE);
    }
    out
}

/// What the templates recorded while rendering.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Title of the section being rendered.
    pub section: String,
    pub sources: Vec<SourceRow>,
    pub omitted: Vec<Omitted>,
}

/// A figure looked up by code.
enum Fact<'a> {
    Indicator(&'a IndicatorFigure),
    Rate(&'a RateFigure),
}

/// The state shared by all template functions.
#[derive(Clone)]
pub struct DraftContext {
    figures: Arc<Figures>,
    recorder: Arc<Mutex<Recorder>>,
}

type FnResult<T> = Result<T, JinjaError>;

fn template_error(message: String) -> JinjaError {
    JinjaError::new(ErrorKind::InvalidOperation, message)
}

impl DraftContext {
    pub fn new(figures: Figures) -> Self {
        DraftContext {
            figures: Arc::new(figures),
            recorder: Arc::new(Mutex::new(Recorder::default())),
        }
    }

    /// The recorder; a poisoned lock only means an earlier template call panicked, and the
    /// records are still usable.
    pub fn recorder(&self) -> MutexGuard<'_, Recorder> {
        self.recorder.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fact(&self, code: &str) -> Option<Fact<'_>> {
        if let Some(i) = self.figures.indicator(code) {
            Some(Fact::Indicator(i))
        } else if let Some(r) = self.figures.rate(code) {
            Some(Fact::Rate(r))
        } else {
            // A template written for the previous edition names a code this edition renamed.
            let note = crate::aggregate::renamed_note(code);
            self.figures
                .indicators
                .iter()
                .find(|i| {
                    i.prior_mapping
                        .as_deref()
                        .is_some_and(|m| m.starts_with(&note))
                })
                .map(Fact::Indicator)
        }
    }

    fn has(&self, code: &str) -> bool {
        match self.fact(code) {
            Some(Fact::Indicator(i)) => i.value.is_some(),
            Some(Fact::Rate(r)) => r.value.is_some(),
            None => false,
        }
    }

    fn has_prior(&self, code: &str) -> bool {
        match self.fact(code) {
            Some(Fact::Indicator(i)) => i.prior.is_some(),
            Some(Fact::Rate(r)) => r.prior_value.is_some(),
            None => false,
        }
    }

    /// Why a figure is missing: held-back units may hold it, otherwise nobody reported it.
    fn missing_reason(&self) -> OmitReason {
        if self.figures.coverage.held_back.is_empty() {
            OmitReason::Missing
        } else {
            OmitReason::HeldBack
        }
    }

    fn omit(&self, sentence: &str, reason: OmitReason, codes: Vec<String>) {
        let mut rec = self.recorder();
        let section = rec.section.clone();
        rec.omitted.push(Omitted {
            section,
            sentence: sentence.to_string(),
            reason,
            codes,
        });
    }

    fn need(&self, sentence: &str, codes: &[String]) -> bool {
        let missing: Vec<String> = codes.iter().filter(|c| !self.has(c)).cloned().collect();
        if missing.is_empty() {
            return true;
        }
        // A code this year's (built-in) indicator system does not define (a template written
        // for another edition): not 数据缺失, which would blame the units.
        let schema = &self.figures.schema_id;
        let reason = if missing.iter().any(|c| {
            self.fact(c).is_none()
                && crate::schema::edition::embedded_defines(schema, c) == Some(false)
        }) {
            OmitReason::NotInEdition
        } else {
            self.missing_reason()
        };
        self.omit(sentence, reason, missing);
        false
    }

    fn need_prior(&self, sentence: &str, codes: &[String]) -> bool {
        if !self.need(sentence, codes) {
            return false;
        }
        let missing: Vec<String> = codes
            .iter()
            .filter(|c| !self.has_prior(c))
            .cloned()
            .collect();
        if missing.is_empty() {
            return true;
        }
        // Last year reported it under the previous edition, but not comparably: say why, never
        // 上年缺失 (see aggregate::mark_editions).
        let reason = missing
            .iter()
            .find_map(|c| self.not_comparable(c))
            .unwrap_or(OmitReason::PriorMissing);
        self.omit(sentence, reason, missing);
        false
    }

    /// Why a figure has no comparable prior after a change of indicator system, if so.
    fn not_comparable(&self, code: &str) -> Option<OmitReason> {
        let reason = match self.fact(code)? {
            Fact::Indicator(i) => i.not_comparable_reason.as_deref(),
            Fact::Rate(r) => r.not_comparable_reason.as_deref(),
        }?;
        Some(if reason == crate::schema::edition::NEW_INDICATOR {
            OmitReason::NewIndicator
        } else {
            OmitReason::Redefined
        })
    }

    /// Units whose accepted values fed a figure.
    fn source_units(&self, codes: &[String]) -> Vec<String> {
        self.figures
            .units
            .iter()
            .filter(|u| codes.iter().any(|c| u.values.contains_key(c)))
            .map(|u| u.code.clone())
            .collect()
    }

    /// The units whose values in a figure are not verified yet.
    fn unverified(&self, code: &str) -> &[String] {
        match self.fact(code) {
            Some(Fact::Indicator(i)) => &i.unverified,
            Some(Fact::Rate(r)) => &r.unverified,
            None => &[],
        }
    }

    /// Records that `text` was written for `code`, and passes it through, marked when the figure
    /// rests on unverified values ([`UNVERIFIED_MARK`]).
    fn record(&self, code: &str, text: String) -> String {
        let (name, value, prior, inputs) = match self.fact(code) {
            Some(Fact::Indicator(i)) => (
                i.name.clone(),
                exact(i.value),
                exact(i.prior),
                vec![i.code.clone()],
            ),
            Some(Fact::Rate(r)) => (
                r.name.clone(),
                rate_exact(r.value, Some(r.numerator), Some(r.denominator), r.decimals),
                rate_exact(
                    r.prior_value,
                    r.prior_numerator,
                    r.prior_denominator,
                    r.decimals,
                ),
                rate_inputs(r),
            ),
            None => (String::new(), String::new(), String::new(), Vec::new()),
        };
        let units = self.source_units(&inputs);
        let unverified = self.unverified(code).to_vec();
        let mut rec = self.recorder();
        let section = rec.section.clone();
        rec.sources.push(SourceRow {
            section,
            text: text.clone(),
            code: code.to_string(),
            name,
            value,
            prior,
            units,
            unverified: unverified.clone(),
        });
        if unverified.is_empty() {
            text
        } else {
            format!("{text}{UNVERIFIED_MARK}")
        }
    }

    fn indicator(&self, code: &str) -> FnResult<&IndicatorFigure> {
        match self.fact(code) {
            Some(Fact::Indicator(i)) => Ok(i),
            Some(Fact::Rate(_)) => Err(template_error(format!(
                "{code} 是比率，请用 v()/pp_words()，不能用于件数的同比"
            ))),
            None => Err(template_error(format!("汇总结果中没有指标 {code}"))),
        }
    }

    fn rate(&self, code: &str) -> FnResult<&RateFigure> {
        match self.fact(code) {
            Some(Fact::Rate(r)) => Ok(r),
            Some(Fact::Indicator(_)) => Err(template_error(format!("{code} 不是比率"))),
            None => Err(template_error(format!("汇总结果中没有比率 {code}"))),
        }
    }

    /// This year's and last year's value of a count; an error when either is missing, because
    /// the template should have tested with `need_prior`.
    fn pair(&self, code: &str) -> FnResult<(f64, f64, &str)> {
        let i = self.indicator(code)?;
        match (i.value, i.prior) {
            (Some(v), Some(p)) => Ok((v, p, i.unit.as_str())),
            (None, _) => Err(unchecked(code, "本年数据缺失", "need")),
            (_, None) => Err(unchecked(code, "上年数据缺失", "need_prior")),
        }
    }

    fn v(&self, code: &str) -> FnResult<String> {
        let text = match self.fact(code) {
            Some(Fact::Indicator(i)) => i.value.map(wording::number),
            Some(Fact::Rate(r)) => r.value.map(|x| wording::percent(x, r.decimals)),
            None => return Err(template_error(format!("汇总结果中没有指标 {code}"))),
        };
        let text = text.ok_or_else(|| unchecked(code, "本年数据缺失", "need"))?;
        Ok(self.record(code, text))
    }

    fn prior(&self, code: &str) -> FnResult<String> {
        let text = match self.fact(code) {
            Some(Fact::Indicator(i)) => i.prior.map(wording::number),
            Some(Fact::Rate(r)) => r.prior_value.map(|x| wording::percent(x, r.decimals)),
            None => return Err(template_error(format!("汇总结果中没有指标 {code}"))),
        };
        let text = text.ok_or_else(|| unchecked(code, "上年数据缺失", "need_prior"))?;
        Ok(self.record(code, text))
    }

    fn num_den(&self, code: &str, numerator: bool) -> FnResult<String> {
        let r = self.rate(code)?;
        if r.value.is_none() {
            return Err(unchecked(code, "分母为0", "need"));
        }
        let x = if numerator {
            r.numerator
        } else {
            r.denominator
        };
        Ok(self.record(code, wording::number(x)))
    }

    /// (units answering 是, units whose answer was aggregated, units expected to answer).
    fn yes_expected(&self, code: &str) -> FnResult<(u32, u32, u32)> {
        let i = self.indicator(code)?;
        match (i.yes, i.expected_units) {
            (Some(y), Some(e)) => Ok((y, i.units_reporting, e)),
            _ => Err(unchecked(code, "不是是/否指标或数据缺失", "need")),
        }
    }

    fn pp(&self, code: &str) -> FnResult<String> {
        let r = self.rate(code)?;
        match (r.value, r.prior_value) {
            (Some(v), Some(p)) => Ok(self.record(code, wording::pp_words(v, p, r.decimals))),
            (None, _) => Err(unchecked(code, "本年数据缺失", "need")),
            (_, None) => Err(unchecked(code, "上年数据缺失", "need_prior")),
        }
    }

    /// Adds the functions and filters to `env`.
    pub fn register(&self, env: &mut Environment<'static>) {
        let c = self.clone();
        env.add_function("has", move |code: &str| c.has(code));
        let c = self.clone();
        env.add_function("has_prior", move |code: &str| c.has_prior(code));
        let c = self.clone();
        env.add_function("verified", move |code: &str| c.unverified(code).is_empty());
        let c = self.clone();
        env.add_function("prior_zero", move |code: &str| {
            matches!(c.fact(code), Some(Fact::Indicator(i)) if i.prior == Some(0.0))
        });
        let c = self.clone();
        env.add_function("need", move |s: &str, codes: Rest<String>| {
            c.need(s, &codes)
        });
        let c = self.clone();
        env.add_function("need_prior", move |s: &str, codes: Rest<String>| {
            c.need_prior(s, &codes)
        });
        let c = self.clone();
        env.add_function("prior", move |code: &str| c.prior(code));
        let c = self.clone();
        env.add_function("num", move |code: &str| c.num_den(code, true));
        let c = self.clone();
        env.add_function("den", move |code: &str| c.num_den(code, false));
        let c = self.clone();
        env.add_function("yes", move |code: &str| {
            c.yes_expected(code)
                .map(|(y, _, _)| c.record(code, y.to_string()))
        });
        let c = self.clone();
        env.add_function("expected", move |code: &str| {
            c.yes_expected(code)
                .map(|(_, _, e)| c.record(code, e.to_string()))
        });
        let c = self.clone();
        env.add_function("yes_words", move |code: &str| {
            c.yes_expected(code)
                .map(|(y, r, e)| c.record(code, wording::yes_words(y, r, e)))
        });
        // The value and wording functions are also filters: `{{ "FY02"|pct_words }}`.
        for (name, f) in self.value_functions() {
            let g = f.clone();
            env.add_function(name, move |code: &str| g(code));
            env.add_filter(name, move |code: &str| f(code));
        }
    }

    #[allow(clippy::type_complexity)]
    fn value_functions(
        &self,
    ) -> Vec<(
        &'static str,
        Arc<dyn Fn(&str) -> FnResult<String> + Send + Sync>,
    )> {
        let c = self.clone();
        let v: Arc<dyn Fn(&str) -> FnResult<String> + Send + Sync> =
            Arc::new(move |code| c.v(code));
        let c = self.clone();
        let change = Arc::new(move |code: &str| {
            let (v, p, u) = c.pair(code)?;
            Ok(c.record(code, wording::change_words(v, p, u)))
        });
        let c = self.clone();
        let pct = Arc::new(move |code: &str| {
            let (v, p, u) = c.pair(code)?;
            Ok(c.record(code, wording::pct_words(v, p, u)))
        });
        let c = self.clone();
        let yoy = Arc::new(move |code: &str| {
            let (v, p, u) = c.pair(code)?;
            Ok(c.record(code, wording::yoy_clause(v, p, u)))
        });
        let c = self.clone();
        let pp = Arc::new(move |code: &str| c.pp(code));
        vec![
            ("v", v),
            ("change_words", change),
            ("pct_words", pct),
            ("yoy_clause", yoy),
            ("pp_words", pp),
        ]
    }
}

/// The error for a value used without the `need`/`need_prior` test that would have dropped it.
fn unchecked(code: &str, what: &str, test: &str) -> JinjaError {
    template_error(format!(
        "{code} {what}：模板应先用 {test}(\"句子\", \"{code}\") 判断，缺数据的句子不写出"
    ))
}

/// An exact figure for the 数据来源 table (no 万, up to 4 decimals).
fn exact(x: Option<f64>) -> String {
    x.map(|v| wording::trimmed(v, 4)).unwrap_or_default()
}

/// A rate for the 数据来源 table: "8.93%（5/56）".
fn rate_exact(value: Option<f64>, num: Option<f64>, den: Option<f64>, decimals: u8) -> String {
    match (value, num, den) {
        (Some(v), Some(n), Some(d)) => format!(
            "{}（{}/{}）",
            wording::percent(v, decimals),
            wording::trimmed(n, 4),
            wording::trimmed(d, 4)
        ),
        _ => String::new(),
    }
}

/// The indicator codes a rate's numerator and denominator texts mention (`YS10`, `FY06C` …).
fn rate_inputs(r: &RateFigure) -> Vec<String> {
    let text = format!("{} {}", r.numerator_text, r.denominator_text);
    let mut codes: Vec<String> = text
        .split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|t| looks_like_code(t))
        .map(str::to_string)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Two capital letters and two digits, optionally a trailing letter or digits: `YS10`, `FY06C`.
fn looks_like_code(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 4
        && b.iter().take(2).all(u8::is_ascii_uppercase)
        && b.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && b.iter().skip(4).all(u8::is_ascii_alphanumeric)
}
