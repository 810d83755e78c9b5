//! Reading returned workbooks: sniffing, structure findings, value normalisation, real files
//! written by LibreOffice, and a no-panic property test. Every workbook is built in the test
//! (rust_xlsxwriter, following `src/sheets.rs`) or read from `tests/fixtures/real/`.

mod common;
use common::build;

use std::io::{Cursor, Read, Write};

use huizong::codes::Code;
use huizong::diagnostic::{Diagnostic, Severity};
use huizong::ingest::sniff::Limits;
use huizong::ingest::{self, Submission, Value};
use huizong::registry::UnitKind;
use huizong::schema::{Aggregation, Indicator, Schema, ValueType};
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

const FILE: &str = "sample-data/2024/T03_城关镇.xlsx";

// ---------------------------------------------------------------------------------------------
// Inputs built by hand

fn indicator(code: &str, name: &str, unit: &str, vt: ValueType, kinds: &[UnitKind]) -> Indicator {
    Indicator {
        code: code.into(),
        name: name.into(),
        unit: unit.into(),
        value_type: vt,
        section: code[..2].into(),
        reporters: kinds.to_vec(),
        aggregation: Aggregation::Sum,
        parent: None,
        hint: None,
        max: None,
    }
}

fn schema() -> Schema {
    use UnitKind::*;
    Schema {
        id: "fazhi-2024".into(),
        title: "法治政府建设年度统计".into(),
        edition: "2024".into(),
        template_version: "fazhi-2024.1".into(),
        sections: vec![],
        indicators: vec![
            indicator(
                "FY02",
                "被申请行政复议案件数",
                "件",
                ValueType::Count,
                &[Township, Department],
            ),
            indicator(
                "GF01",
                "制定印发行政规范性文件件数",
                "件",
                ValueType::Count,
                &[Township],
            ),
            indicator("ZF07", "罚没款金额", "元", ValueType::Amount, &[Township]),
            indicator(
                "GW01",
                "是否聘请法律顾问",
                "",
                ValueType::YesNo,
                &[Township],
            ),
            indicator(
                "JC01",
                "作出重大行政决策件数",
                "件",
                ValueType::Count,
                &[Department],
            ),
        ],
        rates: vec![],
        ..build::schema(vec![], vec![])
    }
}

