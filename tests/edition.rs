//! Schema editions (issue #19): a county whose 2025 files use fazhi-2024 and 2026 files
//! fazhi-2025, run end to end and checked figure by figure against a naive oracle; the mapping
//! as a property (mapped priors add up to the old totals where the mapping is total); the
//! loader's refusals with line and column; `huizong schema diff`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::Value as Json;

use huizong::aggregate::{map_edition, Record};
use huizong::draft::{self, OmitReason, TemplateSet};
use huizong::registry::UnitKind;
use huizong::schema::{edition, Aggregation, Schema};

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary built")
}

fn embedded(id: &str) -> Schema {
    Schema::load(Some(Path::new(id))).expect("embedded edition loads")
}

// ---------------------------------------------------------------------------------------------
// End to end

/// The sample county written with 2025 in fazhi-2024 and 2026 in fazhi-2025, 2025 run into
/// `out25`.
struct County {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl County {
    fn new() -> County {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        huizong()
            .args(["sample", "--schema", "fazhi-2025", "--years", "2025,2026"])
            .args(["--prior-edition", "--clean", "--out"])
            .arg(root.join("s"))
            .assert()
            .success();
        let c = County { _dir: dir, root };
        c.run(2025, &[], c.root.join("s/2025"), "out25");
        c
    }

    /// `huizong run` of `year` over the sample's folder, exit 0 or 1; returns the output folder.
    fn run(&self, year: i32, extra: &[&str], input: PathBuf, out: &str) -> PathBuf {
        let out = self.root.join(out);
        let o = huizong()
            .args(["run", "--quiet", "--year", &year.to_string(), "--registry"])
            .arg(self.root.join("s/units.csv"))
            .arg(input)
            .args(extra)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run");
        assert!(
            o.status.code().is_some_and(|c| c <= 1),
            "run {year}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        out
    }

    fn run_2026(&self, prior: &Path, out: &str) -> PathBuf {
        let p = prior.to_str().expect("utf-8 path");
        let input = self.root.join("s/2026");
        self.run(2026, &["--schema", "fazhi-2025", "--prior", p], input, out)
    }
}

fn figures(out: &Path, year: i32) -> Json {
    let text = std::fs::read_to_string(out.join(format!("figures_{year}.json"))).expect("json");
    serde_json::from_str(&text).expect("figures parse")
}

/// history.csv rows as (year, unit kind, indicator, value, edition), read naively.
fn history_rows(path: &Path) -> Vec<(i32, String, String, f64, String)> {
    let text = std::fs::read_to_string(path).expect("history");
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("年度,单位代码,单位类型,指标代码,数值,来源,指标体系")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 7, "{l}");
            (
                f[0].parse().expect("year"),
                f[2].to_string(),
                f[3].to_string(),
                f[4].parse().expect("value"),
                f[6].to_string(),
            )
        })
        .collect()
}

