//! The schema file exactly as written (TOML → serde), before any checking. Every field that can
//! be wrong in a way serde cannot see (codes, enum spellings, expressions) keeps its byte span so
//! the loader can report the exact line and column. The format is documented in
//! `docs/schema-format.md`.

use serde::Deserialize;
use toml::Spanned;

/// A string together with its byte span in the file (quotes included).
pub type Text = Spanned<String>;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub schema: RawHeader,
    #[serde(default)]
    pub sections: Vec<RawSection>,
    #[serde(default)]
    pub indicators: Vec<RawIndicator>,
    #[serde(default)]
    pub rates: Vec<RawRate>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub overrides: Vec<RawOverride>,
    pub limits: Option<RawLimits>,
    /// `[previous]`: the edition this one revises (docs/schema-format.md §版本与上年对应).
    #[serde(default)]
    pub previous: Option<RawPrevious>,
}

/// `[previous]`: the previous edition's id and the indicators it had that this one drops.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrevious {
    pub id: Text,
    #[serde(default)]
    pub dropped: Vec<Text>,
}

/// `[limits]`: plausibility bounds per value type; a missing key keeps the built-in default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    #[serde(default)]
    pub count: Option<Spanned<f64>>,
    #[serde(default)]
    pub amount: Option<Spanned<f64>>,
}

/// `[schema]`: identity of the indicator system.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHeader {
    pub id: String,
    pub title: String,
    pub edition: String,
    pub template_version: String,
}

/// `[[sections]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSection {
    pub code: Text,
    pub name: String,
}

/// `[[indicators]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndicator {
    pub code: Text,
    pub section: Text,
    pub name: String,
    /// Omitted (or empty) for yes/no indicators.
    #[serde(default)]
    pub unit: Option<Text>,
    pub value_type: Text,
    pub reporters: Spanned<Vec<Text>>,
    pub aggregation: Text,
    #[serde(default)]
    pub parent: Option<Text>,
    #[serde(default)]
    pub hint: Option<String>,
    /// Plausibility bound overriding the value type's.
    #[serde(default)]
    pub max: Option<Spanned<f64>>,
    /// How it relates to the previous edition (one of these at most; none = the same code).
    #[serde(default)]
    pub renamed_from: Option<Text>,
    #[serde(default)]
    pub split_from: Option<Text>,
    #[serde(default)]
    pub share: Option<Spanned<f64>>,
    #[serde(default)]
    pub merged_from: Option<Spanned<Vec<Text>>>,
    #[serde(default)]
    pub unit_factor: Option<Spanned<f64>>,
    #[serde(default)]
    pub new: Option<Spanned<bool>>,
}

/// `[[rates]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRate {
    pub code: Text,
    pub name: String,
    pub numerator: Text,
    pub denominator: Text,
    #[serde(default)]
    pub decimals: Option<Spanned<i64>>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub kinds: Vec<Text>,
}

/// `[[overrides]]`: a new severity (or message template) for a code the program checks itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverride {
    pub code: Text,
    #[serde(default)]
    pub severity: Option<Text>,
    #[serde(default)]
    pub message: Option<Text>,
}

/// `[[rules]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub code: Text,
    pub severity: Text,
    pub title: String,
    pub message: Text,
    pub scope: Text,
    #[serde(default)]
    pub expr: Option<Text>,
    #[serde(default)]
    pub when: Option<Text>,
    #[serde(default)]
    pub kinds: Vec<Text>,
    #[serde(default)]
    pub help: Option<String>,
}