/// What goes into a cell.
#[derive(Debug, Clone)]
enum In {
    N(f64),
    T(&'static str),
    /// Formula text and its cached result ("" = none).
    F(&'static str, &'static str),
    B(bool),
    D(u16, u8, u8),
    /// A number written with this number format.
    NF(f64, &'static str),
    /// Text written with this number format.
    TF(&'static str, &'static str),
    Blank,
}

/// A submission workbook following `src/sheets.rs`, with knobs for the ways units change it.
#[derive(Debug, Clone)]
struct Book {
    cover_name: &'static str,
    data_name: &'static str,
    cover: Vec<(&'static str, In)>,
    rows: Vec<(&'static str, In, Option<In>, &'static str)>,
    /// Top-left of the data header (the 代码 cell); the template has (2, 0).
    origin: (u32, u16),
    /// An extra column inserted between 计量单位 and 本年数.
    extra_col: bool,
    /// Blank rows inserted between indicator rows.
    extra_rows: bool,
    data_first: bool,
    hide_data: bool,
    current_label: &'static str,
    /// Indexes into `rows` of the rows to hide.
    hidden: Vec<usize>,
}

impl Book {
    fn new() -> Self {
        Book {
            cover_name: "封面",
            data_name: "统计表",
            cover: vec![
                ("单位代码", In::T("411321-T03")),
                ("单位名称", In::T("城关镇")),
                ("单位类型", In::T("乡镇(街道)")),
                ("统计年度", In::N(2024.0)),
                ("统计截止日期", In::T("2024-12-31")),
                ("填报人", In::T("张三")),
                ("联系电话", In::T("13800000000")),
                ("单位负责人", In::T("李四")),
                ("模板版本", In::T("fazhi-2024.1")),
            ],
            rows: vec![
                ("FY02", In::N(12.0), Some(In::N(4.0)), ""),
                ("GF01", In::N(3.0), None, ""),
                ("ZF07", In::N(1500.5), None, "专项整治罚没款增加"),
                ("GW01", In::T("是"), Some(In::T("否")), ""),
            ],
            origin: (2, 0),
            extra_col: false,
            extra_rows: false,
            data_first: false,
            hide_data: false,
            current_label: "本年数",
            hidden: Vec::new(),
        }
    }

    /// Replaces the 本年数 of `code`.
    fn set(mut self, code: &str, v: In) -> Self {
        for r in &mut self.rows {
            if r.0 == code {
                r.1 = v.clone();
            }
        }
        self
    }

    fn cover_set(mut self, label: &str, v: In) -> Self {
        for f in &mut self.cover {
            if f.0 == label {
                f.1 = v.clone();
            }
        }
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut wb = Workbook::new();
        if self.data_first {
            self.write_data(&mut wb);
            self.write_cover(&mut wb);
        } else {
            self.write_cover(&mut wb);
            self.write_data(&mut wb);
        }
        wb.save_to_buffer().expect("test workbook")
    }

    fn write_cover(&self, wb: &mut Workbook) {
        let ws = wb.add_worksheet();
        ws.set_name(self.cover_name).expect("name");
        ws.write(0, 0, "法治政府建设年度统计表").expect("write");
        for (i, (label, v)) in self.cover.iter().enumerate() {
            let row = 2 + i as u32;
            ws.write(row, 0, *label).expect("write");
            put(ws, row, 1, v);
        }
    }

    fn write_data(&self, wb: &mut Workbook) {
        let ws = wb.add_worksheet();
        ws.set_name(self.data_name).expect("name");
        if self.hide_data {
            ws.set_hidden(true);
        }
        let (r0, c0) = self.origin;
        let shift = u16::from(self.extra_col);
        let title = Format::new().set_bold();
        if r0 >= 1 && c0 + 5 > c0 {
            ws.merge_range(0, c0, 0, c0 + 5 + shift, "法治政府建设统计表", &title)
                .expect("merge");
        }
        let mut headers = vec![(0, "代码"), (1, "指标名称"), (2, "计量单位")];
        if self.extra_col {
            headers.push((3, "备用"));
        }
        headers.extend([
            (3 + shift, self.current_label),
            (4 + shift, "上年数"),
            (5 + shift, "说明"),
        ]);
        for (c, h) in headers {
            ws.write(r0, c0 + c, h).expect("write");
        }
        let mut row = r0 + 1;
        ws.write(row, c0 + 1, "一、行政复议").expect("write");
        row += 1;
        for (i, (code, cur, prior, note)) in self.rows.iter().enumerate() {
            if self.hidden.contains(&i) {
                ws.set_row_hidden(row).expect("hide");
            }
            ws.write(row, c0, *code).expect("write");
            ws.write(row, c0 + 1, "指标").expect("write");
            put(ws, row, c0 + 3 + shift, cur);
            if let Some(p) = prior {
                put(ws, row, c0 + 4 + shift, p);
            }
            if !note.is_empty() {
                ws.write(row, c0 + 5 + shift, *note).expect("write");
            }
            row += if self.extra_rows { 2 } else { 1 };
        }
    }
}

fn put(ws: &mut rust_xlsxwriter::Worksheet, row: u32, col: u16, v: &In) {
    match v {
        In::N(n) => {
            ws.write(row, col, *n).expect("write");
        }
        In::T(t) => {
            ws.write(row, col, *t).expect("write");
        }
        In::F(f, r) => {
            ws.write_formula(row, col, Formula::new(*f).set_result(*r))
                .expect("write");
        }
        In::B(b) => {
            ws.write(row, col, *b).expect("write");
        }
        In::D(y, m, d) => {
            let dt = ExcelDateTime::from_ymd(*y, *m, *d).expect("date");
            ws.write_with_format(row, col, &dt, &Format::new().set_num_format("yyyy-mm-dd"))
                .expect("write");
        }
        In::NF(n, f) => {
            ws.write_with_format(row, col, *n, &Format::new().set_num_format(*f))
                .expect("write");
        }
        In::TF(t, f) => {
            ws.write_with_format(row, col, *t, &Format::new().set_num_format(*f))
                .expect("write");
        }
        In::Blank => {}
    }
}

/// Rewrites one entry of a zip (e.g. a sheet's XML).
fn patch(bytes: &[u8], entry: &str, f: impl Fn(String) -> String) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).expect("entry");
        let name = file.name().expect("name").into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).expect("read");
        if name == entry {
            data = f(String::from_utf8(data).expect("utf8")).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(&data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

/// A zip holding the given entries.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        out.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("start");
        out.write_all(data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

fn read_raw(bytes: Vec<u8>) -> (Option<Submission>, Vec<Diagnostic>) {
    ingest::read_bytes(bytes, FILE, &schema())
}

fn read(b: &Book) -> (Submission, Vec<Diagnostic>) {
    let (s, d) = read_raw(b.bytes());
    (s.expect("a submission"), d)
}

/// The one finding with `code`; fails when there is none or more than one.
fn only<'a>(diags: &'a [Diagnostic], code: &str) -> &'a Diagnostic {
    let hits: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == code).collect();
    assert_eq!(hits.len(), 1, "expected one {code} in {diags:#?}");
    hits[0]
}

/// Asserts one finding `code` pointing at `cell` on the data sheet, naming the file and indicator.
fn assert_cell_finding(
    diags: &[Diagnostic],
    code: &str,
    cell: &str,
    indicator: &str,
) -> Diagnostic {
    let d = only(diags, code);
    let line = d.render_concise();
    assert!(line.contains(FILE), "{line}");
    assert!(line.ends_with_cell(cell), "{line} should point at {cell}");
    assert_eq!(d.indicator.as_deref(), Some(indicator), "{line}");
    assert_eq!(d.unit.as_deref(), Some("411321-T03"));
    d.clone()
}

trait CellRef {
    fn ends_with_cell(&self, cell: &str) -> bool;
}

impl CellRef for String {
    fn ends_with_cell(&self, cell: &str) -> bool {
        self.contains(&format!("!{cell}:"))
    }
}

fn codes(diags: &[Diagnostic]) -> Vec<&str> {
    diags.iter().map(|d| d.code.as_str()).collect()
}

/// Checks one value case: the value read for `code` and the one finding expected (if any).
fn value_case(code: &str, input: In, want: Value, finding: Option<&str>) -> Diagnostic {
    let cell = match code {
        "FY02" => "D5",
        "GF01" => "D6",
        "ZF07" => "D7",
        _ => "D8",
    };
    let (sub, diags) = read(&Book::new().set(code, input));
    assert_eq!(sub.values[code].value, want, "{diags:#?}");
    match finding {
        Some(f) => assert_cell_finding(&diags, f, cell, code),
        None => {
            assert!(diags.is_empty(), "{diags:#?}");
            Diagnostic::new(Code::X01, Severity::Info, Default::default(), "")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A clean workbook and its layout variants

#[test]
fn clean_template_reads_every_value() {
    let (sub, diags) = read(&Book::new());
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(sub.number("FY02"), Some(12.0));
    assert_eq!(sub.number("GF01"), Some(3.0));
    assert_eq!(sub.number("ZF07"), Some(1500.5));
    assert_eq!(sub.number("GW01"), Some(1.0));
    assert_eq!(sub.values["FY02"].prior_shown, Some(4.0));
    assert_eq!(sub.values["GW01"].prior_shown, Some(0.0));
    assert_eq!(sub.values["FY02"].pos.a1(), "D5");
    assert_eq!(sub.values["FY02"].sheet, "统计表");
    assert_eq!(sub.notes["ZF07"], "专项整治罚没款增加");
    let c = &sub.cover;
    assert_eq!(c.unit_code.as_deref(), Some("411321-T03"));
    assert_eq!(c.unit_kind.as_deref(), Some("乡镇(街道)"));
    assert_eq!(c.year, Some(2024));
    assert_eq!(c.cutoff_date.as_deref(), Some("2024-12-31"));
    assert_eq!(c.template_version.as_deref(), Some("fazhi-2024.1"));
    assert_eq!(c.cells["单位代码"].1.a1(), "B3");
}

#[test]
fn data_starting_at_b3_is_found() {
    let mut b = Book::new();
    b.origin = (2, 1);
    let (sub, diags) = read(&b);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(sub.values["FY02"].pos.a1(), "E5");
    assert_eq!(sub.number("ZF07"), Some(1500.5));
}

#[test]
fn inserted_rows_columns_and_title_rows_are_tolerated() {
    let mut b = Book::new();
    b.origin = (5, 2);
    b.extra_col = true;
    b.extra_rows = true;
    let (sub, diags) = read(&b);
    assert!(diags.is_empty(), "{diags:#?}");
    // Header at row 6 (0-based 5), code in C, 本年数 shifted to G by the extra column.
    assert_eq!(sub.values["FY02"].pos.a1(), "G8");
    assert_eq!(sub.values["GF01"].pos.a1(), "G10");
    assert_eq!(sub.number("GW01"), Some(1.0));
    assert_eq!(sub.values["FY02"].prior_shown, Some(4.0));
}

#[test]
fn renamed_reordered_hidden_sheets_and_header_variants() {
    let mut b = Book::new();
    b.data_name = "Sheet1";
    b.cover_name = "基本情况";
    b.data_first = true;
    b.hide_data = true;
    b.current_label = "本期数（件）";
    let (sub, diags) = read(&b);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(sub.values["FY02"].sheet, "Sheet1");
    assert_eq!(sub.number("FY02"), Some(12.0));
    assert_eq!(sub.cover.unit_name.as_deref(), Some("城关镇"));
}

#[test]
fn cover_labels_with_colons_and_gaps() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("封面").expect("name");
    ws.write(3, 1, " 单位代码： ").expect("w");
    ws.write(3, 4, "411321-T03").expect("w"); // two empty cells in between
    ws.write(4, 1, "统计年度:").expect("w");
    ws.write(4, 2, "2024年").expect("w");
    ws.write(5, 1, "统计截止日期").expect("w");
    let dt = ExcelDateTime::from_ymd(2024, 12, 31).expect("d");
    ws.write_with_format(
        5,
        2,
        &dt,
        &Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\""),
    )
    .expect("w");
    let (sub, diags) = read_raw(wb.save_to_buffer().expect("save"));
    let c = sub.expect("sub").cover;
    assert_eq!(c.unit_code.as_deref(), Some("411321-T03"));
    assert_eq!(c.cells["单位代码"].1.a1(), "E4");
    assert_eq!(c.year, Some(2024));
    assert_eq!(c.cutoff_date.as_deref(), Some("2024-12-31"));
    assert!(!codes(&diags).contains(&"V05"), "{diags:#?}");
}

#[test]
fn full_width_codes_match() {
    let mut b = Book::new();
    b.rows[0].0 = " ｆｙ０２ ";
    let (sub, diags) = read(&b);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(sub.number("FY02"), Some(12.0));
}

// ---------------------------------------------------------------------------------------------
// Structure findings

fn file_finding(bytes: Vec<u8>, code: &str, text: &str) {
    let (sub, diags) = read_raw(bytes);
    assert!(sub.is_none());
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.code, code);
    assert!(d.message.contains(text), "{}", d.message);
    assert!(
        d.render_concise().starts_with(FILE),
        "{}",
        d.render_concise()
    );
}

#[test]
fn s01_word_document() {
    let b = zip_of(&[
        ("[Content_Types].xml", b"<x/>"),
        ("word/document.xml", b"<w/>"),
    ]);
    file_finding(b, "S01", "这是 Word 文档，不是 Excel 工作簿");
}

#[test]
fn s01_html_export() {
    file_finding(
        b"<html><body><table><tr><td>1</td></tr></table></body></html>".to_vec(),
        "S01",
        "这是网页(HTML)导出的文件，请用 Excel 另存为 .xlsx",
    );
}

#[test]
fn s01_csv_text() {
    file_finding(
        "代码,本年数\nFY02,12\n".as_bytes().to_vec(),
        "S01",
        "文本/CSV",
    );
}

#[test]
fn s01_empty_file() {
    file_finding(Vec::new(), "S01", "文件为空");
}

#[test]
fn s01_truncated_zip() {
    let mut b = Book::new().bytes();
    b.truncate(b.len() / 2);
    file_finding(b, "S01", "损坏或不完整");
}

#[test]
fn s01_plain_zip_and_xlsb() {
    file_finding(zip_of(&[("a.txt", b"x")]), "S01", "普通压缩包");
    file_finding(zip_of(&[("xl/workbook.bin", b"x")]), "S01", ".xlsb");
}

fn cfb_with(stream: &str) -> Vec<u8> {
    let mut b = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    b.resize(512, 0);
    b.extend(stream.encode_utf16().flat_map(|u| u.to_le_bytes()));
    b.resize(1024, 0);
    b
}

#[test]
fn s01_word_97_document() {
    file_finding(cfb_with("WordDocument"), "S01", "Word 文档(.doc)");
}

#[test]
fn s02_encrypted_ooxml() {
    file_finding(
        cfb_with("EncryptedPackage"),
        "S02",
        "文件设有打开密码，请去除密码后重新报送",
    );
}

#[test]
fn s01_corrupt_xls_body() {
    // Claims to hold a Workbook stream but is not a valid compound file.
    file_finding(cfb_with("Workbook"), "S01", "损坏");
}

#[test]
fn s03_cover_missing() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write(0, 0, "代码").expect("w");
    ws.write(0, 1, "本年数").expect("w");
    ws.write(1, 0, "FY02").expect("w");
    ws.write(1, 1, 3).expect("w");
    let (sub, diags) = read_raw(wb.save_to_buffer().expect("save"));
    assert_eq!(sub.expect("sub").number("FY02"), Some(3.0));
    let d = only(&diags, "S03");
    assert_eq!(d.severity, Severity::Error);
    assert!(d.message.contains("找不到封面"));
    // No 单位类型: S06 is skipped.
    assert_eq!(codes(&diags), ["S03"]);
}