/// What the county figure of last year should be for this year's indicator `code`, computed
/// the plain way from last year's rows in last year's codes: the fazhi-2025 changes written out
/// by hand. `Err(reason)` when there is no comparable prior.
fn oracle(
    old: &Schema,
    rows: &[(i32, String, String, f64, String)],
    code: &str,
) -> Result<Option<f64>, &'static str> {
    let sum = |c: &str| -> Option<f64> {
        let ind = old.indicator(c)?;
        let counted = |kind: &str| {
            let kind = UnitKind::parse(kind).expect("kind");
            if ind.aggregation == Aggregation::County {
                // the county office's value, or the court's when the office does not report it
                if ind.reported_by(UnitKind::CountyOffice) {
                    kind == UnitKind::CountyOffice
                } else {
                    kind == UnitKind::External
                }
            } else {
                ind.reported_by(kind)
            }
        };
        let v: Vec<f64> = rows
            .iter()
            .filter(|r| r.0 == 2025 && r.2 == c && counted(&r.1))
            .map(|r| r.3)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };
    match code {
        "GX01" => Ok(sum("GF01")),
        "FY04" => Ok(match (sum("FY04"), sum("FY05")) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        }),
        "ZF07" => Ok(sum("ZF07").map(|v| v * 0.0001)),
        "ZF06I" | "ZF06J" => Err("口径变化"),
        "ZF16" => Err("新增指标"),
        other => Ok(sum(other)),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn every_mapping_kind_end_to_end() {
    let c = County::new();
    let out25 = c.root.join("out25");
    let old = embedded("fazhi-2024");
    let rows25 = history_rows(&out25.join("history.csv"));
    assert!(rows25.iter().all(|r| r.4 == "fazhi-2024"));
    // The prior as history.csv (指标体系 column) and as last year's folder (cover version).
    let by_history = c.run_2026(&out25.join("history.csv"), "out26h");
    let by_folder = c.run_2026(&c.root.join("s/2025"), "out26f");
    let fh = figures(&by_history, 2026);
    let ff = figures(&by_folder, 2026);
    let mut checked = 0;
    for (fig, folder) in fh["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .zip(ff["indicators"].as_array().expect("indicators"))
    {
        let code = fig["code"].as_str().expect("code");
        assert_eq!(folder["code"], fig["code"]);
        for key in ["prior", "prior_reported", "change", "comparable"] {
            assert_eq!(fig[key], folder[key], "{code} {key}: history vs folder");
        }
        match oracle(&old, &rows25, code) {
            Err(reason) => {
                assert_eq!(fig["comparable"], false, "{code}");
                assert_eq!(fig["not_comparable_reason"], reason, "{code}");
                assert!(
                    fig["prior"].is_null() && fig["change_pct"].is_null(),
                    "{fig}"
                );
            }
            Ok(want) => {
                assert_eq!(fig["comparable"], true, "{code}");
                let got = fig["prior_reported"].as_f64();
                match (want, got) {
                    (Some(w), Some(g)) => assert!(close(w, g), "{code}: {g} ≠ oracle {w}"),
                    (w, g) => assert_eq!(w, g, "{code}"),
                }
                if let (Some(v), Some(p)) = (fig["value"].as_f64(), fig["prior"].as_f64()) {
                    let change = fig["change"].as_f64().expect("change");
                    assert!(close(change, v - p), "{code}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 101, "all comparable indicators compared");
    // Each mapping kind says how its prior was taken.
    let mapping = |code: &str| {
        let f = fh["indicators"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["code"] == code))
            .expect("figure");
        f["prior_mapping"].as_str().unwrap_or("").to_string()
    };
    assert_eq!(mapping("GX01"), "上年为 GF01（改代码）");
    assert_eq!(mapping("FY04"), "上年为 FY04 + FY05 之和（合并）");
    assert_eq!(mapping("ZF07"), "上年数 × 0.0001（改单位）");
    assert_eq!(
        mapping("ZF06J"),
        "由上年 ZF06I 拆分，未给出比例，上年数不可比"
    );
    assert_eq!(mapping("ZF16"), "本版新增，上年没有此项");
    assert_eq!(mapping("GF02"), "");
    // A rate resting on a split part is not comparable; one resting on the unit change is.
    let rate = |code: &str| {
        fh["rates"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["code"] == code))
            .cloned()
            .expect("rate")
    };
    assert_eq!(rate("RZF03")["comparable"], true);
    assert!(rate("RZF03")["prior_value"].as_f64().is_some());
    // The history keeps each year in its own edition and codes.
    let rows = history_rows(&by_history.join("history.csv"));
    assert!(rows
        .iter()
        .all(|r| (r.0 == 2025) == (r.4 == "fazhi-2024") && (r.0 == 2026) == (r.4 == "fazhi-2025")));
    assert!(rows.iter().any(|r| r.0 == 2025 && r.2 == "GF01"));
    assert!(rows.iter().any(|r| r.0 == 2026 && r.2 == "GX01"));
    assert!(!rows.iter().any(|r| r.0 == 2026 && r.2 == "GF01"));
    let old_rows: Vec<_> = rows.iter().filter(|r| r.0 == 2025).collect();
    assert_eq!(old_rows.len(), rows25.len(), "2025 rows carried as read");
    // The summary says why, never 无上年数: the new indicator in 汇总's 备注, the renamed one
    // on 概览 under its new code, compared with its old one.
    let strings = zip_member(&by_history.join("汇总_2026.xlsx"), "xl/sharedStrings.xml");
    assert!(strings.contains("不可比（新增指标）"), "汇总 备注");
    let wb = by_history.join("汇总_2026.xlsx");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&wb).expect("summary");
    let overview = calamine::Reader::worksheet_range(&mut book, "概览").expect("概览");
    let gx01 = overview
        .rows()
        .find(|r| r[0].to_string().starts_with(&fig_name(&fh, "GX01")))
        .expect("GX01 on 概览");
    assert!(
        !gx01[2].to_string().is_empty(),
        "compared with GF01: {gx01:?}"
    );
}

fn fig_name(f: &Json, code: &str) -> String {
    f["indicators"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == code))
        .and_then(|i| i["name"].as_str())
        .expect("figure")
        .to_string()
}

#[test]
fn draft_says_why_instead_of_prior_missing() {
    let c = County::new();
    let out = c.run_2026(&c.root.join("out25/history.csv"), "out26");
    let mut f = draft::load_figures(&out, 2026).expect("figures load");
    let d = draft::draft(&f, &TemplateSet::defaults()).expect("draft renders");
    let reasons: Vec<(OmitReason, Vec<String>)> = d
        .omitted
        .iter()
        .map(|o| (o.reason, o.codes.clone()))
        .collect();
    // The default templates were written for fazhi-2024: a dropped and a merged-away code are
    // not in this edition, never 数据缺失 or 上年缺失; the renamed GF01 is found as GX01.
    assert_eq!(
        reasons,
        [
            (OmitReason::NotInEdition, vec!["ZF03".to_string()]),
            (OmitReason::NotInEdition, vec!["FY05".to_string()]),
        ]
    );
    let text = draft::markdown::render(&d);
    assert!(text.contains("全年共制定印发规范性文件"), "{text}");
    assert!(
        !text.contains("上年缺失") && !text.contains("上年为0"),
        "{text}"
    );
    // The remark a sheet shows for a figure without a comparable prior.
    let remark = |code: &str| {
        let f = f
            .indicators
            .iter()
            .find(|i| i.code == code)
            .expect("figure");
        huizong::report::edition_notes::not_comparable_remark(f)
    };
    assert_eq!(remark("ZF16").as_deref(), Some("不可比（新增指标）"));
    assert_eq!(remark("ZF06J").as_deref(), Some("不可比（口径变化）"));
    assert_eq!(remark("GX01"), None);
    // A figure without a comparable prior: its YoY sentence is left out with the reason.
    let gx01 = f
        .indicators
        .iter_mut()
        .find(|i| i.code == "GX01")
        .expect("GX01");
    gx01.comparable = false;
    gx01.not_comparable_reason = Some(edition::REDEFINED.into());
    gx01.prior = None;
    gx01.change = None;
    gx01.change_pct = None;
    let d = draft::draft(&f, &TemplateSet::defaults()).expect("draft renders");
    let redefined: Vec<&draft::Omitted> = d
        .omitted
        .iter()
        .filter(|o| o.reason == OmitReason::Redefined)
        .collect();
    assert_eq!(redefined.len(), 1, "{:#?}", d.omitted);
    assert_eq!(redefined[0].codes, ["GF01"]);
    assert!(draft::markdown::omitted_line(redefined[0]).contains("（口径变化，不可比：GF01）"));
}

#[test]
fn history_without_edition_column_is_the_schema_in_force() {
    // The issue's case: last year's history (six columns, so read as the edition in force)
    // holds a code that edition does not know: S15 on the history file, exit 1, not silence.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    huizong()
        .args(["sample", "--clean", "--years", "2024", "--out"])
        .arg(root.join("s"))
        .assert()
        .success();
    let history = root.join("h.csv");
    std::fs::write(
        &history,
        "\u{feff}年度,单位代码,单位类型,指标代码,数值,来源\n\
         2023,411321-D01,department,GX01,4,上年.xlsx!统计表!D5\n\
         2023,411321-D01,department,GF02,4,上年.xlsx!统计表!D6\n",
    )
    .expect("history written");
    let out = huizong()
        .args(["run", "--quiet", "--year", "2024", "--registry"])
        .arg(root.join("s/units.csv"))
        .arg(root.join("s/2024"))
        .arg("--prior")
        .arg(&history)
        .arg("--out")
        .arg(root.join("out"))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The finding is on the summary's 校验问题 sheet, naming the file and the code.
    let strings = zip_member(&root.join("out/汇总_2024.xlsx"), "xl/sharedStrings.xml");
    assert!(strings.contains("S15"), "no S15 in the summary");
    assert!(strings.contains("指标代码“GX01”既不在上年的指标体系（fazhi-2024）中"));
    assert!(!strings.contains("“GF02”既不在"));
    // The history written keeps the rows in the edition in force.
    let rows = history_rows(&root.join("out/history.csv"));
    assert!(rows.iter().all(|r| r.4 == "fazhi-2024"));
}

#[test]
fn a_prior_in_an_edition_without_mapping_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let history = dir.path().join("h.csv");
    std::fs::write(
        &history,
        "年度,单位代码,单位类型,指标代码,数值,来源,指标体系\n2025,T1,township,GF01,4,,fazhi-2019\n",
    )
    .expect("history written");
    huizong()
        .args(["sample", "--clean", "--years", "2026", "--out"])
        .arg(dir.path().join("s"))
        .assert()
        .success();
    let out = huizong()
        .args([
            "run",
            "--quiet",
            "--year",
            "2026",
            "--schema",
            "fazhi-2025",
            "--registry",
        ])
        .arg(dir.path().join("s/units.csv"))
        .arg(dir.path().join("s/2026"))
        .arg("--prior")
        .arg(&history)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fazhi-2019") && err.contains("--schema"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

// ---------------------------------------------------------------------------------------------
// The mapping as a property

const OLD: &str = r#"
[schema]
id = "t-1"
title = "测试"
edition = "1"
template_version = "t-1.1"

[[sections]]
code = "AA"
name = "一"

[[indicators]]
code = "AA01"
section = "AA"
name = "同代码"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"

[[indicators]]
code = "AA02"
section = "AA"
name = "改代码"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"

[[indicators]]
code = "AA03"
section = "AA"
name = "拆分"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"

[[indicators]]
code = "AA04"
section = "AA"
name = "合并一"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"

[[indicators]]
code = "AA05"
section = "AA"
name = "合并二"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"

[[indicators]]
code = "AA06"
section = "AA"
name = "金额"
unit = "元"
value_type = "amount"
reporters = ["township"]
aggregation = "sum"

[[indicators]]
code = "AA07"
section = "AA"
name = "删除"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"
"#;

const NEW: &str = r#"
[schema]
id = "t-2"
title = "测试"
edition = "2"
template_version = "t-2.1"

[previous]
id = "t-1"
dropped = ["AA07"]

[[sections]]
code = "AA"
name = "一"

[[indicators]]
code = "AA01"
section = "AA"
name = "同代码"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"

[[indicators]]
code = "AB01"
section = "AA"
name = "改代码"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"
renamed_from = "AA02"

[[indicators]]
code = "AA03A"
section = "AA"
name = "拆分一"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"
split_from = "AA03"
share = 0.25

[[indicators]]
code = "AA03B"
section = "AA"
name = "拆分二"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"
split_from = "AA03"
share = 0.75

[[indicators]]
code = "AA04"
section = "AA"
name = "合并"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"
merged_from = ["AA04", "AA05"]

[[indicators]]
code = "AA06"
section = "AA"
name = "金额"
unit = "万元"
value_type = "amount"
reporters = ["township"]
aggregation = "sum"
unit_factor = 0.0001

[[indicators]]
code = "AA08"
section = "AA"
name = "新增"
unit = "件"
value_type = "count"
reporters = ["township"]
aggregation = "sum"
new = true
"#;

fn pair() -> (Schema, Schema) {
    let old = Schema::parse(OLD, Path::new("old.toml")).expect("old parses");
    let mut new = Schema::parse(NEW, Path::new("new.toml")).expect("new parses");
    edition::resolve(&mut new, Some(old.clone())).expect("mapping checks");
    (old, new)
}

fn record(unit: &str, code: &str, value: f64) -> Record {
    Record {
        year: 2025,
        unit: Arc::from(unit),
        kind: UnitKind::Township,
        indicator: Arc::from(code),
        value,
        origin: Arc::from(""),
    }
}

const OLD_CODES: [&str; 8] = [
    "AA01", "AA02", "AA03", "AA04", "AA05", "AA06", "AA07", "ZZ99",
];

proptest! {
    #[test]
    fn mapped_priors_sum_to_the_old_totals(
        cells in proptest::collection::btree_map((0usize..6, 0usize..8), 0u32..1_000_000, 0..40)
    ) {
        let (old, new) = pair();
        let records: Vec<Record> = cells
            .iter()
            .map(|((u, c), v)| record(&format!("U{u}"), OLD_CODES[*c], f64::from(*v)))
            .collect();
        let mapped = map_edition(&records, 2026, &old, &new);
        let out = mapped.records.expect("mapped from the previous edition");
        let total = |rs: &[Record], codes: &[&str]| -> f64 {
            rs.iter().filter(|r| codes.contains(&&*r.indicator)).map(|r| r.value).sum()
        };
        // Where the mapping is total (same, renamed, split with shares, merged) nothing is lost.
        let before = total(&records, &["AA01", "AA02", "AA03", "AA04", "AA05"]);
        let after = total(&out, &["AA01", "AB01", "AA03A", "AA03B", "AA04"]);
        prop_assert!((before - after).abs() <= 1e-6 * before.max(1.0), "{before} vs {after}");
        // The unit change scales the total.
        let yuan = total(&records, &["AA06"]);
        let wan = total(&out, &["AA06"]);
        prop_assert!((yuan * 0.0001 - wan).abs() <= 1e-9 * yuan.max(1.0));
        // Per unit: the merge adds, the split divides by its shares.
        for u in 0..6 {
            let unit = format!("U{u}");
            let of = |rs: &[Record], c: &str| rs.iter().find(|r| *r.unit == *unit && &*r.indicator == c).map(|r| r.value);
            let merged = match (of(&records, "AA04"), of(&records, "AA05")) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            };
            prop_assert_eq!(of(&out, "AA04"), merged);
            prop_assert_eq!(of(&out, "AA03A"), of(&records, "AA03").map(|v| v * 0.25));
            prop_assert_eq!(of(&out, "AB01"), of(&records, "AA02"));
        }
        // Dropped and new codes carry nothing; the code neither edition knows is counted.
        prop_assert!(out.iter().all(|r| !["AA07", "AA08", "AA02", "AA05", "ZZ99"].contains(&&*r.indicator)));
        let zz = records.iter().filter(|r| &*r.indicator == "ZZ99").count();
        prop_assert_eq!(mapped.unknown.get("ZZ99").copied().unwrap_or(0), zz);
    }
}

// ---------------------------------------------------------------------------------------------
// The loader's refusals

/// 1-based line and column (characters) of the first `needle` in `text`, plus `skip` chars.
fn position(text: &str, needle: &str, skip: usize) -> (usize, usize) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1 + skip;
    (line, col)
}

