//! The section templates: one minijinja file per report section. The defaults are embedded in the
//! binary (templates/draft/*.j2); a county can put its own files with the same names in a folder
//! and pass `--templates`, and every file it does not provide falls back to the default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// One report section: its template file and its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionSpec {
    /// Template file name (the schema's section prefix in lower case), e.g. `fy.j2`.
    pub file: &'static str,
    /// Heading in the report, e.g. `行政复议`.
    pub title: &'static str,
    /// The embedded default template.
    pub default: &'static str,
}

/// The sections in report order (the template's sheet order, docs/reference/domain.md §1.1).
pub const SECTIONS: [SectionSpec; 11] = [
    spec(
        "zl.j2",
        "组织领导与学法",
        include_str!("../../templates/draft/zl.j2"),
    ),
    spec(
        "gf.j2",
        "规范性文件",
        include_str!("../../templates/draft/gf.j2"),
    ),
    spec(
        "jc.j2",
        "重大行政决策",
        include_str!("../../templates/draft/jc.j2"),
    ),
    spec(
        "gw.j2",
        "法律顾问",
        include_str!("../../templates/draft/gw.j2"),
    ),
    spec(
        "zf.j2",
        "行政执法",
        include_str!("../../templates/draft/zf.j2"),
    ),
    spec(
        "fy.j2",
        "行政复议",
        include_str!("../../templates/draft/fy.j2"),
    ),
    spec(
        "ys.j2",
        "行政应诉",
        include_str!("../../templates/draft/ys.j2"),
    ),
    spec("pf.j2", "普法", include_str!("../../templates/draft/pf.j2")),
    spec(
        "gk.j2",
        "政务公开",
        include_str!("../../templates/draft/gk.j2"),
    ),
    spec(
        "fw.j2",
        "政务服务",
        include_str!("../../templates/draft/fw.j2"),
    ),
    spec(
        "jf.j2",
        "矛盾纠纷化解",
        include_str!("../../templates/draft/jf.j2"),
    ),
];

const fn spec(file: &'static str, title: &'static str, default: &'static str) -> SectionSpec {
    SectionSpec {
        file,
        title,
        default,
    }
}

/// Where a section's template text came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateOrigin {
    /// The embedded default.
    Default,
    /// A county's own file.
    Custom(PathBuf),
}

/// The template text of every section, keyed by file name.
#[derive(Debug, Clone)]
pub struct TemplateSet {
    sources: BTreeMap<&'static str, (String, TemplateOrigin)>,
}

impl TemplateSet {
    /// The embedded defaults.
    pub fn defaults() -> Self {
        let sources = SECTIONS
            .iter()
            .map(|s| (s.file, (s.default.to_string(), TemplateOrigin::Default)))
            .collect();
        TemplateSet { sources }
    }

    /// The defaults, replaced by the files of `dir` that have a section's file name.
    pub fn with_overrides(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "模板文件夹 {} 不存在或不是文件夹",
                dir.display()
            )));
        }
        let mut set = Self::defaults();
        for s in SECTIONS {
            let path = dir.join(s.file);
            if path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|e| Error::Read {
                    path: path.clone(),
                    source: e,
                })?;
                set.sources
                    .insert(s.file, (text, TemplateOrigin::Custom(path)));
            }
        }
        Ok(set)
    }

    /// The template text of a section file (empty when the name is not a section).
    pub fn source(&self, file: &str) -> &str {
        self.sources
            .get(file)
            .map(|(t, _)| t.as_str())
            .unwrap_or("")
    }

    /// Where a section file's text came from.
    pub fn origin(&self, file: &str) -> TemplateOrigin {
        self.sources
            .get(file)
            .map(|(_, o)| o.clone())
            .unwrap_or(TemplateOrigin::Default)
    }

    /// The figures the report leads with, in report order, each once: every section's first
    /// figure, every figure it compares with last year (`need_prior`), and every rate it
    /// quotes (rate codes start with `R`). The summary's 概览 sheet shows these.
    pub fn headline_codes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |c: &str| {
            if !out.iter().any(|o| o == c) {
                out.push(c.to_string());
            }
        };
        for spec in SECTIONS {
            let text = self.source(spec.file);
            let codes = code_literals(text);
            if let Some((_, first)) = codes.first() {
                push(first);
            }
            for (at, code) in &codes {
                let call = text[..*at].rfind('(').map(|open| &text[..open]);
                let compared = call.is_some_and(|c| c.ends_with("need_prior"))
                    && !text[text[..*at].rfind('(').unwrap_or(0)..*at].contains(')');
                if compared || code.starts_with('R') {
                    push(code);
                }
            }
        }
        out
    }
}

/// The string literals of a template that look like figure codes (`"FY02"`, `"RYS02c"`), with
/// their byte offsets, in order.
fn code_literals(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let lit = &after[..close];
        let upper = lit.bytes().take_while(u8::is_ascii_uppercase).count();
        let digits = lit
            .bytes()
            .skip(upper)
            .take_while(u8::is_ascii_digit)
            .count();
        if (2..=4).contains(&upper) && digits >= 2 && lit.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            out.push((offset + open, lit.to_string()));
        }
        offset += open + close + 2;
        rest = &after[close + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_codes_lead_with_each_section_and_its_comparisons() {
        let codes = TemplateSet::defaults().headline_codes();
        // the first section's first figure leads
        assert_eq!(codes[0], "ZL01", "{codes:?}");
        for c in ["FY02", "GF01", "FW05", "GK01", "ZF06", "RYS01", "RFY02"] {
            assert!(codes.contains(&c.to_string()), "{c}: {codes:?}");
        }
        // a count quoted only inside its section is not a headline
        assert!(!codes.contains(&"FY04".to_string()), "{codes:?}");
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        println!("{codes:?}");
    }

    #[test]
    fn code_literals_skip_other_strings() {
        let got = code_literals(r#"{% if need("行政复议收案数", "FY02") %}{{ v("RYS02c") }}"x""#);
        let codes: Vec<&str> = got.iter().map(|(_, c)| c.as_str()).collect();
        assert_eq!(codes, ["FY02", "RYS02c"]);
    }
}
