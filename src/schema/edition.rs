//! Schema editions (版本) and the mapping from the previous edition: a schema may declare in
//! `[previous]` the edition it revises and, per indicator, how last year's indicators become
//! this year's (same code, `renamed_from`, `split_from` with or without `share`, `merged_from`,
//! `unit_factor`, `new`; `dropped` in `[previous]`). The mapping is checked twice: on its own
//! when the file loads (`parse`), and against the previous edition once that is known
//! ([`Mapping::check`]); both refuse with the file, line and column of the offending value.
//! The format is documented in docs/schema-format.md §版本与上年对应.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::raw::{RawIndicator, RawPrevious, Text};
use super::source::{line_col, Source};
use super::Schema;
use crate::{Error, Result};

/// The editions built into the program: (id, path shown in errors, text).
pub const EMBEDDED: [(&str, &str, &str); 2] = [
    (
        "fazhi-2024",
        "schemas/fazhi-2024.toml",
        include_str!("../../schemas/fazhi-2024.toml"),
    ),
    (
        "fazhi-2025",
        "schemas/fazhi-2025.toml",
        include_str!("../../schemas/fazhi-2025.toml"),
    ),
];

/// The reason words of an indicator without a comparable prior.
pub const NEW_INDICATOR: &str = "新增指标";
pub const REDEFINED: &str = "口径变化";

/// A 1-based position in the schema file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct At {
    pub line: usize,
    pub col: usize,
}

/// Where this year's indicator's prior value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// The previous edition's indicator under the same code.
    Same,
    /// The previous edition's indicator under another code, same meaning.
    Renamed(String),
    /// A part of a previous indicator: its prior is `share` of the old value, or not comparable
    /// when no share is given.
    Split { from: String, share: Option<f64> },
    /// The sum of several previous indicators.
    Merged(Vec<String>),
    /// Not in the previous edition: no prior.
    New,
}

/// One indicator of this edition and its prior.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub code: String,
    pub origin: Origin,
    /// Multiplies the prior value (元 → 万元: 0.0001); `None` = 1, units unchanged.
    pub factor: Option<f64>,
    /// The indicator's code in the file.
    at: At,
    /// Each previous code the mapping names, with its position.
    refs: Vec<(String, At)>,
}

impl Link {
    /// The previous codes this indicator's prior is built from.
    pub fn sources(&self) -> Vec<&str> {
        match &self.origin {
            Origin::Same => vec![self.code.as_str()],
            Origin::Renamed(o) | Origin::Split { from: o, .. } => vec![o.as_str()],
            Origin::Merged(all) => all.iter().map(String::as_str).collect(),
            Origin::New => vec![],
        }
    }

    /// Why last year's value cannot be compared with this year's, if so.
    pub fn not_comparable(&self) -> Option<&'static str> {
        match self.origin {
            Origin::New => Some(NEW_INDICATOR),
            Origin::Split { share: None, .. } => Some(REDEFINED),
            _ => None,
        }
    }
}

/// The declared relation of a schema to its previous edition.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    /// The previous edition's id (`fazhi-2024`).
    pub previous: String,
    /// One per indicator of this edition, template order.
    pub links: Vec<Link>,
    /// Previous indicators this edition no longer collects.
    pub dropped: Vec<String>,
    /// The previous edition itself, once resolved ([`resolve`]).
    pub previous_schema: Option<Arc<Schema>>,
    path: PathBuf,
    previous_at: At,
    dropped_at: Vec<At>,
}

fn at(src: &Source, span: &std::ops::Range<usize>) -> At {
    let (line, col) = line_col(src.text, span.start);
    At { line, col }
}

/// Reads `[previous]` and the indicators' mapping fields, checking what the file alone can show.
pub(super) fn parse(
    src: &Source,
    previous: Option<&RawPrevious>,
    raw: &[RawIndicator],
) -> Result<Option<Mapping>> {
    let Some(prev) = previous else {
        if let Some(field) = raw.iter().find_map(first_mapping_field) {
            return Err(src.error_span(
                &field,
                "写了与上一版的对应关系（renamed_from、split_from、merged_from、share、unit_factor 或 new），\
                 但文件中没有 [previous]：请在 [previous] 中写明上一版的 id",
            ));
        }
        return Ok(None);
    };
    let links = raw
        .iter()
        .map(|ind| link(src, ind))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Mapping {
        previous: prev.id.get_ref().clone(),
        links,
        dropped: prev.dropped.iter().map(|d| d.get_ref().clone()).collect(),
        previous_schema: None,
        path: src.path.to_path_buf(),
        previous_at: at(src, &prev.id.span()),
        dropped_at: prev.dropped.iter().map(|d| at(src, &d.span())).collect(),
    }))
}

