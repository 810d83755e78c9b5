//! Findings about submissions: what is wrong, how bad, and exactly where.
//!
//! Every finding carries its rule code (V.. from the schema, S.. structure, N.. normalisation,
//! A.. anomaly), a severity, the file/sheet/cell it points at, and a Chinese message. Positions
//! are 0-based absolute (row, col), as calamine and rust_xlsxwriter use them; A1 form is produced
//! only when rendering.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

use crate::codes::Code;

/// How serious a finding is. Order matters: `Error < Warning < Info` sorts errors first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 强制性: the unit's data is held back from aggregation until fixed.
    Error,
    /// 核实性: accepted only with a real explanation in the 说明 column.
    Warning,
    /// 提示性: shown, no action needed.
    Info,
}

impl Severity {
    /// The Chinese label used in every user-facing output.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }

    /// Parses the schema spelling (`error`/`warning`/`info`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// A 0-based absolute cell position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub row: u32,
    pub col: u16,
}

impl Pos {
    pub fn new(row: u32, col: u16) -> Self {
        Pos { row, col }
    }

    /// A1 form, e.g. `(0,0)` → `A1`, `(11,3)` → `D12`.
    pub fn a1(self) -> String {
        let mut col = self.col as u32 + 1;
        let mut letters = Vec::new();
        while col > 0 {
            let rem = (col - 1) % 26;
            letters.push(b'A' + rem as u8);
            col = (col - 1) / 26;
        }
        letters.reverse();
        format!(
            "{}{}",
            String::from_utf8(letters).unwrap_or_default(),
            self.row + 1
        )
    }
}

/// Where a finding points: a file, optionally a sheet, optionally a cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Location {
    /// The file as the user named it (relative to the input they gave).
    pub file: String,
    pub sheet: Option<String>,
    pub cell: Option<Pos>,
}

impl Location {
    pub fn file(file: impl Into<String>) -> Self {
        Location {
            file: file.into(),
            sheet: None,
            cell: None,
        }
    }

    pub fn cell(file: impl Into<String>, sheet: impl Into<String>, pos: Pos) -> Self {
        Location {
            file: file.into(),
            sheet: Some(sheet.into()),
            cell: Some(pos),
        }
    }

    /// `文件!工作表!单元格`, leaving out the parts that are unknown. Sheet names with spaces or
    /// `!` are quoted so the reference stays unambiguous.
    pub fn render(&self) -> String {
        let mut s = self.file.clone();
        if let Some(sheet) = &self.sheet {
            s.push('!');
            if sheet.contains([' ', '!', '\'']) {
                let _ = write!(s, "'{}'", sheet.replace('\'', "''"));
            } else {
                s.push_str(sheet);
            }
            if let Some(cell) = self.cell {
                s.push('!');
                s.push_str(&cell.a1());
            }
        }
        s
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Rule code: `V..` rule, `S..` structure, `N..` normalisation, `A..` anomaly, `X..` the
    /// program's own failure (the table is [`crate::codes`]).
    pub code: Code,
    pub severity: Severity,
    pub location: Location,
    /// One Chinese sentence, no trailing 。
    pub message: String,
    /// The unit this finding is about, when known.
    pub unit: Option<String>,
    /// The indicator code this finding is about, when there is one.
    pub indicator: Option<String>,
    /// The unit's own explanation (说明) that accompanies a warning, when it is a real one.
    pub explanation: Option<String>,
    /// Other cells the finding rests on (the other side of a cross-unit check), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Location>,
    /// A proposed correction in Chinese ("ZF06B 可能应为 322（数字顺序颠倒）"), never applied: the
    /// 退回 workbook shows it under 怎么改.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl Diagnostic {
    pub fn new(
        code: Code,
        severity: Severity,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            location,
            message: message.into(),
            unit: None,
            indicator: None,
            explanation: None,
            related: Vec::new(),
            suggestion: None,
        }
    }

    pub fn with_suggestion(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    pub fn with_indicator(mut self, code: impl Into<String>) -> Self {
        self.indicator = Some(code.into());
        self
    }

    /// True for an unexplained error or warning: something the unit must act on. A warning with a
    /// real explanation is settled.
    pub fn needs_action(&self) -> bool {
        match self.severity {
            Severity::Error => true,
            Severity::Warning => self.explanation.is_none(),
            Severity::Info => false,
        }
    }

    /// The concise one-line form: `文件!工作表!单元格: 代码 级别 消息`.
    pub fn render_concise(&self) -> String {
        let mut line = format!(
            "{}: {} {} {}",
            self.location.render(),
            self.code,
            self.severity.label(),
            self.message
        );
        if let Some(e) = &self.explanation {
            let _ = write!(line, "（已说明：{e}）");
        }
        if let Some(f) = &self.suggestion {
            let _ = write!(line, "（参考：{f}）");
        }
        line
    }

    /// The multi-line form for `--format full`.
    pub fn render_full(&self) -> String {
        let mut s = format!(
            "{}[{}]: {}\n  --> {}\n",
            self.severity.label(),
            self.code,
            self.message,
            self.location.render()
        );
        if let Some(u) = &self.unit {
            let _ = writeln!(s, "  = 单位: {u}");
        }
        if let Some(i) = &self.indicator {
            let _ = writeln!(s, "  = 指标: {i}");
        }
        if let Some(e) = &self.explanation {
            let _ = writeln!(s, "  = 单位说明: {e}");
        }
        if let Some(f) = &self.suggestion {
            let _ = writeln!(s, "  = 参考: {f}（程序不会自动修改）");
        }
        s
    }

    /// Stable sort key: file, sheet, cell, code, message.
    pub fn sort_key(&self) -> (&Location, Code, &str) {
        (&self.location, self.code, &self.message)
    }
}

/// A finding's fields as `check --format json` writes them (the review page adds its own):
/// code, severity, file, sheet, cell (A1) with its row and column, unit, indicator, message,
/// explanation, suggestion (the likely correct value of a failing rule, never applied).
pub fn json_fields(d: &Diagnostic) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::json!({
        "code": d.code,
        "severity": d.severity,
        "file": d.location.file,
        "sheet": d.location.sheet,
        "cell": d.location.cell.map(|c| c.a1()),
        "row": d.location.cell.map(|c| c.row),
        "col": d.location.cell.map(|c| c.col),
        "unit": d.unit,
        "indicator": d.indicator,
        "message": d.message,
        "explanation": d.explanation,
        "suggestion": d.suggestion,
    }) {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(), // an object literal is always an object
    }
}

/// Sorts findings into their one stable order (file, sheet, cell, code, message).
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_conversion() {
        assert_eq!(Pos::new(0, 0).a1(), "A1");
        assert_eq!(Pos::new(11, 3).a1(), "D12");
        assert_eq!(Pos::new(0, 25).a1(), "Z1");
        assert_eq!(Pos::new(0, 26).a1(), "AA1");
        assert_eq!(Pos::new(9, 701).a1(), "ZZ10");
        assert_eq!(Pos::new(0, 702).a1(), "AAA1");
    }

    #[test]
    fn location_rendering_quotes_odd_sheet_names() {
        let l = Location::cell("a.xlsx", "明细 表", Pos::new(11, 3));
        assert_eq!(l.render(), "a.xlsx!'明细 表'!D12");
        let l = Location::cell("a.xlsx", "统计表", Pos::new(4, 3));
        assert_eq!(l.render(), "a.xlsx!统计表!D5");
        assert_eq!(Location::file("b.xls").render(), "b.xls");
    }
}
