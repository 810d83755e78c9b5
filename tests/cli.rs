//! End-to-end tests of the `huizong` binary on a generated sample county: exit codes, the planted
//! defects found by `check`, the seed figures in the summary workbook, and byte-identical reruns.

mod common;

use assert_cmd::Command;
use calamine::{open_workbook, Data, DataType, Range, Reader, Xlsx};
use std::path::{Path, PathBuf};

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary is built")
}

/// Generates a sample county (with or without planted defects) into a temp dir.
fn sample(clean: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = huizong();
    cmd.args(["sample", "--out"]).arg(dir.path());
    if clean {
        cmd.arg("--clean");
    }
    cmd.assert().success();
    dir
}

/// Runs `huizong check` on a sample county (optionally with the prior year) and returns stdout,
/// asserting the exit code.
fn check_stdout(dir: &Path, prior: bool, code: i32) -> String {
    let mut cmd = huizong();
    cmd.arg("check").arg(dir.join("2024"));
    if prior {
        cmd.arg("--prior").arg(dir.join("2023"));
    }
    let out = cmd.assert().code(code).get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8")
}

/// `huizong draft` of a run folder's 2024 figures as Markdown into `md`; its text.
fn draft_md(out: &Path, md: &Path) -> String {
    huizong()
        .args(["draft", "--year", "2024", "--from"])
        .arg(out)
        .arg("--out")
        .arg(md)
        .assert()
        .success();
    std::fs::read_to_string(md).expect("draft")
}

fn run_county(sample: &Path, out: &Path) -> assert_cmd::assert::Assert {
    huizong()
        .args(["run", "--year", "2024", "--quiet"])
        .arg(sample.join("2024"))
        .arg("--prior")
        .arg(sample.join("2023"))
        .arg("--out")
        .arg(out)
        .assert()
}

fn sheet(path: &Path, name: &str) -> Range<Data> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("summary opens");
    wb.worksheet_range(name).expect("sheet exists")
}

/// The row of the 汇总 sheet whose code column holds `code`, as (本年, 上年, 增减, 同比).
fn totals_row(r: &Range<Data>, code: &str) -> [Option<f64>; 4] {
    let row = r
        .rows()
        .find(|row| row.first().is_some_and(|c| *c == code))
        .unwrap_or_else(|| panic!("no row {code}"));
    let num = |i: usize| match row.get(i) {
        Some(Data::Float(f)) => Some(*f),
        Some(Data::Int(n)) => Some(*n as f64),
        _ => None,
    };
    [num(3), num(4), num(5), num(6)]
}

#[test]
fn check_reports_exactly_the_planted_defects() {
    let dir = sample(false);
    let text = check_stdout(dir.path(), false, 1);
    let findings: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    let codes: Vec<&str> = findings
        .iter()
        .map(|l| {
            l.split(": ")
                .nth(1)
                .and_then(|s| s.split(' ').next())
                .unwrap_or("")
        })
        .collect();
    // A corrected version replacing the original (S14 on the original), "xx" (V02), closed >
    // received (V28), an approximate value (V03), a full-width digit (N01), and the unit that
    // sent nothing (S11).
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, ["N01", "S11", "S14", "V02", "V03", "V28"], "{text}");
    assert!(text.contains("统计表!D"), "findings point at cells: {text}");
}

#[test]
fn clean_county_checks_clean_and_exits_zero() {
    let dir = sample(true);
    let text = check_stdout(dir.path(), true, 0);
    assert!(text.contains("错误 0，警告 0，提示 0"), "{text}");
}