/// Loads `text` as fazhi-2025 against the embedded fazhi-2024; the refusal's (line, col, message).
fn refusal(text: &str) -> (usize, usize, String) {
    let checked = Schema::parse(text, Path::new("new.toml")).and_then(|mut s| {
        edition::resolve(&mut s, None)?;
        Ok(s)
    });
    match checked {
        Err(huizong::Error::Schema {
            line, col, message, ..
        }) => (line, col, message),
        Err(e) => panic!("not a schema error: {e}"),
        Ok(_) => panic!("accepted"),
    }
}

const FAZHI_2025: &str = include_str!("../schemas/fazhi-2025.toml");

#[test]
fn the_example_edition_loads_and_is_the_declared_change() {
    let s = embedded("fazhi-2025");
    assert_eq!(s.previous().map(|p| p.id.as_str()), Some("fazhi-2024"));
    let m = s.mapping.as_ref().expect("mapping");
    assert_eq!(m.dropped, ["ZF03"]);
    let not_comparable: Vec<(&str, &str)> = m
        .links
        .iter()
        .filter_map(|l| Some((l.code.as_str(), l.not_comparable()?)))
        .collect();
    assert_eq!(
        not_comparable,
        [
            ("ZF06I", "口径变化"),
            ("ZF06J", "口径变化"),
            ("ZF16", "新增指标")
        ]
    );
}

