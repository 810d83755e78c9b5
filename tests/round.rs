//! The collection round end to end (issue #14) on the generated sample county, through the
//! binary: the first run sends units back; units resubmit corrected workbooks marked (修改)
//! beside the originals (no files moved); the next run adopts them, lists both versions in
//! 报送情况, shows the changed cells in 版本变化 and in the unit's 退回 workbook, and the county
//! figures move by exactly the corrected values. The whole round (send, 退回, resubmit, explain,
//! accept, run again) checks the statuses, the `unverified` units and the draft at each step.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use calamine::{Data, Range, Reader, Xlsx};
use serde_json::Value as Json;

use huizong::report::template;
use huizong::sample::{self, SampleCounty, SampleOptions, UnitData};
use huizong::schema::Schema;

const YEAR: i32 = 2024;

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary built")
}

/// The sample county with its planted defects, written to a temporary folder.
struct Round {
    dir: tempfile::TempDir,
    county: SampleCounty,
    schema: Schema,
    seed: u64,
}

impl Round {
    fn new() -> Round {
        let schema = Schema::default_schema();
        let opts = SampleOptions::default();
        let county = sample::generate(&schema, &opts);
        let dir = tempfile::tempdir().expect("temp dir");
        sample::write(&schema, &county, opts.seed, dir.path()).expect("sample written");
        Round {
            dir,
            county,
            schema,
            seed: opts.seed,
        }
    }

    fn code(&self, n: &str) -> String {
        format!("{}-{n}", sample::COUNTY_CODE)
    }

    /// The unit's 2024 data as first sent.
    fn sent(&self, code: &str) -> UnitData {
        self.county.years[&YEAR]
            .iter()
            .find(|d| d.code == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code} sent a file"))
    }

    /// Writes a new version of `code`'s workbook beside the first one, named with `mark`
    /// before the extension (`(修改)`), after `edit`; returns its file name.
    fn resubmit(&self, code: &str, mark: &str, edit: impl FnOnce(&mut UnitData)) -> String {
        let mut data = self.sent(code);
        edit(&mut data);
        let unit = self.county.registry.get(code).expect("registered");
        let first = template::file_name(unit, YEAR);
        let name = first.replace(".xlsx", &format!("{mark}.xlsx"));
        let fill = sample::fill(&self.schema, unit, &data, self.seed);
        let bytes = template::build(&self.schema, unit, YEAR, &fill).expect("workbook built");
        std::fs::write(self.dir.path().join("2024").join(&name), bytes).expect("written");
        name
    }

    /// `huizong run` of this year with last year's folder into `out`; the exit code and
    /// figures JSON.
    fn run(&self, out: &str) -> (i32, Json, PathBuf) {
        self.run_with(out, &[])
    }

    /// [`Round::run`] with more arguments (`--accept FILE`).
    fn run_with(&self, out: &str, extra: &[&std::ffi::OsStr]) -> (i32, Json, PathBuf) {
        let out = self.dir.path().join(out);
        let o = huizong()
            .args(["run", "--quiet", "--year", "2024", "--prior"])
            .arg(self.dir.path().join("2023"))
            .arg("--out")
            .arg(&out)
            .arg(self.dir.path().join("2024"))
            .args(extra)
            .output()
            .expect("run");
        let code = o.status.code().expect("exit code");
        assert!(
            code == 0 || code == 1,
            "run exited {code}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = std::fs::read_to_string(out.join("figures_2024.json")).expect("figures");
        (code, serde_json::from_str(&text).expect("JSON"), out)
    }
}

fn indicator<'a>(f: &'a Json, code: &str) -> &'a Json {
    f["indicators"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == code))
        .unwrap_or_else(|| panic!("no {code}"))
}

fn held_back(f: &Json) -> Vec<String> {
    f["coverage"]["held_back"]
        .as_array()
        .expect("held_back")
        .iter()
        .map(|v| v.as_str().unwrap_or("").to_string())
        .collect()
}