#[test]
fn s03_cover_field_missing_or_empty() {
    let (_, diags) = read(&Book::new().cover_set("单位代码", In::Blank));
    let d = only(&diags, "S03");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.location.render(), format!("{FILE}!封面!B3"));
    assert!(d.message.contains("单位代码"));

    let mut b = Book::new();
    b.cover.retain(|f| f.0 != "填报人");
    let (_, diags) = read(&b);
    let d = only(&diags, "S03");
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.message.contains("封面缺少字段“填报人”"), "{}", d.message);
}

#[test]
fn s04_no_data_table() {
    let mut b = Book::new();
    b.current_label = "数量";
    let (sub, diags) = read(&b);
    assert!(sub.values.is_empty());
    let d = only(&diags, "S04");
    assert!(d.render_concise().starts_with(FILE));
    assert_eq!(codes(&diags), ["S04"]);
}

#[test]
fn s05_template_version_mismatch() {
    let (_, diags) = read(&Book::new().cover_set("模板版本", In::T("fazhi-2023.2")));
    let d = only(&diags, "S05");
    assert_eq!(d.location.render(), format!("{FILE}!封面!B11"));
    assert!(d.message.contains("fazhi-2023.2") && d.message.contains("fazhi-2024.1"));
}

#[test]
fn s06_missing_indicator_rows_for_the_unit_kind() {
    let mut b = Book::new();
    b.rows.retain(|r| r.0 != "GF01");
    let (_, diags) = read(&b);
    let d = only(&diags, "S06");
    assert_eq!(d.indicator.as_deref(), Some("GF01"));
    assert!(d.render_concise().contains(&format!("{FILE}!统计表")));
    // JC01 is a department indicator: not required from a township.
    assert!(!diags.iter().any(|d| d.indicator.as_deref() == Some("JC01")));

    // Unknown unit kind: the check is skipped.
    let (_, diags) = read(&b.clone().cover_set("单位类型", In::T("其他")));
    assert!(!codes(&diags).contains(&"S06"), "{diags:#?}");
}

#[test]
fn s07_duplicate_code_keeps_the_first() {
    let mut b = Book::new();
    b.rows.push(("FY02", In::N(99.0), None, ""));
    let (sub, diags) = read(&b);
    assert_eq!(sub.number("FY02"), Some(12.0));
    let d = only(&diags, "S07");
    assert_eq!(d.location.render(), format!("{FILE}!统计表!A9"));
    assert!(d.message.contains("统计表!D5"), "{}", d.message);
}

#[test]
fn s08_unknown_code() {
    let mut b = Book::new();
    b.rows.push(("ZZ99", In::N(1.0), None, ""));
    let (sub, diags) = read(&b);
    assert!(!sub.values.contains_key("ZZ99"));
    let d = only(&diags, "S08");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.location.render(), format!("{FILE}!统计表!A9"));
}

#[test]
fn s09_file_over_size_cap() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("big.xlsx");
    let bytes = Book::new().bytes();
    std::fs::write(&path, &bytes).expect("write");
    let limits = Limits {
        max_file_bytes: 1000,
        ..Limits::default()
    };
    let out = ingest::read_file_with_limits(&path, FILE, &schema(), &limits);
    assert!(out.submission.is_none());
    assert_eq!(codes(&out.diagnostics), ["S09"]);
    assert_eq!(out.size, bytes.len() as u64);
    // Not read past the cap, so not hashed (and never taken for a copy of another file).
    assert_eq!(out.sha256, "");
}

