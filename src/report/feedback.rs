//! The per-unit feedback workbook (退回清单): what is wrong in a unit's submission, where, and
//! how to fix it, in words a township clerk can act on.
//!
//! Only findings the unit must act on are listed ([`Diagnostic::needs_action`]): errors, and
//! warnings without an accepted explanation. Hints and explained warnings are settled.
//!
//! Below the rule findings, a second table lists the unit's anomalies still to verify
//! ([`VerifyItem`], 需核实): warning- and error-level anomalies that are neither 已说明 nor
//! 已确认, with the cell, this and last year's value, the plausible range, the suggested
//! correction, and for a 不予认可 one the reviewer's reason (审核意见). Info-level anomalies are
//! the reviewer's business and never go to the unit.
//!
//! A unit whose corrected version replaced an earlier one also gets a 版本变化 sheet: what
//! changed since the version before.

use rust_xlsxwriter::DocProperties;
use std::collections::{BTreeMap, BTreeSet};

use super::styles::{xlsx_err, Sheet, Styles, FILL_ERROR, FILL_WARNING};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::ingest::{Submission, Value};
use crate::schema::Schema;
use crate::settings::Settings;
use crate::validate::versions::{Revision, Role};
use crate::Result;

/// The sheet name of the feedback workbook.
pub const SHEET_FEEDBACK: &str = "退回清单";
/// The sheet of a resubmission's changes since the version before.
pub const SHEET_CHANGES: &str = "版本变化";

/// The table's columns: one row per problem, rule findings and anomalies alike.
pub const HEADERS: [&str; 8] = [
    "序号",
    "指标",
    "单元格",
    "你填的值",
    "上年数",
    "级别",
    "问题",
    "怎么改",
];

/// Characters file systems refuse (and control characters) replaced by `_`, trimmed.
fn clean_name(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect()
}

/// The file name for a unit's feedback: `退回_<code>_<name>_<year>.xlsx`, with characters that
/// file systems refuse replaced by `_`.
pub fn feedback_file_name(unit_code: &str, unit_name: &str, year: i32) -> String {
    format!(
        "退回_{}_{}_{year}.xlsx",
        clean_name(unit_code),
        clean_name(unit_name)
    )
}

/// What a feedback workbook answers: the input file as shown, and its unit when the cover
/// names one the registry knows (code, name).
#[derive(Debug, Clone, Copy)]
pub struct FeedbackFor<'a> {
    pub display: &'a str,
    pub unit: Option<(&'a str, &'a str)>,
}

/// Longest original-file part of a name, in characters: with the prefix and a disambiguator the
/// name stays far below the 255-byte limit of common file systems (3 bytes a Chinese character).
const MAX_STEM_CHARS: usize = 50;

