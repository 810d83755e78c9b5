//! The data paragraphs of the county's annual report, in the seeds' wording, from the county
//! figures. No polars or workbook types here: the input is [`crate::aggregate::Figures`].
//!
//! Flow: [`load_figures`] reads `figures_<year>.json` from a run folder; [`draft`] renders one
//! minijinja template per section ([`templates`]) with the functions of [`context`], whose
//! numbers follow the rules of [`wording`]; [`markdown`], [`docx`] and [`sources`] write the
//! result.

pub mod context;
pub mod docx;
pub mod markdown;
pub mod sources;
pub mod templates;
pub mod wording;

use std::path::{Path, PathBuf};

use minijinja::syntax::SyntaxConfig;
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior};

pub use context::{OmitReason, Omitted, SourceRow, UNVERIFIED_NOTE};
pub use templates::{TemplateSet, SECTIONS};

use crate::aggregate::Figures;
use crate::{Error, Result};

/// One section of the draft: heading and paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSection {
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// The rendered draft.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub year: i32,
    /// The coverage note, when some units' data was held back or the 同比 scope differs from
    /// last year's report ([`coverage_note`]).
    pub note: Option<String>,
    /// Sections with at least one sentence, in report order.
    pub sections: Vec<DraftSection>,
    /// Sentences the templates left out, with the reason.
    pub omitted: Vec<Omitted>,
    /// Every number in the text, tied to its figure.
    pub sources: Vec<SourceRow>,
    /// The figures written that rest on unverified values, once per section and code, in text
    /// order: their sentences carry [`UNVERIFIED_NOTE`].
    pub unverified: Vec<UnverifiedFigure>,
}

/// A figure of the draft that includes values not verified yet, and whose they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedFigure {
    pub section: String,
    pub code: String,
    pub name: String,
    /// (code, name) of the units, in unit order.
    pub units: Vec<(String, String)>,
}

impl Draft {
    /// The document title.
    pub fn title(&self) -> String {
        format!("{}年度法治政府建设情况报告（数据段落草稿）", self.year)
    }
}

/// The file name the run command writes the figures of `year` to.
pub fn figures_file_name(year: i32) -> String {
    format!("figures_{year}.json")
}