#[test]
fn run_writes_the_seed_figures_and_is_deterministic() {
    let dir = sample(false);
    let out1 = dir.path().join("out1");
    let out2 = dir.path().join("out2");
    run_county(dir.path(), &out1).code(1);
    run_county(dir.path(), &out2).code(1);

    let summary = out1.join("汇总_2024.xlsx");
    let totals = sheet(&summary, "汇总");
    let fy02 = totals_row(&totals, "FY02");
    assert_eq!(fy02[..3], [Some(70.0), Some(23.0), Some(47.0)]);
    assert!((fy02[3].unwrap_or(0.0) - 47.0 / 23.0).abs() < 1e-9);
    let gf01 = totals_row(&totals, "GF01");
    assert_eq!(gf01[..3], [Some(9.0), Some(17.0), Some(-8.0)]);
    assert!((gf01[3].unwrap_or(0.0) + 8.0 / 17.0).abs() < 1e-9);

    let rates = sheet(&summary, "比率");
    let rys02c = rates
        .rows()
        .find(|r| r.first().is_some_and(|c| *c == "RYS02c"))
        .expect("RYS02c row");
    let nums: Vec<f64> = rys02c.iter().filter_map(|c| c.as_f64()).collect();
    assert!(nums.contains(&5.0) && nums.contains(&56.0), "{rys02c:?}");
    assert!(
        nums.iter().any(|v| (v - 5.0 / 56.0).abs() < 1e-12),
        "{rys02c:?}"
    );

    let rzf03 = rates
        .rows()
        .find(|r| r.first().is_some_and(|c| *c == "RZF03"))
        .expect("RZF03 row");
    let remark = rzf03.get(11).map(|c| c.to_string()).unwrap_or_default();
    assert!(
        remark.contains("元/宗"),
        "件均罚没金额 is not a percentage: {rzf03:?}"
    );

    let files = sheet(&summary, "报送情况");
    let states: Vec<String> = files
        .rows()
        .filter_map(|r| r.get(3).map(|c| c.to_string()))
        .collect();
    assert!(
        states.iter().any(|s| s.contains("退回")),
        "held-back units are listed: {states:?}"
    );
    assert!(states.iter().any(|s| s.contains("未报送")), "{states:?}");

    for name in [
        "汇总_2024.xlsx",
        "figures_2024.json",
        "history.csv",
        "history.parquet",
    ] {
        let a = std::fs::read(out1.join(name)).expect("output");
        let b = std::fs::read(out2.join(name)).expect("output");
        assert!(a == b, "{name} differs between two runs");
    }
    let feedback: Vec<PathBuf> = std::fs::read_dir(out1.join("退回"))
        .expect("feedback dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(feedback.len() >= 3, "{feedback:?}");
}

#[test]
fn history_serves_as_next_years_prior() {
    let dir = sample(true);
    let first = dir.path().join("first");
    run_county(dir.path(), &first).code(0);
    let again = dir.path().join("again");
    huizong()
        .args(["run", "--year", "2024", "--quiet"])
        .arg(dir.path().join("2024"))
        .arg("--prior")
        .arg(first.join("history.csv"))
        .arg("--out")
        .arg(&again)
        .assert()
        .code(0);
    let a = std::fs::read(first.join("figures_2024.json")).expect("figures");
    let b = std::fs::read(again.join("figures_2024.json")).expect("figures");
    assert!(
        a == b,
        "prior from history.csv equals prior from last year's folder"
    );
}

#[test]
fn draft_from_run_output_has_the_seed_sentences() {
    let dir = sample(false);
    let out = dir.path().join("out");
    run_county(dir.path(), &out).code(1);
    let text = draft_md(&out, &dir.path().join("draft.md"));
    for s in [
        "全年收到行政复议案件70件，与去年同期相比收案量增长204%",
        "全年共制定印发规范性文件9件，比去年减少8件，同比减少47%",
        "审结56件，行政败诉案件5件，败诉率8.93%",
    ] {
        assert!(text.contains(s), "missing {s}");
    }
}

/// Issue #14 item 1 on the sample county (2 units held back, 1 missing): every 同比 compares the
/// 43 aggregated units with the same units last year; last year as reported is kept beside it and
/// is exactly what last year's own run published.
#[test]
fn sample_county_compares_like_with_like() {
    let dir = sample(false);
    let out = dir.path().join("out");
    run_county(dir.path(), &out).code(1);
    let f = figures(&out);
    let ind = |code: &str| {
        f["indicators"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["code"] == code))
            .unwrap_or_else(|| panic!("no {code}"))
            .clone()
    };
    let held_missing = ["411321-D15", "411321-D16", "411321-D20"];
    assert_eq!(
        f["coverage"]["prior_excluded"],
        serde_json::json!(held_missing)
    );
    assert_eq!(f["coverage"]["without_prior"], serde_json::json!([]));
    // ZL01: 174 this year against the same 43 units' 161 (+13, +8.1 %), not all 45's 174
    // (which would read as no change).
    let zl01 = ind("ZL01");
    assert_eq!(zl01["value"], 174.0);
    assert_eq!(zl01["prior"], 161.0);
    assert_eq!(zl01["prior_reported"], 174.0);
    assert_eq!(zl01["change"], 13.0);
    assert_eq!(zl01["change_pct"], 13.0 / 161.0);
    assert_eq!(zl01["prior_excluded"], serde_json::json!(held_missing));
    // ZF06 行政处罚决定数: 2837 against 2432 (+405), reported 2481.
    let zf06 = ind("ZF06");
    assert_eq!(
        [
            &zf06["value"],
            &zf06["prior"],
            &zf06["prior_reported"],
            &zf06["change"]
        ],
        [2837.0, 2432.0, 2481.0, 405.0]
    );
    // The seed figures come from units aggregated in both years: both views agree.
    for (code, prior) in [
        ("FY02", 23.0),
        ("GF01", 17.0),
        ("YS09", 47.0),
        ("YS10", 6.0),
    ] {
        let i = ind(code);
        assert_eq!(
            (&i["prior"], &i["prior_reported"]),
            (&prior.into(), &prior.into()),
            "{code}"
        );
    }
    // Rates likewise: 持证率 over the same units 845/901, as reported 876/936.
    let rate = f["rates"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["code"] == "RZF01"))
        .expect("RZF01")
        .clone();
    assert_eq!(
        [&rate["prior_numerator"], &rate["prior_denominator"]],
        [845.0, 901.0]
    );
    assert_eq!(
        [
            &rate["prior_reported_numerator"],
            &rate["prior_reported_denominator"]
        ],
        [876.0, 936.0]
    );

    // 报送口径 is last year's run's own figures, indicator by indicator and rate by rate.
    let last = dir.path().join("last");
    huizong()
        .args(["run", "--year", "2023", "--quiet"])
        .arg(dir.path().join("2023"))
        .arg("--out")
        .arg(&last)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(last.join("figures_2023.json")).expect("figures 2023");
    let l: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    for (key, value) in [("indicators", "value"), ("rates", "value")] {
        let (now, then) = (f[key].as_array().expect(key), l[key].as_array().expect(key));
        assert_eq!(now.len(), then.len());
        for (a, b) in now.iter().zip(then) {
            assert_eq!(a["prior_reported"], b[value], "{key} {}", a["code"]);
        }
    }

    // The summary shows both and says why; the draft uses the comparable change and says so.
    let totals = sheet(&out.join("汇总_2024.xlsx"), "汇总");
    assert_eq!(
        totals_row(&totals, "ZL01"),
        [Some(174.0), Some(161.0), Some(13.0), Some(13.0 / 161.0)]
    );
    let row = totals
        .rows()
        .find(|r| r.first().is_some_and(|c| *c == "ZL01"))
        .expect("ZL01 row");
    assert_eq!(row.get(7).and_then(|c| c.as_f64()), Some(174.0));
    let header = totals
        .rows()
        .find(|r| r.first().is_some_and(|c| *c == "代码"))
        .expect("header row");
    let note = header
        .iter()
        .position(|c| *c == "备注")
        .expect("备注 column");
    assert_eq!(
        row.get(note).map(|c| c.to_string()).unwrap_or_default(),
        "报送口径另含：县水利局、县林业局（暂未汇总）；县统计局（未报送）"
    );
    // 马庄乡's copied year (A05) is still to verify: its values are in the figure.
    assert_eq!(
        row.get(14).map(|c| c.to_string()).unwrap_or_default(),
        "马庄乡"
    );
    let text = draft_md(&out, &dir.path().join("draft.md"));
    for s in [
        // 马庄乡's copied sheet (A05) is still 待核实: every figure it is part of says so.
        "专题研究法治政府建设174次，比去年增加13次，同比增长8%（含待核实数据）。",
        "同比按本年已汇总的43个单位计算（另有2个单位暂未汇总、1个单位未报送）。",
    ] {
        assert!(text.contains(s), "missing {s}:\n{text}");
    }
}

