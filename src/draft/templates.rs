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
}