fn first_mapping_field(ind: &RawIndicator) -> Option<std::ops::Range<usize>> {
    ind.renamed_from
        .as_ref()
        .map(|t| t.span())
        .or_else(|| ind.split_from.as_ref().map(|t| t.span()))
        .or_else(|| ind.merged_from.as_ref().map(|t| t.span()))
        .or_else(|| ind.share.as_ref().map(|t| t.span()))
        .or_else(|| ind.unit_factor.as_ref().map(|t| t.span()))
        .or_else(|| ind.new.as_ref().map(|t| t.span()))
}

fn link(src: &Source, ind: &RawIndicator) -> Result<Link> {
    let code = ind.code.get_ref().clone();
    let new = ind.new.as_ref().filter(|n| *n.get_ref());
    let mut kinds: Vec<(&str, std::ops::Range<usize>)> = Vec::new();
    if let Some(t) = &ind.renamed_from {
        kinds.push(("renamed_from", t.span()));
    }
    if let Some(t) = &ind.split_from {
        kinds.push(("split_from", t.span()));
    }
    if let Some(t) = &ind.merged_from {
        kinds.push(("merged_from", t.span()));
    }
    if let Some(n) = new {
        kinds.push(("new", n.span()));
    }
    if let [(first, _), (second, span), ..] = kinds.as_slice() {
        return Err(src.error_span(
            span,
            format!("指标“{code}”同时写了 {first} 和 {second}：与上一版的对应关系只能写一种"),
        ));
    }
    if let Some(share) = &ind.share {
        if ind.split_from.is_none() {
            return Err(src.error_span(
                &share.span(),
                format!("指标“{code}”写了 share，但没有 split_from：比例只用于拆分的指标"),
            ));
        }
        let s = *share.get_ref();
        if !(s.is_finite() && s > 0.0 && s < 1.0) {
            return Err(src.error_span(
                &share.span(),
                format!("指标“{code}”的 share 应是大于 0、小于 1 的小数（如 0.3），实际为 {s}"),
            ));
        }
    }
    let factor = match &ind.unit_factor {
        Some(f) if new.is_some() => {
            return Err(src.error_span(
                &f.span(),
                format!("新增指标“{code}”没有上年数，不能写 unit_factor"),
            ));
        }
        Some(f) if !(f.get_ref().is_finite() && *f.get_ref() > 0.0) => {
            return Err(src.error_span(
                &f.span(),
                format!(
                    "指标“{code}”的 unit_factor 应是大于 0 的数（元 → 万元 写 0.0001），实际为 {}",
                    f.get_ref()
                ),
            ));
        }
        Some(f) => Some(*f.get_ref()),
        None => None,
    };
    let one = |t: &Text| vec![(t.get_ref().clone(), at(src, &t.span()))];
    let (origin, refs) = if let Some(t) = &ind.renamed_from {
        if t.get_ref() == &code {
            return Err(src.error_span(
                &t.span(),
                format!("指标“{code}”的 renamed_from 就是它自己的代码：代码不变时不用写"),
            ));
        }
        (Origin::Renamed(t.get_ref().clone()), one(t))
    } else if let Some(t) = &ind.split_from {
        let share = ind.share.as_ref().map(|s| *s.get_ref());
        (
            Origin::Split {
                from: t.get_ref().clone(),
                share,
            },
            one(t),
        )
    } else if let Some(list) = &ind.merged_from {
        let parts = list.get_ref();
        if parts.len() < 2 {
            return Err(src.error_span(
                &list.span(),
                format!("指标“{code}”的 merged_from 至少要有两项；由一项改名请写 renamed_from"),
            ));
        }
        let mut refs: Vec<(String, At)> = Vec::new();
        for p in parts {
            if refs.iter().any(|(c, _)| c == p.get_ref()) {
                return Err(src.error_span(
                    &p.span(),
                    format!("merged_from 中“{}”写了两次", p.get_ref()),
                ));
            }
            refs.push((p.get_ref().clone(), at(src, &p.span())));
        }
        (
            Origin::Merged(refs.iter().map(|(c, _)| c.clone()).collect()),
            refs,
        )
    } else if new.is_some() {
        (Origin::New, vec![])
    } else {
        (
            Origin::Same,
            vec![(code.clone(), at(src, &ind.code.span()))],
        )
    };
    Ok(Link {
        code,
        origin,
        factor,
        at: at(src, &ind.code.span()),
        refs,
    })
}

/// How a previous indicator is used by this edition (to refuse conflicting uses).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Use {
    Kept,
    Split,
    Other,
}