#[test]
fn usage_problems_exit_two_with_a_chinese_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("没有这个文件夹");
    let out = huizong()
        .arg("check")
        .arg(&missing)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("错误"));
    huizong().args(["rule", "V99"]).assert().code(2);
    let out = huizong()
        .args(["rule", "V25"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("FY03"));
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("inside").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_sample_data_is_what_sample_generates() {
    let dir = sample(false);
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let generated: Vec<PathBuf> = tree(dir.path());
    let expected: Vec<PathBuf> = tree(&committed)
        .into_iter()
        .filter(|p| !p.ends_with("README.md"))
        .collect();
    assert_eq!(generated, expected);
    for rel in &generated {
        let a = std::fs::read(dir.path().join(rel)).expect("generated");
        let b = std::fs::read(committed.join(rel)).expect("committed");
        assert!(
            a == b,
            "{} differs: regenerate with `huizong sample --out sample-data`",
            rel.display()
        );
    }
}

#[test]
fn check_with_prior_finds_the_unit_slip_and_the_copied_year() {
    let dir = sample(false);
    let text = check_stdout(dir.path(), true, 1);
    let anomalies: Vec<&str> = text.lines().filter(|l| l.contains(": A0")).collect();
    assert_eq!(anomalies.len(), 2, "{text}");
    assert!(
        anomalies[0].contains("411321-D05") && anomalies[0].contains("A03"),
        "{text}"
    );
    assert!(
        anomalies[1].contains("411321-T06") && anomalies[1].contains("A05"),
        "{text}"
    );
}

#[test]
fn template_writes_one_workbook_per_active_unit_and_libreoffice_opens_them_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let out = dir.path().join("模板");
    huizong()
        .args(["template", "--year", "2024", "--registry"])
        .arg(root.join("units.csv"))
        .arg("--prior")
        .arg(root.join("2023"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let registry = huizong::registry::Registry::load(&root.join("units.csv")).expect("registry");
    let expected = registry.active_in(2024).count();
    // The templates plus the output set's manifest, which marks the folder as the tool's.
    let (marker, files): (Vec<PathBuf>, Vec<PathBuf>) = tree(&out)
        .into_iter()
        .partition(|p| p == Path::new(".huizong-output"));
    assert_eq!(marker.len(), 1);
    assert_eq!(files.len(), expected);
    let csv_dir = dir.path().join("csv");
    let paths: Vec<PathBuf> = files.iter().map(|f| out.join(f)).collect();
    if !common::libreoffice_convert(&paths, common::CSV_UTF8, &csv_dir) {
        return;
    }
    // One CSV per workbook: every template opened and converted without a repair prompt.
    let csvs = tree(&csv_dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "csv"));
    assert_eq!(csvs.count(), expected);
}

/// The rendered findings for the committed sample county, as a user sees them.
#[test]
fn check_output_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (name, format) in [("check_concise", "concise"), ("check_full", "full")] {
        let out = huizong()
            .current_dir(root)
            .args([
                "check",
                "sample-data/2024",
                "--prior",
                "sample-data/2023",
                "--format",
                format,
            ])
            .assert()
            .code(1)
            .get_output()
            .stdout
            .clone();
        insta::assert_snapshot!(name, String::from_utf8(out).expect("utf-8"));
    }
}

