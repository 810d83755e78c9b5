//! The sample county: determinism, the seed figures, every validation rule on clean data (checked
//! directly on the generated values, domain §1.5), and the planted defects.
//!
//! Most tests use a hand-built schema (the catalogue of domain §1.2–1.3) so they do not depend on
//! the schema parser; the last ones use the embedded schema and the template writer.

mod common;
use common::build;

use std::collections::{BTreeMap, BTreeSet};

use huizong::registry::{Unit, UnitKind};
use huizong::sample::{self, SampleCounty, SampleOptions, UnitData};
use huizong::schema::{Aggregation, Indicator, Schema, ValueType};

use UnitKind::{CountyOffice as C, Department as D, External as X, Township as T};

/// The catalogue: code, who reports it, value type.
fn catalogue() -> Vec<(&'static str, Vec<UnitKind>, ValueType)> {
    let a = || vec![T, D, C];
    let dt = || vec![D, T];
    let count = ValueType::Count;
    let mut out = Vec::new();
    let mut add = |codes: &[&'static str], kinds: Vec<UnitKind>, vt: ValueType| {
        for c in codes {
            out.push((*c, kinds.clone(), vt));
        }
    };
    add(&["ZL01", "ZL02", "ZL03"], a(), count);
    add(&["ZL04"], a(), ValueType::YesNo);
    add(&["ZL05"], vec![C], count);
    add(
        &["GF01", "GF02", "GF03", "GF04", "GF05", "GF06", "GF07"],
        a(),
        count,
    );
    add(
        &["JC01", "JC02", "JC03", "JC04", "JC05", "JC06"],
        a(),
        count,
    );
    add(&["JC07", "JC08"], vec![C, D], count);
    add(&["GW01"], a(), ValueType::YesNo);
    add(&["GW02", "GW03", "GW04"], a(), count);
    add(&["GW05"], vec![T], count);
    add(&["GW06"], a(), count);
    add(
        &["ZF01", "ZF02", "ZF03", "ZF04", "ZF05", "ZF06"],
        dt(),
        count,
    );
    add(
        &[
            "ZF06A", "ZF06B", "ZF06C", "ZF06D", "ZF06E", "ZF06F", "ZF06G", "ZF06H", "ZF06I",
        ],
        dt(),
        count,
    );
    add(&["ZF07"], dt(), ValueType::Amount);
    add(
        &["ZF08A", "ZF08B", "ZF08C", "ZF08D", "ZF08E", "ZF09", "ZF10"],
        dt(),
        count,
    );
    add(&["ZF11", "ZF12"], vec![C, D], count);
    add(&["ZF13", "ZF14"], vec![C], count);
    add(&["ZF15"], vec![T], count);
    add(
        &["FY01", "FY02", "FY03", "FY04", "FY05", "FY06"],
        vec![C],
        count,
    );
    add(
        &[
            "FY06A", "FY06B", "FY06C", "FY06D", "FY06E", "FY06F", "FY06G", "FY06H", "FY06I",
            "FY06J",
        ],
        vec![C],
        count,
    );
    add(&["FY07"], vec![C], count);
    add(&["FY08", "FY09"], dt(), count);
    add(&["FY10"], vec![C], count);
    add(
        &["YS01", "YS02", "YS03", "YS04", "YS05", "YS06", "YS07"],
        a(),
        count,
    );
    add(&["YS08", "YS09", "YS10"], vec![X], count);
    add(&["PF01", "PF02", "PF03", "PF04"], a(), count);
    add(&["PF05", "PF06"], vec![T], count);
    add(&["GK01", "GK02", "GK03"], a(), count);
    add(&["GK04"], a(), ValueType::YesNo);
    add(
        &["FW01", "FW02", "FW03", "FW04", "FW06", "FW07"],
        vec![C],
        count,
    );
    add(&["FW05"], vec![C, T], count);
    add(&["JF01", "JF02"], vec![T, C], count);
    add(&["JF03"], vec![C], count);
    out
}