/// One distinct file name per feedback workbook of a run, in the order given (the batch order,
/// so the names are deterministic):
/// - a unit with one such file: `退回_<代码>_<名称>_<年度>.xlsx`;
/// - a file whose unit is not identified: `退回_未识别_<原文件名>.xlsx`;
/// - several files of one unit: `退回_<代码>_<原文件名>.xlsx`;
/// - when two names would still be the same (compared ignoring case, as Windows does, e.g. the
///   same file name in two sub-folders), each gets its sub-folder, `退回_未识别_报表（东片）.xlsx`,
///   and a counter `（2）`, `（3）`… if that is not enough.
pub fn feedback_file_names(targets: &[FeedbackFor], year: i32) -> Vec<String> {
    let mut per_unit: BTreeMap<&str, usize> = BTreeMap::new();
    for t in targets {
        if let Some((code, _)) = t.unit {
            *per_unit.entry(code).or_default() += 1;
        }
    }
    let stem = |display: &str| {
        let p = std::path::Path::new(display);
        let s = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| display.to_string());
        clean_name(&s)
            .chars()
            .take(MAX_STEM_CHARS)
            .collect::<String>()
    };
    let base: Vec<String> = targets
        .iter()
        .map(|t| match t.unit {
            Some((code, name)) if per_unit.get(code) == Some(&1) => {
                feedback_file_name(code, name, year)
                    .trim_end_matches(".xlsx")
                    .to_string()
            }
            // the template's own file names already start with the code: do not repeat it
            Some((code, _)) => match stem(t.display) {
                s if s.starts_with(code) => format!("退回_{s}"),
                s => format!("退回_{}_{s}", clean_name(code)),
            },
            None => format!("退回_未识别_{}", stem(t.display)),
        })
        .collect();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for b in &base {
        *count.entry(b.to_lowercase()).or_default() += 1;
    }
    let folder = |display: &str| {
        std::path::Path::new(display)
            .parent()
            .and_then(|p| p.file_name())
            .map(|f| clean_name(&f.to_string_lossy()))
            .unwrap_or_default()
            .chars()
            .take(MAX_STEM_CHARS)
            .collect::<String>()
    };
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(targets.len());
    for (t, b) in targets.iter().zip(&base) {
        let mut name = b.clone();
        if count.get(&b.to_lowercase()).copied().unwrap_or(0) > 1 {
            let f = folder(t.display);
            if !f.is_empty() {
                name = format!("{b}（{f}）");
            }
        }
        let mut candidate = name.clone();
        let mut n = 1;
        while !used.insert(candidate.to_lowercase()) {
            n += 1;
            candidate = format!("{name}（{n}）");
        }
        out.push(format!("{candidate}.xlsx"));
    }
    out
}

/// Builds the feedback workbook for one unit and returns its bytes (deterministic).
/// `file` is the submission the findings refer to. Pass only this unit's findings: they are
/// not filtered by unit, only by [`Diagnostic::needs_action`].
pub fn build_feedback(
    unit_code: &str,
    unit_name: &str,
    year: i32,
    file: Option<&str>,
    findings: &[Diagnostic],
    revision: Option<&Revision>,
) -> Result<Vec<u8>> {
    Feedback {
        findings,
        revision,
        ..Feedback::new(unit_code, unit_name, year, file)
    }
    .build()
}

/// What the unit entered in a flagged cell, and the 上年数 its template showed beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct CellFacts {
    pub value: Value,
    /// Taken from an approximate entry ("1800余").
    pub approximate: bool,
    pub prior: Option<f64>,
}

/// [`CellFacts`] by indicator code, for one file.
pub type Cells = BTreeMap<String, CellFacts>;

/// The facts of the cells `findings` point at (their indicators), taken from the submission
/// before `run` lets its values go.
pub fn cell_facts(sub: &Submission, findings: &[Diagnostic]) -> Cells {
    findings
        .iter()
        .filter(|d| d.needs_action())
        .filter_map(|d| d.indicator.as_deref())
        .filter_map(|code| {
            let cell = sub.values.get(code)?;
            let facts = CellFacts {
                value: cell.value,
                approximate: cell.approximate,
                prior: cell.prior_shown,
            };
            Some((code.to_string(), facts))
        })
        .collect()
}

/// Everything one unit's 退回 workbook shows.
pub struct Feedback<'a> {
    pub unit_code: &'a str,
    pub unit_name: &'a str,
    pub year: i32,
    /// The file as the unit knows it: its name, with its sub-folder inside the inbox when it
    /// has one — never a path of the county's machine.
    pub file: Option<&'a str>,
    /// The file's findings (only those that need action are listed).
    pub findings: &'a [Diagnostic],
    /// The unit's anomalies to verify, in rank order.
    pub verify: &'a [VerifyItem],
    pub revision: Option<&'a Revision>,
    /// What the unit entered in the flagged cells ([`cell_facts`]).
    pub cells: Option<&'a Cells>,
    /// For the indicators' names.
    pub schema: Option<&'a Schema>,
    /// The deadline and the reviewer's contact.
    pub settings: Option<&'a Settings>,
}