#[test]
fn inconsistent_mappings_are_refused_with_line_and_column() {
    let t = FAZHI_2025;
    let edit = |from: &str, to: &str| {
        assert!(t.contains(from), "{from}");
        t.replacen(from, to, 1)
    };
    // (text, needle whose position is expected, chars into it, message part)
    let cases: Vec<(String, &str, usize, &str)> = vec![
        (
            edit("renamed_from = \"GF01\"", "renamed_from = \"GF99\""),
            "\"GF99\"",
            0,
            "上一版（fazhi-2024）没有指标“GF99”",
        ),
        (
            // GX01 takes GF02, which this edition also keeps under its own code
            edit("renamed_from = \"GF01\"", "renamed_from = \"GF02\""),
            "code = \"GF02\"",
            7,
            "上一版指标“GF02”已对应到本版的“GX01”",
        ),
        (
            edit(
                "split_from = \"ZF06I\"\n\n[[indicators]]",
                "split_from = \"ZF06I\"\nshare = 0.6\n\n[[indicators]]",
            )
            .replacen(
                "parent = \"ZF06\"\nsplit_from = \"ZF06I\"\n",
                "parent = \"ZF06\"\nsplit_from = \"ZF06I\"\nshare = 0.3\n",
                2,
            ),
            "code = \"ZF06I\"",
            7,
            "share 合计为 0.9，应为 1",
        ),
        (
            edit(
                "split_from = \"ZF06I\"\n\n[[indicators]]",
                "split_from = \"ZF06I\"\nshare = 0.6\n\n[[indicators]]",
            ),
            "code = \"ZF06J\"",
            7,
            "有的写了 share、有的没写（“ZF06J”没写）",
        ),
        (
            edit("[previous]\nid = \"fazhi-2024\"\ndropped = [\"ZF03\"]", ""),
            "\"GF01\"",
            0,
            "但文件中没有 [previous]",
        ),
        (
            edit("unit_factor = 0.0001", ""),
            "code = \"ZF07\"",
            7,
            "单位是“元”，本版“ZF07”是“万元”：请写 unit_factor",
        ),
        (
            edit("dropped = [\"ZF03\"]", ""),
            "\"fazhi-2024\"",
            0,
            "上一版的指标“ZF03”（本年注销/收回行政执法证件数）在本版中没有去向",
        ),
        (
            edit("dropped = [\"ZF03\"]", "dropped = [\"ZF03\", \"GF01\"]"),
            "\"GF01\"]",
            0,
            "“GF01”写在 dropped 中，但本版指标“GX01”",
        ),
        (
            edit(
                "id = \"fazhi-2024\"\ndropped",
                "id = \"fazhi-2019\"\ndropped",
            ),
            "\"fazhi-2019\"",
            0,
            "上一版指标体系“fazhi-2019”不是内置版本",
        ),
        (
            edit(
                "renamed_from = \"GF01\"",
                "renamed_from = \"GF01\"\nnew = true",
            ),
            "new = true",
            6,
            "同时写了 renamed_from 和 new",
        ),
        (
            edit(
                "split_from = \"ZF06I\"\n\n[[indicators]]",
                "split_from = \"ZF06I\"\nshare = 1.5\n\n[[indicators]]",
            ),
            "share = 1.5",
            8,
            "share 应是大于 0、小于 1 的小数",
        ),
        (
            edit("unit_factor = 0.0001", "unit_factor = -1"),
            "unit_factor = -1",
            14,
            "unit_factor 应是大于 0 的数",
        ),
    ];
    for (text, needle, skip, message) in cases {
        let (line, col, got) = refusal(&text);
        assert_eq!(
            (line, col),
            position(&text, needle, skip),
            "{message}: {got}"
        );
        assert!(got.contains(message), "want “{message}”, got “{got}”");
    }
}