/// A schema with the catalogue's indicators and nothing else (no rules: checked below by hand).
fn fixture_schema() -> Schema {
    let indicators = catalogue()
        .into_iter()
        .map(|(code, reporters, value_type)| Indicator {
            code: code.to_string(),
            name: code.to_string(),
            unit: String::new(),
            value_type,
            section: code[..2].to_string(),
            reporters,
            aggregation: Aggregation::Sum,
            parent: None,
            hint: None,
            max: None,
        })
        .collect();
    Schema {
        id: "fixture".into(),
        title: "fixture".into(),
        edition: "2024".into(),
        template_version: "test".into(),
        sections: Vec::new(),
        indicators,
        rates: Vec::new(),
        ..build::schema(vec![], vec![])
    }
}

fn clean() -> SampleOptions {
    SampleOptions {
        clean: true,
        ..SampleOptions::default()
    }
}

fn unit<'a>(county: &'a SampleCounty, code: &str) -> &'a Unit {
    county.registry.get(code).expect("unit in registry")
}

fn v(d: &UnitData, code: &str) -> f64 {
    d.values.get(code).copied().unwrap_or(0.0)
}

/// The first file per unit (a planted duplicate is ignored).
fn first_files(files: &[UnitData]) -> Vec<&UnitData> {
    let mut seen = BTreeSet::new();
    files
        .iter()
        .filter(|f| f.file_name.is_some() && seen.insert(f.code.clone()))
        .collect()
}

fn total(county: &SampleCounty, year: i32, code: &str) -> f64 {
    first_files(&county.years[&year])
        .iter()
        .map(|f| v(f, code))
        .sum()
}

fn value_of(county: &SampleCounty, year: i32, unit_code: &str, code: &str) -> f64 {
    county.years[&year]
        .iter()
        .find(|f| f.code == unit_code)
        .map(|f| v(f, code))
        .unwrap_or(f64::NAN)
}

#[test]
fn generation_is_deterministic_and_seed_dependent() {
    let schema = fixture_schema();
    let a = sample::generate(&schema, &SampleOptions::default());
    let b = sample::generate(&schema, &SampleOptions::default());
    assert_eq!(a, b);
    let other = sample::generate(
        &schema,
        &SampleOptions {
            seed: 7,
            ..SampleOptions::default()
        },
    );
    assert_ne!(a.years, other.years);
}

#[test]
fn seed_figures_are_present_with_and_without_defects() {
    let schema = fixture_schema();
    for opts in [clean(), SampleOptions::default()] {
        let c = sample::generate(&schema, &opts);
        assert_eq!(value_of(&c, 2024, "411321-C01", "FY02"), 70.0);
        assert_eq!(value_of(&c, 2023, "411321-C01", "FY02"), 23.0);
        assert_eq!(total(&c, 2024, "FY02"), 70.0);
        assert_eq!(total(&c, 2024, "GF01"), 9.0);
        assert_eq!(total(&c, 2023, "GF01"), 17.0);
        for (code, y24, y23) in [
            ("YS08", 64.0, 51.0),
            ("YS09", 56.0, 47.0),
            ("YS10", 5.0, 6.0),
        ] {
            assert_eq!(value_of(&c, 2024, "411321-X01", code), y24, "{code}");
            assert_eq!(value_of(&c, 2023, "411321-X01", code), y23, "{code}");
            assert_eq!(total(&c, 2024, code), y24, "{code} summed");
        }
        let office = c.years[&2024]
            .iter()
            .find(|f| f.code == "411321-C01")
            .unwrap();
        assert_eq!(
            office.notes.get("FY02").map(String::as_str),
            Some(sample::FY02_NOTE)
        );
    }
}

#[test]
fn registry_layout() {
    let c = sample::generate(&fixture_schema(), &clean());
    let count = |year: i32, kind: UnitKind| {
        c.registry
            .active_in(year)
            .filter(|u| u.kind == kind)
            .count()
    };
    assert_eq!((count(2023, T), count(2024, T)), (15, 14));
    assert_eq!(count(2024, D), 30);
    assert_eq!((count(2024, C), count(2024, X)), (1, 1));
    let merged: Vec<&Unit> = c
        .registry
        .units
        .iter()
        .filter(|u| !u.predecessors.is_empty())
        .collect();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].active_from, 2024);
    for (p, w) in &merged[0].predecessors {
        assert_eq!(*w, 1.0);
        assert_eq!(unit(&c, p).active_to, Some(2023));
    }
    assert!(c
        .registry
        .units
        .iter()
        .all(|u| u.code.starts_with("411321-")));
    for u in c.registry.units.iter().filter(|u| u.kind == T) {
        assert!(
            (8..=30).contains(&u.villages) || !u.predecessors.is_empty(),
            "{}",
            u.name
        );
    }
    // Every active unit has exactly one file per year.
    for (year, files) in &c.years {
        let codes: Vec<&str> = files.iter().map(|f| f.code.as_str()).collect();
        let active: Vec<&str> = c
            .registry
            .active_in(*year)
            .map(|u| u.code.as_str())
            .collect();
        assert_eq!(codes, active);
    }
}

