//! Unit registry (`units.csv`): parsing, refusal of bad rows with their line, and round trip.

use huizong::registry::{Registry, Unit, UnitKind};
use huizong::Error;
use std::path::Path;

const HEADER: &str = "code,name,kind,parent,active_from,active_to,predecessors,villages";

fn parse(text: &str) -> huizong::Result<Registry> {
    Registry::parse(text, Path::new("units.csv"))
}

/// Parses `HEADER` + `rows` and returns (row, message) of the refusal.
fn refusal(rows: &str) -> (usize, String) {
    match parse(&format!("{HEADER}\n{rows}")) {
        Err(Error::Registry { row, message, path }) => {
            assert_eq!(path, Path::new("units.csv"));
            (row, message)
        }
        other => panic!("expected a registry error, got {other:?}"),
    }
}

const GOOD: &str = "\u{feff}code,name,kind,parent,active_from,active_to,predecessors,villages
411321-T01,城关镇,township,411321,2019,,,12
411321-T07,旧甲乡,乡镇(街道),411321,2019,2023,,5
411321-T08,旧乙乡,township,411321,2019,2023,,4
411321-T09,新镇,township,411321,2024,,411321-T07;411321-T08:0.5,9
411321-D01,县司法局,县直部门,411321,2019,,,
411321-C01,依法治县办,county_office,411321,2019,,,0
411321-X01,县人民法院,external,411321-C01,2019,,,0
";

#[test]
fn parses_a_good_registry() {
    let r = parse(GOOD).unwrap();
    assert_eq!(r.units.len(), 7);
    let t09 = r.get("411321-T09").unwrap();
    assert_eq!(t09.kind, UnitKind::Township);
    assert_eq!(
        t09.predecessors,
        vec![
            ("411321-T07".to_string(), 1.0),
            ("411321-T08".to_string(), 0.5)
        ]
    );
    assert_eq!(t09.villages, 9);
    assert_eq!(t09.active_to, None);
    let t07 = r.get("411321-T07").unwrap();
    assert_eq!(t07.active_to, Some(2023));
    assert_eq!(r.get("411321-D01").unwrap().kind, UnitKind::Department);
    assert_eq!(r.get("411321-D01").unwrap().villages, 0);
    assert_eq!(
        r.get("411321-X01").unwrap().parent.as_deref(),
        Some("411321-C01")
    );
    let codes_2024: Vec<&str> = r.active_in(2024).map(|u| u.code.as_str()).collect();
    assert!(!codes_2024.contains(&"411321-T07"));
    assert!(codes_2024.contains(&"411321-T09"));
    assert_eq!(r.active_in(2023).count(), 6);
}

#[test]
fn tolerates_crlf_spaces_comments_column_order_and_extra_columns() {
    let text = "# 单位名册\r\nname, code ,kind,parent,active_from,active_to,predecessors,villages,备注\r\n\
                城关镇 , 411321-T01 ,乡镇,,2019,,,12,中心镇\r\n,,,,,,,\r\n";
    let r = parse(text).unwrap();
    assert_eq!(r.units.len(), 1);
    assert_eq!(r.units[0].code, "411321-T01");
    assert_eq!(r.units[0].name, "城关镇");
    assert_eq!(r.units[0].parent, None);
}

#[test]
fn round_trip() {
    let r = parse(GOOD).unwrap();
    let text = r.to_csv();
    assert!(text.starts_with(HEADER), "{text}");
    let back = parse(&text).unwrap();
    assert_eq!(back, r);
    // Names with a comma or a quote survive too.
    let odd = Registry::new(vec![Unit {
        code: "411321-D09".into(),
        name: "县\"文化,旅游\"局".into(),
        kind: UnitKind::Department,
        parent: None,
        active_from: 2024,
        active_to: Some(2030),
        predecessors: vec![],
        villages: 0,
    }]);
    assert_eq!(parse(&odd.to_csv()).unwrap(), odd);
}

#[test]
fn refuses_duplicate_code() {
    let (row, msg) =
        refusal("A1,甲,township,,2019,,,1\nA2,乙,township,,2019,,,1\nA1,丙,township,,2019,,,1\n");
    assert_eq!(row, 4);
    assert!(msg.contains("重复") && msg.contains("第 2 行"), "{msg}");
}

#[test]
fn refuses_unknown_kind() {
    let (row, msg) = refusal("A1,甲,township,,2019,,,1\nA2,乙,park,,2019,,,1\n");
    assert_eq!(row, 3);
    assert!(msg.contains("单位类型") && msg.contains("park"), "{msg}");
}

#[test]
fn refuses_unknown_parent() {
    let (row, msg) = refusal("A1,甲,township,A9,2019,,,1\n");
    assert_eq!(row, 2);
    assert!(msg.contains("上级") && msg.contains("A9"), "{msg}");
    // a 5-digit number is not a county code either
    let (_, msg) = refusal("A1,甲,township,41132,2019,,,1\n");
    assert!(msg.contains("41132"), "{msg}");
    // self-parent
    let (_, msg) = refusal("A1,甲,township,A1,2019,,,1\n");
    assert!(msg.contains("自己"), "{msg}");
}

#[test]
fn parent_may_be_listed_later() {
    let r = parse(&format!(
        "{HEADER}\nA1,甲,township,C1,2019,,,1\nC1,县本级,county_office,411321,2019,,,0\n"
    ))
    .unwrap();
    assert_eq!(r.units.len(), 2);
}

