//! The 异常提示 sheet as a reviewer reads it, end to end: `huizong sample` (with its planted
//! defects), `huizong run` (exit 1: findings), then the summary workbook's sheet — one row per
//! entry (unit × problem), the slip's rate finding inside the slip's row, named indicators,
//! statistics in their own column, rounded scores; the first rows are snapshotted.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use calamine::{open_workbook, Data, Reader, Xlsx};

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary built")
}

fn cell(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => format!("{i}"),
        other => other.to_string(),
    }
}

fn rows(summary: &Path) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = open_workbook(summary).expect("summary opens");
    let r = wb.worksheet_range("异常提示").expect("异常提示 sheet");
    r.rows().map(|row| row.iter().map(cell).collect()).collect()
}

#[test]
fn one_row_per_problem_readable_and_ranked() {
    let dir = tempfile::tempdir().unwrap();
    huizong()
        .args(["sample", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let out = dir.path().join("out");
    huizong()
        .args(["run", "--year", "2024", "--quiet"])
        .arg(dir.path().join("2024"))
        .arg("--prior")
        .arg(dir.path().join("2023"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    let sheet = rows(&out.join("汇总_2024.xlsx"));
    let header = &sheet[0];
    assert_eq!(header[0], "排名");
    assert_eq!(header[8], "统计量");
    let body = &sheet[1..];

    // As many rows as entries in the figures JSON, numbered 1, 2, 3 …
    let figures: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("figures_2024.json")).unwrap()).unwrap();
    let entries: BTreeSet<u64> = figures["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["entry"].as_u64().unwrap())
        .collect();
    assert_eq!(body.len(), entries.len());
    let numbers: Vec<String> = body.iter().map(|r| r[0].clone()).collect();
    let expected: Vec<String> = (1..=body.len()).map(|i| i.to_string()).collect();
    assert_eq!(numbers, expected);

    // The 元/万元 slip is first, with its rate finding folded in, not a row of its own.
    assert_eq!(body[0][3], "ZF07 罚没金额");
    assert!(
        body[0][10].starts_with(
            "罚没金额今年55.46元，去年642,331元，约小1万倍：很可能按万元填写；按元应为554,600元"
        ),
        "{:?}",
        body[0]
    );
    assert!(
        body[0][10].contains("同一问题还涉及：RZF03 件均罚没金额(元/宗)"),
        "{:?}",
        body[0]
    );
    assert!(!body[1..]
        .iter()
        .any(|r| r[2].contains("411321-D05") && r[3].starts_with("RZF03")));
    // No empty indicator cell; a whole-sheet finding says so.
    assert!(body.iter().all(|r| !r[3].is_empty()), "{body:?}");
    assert!(body.iter().any(|r| r[3] == "整张报表"));
    // Statistics are in their column, not in the HB messages; scores have at most 3 decimals.
    assert!(body.iter().all(|r| !r[10].contains("HB检验E=")));
    assert!(body
        .iter()
        .all(|r| r[9].split('.').nth(1).is_none_or(|d| d.len() <= 3)));
    // The explained real change (D09's tripled cases) comes after every open row.
    let first_explained = body
        .iter()
        .position(|r| r[11] == "已说明")
        .expect("explained row");
    assert!(
        body[first_explained..].iter().all(|r| r[11] == "已说明"),
        "{body:?}"
    );
    assert!(body[first_explained]
        .iter()
        .any(|c| c.contains("411321-D09")));

    let shown: Vec<String> = body
        .iter()
        .take(6)
        .map(|r| {
            [0, 1, 2, 3, 8, 9, 10, 11]
                .iter()
                .map(|&i| r[i].as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    insta::assert_snapshot!(shown.join("\n"));
}