#[test]
fn declared_dimension_of_the_whole_sheet_is_not_a_limit() {
    // Writers declare A1:XFD1048576 for sheets of a few rows; the bounds apply to cells present.
    let b = patch(&Book::new().bytes(), "xl/worksheets/sheet2.xml", |x| {
        let start = x.find("<dimension ref=\"").expect("dimension") + 16;
        let end = start + x[start..].find('"').expect("end");
        format!("{}A1:XFD1048576{}", &x[..start], &x[end..])
    });
    let (sub, diags) = read_raw(b);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(sub.expect("read").number("FY02"), Some(12.0));
}

#[test]
fn empty_styled_cell_far_away_is_not_a_limit() {
    let b = patch(&Book::new().bytes(), "xl/worksheets/sheet2.xml", |x| {
        x.replace(
            "</sheetData>",
            "<row r=\"900000\"><c r=\"XFD900000\" s=\"1\"/></row></sheetData>",
        )
    });
    let (sub, diags) = read_raw(b);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(sub.expect("read").number("GF01"), Some(3.0));
}

#[test]
fn s09_far_away_cell() {
    let b = patch(&Book::new().bytes(), "xl/worksheets/sheet2.xml", |x| {
        x.replace("<dimension ref=\"A1:F8\"/>", "")
            .replace("r=\"D5\"", "r=\"D900000\"")
    });
    file_finding(b, "S09", "超过读取上限");
}

#[test]
fn s09_zip_bomb() {
    let zeros = vec![0u8; 4 * 1024 * 1024];
    let b = zip_of(&[("xl/workbook.xml", b"<workbook/>"), ("xl/big.xml", &zeros)]);
    file_finding(b, "S09", "压缩比");
}

#[test]
fn billion_laughs_is_refused_quickly() {
    let start = std::time::Instant::now();
    let b = patch(&Book::new().bytes(), "xl/worksheets/sheet2.xml", |x| {
        let dtd = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">]>";
        let x = x.replacen("?>", &format!("?>{dtd}"), 1);
        x.replace(
            "<c r=\"F7\"",
            "<c r=\"G7\" t=\"inlineStr\"><is><t>&lol9;</t></is></c><c r=\"F7\"",
        )
    });
    let (sub, diags) = read_raw(b);
    assert!(start.elapsed().as_secs() < 5);
    // Either refused as corrupt or read with the entity left unexpanded.
    match sub {
        None => assert_eq!(codes(&diags), ["S01"]),
        Some(s) => assert!(s.notes.values().all(|n| n.len() < 1000)),
    }
}

// ---------------------------------------------------------------------------------------------
// Value normalisation: one test per case

#[test]
fn number_int_and_float_alike() {
    value_case("FY02", In::N(7.0), Value::Number(7.0), None);
    value_case("ZF07", In::N(12.25), Value::Number(12.25), None);
}

#[test]
fn number_stored_as_text() {
    value_case("FY02", In::T(" 12 "), Value::Number(12.0), None);
}

#[test]
fn thousands_separator() {
    value_case(
        "ZF07",
        In::T("1,234,567.50"),
        Value::Number(1_234_567.5),
        None,
    );
}

#[test]
fn full_width_digits_give_n01() {
    let d = value_case("FY02", In::T("１２"), Value::Number(12.0), Some("N01"));
    assert_eq!(d.severity, Severity::Info);
    assert!(
        d.message.contains("已将全角数字转换为半角"),
        "{}",
        d.message
    );
}

#[test]
fn unit_suffix_gives_n01() {
    value_case("FY02", In::T("12件"), Value::Number(12.0), Some("N01"));
}

#[test]
fn blank_is_not_zero() {
    value_case("FY02", In::Blank, Value::Blank, None);
    value_case("FY02", In::T("   "), Value::Blank, None);
    value_case("FY02", In::N(0.0), Value::Number(0.0), None);
}

#[test]
fn not_applicable() {
    value_case("FY02", In::T("不适用"), Value::NotApplicable, None);
}

#[test]
fn approximate_values_give_v03() {
    for s in ["5000余", "约20", "逾610", "200多", "近30", "100以上"] {
        let (sub, diags) = read(&Book::new().set("FY02", In::T(s)));
        assert!(sub.values["FY02"].approximate, "{s}");
        let d = assert_cell_finding(&diags, "V03", "D5", "FY02");
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.message.contains("请填写准确数字"), "{}", d.message);
    }
}

#[test]
fn wan_multiplier_gives_v03() {
    let d = value_case("ZF07", In::T("3.5万"), Value::Number(35000.0), Some("V03"));
    assert!(d.message.contains("35000"), "{}", d.message);
}

#[test]
fn placeholders_give_v02() {
    for s in ["x", "xx", "XX", "×", "—", "－", "/", "＊"] {
        let (sub, diags) = read(&Book::new().set("FY02", In::T(s)));
        assert_eq!(sub.values["FY02"].value, Value::Blank, "{s}");
        let d = assert_cell_finding(&diags, "V02", "D5", "FY02");
        assert!(d.message.contains("填写了占位符"), "{}", d.message);
    }
}

#[test]
fn free_text_gives_v02() {
    value_case("FY02", In::T("见附件"), Value::Blank, Some("V02"));
}

#[test]
fn percentage_text_gives_v01() {
    let d = value_case("FY02", In::T("92%"), Value::Blank, Some("V01"));
    assert!(d.message.contains("百分比"), "{}", d.message);
}

#[test]
fn percentage_formatted_fraction_in_count_gives_v01() {
    value_case("FY02", In::N(0.92), Value::Blank, Some("V01"));
}

#[test]
fn negative_gives_v01() {
    let d = value_case("FY02", In::N(-3.0), Value::Blank, Some("V01"));
    assert_eq!(d.severity, Severity::Error);
}

#[test]
fn formula_noise_around_whole_numbers_is_no_finding() {
    // Issue #12: a formula's −2.8e−17 in a zero count was reported as a negative number.
    value_case("FY02", In::F("C5-C6", "-2.8E-17"), Value::Number(0.0), None);
    value_case("GF01", In::N(-2.8e-17), Value::Number(0.0), None);
    value_case(
        "FY02",
        In::F("C5/3*3", "2.9999999999999996"),
        Value::Number(3.0),
        None,
    );
    value_case("ZF07", In::N(-2.8e-17), Value::Number(0.0), None);
    let d = value_case("FY02", In::N(-1.0), Value::Blank, Some("V01"));
    assert!(d.message.contains("负数 -1"), "{}", d.message);
}

