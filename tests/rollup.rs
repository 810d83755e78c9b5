//! `huizong rollup` end to end through the binary: three generated counties (one with planted
//! defects, so its run leaves units out) and a city office workbook rolled up into a city, every
//! city figure checked against a naive oracle over the counties' figures JSON and history; a
//! province of two cities; the refusals (exit 2, naming the folder, `--out` untouched); the
//! same bytes twice; `draft` on the city's output; `sample --county`.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use huizong::aggregate::history;
use huizong::registry::{Unit, UnitKind};
use huizong::report::template::{self, TemplateFill};
use huizong::sample::{self, SampleOptions};
use huizong::schema::{Aggregation, Schema};

fn huizong() -> Command {
    Command::cargo_bin("huizong").expect("binary is built")
}

const COUNTIES: [(&str, &str, Option<usize>, bool); 3] = [
    ("411321", "甲县", None, true),
    ("411322", "乙县", Some(20), true),
    // with the sample's planted defects: its run holds units back and misses one
    ("411323", "丙县", Some(16), false),
];
const CITY_OFFICE: &str = "411300-C01";

/// The generated counties' run outputs and a city office workbook, made once per test binary.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn out(&self, code: &str) -> PathBuf {
        self.root.join(format!("out{code}"))
    }
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        // Kept for the whole run (a static is never dropped), under target/tmp.
        let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temp dir")
            .keep();
        for (code, _, units, clean) in COUNTIES {
            common::county_output(&root, code, clean, units);
        }
        write_registry(&root.join("city.csv"), &COUNTIES, "411300", true);
        write_city_office(&root.join("市本级.xlsx"));
        Fixture { root }
    })
}

const HEADER: &str = "code,name,kind,parent,active_from,active_to,predecessors,villages\n";

fn write_registry(
    path: &Path,
    counties: &[(&str, &str, Option<usize>, bool)],
    city: &str,
    office: bool,
) {
    let mut text = HEADER.to_string();
    for (code, name, _, _) in counties {
        text.push_str(&format!("{code},{name},county,{city},2015,,,\n"));
    }
    if office {
        text.push_str(&format!(
            "{CITY_OFFICE},依法治市办,city_office,{city},2015,,,\n"
        ));
    }
    std::fs::write(path, text).expect("registry");
}

/// The city office's workbook: its template filled with a sample county office's values.
fn write_city_office(path: &Path) {
    let schema = Schema::load(None).expect("schema");
    let opts = SampleOptions {
        clean: true,
        county: "411399".into(),
        ..SampleOptions::default()
    };
    let county = sample::generate(&schema, &opts);
    let data = county.years[&2024]
        .iter()
        .find(|d| d.code.ends_with("-C01"))
        .expect("county office");
    let office = Unit {
        code: CITY_OFFICE.into(),
        name: "依法治市办".into(),
        kind: UnitKind::CityOffice,
        parent: Some("411300".into()),
        active_from: 2015,
        active_to: None,
        predecessors: vec![],
        villages: 0,
    };
    let mut fill: TemplateFill = sample::fill(&schema, &office, data, opts.seed);
    fill.cover_code = None;
    let bytes = template::build(&schema, &office, 2024, &fill).expect("workbook");
    std::fs::write(path, bytes).expect("write");
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("figures file")).expect("json")
}

fn rollup(args: &[&Path], registry: &Path, out: &Path, year: &str) -> std::process::Output {
    huizong()
        .args(["rollup", "--year", year, "--registry"])
        .arg(registry)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("rollup")
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Σ of the values that are there, in order; `None` when none is (the roll-up's own rule).
fn sum(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    values
        .into_iter()
        .flatten()
        .fold(None, |a, v| Some(a.unwrap_or(0.0) + v))
}

fn indicator<'a>(f: &'a Value, code: &str) -> &'a Value {
    f["indicators"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == code))
        .unwrap_or(&Value::Null)
}

fn rate<'a>(f: &'a Value, code: &str) -> &'a Value {
    f["rates"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["code"] == code))
        .unwrap_or(&Value::Null)
}

