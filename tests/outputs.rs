//! Files, folders and the output set, end to end through the `huizong` binary on generated
//! counties: copies, unreadable entries, 退回 names, an output folder inside the input, reruns,
//! empty input, foreign files in `--out`, recovery from every interrupted state, and SIGKILL at
//! random moments of a run.

mod common;
use common::snapshot;

use assert_cmd::Command;
use calamine::{open_workbook, Data, Range, Reader, Xlsx};
use std::collections::BTreeMap;
use std::path::Path;

use huizong::report::outset::{OutputSet, MARKER};

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary is built")
}

/// A generated county (`units.csv`, `2023/`, `2024/`) in a temp dir.
fn sample(clean: bool, units: Option<usize>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = huizong();
    cmd.args(["sample", "--out"]).arg(dir.path());
    if clean {
        cmd.arg("--clean");
    }
    if let Some(n) = units {
        cmd.args(["--units", &n.to_string()]);
    }
    cmd.assert().success();
    dir
}

fn run(input: &Path, registry: &Path, out: &Path) -> assert_cmd::assert::Assert {
    huizong()
        .args(["run", "--year", "2024", "--quiet", "--registry"])
        .arg(registry)
        .arg(input)
        .arg("--out")
        .arg(out)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
}

fn names(snap: &BTreeMap<String, Vec<u8>>) -> Vec<&str> {
    snap.keys().map(String::as_str).collect()
}

/// The entries of a folder, by name.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn sheet(path: &Path, name: &str) -> Range<Data> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("workbook opens");
    wb.worksheet_range(name).expect("sheet exists")
}

/// (状态, 文件) of each row of the summary's 报送情况 sheet.
fn file_rows(out: &Path) -> Vec<(String, String)> {
    sheet(&out.join("汇总_2024.xlsx"), "报送情况")
        .rows()
        .skip(1)
        .map(|r| {
            let cell = |i: usize| r.get(i).map(|c| c.to_string()).unwrap_or_default();
            (cell(3), cell(4))
        })
        .collect()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

#[test]
fn a_byte_identical_copy_is_one_submission() {
    let county = sample(true, None);
    let (inbox, reg) = (county.path().join("2024"), county.path().join("units.csv"));
    let plain = county.path().join("plain");
    run(&inbox, &reg, &plain).code(0);

    // The same workbook mailed twice: once more in a sub-folder.
    let first = entries(&inbox).into_iter().find(|n| n.ends_with(".xlsx"));
    let first = first.expect("a workbook");
    std::fs::create_dir(inbox.join("重发")).expect("mkdir");
    std::fs::copy(inbox.join(&first), inbox.join("重发").join(&first)).expect("copy");
    let out = county.path().join("out");
    run(&inbox, &reg, &out).code(0);

    // Counted once: the county figures are those of the batch without the copy.
    let want = std::fs::read(plain.join("figures_2024.json")).expect("figures");
    let got = std::fs::read(out.join("figures_2024.json")).expect("figures");
    assert!(want == got, "the copy changed the figures");
    let rows = file_rows(&out);
    let original = format!("{}/{first}", inbox.display());
    let copy = format!("{}/重发/{first}", inbox.display());
    assert!(
        rows.contains(&("已汇总".into(), original.clone())),
        "{rows:?}"
    );
    assert!(
        rows.contains(&("相同文件(按一份计)".into(), copy.clone())),
        "{rows:?}"
    );
    assert!(!out.join("退回").exists(), "nothing to send back");

    let text = huizong().arg("check").arg(&inbox).assert().code(0);
    let text = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(
        text.contains(&format!("{copy}: S13 提示 与 {original} 内容完全相同")),
        "{text}"
    );
    assert!(!text.contains("S10"), "{text}");
}

#[cfg(unix)]
#[test]
fn unreadable_entries_are_findings_and_the_batch_still_runs() {
    let county = sample(true, None);
    let (inbox, reg) = (county.path().join("2024"), county.path().join("units.csv"));
    let plain = county.path().join("plain");
    run(&inbox, &reg, &plain).code(0);

    std::os::unix::fs::symlink("不存在.xlsx", inbox.join("旧链接.xlsx")).expect("symlink");
    std::os::unix::fs::symlink("/dev/zero", inbox.join("零.xlsx")).expect("symlink");
    std::os::unix::fs::symlink(".", inbox.join("自己")).expect("symlink");
    let fifo = inbox.join("管道.xlsx");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.expect("mkfifo runs").success());

    let out = county.path().join("out");
    let a = run(&inbox, &reg, &out).code(1);
    let want = std::fs::read(plain.join("figures_2024.json")).expect("figures");
    let got = std::fs::read(out.join("figures_2024.json")).expect("figures");
    assert!(want == got, "the bad entries changed the figures");
    let rows = file_rows(&out);
    for f in ["旧链接.xlsx", "零.xlsx", "管道.xlsx"] {
        let shown = format!("{}/{f}", inbox.display());
        assert!(rows.contains(&("无法读取".into(), shown)), "{f}: {rows:?}");
        // S12 is about the county's own folder, not a unit's workbook: no 退回 file for it
        let back = out.join("退回").join(format!("退回_未识别_{}", f));
        assert!(!back.exists(), "{back:?} {}", stderr(&a));
    }
}

