//! Guard rails of issue #14 (item 5), end to end through the `huizong` binary: a `--prior` that
//! is not the year before `--year`, a `--year` no workbook carries, `check` of single files
//! without S11, and `template` into a non-empty folder. Each refusal is exit 2 with a message
//! that names the years, writes nothing and leaves earlier outputs as they were.

mod common;
use common::snapshot;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary is built")
}

/// A clean generated county (`units.csv` and one folder per year) in a temp dir.
fn county(units: usize, years: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    huizong()
        .args(["sample", "--clean", "--units", &units.to_string()])
        .args(["--years", years, "--out"])
        .arg(dir.path())
        .assert()
        .success();
    dir
}

/// `huizong run --year <year> <input> [--prior <prior>] --out <out>` with the county's registry.
fn run(
    root: &Path,
    year: i32,
    input: &Path,
    prior: Option<&Path>,
    out: &Path,
) -> assert_cmd::assert::Assert {
    let mut cmd = huizong();
    cmd.args(["run", "--quiet", "--year", &year.to_string(), "--registry"])
        .arg(root.join("units.csv"))
        .arg(input)
        .arg("--out")
        .arg(out);
    if let Some(p) = prior {
        cmd.arg("--prior").arg(p);
    }
    cmd.assert()
}

/// `huizong check [--year <year>] <paths> [--prior <prior>]` with the county's registry.
fn check(
    root: &Path,
    year: Option<i32>,
    paths: &[PathBuf],
    prior: Option<&Path>,
) -> assert_cmd::assert::Assert {
    let mut cmd = huizong();
    cmd.arg("check")
        .arg("--registry")
        .arg(root.join("units.csv"));
    if let Some(y) = year {
        cmd.args(["--year", &y.to_string()]);
    }
    cmd.args(paths);
    if let Some(p) = prior {
        cmd.arg("--prior").arg(p);
    }
    cmd.assert()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

/// Asserts that stderr holds every fragment.
fn says(a: &assert_cmd::assert::Assert, fragments: &[&str]) {
    let err = stderr(a);
    for f in fragments {
        assert!(err.contains(f), "no “{f}” in: {err}");
    }
}

/// The entries of a folder, by name (hidden ones included: a staging folder left behind shows).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The one workbook of `unit` (e.g. "T01") in a year folder.
fn workbook(dir: &Path, unit: &str) -> PathBuf {
    let tag = format!("411321-{unit}_");
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&tag))
        })
        .unwrap_or_else(|| panic!("no workbook of {unit} in {}", dir.display()))
}

#[test]
fn a_prior_folder_of_this_year_is_refused_by_run_and_check() {
    let c = county(4, "2023,2024");
    let (root, now) = (c.path(), c.path().join("2024"));
    let out = root.join("out");
    run(root, 2024, &now, Some(&root.join("2023")), &out).code(0);
    let before = snapshot(&out);

    let a = run(root, 2024, &now, Some(&now), &out).code(2);
    says(
        &a,
        &[
            "--prior",
            "2024 年度的报表",
            "本年",
            "上年数据应为 2023 年度",
        ],
    );
    assert!(stdout(&a).is_empty(), "{}", stdout(&a));
    assert!(snapshot(&out) == before, "the earlier outputs changed");
    assert_eq!(entries(root), ["2023", "2024", "out", "units.csv"]);

    let a = check(root, None, std::slice::from_ref(&now), Some(&now)).code(2);
    says(&a, &["2024 年度的报表", "上年数据应为 2023 年度"]);
    assert!(stdout(&a).is_empty(), "{}", stdout(&a));
    let a = check(root, Some(2024), std::slice::from_ref(&now), Some(&now)).code(2);
    says(&a, &["2024 年度的报表", "上年数据应为 2023 年度"]);

    // template prefills 上年数 from the same --prior, with the same guard.
    let a = huizong()
        .args(["template", "--year", "2024", "--registry"])
        .arg(root.join("units.csv"))
        .arg("--prior")
        .arg(&now)
        .arg("--out")
        .arg(root.join("模板"))
        .assert()
        .code(2);
    says(&a, &["2024 年度的报表", "上年数据应为 2023 年度"]);
    assert_eq!(entries(root), ["2023", "2024", "out", "units.csv"]);

    // Last year's folder is what --prior is for.
    check(
        root,
        None,
        std::slice::from_ref(&now),
        Some(&root.join("2023")),
    )
    .code(0);
}