#[test]
fn check_json_is_machine_readable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = huizong()
        .current_dir(root)
        .args(["check", "sample-data/2024", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(doc["year"], 2024);
    assert_eq!(doc["summary"]["errors"], 2);
    let findings = doc["findings"].as_array().expect("findings");
    let v02 = findings
        .iter()
        .find(|f| f["code"] == "V02")
        .expect("V02 finding");
    assert_eq!(v02["cell"], "D33");
    assert_eq!(v02["sheet"], "统计表");
    assert_eq!(v02["indicator"], "ZF03");
}

#[test]
fn registry_inside_the_submissions_folder_is_not_a_submission() {
    let dir = sample(true);
    let inbox = dir.path().join("2024");
    std::fs::copy(dir.path().join("units.csv"), inbox.join("units.csv")).expect("copy registry");
    let out = huizong()
        .arg("check")
        .arg(&inbox)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(!text.contains("S01"), "{text}");
    // A stray non-workbook file next to it is still reported, not silently skipped.
    std::fs::write(inbox.join("说明.txt"), "报送说明").expect("write");
    let out = huizong()
        .arg("check")
        .arg(&inbox)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("说明.txt: S01"));
}

// ---------------------------------------------------------------------------------------------
// Implausible values end to end (issue #12)
// ---------------------------------------------------------------------------------------------

/// Replaces cell `cell` of sheet entry `entry` in an xlsx with the raw XML `new_cell` (a whole
/// `<c …>…</c>` element), leaving every other byte of the sheet as it was.
fn patch_cell(path: &Path, entry: &str, cell: &str, new_cell: &str) {
    use std::io::{Read, Write};
    let bytes = std::fs::read(path).expect("read workbook");
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).expect("entry");
        let name = file.name().expect("entry name").into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).expect("read entry");
        if name == entry {
            let xml = String::from_utf8(data).expect("utf-8 sheet");
            let start = xml
                .find(&format!("<c r=\"{cell}\""))
                .unwrap_or_else(|| panic!("{cell} in {entry}"));
            let end = start + xml[start..].find("</c>").expect("closing </c>") + 4;
            data = format!("{}{new_cell}{}", &xml[..start], &xml[end..]).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start entry");
        out.write_all(&data).expect("write entry");
    }
    std::fs::write(path, out.finish().expect("finish zip").into_inner()).expect("write workbook");
}

/// The A1 reference of the 本年数 cell (column D) of indicator `code` in a sample workbook.
fn current_cell(path: &Path, code: &str) -> String {
    let r = sheet(path, "统计表");
    let (start_row, _) = r.start().unwrap_or((0, 0));
    let row = r
        .rows()
        .position(|row| row.first().is_some_and(|c| *c == code))
        .unwrap_or_else(|| panic!("no row {code}"));
    format!("D{}", start_row as usize + row + 1)
}

/// The 2024 workbook of the unit whose file name starts with `prefix`.
fn workbook(dir: &Path, prefix: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("submissions")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no workbook {prefix}"))
}