#[test]
fn feedback_files_of_same_named_inputs_do_not_overwrite_each_other() {
    let county = sample(true, None);
    let (inbox, reg) = (county.path().join("2024"), county.path().join("units.csv"));
    let placed = ["东片/报表.xlsx", "西片/报表.xlsx", "西片/子/东片/报表.xlsx"];
    for (i, f) in placed.iter().enumerate() {
        let p = inbox.join(f);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, format!("不是工作簿 {i}")).expect("write");
    }
    let out = county.path().join("out");
    run(&inbox, &reg, &out).code(1);
    let names = entries(&out.join("退回"));
    assert_eq!(
        names,
        [
            "退回_未识别_报表（东片）.xlsx",
            "退回_未识别_报表（东片）（2）.xlsx",
            "退回_未识别_报表（西片）.xlsx",
        ]
    );
    // Each one names its own input (inputs in sorted order: 东片, 西片/子/东片, 西片).
    let sources = [placed[0], placed[2], placed[1]];
    for (name, src) in names.iter().zip(sources) {
        let r = sheet(&out.join("退回").join(name), "退回清单");
        let line = r.get((1, 0)).map(|c| c.to_string()).unwrap_or_default();
        // the path inside the inbox, not the county's own folders
        let shown = src;
        assert!(
            line.contains(&format!("报送文件：{shown}。")),
            "{name}: {line}"
        );
    }
}

#[test]
fn an_output_folder_inside_the_input_is_not_read_back() {
    let county = sample(true, None);
    let (inbox, reg) = (county.path().join("2024"), county.path().join("units.csv"));
    let out = inbox.join("汇总");
    run(&inbox, &reg, &out).code(0);
    let first = snapshot(&out);
    let again = run(&inbox, &reg, &out).code(0);
    assert!(
        stderr(&again).contains(&format!("{} 是 huizong 的输出文件夹", out.display())),
        "{}",
        stderr(&again)
    );
    assert!(first == snapshot(&out), "the rerun read its own outputs");
    assert_eq!(
        entries(&inbox)
            .iter()
            .filter(|n| n.starts_with('.'))
            .count(),
        0
    );
}

#[test]
fn a_rerun_leaves_exactly_its_own_set() {
    let defects = sample(false, None);
    let clean = sample(true, None);
    let reg = clean.path().join("units.csv");
    let out = clean.path().join("out");
    std::fs::write(clean.path().join("2024/坏.xlsx"), "不是工作簿").expect("write");
    run(&defects.path().join("2024"), &reg, &out).code(1);
    let back = entries(&out.join("退回"));
    assert!(back.len() >= 3, "the defect county's 退回 files: {back:?}");
    // Another batch into the same folder: only its own correction request is left.
    run(&clean.path().join("2024"), &reg, &out).code(1);
    assert_eq!(entries(&out.join("退回")), ["退回_未识别_坏.xlsx"]);

    // 坏.xlsx fixed (taken out): the old requests must go, exactly a fresh run's set remains.
    std::fs::remove_file(clean.path().join("2024/坏.xlsx")).expect("rm");
    run(&clean.path().join("2024"), &reg, &out).code(0);
    let fresh = clean.path().join("fresh");
    run(&clean.path().join("2024"), &reg, &fresh).code(0);
    let (got, want) = (snapshot(&out), snapshot(&fresh));
    assert_eq!(names(&got), names(&want));
    assert!(got == want);
    assert!(names(&got).contains(&MARKER));
    assert!(!out.join("退回").exists());
    assert_eq!(
        entries(clean.path()),
        ["2023", "2024", "fresh", "out", "units.csv"]
    );
}

#[test]
fn no_input_workbook_is_exit_2_and_keeps_the_outputs() {
    let county = sample(true, None);
    let (inbox, reg) = (county.path().join("2024"), county.path().join("units.csv"));
    let out = county.path().join("out");
    run(&inbox, &reg, &out).code(0);
    let before = snapshot(&out);
    let empty = county.path().join("空");
    std::fs::create_dir_all(empty.join(".git")).expect("mkdir");
    std::fs::write(empty.join("~$锁.xlsx"), "x").expect("write");
    let a = run(&empty, &reg, &out).code(2);
    assert!(
        stderr(&a).contains("没有找到任何报表文件"),
        "{}",
        stderr(&a)
    );
    assert!(stderr(&a).contains("原有的输出保持不变"), "{}", stderr(&a));
    assert!(before == snapshot(&out));
    assert_eq!(
        entries(county.path()),
        ["2023", "2024", "out", "units.csv", "空"]
    );
}