#[test]
fn schema_errors_name_the_file_line_and_column_on_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("新版.toml");
    std::fs::write(
        &bad,
        FAZHI_2025.replacen("renamed_from = \"GF01\"", "renamed_from = \"GF99\"", 1),
    )
    .expect("written");
    let out = huizong()
        .args(["schema", "diff", "fazhi-2024"])
        .arg(&bad)
        .output()
        .expect("diff");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let (line, col) = position(&std::fs::read_to_string(&bad).expect("read"), "\"GF99\"", 0);
    assert!(
        err.contains(&format!("新版.toml 第 {line} 行第 {col} 列")) && err.contains("GF99"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// huizong schema diff

#[test]
fn schema_diff_lists_the_changes() {
    let out = huizong()
        .args(["schema", "diff", "fazhi-2024", "fazhi-2025"])
        .output()
        .expect("diff");
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
    // The other way round there is no declared mapping: refused.
    let back = huizong()
        .args(["schema", "diff", "fazhi-2025", "fazhi-2024"])
        .output()
        .expect("diff");
    assert_eq!(back.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&back.stderr).contains("[previous]"));
}

#[test]
fn templates_of_the_new_edition_prefill_through_the_mapping() {
    let c = County::new();
    let tpl = c.root.join("tpl");
    huizong()
        .args([
            "template",
            "--year",
            "2026",
            "--schema",
            "fazhi-2025",
            "--registry",
        ])
        .arg(c.root.join("s/units.csv"))
        .arg("--prior")
        .arg(c.root.join("out25/history.csv"))
        .arg("--out")
        .arg(&tpl)
        .assert()
        .success();
    let unit = "411321-D01";
    let history = std::fs::read_to_string(c.root.join("out25/history.csv")).expect("history");
    let v = |code: &str| {
        history
            .lines()
            .find(|l| l.contains(&format!(",{unit},")) && l.contains(&format!(",{code},")))
            .and_then(|l| l.split(',').nth(4)?.parse::<f64>().ok())
    };
    let file = std::fs::read_dir(&tpl)
        .expect("templates")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(unit))
        .expect("D01 template");
    let prior = prior_column(&file);
    let got = |code: &str| prior.get(code).copied();
    let gf01 = v("GF01").expect("D01 GF01 in 2025");
    assert_eq!(got("GX01"), Some(gf01), "renamed: last year's GF01");
    assert_eq!(got("GF01"), None);
    let zf07 = v("ZF07").expect("D01 ZF07 in 2025");
    assert!(
        close(got("ZF07").expect("ZF07 prefilled"), zf07 * 0.0001),
        "元 → 万元"
    );
    assert!(got("ZF06").is_some());
    assert_eq!(got("ZF06J"), None, "no comparable prior");
    assert_eq!(got("ZF06I"), None, "no comparable prior");
    assert_eq!(got("ZF16"), None, "new indicator");
}