fn sheet(path: &Path, name: &str) -> Range<Data> {
    let mut wb: Xlsx<_> = calamine::open_workbook(path).expect("workbook opens");
    wb.worksheet_range(name).expect("sheet")
}

fn rows(range: &Range<Data>) -> Vec<Vec<String>> {
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn resubmitted_versions_replace_the_originals_and_show_what_changed() {
    let round = Round::new();
    let (d15, d16) = (round.code("D15"), round.code("D16"));

    // Step 1: the first batch. 县水利局 typed "xx" (V02), 县林业局 closed more cases than it
    // had (V28): both are held back and get a 退回 workbook.
    let (code, first, out1) = round.run("out1");
    assert_eq!(code, 1);
    assert_eq!(held_back(&first), [d15.clone(), d16.clone()]);
    let feedback1: Vec<String> = std::fs::read_dir(out1.join("退回"))
        .expect("退回")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        feedback1.iter().any(|n| n.contains("411321-D15")),
        "{feedback1:?}"
    );

    // Step 2: both send corrected workbooks marked (修改) beside the originals.
    let zf03 = 3.0;
    let fixed15 = round.resubmit(&d15, "(修改)", |d| {
        d.typed.remove("ZF03");
        d.values.insert("ZF03".into(), zf03);
    });
    let fixed16 = round.resubmit(&d16, "(修改)", |d| {
        d.values.insert("YS03".into(), 0.0);
    });

    // Step 3: the next run adopts them; nothing is held back any more.
    let (code, second, out2) = round.run("out2");
    assert_eq!(held_back(&second), Vec::<String>::new());
    assert_eq!(
        second["coverage"]["accepted"].as_array().map(Vec::len),
        Some(45),
        "every unit that sent a file is aggregated"
    );
    // The county total moves by exactly the two units' values: 县水利局's corrected ZF03 (was
    // "xx") and 县林业局's, now that both are aggregated.
    let before = indicator(&first, "ZF03")["value"].as_f64().unwrap_or(0.0);
    let after = indicator(&second, "ZF03")["value"].as_f64().unwrap_or(0.0);
    let d16_zf03 = round.sent(&d16).values.get("ZF03").copied().unwrap_or(0.0);
    assert_eq!(after - before, zf03 + d16_zf03, "ZF03 {before} → {after}");
    // Only the units' own remaining findings are left; no S10 anywhere.
    assert!(code == 0 || code == 1);

    // 报送情况: every version with its status.
    let files = rows(&sheet(&out2.join("汇总_2024.xlsx"), "报送情况"));
    let header = &files[0];
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (status, file, version, note) = (col("状态"), col("文件"), col("版本"), col("版本说明"));
    let row_of = |name: &str| {
        files
            .iter()
            .find(|r| r[file].ends_with(name))
            .unwrap_or_else(|| panic!("{name} listed: {files:?}"))
    };
    let adopted = row_of(&fixed15);
    assert_eq!(adopted[status], "已汇总");
    assert_eq!(adopted[version], "采用");
    assert!(adopted[note].contains("文件名标有“修改”"), "{adopted:?}");
    let original15 = fixed15.replace("(修改)", "");
    let replaced = row_of(&original15);
    assert_eq!(replaced[status], "已被替代");
    assert_eq!(replaced[version], "已被替代");
    assert!(replaced[note].contains(&fixed15), "{replaced:?}");

    // 版本变化: the cells that differ, one row each (ZF03 for 县水利局, YS03 for 县林业局).
    let changes = rows(&sheet(&out2.join("汇总_2024.xlsx"), "版本变化"));
    let of = |name: &str| -> Vec<&Vec<String>> {
        changes.iter().filter(|r| r[1].ends_with(name)).collect()
    };
    let c15 = of(&fixed15);
    assert_eq!(c15.len(), 1, "{changes:?}");
    assert!(c15[0][5].starts_with("ZF03"), "{c15:?}");
    assert_eq!(c15[0][6], "空", "xx was read as no value");
    assert_eq!(c15[0][7], sample_num(zf03));
    let c16 = of(&fixed16);
    assert_eq!(c16.len(), 1, "{changes:?}");
    assert!(c16[0][5].starts_with("YS03"), "{c16:?}");
    assert_eq!(c16[0][7], "0");

    // The replaced files get no 退回 workbook; the adopted ones have none either when clean.
    let feedback2: Vec<String> = std::fs::read_dir(out2.join("退回"))
        .expect("退回")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !feedback2
            .iter()
            .any(|n| n.contains("411321-D15") || n.contains("411321-D16")),
        "{feedback2:?}"
    );
}