fn figures(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("figures_2024.json")).expect("figures JSON");
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn implausible_values_are_errors_at_their_cells_and_never_reach_a_total() {
    let limit = ["--as=2000000000"];
    if std::process::Command::new("prlimit")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: prlimit (util-linux) not found; memory-limited run skipped");
        return;
    }
    let dir = sample(true);
    let now = dir.path().join("2024");
    let (t01, t02) = (workbook(&now, "411321-T01"), workbook(&now, "411321-T02"));

    // The totals without the two bad units: the same county with their files taken away.
    let without = dir.path().join("without");
    std::fs::create_dir(&without).expect("mkdir");
    for e in std::fs::read_dir(&now).expect("2024") {
        let p = e.expect("entry").path();
        if p != t01 && p != t02 {
            std::fs::copy(&p, without.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    let base_out = dir.path().join("base");
    huizong()
        .args(["run", "--year", "2024", "--quiet", "--registry"])
        .arg(dir.path().join("units.csv"))
        .arg(&without)
        .arg("--prior")
        .arg(dir.path().join("2023"))
        .arg("--out")
        .arg(&base_out)
        .assert()
        .code(0); // the two missing units are S11 warnings

    // Six township counts of 城关镇 get the values a tester typed, and both townships get
    // Excel's largest number as their 罚没金额 (two of them used to overflow the sum to null).
    let sheet_xml = "xl/worksheets/sheet2.xml";
    let number = |cell: &str, v: &str| format!("<c r=\"{cell}\"><v>{v}</v></c>");
    let typed: [(&str, &str, bool, &str, &str); 6] = [
        ("ZL01", "1000000000000", false, "N02", "超出合理范围"),
        ("ZL02", "1000000000000000", false, "N02", "超出合理范围"),
        (
            "ZL03",
            "9007199254740993",
            true,
            "N02",
            "填写了 9007199254740993，超出合理范围",
        ),
        ("GF01", "1.8e308", false, "V01", "数值无效"),
        (
            "ZF01",
            "13812345678",
            false,
            "N02",
            "填写了 13812345678，是以 1 开头的 11 位数，像是手机号",
        ),
        (
            "ZF02",
            "411321199001011234",
            false,
            "N02",
            "填写了 4.11321199001011E+17，是 18 位数，像是身份证号",
        ),
    ];
    let mut expected: Vec<(String, String, String, String)> = Vec::new();
    for (code, v, as_text, finding, words) in typed {
        let cell = current_cell(&t01, code);
        let xml = if as_text {
            format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{v}</t></is></c>")
        } else {
            number(&cell, v)
        };
        patch_cell(&t01, sheet_xml, &cell, &xml);
        let file = t01.file_name().unwrap().to_string_lossy().to_string();
        expected.push((file, cell, finding.to_string(), words.to_string()));
    }
    for wb in [&t01, &t02] {
        let cell = current_cell(wb, "ZF07");
        patch_cell(
            wb,
            sheet_xml,
            &cell,
            &number(&cell, "9.99999999999999E+307"),
        );
        let file = wb.file_name().unwrap().to_string_lossy().to_string();
        expected.push((
            file,
            cell,
            "N02".into(),
            "填写了 9.99999999999999E+307，超出合理范围".into(),
        ));
    }

    let out = dir.path().join("out");
    let bin = assert_cmd::cargo::cargo_bin("huizong");
    let started = std::time::Instant::now();
    Command::new("prlimit")
        .args(limit)
        .arg(&bin)
        .args(["run", "--year", "2024", "--quiet"])
        .arg(&now)
        .arg("--prior")
        .arg(dir.path().join("2023"))
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    assert!(started.elapsed().as_secs() < 120, "{:?}", started.elapsed());

    // Each value is an error at its own cell in the summary's 校验问题 sheet.
    let findings = sheet(&out.join("汇总_2024.xlsx"), "校验问题");
    let rows: Vec<Vec<String>> = findings
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    for (file, cell, code, words) in &expected {
        let hit = rows.iter().find(|r| {
            r.first().is_some_and(|f| f.ends_with(file.as_str()))
                && r.get(2) == Some(cell)
                && r.get(5) == Some(code)
        });
        let hit = hit.unwrap_or_else(|| panic!("no {code} at {file}!{cell}: {rows:?}"));
        assert_eq!(hit[1], "统计表");
        assert_eq!(hit[6], "错误", "{hit:?}");
        assert!(hit[7].contains(words.as_str()), "{hit:?}");
    }

    // The two units are held back; every county figure and rate equals the run without them.
    let (bad, base) = (figures(&out), figures(&base_out));
    let held: Vec<&str> = bad["coverage"]["held_back"]
        .as_array()
        .expect("held_back")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(held, ["411321-T01", "411321-T02"]);
    assert_eq!(bad["indicators"], base["indicators"]);
    assert_eq!(bad["rates"], base["rates"]);
    let zf07 = bad["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ZF07")
        .expect("ZF07");
    assert!(zf07["value"].is_f64(), "{zf07}");

    // `check` reports exactly the same value errors at the same cells.
    let doc: serde_json::Value = serde_json::from_slice(
        &huizong()
            .arg("check")
            .arg(&now)
            .arg("--prior")
            .arg(dir.path().join("2023"))
            .args(["--format", "json"])
            .assert()
            .code(1)
            .get_output()
            .stdout,
    )
    .expect("check JSON");
    let mut from_check: Vec<(String, String, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "N02" || f["code"] == "V01")
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            let file = s("file");
            let name = Path::new(&file)
                .file_name()
                .map(|n| n.to_string_lossy().to_string());
            (name.unwrap_or(file), s("cell"), s("code"))
        })
        .collect();
    from_check.sort();
    let mut want: Vec<(String, String, String)> = expected
        .iter()
        .map(|(f, c, code, _)| (f.clone(), c.clone(), code.clone()))
        .collect();
    want.sort();
    assert_eq!(from_check, want);
}