#[test]
fn implausible_values_give_n02_errors_at_their_cell() {
    for (code, input, words) in [
        (
            "FY02",
            In::N(13_812_345_678.0),
            "13812345678，是以 1 开头的 11 位数，像是手机号",
        ),
        (
            "FY02",
            In::T("411321199001011234"),
            "411321199001011234，是 18 位数，像是身份证号",
        ),
        (
            "FY02",
            In::N(411_321_199_001_011_234.0),
            "4.11321199001011E+17，是 18 位数",
        ),
        ("GF01", In::N(1e12), "1000000000000，超出合理范围"),
        (
            "ZF07",
            In::N(9.999_999_999_999_99e307),
            "9.99999999999999E+307，超出合理范围",
        ),
    ] {
        let d = value_case(code, input, Value::Blank, Some("N02"));
        assert_eq!(d.severity, Severity::Error);
        assert!(d.message.contains(words), "{}", d.message);
    }
    // Just under the bounds is a value like any other.
    value_case(
        "FY02",
        In::N(99_999_999.0),
        Value::Number(99_999_999.0),
        None,
    );
    value_case(
        "ZF07",
        In::N(999_999_999_999.0),
        Value::Number(999_999_999_999.0),
        None,
    );
}

#[test]
fn fractional_count_gives_v01() {
    value_case("FY02", In::N(2.5), Value::Blank, Some("V01"));
}

#[test]
fn amount_with_three_decimals_gives_v01() {
    value_case("ZF07", In::N(12.345), Value::Blank, Some("V01"));
}

#[test]
fn yes_no_forms() {
    for (s, v) in [("是", 1.0), ("否", 0.0), ("Y", 1.0), ("N", 0.0), ("√", 1.0)] {
        value_case("GW01", In::T(s), Value::Number(v), None);
    }
    value_case("GW01", In::B(true), Value::Number(1.0), None);
}

#[test]
fn number_in_yes_no_row_gives_v01() {
    value_case("GW01", In::N(1.0), Value::Blank, Some("V01"));
}

#[test]
fn formula_with_cached_value_is_read() {
    value_case("FY02", In::F("2+3", "5"), Value::Number(5.0), None);
}

#[test]
fn formula_with_empty_cached_value_gives_v01() {
    // As xlwt-style writers leave it: a string result that is empty. rust_xlsxwriter always
    // writes a result, so write a marker and blank it.
    let b = patch(
        &Book::new()
            .set("FY02", In::F("SUM(E5:E6)", "NORESULT"))
            .bytes(),
        "xl/worksheets/sheet2.xml",
        |x| x.replace("<v>NORESULT</v>", "<v></v>"),
    );
    let (sub, diags) = read_raw(b);
    assert_eq!(sub.expect("sub").values["FY02"].value, Value::Blank);
    let d = assert_cell_finding(&diags, "V01", "D5", "FY02");
    assert!(
        d.message
            .contains("没有计算结果，请在 Excel 中重新计算后保存"),
        "{}",
        d.message
    );
}

#[test]
fn formula_without_value_element_gives_v01() {
    // As openpyxl writes it: <f> and no <v> at all.
    let b = patch(
        &Book::new().set("FY02", In::F("SUM(E5:E6)", "7")).bytes(),
        "xl/worksheets/sheet2.xml",
        |x| x.replace("<v>7</v>", ""),
    );
    let (sub, diags) = read_raw(b);
    assert_eq!(sub.expect("sub").values["FY02"].value, Value::Blank);
    assert_cell_finding(&diags, "V01", "D5", "FY02");
}

#[test]
fn excel_error_value_gives_v01() {
    let d = value_case("FY02", In::F("1/0", "#DIV/0!"), Value::Blank, Some("V01"));
    assert!(d.message.contains("#DIV/0!"), "{}", d.message);
}

#[test]
fn nan_and_infinity_give_v01() {
    for bad in ["NaN", "inf"] {
        let b = patch(&Book::new().bytes(), "xl/worksheets/sheet2.xml", |x| {
            x.replace("<v>12</v>", &format!("<v>{bad}</v>"))
        });
        let (sub, diags) = read_raw(b);
        let sub = sub.expect("sub");
        assert_eq!(sub.values["FY02"].value, Value::Blank, "{bad}");
        assert_cell_finding(&diags, "V01", "D5", "FY02");
    }
}

#[test]
fn guide_sheet_listing_codes_is_not_data() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("填报说明").expect("name");
    ws.write(0, 0, "代码").expect("w");
    ws.write(0, 1, "本年数").expect("w");
    ws.write(1, 0, "FY02").expect("w");
    let (sub, diags) = read_raw(wb.save_to_buffer().expect("save"));
    assert!(sub.expect("sub").values.is_empty());
    assert!(codes(&diags).contains(&"S04"));
}

#[test]
fn date_in_number_cell_gives_v01() {
    value_case("FY02", In::D(2024, 3, 1), Value::Blank, Some("V01"));
}

#[test]
fn boolean_in_count_cell_gives_v01() {
    value_case("FY02", In::B(true), Value::Blank, Some("V01"));
}