#[test]
fn city_figures_match_a_naive_oracle_over_the_counties() {
    let fx = fixture();
    let out = fx.path("city");
    let outs: Vec<PathBuf> = COUNTIES.iter().map(|c| fx.out(c.0)).collect();
    let mut args: Vec<&Path> = outs.iter().map(PathBuf::as_path).collect();
    let office = fx.path("市本级.xlsx");
    args.push(&office);
    let r = rollup(&args, &fx.path("city.csv"), &out, "2024");
    // 丙县's run left units out: flagged, exit 1
    assert_eq!(
        r.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );

    let schema = Schema::load(None).expect("schema");
    let city = read_json(&out.join("figures_2024.json"));
    let counties: Vec<Value> = outs
        .iter()
        .map(|o| read_json(&o.join("figures_2024.json")))
        .collect();
    assert_eq!(city["level"], "city");
    assert_eq!(city["region"], "411300");
    assert_eq!(city["year"], 2024);
    assert_eq!(city["schema_id"], schema.id.as_str());

    // The city office's own values, as the office's workbook gives them (its own run would).
    let office_values = office_values(&schema);
    let county_history: Vec<Vec<huizong::aggregate::Record>> = outs
        .iter()
        .map(|o| {
            history::read(&o.join("history.csv"))
                .expect("history")
                .into_iter()
                .filter(|r| r.year == 2024)
                .collect()
        })
        .collect();

    for ind in &schema.indicators {
        let c = indicator(&city, &ind.code);
        let parts: Vec<&Value> = counties.iter().map(|f| indicator(f, &ind.code)).collect();
        let own = office_values.get(&ind.code).copied();
        let want = sum(parts.iter().map(|p| num(&p["value"])).chain([own]));
        assert_eq!(num(&c["value"]), want, "{} value", ind.code);
        // the counties' figures agree with their unit-level history
        for (p, recs) in parts.iter().zip(&county_history) {
            let kinds = counted_kinds(ind);
            let from_history = sum(recs
                .iter()
                .filter(|r| *r.indicator == ind.code && kinds.contains(&r.kind))
                .map(|r| Some(r.value)));
            match (num(&p["value"]), from_history) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{} history {a} {b}", ind.code),
                (a, b) => assert_eq!(a, b, "{} history", ind.code),
            }
        }
        let prior = sum(parts.iter().map(|p| num(&p["prior"])));
        assert_eq!(num(&c["prior"]), prior, "{} prior", ind.code);
        let reported = sum(parts.iter().map(|p| num(&p["prior_reported"])));
        assert_eq!(
            num(&c["prior_reported"]),
            reported,
            "{} prior_reported",
            ind.code
        );
        let change = want.zip(prior).map(|(v, p)| v - p);
        assert_eq!(num(&c["change"]), change, "{} change", ind.code);
        let pct = change
            .zip(prior)
            .and_then(|(d, p)| (p != 0.0).then(|| d / p));
        assert_eq!(num(&c["change_pct"]), pct, "{} change_pct", ind.code);
        if ind.aggregation == Aggregation::CountYes {
            let yes: u64 = parts.iter().filter_map(|p| p["yes"].as_u64()).sum::<u64>()
                + u64::from(own == Some(1.0));
            assert_eq!(c["yes"].as_u64(), Some(yes), "{} yes", ind.code);
            let n: u64 = parts
                .iter()
                .filter_map(|p| p["expected_units"].as_u64())
                .sum::<u64>()
                + 1;
            assert_eq!(
                c["expected_units"].as_u64(),
                Some(n),
                "{} expected",
                ind.code
            );
        }
        // subtotals: each kind summed over the counties, the office under 市本级
        for kind in ["township", "department", "county_office", "external"] {
            let want = sum(parts.iter().map(|p| num(&p["subtotals"][kind])));
            assert_eq!(
                num(&c["subtotals"][kind]),
                want,
                "{} subtotal {kind}",
                ind.code
            );
        }
        assert_eq!(
            num(&c["subtotals"]["city_office"]),
            own,
            "{} 市本级",
            ind.code
        );
    }
    for r in &schema.rates {
        let c = rate(&city, &r.code);
        let parts: Vec<&Value> = counties.iter().map(|f| rate(f, &r.code)).collect();
        let own = office_rate(&schema, &office_values, &r.code);
        let n: f64 = parts
            .iter()
            .filter_map(|p| num(&p["numerator"]))
            .sum::<f64>()
            + own.0;
        let d: f64 = parts
            .iter()
            .filter_map(|p| num(&p["denominator"]))
            .sum::<f64>()
            + own.1;
        assert_eq!(num(&c["numerator"]), Some(n), "{} numerator", r.code);
        assert_eq!(num(&c["denominator"]), Some(d), "{} denominator", r.code);
        assert_eq!(
            num(&c["value"]),
            (d != 0.0).then(|| n / d),
            "{} value",
            r.code
        );
        let pn = sum(parts.iter().map(|p| num(&p["prior_numerator"])));
        let pd = sum(parts.iter().map(|p| num(&p["prior_denominator"])));
        assert_eq!(num(&c["prior_numerator"]), pn, "{} prior n", r.code);
        assert_eq!(num(&c["prior_denominator"]), pd, "{} prior d", r.code);
    }

    // the counties are the city's units; the county with units left out is flagged
    let units: Vec<&str> = city["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|u| u["code"].as_str())
        .collect();
    assert_eq!(units, ["411321", "411322", "411323", CITY_OFFICE]);
    let incomplete = city["coverage"]["incomplete"]
        .as_array()
        .expect("incomplete");
    let c3 = &counties[2]["coverage"];
    assert_eq!(incomplete.len(), 1, "{incomplete:?}");
    assert_eq!(incomplete[0]["unit"], "411323");
    assert_eq!(incomplete[0]["held_back"], c3["held_back"]);
    assert_eq!(incomplete[0]["missing"], c3["missing"]);
    assert!(!c3["held_back"].as_array().expect("list").is_empty());
    // the office has no last year here (no --prior): it counts this year only, and says so
    assert!(city["coverage"]["without_prior"]
        .as_array()
        .expect("list")
        .iter()
        .any(|u| u == CITY_OFFICE));

    // the city's history: one record per county × indicator, from the county's figures file
    let hist = history::read(&out.join("history.csv")).expect("city history");
    for (o, f) in outs.iter().zip(&counties) {
        let code = o
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .trim_start_matches("out");
        let mine: Vec<&huizong::aggregate::Record> =
            hist.iter().filter(|r| &*r.unit == code).collect();
        let with_value = f["indicators"]
            .as_array()
            .expect("indicators")
            .iter()
            .filter(|i| !i["value"].is_null())
            .count();
        assert_eq!(mine.len(), with_value, "{code}");
        for r in mine {
            assert_eq!(r.kind, UnitKind::County);
            assert!(r.origin.ends_with("figures_2024.json"), "{}", r.origin);
            assert_eq!(Some(r.value), num(&indicator(f, &r.indicator)["value"]));
        }
    }
    // the summary workbook and the Parquet twin of the history are there
    assert!(out.join("市汇总_2024.xlsx").is_file());
    assert!(out.join("history.parquet").is_file());
    let manifest = std::fs::read_to_string(out.join(".huizong-output")).expect("manifest");
    assert!(manifest.contains("#set 市汇总 2024"), "{manifest}");
}