#[test]
fn a_full_stderr_does_not_end_the_run() {
    // Hints and phase times go to stderr; a failed write there (a closed pipe, a full disk)
    // drops the line, the run still finishes with its own exit code and outputs.
    let dir = sample(false);
    let out = dir.path().join("out");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("huizong"))
        .args(["run", "--year", "2024", "--quiet"])
        .arg(dir.path().join("2024"))
        .arg("--prior")
        .arg(dir.path().join("2023"))
        .arg("--out")
        .arg(&out)
        .env("HUIZONG_TIMING", "1")
        .stdout(std::process::Stdio::null())
        .stderr(full)
        .status()
        .expect("runs");
    assert_eq!(
        status.code(),
        Some(1),
        "planted errors: exit 1, not an internal error"
    );
    assert!(out.join("figures_2024.json").is_file());
}

// ---------------------------------------------------------------------------------------------
// Explanations and verification (issue #14 items 3 and 4)
// ---------------------------------------------------------------------------------------------

/// Writes `text` into the 说明 cell (column F) of indicator `code` in a sample workbook,
/// whether the template left that cell as an empty styled cell or without any.
fn write_note(path: &Path, code: &str, text: &str) {
    let cell = current_cell(path, code).replacen('D', "F", 1);
    let entry = "xl/worksheets/sheet2.xml";
    let xml = format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{text}</t></is></c>");
    use std::io::{Read, Write};
    let bytes = std::fs::read(path).expect("read workbook");
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).expect("entry");
        let name = file.name().expect("entry name").into_owned();
        let mut data = Vec::new();
        file.read_to_end(&mut data).expect("read entry");
        if name == entry {
            let s = String::from_utf8(data).expect("utf-8 sheet");
            let start = s.find(&format!("<c r=\"{cell}\"")).expect("note cell");
            let open_end = start + s[start..].find('>').expect("tag end") + 1;
            let end = if s[..open_end].ends_with("/>") {
                open_end
            } else {
                start + s[start..].find("</c>").expect("closing") + 4
            };
            data = format!("{}{xml}{}", &s[..start], &s[end..]).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start entry");
        out.write_all(&data).expect("write entry");
    }
    std::fs::write(path, out.finish().expect("finish zip").into_inner()).expect("write workbook");
}

/// The anomaly rows of a 退回 workbook's table (序号, 指标, 单元格, 你填的值, 上年数, 级别, 问题,
/// 怎么改), as text cells: those whose 问题 ends in an A code.
fn verify_rows(path: &Path) -> Vec<Vec<String>> {
    let r = sheet(path, "退回清单");
    let rows: Vec<Vec<String>> = r
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect();
    let head = rows
        .iter()
        .position(|row| row.iter().any(|c| c == "你填的值"))
        .unwrap_or_else(|| panic!("no table in {}", path.display()));
    rows[head + 1..]
        .iter()
        .take_while(|row| row.iter().any(|c| !c.is_empty()))
        .filter(|row| row[6].contains("（A"))
        .cloned()
        .collect()
}

fn feedback_of(out: &Path, unit: &str) -> Option<PathBuf> {
    std::fs::read_dir(out.join("退回"))
        .expect("feedback dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().contains(unit))
}

fn anomaly<'a>(f: &'a serde_json::Value, unit: &str, code: &str) -> &'a serde_json::Value {
    f["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .find(|a| a["unit"] == unit && a["code"] == code)
        .unwrap_or_else(|| panic!("no {code} of {unit}"))
}