#[test]
fn v05_cutoff_date_not_year_end() {
    let (_, diags) = read(&Book::new().cover_set("统计截止日期", In::T("2024年11月30日")));
    let d = only(&diags, "V05");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.location.render(), format!("{FILE}!封面!B7"));
    assert!(d.message.contains("2024-11-30") && d.message.contains("2024-12-31"));
    for ok in [
        In::T("2024.12.31"),
        In::D(2024, 12, 31),
        In::T("2024年12月31日"),
    ] {
        let (_, diags) = read(&Book::new().cover_set("统计截止日期", ok));
        assert!(diags.is_empty(), "{diags:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Number formats (N03), invisible characters in codes, near-miss codes, hidden duplicate rows

#[test]
fn n03_percent_format_on_a_count_cell() {
    // Excel shows 100%; the cell holds 1 and 1 is read, with a warning at the cell.
    let (sub, diags) = read(&Book::new().set("FY02", In::NF(1.0, "0%")));
    assert_eq!(sub.number("FY02"), Some(1.0));
    let d = assert_cell_finding(&diags, "N03", "D5", "FY02");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    for part in ["百分比", "“100%”", "读取的数值为 1", "常规", "数值"] {
        assert!(d.message.contains(part), "{part}: {}", d.message);
    }
}

#[test]
fn n03_every_misleading_format_and_none_for_plain_ones() {
    // (format, cell, code expected, text the message must hold)
    let cases: [(In, Option<&str>, &str); 12] = [
        (In::NF(1.0, "0.00%"), Some("N03"), "“100.00%”"), // built-in id 10
        (In::NF(3.0, "0.0%"), Some("N03"), "“300.0%”"),   // custom code
        (In::NF(12.0, "yyyy-mm-dd"), Some("N03"), "“1900-01-12”"),
        (
            In::NF(12.0, "yyyy\"年\"m\"月\"d\"日\""),
            Some("N03"),
            "实际填写的数字为 12",
        ),
        (In::TF("12", "@"), Some("N03"), "按文字保存"),
        (In::NF(12.0, "@"), Some("N03"), "会按文字保存"),
        (In::NF(12.0, "0"), None, ""),
        (In::NF(12.0, "#,##0"), None, ""),
        (In::NF(12.0, "0\"件\""), None, ""),
        (In::NF(12.0, "General"), None, ""),
        (In::NF(12.0, "0;-0;;@"), None, ""),
        // "不适用" in a text cell is what the unit meant; no warning.
        (In::TF("不适用", "@"), None, ""),
    ];
    for (input, want, text) in cases {
        let (_, diags) = read(&Book::new().set("FY02", input.clone()));
        let n03: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == "N03").collect();
        match want {
            Some(_) => {
                let d = assert_cell_finding(&diags, "N03", "D5", "FY02");
                assert!(d.message.contains(text), "{input:?}: {}", d.message);
            }
            None => assert!(n03.is_empty(), "{input:?}: {diags:#?}"),
        }
    }
    // A date-formatted count is still not read as a number (V01), and N03 says why.
    let (sub, diags) = read(&Book::new().set("FY02", In::NF(12.0, "yyyy-mm-dd")));
    assert_eq!(sub.values["FY02"].value, Value::Blank);
    assert_eq!(codes(&diags), ["N03", "V01"]);
    // An amount in a percent cell too; a 是/否 row's text format is not checked.
    let (_, diags) = read(&Book::new().set("ZF07", In::NF(0.5, "0%")));
    assert!(assert_cell_finding(&diags, "N03", "D7", "ZF07")
        .message
        .contains("“50%”"));
    let (sub, diags) = read(&Book::new().set("GW01", In::TF("是", "@")));
    assert_eq!(sub.number("GW01"), Some(1.0));
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn n03_not_checked_in_the_cover_or_other_columns() {
    let mut b = Book::new().cover_set("统计年度", In::TF("2024", "@"));
    b.rows[0].2 = Some(In::NF(1.0, "0%")); // 上年数
    let (_, diags) = read(&b);
    assert!(diags.is_empty(), "{diags:#?}");
}

#[test]
fn invisible_characters_in_codes_and_labels_are_ignored() {
    let mut b = Book::new();
    b.rows[0].0 = "FY02\u{200B}";
    b.rows[1].0 = "\u{FEFF}GF01";
    b.rows[2].0 = "ZF\u{2060}07\u{00A0}";
    b.rows[3].0 = "\u{3000}GW01\u{200C}\u{200D}";
    b.current_label = "本年数\u{200B}";
    b.cover[0].0 = "单位代码\u{FEFF}";
    let (sub, diags) = read(&b);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(sub.number("FY02"), Some(12.0));
    assert_eq!(sub.number("GF01"), Some(3.0));
    assert_eq!(sub.number("ZF07"), Some(1500.5));
    assert_eq!(sub.number("GW01"), Some(1.0));
    assert_eq!(sub.cover.unit_code.as_deref(), Some("411321-T03"));
    // A unit code pasted with a zero-width space is read without it.
    let (sub, _) = read(&Book::new().cover_set("单位代码", In::T("411321-T03\u{200B}")));
    assert_eq!(sub.cover.unit_code.as_deref(), Some("411321-T03"));
}

#[test]
fn near_miss_code_is_named_at_its_cell_and_places_the_missing_row() {
    let mut b = Book::new();
    b.rows[1].0 = "GFO1"; // letter O for digit 0, row 6
    let (sub, diags) = read(&b);
    assert!(!sub.values.contains_key("GF01"));
    let s08 = only(&diags, "S08");
    assert_eq!(s08.location.render(), format!("{FILE}!统计表!A6"));
    assert_eq!(
        s08.message,
        "代码“GFO1”不在指标体系中，是否应为 GF01（制定印发行政规范性文件件数）？该行未读取，请改正代码"
    );
    let s06 = only(&diags, "S06");
    assert_eq!(s06.location.render(), format!("{FILE}!统计表!A6"));
    assert!(
        s06.message.contains("“GFO1”可能是其误写"),
        "{}",
        s06.message
    );

    // One edit away (a digit dropped), and lower case with a full-width letter.
    for typo in ["GF1", "gｆo1"] {
        let mut b = Book::new();
        b.rows[1].0 = typo;
        let (_, diags) = read(&b);
        assert!(
            only(&diags, "S08").message.contains("是否应为 GF01"),
            "{typo}"
        );
        assert_eq!(
            only(&diags, "S06").location.render(),
            format!("{FILE}!统计表!A6")
        );
    }
    // A code close to one already read is not offered: that row is just unknown.
    let mut b = Book::new();
    b.rows.push(("FY03", In::N(1.0), None, ""));
    let (_, diags) = read(&b);
    assert_eq!(
        only(&diags, "S08").message,
        "代码“FY03”不在指标体系中，该行未读取"
    );
}

#[test]
fn s06_without_a_near_code_says_where_the_row_belongs() {
    let mut b = Book::new();
    b.rows.retain(|r| r.0 != "GF01");
    let (_, diags) = read(&b);
    let d = only(&diags, "S06");
    assert_eq!(d.location.render(), format!("{FILE}!统计表"));
    assert!(
        d.message
            .ends_with("按模板应位于 FY02 所在第 5 行（统计表!D5）之后"),
        "{}",
        d.message
    );
}

#[test]
fn s07_hidden_first_row_gives_way_to_the_visible_one() {
    let mut b = Book::new();
    b.rows.insert(0, ("FY02", In::N(99.0), None, "旧数"));
    b.hidden = vec![0];
    let (sub, diags) = read(&b);
    // Rows: hidden FY02 at 5, visible FY02 at 6.
    assert_eq!(sub.number("FY02"), Some(12.0));
    assert_eq!(sub.values["FY02"].pos.a1(), "D6");
    assert!(!sub.notes.contains_key("FY02"));
    let d = only(&diags, "S07");
    assert_eq!(d.location.render(), format!("{FILE}!统计表!A5"));
    assert_eq!(
        d.message,
        format!("代码 FY02 重复出现，本行是隐藏行，已改用后面可见的 {FILE}!统计表!D6 所在行；请删除隐藏的重复行")
    );
    assert_eq!(codes(&diags), ["S07"]);
}

#[test]
fn s07_hidden_second_row_is_named() {
    let mut b = Book::new();
    b.rows.push(("FY02", In::N(99.0), None, ""));
    b.hidden = vec![4];
    let (sub, diags) = read(&b);
    assert_eq!(sub.number("FY02"), Some(12.0));
    let d = only(&diags, "S07");
    assert_eq!(d.location.render(), format!("{FILE}!统计表!A9"));
    assert!(
        d.message.contains("本行是隐藏行，已采用第一次出现的可见行"),
        "{}",
        d.message
    );
    assert!(d.message.contains("统计表!D5"), "{}", d.message);
}

/// The offsets of every BIFF record of `typ` with `len` data bytes in an xls file (the records
/// of the small fixtures do not straddle sectors).
fn biff_records(bytes: &[u8], typ: u16, len: u16) -> Vec<usize> {
    let mut head = typ.to_le_bytes().to_vec();
    head.extend(len.to_le_bytes());
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == head.as_slice())
        .map(|(i, _)| i + 4)
        .collect()
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    std::fs::read(path).expect("fixture")
}

#[test]
fn xls_declaring_a_huge_grid_reads_in_bounded_memory() {
    // calamine reserves rows × cols cells from DIMENSIONS: 4 billion rows × 256 columns would
    // abort the process on allocation, and a first row past the last wraps around. Both read
    // like the file they came from.
    for (first, last) in [(0u32, u32::MAX), (70_000, 5)] {
        let mut bytes = fixture_bytes("submission.xls");
        let dims = biff_records(&bytes, 0x0200, 14);
        assert!(dims.len() >= 2, "the fixture has a DIMENSIONS per sheet");
        for at in dims {
            bytes[at..at + 4].copy_from_slice(&first.to_le_bytes());
            bytes[at + 4..at + 8].copy_from_slice(&last.to_le_bytes());
            bytes[at + 10..at + 12].copy_from_slice(&256u16.to_le_bytes());
        }
        let (sub, diags) = read_raw(bytes);
        assert!(diags.is_empty(), "{diags:#?}");
        let sub = sub.expect("read");
        assert_eq!(sub.number("FY02"), Some(12.0));
        assert_eq!(sub.values["FY02"].pos.a1(), "D5");
    }
}

#[test]
fn xls_cells_spread_over_a_huge_area_are_refused() {
    // One string cell moved to IV65536: calamine would build a dense 65536 × 256 grid.
    let mut bytes = fixture_bytes("submission.xls");
    let at = *biff_records(&bytes, 0x00FD, 10)
        .last()
        .expect("a LABELSST record");
    bytes[at..at + 2].copy_from_slice(&65_535u16.to_le_bytes());
    bytes[at + 2..at + 4].copy_from_slice(&255u16.to_le_bytes());
    let (sub, diags) = read_raw(bytes);
    assert!(sub.is_none());
    assert_eq!(codes(&diags), ["S09"]);
    assert!(
        diags[0].message.contains("65536 行 × 256 列") || diags[0].message.contains("65536 行 ×"),
        "{}",
        diags[0].message
    );
}

#[test]
fn xls_cell_past_the_row_limit_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("s.xls");
    std::fs::write(&path, fixture_bytes("submission.xls")).expect("write");
    let limits = Limits {
        max_rows: 6,
        ..Limits::default()
    };
    let out = ingest::read_file_with_limits(&path, FILE, &schema(), &limits);
    assert!(out.submission.is_none());
    assert_eq!(codes(&out.diagnostics), ["S09"]);
    assert!(out.diagnostics[0]
        .message
        .contains("有内容的单元格位于第 7 行"));
}

