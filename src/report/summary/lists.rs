//! The list sheets of the summary: 校验问题 (every finding), 异常提示 (ranked anomalies),
//! 报送情况 (one row per unit/file), 版本变化 (what a resubmission changed) and 说明 (what the figures mean and where they came from).

use rust_xlsxwriter::{ColNum, Format, Worksheet};

use super::{unit_name, AnomalyRow, FileState, SummaryInput};
use crate::anomaly::Status;
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::report::styles::{Sheet, Styles, FILL_ERROR, FILL_WARNING};
use crate::validate::versions::{Revision, Role};
use crate::Result;

const FINDING_HEADERS: [&str; 9] = [
    "文件",
    "工作表",
    "单元格",
    "单位",
    "指标",
    "代码",
    "级别",
    "消息",
    "单位说明",
];

/// The severity cell, filled red for errors and yellow for warnings.
pub(super) fn severity_format(st: &Styles, sev: Severity) -> Format {
    match sev {
        Severity::Error => st.text.clone().set_background_color(FILL_ERROR),
        Severity::Warning => st.text.clone().set_background_color(FILL_WARNING),
        Severity::Info => st.text.clone(),
    }
}

/// Builds the 校验问题 sheet: every finding, in the stable diagnostic order.
pub(super) fn findings_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let mut sh = Sheet::new("校验问题")?;
    sh.header(0, &FINDING_HEADERS, &st.header)?;
    sh.wrap_at(0, 24.0); // the file: its folders wrap
    let mut sorted: Vec<Diagnostic> = input.findings.to_vec();
    diagnostic::sort(&mut sorted);
    let mut row = 1;
    for d in &sorted {
        let loc = &d.location;
        sh.text(row, 0, &loc.file, &st.text)?;
        sh.text(row, 1, loc.sheet.as_deref().unwrap_or(""), &st.text)?;
        let cell = loc.cell.map(|c| c.a1()).unwrap_or_default();
        sh.text(row, 2, &cell, &st.text)?;
        let unit = d
            .unit
            .as_deref()
            .map(|u| unit_label(input, u))
            .unwrap_or_default();
        sh.text(row, 3, &unit, &st.text)?;
        let ind = d
            .indicator
            .as_deref()
            .map(|i| indicator_label(input, i))
            .unwrap_or_default();
        sh.text(row, 4, &ind, &st.text)?;
        sh.text(row, 5, d.code.as_str(), &st.text)?;
        sh.text(row, 6, d.severity.label(), &severity_format(st, d.severity))?;
        sh.text(row, 7, &d.message, &st.text)?;
        sh.text(row, 8, d.explanation.as_deref().unwrap_or(""), &st.text)?;
        row += 1;
    }
    sh.print_readably(1);
    sh.finish(1, row - 1, (FINDING_HEADERS.len() - 1) as ColNum)
}

/// `名称（代码）` when the registry knows the unit, else the code.
fn unit_label(input: &SummaryInput, code: &str) -> String {
    match input.registry.get(code) {
        Some(u) => format!("{}（{}）", u.name, u.code),
        None => code.to_string(),
    }
}

/// `代码 名称` when the schema knows the indicator, else the code.
fn indicator_label(input: &SummaryInput, code: &str) -> String {
    match input.schema.indicator(code) {
        Some(i) => format!("{} {}", i.code, i.name),
        None => code.to_string(),
    }
}

/// The 核实状态 cell: the status, with the reviewer's reason when there is one.
pub(super) fn status_text(a: &AnomalyRow) -> String {
    let reason = match a.status {
        Status::Confirmed => a.accept_reason.as_deref(),
        Status::Rejected => a.reject_reason.as_deref(),
        Status::Open | Status::Explained => None,
    };
    match reason {
        Some(r) => format!("{}：{r}", a.status.label()),
        None => a.status.label().to_string(),
    }
}

