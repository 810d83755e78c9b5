//! The indicator schema (指标体系): sections, indicators, breakdown groups, derived rates and
//! validation rules, loaded from a TOML file (`schemas/fazhi-2024.toml` is embedded as the
//! default). Everything is checked when the schema loads: a bad schema is refused with its file,
//! line and column.

pub mod diff;
pub mod edition;
pub mod expr;
pub mod label;
mod load;
pub mod parser;
mod raw;
mod source;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::OnceLock;

use crate::codes::Code;
use crate::diagnostic::Severity;
use crate::registry::UnitKind;
use crate::Result;
pub use expr::Expr;

/// The embedded default schema.
pub const DEFAULT_SCHEMA: &str = include_str!("../../schemas/fazhi-2024.toml");

/// What kind of value an indicator holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A whole number ≥ 0 (件, 次, 人 …).
    Count,
    /// A decimal ≥ 0 with at most 2 decimals, stored in 元.
    Amount,
    /// 是/否.
    YesNo,
}

/// How an indicator becomes a county figure (docs/reference/domain.md §1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// Σ over units.
    Sum,
    /// Σ over units of per-unit case counts that may double count (co-defendants).
    SumOverlap,
    /// The county-office (or court) value, never summed.
    County,
    /// Number of expected units answering 是, shown as "n of N".
    CountYes,
    /// Year-end stock: Σ at year end, compared year end to year end, never added over years.
    Stock,
}

/// Plausibility bounds per value type (the schema's `[limits]` table): the largest value any
/// real unit can report. A larger number is an N02 error at its cell and never part of a
/// total. Yes/no values are 0 or 1 by construction and need none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Counts (件, 次, 人 …).
    pub count: f64,
    /// Amounts in 元.
    pub amount: f64,
}

impl Limits {
    /// Default count bound: 1亿. A county has at most a few million people, so no township or
    /// department counts 10^8 of anything, while an 11-digit phone number (~1.3e10) or an
    /// 18-digit ID number (~4e17) exceeds it.
    pub const COUNT: f64 = 1e8;
    /// Default amount bound: 1万亿元, above the GDP of any county.
    pub const AMOUNT: f64 = 1e12;
    /// No bound (default, override) may exceed this. Counts up to it are exact in f64
    /// (2^53 ≈ 9.0e15), and ten million units at it sum to 1e22, nowhere near f64::MAX
    /// (1.8e308): no county total can overflow.
    pub const CEILING: f64 = 1e15;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            count: Limits::COUNT,
            amount: Limits::AMOUNT,
        }
    }
}

/// A section of the template (一 组织领导与学法 …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Two-letter code, e.g. `ZL`.
    pub code: String,
    /// Display name, e.g. `一、组织领导与学法`.
    pub name: String,
}

/// A base indicator or a breakdown sub-field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    /// Stable code, e.g. `FY02`, `ZF06B`.
    pub code: String,
    pub name: String,
    /// Measurement unit (件, 次, 人, 元 …); empty for yes/no.
    pub unit: String,
    pub value_type: ValueType,
    /// Section code.
    pub section: String,
    /// Unit kinds that report it.
    pub reporters: Vec<UnitKind>,
    pub aggregation: Aggregation,
    /// For breakdown sub-fields: the total they partition (e.g. `ZF06` for `ZF06B`).
    pub parent: Option<String>,
    /// Filling hint shown in the 填报说明 sheet.
    pub hint: Option<String>,
    /// This indicator's plausibility bound when it differs from its type's ([`Limits`]).
    #[serde(default)]
    pub max: Option<f64>,
}

impl Indicator {
    /// Whether units of `kind` fill it: a level's own office (市本级) fills what a county office
    /// fills.
    pub fn reported_by(&self, kind: UnitKind) -> bool {
        self.reporters.contains(&kind.reporting_kind())
    }
}