// ---------------------------------------------------------------------------------------------
// Files and folders

#[test]
fn read_file_hashes_and_sizes() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a.xlsx");
    let bytes = Book::new().bytes();
    std::fs::write(&path, &bytes).expect("write");
    let out = ingest::read_file(&path, "a.xlsx", &schema());
    assert_eq!(out.size, bytes.len() as u64);
    use sha2::Digest;
    let want: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(out.sha256, want);
    assert_eq!(out.display, "a.xlsx");
    assert!(out.submission.is_some());

    // The reader goes by content: an xlsx named .xls still reads.
    let renamed = dir.path().join("b.xls");
    std::fs::write(&renamed, &bytes).expect("write");
    assert!(ingest::read_file(&renamed, "b.xls", &schema())
        .submission
        .is_some());
}

#[test]
fn collect_walks_folders_and_keeps_non_workbooks() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("sample-data");
    std::fs::create_dir_all(root.join("2024/乡镇")).expect("mkdir");
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    for f in [
        "2024/T01_x.xlsx",
        "2024/乡镇/T02_y.XLS",
        "2024/~$T01_x.xlsx",
        "2024/.hidden.xlsx",
        "2024/说明.docx",
        "2024/Thumbs.db",
        ".git/config",
        "a.ods",
    ] {
        std::fs::write(root.join(f), b"x").expect("write");
    }
    let single = dir.path().join("single.xlsx");
    std::fs::write(&single, b"x").expect("write");
    let typed = format!("{}/", root.display());
    let got = ingest::collect_inputs(&[std::path::PathBuf::from(&typed), single.clone()])
        .expect("collect")
        .files;
    let shown: Vec<String> = got.iter().map(|(_, d)| d.clone()).collect();
    let base = root.display().to_string();
    let mut want = vec![
        format!("{base}/2024/T01_x.xlsx"),
        format!("{base}/2024/乡镇/T02_y.XLS"),
        format!("{base}/2024/说明.docx"),
        format!("{base}/a.ods"),
        single.display().to_string(),
    ];
    want.sort();
    assert_eq!(shown, want);
    assert!(got.iter().all(|(p, _)| p.exists()));
}

/// Reads `path` on another thread and fails the test (instead of hanging it) when the read does
/// not come back within a few seconds.
fn read_within_seconds(path: &std::path::Path, display: &str) -> ingest::FileOutcome {
    let (tx, rx) = std::sync::mpsc::channel();
    let (p, d) = (path.to_path_buf(), display.to_string());
    std::thread::spawn(move || {
        let _ = tx.send(ingest::read_file(&p, &d, &schema()));
    });
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("reading {display} did not return"))
}

/// The single finding of an entry that is not a file: S12 on the entry, naming the reason.
fn assert_s12(out: &ingest::FileOutcome, display: &str, reason: &str) {
    assert!(out.submission.is_none());
    assert_eq!(codes(&out.diagnostics), ["S12"], "{:#?}", out.diagnostics);
    let d = &out.diagnostics[0];
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.location.render(), display);
    assert!(d.message.contains(reason), "{}", d.message);
}

#[cfg(unix)]
#[test]
fn collect_survives_link_loops_and_lists_bad_entries() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("收表");
    std::fs::create_dir_all(root.join("乡镇")).expect("mkdir");
    std::fs::write(root.join("乡镇/T01.xlsx"), Book::new().bytes()).expect("write");
    // Links to itself, to its parent and to the root, in several places: the walk used to
    // grow exponentially here.
    for (link, target) in [
        ("乡镇/again", "."),
        ("乡镇/up", ".."),
        ("乡镇/root", "../.."),
        ("loop1", "."),
        ("loop2", "."),
        ("self", "self"),
        ("gone.xlsx", "nowhere.xlsx"),
        ("zero.xlsx", "/dev/zero"),
    ] {
        symlink(target, root.join(link)).expect("symlink");
    }
    let start = std::time::Instant::now();
    let got = ingest::collect_inputs(std::slice::from_ref(&root)).expect("collect");
    assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    let shown: Vec<&str> = got.files.iter().map(|(_, d)| d.as_str()).collect();
    let base = root.display().to_string();
    let want: Vec<String> = ["gone.xlsx", "self", "zero.xlsx", "乡镇/T01.xlsx"]
        .iter()
        .map(|f| format!("{base}/{f}"))
        .collect();
    assert_eq!(shown, want);

    // Each bad entry is a finding for that entry; the workbook still reads.
    let outcomes: Vec<ingest::FileOutcome> = got
        .files
        .iter()
        .map(|(p, d)| read_within_seconds(p, d))
        .collect();
    assert_s12(&outcomes[0], &want[0], "指向的 nowhere.xlsx 不存在");
    assert_s12(&outcomes[1], &want[1], "循环链接");
    assert_s12(&outcomes[2], &want[2], "设备文件");
    assert_eq!(outcomes[2].size, 0, "nothing read from /dev/zero");
    assert!(outcomes[3].submission.is_some(), "{:#?}", outcomes[3]);
}