fn unverified_of(f: &serde_json::Value, code: &str) -> Vec<String> {
    f["indicators"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(f["rates"].as_array().into_iter().flatten())
        .find(|i| i["code"] == code)
        .and_then(|i| i["unverified"].as_array())
        .unwrap_or_else(|| panic!("no figure {code}"))
        .iter()
        .map(|u| u.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The sample county's planted anomalies, as a unit and a reviewer meet them: 县交通运输局's
/// 元/万元 slip (A03, ZF07) and 马庄乡's copied year (A05) reach their 退回 workbooks as 需核实
/// items, 县城市管理局 explains its jumps (A01, ZF06 and ZF07) in the rows' 说明; the reviewer confirms the
/// copied year and rejects the slip with `huizong accept`/`reject`; the figures and the draft
/// say which values are unverified; `--strict` holds those units back.
#[test]
fn explanations_and_verification_from_the_unit_to_the_draft() {
    let dir = sample(false);
    let now = dir.path().join("2024");
    let d09 = workbook(&now, "411321-D09");
    write_note(&d09, "ZF06", "开展占道经营专项整治，处罚案件增加属实");
    write_note(&d09, "ZF07", "处罚案件增加，罚没金额相应增加");

    let out = dir.path().join("out");
    run_county(dir.path(), &out).code(1);
    let f = figures(&out);
    let slip = anomaly(&f, "411321-D05", "A03");
    assert_eq!(slip["status"], "待核实");
    let copied = anomaly(&f, "411321-T06", "A05");
    assert_eq!(copied["status"], "待核实");
    let jump = f["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["unit"] == "411321-D09" && a["indicator"] == "ZF06")
        .expect("D09 ZF06");
    assert_eq!(jump["status"], "已说明");
    assert_eq!(
        jump["explanation"],
        "开展占道经营专项整治，处罚案件增加属实"
    );
    // Explained: below the open warnings of its tier.
    let rank = |a: &serde_json::Value| a["rank"].as_u64().unwrap();
    assert!(rank(jump) > rank(slip) && rank(jump) > rank(copied));
    // The slip and the copied year reach the units; the explained one does not.
    let rows = verify_rows(&feedback_of(&out, "411321-D05").expect("D05 退回"));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1], "ZF07 罚没金额");
    assert_eq!(rows[0][3], "55.46");
    assert_eq!(rows[0][4], "642331");
    assert!(rows[0][7].starts_with("请核实该数值：如有误请更正；如属实请在该行“说明”栏写明原因"));
    assert!(rows[0][7].contains("按元应为554,600元"), "{rows:?}");
    let t06 = feedback_of(&out, "411321-T06").expect("T06 has no rule findings, yet a 退回");
    assert_eq!(verify_rows(&t06)[0][1], "整份报表");
    let d09_rows = feedback_of(&out, "411321-D09").map(|p| verify_rows(&p));
    assert!(
        d09_rows
            .iter()
            .flatten()
            .all(|r| !r[1].starts_with("ZF06 ")),
        "{d09_rows:?}"
    );
    // Figures that include the unverified values name the units.
    let zf07 = unverified_of(&f, "ZF07");
    assert!(zf07.contains(&"411321-D05".to_string()), "{zf07:?}");
    assert!(zf07.contains(&"411321-T06".to_string()), "{zf07:?}");
    assert!(unverified_of(&f, "ZF06").contains(&"411321-T06".to_string()));
    assert!(!unverified_of(&f, "ZF06").contains(&"411321-D09".to_string()));
    assert!(unverified_of(&f, "RZF03").contains(&"411321-D05".to_string()));
    assert!(
        unverified_of(&f, "FY02").is_empty(),
        "the county office's own figure"
    );

    // The draft never states them as plain fact.
    let text = draft_md(&out, &dir.path().join("draft.md"));
    let line = text
        .lines()
        .find(|l| l.contains("作出行政处罚决定"))
        .expect("处罚 sentence");
    assert!(line.contains("罚没金额"), "{line}");
    assert!(line.contains("（含待核实数据）。"), "{line}");
    assert!(text.contains("全年收到行政复议案件70件，与去年同期相比收案量增长204%。"));
    assert!(text.contains("## 含待核实数据的数字"));
    let csv = std::fs::read_to_string(dir.path().join("draft_数据来源.csv")).expect("sources");
    assert!(csv.lines().next().unwrap_or("").ends_with(",待核实单位"));

    // The reviewer's decisions.
    let file = dir.path().join("审核").join("accept.toml");
    let decide = |args: &[&str]| {
        let mut cmd = huizong();
        cmd.args(args).arg("--file").arg(&file);
        cmd.assert()
    };
    let said = decide(&[
        "accept",
        "411321-T06",
        "A05",
        "--reason",
        "该乡两年工作量确实相同，已电话核实",
        "--by",
        "张三",
    ])
    .code(0)
    .get_output()
    .stdout
    .clone();
    assert!(String::from_utf8_lossy(&said).contains("已记录（新增）：确认 411321-T06 A05"));
    decide(&[
        "reject",
        "411321-D05",
        "A03",
        "--indicator",
        "ZF07",
        "--reason",
        "罚没台账为55.46万元，请按元填报",
    ])
    .code(0);
    for (args, words) in [
        (
            &[
                "accept",
                "411321-D05",
                "V25",
                "--reason",
                "数据核对无误有依据",
            ][..],
            "是校验规则",
        ),
        (
            &[
                "accept",
                "411321-D05",
                "S08",
                "--reason",
                "数据核对无误有依据",
            ][..],
            "是校验规则",
        ),
        (
            &[
                "accept",
                "411321-D05",
                "A99",
                "--reason",
                "数据核对无误有依据",
            ][..],
            "没有代码",
        ),
        (
            &[
                "reject",
                "411321-D05",
                "A03",
                "--indicator",
                "ZF99",
                "--reason",
                "数据核对无误有依据",
            ][..],
            "ZF99",
        ),
        (
            &[
                "accept",
                "411321-D05",
                "A03",
                "--indicator",
                "ZF07",
                "--reason",
                "属实",
            ][..],
            "--reason",
        ),
    ] {
        let err = decide(args).code(2).get_output().stderr.clone();
        let err = String::from_utf8_lossy(&err);
        assert!(err.contains(words), "{args:?}: {err}");
    }
    assert_eq!(
        std::fs::read_to_string(&file)
            .expect("file")
            .matches("[[accept]]")
            .count(),
        2
    );
    let reviewed = dir.path().join("reviewed");
    huizong()
        .args(["run", "--year", "2024", "--quiet"])
        .arg(&now)
        .arg("--prior")
        .arg(dir.path().join("2023"))
        .arg("--out")
        .arg(&reviewed)
        .arg("--accept")
        .arg(&file)
        .assert()
        .code(1);
    let f = figures(&reviewed);
    let copied = anomaly(&f, "411321-T06", "A05");
    assert_eq!(copied["status"], "已确认");
    assert_eq!(copied["accepted"], true);
    let slip = anomaly(&f, "411321-D05", "A03");
    assert_eq!(slip["status"], "不予认可");
    assert_eq!(slip["accepted"], false);
    assert_eq!(slip["reject_reason"], "罚没台账为55.46万元，请按元填报");
    assert!(
        feedback_of(&reviewed, "411321-T06").is_none(),
        "confirmed: nothing to do"
    );
    let rows = verify_rows(&feedback_of(&reviewed, "411321-D05").expect("D05 退回"));
    assert!(rows[0][6].contains("审核意见：罚没台账为55.46万元，请按元填报"));
    assert!(rows[0][7].starts_with("审核未认可"));
    assert!(!unverified_of(&f, "ZF06").contains(&"411321-T06".to_string()));
    assert!(unverified_of(&f, "ZF07").contains(&"411321-D05".to_string()));

    // --strict: the units with open items are held back and their data is not in the totals.
    let strict = dir.path().join("strict");
    huizong()
        .args(["run", "--year", "2024", "--quiet", "--strict"])
        .arg(&now)
        .arg("--prior")
        .arg(dir.path().join("2023"))
        .arg("--out")
        .arg(&strict)
        .arg("--accept")
        .arg(&file)
        .assert()
        .code(1);
    let s = figures(&strict);
    let held: Vec<&str> = s["coverage"]["held_unverified"]
        .as_array()
        .expect("held")
        .iter()
        .filter_map(|u| u.as_str())
        .collect();
    assert!(held.contains(&"411321-D05"), "{held:?}");
    assert!(!held.contains(&"411321-T06"), "confirmed: kept {held:?}");
    assert!(!held.contains(&"411321-D09"), "explained: kept {held:?}");
    let in_units = |f: &serde_json::Value, u: &str| {
        f["units"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == u)
    };
    assert!(!in_units(&s, "411321-D05") && in_units(&s, "411321-T06"));
    let value = |f: &serde_json::Value, code: &str| {
        f["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .unwrap()["value"]
            .as_f64()
            .unwrap()
    };
    let held_zf07: f64 = f["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| held.contains(&u["code"].as_str().unwrap_or_default()))
        .filter_map(|u| u["values"]["ZF07"].as_f64())
        .sum();
    assert!((value(&f, "ZF07") - held_zf07 - value(&s, "ZF07")).abs() < 1e-6);
    for code in ["ZF06", "ZF07", "RZF03"] {
        assert!(unverified_of(&s, code).is_empty(), "{code}");
    }
    let files = sheet(&strict.join("汇总_2024.xlsx"), "报送情况");
    let d05 = files
        .rows()
        .find(|r| r.first().is_some_and(|c| *c == "411321-D05"))
        .expect("D05 row");
    assert_eq!(d05[3].to_string(), "暂缓汇总(待核实)");
    assert!(feedback_of(&strict, "411321-D05").is_some());
    let note = sheet(&strict.join("汇总_2024.xlsx"), "汇总");
    assert!(note
        .get_value((1, 0))
        .map(|c| c.to_string())
        .unwrap_or_default()
        .contains("因有待核实事项（严格模式）暂未汇总"));
}

/// `check --prior` runs the unit-only anomalies: the unit's 说明 settles its A03 exactly as
/// in `run`, shown as 已说明 with the text.
#[test]
fn check_shows_an_explained_anomaly_as_settled() {
    let dir = sample(false);
    let d05 = workbook(&dir.path().join("2024"), "411321-D05");
    write_note(&d05, "ZF07", "本年误按万元填报，已知悉将更正");
    let out = huizong()
        .arg("check")
        .arg(dir.path().join("2024"))
        .arg("--prior")
        .arg(dir.path().join("2023"))
        .args(["--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let find = |code: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("{code}"))
            .clone()
    };
    let a03 = find("A03");
    assert_eq!(a03["status"], "已说明");
    assert_eq!(a03["explanation"], "本年误按万元填报，已知悉将更正");
    assert_eq!(find("A05")["status"], "待核实");
    let text = check_stdout(dir.path(), true, 1);
    assert!(
        text.contains("按元应为554,600元（已说明：本年误按万元填报，已知悉将更正）"),
        "{text}"
    );
}