/// Last year's values of a unit as the validator sees them (merged units: Σ predecessors).
fn prior_of(c: &SampleCounty, year: i32, u: &Unit) -> Option<BTreeMap<String, f64>> {
    let files = c.years.get(&(year - 1))?;
    let own = files.iter().find(|f| f.code == u.code);
    if let Some(f) = own {
        return Some(f.values.clone());
    }
    let mut sum = BTreeMap::new();
    for (p, w) in &u.predecessors {
        let f = files.iter().find(|f| &f.code == p)?;
        for (k, val) in &f.values {
            *sum.entry(k.clone()).or_insert(0.0) += w * val;
        }
    }
    (!sum.is_empty()).then_some(sum)
}

/// Checks every in-record rule of domain §1.5 (errors, warnings and info) on one file.
fn in_record_problems(u: &Unit, d: &UnitData) -> Vec<String> {
    let g = |c: &str| v(d, c);
    let has = |c: &str| d.values.contains_key(c);
    let mut bad = Vec::new();
    let mut check = |ok: bool, rule: &str| {
        if !ok {
            bad.push(format!("{} {rule}", u.code));
        }
    };
    for (code, val) in &d.values {
        let int_ok = code == "ZF07" || val.fract() == 0.0;
        check(
            *val >= 0.0 && int_ok && (val * 100.0).fract().abs() < 1e-6,
            &format!("V01 {code}"),
        );
    }
    if has("GF01") {
        check(g("GF02") <= g("GF01"), "V10");
        check(g("GF03") >= g("GF02"), "V11");
        check(g("GF06") <= g("GF05"), "V13");
        check(g("GF02") == g("GF01") && g("GF04") == g("GF01"), "V62/V63");
        for c in ["JC02", "JC03", "JC04", "JC05", "JC06"] {
            check(g(c) <= g("JC01"), "V14");
        }
        check(g("JC02") == g("JC01") && g("JC06") == g("JC01"), "V64");
        check(g("ZL01") >= 1.0, "V60");
        check(g("ZL02") >= 4.0, "V61");
        check(g("GW01") == 1.0 || g("GW02") == 0.0, "V65");
        check(g("YS03") <= g("YS01") + g("YS02"), "V28");
        check(g("YS04") + g("YS05") <= g("YS03"), "V29");
        check(g("YS06") <= g("YS01") + g("YS02"), "V30");
        check(g("YS07") <= g("YS06"), "V31");
        check(g("GK03") <= g("GK02"), "V32 GK");
    }
    if u.kind == C {
        check(g("JC07") >= g("GF02") + g("JC02"), "V15");
        check(g("FY03") + g("FY04") + g("FY05") == g("FY02"), "V25");
        check(g("FY06") <= g("FY01") + g("FY03"), "V26");
        let s: f64 = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]
            .iter()
            .map(|s| g(&format!("FY06{s}")))
            .sum();
        check(s == g("FY06"), "V27");
        check(g("ZF12") <= g("ZF11") && g("ZF14") <= g("ZF13"), "V17");
        for c in ["FW02", "FW03", "FW04"] {
            check(g(c) <= g("FW01"), "V32 FW");
        }
        check(g("FW07") <= g("FW06") && g("JF02") <= g("JF01"), "V32");
    }
    if u.kind == X {
        check(g("YS09") <= g("YS08") && g("YS10") <= g("YS09"), "V32 YS");
    }
    if u.kind == T {
        check(
            g("GW05") <= f64::from(u.villages) && g("PF06") <= f64::from(u.villages),
            "V16",
        );
        check(g("ZF15") == 0.0 || g("ZF01") > 0.0, "V66");
        check(g("JF02") <= g("JF01"), "V32 JF");
    }
    if has("ZF06") {
        check(g("ZF02") <= g("ZF01"), "V17");
        check(g("ZF05") <= g("ZF04"), "V18");
        check(g("ZF10") <= g("ZF06") + g("ZF08C") + g("ZF09"), "V19");
        let s: f64 = ["A", "B", "C", "D", "E", "F", "G", "H", "I"]
            .iter()
            .map(|s| g(&format!("ZF06{s}")))
            .sum();
        check(s == g("ZF06"), "V20");
        check((g("ZF06") == 0.0) == (g("ZF07") == 0.0), "V21");
        if g("ZF06") > 0.0 {
            let per = g("ZF07") / g("ZF06");
            check((10.0..=1_000_000.0).contains(&per), "V70");
        }
        check(g("ZF08B") <= g("ZF08A"), "V22");
        check(g("ZF08C") + g("ZF08D") <= g("ZF08B"), "V23");
        check(g("FY09") <= g("FY08"), "V32 FY09");
        check(u.name.contains("公安") || g("ZF06H") == 0.0, "V67");
    }
    let round = d
        .values
        .values()
        .filter(|x| **x >= 100.0 && *x % 100.0 == 0.0)
        .count();
    check(round <= 1, "V71");
    bad
}