impl<'a> Feedback<'a> {
    /// A feedback with no findings yet: fill in the rest with struct update syntax.
    pub fn new(unit_code: &'a str, unit_name: &'a str, year: i32, file: Option<&'a str>) -> Self {
        Feedback {
            unit_code,
            unit_name,
            year,
            file,
            findings: &[],
            verify: &[],
            revision: None,
            cells: None,
            schema: None,
            settings: None,
        }
    }

    /// The workbook's bytes (deterministic).
    pub fn build(&self) -> Result<Vec<u8>> {
        let st = Styles::default();
        let mut findings: Vec<&Diagnostic> =
            self.findings.iter().filter(|d| d.needs_action()).collect();
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        // Errors first: they block aggregation; within a severity keep the sheet order.
        findings.sort_by_key(|d| d.severity);
        let mut rows: Vec<Row> = findings.iter().map(|d| self.rule_row(d)).collect();
        let (errors, warnings): (Vec<Row>, Vec<Row>) = self
            .verify
            .iter()
            .map(|v| self.verify_row(v))
            .partition(|r| r.severity == Severity::Error);
        // An anomaly that is an error comes with the rule errors, before every warning.
        let first_warning = rows
            .iter()
            .position(|r| r.severity != Severity::Error)
            .unwrap_or(rows.len());
        rows.splice(first_warning..first_warning, errors);
        rows.extend(warnings);

        let mut sh = Sheet::new(SHEET_FEEDBACK)?;
        // One landscape page wide at 9 points or more: the long columns wrap early.
        sh.wrap_at(1, 20.0);
        sh.wrap_at(6, 24.0);
        sh.wrap_at(7, 24.0);
        let n_errors = rows
            .iter()
            .filter(|r| r.severity == Severity::Error)
            .count();
        let mut row = 0;
        sh.long_text(
            row,
            0,
            &format!(
                "{}（{}）{}年报表退回修改清单",
                self.unit_name, self.unit_code, self.year
            ),
            &st.title,
        )?;
        row += 1;
        let mut lines = vec![format!(
            "报送文件：{}。共 {} 个问题：错误 {} 个，需核实 {} 个。",
            self.file.unwrap_or("（未知）"),
            rows.len(),
            n_errors,
            rows.len() - n_errors
        )];
        lines.push(self.deadline_line());
        lines.extend(INSTRUCTIONS.iter().map(|s| s.to_string()));
        if let Some(r) = self.revision.filter(|r| r.role == Role::Adopted) {
            lines.push(format!(
                "本文件替代此前报送的 {}（{}）；与上一版本相比改动 {} 处，见“{SHEET_CHANGES}”工作表。",
                r.others.join("、"),
                r.basis,
                r.changes.len()
            ));
        }
        for line in &lines {
            sh.note(row, line, &st.note);
            row += 1;
        }
        row += 1; // a blank line above the table
        let header_rows = row + 1;
        sh.header(row, &HEADERS, &st.header)?;
        row += 1;
        for (n, r) in (1..).zip(&rows) {
            self.write_row(&mut sh, &st, row, n, r)?;
            row += 1;
        }
        if rows.is_empty() {
            sh.text(row, 1, "没有需要改正或核实的问题", &st.text)?;
            row += 1;
        }
        let last_col = (HEADERS.len() - 1) as u16;
        finish_workbook(
            sh,
            self.unit_name,
            self.year,
            (header_rows, row - 1, last_col),
            self.revision,
        )
    }

    /// "请于…前改正后重新报送；联系人：…" from the county's settings, or a plain request.
    fn deadline_line(&self) -> String {
        let s = self.settings.cloned().unwrap_or_default();
        let mut line = match &s.deadline {
            Some(d) => format!("请于 {d} 前改正后重新报送"),
            None => "请改正后尽快重新报送".to_string(),
        };
        match (s.contact_line(), &s.office) {
            (Some(c), Some(o)) => line.push_str(&format!("；有疑问请联系{o} {c}")),
            (Some(c), None) => line.push_str(&format!("；有疑问请联系 {c}")),
            (None, Some(o)) => line.push_str(&format!("；有疑问请联系{o}")),
            (None, None) => {}
        }
        line.push('。');
        line
    }

