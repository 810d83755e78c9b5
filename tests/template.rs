//! The template workbook: layout read back with calamine, protection, determinism, LibreOffice,
//! and the prior-year prefill of `huizong template`.

mod common;
use common::build;

use calamine::{Data, Range, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use huizong::aggregate::Record;
use huizong::commands::template::prior_values;
use huizong::registry::{Unit, UnitKind};
use huizong::report::template::{build, file_name, CellInput, TemplateFill};
use huizong::schema::{Aggregation, Indicator, Schema, Section, ValueType};
use huizong::sheets::{
    CoverField, DataColumn, COVER_SHEET, COVER_VALUE_COL, DATA_FIRST_ROW, DATA_HEADER_ROW,
    DATA_SHEET, GUIDE_SHEET,
};

use UnitKind::{CountyOffice as C, Department as D, Township as T};

fn ind(
    code: &str,
    name: &str,
    unit: &str,
    t: ValueType,
    section: &str,
    reporters: &[UnitKind],
    parent: Option<&str>,
) -> Indicator {
    Indicator {
        code: code.into(),
        name: name.into(),
        unit: unit.into(),
        value_type: t,
        section: section.into(),
        reporters: reporters.to_vec(),
        aggregation: Aggregation::Sum,
        parent: parent.map(String::from),
        hint: Some(format!("{name}的填报口径")),
        max: None,
    }
}

/// A small schema: 3 sections; the county-office-only section must not appear for others.
fn schema() -> Schema {
    use ValueType::*;
    Schema {
        id: "test".into(),
        title: "法治政府建设年度统计".into(),
        edition: "2024".into(),
        template_version: "test-1".into(),
        sections: vec![
            Section {
                code: "ZL".into(),
                name: "一、组织领导与学法".into(),
            },
            Section {
                code: "ZF".into(),
                name: "二、行政执法".into(),
            },
            Section {
                code: "FY".into(),
                name: "三、行政复议".into(),
            },
        ],
        indicators: vec![
            ind(
                "ZL01",
                "政府常务会议学法次数",
                "次",
                Count,
                "ZL",
                &[T, D, C],
                None,
            ),
            ind(
                "ZL02",
                "是否制定年度普法计划",
                "",
                YesNo,
                "ZL",
                &[T, D],
                None,
            ),
            ind("ZF06", "行政处罚案件数", "件", Count, "ZF", &[D], None),
            ind(
                "ZF06A",
                "市场监管领域",
                "件",
                Count,
                "ZF",
                &[D],
                Some("ZF06"),
            ),
            ind("ZF07", "罚没款金额", "元", Amount, "ZF", &[D, T], None),
            ind("FY02", "收到行政复议申请", "件", Count, "FY", &[C], None),
        ],
        rates: vec![],
        ..build::schema(vec![], vec![])
    }
}

fn unit(code: &str, name: &str, kind: UnitKind) -> Unit {
    Unit {
        code: code.into(),
        name: name.into(),
        kind,
        parent: Some("411321".into()),
        active_from: 2019,
        active_to: None,
        predecessors: vec![],
        villages: 12,
    }
}

fn township() -> Unit {
    unit("411321-T01", "城关镇", T)
}

fn department() -> Unit {
    unit("411321-D05", "县市场监督管理局", D)
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes.to_vec())).unwrap()
}

fn sheet(bytes: &[u8], name: &str) -> Range<Data> {
    open(bytes).worksheet_range(name).unwrap()
}

fn at(r: &Range<Data>, row: u32, col: u16) -> Data {
    r.get_value((row, u32::from(col)))
        .cloned()
        .unwrap_or(Data::Empty)
}

fn s(x: &str) -> Data {
    Data::String(x.into())
}

/// (code, name) of every row from the first data row on.
fn table(r: &Range<Data>) -> Vec<(Data, Data)> {
    let last = r.end().map_or(0, |e| e.0);
    (DATA_FIRST_ROW..=last)
        .map(|row| {
            (
                at(r, row, DataColumn::Code.template_col()),
                at(r, row, DataColumn::Name.template_col()),
            )
        })
        .collect()
}

