//! `huizong.toml`: what a county office fills in once and every output repeats — its name on
//! printed pages, and the deadline, contact and 表号 on the templates' cover — kept beside the
//! registry (`units.csv`), where `template`, `check` and `run` already look. Every key is
//! optional; a missing file means none of them is printed. Format: docs/settings.md.
//!
//! ```toml
//! office      = "某某县司法局（依法治县办）"   # 制表单位
//! contact     = "张三"                        # 联系人
//! phone       = "0377-61234567"
//! deadline    = "2025-01-15"                  # 报送截止日期
//! form_number = "法治统1表"                    # 表号
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The file name looked for beside the registry.
pub const FILE: &str = "huizong.toml";

/// The county's settings; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// 制表单位: the office that makes the summary, e.g. 某某县司法局（依法治县办）.
    #[serde(default, alias = "制表单位")]
    pub office: Option<String>,
    /// 联系人.
    #[serde(default, alias = "联系人")]
    pub contact: Option<String>,
    /// 联系电话.
    #[serde(default, alias = "联系电话")]
    pub phone: Option<String>,
    /// 报送截止日期, as the office writes it (2025-01-15, 2025年1月15日).
    #[serde(default, alias = "报送截止日期")]
    pub deadline: Option<String>,
    /// 表号 of the statistical form.
    #[serde(default, alias = "表号")]
    pub form_number: Option<String>,
}

impl Settings {
    /// `huizong.toml` in the folder of `registry`, or no settings when there is none.
    pub fn beside(registry: &Path) -> Result<Settings> {
        let dir = registry.parent().unwrap_or(Path::new("."));
        let path: PathBuf = dir.join(FILE);
        if !path.is_file() {
            return Ok(Settings::default());
        }
        Settings::load(&path)
    }

    /// Reads one settings file; a syntax error or unknown key names the line.
    pub fn load(path: &Path) -> Result<Settings> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Settings::parse(&text).map_err(|m| Error::Usage(format!("{}：{m}", path.display())))
    }

    /// Parses settings text (empty values count as absent).
    pub fn parse(text: &str) -> std::result::Result<Settings, String> {
        let mut s: Settings = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |sp| {
                text.as_bytes()[..sp.start.min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            });
            let msg = e.message();
            let what = match msg.strip_prefix("unknown field `") {
                Some(rest) => format!("不认识的项“{}”", rest.split('`').next().unwrap_or("")),
                None => format!("格式有误（{}）", msg.trim()),
            };
            format!(
                "第 {line} 行：{what}。可用的项：office（制表单位）、contact（联系人）、phone（联系电话）、\
                 deadline（报送截止日期）、form_number（表号），值用英文双引号括起来"
            )
        })?;
        for f in [
            &mut s.office,
            &mut s.contact,
            &mut s.phone,
            &mut s.deadline,
            &mut s.form_number,
        ] {
            if f.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *f = None;
            }
        }
        Ok(s)
    }

    /// The contact line, "张三 0377-61234567", when either is set.
    pub fn contact_line(&self) -> Option<String> {
        match (&self.contact, &self.phone) {
            (Some(c), Some(p)) => Some(format!("{c} {p}")),
            (Some(c), None) => Some(c.clone()),
            (None, Some(p)) => Some(p.clone()),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_or_chinese_keys() {
        let s = Settings::parse(
            "office = \"某县司法局\"\n\"联系人\" = \"张三\"\nphone = \"0377-61234567\"\ndeadline = \"\"\n",
        )
        .unwrap();
        assert_eq!(s.office.as_deref(), Some("某县司法局"));
        assert_eq!(s.contact_line().as_deref(), Some("张三 0377-61234567"));
        assert_eq!(s.deadline, None, "an empty value is absent");
    }

    #[test]
    fn unknown_keys_and_bad_syntax_name_the_line() {
        let e = Settings::parse("office = \"x\"\ndeadlin = \"2025-01-15\"\n").unwrap_err();
        assert!(e.starts_with("第 2 行：不认识的项“deadlin”"), "{e}");
        let e = Settings::parse("office = x\n").unwrap_err();
        assert!(e.contains("第 1 行"), "{e}");
    }
}