/// A derived rate: Σ numerator / Σ denominator over units, recomputed at every level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub code: String,
    pub name: String,
    /// Evaluated per unit, then summed.
    pub numerator: Expr,
    pub denominator: Expr,
    /// The source text of the two expressions, for display.
    pub numerator_text: String,
    pub denominator_text: String,
    /// Decimals when shown as a percentage (2 → 8.93%).
    pub decimals: u8,
    /// `None`: a percentage. `Some(unit)`: a plain ratio in that unit (件均罚没金额, 元/宗), shown
    /// as a number, its change as a difference rather than in 百分点.
    pub unit: Option<String>,
    /// Unit kinds over which the rate is computed (empty = all that report the inputs).
    pub kinds: Vec<UnitKind>,
}

/// When a rule can be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleScope {
    /// Within one submission.
    InRecord,
    /// Needs the same unit's prior-year values (`prev.X`).
    CrossPeriod,
}

/// A schema's change to a code the program checks itself ([`crate::codes::TABLE`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Override {
    pub code: Code,
    pub severity: Option<Severity>,
    /// A new message template, for codes whose table entry has one.
    pub message: Option<String>,
}

/// An expression rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// V-code, e.g. `V25`; never a code of [`crate::codes::TABLE`].
    pub code: Code,
    pub severity: Severity,
    /// Short Chinese title.
    pub title: String,
    /// Chinese message template; `{X}` is replaced by the value of indicator X, `{prev.X}` by
    /// its prior-year value.
    pub message: String,
    pub scope: RuleScope,
    /// The condition that must hold.
    pub expr: Expr,
    pub expr_text: String,
    /// Precondition; the rule is skipped when it is false or missing.
    pub when: Option<Expr>,
    /// Unit kinds the rule applies to (empty = all).
    pub kinds: Vec<UnitKind>,
    /// Longer explanation printed by `huizong rule CODE`.
    pub help: Option<String>,
}

/// The loaded schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// e.g. `fazhi-2024`.
    pub id: String,
    /// e.g. `法治政府建设年度统计`.
    pub title: String,
    /// e.g. `2024`.
    pub edition: String,
    /// Written to every template's cover; a return with another version is flagged.
    pub template_version: String,
    pub sections: Vec<Section>,
    /// Template order.
    pub indicators: Vec<Indicator>,
    pub rates: Vec<Rate>,
    pub rules: Vec<Rule>,
    /// Severity and message changes to built-in codes.
    pub overrides: Vec<Override>,
    /// Plausibility bounds per value type.
    #[serde(default)]
    pub limits: Limits,
    /// Code → position in `indicators`, built on first lookup. Leave it `Default::default()`
    /// when building a schema by hand.
    #[serde(skip)]
    pub index: CodeIndex,
    /// How this edition relates to the previous one (`[previous]`), with the previous edition
    /// once resolved; `None` for a schema that declares no previous edition.
    #[serde(skip)]
    pub mapping: Option<edition::Mapping>,
}

/// A lazily built code → position map for [`Schema::indicator`]: run looks indicators up once
/// per value (millions at province scale), and a scan over 104 codes was a visible share of the
/// aggregate phase.
#[derive(Debug, Clone, Default)]
pub struct CodeIndex(OnceLock<FxHashMap<String, usize>>);

impl PartialEq for CodeIndex {
    /// A cache: two schemas are equal by their content, never by whether it was built.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Schema {
    /// The embedded default schema.
    pub fn default_schema() -> Schema {
        Schema::parse(DEFAULT_SCHEMA, Path::new("schemas/fazhi-2024.toml"))
            .expect("the embedded schema is checked by the test suite")
    }

    /// Loads `path`, or the embedded default when `None`, and resolves its previous edition
    /// (an embedded one) when it declares `[previous]`.
    pub fn load(path: Option<&Path>) -> Result<Schema> {
        Schema::load_with(path, None)
    }

    /// [`Schema::load`] with the previous edition read from `prior` (`--prior-schema`) instead
    /// of the embedded editions. A path that is no file but an embedded edition's id
    /// (`fazhi-2025`) names that edition.
    pub fn load_with(path: Option<&Path>, prior: Option<&Path>) -> Result<Schema> {
        let mut schema = match path {
            None => Schema::default_schema(),
            Some(p) => Schema::read_one(p)?,
        };
        let given = prior.map(Schema::read_one).transpose()?;
        edition::resolve(&mut schema, given)?;
        Ok(schema)
    }