#[test]
fn a_prior_folder_of_another_year_names_both_years() {
    let c = county(4, "2022,2023,2024");
    let (root, now) = (c.path(), c.path().join("2024"));
    let out = root.join("out");
    let a = run(root, 2024, &now, Some(&root.join("2022")), &out).code(2);
    says(
        &a,
        &[
            "是 2022 年度的报表",
            "2022 年 4 份",
            "本次是 2024 年度",
            "上年数据应为 2023 年度",
        ],
    );
    assert!(!stderr(&a).contains("本年的报表文件夹"), "{}", stderr(&a));
    assert!(!out.exists(), "nothing is written");
    assert_eq!(entries(root), ["2022", "2023", "2024", "units.csv"]);
    let a = check(root, Some(2024), &[now], Some(&root.join("2022"))).code(2);
    says(&a, &["是 2022 年度的报表", "上年数据应为 2023 年度"]);
}

#[test]
fn a_history_without_last_year_is_refused_and_one_with_it_is_used() {
    let c = county(4, "2023,2024");
    let (root, now) = (c.path(), c.path().join("2024"));
    // A run without a prior writes a history of 2024 alone.
    let only_now = root.join("only-2024");
    run(root, 2024, &now, None, &only_now).code(0);
    let history = only_now.join("history.csv");

    let out = root.join("out");
    let a = run(root, 2024, &now, Some(&history), &out).code(2);
    says(
        &a,
        &[
            "history.csv",
            "只有 2024 年的数据",
            "没有 2023 年度",
            "本次 2024 年度",
        ],
    );
    assert!(!out.exists(), "nothing is written");
    assert_eq!(entries(root), ["2023", "2024", "only-2024", "units.csv"]);
    let a = check(root, None, std::slice::from_ref(&now), Some(&history)).code(2);
    says(&a, &["只有 2024 年的数据", "没有 2023 年度"]);

    // A history of several years that includes 2023 (2023 and 2024 here) is fine.
    let both = root.join("both");
    run(root, 2024, &now, Some(&root.join("2023")), &both).code(0);
    run(root, 2024, &now, Some(&both.join("history.csv")), &out).code(0);
    check(root, None, &[now], Some(&both.join("history.csv"))).code(0);
}

#[test]
fn a_history_of_several_years_without_last_year_is_refused() {
    let c = county(4, "2022,2023,2025");
    let root = c.path();
    let h = root.join("h");
    run(root, 2023, &root.join("2023"), Some(&root.join("2022")), &h).code(0);
    let a = check(
        root,
        Some(2025),
        &[root.join("2025")],
        Some(&h.join("history.csv")),
    )
    .code(2);
    says(
        &a,
        &[
            "只有 2022 年、2023 年的数据",
            "没有 2024 年度",
            "本次 2025 年度",
        ],
    );
    assert!(stdout(&a).is_empty(), "{}", stdout(&a));
}

#[test]
fn a_year_no_workbook_carries_is_refused_before_anything_is_written() {
    let c = county(4, "2023,2024");
    let (root, now) = (c.path(), c.path().join("2024"));
    let out = root.join("out");
    run(root, 2024, &now, None, &out).code(0);
    let before = snapshot(&out);

    let a = run(root, 2025, &now, None, &out).code(2);
    says(
        &a,
        &[
            "--year 2025 与报表不符",
            "没有一份是 2025 年度",
            "2024 年 4 份",
            "是否应为 --year 2024",
            "没有写出任何文件",
        ],
    );
    assert!(stdout(&a).is_empty(), "{}", stdout(&a));
    assert!(snapshot(&out) == before, "the earlier outputs changed");
    assert_eq!(entries(root), ["2023", "2024", "out", "units.csv"]);
    // A fresh --out is not even created.
    let fresh = root.join("fresh");
    run(root, 2023, &now, Some(&root.join("2023")), &fresh).code(2);
    assert!(!fresh.exists());

    let a = check(root, Some(2023), &[now], None).code(2);
    says(
        &a,
        &["--year 2023 与报表不符", "2024 年 4 份", "--year 2024"],
    );
    assert!(stdout(&a).is_empty(), "{}", stdout(&a));
}