#[test]
fn a_resubmission_that_still_has_errors_lists_its_changes_in_the_feedback() {
    let round = Round::new();
    let d16 = round.code("D16");
    // 县林业局 changes a value it was not asked about and leaves the V28 error.
    let fixed = round.resubmit(&d16, "_v2", |d| {
        *d.values.entry("PF01".into()).or_default() += 5.0;
    });
    let (code, f, out) = round.run("out");
    assert_eq!(code, 1);
    assert!(held_back(&f).contains(&d16));
    let unit = round.county.registry.get(&d16).expect("registered");
    let path = out
        .join("退回")
        .join(format!("退回_{d16}_{}_2024.xlsx", unit.name));
    let main = rows(&sheet(&path, "退回清单"));
    let text = main.concat().join(" ");
    assert!(text.contains("本文件替代此前报送的"), "{text}");
    assert!(text.contains("改动 1 处"), "{text}");
    assert!(main.iter().any(|r| r.iter().any(|c| c == "V28")) || text.contains("YS03"));
    let changes = rows(&sheet(&path, "版本变化"));
    assert!(
        changes[0][0].contains(&fixed.replace("_v2", "")),
        "{changes:?}"
    );
    let pf01: Vec<&Vec<String>> = changes.iter().filter(|r| r[1] == "PF01").collect();
    assert_eq!(pf01.len(), 1, "{changes:?}");
    assert_eq!(pf01[0][2], "数值");
}

/// The anomalies of `unit` with `code`, as figures JSON lists them.
fn anomalies<'a>(f: &'a Json, unit: &str, code: &str) -> Vec<&'a Json> {
    f["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter(|a| a["unit"] == unit && a["code"] == code)
        .collect()
}

