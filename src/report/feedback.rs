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
use crate::diagnostic::{self, Diagnostic, Location, Severity};
use crate::validate::versions::{Revision, Role};
use crate::Result;

/// The sheet name of the feedback workbook.
pub const SHEET_FEEDBACK: &str = "退回清单";
/// The sheet of a resubmission's changes since the version before.
pub const SHEET_CHANGES: &str = "版本变化";

const HEADERS: [&str; 6] = ["序号", "位置", "指标", "级别", "问题", "怎么改"];

/// Rows above the table: title, source file, three instruction lines, blank.
const TOP_ROWS: u32 = 6;

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
    build_feedback_with(unit_code, unit_name, year, file, findings, &[], revision)
}

/// [`build_feedback`] with the unit's anomalies to verify (需核实), listed in the order given
/// (the ranking) in their own table below the rule findings.
pub fn build_feedback_with(
    unit_code: &str,
    unit_name: &str,
    year: i32,
    file: Option<&str>,
    findings: &[Diagnostic],
    verify: &[VerifyItem],
    revision: Option<&Revision>,
) -> Result<Vec<u8>> {
    let st = Styles::default();
    let mut rows: Vec<Diagnostic> = findings
        .iter()
        .filter(|d| d.needs_action())
        .cloned()
        .collect();
    diagnostic::sort(&mut rows);
    // Errors first: they block aggregation; within a severity keep the sheet order.
    rows.sort_by_key(|d| d.severity);

    let mut sh = Sheet::new(SHEET_FEEDBACK)?;
    let errors = rows
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
        + verify
            .iter()
            .filter(|v| v.severity == Severity::Error)
            .count();
    let warnings = rows.len() + verify.len() - errors;
    sh.long_text(
        0,
        0,
        &format!("{unit_name}（{unit_code}）{year}年报表退回修改清单"),
        &st.title,
    )?;
    sh.long_text(
        1,
        0,
        &format!(
            "报送文件：{}。共 {} 个问题：错误 {} 个，需核实 {} 个。",
            file.unwrap_or("（未知）"),
            rows.len() + verify.len(),
            errors,
            warnings
        ),
        &st.note,
    )?;
    if let Some(r) = revision.filter(|r| r.role == Role::Adopted) {
        // The table starts below the instructions; this line replaces the blank one above it.
        let line = format!(
            "本文件替代此前报送的 {}（{}）；与上一版本相比改动 {} 处，见“{SHEET_CHANGES}”工作表。",
            r.others.join("、"),
            r.basis,
            r.changes.len()
        );
        sh.long_text(TOP_ROWS - 1, 0, &line, &st.note)?;
    }
    for (row, line) in (2..).zip(INSTRUCTIONS) {
        sh.long_text(row, 0, line, &st.note)?;
    }
    // A unit with anomalies only gets the 需核实 table alone, not an empty rule table.
    if rows.is_empty() && !verify.is_empty() {
        let last = verify_table(&mut sh, &st, TOP_ROWS, 1, verify)?;
        let last_col = (VERIFY_HEADERS.len() - 1) as u16;
        return finish_workbook(
            sh,
            unit_name,
            year,
            (TOP_ROWS + 2, last, last_col),
            revision,
        );
    }
    sh.header(TOP_ROWS, &HEADERS, &st.header)?;
    let mut row = TOP_ROWS + 1;
    for (n, d) in (1..).zip(&rows) {
        let sev_fmt = match d.severity {
            Severity::Error => st.text.clone().set_background_color(FILL_ERROR),
            _ => st.text.clone().set_background_color(FILL_WARNING),
        };
        sh.number(row, 0, Some(f64::from(n)), &st.count)?;
        sh.text(row, 1, &position(d), &st.text)?;
        sh.text(row, 2, d.indicator.as_deref().unwrap_or(""), &st.text)?;
        sh.text(row, 3, d.severity.label(), &sev_fmt)?;
        sh.text(row, 4, &d.message, &st.wrap)?;
        sh.text(row, 5, how_to_fix(d), &st.wrap)?;
        row += 1;
    }
    if !verify.is_empty() {
        let first = u32::try_from(rows.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1);
        verify_table(&mut sh, &st, row + 1, first, verify)?;
    }
    let last_col = (HEADERS.len() - 1) as u16;
    finish_workbook(
        sh,
        unit_name,
        year,
        (TOP_ROWS + 1, row - 1, last_col),
        revision,
    )
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

const VERIFY_HEADERS: [&str; 11] = [
    "序号",
    "位置",
    "指标",
    "级别",
    "本年数",
    "上年数",
    "合理范围",
    "问题",
    "单位说明",
    "审核意见",
    "怎么办",
];

/// The 需核实 table from `top`: a line saying what it is, the header, one row per item numbered
/// from `first`. Returns the last row written.
fn verify_table(
    sh: &mut Sheet,
    st: &Styles,
    top: u32,
    first: u32,
    items: &[VerifyItem],
) -> Result<u32> {
    sh.long_text(
        top,
        0,
        &format!(
            "需核实的数值（共 {} 项）：与上年或同类单位相比明显异常。{}",
            items.len(),
            VERIFY_WHAT
        ),
        &st.note,
    )?;
    sh.header(top + 1, &VERIFY_HEADERS, &st.header)?;
    let mut row = top + 2;
    for (n, v) in (first..).zip(items) {
        let sev_fmt = match v.severity {
            Severity::Error => st.text.clone().set_background_color(FILL_ERROR),
            _ => st.text.clone().set_background_color(FILL_WARNING),
        };
        let whole = [v.value, v.prior]
            .iter()
            .flatten()
            .all(|x| x.fract() == 0.0);
        let num = if whole { &st.count } else { &st.amount };
        let indicator = match &v.indicator {
            Some(code) if v.indicator_name.is_empty() => code.clone(),
            Some(code) => format!("{code} {}", v.indicator_name),
            None => "整份报表".to_string(),
        };
        let range = v
            .expected
            .map(|(lo, hi)| {
                format!(
                    "{} ~ {}",
                    crate::anomaly::fmt_num(lo),
                    crate::anomaly::fmt_num(hi)
                )
            })
            .unwrap_or_default();
        sh.number(row, 0, Some(f64::from(n)), &st.count)?;
        sh.text(row, 1, &location_text(&v.location), &st.text)?;
        sh.text(row, 2, &indicator, &st.text)?;
        sh.text(row, 3, v.severity.label(), &sev_fmt)?;
        sh.number(row, 4, v.value, num)?;
        sh.number(row, 5, v.prior, num)?;
        sh.text(row, 6, &range, &st.text)?;
        sh.text(row, 7, &format!("{}（{}）", v.message, v.code), &st.wrap)?;
        sh.text(row, 8, v.explanation.as_deref().unwrap_or(""), &st.wrap)?;
        sh.text(row, 9, v.review.as_deref().unwrap_or(""), &st.wrap)?;
        sh.text(row, 10, &verify_how(v), &st.wrap)?;
        row += 1;
    }
    Ok(row - 1)
}

/// What the unit does with a 需核实 item, above the table.
const VERIFY_WHAT: &str =
    "请逐项核实该数值：如有误请更正；如属实请在该行“说明”栏写明原因（不少于6个字，不能只写“核实无误”）。";

/// `工作表!单元格` of an item, or 整个文件.
fn location_text(loc: &Location) -> String {
    match (&loc.sheet, loc.cell) {
        (Some(s), Some(c)) => format!("{s}!{}", c.a1()),
        (Some(s), None) => s.clone(),
        (None, _) => "整个文件".to_string(),
    }
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
    "“警告”请核实：确有错误的改正，确实无误的在该行“说明”栏写明具体原因（不少于6个字，不能只写“核实无误”）。",
];

/// `工作表!单元格`, or the part that is known.
fn position(d: &Diagnostic) -> String {
    location_text(&d.location)
}

/// A short instruction chosen by the finding's code prefix and severity.
fn how_to_fix(d: &Diagnostic) -> &'static str {
    let prefix = d.code.prefix() as char;
    match (prefix, d.severity) {
        ('S', _) => "请使用本年度下发的模板重新填报，不要增删行列、改动表头或工作表名称。",
        ('N', Severity::Error) => {
            "请只填阿拉伯数字（不带单位、文字或“余”“约”等字样）；是否类填“是”或“否”；不适用的留空。"
        }
        ('N', _) => "请核实该单元格的写法，改为纯数字；确实无误请在“说明”栏写明原因。",
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
        let n = Diagnostic::new(Code::N01, Severity::Error, loc.clone(), "x");
        assert!(how_to_fix(&e).starts_with("必须改正"));
        assert!(how_to_fix(&w).contains("核实无误"));
        assert!(how_to_fix(&n).contains("阿拉伯数字"));
        assert_eq!(position(&e), "统计表!D5");
        assert_eq!(
            position(&Diagnostic::new(
                Code::S01,
                Severity::Error,
                Location::file("a.xlsx"),
                "x"
            )),
            "整个文件"
        );
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