#[test]
fn foreign_files_in_out_are_refused_and_kept() {
    let county = sample(true, None);
    let (inbox, reg) = (county.path().join("2024"), county.path().join("units.csv"));
    let out = county.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("笔记.docx"), "我的笔记").expect("write");
    let a = run(&inbox, &reg, &out).code(2);
    assert!(stderr(&a).contains("笔记.docx"), "{}", stderr(&a));
    assert_eq!(names(&snapshot(&out)), ["笔记.docx"]);
    assert_eq!(
        std::fs::read(out.join("笔记.docx")).expect("kept"),
        "我的笔记".as_bytes()
    );
    assert_eq!(entries(county.path()), ["2023", "2024", "out", "units.csv"]);

    // A tool-written file the user changed afterwards is theirs now: refused as well.
    std::fs::remove_file(out.join("笔记.docx")).expect("rm");
    run(&inbox, &reg, &out).code(0);
    let summary = out.join("汇总_2024.xlsx");
    let mut edited = std::fs::read(&summary).expect("summary");
    edited.extend_from_slice(b"edited");
    std::fs::write(&summary, &edited).expect("write");
    let a = run(&inbox, &reg, &out).code(2);
    assert!(
        stderr(&a).contains("汇总_2024.xlsx（写出后被改动过）"),
        "{}",
        stderr(&a)
    );
    assert_eq!(std::fs::read(&summary).expect("kept"), edited);

    // Template folders are sets too.
    let t = huizong()
        .args(["template", "--year", "2024", "--registry"])
        .arg(&reg)
        .arg("--out")
        .arg(&inbox)
        .assert()
        .code(2);
    assert!(
        stderr(&t).contains("不是 huizong 写出的内容"),
        "{}",
        stderr(&t)
    );
}

/// A finished set of two files at `dir` (written through the library, as a command would).
fn finished_set(dir: &Path, content: &str) -> BTreeMap<String, Vec<u8>> {
    let set = OutputSet::prepare(dir).expect("prepare");
    std::fs::write(set.dir().join("a.txt"), content).expect("write");
    std::fs::create_dir(set.dir().join("退回")).expect("mkdir");
    std::fs::write(set.dir().join("退回/b.txt"), content).expect("write");
    assert!(set.commit().expect("commit").is_empty());
    snapshot(dir)
}

#[test]
fn every_interrupted_state_is_recovered() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let staging = tmp.path().join(".out.huizong-new");
    let old = tmp.path().join(".out.huizong-old");
    let prev = finished_set(&out, "prev");
    assert_eq!(names(&prev), [MARKER, "a.txt", "退回/b.txt"]);

    // Killed while writing: the staging folder is still being built.
    let set = OutputSet::prepare(&out).expect("prepare");
    std::fs::write(set.dir().join("a.txt"), "half").expect("write");
    std::mem::forget(set); // as SIGKILL would: no cleanup
    assert!(staging.is_dir());
    drop(OutputSet::prepare(&out).expect("recovers")); // dropped unfinished: cleans up
    assert_eq!(entries(tmp.path()), ["out"]);
    assert!(prev == snapshot(&out));

    // Killed with a complete staging folder, before or after the exchange: either way `out`
    // holds a complete set, and the other one is discarded.
    finished_set(&tmp.path().join("new"), "new");
    std::fs::rename(tmp.path().join("new"), &staging).expect("mv");
    drop(OutputSet::prepare(&out).expect("recovers"));
    assert_eq!(entries(tmp.path()), ["out"]);
    assert!(prev == snapshot(&out));

    // Two-rename swap killed between the renames: `out` is missing, the old set is back.
    std::fs::rename(&out, &old).expect("mv");
    finished_set(&tmp.path().join("new"), "new");
    std::fs::rename(tmp.path().join("new"), &staging).expect("mv");
    drop(OutputSet::prepare(&out).expect("recovers"));
    assert_eq!(entries(tmp.path()), ["out"]);
    assert!(prev == snapshot(&out));

    // After the second rename: the new set is in place, the old one is discarded, and a file a
    // user dropped into the old set meanwhile is moved back, not deleted.
    // (That file then stops the run, since `out` now holds a file the tool did not write.)
    std::fs::rename(&out, &old).expect("mv");
    std::fs::write(old.join("用户.txt"), "mine").expect("write");
    let mut want = finished_set(&tmp.path().join("new"), "new");
    std::fs::rename(tmp.path().join("new"), &out).expect("mv");
    let err = OutputSet::prepare(&out).expect_err("foreign file");
    assert!(err.to_string().contains("用户.txt"), "{err}");
    want.insert("用户.txt".into(), b"mine".to_vec());
    assert!(want == snapshot(&out), "{:?}", names(&snapshot(&out)));
    assert_eq!(entries(tmp.path()), ["out"]);
}