#[test]
fn a_few_units_with_a_wrong_year_stay_v04_findings() {
    let c = county(4, "2023,2024");
    let root = c.path();
    // 城关镇 sent last year's workbook again: three workbooks carry 2024, one 2023.
    let now = root.join("2024");
    std::fs::remove_file(workbook(&now, "T01")).expect("rm");
    let old = workbook(&root.join("2023"), "T01");
    std::fs::copy(&old, now.join(old.file_name().expect("name"))).expect("copy");

    let a = check(root, Some(2024), std::slice::from_ref(&now), None).code(1);
    let text = stdout(&a);
    assert!(
        text.contains("V04") && text.contains("统计年度为 2023，本次汇总的是 2024 年度"),
        "{text}"
    );
    let out = root.join("out");
    run(root, 2024, &now, None, &out).code(1);
    // 城关镇's file goes back for its year (the county office's may too: with 城关镇 held back,
    // the townships' sums no longer match its own figures); the others are aggregated.
    let returned = entries(&out.join("退回"));
    assert!(
        returned.iter().any(|n| n.contains("城关镇")),
        "{returned:?}"
    );
    assert!(returned.len() < 4, "{returned:?}");

    // The message counts the mixed years, most first.
    let a = run(root, 2025, &now, None, &root.join("o2")).code(2);
    says(&a, &["2024 年 3 份、2023 年 1 份", "--year 2024"]);
}

#[test]
fn check_of_single_files_lists_no_missing_units() {
    let c = county(4, "2024");
    let (root, now) = (c.path(), c.path().join("2024"));
    let (t01, d01) = (workbook(&now, "T01"), workbook(&now, "D01"));
    for paths in [vec![t01.clone()], vec![t01.clone(), d01]] {
        let a = check(root, Some(2024), &paths, None).code(0);
        let text = stdout(&a);
        assert!(!text.contains("S11") && !text.contains("未报送"), "{text}");
        assert!(text.contains("错误 0，警告 0，提示 0"), "{text}");
    }
    // The same file in a folder of its own is a whole batch: the other three units are missing.
    let inbox = root.join("补报");
    std::fs::create_dir(&inbox).expect("mkdir");
    std::fs::copy(&t01, inbox.join(t01.file_name().expect("name"))).expect("copy");
    let a = check(root, Some(2024), &[inbox], None).code(0);
    let text = stdout(&a);
    assert_eq!(text.matches(": S11 ").count(), 3, "{text}");
    assert!(
        text.contains("县公安局（411321-D01，县直部门）未报送 2024 年度报表"),
        "{text}"
    );
}

#[test]
fn template_replaces_a_non_empty_folder_only_with_force() {
    let c = county(4, "2024");
    let root = c.path();
    let template = |year: i32, out: &Path, force: bool| {
        let mut cmd = huizong();
        cmd.args(["template", "--year", &year.to_string(), "--registry"])
            .arg(root.join("units.csv"))
            .arg("--out")
            .arg(out);
        if force {
            cmd.arg("--force");
        }
        cmd.assert()
    };
    // A new folder and an existing empty one are fine.
    let out = root.join("模板");
    template(2024, &out, false).code(0);
    let empty = root.join("空");
    std::fs::create_dir(&empty).expect("mkdir");
    template(2024, &empty, false).code(0);
    let first = snapshot(&out);
    assert_eq!(first.len(), 5, "four templates and the manifest");

    // The tool's own earlier set: refused without --force, untouched.
    let a = template(2025, &out, false).code(2);
    says(
        &a,
        &["不是空的", "已有 huizong 上次写出的 4 个文件", "--force"],
    );
    assert!(snapshot(&out) == first, "the earlier templates changed");
    assert_eq!(entries(root), ["2024", "units.csv", "模板", "空"]);

    // With --force the set is replaced: the 2025 templates, no 2024 one left.
    template(2025, &out, true).code(0);
    let names: Vec<String> = snapshot(&out).into_keys().collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(
        names
            .iter()
            .filter(|n| n.ends_with(".xlsx"))
            .all(|n| n.ends_with("_2025.xlsx")),
        "{names:?}"
    );

    // A file the tool did not write is never replaced, --force or not.
    std::fs::write(out.join("说明.txt"), "我的说明").expect("write");
    let before = snapshot(&out);
    for force in [false, true] {
        let a = template(2024, &out, force).code(2);
        says(&a, &["说明.txt", "不是 huizong 写出的内容"]);
        assert!(snapshot(&out) == before, "force={force}");
    }
}

#[test]
fn help_explains_the_guards() {
    let help = |cmd: &str| {
        let out = huizong().args([cmd, "--help"]).assert().success();
        stdout(&out)
    };
    let t = help("template");
    assert!(
        t.contains("--force") && t.contains("只替换本工具写出的文件"),
        "{t}"
    );
    assert!(t.contains("例：huizong template --year 2025"), "{t}");
    let r = help("run");
    assert!(
        r.contains("没有一份可读报表的封面是这个年度时不汇总"),
        "{r}"
    );
    assert!(r.contains("history.csv 须含上一年度"), "{r}");
    let c = help("check");
    assert!(c.contains("只给单个文件") && c.contains("S11"), "{c}");
}