    /// The 指标 cell: code and name, or where the finding is when it names no indicator.
    fn indicator_text(&self, code: Option<&str>, loc: &Location) -> String {
        match code {
            Some(c) => match self.schema.and_then(|s| indicator_name(s, c)) {
                Some(name) => format!("{c} {name}"),
                None => c.to_string(),
            },
            None => match loc.sheet.as_deref() {
                Some(sheet) if loc.cell.is_some() => sheet.to_string(),
                Some(sheet) => format!("{sheet}（整张表）"),
                None => "整份报表".to_string(),
            },
        }
    }

    fn rule_row(&self, d: &Diagnostic) -> Row {
        let facts = d
            .indicator
            .as_deref()
            .and_then(|c| self.cells.and_then(|cells| cells.get(c)));
        let entered = match facts {
            None => Shown::Empty,
            Some(f) => match f.value {
                Value::Number(v) if f.approximate => {
                    Shown::Text(format!("{}（约数）", fmt_value(v)))
                }
                Value::Number(v) => Shown::Number(v),
                Value::NotApplicable => Shown::Text("不适用".into()),
                // the reader keeps no number for text in a number cell: the message quotes it
                Value::Blank if d.code == Code::V02 || d.code.prefix() == b'N' => {
                    Shown::Text("（文字）".into())
                }
                Value::Blank => Shown::Text("空".into()),
            },
        };
        let mut fix = how_to_fix(d).to_string();
        if let Some(hint) = &d.suggestion {
            fix.push_str(&format!("参考：{hint}（程序不会自动修改）。"));
        }
        Row {
            indicator: self.indicator_text(d.indicator.as_deref(), &d.location),
            cell: cell_text(&d.location),
            entered,
            prior: facts
                .and_then(|f| f.prior)
                .map_or(Shown::Empty, Shown::Number),
            severity: d.severity,
            level: d.severity.label(),
            problem: format!("{}（{}）", d.message, d.code),
            fix,
        }
    }

    fn verify_row(&self, v: &VerifyItem) -> Row {
        let mut problem = format!("{}（{}）", v.message, v.code);
        if let Some((lo, hi)) = v.expected {
            problem.push_str(&format!(
                "；合理范围约 {} ~ {}",
                crate::anomaly::fmt_num(lo),
                crate::anomaly::fmt_num(hi)
            ));
        }
        if let Some(e) = &v.explanation {
            problem.push_str(&format!("；单位说明：{e}"));
        }
        if let Some(r) = &v.review {
            problem.push_str(&format!("；审核意见：{r}"));
        }
        let indicator = match (&v.indicator, v.indicator_name.is_empty()) {
            (Some(code), true) => self.indicator_text(Some(code), &v.location),
            (Some(code), false) => format!("{code} {}", v.indicator_name),
            (None, _) => "整份报表".to_string(),
        };
        Row {
            indicator,
            cell: cell_text(&v.location),
            entered: v.value.map_or(Shown::Empty, Shown::Number),
            prior: v.prior.map_or(Shown::Empty, Shown::Number),
            severity: v.severity,
            level: if v.severity == Severity::Error {
                "错误"
            } else {
                "需核实"
            },
            problem,
            fix: verify_how(v),
        }
    }

    fn write_row(&self, sh: &mut Sheet, st: &Styles, row: u32, n: u32, r: &Row) -> Result<()> {
        let sev_fmt = match r.severity {
            Severity::Error => st.text.clone().set_background_color(FILL_ERROR),
            _ => st.text.clone().set_background_color(FILL_WARNING),
        };
        sh.number(row, 0, Some(f64::from(n)), &st.count)?;
        sh.text(row, 1, &r.indicator, &st.wrap)?;
        sh.text(row, 2, &r.cell, &st.text)?;
        for (col, shown) in [(3, &r.entered), (4, &r.prior)] {
            match shown {
                Shown::Number(v) => {
                    let f = if v.fract() == 0.0 {
                        &st.count
                    } else {
                        &st.amount
                    };
                    sh.number(row, col, Some(*v), f)?;
                }
                Shown::Text(t) => sh.text(row, col, t, &st.text)?,
                Shown::Empty => sh.text(row, col, "", &st.text)?,
            }
        }
        sh.text(row, 5, r.level, &sev_fmt)?;
        sh.text(row, 6, &r.problem, &st.wrap)?;
        sh.text(row, 7, &r.fix, &st.wrap)?;
        Ok(())
    }
}