/// The cross-period rules (V40–V46) for one file against last year's values.
fn cross_period_problems(u: &Unit, d: &UnitData, p: &BTreeMap<String, f64>) -> Vec<String> {
    let g = |c: &str| v(d, c);
    let pg = |c: &str| p.get(c).copied().unwrap_or(0.0);
    let mut bad = Vec::new();
    let mut check = |ok: bool, rule: String| {
        if !ok {
            bad.push(format!("{} {rule}", u.code));
        }
    };
    if d.values.contains_key("GF07") {
        check(
            g("GF07") == pg("GF07") + g("GF01") - g("GF06"),
            "V40".into(),
        );
    }
    if u.kind == C {
        check(
            g("FY01") == pg("FY01") + pg("FY03") - pg("FY06"),
            "V42".into(),
        );
    }
    if d.values.contains_key("YS02") {
        check(
            g("YS02") == pg("YS01") + pg("YS02") - pg("YS03"),
            "V43".into(),
        );
    }
    if pg("ZF02") > 0.0 {
        check(
            ((g("ZF02") - pg("ZF02")) / pg("ZF02")).abs() <= 0.3,
            "V41".into(),
        );
    }
    for c in ["PF05", "PF06", "FW01", "FW02", "FW03", "FW04", "GF07"] {
        check(g(c) >= pg(c), format!("V44 {c}"));
    }
    for (code, cur) in &d.values {
        let Some(prev) = p.get(code).copied() else {
            continue;
        };
        let fires = prev > 0.0 && (cur - prev).abs() >= 10.0 && (cur - prev).abs() / prev > 2.0;
        let explained = d
            .notes
            .get(code)
            .is_some_and(|n| huizong::sheets::is_real_explanation(n));
        check(!fires || explained, format!("V45 {code} {prev} -> {cur}"));
    }
    let same = d
        .values
        .iter()
        .filter(|(k, x)| p.get(*k) == Some(*x))
        .count();
    let share = same as f64 / d.values.len().max(1) as f64;
    check(share <= 0.7, format!("V46 {share:.2}"));
    bad
}

/// Σ FY08 = FY03 (V50), Σ FY09 = 纠错 (V51), Σ YS01 close to the court's YS08 (V52).
fn cross_unit_problems(c: &SampleCounty, year: i32) -> Vec<String> {
    let files = first_files(&c.years[&year]);
    let sum = |code: &str| files.iter().map(|f| v(f, code)).sum::<f64>();
    let office = files.iter().find(|f| f.code.ends_with("-C01")).unwrap();
    let corr: f64 = ["FY06C", "FY06D", "FY06E", "FY06F", "FY06G"]
        .iter()
        .map(|k| v(office, k))
        .sum();
    let mut bad = Vec::new();
    if sum("FY08") != v(office, "FY03") {
        bad.push(format!(
            "{year} V50 {} vs {}",
            sum("FY08"),
            v(office, "FY03")
        ));
    }
    if sum("FY09") != corr {
        bad.push(format!("{year} V51 {} vs {corr}", sum("FY09")));
    }
    let ys08 = sum("YS08");
    if ((sum("YS01") - ys08) / ys08).abs() > 0.15 {
        bad.push(format!("{year} V52 {} vs {ys08}", sum("YS01")));
    }
    bad
}