/// The kinds whose values make an indicator's county figure.
fn counted_kinds(ind: &huizong::schema::Indicator) -> Vec<UnitKind> {
    if ind.aggregation != Aggregation::County {
        return UnitKind::BASE.to_vec();
    }
    let k = if ind.reported_by(UnitKind::CountyOffice) {
        UnitKind::CountyOffice
    } else {
        UnitKind::External
    };
    vec![k]
}

/// The values the city office's workbook carries (the sample county office's, as written).
fn office_values(schema: &Schema) -> BTreeMap<String, f64> {
    let opts = SampleOptions {
        clean: true,
        county: "411399".into(),
        ..SampleOptions::default()
    };
    let county = sample::generate(schema, &opts);
    let data = county.years[&2024]
        .iter()
        .find(|d| d.code.ends_with("-C01"))
        .expect("county office");
    data.values
        .iter()
        .filter(|(k, _)| {
            schema
                .indicator(k)
                .is_some_and(|i| i.reported_by(UnitKind::CountyOffice))
        })
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// The office's numerator and denominator of a rate (0, 0 when it does not apply).
fn office_rate(schema: &Schema, values: &BTreeMap<String, f64>, code: &str) -> (f64, f64) {
    struct Env<'a>(&'a BTreeMap<String, f64>);
    impl huizong::schema::expr::Env for Env<'_> {
        fn current(&self, code: &str) -> Option<f64> {
            match code {
                "expected" => Some(1.0),
                "villages" => Some(0.0),
                _ => self.0.get(code).copied(),
            }
        }
        fn prior(&self, _: &str) -> Option<f64> {
            None
        }
    }
    let Some(r) = schema.rates.iter().find(|r| r.code == code) else {
        return (0.0, 0.0);
    };
    if !r.kinds.is_empty() && !r.kinds.contains(&UnitKind::CountyOffice) {
        return (0.0, 0.0);
    }
    r.numerator
        .eval(&Env(values))
        .zip(r.denominator.eval(&Env(values)))
        .unwrap_or((0.0, 0.0))
}