/// One line of the table.
struct Row {
    indicator: String,
    cell: String,
    entered: Shown,
    prior: Shown,
    severity: Severity,
    level: &'static str,
    problem: String,
    fix: String,
}

/// A value column's content.
enum Shown {
    Number(f64),
    Text(String),
    Empty,
}

/// An indicator's or a rate's name.
fn indicator_name(schema: &Schema, code: &str) -> Option<String> {
    schema.indicator(code).map(|i| i.name.clone()).or_else(|| {
        schema
            .rates
            .iter()
            .find(|r| r.code == code)
            .map(|r| r.name.clone())
    })
}

fn fmt_value(v: f64) -> String {
    crate::anomaly::fmt_num(v)
}

/// The cell (`统计表!D20`), or a dash for a finding about a whole sheet or file.
fn cell_text(loc: &Location) -> String {
    match (&loc.sheet, loc.cell) {
        (Some(s), Some(c)) => format!("{s}!{}", c.a1()),
        _ => "—".to_string(),
    }
}

/// One anomaly the unit must verify (需核实), as its feedback workbook shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyItem {
    pub code: Code,
    pub severity: Severity,
    /// The cell of the value, or the file for a finding about the whole submission.
    pub location: Location,
    /// Indicator or rate code; `None` for a finding about the whole submission (A05, A06).
    pub indicator: Option<String>,
    pub indicator_name: String,
    pub value: Option<f64>,
    pub prior: Option<f64>,
    /// The plausible range (合理范围), when the method gives one.
    pub expected: Option<(f64, f64)>,
    /// What is odd about it, in Chinese.
    pub message: String,
    /// The suggested correction (unit slips), never applied.
    pub suggestion: Option<String>,
    /// What the unit wrote in the row's 说明 (kept for an error or a rejected explanation).
    pub explanation: Option<String>,
    /// The reviewer's reason when the finding is 不予认可 (审核意见).
    pub review: Option<String>,
}

/// The instruction for one 需核实 item: by severity, whether the reviewer rejected the
/// explanation, and whether it concerns one row or the whole submission; the suggested
/// correction is added as a hint.
fn verify_how(v: &VerifyItem) -> String {
    let mut s = match (v.severity, &v.review, &v.indicator) {
        (Severity::Error, _, None) => {
            "必须更正：本单位报表与另一单位完全相同，请确认报送的是本单位本年的报表，改正后重新报送。"
                .to_string()
        }
        (Severity::Error, _, Some(_)) => {
            "必须更正：请核对该数值及相关的分子、分母，改正后重新报送；错误不能以说明代替。".to_string()
        }
        (_, Some(_), _) => {
            "审核未认可本单位的说明（见审核意见）：请更正该数值；如确属实，请在“说明”栏补充具体依据后重新报送。"
                .to_string()
        }
        (_, None, None) => {
            "请核实整份报表是否为本年数据：如有误请更正后重新报送；如属实，请向审核人员说明情况。"
                .to_string()
        }
        (_, None, Some(_)) => {
            "请核实该数值：如有误请更正；如属实请在该行“说明”栏写明原因（不少于6个字，不能只写“核实无误”）。"
                .to_string()
        }
    };
    if let Some(hint) = &v.suggestion {
        s.push_str(&format!("参考：{hint}（程序不会自动修改）。"));
    }
    s
}