fn codes(r: &Range<Data>) -> Vec<String> {
    table(r)
        .into_iter()
        .filter_map(|(c, _)| match c {
            Data::String(s) if !s.is_empty() => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn sheet_names_in_order() {
    let bytes = build(&schema(), &township(), 2024, &TemplateFill::default()).unwrap();
    assert_eq!(
        open(&bytes).sheet_names(),
        vec![COVER_SHEET, DATA_SHEET, GUIDE_SHEET]
    );
}

#[test]
fn cover_values() {
    let fill = TemplateFill {
        filler: Some("张三".into()),
        phone: Some("0377-1234567".into()),
        ..TemplateFill::default()
    };
    let bytes = build(&schema(), &department(), 2024, &fill).unwrap();
    let r = sheet(&bytes, COVER_SHEET);
    assert_eq!(at(&r, 0, 0), s("法治政府建设年度统计（2024年度）"));
    for f in CoverField::ALL {
        assert_eq!(at(&r, f.template_row(), 0), s(f.label()), "{f:?}");
    }
    let v = |f: CoverField| at(&r, f.template_row(), COVER_VALUE_COL);
    assert_eq!(v(CoverField::UnitCode), s("411321-D05"));
    assert_eq!(v(CoverField::UnitName), s("县市场监督管理局"));
    assert_eq!(v(CoverField::UnitKind), s("县直部门"));
    assert_eq!(v(CoverField::Year), Data::Float(2024.0));
    assert_eq!(v(CoverField::CutoffDate), s("2024-12-31"));
    assert_eq!(v(CoverField::Filler), s("张三"));
    assert_eq!(v(CoverField::Phone), s("0377-1234567"));
    assert_eq!(v(CoverField::Head), Data::Empty);
    assert_eq!(v(CoverField::TemplateVersion), s("test-1"));
}

#[test]
fn cover_overrides_for_planted_defects() {
    let fill = TemplateFill {
        cover_code: Some("411321-T99".into()),
        cutoff_date: Some("2024-11-30".into()),
        ..TemplateFill::default()
    };
    let bytes = build(&schema(), &township(), 2024, &fill).unwrap();
    let r = sheet(&bytes, COVER_SHEET);
    let v = |f: CoverField| at(&r, f.template_row(), COVER_VALUE_COL);
    assert_eq!(v(CoverField::UnitCode), s("411321-T99"));
    assert_eq!(v(CoverField::CutoffDate), s("2024-11-30"));
}

#[test]
fn data_sheet_for_a_township() {
    let bytes = build(&schema(), &township(), 2024, &TemplateFill::default()).unwrap();
    let r = sheet(&bytes, DATA_SHEET);
    assert_eq!(at(&r, 0, 0), s("法治政府建设年度统计（2024年度）"));
    match at(&r, 1, 0) {
        Data::String(line) => assert!(line.contains("城关镇") && line.contains("411321-T01")),
        other => panic!("{other:?}"),
    }
    for c in DataColumn::ALL {
        assert_eq!(at(&r, DATA_HEADER_ROW, c.template_col()), s(c.label()));
    }
    assert_eq!(
        table(&r),
        vec![
            (Data::Empty, s("一、组织领导与学法")),
            (s("ZL01"), s("政府常务会议学法次数")),
            (s("ZL02"), s("是否制定年度普法计划")),
            (Data::Empty, s("二、行政执法")),
            (s("ZF07"), s("罚没款金额")),
        ]
    );
    // blank template: 本年数 and 上年数 empty
    let cur = DataColumn::Current.template_col();
    assert_eq!(at(&r, DATA_FIRST_ROW + 1, cur), Data::Empty);
}

#[test]
fn data_sheet_for_a_department() {
    let bytes = build(&schema(), &department(), 2024, &TemplateFill::default()).unwrap();
    let r = sheet(&bytes, DATA_SHEET);
    assert_eq!(codes(&r), vec!["ZL01", "ZL02", "ZF06", "ZF06A", "ZF07"]);
    let rows = table(&r);
    assert_eq!(rows.len(), 7, "2 section rows + 5 indicators");
    assert_eq!(rows[5], (s("ZF06A"), s("  其中：市场监管领域")));
    // the county-office section never shows for a department
    assert!(!rows.iter().any(|(_, n)| *n == s("三、行政复议")));
    let c = sheet(
        &build(
            &schema(),
            &unit("411321-C01", "依法治县办", C),
            2024,
            &TemplateFill::default(),
        )
        .unwrap(),
        DATA_SHEET,
    );
    assert_eq!(codes(&c), vec!["ZL01", "FY02"]);
}

#[test]
fn prior_prefilled_and_current_kept_as_typed() {
    let mut fill = TemplateFill::default();
    fill.prior.insert("ZL01".into(), 4.0);
    fill.prior.insert("ZL02".into(), 1.0);
    fill.prior.insert("ZF07".into(), 12500.5);
    fill.current
        .insert("ZL01".into(), CellInput::Text("5000余".into()));
    fill.current
        .insert("ZL02".into(), CellInput::Text("是".into()));
    fill.current
        .insert("ZF06".into(), CellInput::Text("１２".into()));
    fill.current.insert("ZF06A".into(), CellInput::Number(7.0));
    fill.current
        .insert("ZF07".into(), CellInput::Text("xx".into()));
    fill.notes
        .insert("ZF06".into(), "专项整治行动查处案件增多".into());
    let bytes = build(&schema(), &department(), 2024, &fill).unwrap();
    let r = sheet(&bytes, DATA_SHEET);
    let rows: BTreeMap<String, u32> = table(&r)
        .iter()
        .zip(DATA_FIRST_ROW..)
        .filter_map(|((c, _), row)| match c {
            Data::String(code) => Some((code.clone(), row)),
            _ => None,
        })
        .collect();
    let get = |code: &str, c: DataColumn| at(&r, rows[code], c.template_col());
    use DataColumn::{Current, Note, Prior};
    assert_eq!(get("ZL01", Prior), Data::Float(4.0));
    assert_eq!(get("ZL02", Prior), s("是"));
    assert_eq!(get("ZF07", Prior), Data::Float(12500.5));
    assert_eq!(get("ZF06", Prior), Data::Empty);
    assert_eq!(get("ZL01", Current), s("5000余"));
    assert_eq!(get("ZL02", Current), s("是"));
    assert_eq!(get("ZF06", Current), s("１２"));
    assert_eq!(get("ZF06A", Current), Data::Float(7.0));
    assert_eq!(get("ZF07", Current), s("xx"));
    assert_eq!(get("ZF06", Note), s("专项整治行动查处案件增多"));
}

#[test]
fn guide_lists_instructions_and_the_units_indicators() {
    let bytes = build(&schema(), &township(), 2024, &TemplateFill::default()).unwrap();
    let r = sheet(&bytes, GUIDE_SHEET);
    let text: Vec<String> = r
        .rows()
        .flat_map(|row| row.iter().map(|c| c.to_string()))
        .collect();
    let all = text.join("\n");
    for needle in [
        "空白不等于 0",
        "“余”",
        "“元”",
        "核实无误",
        "不少于 6 个字",
        "工作表名称",
    ] {
        assert!(all.contains(needle), "missing {needle}");
    }
    assert!(all.contains("ZL02") && all.contains("罚没款金额的填报口径"));
    assert!(all.contains("金额（元"));
    assert!(!all.contains("FY02") && !all.contains("ZF06A"));
}

#[test]
fn deterministic_bytes() {
    let mut fill = TemplateFill::default();
    fill.prior.insert("ZL01".into(), 4.0);
    let a = build(&schema(), &department(), 2024, &fill).unwrap();
    let b = build(&schema(), &department(), 2024, &fill).unwrap();
    assert_eq!(a, b);
    let other = build(&schema(), &department(), 2025, &fill).unwrap();
    assert_ne!(a, other);
}

fn zip_member(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = String::new();
    z.by_name(name).unwrap().read_to_string(&mut out).unwrap();
    out
}

#[test]
fn sheets_are_protected_and_only_input_cells_unlocked() {
    let bytes = build(&schema(), &department(), 2024, &TemplateFill::default()).unwrap();
    for n in 1..=3 {
        let xml = zip_member(&bytes, &format!("xl/worksheets/sheet{n}.xml"));
        assert!(xml.contains("<sheetProtection"), "sheet{n} not protected");
    }
    let sheet2 = zip_member(&bytes, "xl/worksheets/sheet2.xml");
    assert!(sheet2.contains("<dataValidation"), "no data validation");
    assert!(sheet2.contains("&quot;是,否&quot;") || sheet2.contains("\"是,否\""));
    // Counts and amounts accept a number of their kind or the word 不适用, which the reader
    // takes and the messages ask for; nothing else.
    let custom = sheet2.matches("type=\"custom\"").count();
    assert!(custom > 0, "no custom validation");
    assert!(
        sheet2.contains("=INT(") && sheet2.contains("=\"不适用\")</formula1>"),
        "count rule without 不适用"
    );
    let mut wb = open(&bytes);
    let styles = wb.worksheet_style(DATA_SHEET).unwrap();
    let unlocked = |row: u32, col: DataColumn| {
        styles
            .get((row, u32::from(col.template_col())))
            .and_then(|s| s.protection.as_ref())
            .is_some_and(|p| !p.locked)
    };
    let first_indicator = DATA_FIRST_ROW + 1; // after the first section row
    let last = first_indicator + 5;
    for row in first_indicator..last {
        if row == DATA_FIRST_ROW + 3 {
            continue; // section row 二、行政执法
        }
        assert!(unlocked(row, DataColumn::Current), "row {row} 本年数");
        assert!(unlocked(row, DataColumn::Note), "row {row} 说明");
        assert!(!unlocked(row, DataColumn::Code), "row {row} 代码");
        assert!(!unlocked(row, DataColumn::Prior), "row {row} 上年数");
        assert!(!unlocked(row, DataColumn::Name), "row {row} 名称");
    }
    assert!(!unlocked(DATA_HEADER_ROW, DataColumn::Current));
    let cover = wb.worksheet_style(COVER_SHEET).unwrap();
    let cover_unlocked = |f: CoverField| {
        cover
            .get((f.template_row(), u32::from(COVER_VALUE_COL)))
            .and_then(|s| s.protection.as_ref())
            .is_some_and(|p| !p.locked)
    };
    for f in CoverField::ALL {
        assert_eq!(cover_unlocked(f), f.editable(), "{f:?}");
    }
}

#[test]
fn libreoffice_opens_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let u = township();
    let bytes = build(&schema(), &u, 2024, &TemplateFill::default()).unwrap();
    let path = dir.path().join(file_name(&u, 2024));
    std::fs::write(&path, bytes).unwrap();
    if !common::libreoffice_convert(std::slice::from_ref(&path), common::CSV_UTF8, dir.path()) {
        return;
    }
    let csv_path = path.with_extension("csv");
    let csv = std::fs::read(&csv_path).unwrap_or_else(|e| panic!("{csv_path:?}: {e}"));
    let csv = String::from_utf8_lossy(&csv);
    assert!(csv.contains("单位代码"), "{csv}");
    assert!(csv.contains("411321-T01"), "{csv}");
}

/// The template marks a broken rule while the unit types (conditional formats from the schema's
/// rules): rendered by LibreOffice, a department's workbook whose 一审审结 (YS03) exceeds new
/// plus carried-over cases (V28, an error) shows the error colour; the same workbook with the
/// value corrected, and an empty one, show none.
#[test]
fn the_template_marks_a_broken_rule_while_typing() {
    let schema = Schema::default_schema();
    let u = department();
    let pink = [0xFF, 0xC7, 0xCE];
    let render = |ys03: f64| -> Option<usize> {
        let dir = tempfile::tempdir().unwrap();
        let mut fill = TemplateFill::default();
        for (code, v) in [("YS01", 0.0), ("YS02", 0.0), ("YS03", ys03)] {
            fill.current.insert(code.into(), CellInput::Number(v));
        }
        let path = dir.path().join("t.xlsx");
        std::fs::write(&path, build(&schema, &u, 2024, &fill).unwrap()).unwrap();
        if !common::libreoffice_convert(std::slice::from_ref(&path), "pdf", dir.path()) {
            return None;
        }
        let pages = common::pdf_pages(&dir.path().join("t.pdf"), 30)?;
        Some(common::pixels_of(&pages, pink))
    };
    let Some(broken) = render(2.0) else { return };
    assert!(
        broken > 100,
        "the three cells of V28 are marked: {broken} pixels"
    );
    assert_eq!(render(0.0), Some(0), "a consistent value is not marked");
}

/// The county's huizong.toml (deadline, contact, 表号) reaches every template's cover, below
/// the fields the reader uses; a wrong key is exit 2 naming the file and line.
#[test]
fn settings_beside_the_registry_reach_the_cover() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("units.csv");
    std::fs::write(
        &reg,
        "code,name,kind,parent,active_from,active_to,predecessors,villages\n411321-T01,城关镇,township,411321,2019,,,8\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("huizong.toml"),
        "office = \"某县司法局\"\ncontact = \"张三\"\nphone = \"0377-61234567\"\ndeadline = \"2025-01-15\"\nform_number = \"法治统1表\"\n",
    )
    .unwrap();
    let out = dir.path().join("模板");
    let huizong = || assert_cmd::Command::cargo_bin("huizong").unwrap();
    huizong()
        .args(["template", "--year", "2024", "--registry"])
        .arg(&reg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let bytes = std::fs::read(out.join("411321-T01_城关镇_2024.xlsx")).unwrap();
    let r = sheet(&bytes, COVER_SHEET);
    let cells: Vec<String> = r.rows().flatten().map(|c| c.to_string()).collect();
    for s in [
        "表号",
        "法治统1表",
        "报送截止日期",
        "2025-01-15",
        "张三 0377-61234567",
        "某县司法局",
    ] {
        assert!(cells.iter().any(|c| c == s), "{s} on the cover: {cells:?}");
    }
    // The reader still finds the cover as before.
    let (sub, _) = huizong::ingest::read_bytes(bytes, "t.xlsx", &Schema::default_schema());
    assert_eq!(sub.unwrap().cover.unit_code.as_deref(), Some("411321-T01"));

    std::fs::write(
        dir.path().join("huizong.toml"),
        "deadlin = \"2025-01-15\"\n",
    )
    .unwrap();
    let err = huizong()
        .args(["template", "--year", "2024", "--force", "--registry"])
        .arg(&reg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("huizong.toml") && err.contains("第 1 行"),
        "{err}"
    );
}

#[test]
fn file_names_are_safe() {
    let mut u = department();
    u.name = "县农业农村局/乡村振兴局".into();
    assert_eq!(
        file_name(&u, 2024),
        "411321-D05_县农业农村局_乡村振兴局_2024.xlsx"
    );
    assert_eq!(file_name(&township(), 2024), "411321-T01_城关镇_2024.xlsx");
}

fn rec(year: i32, unit: &str, indicator: &str, value: f64) -> Record {
    Record {
        year,
        unit: unit.into(),
        kind: T,
        indicator: indicator.into(),
        value,
        origin: "".into(),
    }
}

#[test]
fn prior_values_follow_predecessors() {
    let records = vec![
        rec(2023, "T07", "ZL01", 4.0),
        rec(2023, "T08", "ZL01", 10.0),
        rec(2023, "T08", "ZF07", 100.0),
        rec(2023, "T07", "ZL02", 0.0),
        rec(2023, "T08", "ZL02", 1.0),
        rec(2022, "T07", "ZL01", 99.0), // wrong year
        rec(2023, "T01", "ZL01", 3.0),  // another unit
    ];
    let mut merged = unit("T09", "新镇", T);
    merged.predecessors = vec![("T07".into(), 1.0), ("T08".into(), 0.5)];
    let p = prior_values(&schema(), &merged, &records, 2023);
    assert_eq!(p.get("ZL01"), Some(&9.0));
    assert_eq!(p.get("ZF07"), Some(&50.0));
    assert_eq!(p.get("ZL02"), Some(&1.0));
    assert_eq!(p.len(), 3);
    let plain = prior_values(&schema(), &unit("T01", "城关镇", T), &records, 2023);
    assert_eq!(plain, BTreeMap::from([("ZL01".to_string(), 3.0)]));
}

/// Rewrites one zip member of a workbook.
fn rezip(bytes: &[u8], name: &str, f: impl Fn(String) -> String) -> Vec<u8> {
    use std::io::Write;
    let mut zin = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).unwrap();
        let entry = file.name().unwrap().into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).unwrap();
        if entry == name {
            data = f(String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(entry, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn filled_template_gives_no_format_warning() {
    // The template formats 本年数 as 0 / #,##0.00: filled normally, no N03.
    let mut fill = TemplateFill::default();
    for (code, v) in [
        ("ZL01", 3.0),
        ("ZF06", 12.0),
        ("ZF06A", 7.0),
        ("ZF07", 1500.5),
    ] {
        fill.current.insert(code.into(), CellInput::Number(v));
    }
    fill.current
        .insert("ZL02".into(), CellInput::Text("是".into()));
    let bytes = build(&schema(), &department(), 2024, &fill).unwrap();
    let (sub, diags) = huizong::ingest::read_bytes(bytes.clone(), "t.xlsx", &schema());
    assert!(diags.iter().all(|d| d.code != "N03"), "{diags:#?}");
    assert_eq!(sub.unwrap().number("ZF07"), Some(1500.5));

    // The check does see the template's cells: turn its count format (custom "0") into a
    // percent and every filled count is reported.
    let count_format = "formatCode=\"0\"/>";
    assert!(zip_member(&bytes, "xl/styles.xml").contains(count_format));
    let pct = rezip(&bytes, "xl/styles.xml", |x| {
        x.replace(count_format, "formatCode=\"0%\"/>")
    });
    let (_, diags) = huizong::ingest::read_bytes(pct, "t.xlsx", &schema());
    let mut flagged: Vec<&str> = diags
        .iter()
        .filter(|d| d.code == "N03")
        .filter_map(|d| d.indicator.as_deref())
        .collect();
    flagged.sort();
    assert_eq!(flagged, ["ZF06", "ZF06A", "ZL01"], "{diags:#?}");
}