#[test]
fn refuses_bad_years() {
    let (row, msg) = refusal("A1,甲,township,,2019,,,1\nA2,乙,township,,二〇一九,,,1\n");
    assert_eq!(row, 3);
    assert!(msg.contains("active_from") && msg.contains("年度"), "{msg}");
    let (row, msg) = refusal("A1,甲,township,,2019,224,,1\n");
    assert_eq!(row, 2);
    assert!(msg.contains("active_to"), "{msg}");
    let (_, msg) = refusal("A1,甲,township,,,,,1\n");
    assert!(msg.contains("起始年度"), "{msg}");
}

#[test]
fn refuses_active_to_before_active_from() {
    let (row, msg) = refusal("A1,甲,township,,2020,2019,,1\n");
    assert_eq!(row, 2);
    assert!(msg.contains("早于"), "{msg}");
}

#[test]
fn refuses_unknown_or_bad_predecessor() {
    let (row, msg) = refusal("A1,甲,township,,2019,,,1\nA2,乙,township,,2024,,A1;A7:0.5,1\n");
    assert_eq!(row, 3);
    assert!(msg.contains("A7") && msg.contains("不在名册"), "{msg}");
    let (row, msg) = refusal("A1,甲,township,,2019,,,1\nA2,乙,township,,2024,,A1:半,1\n");
    assert_eq!(row, 3);
    assert!(msg.contains("权重"), "{msg}");
    let (_, msg) = refusal("A1,甲,township,,2019,,A1,1\n");
    assert!(msg.contains("自己"), "{msg}");
}

#[test]
fn refuses_missing_column() {
    let text = "code,name,kind,parent,active_from,active_to,villages\nA1,甲,township,,2019,,1\n";
    match parse(text) {
        Err(Error::Registry { row, message, .. }) => {
            assert_eq!(row, 1);
            assert!(message.contains("predecessors"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn refuses_empty_code_or_name() {
    let (row, msg) = refusal("A1,甲,township,,2019,,,1\n,乙,township,,2019,,,1\n");
    assert_eq!(row, 3);
    assert!(msg.contains("代码"), "{msg}");
    let (row, msg) = refusal("A1,,township,,2019,,,1\n");
    assert_eq!(row, 2);
    assert!(msg.contains("名称"), "{msg}");
}

#[test]
fn refuses_bad_villages_and_short_rows() {
    let (row, msg) = refusal("A1,甲,township,,2019,,,十二\n");
    assert_eq!(row, 2);
    assert!(msg.contains("villages"), "{msg}");
    let (row, msg) = refusal("A1,甲,township,,2019\n");
    assert_eq!(row, 2);
    assert!(msg.contains("列"), "{msg}");
}

#[test]
fn row_numbers_count_quoted_multiline_fields() {
    // A name with an embedded newline spans two lines; the next record starts on line 4.
    let (row, _) = refusal("A1,\"甲\n乡\",township,,2019,,,1\nA2,乙,nope,,2019,,,1\n");
    assert_eq!(row, 4);
}

#[test]
fn refuses_empty_file() {
    assert!(matches!(parse(""), Err(Error::Registry { row: 1, .. })));
    assert!(matches!(parse(HEADER), Err(Error::Registry { .. })));
}

/// `GOOD` with Chinese headers, as a county office types them in Excel.
fn chinese_headers() -> String {
    GOOD.replacen(
        "code,name,kind,parent,active_from,active_to,predecessors,villages",
        "单位代码,单位名称,单位类型,上级代码,起报年度,止报年度,前身单位,村（社区）数,备注",
        1,
    )
}

#[test]
fn chinese_headers_read_like_english_ones() {
    assert_eq!(parse(&chinese_headers()).unwrap(), parse(GOOD).unwrap());
    // A missing column is named both ways.
    let (row, message) = match parse("单位代码,单位名称,单位类型\nA1,甲,township\n") {
        Err(Error::Registry { row, message, .. }) => (row, message),
        other => panic!("{other:?}"),
    };
    assert_eq!(row, 1);
    assert!(message.contains("parent（上级代码）"), "{message}");
}

#[test]
fn gbk_files_as_excel_saves_them_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("units.csv");
    let text = chinese_headers().replace('\u{feff}', "");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    std::fs::write(&p, &gbk).unwrap();
    assert_eq!(Registry::load(&p).unwrap(), parse(GOOD).unwrap());
    // UTF-8 with and without BOM.
    std::fs::write(&p, GOOD).unwrap();
    assert_eq!(Registry::load(&p).unwrap(), parse(GOOD).unwrap());
    std::fs::write(&p, GOOD.trim_start_matches('\u{feff}')).unwrap();
    assert_eq!(Registry::load(&p).unwrap(), parse(GOOD).unwrap());
}

#[test]
fn a_utf8_file_with_broken_bytes_is_refused_at_the_line_not_read_as_gbk() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("units.csv");
    // 城关镇 in UTF-8 on line 2, then a cut-off character on line 3.
    let mut bytes = format!("{HEADER}\nA1,城关镇,township,,2019,,,1\nA2,").into_bytes();
    bytes.extend_from_slice(&"石".as_bytes()[..2]);
    bytes.extend_from_slice(b",township,,2019,,,1\n");
    std::fs::write(&p, bytes).unwrap();
    match Registry::load(&p) {
        Err(Error::Registry { row, message, .. }) => {
            assert_eq!(row, 3);
            assert!(
                message.contains("UTF-8") && message.contains("GBK"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn row_numbers_count_comment_lines() {
    let text =
        format!("# 名册\n{HEADER}\n# 乡镇\nA1,甲,township,,2019,,,1\nA2,乙,nope,,2019,,,1\n");
    match parse(&text) {
        Err(Error::Registry { row, .. }) => assert_eq!(row, 5),
        other => panic!("{other:?}"),
    }
}