/// Widths, the frozen header and filter over the first table (`header_rows` rows above its
/// data, which ends at `last_row`), and the workbook around the sheet.
fn finish_workbook(
    mut sh: Sheet,
    unit_name: &str,
    year: i32,
    (header_rows, last_row, last_col): (u32, u32, u16),
    revision: Option<&Revision>,
) -> Result<Vec<u8>> {
    sh.min_width(0, 5.0);
    sh.min_width(3, 6.0);
    let ws = sh.finish(header_rows, last_row, last_col)?;

    let mut wb = super::new_workbook();
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{unit_name}{year}年报表退回清单"))
            .set_author("huizong")
            .set_creation_datetime(&super::summary::fixed_datetime()?),
    );
    wb.push_worksheet(ws);
    if let Some(r) = revision.filter(|r| r.role == Role::Adopted) {
        wb.push_worksheet(changes_sheet(r, &Styles::default())?);
    }
    wb.save_to_buffer().map_err(xlsx_err)
}

/// The second sheet of a resubmitted unit's feedback: every cell where the adopted version
/// differs from the one before, so the unit sees exactly what the county took in.
fn changes_sheet(r: &Revision, st: &Styles) -> Result<rust_xlsxwriter::Worksheet> {
    const CHANGE_HEADERS: [&str; 5] = ["位置", "指标", "项目", "上一版本", "本版本"];
    let mut sh = Sheet::new(SHEET_CHANGES)?;
    let line = format!(
        "采用的版本与上一版本 {} 相比：",
        r.previous.as_deref().unwrap_or("")
    );
    sh.long_text(0, 0, &line, &st.note)?;
    sh.header(1, &CHANGE_HEADERS, &st.header)?;
    let mut row = 2;
    for c in &r.changes {
        sh.text(row, 0, &format!("{}!{}", c.sheet, c.pos.a1()), &st.text)?;
        sh.text(row, 1, &c.indicator, &st.text)?;
        sh.text(row, 2, &c.field, &st.text)?;
        sh.text(row, 3, &c.before, &st.wrap)?;
        sh.text(row, 4, &c.after, &st.wrap)?;
        row += 1;
    }
    if r.changes.is_empty() {
        sh.text(row, 0, "数值和说明均无改动", &st.text)?;
        row += 1;
    }
    sh.finish(2, row - 1, (CHANGE_HEADERS.len() - 1) as u16)
}

/// What to do with this list, printed above the table.
const INSTRUCTIONS: [&str; 3] = [
    "请在原报表中逐条修改后重新报送（不要改动表格结构）。",
    "“错误”必须改正，否则本单位数据不能汇总；",
    "“警告”“需核实”请核实：确有错误的改正，确实无误的在该行“说明”栏写明具体原因（不少于6个字，不能只写“核实无误”）。",
];