#[cfg(unix)]
#[test]
fn a_fifo_named_xlsx_is_a_finding_and_does_not_block() {
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = dir.path().join("x.xlsx");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let got = ingest::collect_inputs(&[dir.path().to_path_buf()]).expect("collect");
    assert_eq!(got.files.len(), 1);
    let out = read_within_seconds(&got.files[0].0, "收表/x.xlsx");
    assert_s12(&out, "收表/x.xlsx", "命名管道");
    // Named directly on the command line too.
    let out = read_within_seconds(&fifo, "x.xlsx");
    assert_s12(&out, "x.xlsx", "命名管道");
}

#[test]
fn the_same_file_given_twice_is_one_input() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("收表");
    std::fs::create_dir_all(&root).expect("mkdir");
    std::fs::write(root.join("x.xlsx"), b"x").expect("write");
    std::fs::write(root.join("y.xlsx"), b"x").expect("write");
    let dotted = root.join(".").join("x.xlsx");
    let plain = root.join("x.xlsx");
    let got =
        ingest::collect_inputs(&[dotted.clone(), plain.clone(), root.clone()]).expect("collect");
    let shown: Vec<&str> = got.files.iter().map(|(_, d)| d.as_str()).collect();
    // The first in sorted order stands for the file; the byte-identical y.xlsx is another
    // file and stays (the batch check folds it, S13).
    let base = root.display().to_string();
    assert_eq!(
        shown,
        [format!("{base}/./x.xlsx"), format!("{base}/y.xlsx")]
    );
}

#[test]
fn collect_skips_the_tools_output_folders() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("收表");
    std::fs::create_dir_all(root.join("汇总/退回")).expect("mkdir");
    std::fs::write(root.join("T01.xlsx"), b"x").expect("write");
    std::fs::write(root.join("汇总/汇总_2024.xlsx"), b"x").expect("write");
    std::fs::write(root.join("汇总/退回/退回_T02.xlsx"), b"x").expect("write");
    std::fs::write(root.join("汇总/.huizong-output"), b"huizong-output 1\n").expect("write");
    let got = ingest::collect_inputs(std::slice::from_ref(&root)).expect("collect");
    let base = root.display().to_string();
    let shown: Vec<&str> = got.files.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(shown, [format!("{base}/T01.xlsx")]);
    assert_eq!(got.skipped_outputs, [format!("{base}/汇总")]);
    // Given by name, it is skipped as well.
    let got = ingest::collect_inputs(&[root.join("汇总")]).expect("collect");
    assert!(got.files.is_empty());
    assert_eq!(got.skipped_outputs.len(), 1);
}

#[test]
fn collect_missing_path_is_a_read_error() {
    let err = ingest::collect_inputs(&["/nonexistent/huizong".into()]).expect_err("missing");
    assert!(matches!(err, huizong::Error::Read { .. }));
}

// ---------------------------------------------------------------------------------------------
// Real files written by LibreOffice (see tests/fixtures/real/README.md)

fn fixture(name: &str) -> (Submission, Vec<Diagnostic>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    let out = ingest::read_file(&path, name, &schema());
    (out.submission.expect(name), out.diagnostics)
}

fn assert_fixture_values(name: &str) {
    let (sub, diags) = fixture(name);
    assert!(diags.is_empty(), "{name}: {diags:#?}");
    assert_eq!(sub.number("FY02"), Some(12.0), "{name}");
    assert_eq!(sub.number("GF01"), Some(3.0), "{name}");
    assert_eq!(sub.number("ZF07"), Some(1500.5), "{name}");
    assert_eq!(sub.number("GW01"), Some(1.0), "{name}");
    assert_eq!(sub.values["FY02"].pos.a1(), "D5", "{name}");
    assert_eq!(sub.values["FY02"].prior_shown, Some(4.0), "{name}");
    assert_eq!(sub.notes["ZF07"], "专项整治罚没款增加", "{name}");
    assert_eq!(sub.cover.unit_code.as_deref(), Some("411321-T03"), "{name}");
    assert_eq!(sub.cover.year, Some(2024), "{name}");
}

#[test]
fn libreoffice_xls_reads_back() {
    assert_fixture_values("submission.xls");
}

#[test]
fn libreoffice_ods_reads_back() {
    assert_fixture_values("submission.ods");
}

#[test]
fn libreoffice_xlsx_reads_back() {
    assert_fixture_values("submission-lo.xlsx");
}

#[test]
fn libreoffice_xls_with_approximate_text_and_formula() {
    let (sub, diags) = fixture("messy.xls");
    assert_eq!(sub.number("FY02"), Some(5000.0));
    assert!(sub.values["FY02"].approximate);
    assert_eq!(
        sub.number("GF01"),
        Some(7.0),
        "formula 3+4 with LibreOffice's cached value"
    );
    assert_eq!(
        only(&diags, "V03").location.cell.map(|p| p.a1()).as_deref(),
        Some("D5")
    );
    assert_eq!(
        only(&diags, "V02").location.cell.map(|p| p.a1()).as_deref(),
        Some("D7")
    );
}

/// Regenerates the LibreOffice sources: `cargo test --test ingest make_fixture_sources -- --ignored`,
/// then convert as the README says.
#[test]
#[ignore]
fn make_fixture_sources() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real");
    std::fs::write(dir.join("source.xlsx"), Book::new().bytes()).expect("write");
    let messy = Book::new()
        .set("FY02", In::T("5000余"))
        .set("GF01", In::F("3+4", "7"))
        .set("ZF07", In::T("xx"));
    std::fs::write(dir.join("messy-source.xlsx"), messy.bytes()).expect("write");
}

// ---------------------------------------------------------------------------------------------
// Never panics

/// A caught panic becomes X01 (our bug); these inputs must never reach one. Before X01 a panic
/// came back as an ordinary S01 and these properties could not fail.
fn assert_no_internal_error(sub: &Option<Submission>, diags: &[Diagnostic]) {
    assert!(
        !diags.iter().any(|d| d.code == "X01"),
        "a panic inside the reader: {diags:#?}"
    );
    assert!(sub.is_some() || !diags.is_empty());
    assert!(diags
        .iter()
        .all(|d| d.location.file == FILE && !d.message.is_empty()));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let (sub, diags) = read_raw(bytes);
            assert_no_internal_error(&sub, &diags);
        }

        #[test]
        fn mutated_xlsx_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16)) {
            let mut bytes = Book::new().bytes();
            let len = bytes.len();
            for (i, b) in edits {
                bytes[i % len] = b;
            }
            let (sub, diags) = read_raw(bytes);
            assert_no_internal_error(&sub, &diags);
        }

        #[test]
        fn mutated_sheet_xml_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            // Mutate the XML itself (inside the zip), so the damage reaches calamine's parser.
            let bytes = patch(&Book::new().bytes(), "xl/worksheets/sheet2.xml", |x| {
                let mut b = x.into_bytes();
                let len = b.len();
                for (i, v) in &edits {
                    b[i % len] = *v & 0x7f;
                }
                String::from_utf8(b).unwrap_or_default()
            });
            let (sub, diags) = read_raw(bytes);
            assert_no_internal_error(&sub, &diags);
        }
    }
}