#[test]
fn a_province_rolls_up_its_cities_outputs() {
    let fx = fixture();
    let (a, b, c) = (fx.out("411321"), fx.out("411322"), fx.out("411323"));
    write_registry(&fx.path("city1.csv"), &COUNTIES[..2], "411300", false);
    write_registry(&fx.path("city2.csv"), &COUNTIES[2..], "411400", false);
    let (city1, city2) = (fx.path("p-city1"), fx.path("p-city2"));
    assert_eq!(
        rollup(&[&a, &b], &fx.path("city1.csv"), &city1, "2024")
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        rollup(&[&c], &fx.path("city2.csv"), &city2, "2024")
            .status
            .code(),
        Some(1)
    );
    std::fs::write(
        fx.path("province.csv"),
        format!("{HEADER}411300,甲市,city,410000,2015,,,\n411400,乙市,city,410000,2015,,,\n"),
    )
    .expect("registry");
    let prov = fx.path("province");
    let r = rollup(&[&city1, &city2], &fx.path("province.csv"), &prov, "2024");
    assert_eq!(
        r.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let p = read_json(&prov.join("figures_2024.json"));
    assert_eq!(p["level"], "province");
    assert_eq!(p["region"], "410000");
    let counties: Vec<Value> = [&a, &b, &c]
        .iter()
        .map(|o| read_json(&o.join("figures_2024.json")))
        .collect();
    let schema = Schema::load(None).expect("schema");
    for ind in &schema.indicators {
        let want = sum(counties
            .iter()
            .map(|f| num(&indicator(f, &ind.code)["value"])));
        let got = num(&indicator(&p, &ind.code)["value"]);
        match (got, want) {
            // (a + b) + c against a + b + c: the same for counts, a rounding apart for amounts
            (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{}", ind.code),
            _ => assert_eq!(got, want, "{}", ind.code),
        }
    }
    for r in &schema.rates {
        let n: f64 = counties
            .iter()
            .filter_map(|f| num(&rate(f, &r.code)["numerator"]))
            .sum();
        let d: f64 = counties
            .iter()
            .filter_map(|f| num(&rate(f, &r.code)["denominator"]))
            .sum();
        assert_eq!(num(&rate(&p, &r.code)["numerator"]), Some(n), "{}", r.code);
        assert_eq!(
            num(&rate(&p, &r.code)["denominator"]),
            Some(d),
            "{}",
            r.code
        );
    }
    // 丙县's held-back units reach the province through 乙市
    let inc = p["coverage"]["incomplete"].as_array().expect("incomplete");
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0]["unit"], "411400");
    assert_eq!(inc[0]["held_back"], counties[2]["coverage"]["held_back"]);
    assert!(prov.join("省汇总_2024.xlsx").is_file());
}

/// A roll-up that must stop: exit 2, the message names `name`, nothing written.
fn refused(args: &[&Path], registry: &Path, year: &str, name: &str, why: &str) {
    let out = fixture().path(&format!("refused-{why}"));
    let r = rollup(args, registry, &out, year);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{why}: {err}");
    assert!(err.contains(name), "{why}: {err}");
    assert!(!out.exists(), "{why}: --out written");
}

