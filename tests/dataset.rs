//! The open dataset end to end: three generated counties' runs added with `huizong dataset add`
//! (again for one of them: the same bytes, still one file per county-year), a roll-up's output
//! refused, and DuckDB (Python's `duckdb`, installed by .ci/run) reading the partitions as one
//! table and reproducing the roll-up's totals exactly. Without python3 or duckdb the DuckDB part
//! is skipped with a message, except under CI=true, where it fails.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary is built")
}

const COUNTIES: [&str; 3] = ["411321", "411322", "411323"];

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(parquet_files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn duckdb_reads_the_dataset_and_reproduces_the_rollup() {
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let root = root.path();
    let outs: Vec<PathBuf> = COUNTIES
        .iter()
        .map(|c| common::county_output(root, c, true, Some(14)))
        .collect();
    let ds = root.join("数据集");
    for o in &outs {
        huizong()
            .args(["dataset", "add"])
            .arg(o)
            .arg("--into")
            .arg(&ds)
            .assert()
            .success();
    }
    let files = parquet_files(&ds);
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(
        files[0].ends_with("year=2024/region=411321/part-0.parquet"),
        "{files:?}"
    );
    // adding a county-year again replaces it: the same bytes, no second file
    let before = std::fs::read(&files[0]).expect("part");
    let again = huizong()
        .args(["dataset", "add"])
        .arg(&outs[0])
        .arg("--into")
        .arg(&ds)
        .output()
        .expect("add");
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("已替换"));
    assert_eq!(parquet_files(&ds), files);
    assert_eq!(std::fs::read(&files[0]).expect("part"), before);

    // the city's totals
    let registry = root.join("city.csv");
    let mut text =
        "code,name,kind,parent,active_from,active_to,predecessors,villages\n".to_string();
    for c in COUNTIES {
        text.push_str(&format!("{c},县{c},county,411300,2015,,,\n"));
    }
    std::fs::write(&registry, text).expect("registry");
    let city = root.join("city");
    huizong()
        .args(["rollup", "--year", "2024", "--registry"])
        .arg(&registry)
        .args(&outs)
        .arg("--out")
        .arg(&city)
        .assert()
        .code(0);
    // a roll-up's output is not a county-year: its sums are the dataset's own
    let refused = huizong()
        .args(["dataset", "add"])
        .arg(&city)
        .arg("--into")
        .arg(&ds)
        .output()
        .expect("add");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains(&city.display().to_string()));

    let figures: Value =
        serde_json::from_slice(&std::fs::read(city.join("figures_2024.json")).expect("json"))
            .expect("parse");
    let want: BTreeMap<String, String> = figures["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .filter_map(|i| {
            Some((
                i["code"].as_str()?.to_string(),
                format!("{:.2}", i["value"].as_f64()?),
            ))
        })
        .collect();
    let Some(got) = duckdb_totals(&ds) else {
        return;
    };
    assert_eq!(got, want);
}

/// Σ value per indicator over the dataset's 2024 partitions, by DuckDB, in exact decimals; `None`
/// (skipped) without python3/duckdb unless CI=true.
fn duckdb_totals(ds: &Path) -> Option<BTreeMap<String, String>> {
    let script = r#"
import sys, json, duckdb
con = duckdb.connect()
rows = con.execute(
    "SELECT indicator, CAST(SUM(CAST(value AS DECIMAL(18,2))) AS VARCHAR) "
    "FROM read_parquet(? || '/**/*.parquet', hive_partitioning = true) "
    "WHERE year = 2024 GROUP BY indicator",
    [sys.argv[1]],
).fetchall()
print(json.dumps(dict(rows)))
"#;
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(ds)
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let map: BTreeMap<String, String> =
                serde_json::from_slice(&o.stdout).expect("duckdb output");
            Some(map)
        }
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                !ci,
                "CI=true: python3 with duckdb is required (.ci/run installs it): {why}"
            );
            eprintln!("跳过 DuckDB 检查：本机没有 python3 或 duckdb（pip install duckdb）：{why}");
            None
        }
    }
}