impl Styles {
    /// Count format when both values are whole numbers, two decimals otherwise.
    pub(super) fn decimal_or_count(&self, a: Option<f64>, b: Option<f64>) -> Format {
        let whole = [a, b].iter().flatten().all(|v| v.fract() == 0.0);
        if whole {
            self.count.clone()
        } else {
            self.amount.clone()
        }
    }
}

const FILE_HEADERS: [&str; 10] = [
    "单位代码",
    "单位名称",
    "类型",
    "状态",
    "文件",
    "版本",
    "版本说明",
    "SHA-256",
    "错误数",
    "警告数",
];

/// Builds the 报送情况 sheet: every row the caller gave, in that order.
pub(super) fn files_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let mut sh = Sheet::new("报送情况")?;
    sh.header(0, &FILE_HEADERS, &st.header)?;
    let mut row = 1;
    for f in input.files {
        let status_fmt = match f.status {
            FileState::Aggregated | FileState::Superseded | FileState::Copy => st.text.clone(),
            FileState::Returned => st.text.clone().set_background_color(FILL_ERROR),
            _ => st.text.clone().set_background_color(FILL_WARNING),
        };
        sh.text(row, 0, f.unit.as_deref().unwrap_or(""), &st.text)?;
        sh.text(row, 1, &f.unit_name, &st.text)?;
        sh.text(row, 2, f.kind.map(|k| k.label()).unwrap_or(""), &st.text)?;
        sh.text(row, 3, f.status.label(), &status_fmt)?;
        sh.text(row, 4, f.file.as_deref().unwrap_or(""), &st.text)?;
        let (role, note) = f
            .revision
            .as_ref()
            .map_or((String::new(), String::new()), |r| {
                (r.role.label().to_string(), version_note(r))
            });
        sh.text(row, 5, &role, &st.text)?;
        sh.text(row, 6, &note, &st.text)?;
        sh.text(row, 7, f.sha256.as_deref().unwrap_or(""), &st.text)?;
        sh.number(row, 8, Some(f64::from(f.errors)), &st.count)?;
        sh.number(row, 9, Some(f64::from(f.warnings)), &st.count)?;
        row += 1;
    }
    sh.print_readably(2);
    sh.finish(1, row - 1, (FILE_HEADERS.len() - 1) as ColNum)
}

/// "替代 A.xlsx（文件名标有“修改”）；与上一版本相比改动 3 处" / "被 B.xlsx 替代（…）".
fn version_note(r: &Revision) -> String {
    match r.role {
        Role::Adopted => {
            let changed = match r.changes.len() {
                0 => "与上一版本相比数值和说明均无改动".to_string(),
                n => format!("与上一版本相比改动 {n} 处，见“版本变化”表"),
            };
            format!("替代 {}（{}）；{changed}", r.others.join("、"), r.basis)
        }
        Role::Superseded => format!("被 {} 替代（{}）", r.others.join("、"), r.basis),
    }
}

const VERSION_HEADERS: [&str; 8] = [
    "单位",
    "采用版本",
    "上一版本",
    "工作表",
    "单元格",
    "指标",
    "上一版本内容",
    "采用版本内容",
];