fn unverified(f: &Json, code: &str) -> Vec<String> {
    indicator(f, code)["unverified"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn feedback_names(out: &Path) -> Vec<String> {
    match std::fs::read_dir(out.join("退回")) {
        Ok(d) => d
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn draft(out: &Path) -> String {
    let md = out.with_extension("md");
    huizong()
        .args(["draft", "--year", "2024", "--from"])
        .arg(out)
        .arg("--out")
        .arg(&md)
        .assert()
        .success();
    std::fs::read_to_string(&md).expect("draft")
}

#[test]
fn a_whole_round_send_return_resubmit_explain_accept_and_run_again() {
    let round = Round::new();
    let c = |n: &str| round.code(n);
    // 县交通运输局 typed 万元, 县城市管理局's change is real and explained, 马庄乡 copied last year.
    let (slip, real, copy) = (c("D05"), c("D09"), c("T06"));

    // Step 1: the first batch.
    let (code, first, out1) = round.run("out1");
    assert_eq!(code, 1, "two units have errors");
    // The 万元 slip and the copied sheet are open (待核实) and go back to their units as 需核实;
    // the real change explained in 说明 is 已说明 and goes back to no one.
    let a03 = anomalies(&first, &slip, "A03");
    assert_eq!(a03.len(), 1, "{a03:?}");
    assert_eq!(a03[0]["status"], "待核实");
    let a05 = anomalies(&first, &copy, "A05");
    assert_eq!(a05[0]["status"], "待核实");
    let explained: Vec<&Json> = first["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .filter(|a| a["unit"] == real.as_str() && a["indicator"] == "ZF06")
        .collect();
    assert!(!explained.is_empty(), "the real change is still flagged");
    assert!(
        explained.iter().all(|a| a["status"] == "已说明"),
        "{explained:?}"
    );
    assert_eq!(
        explained[0]["explanation"],
        huizong::sample::REAL_CHANGE_NOTE
    );
    let back1 = feedback_names(&out1);
    for unit in [&slip, &copy] {
        assert!(
            back1.iter().any(|n| n.contains(unit.as_str())),
            "{unit}: {back1:?}"
        );
    }
    assert!(
        !back1.iter().any(|n| n.contains(real.as_str())),
        "{back1:?}"
    );
    // The county figures that include an open value name its unit, and the draft says so.
    assert!(unverified(&first, "ZF07").contains(&slip));
    assert!(unverified(&first, "ZL01").contains(&copy));
    let text1 = draft(&out1);
    assert!(text1.contains("（含待核实数据）"), "{text1}");

    // Step 2: units resubmit, marked (修改); no file is moved. 县交通运输局 types 元 this time.
    let zf07_before = indicator(&first, "ZF07")["value"].as_f64().expect("ZF07");
    let slipped = round.sent(&slip).values["ZF07"];
    let in_yuan = (slipped * 10_000.0).round();
    round.resubmit(&slip, "(修改)", |d| {
        d.values.insert("ZF07".into(), in_yuan);
    });
    round.resubmit(&c("D15"), "(修改)", |d| {
        d.typed.remove("ZF03");
        d.values.insert("ZF03".into(), 3.0);
    });
    round.resubmit(&c("D16"), "(修改)", |d| {
        d.values.insert("YS03".into(), 0.0);
    });
    // Step 3: the reviewer accepts 马庄乡's explanation by phone, with a command.
    let accept = round.dir.path().join("accept.toml");
    huizong()
        .args([
            "accept",
            copy.as_str(),
            "A05",
            "--reason",
            "经电话核实，该乡各项工作与上年持平",
            "--file",
        ])
        .arg(&accept)
        .assert()
        .code(0);

    // Step 4: the next run.
    let (code, second, out2) = round.run_with("out2", &["--accept".as_ref(), accept.as_os_str()]);
    assert_eq!(code, 0, "no error is left: {:?}", second["coverage"]);
    assert_eq!(held_back(&second), Vec::<String>::new());
    assert!(
        anomalies(&second, &slip, "A03").is_empty(),
        "the slip is corrected"
    );
    let a05 = anomalies(&second, &copy, "A05");
    assert_eq!(a05[0]["status"], "已确认");
    // ZF07 moves by exactly the correction (县水利局 and 县林业局 joined too: add theirs).
    let joined: f64 = [c("D15"), c("D16")]
        .iter()
        .map(|u| round.sent(u).values.get("ZF07").copied().unwrap_or(0.0))
        .sum();
    let zf07_after = indicator(&second, "ZF07")["value"].as_f64().expect("ZF07");
    assert!(
        (zf07_after - zf07_before - (in_yuan - slipped) - joined).abs() < 1e-6,
        "{zf07_before} → {zf07_after}"
    );
    assert!(
        unverified(&second, "ZF07").is_empty(),
        "{:?}",
        unverified(&second, "ZF07")
    );
    assert!(unverified(&second, "ZL01").is_empty());
    // Nothing goes back to the units that settled their items.
    let back2 = feedback_names(&out2);
    for unit in [&slip, &copy, &c("D15"), &c("D16")] {
        assert!(
            !back2.iter().any(|n| n.contains(unit.as_str())),
            "{unit}: {back2:?}"
        );
    }
    // The draft states the settled figures as plain fact.
    let text2 = draft(&out2);
    let zl01 = text2
        .lines()
        .find(|l| l.contains("专题研究法治政府建设"))
        .expect("ZL01 sentence");
    assert!(!zl01.contains("含待核实数据"), "{zl01}");
}

/// A count as the sheets show it.
fn sample_num(v: f64) -> String {
    huizong::anomaly::fmt_num(v)
}

/// A code typed wrong on the cover (县自然资源局's workbook saying 411321-D04): the file is held
/// back with V04 and 县生态环境局's own report stays in the summary instead of being replaced
/// as an "earlier version"; 县自然资源局 is listed as not received.
#[test]
fn a_wrong_code_on_the_cover_does_not_replace_another_units_report() {
    let round = Round::new();
    let (d03, d04) = (round.code("D03"), round.code("D04"));
    let registry = round.dir.path().join("units.csv");
    let with_registry = ["--registry".as_ref(), registry.as_os_str()];
    let (_, before, _) = round.run_with("before", &with_registry);

    let unit = round.county.registry.get(&d03).expect("registered");
    let mut fill = sample::fill(&round.schema, unit, &round.sent(&d03), round.seed);
    fill.cover_code = Some(d04.clone());
    let bytes = template::build(&round.schema, unit, YEAR, &fill).expect("workbook built");
    let path = round
        .dir
        .path()
        .join("2024")
        .join(template::file_name(unit, YEAR));
    std::fs::write(&path, bytes).expect("written");
    let (code, after, out) = round.run_with("after", &with_registry);
    assert_eq!(code, 1, "V04 is an error");

    let total = |f: &Json| indicator(f, "ZF04")["value"].as_f64().expect("ZF04");
    let d03_zf04 = round.sent(&d03).values["ZF04"];
    assert_eq!(
        total(&after),
        total(&before) - d03_zf04,
        "D04 counted once, D03 not"
    );
    let missing = |f: &Json| -> Vec<String> {
        f["coverage"]["missing"]
            .as_array()
            .expect("missing")
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .filter(|c| c != &d03)
            .collect()
    };
    assert!(after["coverage"]["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .any(|v| v == d03.as_str()));
    assert_eq!(missing(&after), missing(&before), "only D03 newly missing");
    let checks = rows(&sheet(&out.join("汇总_2024.xlsx"), "校验问题"));
    let v04: Vec<String> = checks
        .iter()
        .filter(|r| r.iter().any(|c| c == "V04"))
        .map(|r| r.join("|"))
        .collect();
    assert_eq!(v04.len(), 1, "{v04:?}");
    assert!(
        v04[0].contains(&d04) && v04[0].contains("县自然资源局") && v04[0].contains(&d03),
        "{v04:?}"
    );
}

/// A merged unit (双岗镇, which continues T14 and T15) that sends its return under a
/// predecessor's file name with that predecessor's name on the cover is not a wrong code: no
/// V04, and its figures are summed as usual.
#[test]
fn a_merged_unit_under_its_predecessors_name_is_not_a_wrong_code() {
    let round = Round::new();
    let (t14, t16) = (round.code("T14"), round.code("T16"));
    let registry = round.dir.path().join("units.csv");
    let with_registry = ["--registry".as_ref(), registry.as_os_str()];
    let merged = round.county.registry.get(&t16).expect("registered").clone();
    let old = round.county.registry.get(&t14).expect("registered").clone();
    let mut fill = sample::fill(&round.schema, &merged, &round.sent(&t16), round.seed);
    fill.cover_code = Some(t16.clone());
    let mut as_old = merged.clone();
    as_old.name = old.name.clone();
    let bytes = template::build(&round.schema, &as_old, YEAR, &fill).expect("workbook built");
    let dir = round.dir.path().join("2024");
    std::fs::remove_file(dir.join(template::file_name(&merged, YEAR))).expect("first file");
    std::fs::write(dir.join(template::file_name(&old, YEAR)), bytes).expect("written");
    let (_, f, out) = round.run_with("out", &with_registry);
    let checks = rows(&sheet(&out.join("汇总_2024.xlsx"), "校验问题"));
    assert!(
        !checks.iter().any(|r| r.iter().any(|c| c == "V04")),
        "{checks:?}"
    );
    assert!(!held_back(&f).contains(&t16));
}
