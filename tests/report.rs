//! Summary and feedback workbooks: written to bytes, read back with calamine (and LibreOffice),
//! checked cell by cell. Inputs are built by hand so these tests depend on no other module.

mod common;
use common::build;

use calamine::{open_workbook_from_rs, Data, Range, Reader, SheetVisible, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use huizong::aggregate::{Coverage, Figures, IndicatorFigure, RateFigure, UnitRow};
use huizong::codes::Code;
use huizong::diagnostic::{Diagnostic, Location, Pos, Severity};
use huizong::registry::{Registry, Unit, UnitKind};
use huizong::report::feedback::{
    build_feedback, feedback_file_name, CellFacts, Cells, Feedback, VerifyItem, SHEET_FEEDBACK,
};
use huizong::report::summary::{
    build_summary, build_summary_with, AnomalyRow, DetailRow, DetailSheet, FileState, FileStatus,
    RunMeta, SummaryInput,
};
use huizong::schema::{Aggregation, Expr, Indicator, Rate, Schema, Section, ValueType};

// ---------------------------------------------------------------- inputs

fn indicator(code: &str, name: &str, section: &str, vt: ValueType, agg: Aggregation) -> Indicator {
    Indicator {
        code: code.into(),
        name: name.into(),
        unit: if vt == ValueType::YesNo { "" } else { "件" }.into(),
        value_type: vt,
        section: section.into(),
        reporters: UnitKind::ALL.to_vec(),
        aggregation: agg,
        parent: None,
        hint: None,
        max: None,
    }
}

fn schema() -> Schema {
    Schema {
        id: "fazhi-2024".into(),
        title: "法治政府建设年度统计".into(),
        edition: "2024".into(),
        template_version: "2024.1".into(),
        sections: vec![
            Section {
                code: "ZL".into(),
                name: "一、组织领导与学法".into(),
            },
            Section {
                code: "GF".into(),
                name: "二、规范性文件".into(),
            },
            Section {
                code: "FY".into(),
                name: "三、行政复议".into(),
            },
            Section {
                code: "YS".into(),
                name: "四、行政应诉".into(),
            },
        ],
        indicators: vec![
            indicator(
                "ZL01",
                "是否召开常务会议专题学法",
                "ZL",
                ValueType::YesNo,
                Aggregation::CountYes,
            ),
            indicator(
                "GF01",
                "制定印发行政规范性文件件数",
                "GF",
                ValueType::Count,
                Aggregation::Sum,
            ),
            indicator(
                "FY02",
                "收到行政复议申请件数",
                "FY",
                ValueType::Count,
                Aggregation::County,
            ),
            indicator(
                "YS09",
                "一审行政诉讼审结件数",
                "YS",
                ValueType::Count,
                Aggregation::County,
            ),
            indicator(
                "YS10",
                "行政败诉件数",
                "YS",
                ValueType::Count,
                Aggregation::County,
            ),
        ],
        rates: vec![Rate {
            code: "RYS02c".into(),
            name: "行政诉讼败诉率(法院口径)".into(),
            numerator: Expr::Ident("YS10".into()),
            denominator: Expr::Ident("YS09".into()),
            numerator_text: "YS10".into(),
            denominator_text: "YS09".into(),
            decimals: 2,
            unit: None,
            kinds: vec![],
        }],
        ..build::schema(vec![], vec![])
    }
}

fn unit(code: &str, name: &str, kind: UnitKind) -> Unit {
    Unit {
        code: code.into(),
        name: name.into(),
        kind,
        parent: None,
        active_from: 2020,
        active_to: None,
        predecessors: vec![],
        villages: 0,
    }
}

fn registry() -> Registry {
    Registry::new(vec![
        unit("T01", "城关镇", UnitKind::Township),
        unit("T02", "北关镇", UnitKind::Township),
        unit("D01", "县财政局", UnitKind::Department),
        unit("C01", "县司法局", UnitKind::CountyOffice),
    ])
}

#[allow(clippy::too_many_arguments)]
fn figure(
    code: &str,
    name: &str,
    section: &str,
    agg: Aggregation,
    value: f64,
    prior: f64,
    subtotals: &[(UnitKind, f64)],
    units: u32,
) -> IndicatorFigure {
    let pct = (prior != 0.0).then(|| (value - prior) / prior);
    IndicatorFigure {
        code: code.into(),
        name: name.into(),
        unit: "件".into(),
        section: section.into(),
        aggregation: agg,
        value: Some(value),
        prior: Some(prior),
        prior_reported: Some(prior),
        prior_excluded: vec![],
        change: Some(value - prior),
        change_pct: pct,
        subtotals: subtotals.iter().copied().collect(),
        units_reporting: units,
        yes: None,
        expected_units: None,
        unverified: vec![],
        comparable: true,
        not_comparable_reason: None,
        prior_mapping: None,
    }
}

fn unit_row(code: &str, name: &str, kind: UnitKind, values: &[(&str, f64)]) -> UnitRow {
    UnitRow {
        code: code.into(),
        name: name.into(),
        kind,
        values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        prior: BTreeMap::new(),
        origins: BTreeMap::new(),
    }
}

fn figures() -> Figures {
    let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut yes = figure(
        "ZL01",
        "是否召开常务会议专题学法",
        "ZL",
        Aggregation::CountYes,
        3.0,
        2.0,
        &[],
        3,
    );
    yes.unit = String::new();
    yes.yes = Some(3);
    yes.expected_units = Some(4);
    let mut new_in_year = figure(
        "YS10",
        "行政败诉件数",
        "YS",
        Aggregation::County,
        5.0,
        0.0,
        &[(UnitKind::External, 5.0)],
        1,
    );
    new_in_year.change_pct = None;
    let mut gf01 = figure(
        "GF01",
        "制定印发行政规范性文件件数",
        "GF",
        Aggregation::Sum,
        9.0,
        17.0,
        &[(UnitKind::Township, 4.0), (UnitKind::Department, 5.0)],
        2,
    );
    gf01.prior_reported = Some(20.0);
    gf01.prior_excluded = strs(&["T02"]);
    Figures {
        year: 2024,
        prior_year: 2023,
        schema_id: "fazhi-2024".into(),
        schema_edition: "2024".into(),
        level: Default::default(),
        region: None,
        coverage: Coverage {
            expected: strs(&["T01", "T02", "D01", "C01"]),
            received: strs(&["T01", "T02", "D01"]),
            accepted: strs(&["T01", "D01"]),
            held_back: strs(&["T02"]),
            missing: strs(&["C01"]),
            prior_units: strs(&["T01", "T02", "D01", "C01"]),
            units_changed: false,
            // T02's last year is in the reported figure of GF01 only (可比口径 leaves it out).
            prior_excluded: strs(&["T02"]),
            without_prior: vec![],
            incomplete: vec![],
            held_unverified: vec![],
        },
        indicators: vec![
            yes,
            gf01,
            figure(
                "FY02",
                "收到行政复议申请件数",
                "FY",
                Aggregation::County,
                70.0,
                23.0,
                &[(UnitKind::CountyOffice, 70.0)],
                1,
            ),
            figure(
                "YS09",
                "一审行政诉讼审结件数",
                "YS",
                Aggregation::County,
                56.0,
                50.0,
                &[(UnitKind::External, 56.0)],
                1,
            ),
            new_in_year,
        ],
        rates: vec![RateFigure {
            code: "RYS02c".into(),
            name: "行政诉讼败诉率(法院口径)".into(),
            numerator_text: "YS10".into(),
            denominator_text: "YS09".into(),
            numerator_label: "县法院判决行政机关败诉案件数".into(),
            denominator_label: String::new(),
            numerator: 5.0,
            denominator: 56.0,
            value: Some(5.0 / 56.0),
            prior_numerator: Some(4.0),
            prior_denominator: Some(50.0),
            prior_value: Some(0.08),
            prior_reported_numerator: Some(4.0),
            prior_reported_denominator: Some(50.0),
            prior_reported: Some(0.08),
            change_pp: Some((5.0 / 56.0 - 0.08) * 100.0),
            decimals: 2,
            units: 1,
            unverified: vec![],
            comparable: true,
            not_comparable_reason: None,
        }],
        // Deliberately not in registry order: the sheet must follow the registry.
        units: vec![
            unit_row(
                "D01",
                "县财政局",
                UnitKind::Department,
                &[("GF01", 5.0), ("ZL01", 1.0)],
            ),
            unit_row(
                "T01",
                "城关镇",
                UnitKind::Township,
                &[("GF01", 4.0), ("ZL01", 1.0)],
            ),
        ],
    }
}

/// A finding code written as text (schema codes like V62 have no constant).
fn code(text: &str) -> Code {
    Code::parse(text).expect("a finding code")
}

fn findings() -> Vec<Diagnostic> {
    vec![
        Diagnostic::new(
            code("V62"),
            Severity::Warning,
            Location::cell("T01_城关镇_2024.xlsx", "统计表", Pos::new(6, 3)),
            "合法性审核件数少于印发件数，请核实",
        )
        .with_unit("T01")
        .with_indicator("GF01"),
        Diagnostic::new(
            code("V25"),
            Severity::Error,
            Location::cell("T02_北关镇_2024.xlsx", "统计表", Pos::new(12, 3)),
            "受理、不予受理、其他处理件数之和(9)不等于收到申请件数(10)",
        )
        .with_unit("T02")
        .with_indicator("FY02"),
        Diagnostic::new(
            code("A03"),
            Severity::Warning,
            Location::cell("D01_县财政局_2024.xlsx", "统计表", Pos::new(5, 3)),
            "与上年相同",
        )
        .with_unit("D01")
        .with_indicator("ZL01"),
    ]
}

fn anomalies() -> Vec<AnomalyRow> {
    vec![AnomalyRow {
        entry: 0,
        rank: 1,
        severity: Severity::Warning,
        unit: "D01".into(),
        unit_name: "县财政局".into(),
        indicator: "GF01".into(),
        indicator_name: "制定印发行政规范性文件件数".into(),
        location: "D01_县财政局_2024.xlsx!统计表!D7".into(),
        value: Some(5.0),
        prior: Some(50.0),
        expected: Some((30.0, 70.0)),
        statistic: "对数同比 = -2.30".into(),
        score: 4.5,
        message: "比上年减少90%，可能少填一位".into(),
        accepted: false,
        accept_reason: None,
        status: huizong::anomaly::Status::Open,
        explanation: None,
        reject_reason: None,
    }]
}

fn files() -> Vec<FileStatus> {
    let row = |code: &str, name: &str, kind, status, file: Option<&str>, e, w| FileStatus {
        unit: Some(code.into()),
        unit_name: name.into(),
        kind: Some(kind),
        status,
        file: file.map(String::from),
        sha256: file.map(|_| "ab".repeat(32)),
        errors: e,
        warnings: w,
        revision: None,
    };
    vec![
        row(
            "T01",
            "城关镇",
            UnitKind::Township,
            FileState::Aggregated,
            Some("T01_城关镇_2024.xlsx"),
            0,
            1,
        ),
        row(
            "T02",
            "北关镇",
            UnitKind::Township,
            FileState::Returned,
            Some("T02_北关镇_2024.xlsx"),
            1,
            0,
        ),
        row(
            "D01",
            "县财政局",
            UnitKind::Department,
            FileState::Aggregated,
            Some("D01_县财政局_2024.xlsx"),
            0,
            1,
        ),
        row(
            "C01",
            "县司法局",
            UnitKind::CountyOffice,
            FileState::Missing,
            None,
            0,
            0,
        ),
    ]
}

fn meta() -> RunMeta {
    RunMeta {
        tool_version: "0.1.0".into(),
        schema_id: "fazhi-2024".into(),
        schema_edition: "2024".into(),
        inputs: vec!["returns/".into()],
        prior_source: Some("history.csv".into()),
        registry: Some("units.csv".into()),
        run_time: None,
        office: Some("某县司法局".into()),
        headline: Vec::new(),
    }
}

/// Builds the summary workbook from the fixtures above.
fn summary_bytes() -> Vec<u8> {
    let (fig, sch, reg) = (figures(), schema(), registry());
    let (fnd, fls, anm) = (findings(), files(), anomalies());
    let input = SummaryInput {
        figures: &fig,
        schema: &sch,
        registry: &reg,
        findings: &fnd,
        files: &fls,
        anomalies: &anm,
        meta: meta(),
    };
    build_summary(&input).expect("summary builds")
}

#[test]
fn summary_with_the_detail_sheet_built_ahead_is_the_same_workbook() {
    // `run` builds the 分单位明细 rows while the anomaly checks run and fills in the highlighted
    // cells afterwards; the workbook must be the one `build_summary` writes, byte for byte.
    let (fig, sch, reg) = (figures(), schema(), registry());
    let (fnd, fls, anm) = (findings(), files(), anomalies());
    let input = SummaryInput {
        figures: &fig,
        schema: &sch,
        registry: &reg,
        findings: &fnd,
        files: &fls,
        anomalies: &anm,
        meta: meta(),
    };
    let rows = fig.units.iter().map(DetailRow::from).collect();
    let ahead = DetailSheet::build(&fig, &sch, &reg, rows).expect("detail builds");
    let with = build_summary_with(&input, Some(ahead)).expect("summary builds");
    assert!(with == summary_bytes(), "the two ways of building differ");
}

// ---------------------------------------------------------------- reading back

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes.to_vec())).expect("valid xlsx")
}