fn all_problems(c: &SampleCounty) -> Vec<String> {
    let mut bad = Vec::new();
    for (year, files) in &c.years {
        for d in files {
            let u = unit(c, &d.code);
            bad.extend(in_record_problems(u, d));
            if let Some(p) = prior_of(c, *year, u) {
                assert_eq!(d.prior, p, "上年数 shown for {}", d.code);
                bad.extend(cross_period_problems(u, d, &p));
            }
        }
        bad.extend(cross_unit_problems(c, *year));
    }
    bad
}

#[test]
fn clean_data_satisfies_every_rule() {
    let c = sample::generate(&fixture_schema(), &clean());
    let bad = all_problems(&c);
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(c.defects.is_empty());
    // Only the county office's FY02 needs an explanation.
    let notes: Vec<(String, String)> = c
        .years
        .values()
        .flatten()
        .flat_map(|f| f.notes.keys().map(|k| (f.code.clone(), k.clone())))
        .collect();
    assert_eq!(notes, vec![("411321-C01".to_string(), "FY02".to_string())]);
}

#[test]
fn clean_data_satisfies_every_rule_for_other_seeds_sizes_and_years() {
    let schema = fixture_schema();
    for (seed, units, years) in [
        (1, Some(20), vec![2023, 2024]),
        (2, Some(600), vec![2023, 2024]),
        (3, None, vec![2022, 2023, 2024, 2025]),
        (4, Some(8), vec![2024]),
    ]
    .into_iter()
    .chain((10..30).map(|s| (s, None, vec![2023, 2024])))
    .chain((30..36).map(|s| (s, Some(90), vec![2023, 2024, 2025])))
    {
        let opts = SampleOptions {
            seed,
            units,
            years,
            clean: true,
            ..SampleOptions::default()
        };
        let c = sample::generate(&schema, &opts);
        let bad = all_problems(&c);
        assert!(bad.is_empty(), "seed {seed}: {bad:#?}");
        if let Some(n) = units {
            assert_eq!(c.registry.units.len(), n);
        }
        if c.years.contains_key(&2024) && c.years.contains_key(&2023) {
            assert_eq!(total(&c, 2024, "GF01"), 9.0);
            assert_eq!(total(&c, 2023, "GF01"), 17.0);
            assert_eq!(total(&c, 2024, "FY02"), 70.0);
        }
    }
}

#[test]
fn values_cover_exactly_what_each_kind_reports() {
    let schema = fixture_schema();
    let c = sample::generate(&schema, &clean());
    for d in c.years.values().flatten() {
        let kind = unit(&c, &d.code).kind;
        let want: BTreeSet<&str> = schema
            .indicators
            .iter()
            .filter(|i| i.reported_by(kind))
            .map(|i| i.code.as_str())
            .collect();
        let got: BTreeSet<&str> = d.values.keys().map(String::as_str).collect();
        assert_eq!(got, want, "{}", d.code);
    }
}

#[test]
fn magnitudes_are_plausible() {
    let c = sample::generate(&fixture_schema(), &clean());
    let y = 2024;
    let police = value_of(&c, y, "411321-D01", "ZF06");
    let market = value_of(&c, y, "411321-D02", "ZF06");
    assert!(police > 800.0 && market > 150.0, "{police} {market}");
    assert!(value_of(&c, y, "411321-D01", "ZF06H") > 100.0);
    assert!(value_of(&c, y, "411321-D02", "ZF07") > 300_000.0);
    let towns: Vec<&UnitData> = c.years[&y]
        .iter()
        .filter(|f| f.code.contains("-T"))
        .collect();
    let zero_share = towns
        .iter()
        .flat_map(|f| f.values.values())
        .filter(|x| **x == 0.0)
        .count() as f64
        / towns.iter().map(|f| f.values.len()).sum::<usize>() as f64;
    assert!(
        zero_share > 0.2,
        "townships should have many zeros: {zero_share}"
    );
}