/// Builds the 版本变化 sheet: for every unit that sent several versions, the cells where the
/// adopted version differs from the one before it.
pub(super) fn versions_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let mut sh = Sheet::new("版本变化")?;
    sh.header(0, &VERSION_HEADERS, &st.header)?;
    let mut row = 1;
    for f in input.files {
        let Some(r) = f.revision.as_ref().filter(|r| r.role == Role::Adopted) else {
            continue;
        };
        let unit = f
            .unit
            .as_deref()
            .map(|u| unit_label(input, u))
            .unwrap_or_else(|| f.unit_name.clone());
        let previous = r.previous.as_deref().unwrap_or("");
        let file = f.file.as_deref().unwrap_or("");
        if r.changes.is_empty() {
            sh.text(row, 0, &unit, &st.text)?;
            sh.text(row, 1, file, &st.text)?;
            sh.text(row, 2, previous, &st.text)?;
            sh.text(row, 5, "（数值和说明均无改动）", &st.text)?;
            row += 1;
        }
        for c in &r.changes {
            sh.text(row, 0, &unit, &st.text)?;
            sh.text(row, 1, file, &st.text)?;
            sh.text(row, 2, previous, &st.text)?;
            sh.text(row, 3, &c.sheet, &st.text)?;
            sh.text(row, 4, &c.pos.a1(), &st.text)?;
            let what = format!("{}（{}）", indicator_label(input, &c.indicator), c.field);
            sh.text(row, 5, &what, &st.text)?;
            sh.text(row, 6, &c.before, &st.text)?;
            sh.text(row, 7, &c.after, &st.text)?;
            row += 1;
        }
    }
    if row == 1 {
        sh.text(1, 0, "本次没有单位报送多个版本", &st.text)?;
        row = 2;
    }
    sh.print_readably(1);
    sh.finish(1, row - 1, (VERSION_HEADERS.len() - 1) as ColNum)
}

/// How the figures are computed; shown on the 说明 sheet.
const SEMANTICS: &[&str] = &[
    "合计：各单位数值相加；县本级或法院口径指标（如行政复议、法院审结案件）只取该来源的数，不累加。",
    "比率：Σ分子 ÷ Σ分母（先把各单位的分子、分母分别相加再相除），不是各单位比率的平均数。",
    "同比：（本年 − 上年）÷ 上年；上年为0或无上年数时不计算，留空并在备注中注明。",
    "可比口径：同比和比率变动中的“上年”是本年已汇总的同一批单位上年的数（单位合并的，取名册所列前身单位上年数之和；县本级、法院等只取该单位的数），\
     不含本年因有错误暂未汇总、未报送或已撤销的单位，所以本年与上年比较的是同一范围。\
     “上年（报送口径）”是上年全部报送单位的合计，即上年汇总表上的数；两者不同时，备注写明报送口径多含哪些单位。\
     本年新增、上年无数据的单位只计入本年。",
    "比率变动：本年比率 − 上年比率，以百分点表示。",
    "年末存量指标（如现行有效规范性文件数）比较两年的年末数，不跨年相加。",
    "是/否类指标：显示回答“是”的单位数 n 与应报单位数 N（n/N）。",
    "可能重复计数的指标（如共同被告案件）各单位分别计数后相加，合计可能大于实际件数。",
    "有错误的单位数据暂不汇总；改正后重新报送、重新运行即可纳入。",
    "分单位明细中，红色底纹为有错误的单元格，黄色底纹为需核实（警告或异常提示）的单元格。",
];

/// How many units a list of units left out of the comparison names in one cell.
const NAMES_LISTED: usize = 200;

/// Builds the 说明 sheet: 项目 / 内容 pairs.
pub(super) fn notes_sheet(input: &SummaryInput, st: &Styles) -> Result<Worksheet> {
    let mut sh = Sheet::new("说明")?;
    sh.header(0, &["项目", "内容"], &st.header)?;
    let mut row = 1;
    for (key, value) in note_rows(input) {
        sh.text(row, 0, &key, &st.text)?;
        sh.text(row, 1, &value, &st.wrap)?;
        row += 1;
    }
    sh.finish(1, row - 1, 1)
}