fn range(bytes: &[u8], sheet: &str) -> Range<Data> {
    open(bytes).worksheet_range(sheet).expect("sheet exists")
}

fn text(r: &Range<Data>, row: u32, col: u32) -> String {
    match r.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn num(r: &Range<Data>, row: u32, col: u32) -> Option<f64> {
    match r.get_value((row, col)) {
        Some(Data::Float(f)) => Some(*f),
        Some(Data::Int(i)) => Some(*i as f64),
        _ => None,
    }
}

/// The row whose column 0 holds `key`.
fn row_of(r: &Range<Data>, key: &str) -> u32 {
    (0..=r.end().map(|e| e.0).unwrap_or(0))
        .find(|&row| text(r, row, 0) == key)
        .unwrap_or_else(|| panic!("no row {key}"))
}

fn header(r: &Range<Data>, row: u32) -> Vec<String> {
    let last = r.end().map(|e| e.1).unwrap_or(0);
    (0..=last)
        .map(|c| text(r, row, c))
        .filter(|s| !s.is_empty())
        .collect()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

// ---------------------------------------------------------------- summary tests

#[test]
fn summary_sheets_in_order_and_chart_data_hidden() {
    let bytes = summary_bytes();
    let wb = open(&bytes);
    assert_eq!(
        wb.sheet_names(),
        [
            "概览",
            "汇总",
            "比率",
            "分单位明细",
            "校验问题",
            "异常提示",
            "报送情况",
            "版本变化",
            "说明",
            "图表数据"
        ]
    );
    assert_eq!(wb.sheet_names(), huizong::report::summary::sheet_names());
    let hidden: Vec<_> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.visible != SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(hidden, ["图表数据"]);
    // The chart exists and reads the hidden sheet.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/charts/chart1.xml").expect("chart"),
        &mut xml,
    )
    .expect("utf-8");
    assert!(xml.contains("图表数据"), "{xml}");
    assert!(xml.contains("<c:barChart>"));
}

#[test]
fn summary_totals_sheet_values() {
    let r = range(&summary_bytes(), "汇总");
    assert_eq!(text(&r, 0, 0), "2024年法治政府建设年度统计汇总表");
    let note = text(&r, 1, 0);
    assert!(note.contains("本表汇总 2 个单位"), "{note}");
    assert!(note.contains("1 个单位因有错误暂未汇总"), "{note}");
    assert_eq!(
        header(&r, 2),
        [
            "代码",
            "指标名称",
            "计量单位",
            "本年",
            "上年（可比口径）",
            "增减",
            "同比",
            "上年（报送口径）",
            "乡镇小计",
            "部门小计",
            "县本级",
            "外部来源",
            "报送单位数",
            "备注",
            "待核实单位"
        ]
    );
    // Section rows come before their indicators, in schema order.
    assert_eq!(text(&r, 3, 0), "一、组织领导与学法");
    assert_eq!(text(&r, 4, 0), "ZL01");

    let fy = row_of(&r, "FY02");
    assert_eq!(text(&r, fy, 1), "收到行政复议申请件数");
    assert!(close(num(&r, fy, 3), 70.0));
    assert!(close(num(&r, fy, 4), 23.0));
    assert!(close(num(&r, fy, 5), 47.0));
    let pct = num(&r, fy, 6).expect("同比");
    assert!((pct - 2.0435).abs() < 1e-4, "{pct}");
    assert!(close(num(&r, fy, 7), 23.0), "报送口径 equals 可比口径");
    assert!(close(num(&r, fy, 10), 70.0), "县本级 subtotal");
    assert!(num(&r, fy, 8).is_none(), "no township subtotal");
    assert_eq!(text(&r, fy, 13), "取县本级（或法院）数，不累加");

    let gf = row_of(&r, "GF01");
    assert!(close(num(&r, gf, 3), 9.0));
    assert!(close(num(&r, gf, 4), 17.0));
    assert!(close(num(&r, gf, 5), -8.0));
    assert!((num(&r, gf, 6).expect("同比") + 0.470588).abs() < 1e-6);
    assert!(close(num(&r, gf, 7), 20.0), "上年（报送口径）");
    assert!(close(num(&r, gf, 8), 4.0));
    assert!(close(num(&r, gf, 9), 5.0));
    assert!(close(num(&r, gf, 12), 2.0));
    // Why the two prior columns differ: the held-back unit, by name.
    assert_eq!(text(&r, gf, 13), "报送口径另含：北关镇（暂未汇总）");
    assert!(
        note.contains("同比按可比口径计算：“上年（可比口径）”为本年已汇总的2个单位上年的数"),
        "{note}"
    );
    assert!(note.contains("不含暂未汇总的1个单位"), "{note}");

    let yn = row_of(&r, "ZL01");
    assert!(close(num(&r, yn, 3), 3.0));
    assert!(text(&r, yn, 13).contains("3/4"), "{}", text(&r, yn, 13));

    let zero = row_of(&r, "YS10");
    assert!(num(&r, zero, 6).is_none(), "同比 blank when prior is 0");
    assert!(text(&r, zero, 13).contains("上年为0"));
}

#[test]
fn unverified_units_are_named_beside_their_figures() {
    let (mut fig, sch, reg) = (figures(), schema(), registry());
    let (fnd, fls, anm) = (findings(), files(), anomalies());
    let plain = |fig: &Figures| {
        build_summary(&SummaryInput {
            figures: fig,
            schema: &sch,
            registry: &reg,
            findings: &fnd,
            files: &fls,
            anomalies: &anm,
            meta: meta(),
        })
        .expect("summary builds")
    };
    let r = range(&plain(&fig), "汇总");
    assert!(
        !text(&r, 1, 0).contains("待核实单位"),
        "no legend without them"
    );
    let gf = row_of(&r, "GF01");
    assert_eq!(text(&r, gf, 14), "");

    for f in fig.indicators.iter_mut().filter(|f| f.code == "GF01") {
        f.unverified = vec!["T01".into(), "D01".into()];
    }
    fig.rates[0].unverified = vec!["X01".into()];
    let bytes = plain(&fig);
    let r = range(&bytes, "汇总");
    assert!(
        text(&r, 1, 0).contains("“待核实单位”：全县数中含这些单位尚未核实的数值"),
        "{}",
        text(&r, 1, 0)
    );
    let gf = row_of(&r, "GF01");
    assert_eq!(text(&r, gf, 14), "城关镇、县财政局");
    assert_eq!(text(&r, row_of(&r, "FY02"), 14), "");
    let r = range(&bytes, "比率");
    assert_eq!(text(&r, row_of(&r, "RYS02c"), 12), "X01");
    let r = range(&bytes, "说明");
    let row = row_of(&r, "含待核实数据");
    assert!(
        text(&r, row, 1).starts_with("1项指标、1项比率"),
        "{}",
        text(&r, row, 1)
    );
}

#[test]
fn summary_rates_sheet() {
    let r = range(&summary_bytes(), "比率");
    assert_eq!(
        header(&r, 0),
        [
            "代码",
            "比率名称",
            "分子",
            "分子数值",
            "分母",
            "分母数值",
            "本年",
            "上年（可比口径）",
            "变动(百分点)",
            "上年（报送口径）",
            "参与单位数",
            "备注",
            "待核实单位"
        ]
    );
    let row = row_of(&r, "RYS02c");
    // The numerator in words; the denominator has no words here and shows its code.
    assert_eq!(text(&r, row, 2), "县法院判决行政机关败诉案件数");
    assert!(close(num(&r, row, 3), 5.0));
    assert_eq!(text(&r, row, 4), "YS09");
    assert!(close(num(&r, row, 5), 56.0));
    let v = num(&r, row, 6).expect("rate");
    assert!((v - 0.0893).abs() < 1e-4, "{v}");
    assert!(close(num(&r, row, 7), 0.08));
    assert!((num(&r, row, 8).expect("pp") - 0.92857).abs() < 1e-4);
    assert!(close(num(&r, row, 9), 0.08));
    assert!(close(num(&r, row, 10), 1.0));
    assert_eq!(text(&r, row, 11), "", "both views of last year agree");
}

#[test]
fn summary_unit_detail_follows_registry_and_highlights_flags() {
    let bytes = summary_bytes();
    let r = range(&bytes, "分单位明细");
    assert_eq!(
        header(&r, 0),
        [
            "单位代码",
            "单位名称",
            "类型",
            "ZL01",
            "GF01",
            "FY02",
            "YS09",
            "YS10"
        ]
    );
    assert_eq!(text(&r, 1, 4), "制定印发行政规范性文件件数");
    assert_eq!(text(&r, 2, 0), "T01", "registry order: T01 before D01");
    assert_eq!(text(&r, 3, 0), "D01");
    assert_eq!(text(&r, 2, 2), "乡镇(街道)");
    assert!(close(num(&r, 2, 4), 4.0));
    assert!(close(num(&r, 3, 4), 5.0));

    let styles = open(&bytes).worksheet_style("分单位明细").expect("styles");
    let fill = |row, col| {
        styles
            .get((row, col))
            .and_then(|s| s.fill.as_ref())
            .and_then(|f| f.foreground_color)
            .map(|c| (c.red, c.green, c.blue))
    };
    let yellow = Some((0xFF, 0xEB, 0x9C));
    assert_eq!(fill(2, 4), yellow, "T01 GF01 has a warning");
    assert_eq!(fill(3, 4), yellow, "D01 GF01 has an anomaly");
    assert_eq!(fill(3, 3), yellow, "D01 ZL01 has a warning");
    assert_eq!(fill(2, 3), None, "T01 ZL01 is clean");
}

#[test]
fn summary_findings_anomalies_and_files() {
    let bytes = summary_bytes();
    let r = range(&bytes, "校验问题");
    assert_eq!(
        header(&r, 0),
        [
            "文件",
            "工作表",
            "单元格",
            "单位",
            "指标",
            "代码",
            "级别",
            "消息",
            "单位说明"
        ]
    );
    // Sorted by file: D01, T01, T02.
    assert_eq!(text(&r, 1, 0), "D01_县财政局_2024.xlsx");
    assert_eq!(text(&r, 2, 0), "T01_城关镇_2024.xlsx");
    assert_eq!(text(&r, 2, 2), "D7");
    assert_eq!(text(&r, 2, 3), "城关镇（T01）");
    assert_eq!(text(&r, 2, 4), "GF01 制定印发行政规范性文件件数");
    assert_eq!(text(&r, 3, 5), "V25");
    assert_eq!(text(&r, 3, 6), "错误");

    let r = range(&bytes, "异常提示");
    assert_eq!(header(&r, 0).len(), 13);
    assert!(close(num(&r, 1, 0), 1.0));
    assert_eq!(text(&r, 1, 2), "县财政局（D01）");
    assert!(close(num(&r, 1, 5), 5.0));
    assert!(close(num(&r, 1, 6), 50.0));
    assert_eq!(text(&r, 1, 7), "30 ~ 70");
    assert_eq!(text(&r, 1, 11), "待核实");

    let r = range(&bytes, "报送情况");
    assert_eq!(
        header(&r, 0),
        [
            "单位代码",
            "单位名称",
            "类型",
            "状态",
            "文件",
            "版本",
            "版本说明",
            "SHA-256",
            "错误数",
            "警告数"
        ]
    );
    let statuses: Vec<_> = (1..=4)
        .map(|row| (text(&r, row, 0), text(&r, row, 3)))
        .collect();
    assert_eq!(
        statuses,
        [
            ("T01".to_string(), "已汇总".to_string()),
            ("T02".to_string(), "已退回(有错误)".to_string()),
            ("D01".to_string(), "已汇总".to_string()),
            ("C01".to_string(), "未报送".to_string()),
        ]
    );
    assert!(close(num(&r, 2, 8), 1.0));
    assert_eq!(text(&r, 4, 4), "");
    assert_eq!(text(&r, 1, 7).len(), 64);

    let r = range(&bytes, "说明");
    let rows: Vec<_> = (1..=r.end().map(|e| e.0).unwrap_or(0))
        .map(|row| (text(&r, row, 0), text(&r, row, 1)))
        .collect();
    let get = |k: &str| rows.iter().find(|(a, _)| a == k).map(|(_, b)| b.clone());
    assert_eq!(get("已汇总单位数").as_deref(), Some("2"));
    assert_eq!(get("暂缓汇总单位").as_deref(), Some("北关镇"));
    assert_eq!(get("上年数据来源").as_deref(), Some("history.csv"));
    assert_eq!(get("运行时间"), None, "no clock time unless given");
    assert!(rows.iter().any(|(_, v)| v.contains("Σ分子 ÷ Σ分母")));
    // 可比口径: explained once, with the units left out of last year's comparison.
    assert!(rows.iter().any(|(k, v)| k == "口径说明"
        && v.starts_with("可比口径：同比和比率变动中的“上年”是本年已汇总的同一批单位上年的数")));
    assert!(get("同比口径").is_some_and(|v| v.contains("不含暂未汇总的1个单位")));
    assert_eq!(get("不计入可比口径（暂未汇总）").as_deref(), Some("北关镇"));
    assert_eq!(get("单位变动"), None);
}

#[test]
fn summary_is_byte_identical_across_builds() {
    let a = summary_bytes();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = summary_bytes();
    assert!(a == b, "two builds differ");
}

#[test]
fn summary_of_nothing_still_has_every_sheet() {
    let mut fig = figures();
    fig.indicators.clear();
    fig.rates.clear();
    fig.units.clear();
    fig.coverage = Coverage::default();
    let (sch, reg) = (schema(), Registry::default());
    let input = SummaryInput {
        figures: &fig,
        schema: &sch,
        registry: &reg,
        findings: &[],
        files: &[],
        anomalies: &[],
        meta: RunMeta::default(),
    };
    let bytes = build_summary(&input).expect("empty summary builds");
    let wb = open(&bytes);
    assert_eq!(wb.sheet_names().len(), 10);
    let r = range(&bytes, "版本变化");
    assert_eq!(text(&r, 1, 0), "本次没有单位报送多个版本");
    let r = range(&bytes, "汇总");
    assert!(text(&r, 1, 0).contains("本表汇总 0 个单位"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    assert!(
        zip.by_name("xl/charts/chart1.xml").is_err(),
        "no chart without data"
    );
}

// ---------------------------------------------------------------- LibreOffice

/// Parses a number as LibreOffice formats it: `1,234.00`, `-8`, `204.3%`.
fn parse_display(s: &str) -> Option<f64> {
    let t = s.trim().replace(',', "");
    match t.strip_suffix('%') {
        Some(p) => p.parse::<f64>().ok().map(|v| v / 100.0),
        None => t.parse().ok(),
    }
}

#[test]
fn libreoffice_reads_the_totals_sheet_like_we_wrote_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let xlsx = dir.path().join("汇总_2024.xlsx");
    let bytes = summary_bytes();
    std::fs::write(&xlsx, &bytes).expect("write");
    // ",1" = first line as is: keep the title rows; token 9 "as shown"; token 12 = the sheet
    // to export (汇总, the second after 概览; LibreOffice 7.2 and later).
    let filter = format!("{},1,,0,false,true,true,false,false,2", common::CSV_UTF8);
    if !common::libreoffice_convert(std::slice::from_ref(&xlsx), &filter, dir.path()) {
        return;
    }
    // one sheet exported by number: LibreOffice names the file after it
    let csv_path = dir.path().join("汇总_2024-汇总.csv");
    assert!(Path::new(&csv_path).exists(), "LibreOffice wrote no CSV");

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(&csv_path)
        .expect("csv");
    let lo: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("record").iter().map(String::from).collect())
        .collect();
    let ours = range(&bytes, "汇总");
    let mut compared = 0;
    for (row, col, v) in ours.used_cells() {
        let (row, col) = (row + ours.start().map_or(0, |s| s.0 as usize), col);
        let shown = lo
            .get(row)
            .and_then(|r| r.get(col))
            .cloned()
            .unwrap_or_default();
        match v {
            Data::Float(f) => {
                let parsed = parse_display(&shown)
                    .unwrap_or_else(|| panic!("row {row} col {col}: {shown:?} is not {f}"));
                // Display rounding: 0.0% → half a step of 0.001.
                assert!(
                    (parsed - f).abs() <= 0.0005 + 1e-9,
                    "row {row} col {col}: {shown} vs {f}"
                );
                compared += 1;
            }
            Data::String(s) => assert_eq!(&shown, s, "row {row} col {col}"),
            _ => {}
        }
    }
    assert!(compared >= 20, "only {compared} numbers compared");
    let fy = lo
        .iter()
        .find(|r| r.first().map(String::as_str) == Some("FY02"))
        .expect("FY02 row");
    assert_eq!(&fy[3..7], ["70", "23", "47", "204.3%"]);
}

// ---------------------------------------------------------------- feedback

#[test]
fn feedback_workbook_lists_what_to_fix() {
    let t01_cell = |row| Location::cell("T01_城关镇_2024.xlsx", "统计表", Pos::new(row, 3));
    let mut fnd: Vec<Diagnostic> = findings()
        .into_iter()
        .filter(|d| d.unit.as_deref() == Some("T01"))
        .collect();
    fnd.push(
        Diagnostic::new(
            code("A03"),
            Severity::Warning,
            t01_cell(5),
            "与上年完全相同",
        )
        .with_unit("T01"),
    );
    // A settled warning (explained) and a hint are not sent back.
    let mut explained = Diagnostic::new(
        code("V63"),
        Severity::Warning,
        t01_cell(7),
        "报送备案件数少于印发件数",
    );
    explained.explanation = Some("本年新设机构，文件均已审核".into());
    fnd.push(explained);
    fnd.push(Diagnostic::new(
        code("I01"),
        Severity::Info,
        Location::file("T01.xlsx"),
        "提示",
    ));
    fnd.push(
        Diagnostic::new(
            code("N02"),
            Severity::Error,
            t01_cell(9),
            "“5000余”不是数字",
        )
        .with_indicator("GF01"),
    );
    let t01 = fnd;
    let bytes = build_feedback(
        "T01",
        "城关镇",
        2024,
        Some("T01_城关镇_2024.xlsx"),
        &t01,
        None,
    )
    .expect("feedback builds");
    assert_eq!(
        bytes,
        build_feedback(
            "T01",
            "城关镇",
            2024,
            Some("T01_城关镇_2024.xlsx"),
            &t01,
            None
        )
        .expect("again")
    );
    let wb = open(&bytes);
    assert_eq!(wb.sheet_names(), [SHEET_FEEDBACK]);
    let r = range(&bytes, SHEET_FEEDBACK);
    assert!(text(&r, 0, 0).contains("城关镇（T01）2024年"));
    assert!(
        text(&r, 1, 0).contains("共 3 个问题：错误 1 个，需核实 2 个"),
        "{}",
        text(&r, 1, 0)
    );
    let head = row_of(&r, "序号");
    assert_eq!(
        header(&r, head),
        [
            "序号",
            "指标",
            "单元格",
            "你填的值",
            "上年数",
            "级别",
            "问题",
            "怎么改"
        ]
    );
    // Errors first, then warnings in sheet order.
    let rows: Vec<_> = (head + 1..=head + 3)
        .map(|row| (num(&r, row, 0), text(&r, row, 2), text(&r, row, 5)))
        .collect();
    assert_eq!(
        rows[0],
        (Some(1.0), "统计表!D10".to_string(), "错误".to_string())
    );
    assert_eq!(rows[1].1, "统计表!D6");
    assert_eq!(
        rows[2],
        (Some(3.0), "统计表!D7".to_string(), "警告".to_string())
    );
    assert!(text(&r, head + 1, 7).contains("阿拉伯数字"));
    assert!(text(&r, head + 3, 7).contains("核实无误"));
    assert!(text(&r, head + 1, 6).ends_with("（N02）"));
    assert_eq!(
        text(&r, head + 4, 0),
        "",
        "explained warning and hint left out"
    );
    // Without settings the request has no date; no path but the file's own name.
    assert_eq!(text(&r, 2, 0), "请改正后尽快重新报送。");
}

/// The 退回 table with what the unit typed, the 上年数 its template showed, the indicator's
/// name from the schema, and the county's deadline and contact.
#[test]
fn feedback_shows_the_cell_as_the_unit_filled_it() {
    let schema = Schema::default_schema();
    let cell = |row| Location::cell("T01_城关镇_2024.xlsx", "统计表", Pos::new(row, 3));
    let findings = [
        Diagnostic::new(
            code("V03"),
            Severity::Warning,
            cell(69),
            "填写了约数“1800余”",
        )
        .with_indicator("PF03"),
        Diagnostic::new(code("V10"), Severity::Error, cell(12), "GF02 大于 GF01")
            .with_indicator("GF02")
            .with_suggestion("GF02 可能应为 12（数字顺序颠倒）"),
        Diagnostic::new(
            code("V04"),
            Severity::Error,
            Location::file("T01_城关镇_2024.xlsx"),
            "封面单位代码不在名册中",
        ),
    ];
    let cells: Cells = [
        (
            "PF03".to_string(),
            CellFacts {
                value: huizong::ingest::Value::Number(1800.0),
                approximate: true,
                prior: Some(1650.0),
            },
        ),
        (
            "GF02".to_string(),
            CellFacts {
                value: huizong::ingest::Value::Number(21.0),
                approximate: false,
                prior: Some(9.0),
            },
        ),
    ]
    .into_iter()
    .collect();
    let settings = huizong::settings::Settings::parse(
        "office = \"某县司法局\"\ncontact = \"张三\"\nphone = \"0377-61234567\"\ndeadline = \"2025年1月15日\"\n",
    )
    .expect("settings");
    let bytes = Feedback {
        findings: &findings,
        cells: Some(&cells),
        schema: Some(&schema),
        settings: Some(&settings),
        ..Feedback::new("T01", "城关镇", 2024, Some("东片/T01_城关镇_2024.xlsx"))
    }
    .build()
    .expect("builds");
    let r = range(&bytes, SHEET_FEEDBACK);
    assert!(text(&r, 1, 0).starts_with("报送文件：东片/T01_城关镇_2024.xlsx。"));
    assert_eq!(
        text(&r, 2, 0),
        "请于 2025年1月15日 前改正后重新报送；有疑问请联系某县司法局 张三 0377-61234567。"
    );
    let head = row_of(&r, "序号");
    // errors first: V04 (a file-level finding) sorts before the cell one
    assert_eq!(text(&r, head + 1, 1), "整份报表");
    assert_eq!(text(&r, head + 1, 2), "—");
    let gf02 = head + 2;
    assert_eq!(
        text(&r, gf02, 1),
        format!("GF02 {}", schema.indicator("GF02").unwrap().name)
    );
    assert_eq!(text(&r, gf02, 2), "统计表!D13");
    assert_eq!(num(&r, gf02, 3), Some(21.0));
    assert_eq!(num(&r, gf02, 4), Some(9.0));
    assert!(
        text(&r, gf02, 7).contains("参考：GF02 可能应为 12（数字顺序颠倒）"),
        "{}",
        text(&r, gf02, 7)
    );
    let pf03 = head + 3;
    assert_eq!(text(&r, pf03, 3), "1800（约数）");
    assert_eq!(num(&r, pf03, 4), Some(1650.0));
    assert_eq!(text(&r, pf03, 5), "警告");
}

/// An anomaly to verify at a T01 cell (D`row`).
fn verify_item(code_: &str, severity: Severity, row: u32, indicator: Option<&str>) -> VerifyItem {
    VerifyItem {
        code: code(code_),
        severity,
        location: match indicator {
            Some(_) => Location::cell("T01_城关镇_2024.xlsx", "统计表", Pos::new(row, 3)),
            None => Location::file("T01_城关镇_2024.xlsx"),
        },
        indicator: indicator.map(String::from),
        indicator_name: indicator
            .map(|_| "罚没金额".to_string())
            .unwrap_or_default(),
        value: Some(125.43),
        prior: Some(1_198_200.0),
        expected: Some((1_000_000.0, 1_500_000.5)),
        message: "罚没金额本年125.43与上年1198200相差约10^4倍".into(),
        suggestion: None,
        explanation: None,
        review: None,
    }
}

#[test]
fn open_anomalies_reach_the_feedback_as_items_to_verify() {
    let rule = Diagnostic::new(
        code("V63"),
        Severity::Warning,
        Location::cell("T01_城关镇_2024.xlsx", "统计表", Pos::new(7, 3)),
        "报送备案件数少于印发件数",
    );
    let mut slip = verify_item("A03", Severity::Warning, 19, Some("ZF07"));
    slip.suggestion = Some("疑似单位错误：似按万元填报，按元应为 1254300".into());
    let mut rejected = verify_item("A01", Severity::Warning, 12, Some("ZF06"));
    rejected.explanation = Some("专项整治，案件增加属实".into());
    rejected.review = Some("台账只有12件，请核对".into());
    let copied = verify_item("A05", Severity::Warning, 0, None);
    let items = [slip, rejected, copied];
    let bytes = Feedback {
        findings: std::slice::from_ref(&rule),
        verify: &items,
        ..Feedback::new("T01", "城关镇", 2024, Some("T01_城关镇_2024.xlsx"))
    }
    .build()
    .expect("feedback builds");
    let r = range(&bytes, SHEET_FEEDBACK);
    assert!(
        text(&r, 1, 0).contains("共 4 个问题：错误 0 个，需核实 4 个"),
        "{}",
        text(&r, 1, 0)
    );
    // One table: the rule finding first, then the items to verify, numbered on.
    let head = row_of(&r, "序号");
    assert_eq!(text(&r, head + 1, 6), "报送备案件数少于印发件数（V63）");
    let first = head + 2;
    assert_eq!(num(&r, first, 0), Some(2.0));
    assert_eq!(text(&r, first, 1), "ZF07 罚没金额");
    assert_eq!(text(&r, first, 2), "统计表!D20");
    assert_eq!(num(&r, first, 3), Some(125.43));
    assert_eq!(num(&r, first, 4), Some(1_198_200.0));
    assert_eq!(text(&r, first, 5), "需核实");
    assert!(text(&r, first, 6).contains("（A03）；合理范围约 1000000 ~ 1500000.5"));
    assert!(text(&r, first, 7)
        .starts_with("请核实该数值：如有误请更正；如属实请在该行“说明”栏写明原因"));
    assert!(text(&r, first, 7).contains("按元应为 1254300"));
    // The rejected one shows the unit's note and the reviewer's reason.
    assert!(text(&r, first + 1, 6)
        .contains("单位说明：专项整治，案件增加属实；审核意见：台账只有12件，请核对"));
    assert!(text(&r, first + 1, 7).starts_with("审核未认可"));
    // The whole-submission one.
    assert_eq!(text(&r, first + 2, 1), "整份报表");
    assert_eq!(text(&r, first + 2, 2), "—");
    assert!(text(&r, first + 2, 7).contains("整份报表"));

    // A unit with anomalies only: the same table.
    let only = || {
        Feedback {
            verify: &items[..1],
            ..Feedback::new("T01", "城关镇", 2024, None)
        }
        .build()
        .expect("builds")
    };
    let r = range(&only(), SHEET_FEEDBACK);
    assert!(text(&r, 1, 0).contains("共 1 个问题：错误 0 个，需核实 1 个"));
    let head = row_of(&r, "序号");
    assert_eq!(num(&r, head + 1, 0), Some(1.0));
    assert_eq!(only(), only());
}

#[test]
fn feedback_file_names() {
    assert_eq!(
        feedback_file_name("T01", "城关镇", 2024),
        "退回_T01_城关镇_2024.xlsx"
    );
}

/// Every sheet prints with the sheet's name, the print date and 第 n 页 共 m 页; wide text
/// wraps instead of widening the page; 分单位明细 prints in blocks at 85 % with the unit
/// columns repeated, not shrunk to one page wide.
#[test]
fn summary_print_setup() {
    let bytes = summary_bytes();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut part = |name: &str| {
        let mut s = String::new();
        zip.by_name(name)
            .expect(name)
            .read_to_string(&mut s)
            .expect("utf-8");
        s
    };
    for i in 1..=10 {
        let xml = part(&format!("xl/worksheets/sheet{i}.xml"));
        assert!(
            xml.contains("<oddFooter>&amp;C第 &amp;P 页 共 &amp;N 页</oddFooter>"),
            "sheet{i}"
        );
        assert!(xml.contains("打印日期：&amp;D"), "sheet{i}");
    }
    let detail = part("xl/worksheets/sheet4.xml");
    assert!(detail.contains(r#"scale="85""#), "{detail}");
    assert!(!detail.contains("fitToPage"), "not shrunk to one page wide");
    let totals = part("xl/worksheets/sheet2.xml");
    assert!(
        totals.contains("<mergeCell ref=\"A2:"),
        "the coverage note spans the table"
    );
    // 制表单位 from the settings and the table's title in every header.
    assert!(
        totals.contains("<oddHeader>&amp;L制表单位：某县司法局&amp;C&amp;\"-,Bold\"2024年"),
        "{totals}"
    );
    // 概览 on one page.
    let overview = part("xl/worksheets/sheet1.xml");
    assert!(overview.contains(r#"fitToHeight="1""#) || !overview.contains("fitToHeight"));
    let wb = part("xl/workbook.xml");
    assert!(wb.contains("分单位明细!$A:$C"), "unit columns repeat: {wb}");
}