fn defect_files(c: &SampleCounty, id: char) -> (&sample::PlantedDefect, Vec<&UnitData>) {
    let d = c
        .defects
        .iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("defect {id}"));
    let files = c.years[&d.year]
        .iter()
        .filter(|f| f.code == d.unit_code)
        .collect();
    (d, files)
}

#[test]
fn planted_defects_are_where_the_list_says() {
    let schema = fixture_schema();
    let c = sample::generate(&schema, &SampleOptions::default());
    let ids: String = c.defects.iter().map(|d| d.id).collect();
    assert_eq!(ids, "abcdefghi");
    assert_eq!(
        sample::planted_defects(&schema, &SampleOptions::default()),
        c.defects
    );
    let issuers: BTreeSet<&str> = c.years[&2024]
        .iter()
        .filter(|f| v(f, "GF01") > 0.0)
        .map(|f| f.code.as_str())
        .collect();
    let mut units = BTreeSet::new();
    for d in &c.defects {
        assert_eq!(d.year, 2024);
        assert!(!d.unit_code.ends_with("-C01") && !d.unit_code.ends_with("-X01"));
        assert!(
            !issuers.contains(d.unit_code.as_str()),
            "{} issues 规范性文件",
            d.unit_code
        );
        assert!(units.insert(d.unit_code.clone()), "one defect per unit");
    }
    let (_, f) = defect_files(&c, 'a');
    assert!(v(f[0], "YS03") > v(f[0], "YS01") + v(f[0], "YS02"));
    let (d, f) = defect_files(&c, 'b');
    assert_eq!(
        f[0].typed
            .get(d.indicator.as_deref().unwrap())
            .map(String::as_str),
        Some("xx")
    );
    let (_, f) = defect_files(&c, 'c');
    assert!(v(f[0], "ZF07") / v(f[0], "ZF06") < 10.0 && v(f[0], "ZF07") > 0.0);
    let (_, f) = defect_files(&c, 'd');
    assert_eq!(f[0].values, f[0].prior);
    let (d, f) = defect_files(&c, 'e');
    assert!(d.file.is_none() && f.len() == 1 && f[0].file_name.is_none());
    let (d, f) = defect_files(&c, 'f');
    assert_eq!(f.len(), 2);
    assert_ne!(f[0].values, f[1].values);
    assert!(d.file.as_deref().unwrap().contains("(修改)"));
    let (d, f) = defect_files(&c, 'g');
    assert!(f[0].typed[d.indicator.as_deref().unwrap()].ends_with('余'));
    let (d, f) = defect_files(&c, 'h');
    let t = &f[0].typed[d.indicator.as_deref().unwrap()];
    assert!(t.chars().all(|ch| ('０'..='９').contains(&ch)), "{t}");
    let (_, f) = defect_files(&c, 'i');
    let ratio = v(f[0], "ZF06") / f[0].prior["ZF06"];
    assert!(ratio > 2.5 && ratio <= 3.0, "{ratio}");
}

#[test]
fn defects_change_nothing_but_the_planted_units_and_break_only_their_rules() {
    for seed in [20241231, 1, 2, 3, 4, 5, 6] {
        defects_for_seed(seed);
    }
}

fn defects_for_seed(seed: u64) {
    let schema = fixture_schema();
    let clean = sample::generate(&schema, &SampleOptions { seed, ..clean() });
    let dirty = sample::generate(
        &schema,
        &SampleOptions {
            seed,
            ..SampleOptions::default()
        },
    );
    assert_eq!(dirty.defects.len(), 9);
    assert_eq!(clean.registry, dirty.registry);
    let planted: BTreeSet<&str> = dirty.defects.iter().map(|d| d.unit_code.as_str()).collect();
    assert_eq!(clean.years[&2023], dirty.years[&2023]);
    let untouched = |c: &SampleCounty| -> Vec<UnitData> {
        c.years[&2024]
            .iter()
            .filter(|f| !planted.contains(f.code.as_str()))
            .cloned()
            .collect()
    };
    assert_eq!(untouched(&clean), untouched(&dirty));
    // The rule problems in the dirty data are exactly the planted ones (typed cells are not
    // visible in `values`; the anomaly (i) breaks no rule).
    let mut bad = all_problems(&dirty);
    bad.sort();
    let code = |id: char| {
        dirty
            .defects
            .iter()
            .find(|d| d.id == id)
            .unwrap()
            .unit_code
            .clone()
    };
    let expected = vec![
        format!("{} V28", code('a')),
        format!("{} V70", code('c')),
        format!("{} V46 1.00", code('d')),
    ];
    let mut expected = expected;
    expected.sort();
    assert_eq!(bad, expected);
}