/// A short instruction for the finding: by code where the general advice of its kind would be
/// wrong, else by its prefix and severity. Only what the template accepts is advised (a
/// number, 是/否, or 不适用: `template::data`'s validation).
pub fn how_to_fix(d: &Diagnostic) -> &'static str {
    match d.code {
        Code::S01 | Code::S09 => {
            return "文件无法读取：请用 Excel 或 WPS 打开本单位的模板填写后，另存为 .xlsx 格式重新报送。"
        }
        Code::S02 => return "请取消文件的打开密码（文件→信息→保护工作簿）后重新报送。",
        Code::S10 => {
            return "同一单位报送了多份内容不同的文件：请确认哪一份是最终版本，只重新报送这一份，并在文件名中注明“修改”（如“…（修改）.xlsx”）。"
        }
        Code::V04 => {
            return "请使用县里下发给本单位的模板，不要改动封面的单位代码、单位类型；核对统计年度后重新报送。"
        }
        Code::V05 => {
            return "请补齐到12月31日的数据并改正封面的统计截止日期；确有原因的在说明栏写明。"
        }
        Code::V06 => {
            return "该指标不适用于本单位：确实发生的请在“说明”栏写明情况；填错行的请改到正确的行，本行填“不适用”或留空。"
        }
        _ => {}
    }
    let prefix = d.code.prefix() as char;
    match (prefix, d.severity) {
        ('S', _) => "请使用本年度下发的模板重新填报，不要增删行列、改动表头或工作表名称。",
        ('N', Severity::Error) | ('V', Severity::Error)
            if matches!(d.code, Code::N02 | Code::V01 | Code::V02) =>
        {
            "请只填阿拉伯数字（不带单位、文字或“余”“约”等字样）；是否类填“是”或“否”；确实没有发生的填 0，本单位不适用的填“不适用”。"
        }
        ('N', _) => "请核实该单元格的写法，改为纯数字（单元格格式设为“常规”或“数值”）；确实无误请在“说明”栏写明原因。",
        ('A', _) => {
            "数值明显异常（如单位、年份或位数填错），请核实改正；确实无误请在“说明”栏写明具体原因（不少于6个字）。"
        }
        (_, Severity::Error) => "必须改正：请核对相关数据使其符合校验要求后重新报送。",
        _ => "请核实：有误的改正；无误的在“说明”栏写明具体原因（不少于6个字，不能只写“核实无误”）。",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;
    use crate::diagnostic::{Location, Pos};

    #[test]
    fn file_name_is_safe() {
        assert_eq!(
            feedback_file_name("411321-T03", "城关镇", 2024),
            "退回_411321-T03_城关镇_2024.xlsx"
        );
        assert_eq!(
            feedback_file_name("X1", "a/b:c", 2024),
            "退回_X1_a_b_c_2024.xlsx"
        );
    }

    #[test]
    fn instructions_follow_code_and_severity() {
        let loc = Location::cell("a.xlsx", "统计表", Pos::new(4, 3));
        let e = Diagnostic::new(Code::new(b'V', 25), Severity::Error, loc.clone(), "x");
        let w = Diagnostic::new(Code::new(b'V', 62), Severity::Warning, loc.clone(), "x");
        let n = Diagnostic::new(Code::N02, Severity::Error, loc.clone(), "x");
        assert!(how_to_fix(&e).starts_with("必须改正"));
        assert!(how_to_fix(&w).contains("核实无误"));
        assert!(how_to_fix(&n).contains("阿拉伯数字"));
        assert_eq!(cell_text(&e.location), "统计表!D5");
        assert_eq!(cell_text(&Location::file("a.xlsx")), "—");
    }
}

#[cfg(test)]
mod name_tests {
    use super::*;

    fn target<'a>(display: &'a str, unit: Option<(&'a str, &'a str)>) -> FeedbackFor<'a> {
        FeedbackFor { display, unit }
    }

    #[test]
    fn names_are_readable_and_distinct() {
        let got = feedback_file_names(
            &[
                target("收表/T01_城关镇.xlsx", Some(("T01", "城关镇"))),
                target("收表/D02_v1.xlsx", Some(("D02", "县水利局"))),
                target("收表/D02_v2.xlsx", Some(("D02", "县水利局"))),
                target("收表/东片/报表.xlsx", None),
                target("收表/西片/报表.XLSX", None),
                target("收表/西片/子/东片/报表.xlsx", None),
                target("收表/a:b.xlsx", None),
                target("收表/A:B.xlsx", None),
            ],
            2024,
        );
        assert_eq!(
            got,
            [
                "退回_T01_城关镇_2024.xlsx",
                "退回_D02_v1.xlsx",
                "退回_D02_v2.xlsx",
                "退回_未识别_报表（东片）.xlsx",
                "退回_未识别_报表（西片）.xlsx",
                "退回_未识别_报表（东片）（2）.xlsx",
                // same name but for case (one file on Windows): the same folder, so a counter
                "退回_未识别_a_b（收表）.xlsx",
                "退回_未识别_A_B（收表）（2）.xlsx",
            ]
        );
    }

    #[test]
    fn long_file_names_are_cut() {
        let long = format!("收表/{}.xlsx", "很".repeat(200));
        let got = feedback_file_names(&[target(&long, None)], 2024);
        assert_eq!(
            got[0].chars().count(),
            "退回_未识别_".chars().count() + 50 + 5
        );
    }
}
