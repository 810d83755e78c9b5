//! Turning byte spans of the schema file into 1-based line/column errors, and toml's English
//! error messages into Chinese ones.

use std::ops::Range;
use std::path::Path;

use crate::Error;

/// The schema text being loaded, for positioning errors.
pub struct Source<'a> {
    pub text: &'a str,
    pub path: &'a Path,
}

impl Source<'_> {
    /// An error at byte offset `at` of the file.
    pub fn error_at(&self, at: usize, message: impl Into<String>) -> Error {
        let (line, col) = line_col(self.text, at);
        Error::Schema {
            path: self.path.to_path_buf(),
            line,
            col,
            message: message.into(),
        }
    }

    /// An error at the start of the value spanning `span` (e.g. the opening quote of a string).
    pub fn error_span(&self, span: &Range<usize>, message: impl Into<String>) -> Error {
        self.error_at(span.start, message)
    }

    /// An error `chars` characters into the *content* of the string literal spanning `span`
    /// (an expression error's offset, a placeholder inside a message).
    pub fn error_in_string(
        &self,
        span: &Range<usize>,
        chars: usize,
        message: impl Into<String>,
    ) -> Error {
        let literal = self.text.get(span.clone()).unwrap_or_default();
        let start = span.start + content_start(literal);
        let rest = self.text.get(start..).unwrap_or_default();
        let at = rest
            .char_indices()
            .nth(chars)
            .map_or(start + rest.len(), |(i, _)| start + i);
        self.error_at(at, message)
    }

    /// A toml/serde error: syntax errors, unknown fields, missing fields, wrong types.
    pub fn toml_error(&self, e: &toml::de::Error) -> Error {
        let message = translate(e.message());
        match e.span() {
            Some(span) => self.error_at(span.start, message),
            None => Error::Schema {
                path: self.path.to_path_buf(),
                line: 0,
                col: 0,
                message,
            },
        }
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = text.get(..at).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, col)
}

/// Bytes between a string literal's start and its content: `"`, `'`, or `"""`/`'''` plus the
/// newline TOML trims right after them. Escapes inside the content are not accounted for: an
/// expression never needs them.
fn content_start(literal: &str) -> usize {
    for quote in ["\"\"\"", "'''"] {
        if let Some(rest) = literal.strip_prefix(quote) {
            let newline = if rest.starts_with("\r\n") {
                2
            } else {
                usize::from(rest.starts_with('\n'))
            };
            return 3 + newline;
        }
    }
    usize::from(literal.starts_with('"') || literal.starts_with('\''))
}

/// Chinese wording for the serde/toml messages a schema author meets.
fn translate(message: &str) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed = list_names(expected);
        return if allowed.is_empty() {
            format!("未知字段“{field}”")
        } else {
            format!("未知字段“{field}”；此处可用的字段：{allowed}")
        };
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return format!("缺少必填字段“{field}”");
    }
    if message.starts_with("invalid type") {
        return format!("取值类型不对（{message}）");
    }
    if message.contains("duplicate key") {
        return format!("键重复定义（{message}）");
    }
    format!("TOML 语法错误：{message}")
}

/// "expected one of `a`, `b`" → "a、b".
fn list_names(expected: &str) -> String {
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let text = "a = 1\n名称 = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // `=` after two 3-byte characters and a space.
        assert_eq!(line_col(text, 6 + 7), (2, 4));
    }

    #[test]
    fn content_start_skips_quotes() {
        assert_eq!(content_start("\"ab\""), 1);
        assert_eq!(content_start("'ab'"), 1);
        assert_eq!(content_start("\"\"\"\nab\"\"\""), 4);
        assert_eq!(content_start("'''ab'''"), 3);
    }

    #[test]
    fn translates_unknown_field() {
        assert_eq!(
            translate("unknown field `unti`, expected one of `code`, `unit`"),
            "未知字段“unti”；此处可用的字段：code、unit"
        );
        assert_eq!(translate("missing field `name`"), "缺少必填字段“name”");
    }
}