#[test]
fn readme_documents_the_default_defects() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample-data/README.md"
    ))
    .expect("sample-data/README.md");
    let c = sample::generate(&fixture_schema(), &SampleOptions::default());
    for d in &c.defects {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", d.id)))
            .unwrap_or_else(|| panic!("README row for defect {}", d.id));
        assert!(row.contains(&d.unit_code), "{row}");
        assert!(row.contains(&d.rule), "{row}");
        if let Some(f) = &d.file {
            assert!(row.contains(f.as_str()), "{row}");
        }
        if let Some(t) = &d.typed {
            assert!(row.contains(t.as_str()), "{row}");
        }
    }
}

#[test]
fn large_county_is_generated_quickly() {
    let opts = SampleOptions {
        units: Some(3000),
        clean: true,
        ..SampleOptions::default()
    };
    let start = std::time::Instant::now();
    let c = sample::generate(&fixture_schema(), &opts);
    // Debug build; release is ~20× faster.
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    assert_eq!(c.registry.units.len(), 3000);
    assert_eq!(total(&c, 2024, "GF01"), 9.0);
}

// ---- The following need the schema parser and the template writer (other modules). ----

/// Every in-record and cross-period rule of the embedded schema holds on clean data.
#[test]
fn clean_data_satisfies_the_embedded_schema_rules() {
    use huizong::schema::expr::Env;
    struct E<'a>(
        &'a BTreeMap<String, f64>,
        Option<&'a BTreeMap<String, f64>>,
        f64,
    );
    impl Env for E<'_> {
        fn current(&self, code: &str) -> Option<f64> {
            if code == "villages" {
                return Some(self.2);
            }
            self.0.get(code).copied()
        }
        fn prior(&self, code: &str) -> Option<f64> {
            self.1.and_then(|p| p.get(code).copied())
        }
    }
    let schema = Schema::default_schema();
    let c = sample::generate(&schema, &clean());
    let mut bad = Vec::new();
    for (year, files) in &c.years {
        for d in files {
            let u = unit(&c, &d.code);
            let prior = prior_of(&c, *year, u);
            let env = E(&d.values, prior.as_ref(), f64::from(u.villages));
            for r in &schema.rules {
                let applies = r.kinds.is_empty() || r.kinds.contains(&u.kind);
                if !applies {
                    continue;
                }
                let expr = &r.expr;
                if r.when.as_ref().is_some_and(|w| w.holds(&env) != Some(true)) {
                    continue;
                }
                let explained = expr.codes().iter().any(|k| d.notes.contains_key(k));
                if expr.holds(&env) == Some(false) && !explained {
                    bad.push(format!("{year} {} {} {}", d.code, r.code, r.expr_text));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Two runs write byte-identical files.
#[test]
fn written_files_are_byte_identical() {
    let schema = Schema::default_schema();
    let opts = SampleOptions {
        units: Some(20),
        ..SampleOptions::default()
    };
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for d in &dirs {
        let c = sample::generate(&schema, &opts);
        let n = sample::write(&schema, &c, opts.seed, d.path()).unwrap();
        assert!(n > 30);
    }
    let list = |p: &std::path::Path| -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![p.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let path = e.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(p).unwrap().to_string_lossy().into_owned();
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        out
    };
    let (a, b) = (list(dirs[0].path()), list(dirs[1].path()));
    assert!(a.contains_key("units.csv"));
    assert!(a.keys().any(|k| k.contains("(修改)")));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, bytes) in &a {
        assert!(b[k] == *bytes, "{k} differs");
    }
}