/// The (项目, 内容) rows of the 说明 sheet.
fn note_rows(input: &SummaryInput) -> Vec<(String, String)> {
    let (fig, meta, cov) = (input.figures, &input.meta, &input.figures.coverage);
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: String| rows.push((k.to_string(), v));
    add(
        "指标体系",
        format!(
            "{}（{}，{}版）",
            input.schema.title, meta.schema_id, meta.schema_edition
        ),
    );
    add(
        "统计年度",
        format!("{}年（对比{}年）", fig.year, fig.prior_year),
    );
    add("工具版本", format!("huizong {}", meta.tool_version));
    if let Some(t) = &meta.run_time {
        add("运行时间", t.clone());
    }
    for i in &meta.inputs {
        add("输入", i.clone());
    }
    add(
        "上年数据来源",
        meta.prior_source
            .clone()
            .unwrap_or_else(|| "无（不计算同比）".to_string()),
    );
    add(
        "单位名册",
        meta.registry
            .clone()
            .unwrap_or_else(|| "未指定".to_string()),
    );
    add("应报单位数", cov.expected.len().to_string());
    add("收到报表单位数", cov.received.len().to_string());
    add("已汇总单位数", cov.accepted.len().to_string());
    let unverified = cov.held_unverified.len();
    add(
        "暂缓汇总单位数(有错误)",
        cov.held_back.len().saturating_sub(unverified).to_string(),
    );
    if unverified > 0 {
        add("暂缓汇总单位数(待核实)", unverified.to_string());
    }
    add("未报送单位数", cov.missing.len().to_string());
    add("上年有数据单位数", cov.prior_units.len().to_string());
    let names = |codes: &[String]| {
        codes
            .iter()
            .map(|c| unit_name(input.registry, c))
            .collect::<Vec<_>>()
            .join("、")
    };
    if !cov.held_back.is_empty() {
        add("暂缓汇总单位", names(&cov.held_back));
    }
    if unverified > 0 {
        add(
            "暂缓汇总单位(待核实)",
            format!(
                "{}（严格模式：这些单位有未说明的警告或未核实的异常提示，数据暂不汇总，已退回核实）",
                names(&cov.held_unverified)
            ),
        );
    }
    if !cov.missing.is_empty() {
        add("未报送单位", names(&cov.missing));
    }
    // A roll-up: regions summed as their runs stand although those left units out.
    for i in &cov.incomplete {
        add(
            "汇总不完整的地区",
            format!(
                "{}：{}个单位暂未汇总、{}个单位未报送，其数据不在合计中",
                unit_name(input.registry, &i.unit),
                i.held_back.len(),
                i.missing.len()
            ),
        );
    }
    for (k, v) in super::super::edition_notes::rows(input.schema, fig) {
        add(&k, v);
    }
    let open_indicators = fig
        .indicators
        .iter()
        .filter(|f| !f.unverified.is_empty())
        .count();
    let open_rates = fig
        .rates
        .iter()
        .filter(|r| !r.unverified.is_empty())
        .count();
    if open_indicators + open_rates > 0 {
        add(
            "含待核实数据",
            format!(
                "{open_indicators}项指标、{open_rates}项比率的全县数含尚未核实的数值，见“汇总”“比率”表的“待核实单位”列。{}",
                super::totals::UNVERIFIED_LEGEND
            ),
        );
    }
    // At province scale thousands of units may be left out: a cell holds at most 32,767
    // characters, so these lists name the first ones and count the rest.
    let capped = |codes: &[String]| match codes.len() {
        n if n > NAMES_LISTED => format!("{}等{n}个单位", names(&codes[..NAMES_LISTED])),
        _ => names(codes),
    };
    if let Some(scope) = super::totals::scope_note(cov) {
        add("同比口径", scope);
        let left_out = cov.left_out();
        for (why, _) in cov.left_out_counts() {
            let codes: Vec<String> = cov
                .prior_excluded
                .iter()
                .filter(|c| left_out.get(c.as_str()) == Some(&why))
                .cloned()
                .collect();
            add(
                &format!("不计入可比口径（{}）", why.label()),
                capped(&codes),
            );
        }
        if !cov.without_prior.is_empty() {
            add("上年无数据单位", capped(&cov.without_prior));
        }
    } else if cov.units_changed {
        add(
            "单位变动",
            "两年报送单位范围不同（合并、撤销或新增单位），同比仅供参考".to_string(),
        );
    }
    for s in SEMANTICS {
        add("口径说明", (*s).to_string());
    }
    rows
}