/// SIGKILL at seeded random moments of a 200-unit run: the output folder always holds exactly
/// the previous complete set or exactly the new one, and a rerun finishes the job.
#[cfg(unix)]
#[test]
fn killed_runs_leave_the_previous_or_the_new_set() {
    let county = sample(false, Some(200));
    let (inbox, reg) = (county.path().join("2024"), county.path().join("units.csv"));
    let prior = county.path().join("2023");
    let cmd = |out: &Path, with_prior: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"));
        c.args(["run", "--year", "2024", "--quiet", "--registry"])
            .arg(&reg)
            .arg(&inbox)
            .arg("--out")
            .arg(out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if with_prior {
            c.arg("--prior").arg(&prior);
        }
        c
    };
    let refs = county.path().join("refs");
    let status = cmd(&refs.join("prev"), false).status().expect("runs");
    assert_eq!(status.code(), Some(1));
    let start = std::time::Instant::now();
    let status = cmd(&refs.join("new"), true).status().expect("runs");
    let full = start.elapsed();
    assert_eq!(status.code(), Some(1));
    let (prev, new) = (snapshot(&refs.join("prev")), snapshot(&refs.join("new")));
    assert!(
        prev != new && prev.len() >= 5,
        "two different complete sets"
    );

    let mut seed: u64 = 0x5eed_2024;
    // Bounded: on a loaded machine a debug run of 200 units takes ~10 s, and each try is a
    // killed run plus a full rerun.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(200);
    let (mut outcomes, mut midway) = ((0, 0), 0);
    for i in 0..10 {
        if i >= 4 && std::time::Instant::now() > deadline {
            break;
        }
        let parent = county.path().join(format!("try{i}"));
        let out = parent.join("out");
        std::fs::create_dir_all(&out).expect("mkdir");
        for (rel, bytes) in &prev {
            let p = out.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, bytes).expect("write");
        }
        // Half of the kills in the last 40 % of the run, where the outputs are written.
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let frac = (seed >> 33) as f64 / (1u64 << 31) as f64;
        let at = if i % 2 == 0 {
            frac * 1.1
        } else {
            0.6 + frac * 0.45
        };
        let mut child = cmd(&out, true).spawn().expect("spawn");
        std::thread::sleep(full.mul_f64(at));
        let _ = child.kill(); // SIGKILL; the run may have finished already
        let _ = child.wait();

        let got = snapshot(&out);
        let which = if got == prev {
            "prev"
        } else if got == new {
            "new"
        } else {
            panic!(
                "try {i} (at {at:.2}): neither set: {:?}",
                names(&got).iter().take(20).collect::<Vec<_>>()
            )
        };
        if which == "prev" {
            outcomes.0 += 1;
        } else {
            outcomes.1 += 1;
        }
        let all = entries(&parent);
        let visible: Vec<&String> = all.iter().filter(|n| !n.starts_with('.')).collect();
        assert_eq!(visible, ["out"], "try {i}");
        midway += usize::from(all.len() > 1); // killed with a staging or old folder beside it

        let status = cmd(&out, true).status().expect("rerun");
        assert_eq!(status.code(), Some(1), "try {i}");
        assert!(
            snapshot(&out) == new,
            "try {i}: the rerun left the complete set"
        );
        assert_eq!(entries(&parent), ["out"], "try {i}: leftovers cleaned");
    }
    eprintln!(
        "killed runs left (previous, new) sets: {outcomes:?}, {midway} with a staging folder \
         to recover; a full run took {full:?}"
    );
}

#[test]
fn an_output_folder_of_another_set_is_refused_not_replaced() {
    // Last year's summary (or the templates) must survive a run that names the same folder: the
    // manifest says what set it holds, and another one is refused with nothing changed.
    let county = sample(true, Some(6));
    let (inbox, reg) = (county.path().join("2024"), county.path().join("units.csv"));
    let out = county.path().join("out");
    huizong()
        .args(["template", "--year", "2024", "--registry"])
        .arg(&reg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let before = snapshot(&out);
    let a = run(&inbox, &reg, &out).code(2);
    let err = stderr(&a);
    assert!(
        err.contains("此前写出的「模板 2024」") && err.contains("「汇总 2024」"),
        "{err}"
    );
    assert_eq!(snapshot(&out), before, "the templates were touched");
    // The same set again is replaced as before.
    let fresh = county.path().join("fresh");
    run(&inbox, &reg, &fresh).code(0);
    run(&inbox, &reg, &fresh).code(0);
}