impl Mapping {
    fn error(&self, at: At, message: impl Into<String>) -> Error {
        Error::Schema {
            path: self.path.clone(),
            line: at.line,
            col: at.col,
            message: message.into(),
        }
    }

    /// Checks the mapping against the previous edition `old` (this edition is `new`): every
    /// code it names exists there, every previous indicator goes somewhere exactly once (kept,
    /// renamed, merged, split into parts whose shares sum to 1, or dropped), value types match,
    /// and a changed unit has its factor.
    pub fn check(&self, old: &Schema, new: &Schema) -> Result<()> {
        if old.id != self.previous {
            return Err(self.error(
                self.previous_at,
                format!(
                    "[previous] 写的上一版是“{}”，但给出的上一版指标体系是“{}”",
                    self.previous, old.id
                ),
            ));
        }
        // previous code → its uses (kind, this edition's code, position)
        let mut uses: BTreeMap<&str, Vec<(Use, &Link, At)>> = BTreeMap::new();
        for link in &self.links {
            for (code, at) in &link.refs {
                let Some(before) = old.indicator(code) else {
                    let msg = if link.origin == Origin::Same {
                        format!(
                            "上一版（{}）没有指标“{code}”：新增指标请写 new = true，由其他指标改名请写 renamed_from",
                            old.id
                        )
                    } else {
                        format!("上一版（{}）没有指标“{code}”", old.id)
                    };
                    return Err(self.error(*at, msg));
                };
                self.check_types(link, before, new, *at)?;
                let kind = match link.origin {
                    Origin::Same => Use::Kept,
                    Origin::Split { .. } => Use::Split,
                    _ => Use::Other,
                };
                uses.entry(code.as_str())
                    .or_default()
                    .push((kind, link, *at));
            }
        }
        for (code, list) in &uses {
            self.check_uses(code, list)?;
        }
        for (code, at) in self.dropped.iter().zip(&self.dropped_at) {
            if old.indicator(code).is_none() {
                return Err(self.error(*at, format!("上一版（{}）没有指标“{code}”", old.id)));
            }
            if let Some((_, link, _)) = uses.get(code.as_str()).and_then(|l| l.first()) {
                return Err(self.error(
                    *at,
                    format!(
                        "“{code}”写在 dropped 中，但本版指标“{}”（第 {} 行）由它而来",
                        link.code, link.at.line
                    ),
                ));
            }
        }
        for ind in &old.indicators {
            if !uses.contains_key(ind.code.as_str()) && !self.dropped.contains(&ind.code) {
                return Err(self.error(
                    self.previous_at,
                    format!(
                        "上一版的指标“{}”（{}）在本版中没有去向：不再采集请写入 [previous] 的 dropped；\
                         改了代码请在本版指标中写 renamed_from、split_from 或 merged_from",
                        ind.code, ind.name
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_types(
        &self,
        link: &Link,
        before: &super::Indicator,
        new: &Schema,
        at: At,
    ) -> Result<()> {
        let Some(now) = new.indicator(&link.code) else {
            return Ok(());
        };
        if before.value_type != now.value_type {
            return Err(self.error(
                at,
                format!(
                    "上一版“{}”与本版“{}”的取值类型不同（{:?} 与 {:?}），上年数无法对应",
                    before.code, now.code, before.value_type, now.value_type
                ),
            ));
        }
        if before.unit != now.unit && link.factor.is_none() {
            return Err(self.error(
                link.at,
                format!(
                    "上一版“{}”的单位是“{}”，本版“{}”是“{}”：请写 unit_factor（上年数乘以它换算为本版单位，\
                     如 元 → 万元 写 0.0001；只是写法不同则写 1）",
                    before.code, before.unit, now.code, now.unit
                ),
            ));
        }
        Ok(())
    }

    fn check_uses(&self, code: &str, list: &[(Use, &Link, At)]) -> Result<()> {
        let splits = list.iter().filter(|(k, _, _)| *k == Use::Split).count();
        let Some((_, first, _)) = list.first() else {
            return Ok(());
        };
        if splits == 0 {
            if let Some((_, link, at)) = list.get(1) {
                return Err(self.error(
                    *at,
                    format!(
                        "上一版指标“{code}”已对应到本版的“{}”（第 {} 行），不能再对应到“{}”；\
                         一项分成几项请在各项写 split_from",
                        first.code, first.at.line, link.code
                    ),
                ));
            }
            return Ok(());
        }
        if let Some((_, link, at)) = list.iter().find(|(k, _, _)| *k != Use::Split) {
            return Err(self.error(
                *at,
                format!(
                    "上一版指标“{code}”已拆分（split_from），本版“{}”不能再以其他方式对应它；\
                     代码不变的那一项也要写 split_from = \"{code}\"",
                    link.code
                ),
            ));
        }
        if splits == 1 {
            return Err(self.error(
                first.at,
                format!("上一版指标“{code}”只拆出“{}”一项：一项对一项请写 renamed_from（代码不变则不写）", first.code),
            ));
        }
        let shares: Vec<Option<f64>> = list
            .iter()
            .map(|(_, l, _)| match l.origin {
                Origin::Split { share, .. } => share,
                _ => None,
            })
            .collect();
        let given = shares.iter().filter(|s| s.is_some()).count();
        if given != 0 && given != shares.len() {
            let (_, missing, _) = list
                .iter()
                .zip(&shares)
                .find(|(_, s)| s.is_none())
                .map(|(l, _)| *l)
                .unwrap_or(list[0]);
            return Err(self.error(
                missing.at,
                format!(
                    "上一版指标“{code}”拆分的各项中有的写了 share、有的没写（“{}”没写）：要么都写（合计为 1），要么都不写（不可比）",
                    missing.code
                ),
            ));
        }
        let total: f64 = shares.iter().flatten().sum();
        if given != 0 && (total - 1.0).abs() > 1e-6 {
            return Err(self.error(
                first.at,
                format!(
                    "上一版指标“{code}”拆分的各项 share 合计为 {}，应为 1",
                    crate::aggregate::history::format_value(total)
                ),
            ));
        }
        Ok(())
    }

    /// Previous code → (this edition's code, weight) pairs: the prior of a this-year indicator
    /// is Σ weight × previous value over its sources. A split without shares and a dropped code
    /// have no pairs (their values are not carried over).
    pub fn weights(&self) -> BTreeMap<&str, Vec<(&str, f64)>> {
        let mut out: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
        for link in &self.links {
            let factor = link.factor.unwrap_or(1.0);
            let weight = match link.origin {
                Origin::Split { share: None, .. } | Origin::New => continue,
                Origin::Split { share: Some(s), .. } => s * factor,
                _ => factor,
            };
            for source in link.sources() {
                out.entry(source)
                    .or_default()
                    .push((link.code.as_str(), weight));
            }
        }
        out
    }

    /// The link of this edition's indicator `code`.
    pub fn link(&self, code: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.code == code)
    }
}

/// Whether the embedded edition `id` defines the indicator or rate `code`; `None` when `id` is
/// no embedded edition. Parsed once per edition.
pub fn embedded_defines(id: &str, code: &str) -> Option<bool> {
    static CODES: [std::sync::OnceLock<Vec<String>>; EMBEDDED.len()] =
        [const { std::sync::OnceLock::new() }; EMBEDDED.len()];
    let i = EMBEDDED.iter().position(|(e, _, _)| *e == id)?;
    let codes = CODES.get(i)?.get_or_init(|| match embedded(id) {
        Some(Ok(s)) => s
            .indicators
            .iter()
            .map(|x| x.code.clone())
            .chain(s.rates.iter().map(|r| r.code.clone()))
            .collect(),
        _ => Vec::new(),
    });
    Some(codes.iter().any(|c| c == code))
}

/// The embedded edition with this id, parsed (its own `[previous]` left unresolved).
pub fn embedded(id: &str) -> Option<Result<Schema>> {
    EMBEDDED
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, path, text)| super::load::parse(text, Path::new(path)))
}

/// Resolves and checks `schema`'s previous edition: `given` (from `--prior-schema`) when its id
/// is the one `[previous]` names, else the embedded edition of that id.
pub fn resolve(schema: &mut Schema, given: Option<Schema>) -> Result<()> {
    let Some(mapping) = schema.mapping.as_ref() else {
        if let Some(g) = given {
            return Err(Error::Usage(format!(
                "--prior-schema 给出了上一版指标体系“{}”，但本次的指标体系“{}”没有 [previous]（没有写明与上一版的对应关系），\
                 无法换算上年数据；本次未做处理",
                g.id, schema.id
            )));
        }
        return Ok(());
    };
    let old = match given {
        Some(g) => g,
        None => match embedded(&mapping.previous) {
            Some(s) => s?,
            None => {
                return Err(mapping.error(
                    mapping.previous_at,
                    format!(
                    "上一版指标体系“{}”不是内置版本（内置：{}）：请用 --prior-schema 给出它的文件",
                    mapping.previous,
                    EMBEDDED.map(|e| e.0).join("、")
                ),
                ))
            }
        },
    };
    mapping.check(&old, schema)?;
    if let Some(m) = schema.mapping.as_mut() {
        m.previous_schema = Some(Arc::new(old));
    }
    Ok(())
}