/// Code → 上年数 of a template's data sheet.
fn prior_column(path: &Path) -> BTreeMap<String, f64> {
    use calamine::{Data, Reader};
    use huizong::sheets::{DataColumn, DATA_FIRST_ROW, DATA_SHEET};
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).expect("template opens");
    let r = wb.worksheet_range(DATA_SHEET).expect("data sheet");
    let at = |row: u32, col: u16| r.get_value((row, u32::from(col))).cloned();
    let last = r.end().map_or(0, |e| e.0);
    (DATA_FIRST_ROW..=last)
        .filter_map(|row| {
            let Some(Data::String(code)) = at(row, DataColumn::Code.template_col()) else {
                return None;
            };
            match at(row, DataColumn::Prior.template_col())? {
                Data::Float(v) => Some((code, v)),
                Data::Int(v) => Some((code, v as f64)),
                _ => None,
            }
        })
        .collect()
}

fn zip_member(path: &Path, name: &str) -> String {
    use std::io::Read;
    let file = std::fs::File::open(path).expect("xlsx");
    let mut zip = zip::ZipArchive::new(file).expect("zip");
    let mut text = String::new();
    zip.by_name(name)
        .expect("member")
        .read_to_string(&mut text)
        .expect("utf-8");
    text
}

#[test]
fn a_previous_edition_outside_the_program_is_given_with_prior_schema() {
    // A province's own pair of editions: neither is built in.
    let dir = tempfile::tempdir().expect("temp dir");
    let old = dir.path().join("省2024.toml");
    let new = dir.path().join("省2025.toml");
    let fazhi_2024 = include_str!("../schemas/fazhi-2024.toml");
    std::fs::write(
        &old,
        fazhi_2024.replacen("id = \"fazhi-2024\"", "id = \"sheng-2024\"", 1),
    )
    .expect("old written");
    std::fs::write(
        &new,
        FAZHI_2025
            .replacen("id = \"fazhi-2025\"", "id = \"sheng-2025\"", 1)
            .replacen("id = \"fazhi-2024\"", "id = \"sheng-2024\"", 1),
    )
    .expect("new written");
    let loaded = Schema::load_with(Some(&new), Some(&old)).expect("loads with --prior-schema");
    assert_eq!(loaded.previous().map(|p| p.id.as_str()), Some("sheng-2024"));
    // Without it the previous edition is unknown: refused at [previous]'s id.
    let err = Schema::load(Some(&new))
        .expect_err("previous unknown")
        .to_string();
    let (line, col) = position(FAZHI_2025, "\"fazhi-2024\"\ndropped", 0);
    assert!(
        err.contains(&format!("第 {line} 行第 {col} 列")) && err.contains("--prior-schema"),
        "{err}"
    );
    // The command line takes both files.
    let out = huizong()
        .args(["schema", "diff"])
        .arg(&old)
        .arg(&new)
        .output()
        .expect("diff");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("指标体系 sheng-2024（2024 年版"));
    // A --prior-schema for a schema that declares no previous edition is refused.
    let plain = Schema::load_with(None, Some(&old)).expect_err("no [previous]");
    assert!(plain.to_string().contains("没有 [previous]"), "{plain}");
}