#[test]
fn outputs_that_cannot_be_summed_are_refused() {
    let fx = fixture();
    let reg = fx.path("city.csv");
    let a = fx.out("411321");
    let b = fx.out("411322");
    let a_name = a.display().to_string();
    // another year
    refused(&[&a], &reg, "2025", &a_name, "year");
    // the same county twice
    refused(&[&a, &b, &a], &reg, "2024", &a_name, "twice");
    // a county the registry does not list
    let only_a = fx.path("only-a.csv");
    write_registry(&only_a, &COUNTIES[..1], "411300", false);
    refused(
        &[&a, &b],
        &only_a,
        "2024",
        &b.display().to_string(),
        "unknown",
    );
    // not an output folder (the submissions)
    let s = fx.path("s411321");
    refused(&[&s], &reg, "2024", &s.display().to_string(), "not-output");
    // a county output given to a province
    std::fs::write(
        fx.path("prov-only.csv"),
        format!("{HEADER}411300,甲市,city,410000,2015,,,\n"),
    )
    .expect("registry");
    refused(&[&a], &fx.path("prov-only.csv"), "2024", &a_name, "level");

    // a figures file changed after the run wrote it
    let changed = fx.path("changed");
    copy_dir(&a, &changed);
    let f = changed.join("figures_2024.json");
    let text = std::fs::read_to_string(&f).expect("json");
    std::fs::write(&f, text.replacen("\"value\": 9", "\"value\": 10", 1) + " ").expect("edit");
    refused(
        &[&changed],
        &reg,
        "2024",
        &changed.display().to_string(),
        "changed",
    );

    // another schema: the same data under another schema id
    let other = fx.path("other-schema.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/fazhi-2024.toml"
    ))
    .expect("schema");
    let replaced = text.replacen("id = \"fazhi-2024\"", "id = \"fazhi-2024-省版\"", 1);
    assert_ne!(replaced, text, "schema id line");
    std::fs::write(&other, replaced).expect("schema");
    let foreign = fx.path("other-schema-out");
    let r = huizong()
        .args(["run", "--year", "2024", "--quiet", "--schema"])
        .arg(&other)
        .arg(fx.path("s411322").join("2024"))
        .arg("--out")
        .arg(&foreign)
        .output()
        .expect("run");
    assert!(
        r.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    refused(
        &[&a, &foreign],
        &reg,
        "2024",
        &foreign.display().to_string(),
        "schema",
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

#[test]
fn the_same_inputs_give_the_same_bytes_and_draft_reads_the_city() {
    let fx = fixture();
    let outs: Vec<PathBuf> = COUNTIES[..2].iter().map(|c| fx.out(c.0)).collect();
    let args: Vec<&Path> = outs.iter().map(PathBuf::as_path).collect();
    write_registry(&fx.path("twins.csv"), &COUNTIES[..2], "411300", false);
    let (one, two) = (fx.path("twin1"), fx.path("twin2"));
    assert_eq!(
        rollup(&args, &fx.path("twins.csv"), &one, "2024")
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        rollup(&args, &fx.path("twins.csv"), &two, "2024")
            .status
            .code(),
        Some(0)
    );
    for name in [
        "figures_2024.json",
        "history.csv",
        "history.parquet",
        "市汇总_2024.xlsx",
    ] {
        let a = std::fs::read(one.join(name)).expect("one");
        let b = std::fs::read(two.join(name)).expect("two");
        assert!(a == b, "{name} differs");
    }
    // rerunning into the same folder replaces the set
    assert_eq!(
        rollup(&args, &fx.path("twins.csv"), &one, "2024")
            .status
            .code(),
        Some(0)
    );
    let md = fx.path("city-draft.md");
    huizong()
        .args(["draft", "--year", "2024", "--from"])
        .arg(&one)
        .arg("--out")
        .arg(&md)
        .assert()
        .success();
    let text = std::fs::read_to_string(&md).expect("draft");
    assert!(text.contains("行政复议"), "{text}");
    // A city's report speaks of the city: 全市, 依法治市, 全市法院, never the county's words.
    let body: String = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(body.contains("全市") && body.contains("全市法院"), "{text}");
    assert!(
        !body.contains("全县") && !body.contains("县法院") && !body.contains("依法治县"),
        "{text}"
    );
}

#[test]
fn sample_county_codes_make_different_counties() {
    let schema = Schema::load(None).expect("schema");
    let make = |code: &str| {
        sample::generate(
            &schema,
            &SampleOptions {
                clean: true,
                county: code.into(),
                ..SampleOptions::default()
            },
        )
    };
    let (a, b) = (make("411321"), make("420102"));
    assert!(a
        .registry
        .units
        .iter()
        .all(|u| u.code.starts_with("411321-")));
    assert!(b
        .registry
        .units
        .iter()
        .all(|u| u.code.starts_with("420102-") && u.parent.as_deref() == Some("420102")));
    let values = |c: &huizong::sample::SampleCounty| -> Vec<BTreeMap<String, f64>> {
        c.years[&2024].iter().map(|d| d.values.clone()).collect()
    };
    assert_ne!(values(&a), values(&b));
    huizong()
        .args(["sample", "--county", "41132", "--out"])
        .arg(fixture().path("bad-county"))
        .assert()
        .code(2);
}

#[test]
fn a_region_without_output_is_listed_as_missing() {
    let fx = fixture();
    let (a, b) = (fx.out("411321"), fx.out("411322"));
    write_registry(&fx.path("three.csv"), &COUNTIES, "411300", false);
    let out = fx.path("missing-one");
    let r = rollup(&[&a, &b], &fx.path("three.csv"), &out, "2024");
    assert_eq!(
        r.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stdout).contains("未报：丙县（411323）"));
    let f = read_json(&out.join("figures_2024.json"));
    assert_eq!(f["coverage"]["missing"], serde_json::json!(["411323"]));
    assert_eq!(
        f["coverage"]["accepted"],
        serde_json::json!(["411321", "411322"])
    );
}