    /// One schema file (or embedded edition id), its `[previous]` unresolved.
    fn read_one(p: &Path) -> Result<Schema> {
        if !p.exists() {
            if let Some(s) = p.to_str().and_then(edition::embedded) {
                return s;
            }
        }
        let text = std::fs::read_to_string(p).map_err(|source| crate::Error::Read {
            path: p.to_path_buf(),
            source,
        })?;
        Schema::parse(&text, p)
    }

    /// The previous edition, when this schema declares and resolved one.
    pub fn previous(&self) -> Option<&Schema> {
        self.mapping.as_ref()?.previous_schema.as_deref()
    }

    /// Parses and checks schema text; `path` is only used in error messages.
    /// The format is documented in `docs/schema-format.md`; every refusal is a
    /// [`crate::Error::Schema`] with a 1-based line and column.
    pub fn parse(text: &str, path: &Path) -> Result<Schema> {
        load::parse(text, path)
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        let index = self.index.0.get_or_init(|| {
            let mut map = FxHashMap::default();
            for (i, ind) in self.indicators.iter().enumerate() {
                map.entry(ind.code.clone()).or_insert(i);
            }
            map
        });
        match index.get(code).and_then(|&i| self.indicators.get(i)) {
            Some(ind) if ind.code == code => Some(ind),
            // A miss (a rate code, an unknown code) or a stale position (a hand-built schema
            // edited after its first lookup) is settled by the list itself, so the answer is
            // always the list's.
            _ => self.indicators.iter().find(|i| i.code == code),
        }
    }

    /// The largest plausible value of `ind`: its own `max`, else its type's bound; never above
    /// [`Limits::CEILING`] (the loader refuses more, and a hand-built schema is capped here).
    pub fn max_of(&self, ind: &Indicator) -> f64 {
        let bound = ind.max.unwrap_or(match ind.value_type {
            ValueType::Count => self.limits.count,
            ValueType::Amount => self.limits.amount,
            ValueType::YesNo => 1.0,
        });
        // NaN (only possible in a hand-built schema) falls to the ceiling too.
        if bound <= Limits::CEILING {
            bound
        } else {
            Limits::CEILING
        }
    }

    /// The expression rule with this code.
    pub fn rule(&self, code: Code) -> Option<&Rule> {
        self.rules.iter().find(|r| r.code == code)
    }

    /// The severity findings under `code` get: the schema's override or expression rule, else
    /// the table's default.
    pub fn severity(&self, code: Code) -> Severity {
        self.overrides
            .iter()
            .find(|o| o.code == code)
            .and_then(|o| o.severity)
            .or_else(|| self.rule(code).map(|r| r.severity))
            .unwrap_or_else(|| code.severity())
    }

    /// The message template of a built-in code: the schema's override, else the table's.
    pub fn template(&self, code: Code) -> Option<&str> {
        self.overrides
            .iter()
            .find(|o| o.code == code)
            .and_then(|o| o.message.as_deref())
            .or_else(|| code.info().and_then(|c| c.template))
    }

    /// Indicators in one section, template order.
    pub fn section_indicators<'a>(
        &'a self,
        section: &'a str,
    ) -> impl Iterator<Item = &'a Indicator> {
        self.indicators.iter().filter(move |i| i.section == section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indicator_lookup_survives_edits_after_the_index_was_built() {
        let mut schema = Schema::default_schema();
        assert_eq!(
            schema.indicator("FY02").map(|i| i.code.as_str()),
            Some("FY02")
        );
        assert!(schema.indicator("ZZ99").is_none());
        // A hand-built schema edited after its first lookup: the index is stale, the answer
        // must not be.
        let mut extra = schema.indicators[0].clone();
        extra.code = "ZZ99".into();
        schema.indicators.push(extra);
        assert_eq!(
            schema.indicator("ZZ99").map(|i| i.code.as_str()),
            Some("ZZ99")
        );
        schema.indicators.remove(0);
        let first = schema.indicators[0].code.clone();
        assert_eq!(schema.indicator(&first).map(|i| &i.code), Some(&first));
        // Same length as when the index was built, and a code it never saw.
        assert_eq!(
            schema.indicator("ZZ99").map(|i| i.code.as_str()),
            Some("ZZ99")
        );
        assert!(schema.indicator("ZZ98").is_none());
    }
}