/// Reads `figures_<year>.json` from a `huizong run` output folder.
pub fn load_figures(dir: &Path, year: i32) -> Result<Figures> {
    let path = dir.join(figures_file_name(year));
    if !path.is_file() {
        return Err(Error::Usage(format!(
            "在 {} 中找不到 {}：请先运行 huizong run --year {year} --out {}，或检查 --from 与 --year 是否正确",
            dir.display(),
            figures_file_name(year),
            dir.display()
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Read {
        path: path.clone(),
        source: e,
    })?;
    let figures: Figures = serde_json::from_str(&text).map_err(|e| {
        Error::Other(format!(
            "{} 不是有效的汇总结果文件（第 {} 行第 {} 列：{e}）",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if figures.year != year {
        return Err(Error::Usage(format!(
            "{} 是 {} 年度的汇总结果，与 --year {year} 不符",
            path.display(),
            figures.year
        )));
    }
    Ok(figures)
}

/// The coverage note, when units were held back ("以下数据覆盖N个单位，另有M个单位因数据错误暂未
///纳入") or when the year-on-year comparison covers other units than last year's report (the
/// scope sentence of [`scope_sentence`]); `None` when neither.
pub fn coverage_note(figures: &Figures) -> Option<String> {
    let held = figures.coverage.held_back.len();
    let mut note = String::new();
    let unverified = figures.coverage.held_unverified.len();
    if held > 0 && unverified == 0 {
        note.push_str(&format!(
            "以下数据覆盖{}个单位，另有{held}个单位因数据错误暂未纳入。",
            figures.coverage.accepted.len()
        ));
    } else if held > 0 {
        let errors = held.saturating_sub(unverified);
        let why = if errors > 0 {
            format!("{errors}个单位因数据错误、{unverified}个单位因数据尚待核实")
        } else {
            format!("{unverified}个单位因数据尚待核实")
        };
        note.push_str(&format!(
            "以下数据覆盖{}个单位，另有{why}暂未纳入。",
            figures.coverage.accepted.len()
        ));
    }
    if let Some(scope) = scope_sentence(figures) {
        note.push_str(&scope);
    }
    (!note.is_empty()).then(|| format!("注：{note}"))
}

/// One sentence saying whose last year the 同比 figures compare with, when that differs from
/// last year's report: "同比按本年已汇总的42个单位计算（另有3个单位暂未汇总、1个单位未报送）。"
/// `None` without last-year figures or when both years cover the same units.
pub fn scope_sentence(figures: &Figures) -> Option<String> {
    let c = &figures.coverage;
    let any_prior = figures.indicators.iter().any(|i| i.prior.is_some())
        || figures.rates.iter().any(|r| r.prior_value.is_some())
        || !c.prior_excluded.is_empty();
    if !any_prior || !c.scope_differs() {
        return None;
    }
    let mut inside: Vec<String> = Vec::new();
    let others: Vec<String> = c
        .left_out_counts()
        .into_iter()
        .map(|(why, n)| format!("{n}个单位{}", why.label()))
        .collect();
    if !others.is_empty() {
        inside.push(format!("另有{}", others.join("、")));
    }
    if !c.without_prior.is_empty() {
        inside.push(format!("其中{}个单位上年无数据", c.without_prior.len()));
    }
    if figures.level != crate::aggregate::rollup::Level::County {
        // A city's or province's units are its regions and its own offices; the counts above
        // are the regions' own units, so they are said to be inside the regions.
        let inner: Vec<String> = inside
            .iter()
            .map(|s| {
                s.replacen("另有", "各地区另有", 1)
                    .replacen("其中", "各地区中", 1)
            })
            .collect();
        return Some(format!(
            "同比按可比口径计算，只比较本年已汇总的同一批单位（{}）。",
            inner.join("；")
        ));
    }
    Some(format!(
        "同比按本年已汇总的{}个单位计算（{}）。",
        c.accepted.len(),
        inside.join("；")
    ))
}

/// Who the court figures (YS08–YS10) come from at each level: the county court, or every court
/// of the city or province summed (the 中院 included).
fn court_words(level: crate::aggregate::rollup::Level) -> &'static str {
    match level {
        crate::aggregate::rollup::Level::County => "县法院",
        crate::aggregate::rollup::Level::City => "全市法院",
        crate::aggregate::rollup::Level::Province => "全省法院",
    }
}

/// Renders every section template against `figures`.
pub fn draft(figures: &Figures, set: &TemplateSet) -> Result<Draft> {
    let ctx = context::DraftContext::new(figures.clone());
    let env = environment(set, &ctx)?;
    let mut sections = Vec::new();
    for spec in SECTIONS {
        ctx.recorder().section = spec.title.to_string();
        let text = env
            .get_template(spec.file)
            .and_then(|t| {
                t.render(context! {
                    year => figures.year,
                    prior_year => figures.prior_year,
                    section => spec.title,
                    area => figures.level.area(),
                    whole => format!("全{}", figures.level.area()),
                    court => court_words(figures.level),
                })
            })
            .map_err(|e| template_failure(set, spec.file, &e))?;
        let paragraphs: Vec<String> = paragraphs(&text)
            .iter()
            .map(|p| context::place_unverified_notes(p))
            .collect();
        if !paragraphs.is_empty() {
            sections.push(DraftSection {
                title: spec.title.to_string(),
                paragraphs,
            });
        }
    }
    let mut rec = ctx.recorder();
    let sources = std::mem::take(&mut rec.sources);
    Ok(Draft {
        year: figures.year,
        note: coverage_note(figures),
        sections,
        omitted: std::mem::take(&mut rec.omitted),
        unverified: unverified_figures(figures, &sources),
        sources,
    })
}

/// The figures of `sources` with unverified units, once per section and code.
fn unverified_figures(figures: &Figures, sources: &[SourceRow]) -> Vec<UnverifiedFigure> {
    let name_of = |code: &str| {
        figures
            .units
            .iter()
            .find(|u| u.code == code)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let mut out: Vec<UnverifiedFigure> = Vec::new();
    for s in sources.iter().filter(|s| !s.unverified.is_empty()) {
        if out
            .iter()
            .any(|u| u.section == s.section && u.code == s.code)
        {
            continue;
        }
        out.push(UnverifiedFigure {
            section: s.section.clone(),
            code: s.code.clone(),
            name: s.name.clone(),
            units: s
                .unverified
                .iter()
                .map(|c| (c.clone(), name_of(c)))
                .collect(),
        });
    }
    out
}

/// A minijinja environment holding every section template and the draft functions. Block tags
/// on their own line leave no trace (trim/lstrip blocks); unknown variables are errors.
fn environment(set: &TemplateSet, ctx: &context::DraftContext) -> Result<Environment<'static>> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .map_err(|e| Error::Other(format!("模板语法配置错误：{e}")))?;
    env.set_syntax(syntax);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    for spec in SECTIONS {
        env.add_template_owned(spec.file, set.source(spec.file).to_string())
            .map_err(|e| template_failure(set, spec.file, &e))?;
    }
    ctx.register(&mut env);
    Ok(env)
}

/// A Chinese error naming the template file (the county's own path when it is theirs) and line.
fn template_failure(set: &TemplateSet, file: &str, e: &minijinja::Error) -> Error {
    let shown: PathBuf = match set.origin(file) {
        templates::TemplateOrigin::Custom(p) => p,
        templates::TemplateOrigin::Default => PathBuf::from(format!("内置模板 {file}")),
    };
    let line = e.line().map(|l| format!("第 {l} 行：")).unwrap_or_default();
    let detail = e
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| e.to_string());
    Error::Other(format!("措辞模板 {} {line}{detail}", shown.display()))
}

/// Splits rendered text into paragraphs: blank lines separate paragraphs; the lines of one
/// paragraph are trimmed and joined without a space (Chinese text), so a template can put one
/// sentence per line.
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_join_lines_and_split_on_blank_lines() {
        let text = "  第一句。\n第二句。\n\n\n第三句。\n  \n";
        assert_eq!(paragraphs(text), vec!["第一句。第二句。", "第三句。"]);
        assert!(paragraphs("\n \n").is_empty());
    }
}
