//! Aggregation semantics (domain §1.4, §1.6), prior mapping and the history file, on hand-built
//! schemas, registries and records, plus a property test against a naive loop oracle.

mod common;
use common::build;

use std::collections::BTreeMap;

use huizong::aggregate::{
    aggregate, aggregate_years, figures_json, history, map_prior, Coverage, Figures, PriorYear,
    Record,
};
use huizong::registry::{Registry, Unit, UnitKind};
use huizong::schema::expr::BinOp;
use huizong::schema::{Aggregation, Expr, Indicator, Rate, Schema, ValueType};
use proptest::prelude::*;

use UnitKind::{CountyOffice, Department, External, Township};

const YEAR: i32 = 2024;

fn ind(code: &str, agg: Aggregation, reporters: &[UnitKind]) -> Indicator {
    Indicator {
        code: code.into(),
        name: format!("{code}名称"),
        unit: if agg == Aggregation::CountYes {
            ""
        } else {
            "件"
        }
        .into(),
        value_type: if agg == Aggregation::CountYes {
            ValueType::YesNo
        } else {
            ValueType::Count
        },
        section: "XX".into(),
        reporters: reporters.to_vec(),
        aggregation: agg,
        parent: None,
        hint: None,
        max: None,
    }
}

fn id(code: &str) -> Expr {
    Expr::Ident(code.into())
}

fn rate(code: &str, num: Expr, den: Expr, kinds: &[UnitKind]) -> Rate {
    Rate {
        code: code.into(),
        name: format!("{code}率"),
        numerator: num,
        denominator: den,
        numerator_text: "n".into(),
        denominator_text: "d".into(),
        decimals: 2,
        unit: None,
        kinds: kinds.to_vec(),
    }
}

fn schema(indicators: Vec<Indicator>, rates: Vec<Rate>) -> Schema {
    Schema {
        id: "test".into(),
        title: "测试".into(),
        edition: "2024".into(),
        template_version: "1".into(),
        sections: vec![],
        indicators,
        rates,
        ..build::schema(vec![], vec![])
    }
}

fn unit(code: &str, kind: UnitKind) -> Unit {
    Unit {
        code: code.into(),
        name: format!("{code}名"),
        kind,
        parent: None,
        active_from: 2000,
        active_to: None,
        predecessors: vec![],
        villages: 0,
    }
}

fn rec(year: i32, unit: &str, kind: UnitKind, indicator: &str, value: f64) -> Record {
    Record {
        year,
        unit: unit.into(),
        kind,
        indicator: indicator.into(),
        value,
        origin: format!("{unit}.xlsx!表!{indicator}").into(),
    }
}

fn cur(unit: &str, kind: UnitKind, indicator: &str, value: f64) -> Record {
    rec(YEAR, unit, kind, indicator, value)
}

fn pri(unit: &str, kind: UnitKind, indicator: &str, value: f64) -> Record {
    rec(YEAR - 1, unit, kind, indicator, value)
}

fn run(s: &Schema, reg: &Registry, now: &[Record], before: &[Record]) -> Figures {
    match aggregate(s, reg, YEAR, now, before, Coverage::default()) {
        Ok(f) => f,
        Err(e) => panic!("aggregate failed: {e}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The standard small county: two townships, two departments, one county office, one court.
fn county() -> Registry {
    Registry::new(vec![
        unit("T1", Township),
        unit("T2", Township),
        unit("D1", Department),
        unit("D2", Department),
        unit("C1", CountyOffice),
        unit("X1", External),
    ])
}

#[test]
fn sum_and_subtotals_by_kind() {
    let s = schema(
        vec![ind(
            "GF01",
            Aggregation::Sum,
            &[Township, Department, CountyOffice],
        )],
        vec![],
    );
    let now = [
        cur("T1", Township, "GF01", 2.0),
        cur("T2", Township, "GF01", 3.0),
        cur("D1", Department, "GF01", 4.0),
        cur("C1", CountyOffice, "GF01", 1.0),
    ];
    let f = run(&s, &county(), &now, &[]);
    let g = f.indicator("GF01").expect("GF01");
    assert_eq!(g.value, Some(10.0));
    assert_eq!(g.units_reporting, 4);
    let want: BTreeMap<UnitKind, f64> = [(Township, 5.0), (Department, 4.0), (CountyOffice, 1.0)]
        .into_iter()
        .collect();
    assert_eq!(g.subtotals, want);
    assert_eq!(g.prior, None);
    assert_eq!(g.change, None);
    assert_eq!(g.change_pct, None);
    assert_eq!(g.yes, None);
}

#[test]
fn values_of_non_applicable_kinds_are_ignored() {
    let s = schema(vec![ind("ZF01", Aggregation::Sum, &[Department])], vec![]);
    let now = [
        cur("D1", Department, "ZF01", 40.0),
        cur("T1", Township, "ZF01", 7.0),
    ];
    let f = run(&s, &county(), &now, &[]);
    let g = f.indicator("ZF01").expect("ZF01");
    assert_eq!(g.value, Some(40.0));
    assert_eq!(g.units_reporting, 1);
    assert!(!g.subtotals.contains_key(&Township));
    let t1 = f.units.iter().find(|u| u.code == "T1").expect("T1 row");
    assert!(t1.values.is_empty(), "non-applicable value kept: {t1:?}");
}

#[test]
fn county_indicator_is_not_summed_over_kinds() {
    let s = schema(
        vec![
            // A township wrongly filling FY02 must not add to the county office's figure.
            ind("FY02", Aggregation::County, &[CountyOffice, Township]),
            ind("YS09", Aggregation::County, &[External]),
        ],
        vec![],
    );
    let now = [
        cur("C1", CountyOffice, "FY02", 70.0),
        cur("T1", Township, "FY02", 5.0),
        cur("X1", External, "YS09", 56.0),
    ];
    let f = run(&s, &county(), &now, &[]);
    let fy = f.indicator("FY02").expect("FY02");
    assert_eq!(fy.value, Some(70.0));
    assert_eq!(fy.subtotals.get(&Township), Some(&5.0));
    assert_eq!(f.indicator("YS09").and_then(|i| i.value), Some(56.0));
}

#[test]
fn county_indicator_sums_several_county_offices() {
    let mut reg = county();
    reg.units.push(unit("C2", CountyOffice));
    let s = schema(
        vec![ind("FW01", Aggregation::County, &[CountyOffice])],
        vec![],
    );
    let now = [
        cur("C1", CountyOffice, "FW01", 100.0),
        cur("C2", CountyOffice, "FW01", 2409.0),
    ];
    let f = run(&s, &reg, &now, &[]);
    assert_eq!(f.indicator("FW01").and_then(|i| i.value), Some(2509.0));
}

#[test]
fn count_yes_is_n_of_expected_units() {
    let mut reg = county();
    let mut gone = unit("T9", Township);
    gone.active_to = Some(2022);
    reg.units.push(gone);
    let s = schema(
        vec![ind("GW01", Aggregation::CountYes, &[Township, Department])],
        vec![],
    );
    let now = [
        cur("T1", Township, "GW01", 1.0),
        cur("T2", Township, "GW01", 0.0),
        cur("D1", Department, "GW01", 1.0),
        // The county office does not report GW01: ignored.
        cur("C1", CountyOffice, "GW01", 1.0),
    ];
    let before = [pri("T1", Township, "GW01", 1.0)];
    let f = run(&s, &reg, &now, &before);
    let g = f.indicator("GW01").expect("GW01");
    assert_eq!(g.yes, Some(2));
    assert_eq!(g.value, Some(2.0));
    // T1, T2, D1, D2 are expected; T9 is no longer active; C1 is not a reporter.
    assert_eq!(g.expected_units, Some(4));
    assert_eq!(g.units_reporting, 3);
    assert_eq!(g.subtotals.get(&Township), Some(&1.0));
    assert_eq!(g.prior, Some(1.0));
    assert_eq!(g.change, Some(1.0));
}

#[test]
fn stock_is_year_end_sum_compared_with_last_year_end() {
    let s = schema(
        vec![ind("GF07", Aggregation::Stock, &[Township, Department])],
        vec![],
    );
    let now = [
        cur("T1", Township, "GF07", 12.0),
        cur("D1", Department, "GF07", 30.0),
    ];
    let before = [
        pri("T1", Township, "GF07", 10.0),
        pri("D1", Department, "GF07", 35.0),
    ];
    let f = run(&s, &county(), &now, &before);
    let g = f.indicator("GF07").expect("GF07");
    assert_eq!(g.value, Some(42.0));
    assert_eq!(g.prior, Some(45.0));
    assert_eq!(g.change, Some(-3.0));
}

#[test]
fn rate_is_sum_over_sum_not_mean_of_rates() {
    let s = schema(
        vec![
            ind("ZF01", Aggregation::Sum, &[Township, Department]),
            ind("ZF02", Aggregation::Sum, &[Township, Department]),
        ],
        vec![rate("RZF01", id("ZF02"), id("ZF01"), &[])],
    );
    let now = [
        cur("T1", Township, "ZF01", 1.0),
        cur("T1", Township, "ZF02", 1.0),
        cur("D1", Department, "ZF01", 60.0),
        cur("D1", Department, "ZF02", 45.0),
        // D2 reported only the denominator: excluded from both sums.
        cur("D2", Department, "ZF01", 100.0),
    ];
    let f = run(&s, &county(), &now, &[]);
    let r = f.rate("RZF01").expect("RZF01");
    assert_eq!(r.numerator, 46.0);
    assert_eq!(r.denominator, 61.0);
    assert_eq!(r.units, 2);
    let v = r.value.expect("defined");
    assert!(close(v, 46.0 / 61.0), "{v}");
    // The mean of unit rates would be (1 + 0.75) / 2 = 0.875.
    assert!(!close(v, 0.875));
}

#[test]
fn rate_respects_kinds_and_builtins() {
    let mut reg = county();
    for u in &mut reg.units {
        u.villages = if u.code == "T1" { 12 } else { 8 };
    }
    let s = schema(
        vec![
            ind("GW05", Aggregation::Sum, &[Township]),
            ind("ZL02", Aggregation::Sum, &[Township, Department]),
        ],
        vec![
            rate("RGW02", id("GW05"), id("villages"), &[Township]),
            // #units with ZL02 >= 4 / #units.
            rate(
                "RZL01",
                Expr::Binary(BinOp::Ge, Box::new(id("ZL02")), Box::new(Expr::Number(4.0))),
                id("expected"),
                &[],
            ),
        ],
    );
    let now = [
        cur("T1", Township, "GW05", 12.0),
        cur("T2", Township, "GW05", 4.0),
        cur("T1", Township, "ZL02", 5.0),
        cur("T2", Township, "ZL02", 2.0),
        cur("D1", Department, "ZL02", 4.0),
    ];
    let f = run(&s, &reg, &now, &[]);
    let gw = f.rate("RGW02").expect("RGW02");
    assert_eq!((gw.numerator, gw.denominator), (16.0, 20.0));
    assert_eq!(gw.value, Some(0.8));
    let zl = f.rate("RZL01").expect("RZL01");
    assert_eq!((zl.numerator, zl.denominator, zl.units), (2.0, 3.0, 3));
}

#[test]
fn rate_with_zero_denominator_is_none() {
    let s = schema(
        vec![
            ind("GF01", Aggregation::Sum, &[Township]),
            ind("GF02", Aggregation::Sum, &[Township]),
        ],
        vec![rate("RGF01", id("GF02"), id("GF01"), &[])],
    );
    let now = [
        cur("T1", Township, "GF01", 0.0),
        cur("T1", Township, "GF02", 0.0),
    ];
    let f = run(&s, &county(), &now, &[]);
    let r = f.rate("RGF01").expect("RGF01");
    assert_eq!(r.value, None);
    assert_eq!(r.units, 1);
    assert_eq!(r.prior_value, None);
    assert_eq!(r.prior_numerator, None);
    assert_eq!(r.change_pp, None);
}

#[test]
fn yoy_with_prior_zero_has_no_percentage() {
    let s = schema(vec![ind("GF01", Aggregation::Sum, &[Township])], vec![]);
    let f = run(
        &s,
        &county(),
        &[cur("T1", Township, "GF01", 4.0)],
        &[pri("T1", Township, "GF01", 0.0)],
    );
    let g = f.indicator("GF01").expect("GF01");
    assert_eq!(g.prior, Some(0.0));
    assert_eq!(g.change, Some(4.0));
    assert_eq!(g.change_pct, None);
}

/// Seed figures: S001 复议 70 vs 23, S002 规范性文件 9 vs 17, S002 court 5/56.
#[test]
fn seed_checks() {
    let s = schema(
        vec![
            ind("FY02", Aggregation::County, &[CountyOffice]),
            ind(
                "GF01",
                Aggregation::Sum,
                &[Township, Department, CountyOffice],
            ),
            ind("YS09", Aggregation::County, &[External]),
            ind("YS10", Aggregation::County, &[External]),
        ],
        vec![rate("RYS02c", id("YS10"), id("YS09"), &[External])],
    );
    let now = [
        cur("C1", CountyOffice, "FY02", 70.0),
        cur("T1", Township, "GF01", 2.0),
        cur("D1", Department, "GF01", 6.0),
        cur("C1", CountyOffice, "GF01", 1.0),
        cur("X1", External, "YS09", 56.0),
        cur("X1", External, "YS10", 5.0),
    ];
    let before = [
        pri("C1", CountyOffice, "FY02", 23.0),
        pri("T1", Township, "GF01", 5.0),
        pri("D1", Department, "GF01", 12.0),
        pri("X1", External, "YS09", 50.0),
        pri("X1", External, "YS10", 6.0),
    ];
    let f = run(&s, &county(), &now, &before);
    let fy = f.indicator("FY02").expect("FY02");
    assert_eq!(fy.change, Some(47.0));
    let pct = fy.change_pct.expect("pct");
    assert!((pct - 2.0435).abs() < 1e-4, "{pct}");
    assert_eq!((pct * 100.0).round(), 204.0);
    let gf = f.indicator("GF01").expect("GF01");
    assert_eq!(
        (gf.value, gf.prior, gf.change),
        (Some(9.0), Some(17.0), Some(-8.0))
    );
    let pct = gf.change_pct.expect("pct");
    assert!((pct * 100.0 - -47.06).abs() < 0.005, "{pct}");
    let r = f.rate("RYS02c").expect("RYS02c");
    let v = r.value.expect("rate");
    assert!((v - 0.0893).abs() < 5e-5, "{v}");
    let pp = r.change_pp.expect("pp");
    assert!(close(pp, (5.0 / 56.0 - 6.0 / 50.0) * 100.0), "{pp}");
    assert_eq!(r.prior_numerator, Some(6.0));
}

#[test]
fn output_follows_schema_and_registry_order() {
    let s = schema(
        vec![
            ind("ZZ9", Aggregation::Sum, &[Township]),
            ind("AA1", Aggregation::Sum, &[Township]),
        ],
        vec![],
    );
    let now = [
        cur("T2", Township, "AA1", 1.0),
        cur("Q0", Township, "AA1", 1.0),
        cur("T1", Township, "ZZ9", 1.0),
    ];
    let f = run(&s, &county(), &now, &[pri("T1", Township, "ZZ9", 3.0)]);
    let codes: Vec<&str> = f.indicators.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes, ["ZZ9", "AA1"]);
    // Registry order first, then units the registry does not know.
    let units: Vec<&str> = f.units.iter().map(|u| u.code.as_str()).collect();
    assert_eq!(units, ["T1", "T2", "Q0"]);
    assert_eq!(f.units[0].prior.get("ZZ9"), Some(&3.0));
    assert_eq!(
        f.units[0].origins.get("ZZ9").map(|o| &**o),
        Some("T1.xlsx!表!ZZ9")
    );
    assert_eq!(f.prior_year, 2023);
}

#[test]
fn accepted_unit_without_values_gets_a_row() {
    let s = schema(vec![ind("GF01", Aggregation::Sum, &[Township])], vec![]);
    let coverage = Coverage {
        accepted: vec!["T2".into()],
        ..Coverage::default()
    };
    let f = aggregate(&s, &county(), YEAR, &[], &[], coverage).expect("aggregate");
    assert_eq!(f.units.len(), 1);
    assert_eq!(f.units[0].kind, Township);
    assert_eq!(f.indicator("GF01").and_then(|i| i.value), None);
    assert_eq!(f.coverage.accepted, ["T2"]);
}

#[test]
fn figures_json_is_deterministic_and_numeric() {
    let s = schema(
        vec![ind("GF01", Aggregation::Sum, &[Township, Department])],
        vec![rate("R", id("GF01"), id("GF01"), &[])],
    );
    let now = [
        cur("D1", Department, "GF01", 2.5),
        cur("T1", Township, "GF01", 3.0),
    ];
    let a = figures_json(&run(&s, &county(), &now, &[]));
    let mut rev = now.to_vec();
    rev.reverse();
    let b = figures_json(&run(&s, &county(), &rev, &[]));
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_str(&a).expect("valid json");
    assert_eq!(v["indicators"][0]["value"], serde_json::json!(5.5));
    assert_eq!(
        v["indicators"][0]["subtotals"]["township"],
        serde_json::json!(3.0)
    );
    assert_eq!(v["rates"][0]["value"], serde_json::json!(1.0));
    assert!(a.contains("\n  \"year\": 2024"), "{a}");
}

// ---- prior mapping ----

#[test]
fn map_prior_follows_merges_and_renames() {
    let mut merged = unit("T10", Township);
    merged.predecessors = vec![("T7".into(), 1.0), ("T8".into(), 1.0)];
    let mut renamed = unit("D20", Department);
    renamed.predecessors = vec![("D5".into(), 1.0)];
    let mut split = unit("T11", Township);
    split.predecessors = vec![("T3".into(), 0.25)];
    let mut old7 = unit("T7", Township);
    old7.active_to = Some(2023);
    let reg = Registry::new(vec![unit("T1", Township), merged, renamed, split, old7]);
    let records = [
        pri("T1", Township, "GF01", 4.0),
        pri("T7", Township, "GF01", 3.0),
        pri("T8", Township, "GF01", 5.0),
        pri("T8", Township, "ZL02", 2.0),
        pri("D5", Department, "GF01", 9.0),
        pri("T3", Township, "GF01", 8.0),
        // Another year in the same history: ignored.
        rec(2020, "T1", Township, "GF01", 99.0),
    ];
    let (mapped, changed) = map_prior(&records, &reg, YEAR);
    let get = |u: &str, i: &str| {
        mapped
            .iter()
            .find(|r| *r.unit == *u && *r.indicator == *i)
            .map(|r| r.value)
    };
    assert_eq!(get("T1", "GF01"), Some(4.0));
    assert_eq!(get("T10", "GF01"), Some(8.0));
    assert_eq!(get("T10", "ZL02"), Some(2.0));
    assert_eq!(get("D20", "GF01"), Some(9.0));
    assert_eq!(get("T11", "GF01"), Some(2.0));
    assert_eq!(get("T7", "GF01"), None, "inactive unit must not keep data");
    assert!(mapped.iter().all(|r| r.year == YEAR - 1));
    let d20 = mapped.iter().find(|r| *r.unit == *"D20").expect("D20");
    assert_eq!(d20.kind, Department);
    // T3 itself is not in the registry any more, but T11 consumed it: the set is unchanged.
    assert!(!changed);
}

#[test]
fn map_prior_gives_the_same_records_whatever_their_order() {
    // In code order, a unit continuing one prior unit takes the one-to-one path; shuffled (or
    // with a repeated indicator), the general path. Both must give the same records.
    let mut renamed = unit("D20", Department);
    renamed.predecessors = vec![("D5".into(), 1.0)];
    let mut split = unit("T11", Township);
    split.predecessors = vec![("T3".into(), 0.25)];
    // T1 was a department last year: it takes its registry kind.
    let reg = Registry::new(vec![unit("T1", Township), renamed, split]);
    let sorted = vec![
        pri("D5", Department, "FY01", 2.0),
        pri("D5", Department, "GF01", 9.0),
        pri("T1", Department, "GF01", -0.0),
        pri("T1", Department, "ZL02", 4.0),
        pri("T3", Township, "GF01", 8.0),
        pri("T3", Township, "ZL02", 3.0),
    ];
    let (fast, changed_fast) = map_prior(&sorted, &reg, YEAR);
    let mut reversed = sorted.clone();
    reversed.reverse();
    let (general, changed_general) = map_prior(&reversed, &reg, YEAR);
    assert_eq!(fast, general);
    assert_eq!(changed_fast, changed_general);
    let t11: Vec<(&str, f64)> = fast
        .iter()
        .filter(|r| &*r.unit == "T11")
        .map(|r| (&*r.indicator, r.value))
        .collect();
    assert_eq!(t11, [("GF01", 2.0), ("ZL02", 0.75)]);
    assert!(fast
        .iter()
        .all(|r| r.kind == reg.get(&r.unit).expect("unit").kind));
    // A repeated indicator is summed (general path only).
    let mut twice = sorted.clone();
    twice.push(pri("T1", Department, "ZL02", 1.0));
    let (summed, _) = map_prior(&twice, &reg, YEAR);
    let t1_zl02 = summed
        .iter()
        .find(|r| &*r.unit == "T1" && &*r.indicator == "ZL02")
        .expect("T1 ZL02");
    assert_eq!(t1_zl02.value, 5.0);
}

#[test]
fn map_prior_flags_coverage_changes() {
    let reg = Registry::new(vec![unit("T1", Township), unit("T2", Township)]);
    // T2 is new this year (no prior data).
    let (_, changed) = map_prior(&[pri("T1", Township, "GF01", 1.0)], &reg, YEAR);
    assert!(changed);
    // Prior data of a unit nobody continues.
    let both = [
        pri("T1", Township, "GF01", 1.0),
        pri("T2", Township, "GF01", 1.0),
        pri("T5", Township, "GF01", 1.0),
    ];
    assert!(map_prior(&both, &reg, YEAR).1);
    assert!(!map_prior(&both[..2], &reg, YEAR).1);
    // A merge where only one predecessor reported last year.
    let mut merged = unit("T3", Township);
    merged.predecessors = vec![("A".into(), 1.0), ("B".into(), 1.0)];
    let reg = Registry::new(vec![merged]);
    assert!(map_prior(&[pri("A", Township, "GF01", 1.0)], &reg, YEAR).1);
}

// ---- history ----

#[test]
fn history_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("history.csv");
    let records = vec![
        cur("T2", Township, "GF01", 3.0),
        cur("D1", Department, "ZF07", 7610.35),
        cur("C1", CountyOffice, "FY02", 70.0),
        pri("T11", Township, "GF01", 2.0 / 3.0),
        Record {
            origin: "大同镇, 2024.xlsx!表 \"一\"!C5".into(),
            ..cur("X1", External, "YS09", 56.0)
        },
        Record {
            origin: "".into(),
            ..cur("T1", Township, "GW01", 0.0)
        },
    ];
    let editions = history::Editions {
        by_year: [(2023, "fazhi-2023".to_string())].into(),
        default: "fazhi-2024".into(),
    };
    history::write(&path, &records, &editions).expect("write");
    let text = std::fs::read_to_string(&path).expect("read text");
    assert!(text.starts_with("\u{feff}年度,单位代码,单位类型,指标代码,数值,来源,指标体系\n"));
    assert!(text.contains("2024,D1,department,ZF07,7610.35,"), "{text}");
    // Each year's rows name its edition.
    assert!(
        text.contains("2023,T11,township,GF01,0.6666666666666666,"),
        "{text}"
    );
    assert!(text.contains(",fazhi-2023\n2024,"), "{text}");
    assert!(text.ends_with(",fazhi-2024\n"), "{text}");
    let (_, read_editions) = history::read_editions(&path).expect("read editions");
    assert_eq!(
        read_editions,
        [
            (2023, "fazhi-2023".to_string()),
            (2024, "fazhi-2024".to_string())
        ]
        .into()
    );
    assert!(text.contains("2024,C1,county_office,FY02,70,"), "{text}");
    let back = history::read(&path).expect("read");
    let mut want = records.clone();
    want.sort_by(|a, b| (a.year, &a.unit, &a.indicator).cmp(&(b.year, &b.unit, &b.indicator)));
    assert_eq!(back, want);
    // Rows are sorted (year, unit, indicator).
    let units: Vec<&str> = back.iter().map(|r| &*r.unit).collect();
    assert_eq!(units, ["T11", "C1", "D1", "T1", "T2", "X1"]);
}

#[test]
fn history_reads_ascii_header_and_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("h.csv");
    let text = "year,unit,kind,indicator,value,origin\n2023,T1,乡镇(街道),GF01,4,\n";
    std::fs::write(&path, text).expect("write");
    let back = history::read(&path).expect("read");
    assert_eq!(
        back,
        vec![Record {
            origin: "".into(),
            ..pri("T1", Township, "GF01", 4.0)
        }]
    );
}

#[test]
fn history_bad_rows_name_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.csv");
    let text = "\u{feff}年度,单位代码,单位类型,指标代码,数值,来源\n\
                2024,T1,township,GF01,3,a\n\
                2024,T1,township,GF02,三,b\n";
    std::fs::write(&path, text).expect("write");
    let msg = history::read(&path).expect_err("bad value").to_string();
    assert!(msg.contains("第 3 行") && msg.contains("数值“三”"), "{msg}");
    std::fs::write(&path, "a,b\n").expect("write");
    let msg = history::read(&path).expect_err("bad header").to_string();
    assert!(msg.contains("第 1 行") && msg.contains("表头"), "{msg}");
    std::fs::write(
        &path,
        "year,unit,kind,indicator,value,origin\n2024,T1,village,GF01,1,\n",
    )
    .expect("write");
    let msg = history::read(&path).expect_err("bad kind").to_string();
    assert!(msg.contains("第 2 行") && msg.contains("village"), "{msg}");
    let missing = history::read(&dir.path().join("none.csv"));
    assert!(matches!(missing, Err(huizong::Error::Read { .. })));
}

#[test]
fn history_merge_replaces_years_of_the_new_run() {
    let old = vec![
        rec(2022, "T1", Township, "GF01", 1.0),
        rec(2023, "T1", Township, "GF01", 2.0),
        rec(2023, "T2", Township, "GF01", 5.0),
    ];
    let new = vec![
        rec(2023, "T1", Township, "GF01", 3.0),
        cur("T1", Township, "GF01", 4.0),
    ];
    let merged = history::merge(old, new);
    let rows: Vec<(i32, &str, f64)> = merged.iter().map(|r| (r.year, &*r.unit, r.value)).collect();
    assert_eq!(
        rows,
        [(2022, "T1", 1.0), (2023, "T1", 3.0), (2024, "T1", 4.0)]
    );
}

#[test]
fn history_written_merged_equals_merge_then_write() {
    // `run` streams the merge without building it; the bytes must be those of merge + write,
    // whatever order the rows come in (the sort is parallel and unstable, so ties must not
    // depend on the input order).
    let old = vec![
        rec(2023, "T2", Township, "GF02", 7.5),
        rec(2022, "T1", Township, "GF01", 1.0),
        rec(2023, "T1", Township, "GF01", 2.0),
    ];
    let mut new = vec![
        cur("T2", Township, "GF01", 0.1 + 0.2),
        cur("T1", Township, "GF01", 4.0),
        rec(2023, "T1", Township, "GF01", 3.0),
        cur("T1", Township, "GF02", -0.0),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    let editions = history::Editions::of("fazhi-2024");
    history::write(&a, &history::merge(old.clone(), new.clone()), &editions).expect("write");
    history::write_merged(&b, &old, &new, &editions).expect("write_merged");
    let expected = std::fs::read(&a).expect("read a");
    assert_eq!(expected, std::fs::read(&b).expect("read b"));
    new.reverse();
    history::write_merged(&b, &old, &new, &editions).expect("write_merged reversed");
    assert_eq!(expected, std::fs::read(&b).expect("read b again"));
    let text = String::from_utf8(expected).expect("utf-8");
    assert!(
        text.contains(",GF01,0.3,") && text.contains(",GF02,0,"),
        "{text}"
    );
}

// ---- property test against a naive oracle ----

/// One random unit: kind and, per test indicator, an optional value.
#[derive(Debug, Clone)]
struct RandUnit {
    kind: UnitKind,
    values: Vec<Option<u32>>,
}

const CODES: [&str; 6] = ["S1", "S2", "C1", "E1", "Y1", "K1"];

fn prop_schema() -> Schema {
    schema(
        vec![
            ind("S1", Aggregation::Sum, &[Township, Department]),
            ind(
                "S2",
                Aggregation::SumOverlap,
                &[Township, Department, CountyOffice],
            ),
            // Other kinds also report these (their own view): never part of the county value.
            ind("C1", Aggregation::County, &[CountyOffice, Township]),
            ind("E1", Aggregation::County, &[External, Department]),
            ind("Y1", Aggregation::CountYes, &[Township, Department]),
            ind("K1", Aggregation::Stock, &UnitKind::ALL),
        ],
        vec![
            rate("R1", id("S2"), id("S1"), &[]),
            rate("R2", id("S1"), id("K1"), &[Township]),
        ],
    )
}

fn kind_strategy() -> impl Strategy<Value = UnitKind> {
    prop_oneof![
        Just(Township),
        Just(Department),
        Just(CountyOffice),
        Just(External)
    ]
}

fn unit_strategy() -> impl Strategy<Value = RandUnit> {
    (
        kind_strategy(),
        proptest::collection::vec(proptest::option::of(0u32..20), CODES.len()),
    )
        .prop_map(|(kind, values)| RandUnit { kind, values })
}

fn records_of(units: &[RandUnit], year: i32) -> Vec<Record> {
    let mut out = Vec::new();
    for (i, u) in units.iter().enumerate() {
        for (code, v) in CODES.iter().zip(&u.values) {
            if let Some(v) = v {
                // Yes/no values are 0/1.
                let value = if *code == "Y1" {
                    f64::from(v % 2)
                } else {
                    f64::from(*v)
                };
                out.push(rec(year, &format!("U{i:02}"), u.kind, code, value));
            }
        }
    }
    out
}

/// Naive oracle: plain loops over the records, straight from domain §1.6.
fn oracle_value(
    s: &Schema,
    records: &[Record],
    code: &str,
) -> (Option<f64>, BTreeMap<UnitKind, f64>) {
    let ind = s.indicator(code).expect("indicator");
    let mut subtotals = BTreeMap::new();
    let mut any = false;
    for r in records
        .iter()
        .filter(|r| *r.indicator == *code && ind.reporters.contains(&r.kind))
    {
        any = true;
        let add = if ind.aggregation == Aggregation::CountYes {
            if r.value == 1.0 {
                1.0
            } else {
                0.0
            }
        } else {
            r.value
        };
        *subtotals.entry(r.kind).or_insert(0.0) += add;
    }
    let value = match ind.aggregation {
        Aggregation::County => {
            let kind = if ind.reporters.contains(&CountyOffice) {
                CountyOffice
            } else {
                External
            };
            subtotals.get(&kind).copied()
        }
        _ => any.then(|| subtotals.values().sum()),
    };
    (value, subtotals)
}

fn oracle_rate(
    s: &Schema,
    records: &[Record],
    num: &str,
    den: &str,
    kinds: &[UnitKind],
) -> (f64, f64, u32) {
    let (mut n, mut d, mut k) = (0.0, 0.0, 0);
    let mut units: Vec<&str> = records.iter().map(|r| &*r.unit).collect();
    units.dedup();
    for u in units {
        let get = |code: &str| {
            let ind = s.indicator(code).expect("indicator");
            records
                .iter()
                .find(|r| *r.unit == *u && *r.indicator == *code && ind.reporters.contains(&r.kind))
                .map(|r| (r.kind, r.value))
        };
        if let (Some((kind, a)), Some((_, b))) = (get(num), get(den)) {
            if kinds.is_empty() || kinds.contains(&kind) {
                n += a;
                d += b;
                k += 1;
            }
        }
    }
    (n, d, k)
}

fn opt_close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => close(x, y),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn aggregation_matches_naive_oracle(
        now_units in proptest::collection::vec(unit_strategy(), 0..10),
        before_units in proptest::collection::vec(unit_strategy(), 0..10),
    ) {
        let s = prop_schema();
        let registry = Registry::new(
            now_units
                .iter()
                .enumerate()
                .map(|(i, u)| unit(&format!("U{i:02}"), u.kind))
                .collect(),
        );
        let now = records_of(&now_units, YEAR);
        let before = records_of(&before_units, YEAR - 1);
        // Prior units not in the registry keep the kind their records carry.
        let before: Vec<Record> = before
            .into_iter()
            .map(|mut r| {
                if let Some(u) = registry.get(&r.unit) { r.kind = u.kind; }
                r
            })
            .collect();
        let f = run(&s, &registry, &now, &before);
        // Last year over the same units (可比口径): the units with a record this year.
        let aggregated: std::collections::BTreeSet<&str> = now.iter().map(|r| &*r.unit).collect();
        let before_same: Vec<Record> = before
            .iter()
            .filter(|r| aggregated.contains(&*r.unit))
            .cloned()
            .collect();
        for code in CODES {
            let got = f.indicator(code).expect("figure");
            let (value, subtotals) = oracle_value(&s, &now, code);
            let (prior, _) = oracle_value(&s, &before_same, code);
            let (reported, _) = oracle_value(&s, &before, code);
            prop_assert!(opt_close(got.value, value), "{code}: {:?} vs {:?}", got.value, value);
            prop_assert!(opt_close(got.prior, prior), "{code}: prior {:?} vs {:?}", got.prior, prior);
            prop_assert!(
                opt_close(got.prior_reported, reported),
                "{code}: reported {:?} vs {:?}", got.prior_reported, reported
            );
            prop_assert_eq!(got.subtotals.len(), subtotals.len());
            for (k, v) in &subtotals {
                prop_assert!(got.subtotals.get(k).is_some_and(|g| close(*g, *v)), "{code} {k:?}");
            }
            let want_pct = match (value, prior) {
                (Some(v), Some(p)) if p != 0.0 => Some((v - p) / p),
                _ => None,
            };
            prop_assert!(opt_close(got.change_pct, want_pct), "{code} pct");
            if code == "Y1" {
                let expected = now_units.iter().filter(|u| matches!(u.kind, Township | Department)).count();
                prop_assert_eq!(got.expected_units, Some(expected as u32));
            }
        }
        for (code, num, den, kinds) in [("R1", "S2", "S1", vec![]), ("R2", "S1", "K1", vec![Township])] {
            let got = f.rate(code).expect("rate");
            let (n, d, k) = oracle_rate(&s, &now, num, den, &kinds);
            prop_assert!(close(got.numerator, n) && close(got.denominator, d), "{code}");
            prop_assert_eq!(got.units, k);
            let want = (d != 0.0).then(|| n / d);
            prop_assert!(opt_close(got.value, want), "{code}: {:?} vs {:?}", got.value, want);
            let (pn, pd, _) = oracle_rate(&s, &before_same, num, den, &kinds);
            let want_prior = (pd != 0.0).then(|| pn / pd);
            prop_assert!(opt_close(got.prior_value, want_prior), "{code} prior");
            let (rn, rd, _) = oracle_rate(&s, &before, num, den, &kinds);
            let want_reported = (rd != 0.0).then(|| rn / rd);
            prop_assert!(opt_close(got.prior_reported, want_reported), "{code} reported");
        }
        prop_assert_eq!(f.units.len(), now_units.iter().filter(|u| u.values.iter().any(Option::is_some)).count());
    }
}

// ---------------------------------------------------------------------------------------------
// Totals are finite by construction (issue #12)
// ---------------------------------------------------------------------------------------------

#[test]
fn an_overflowing_total_is_refused_never_written_as_null() {
    // Two units at Excel's largest number: the sum is +inf, which serde_json writes as null.
    // Ingest makes such values N02 errors; records built any other way are refused here.
    let s = schema(vec![ind("GF01", Aggregation::Sum, &[Township])], vec![]);
    let big = 9.999_999_999_999_99e307;
    let now = [
        cur("T1", Township, "GF01", big),
        cur("T2", Township, "GF01", big),
    ];
    let err = aggregate(&s, &county(), YEAR, &now, &[], Coverage::default())
        .expect_err("an infinite county total must not be produced");
    assert_eq!(
        err.to_string(),
        "无法汇总：GF01 的全县合计超出了可计算的范围，请检查各单位该项是否有异常大的数"
    );
    // A non-finite record is refused with its cell, in either year.
    for bad in [f64::NAN, f64::INFINITY] {
        let now = [cur("T1", Township, "GF01", 1.0)];
        let before = [pri("T2", Township, "GF01", bad)];
        let err = aggregate(&s, &county(), YEAR, &now, &before, Coverage::default())
            .expect_err("non-finite prior value");
        assert!(err.to_string().contains("T2.xlsx!表!GF01"), "{err}");
    }
}

#[test]
fn ten_thousand_units_at_the_bound_ceiling_sum_to_a_finite_exact_figure() {
    // The loader refuses any bound above Limits::CEILING, so this is the largest total a
    // province of 10,000 units can produce: finite, and a number in the JSON.
    let ceiling = huizong::schema::Limits::CEILING;
    let s = schema(vec![ind("GF01", Aggregation::Sum, &[Township])], vec![]);
    let codes: Vec<String> = (0..10_000).map(|i| format!("T{i:05}")).collect();
    let reg = Registry::new(codes.iter().map(|c| unit(c, Township)).collect());
    let now: Vec<Record> = codes
        .iter()
        .map(|c| cur(c, Township, "GF01", ceiling))
        .collect();
    let f = run(
        &s,
        &reg,
        &now,
        &now.iter()
            .map(|r| Record {
                year: YEAR - 1,
                ..r.clone()
            })
            .collect::<Vec<_>>(),
    );
    let g = f.indicator("GF01").unwrap();
    assert_eq!(g.value, Some(1e19));
    assert_eq!(g.change, Some(0.0));
    let json: serde_json::Value = serde_json::from_str(&figures_json(&f)).unwrap();
    let fig = &json["indicators"][0];
    for key in ["value", "prior", "change", "change_pct"] {
        assert!(fig[key].is_f64(), "{key}: {}", fig[key]);
    }
    assert_eq!(fig["value"].as_f64(), Some(1e19));
    assert_eq!(fig["subtotals"]["township"].as_f64(), Some(1e19));
}

// ---- comparable prior (可比口径) against a naive oracle ----

/// What happened to a unit this year.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Accepted,
    /// Accepted with every cell blank: aggregated, no records.
    Blank,
    HeldBack,
    Missing,
}

/// Where a current unit's last year comes from.
#[derive(Debug, Clone)]
enum Lineage {
    /// Itself; `None` when it sent nothing last year.
    Own(Option<Vec<Option<u32>>>),
    /// Predecessors (each with its values, `None` = sent nothing) and a weight of 1 or ½.
    Merged(Vec<(Option<Vec<Option<u32>>>, bool)>),
    /// New this year.
    New,
}

#[derive(Debug, Clone)]
struct CaseUnit {
    kind: UnitKind,
    status: Status,
    now: Vec<Option<u32>>,
    lineage: Lineage,
}

fn values_strategy() -> impl Strategy<Value = Vec<Option<u32>>> {
    proptest::collection::vec(proptest::option::of(0u32..20), CODES.len())
}

fn case_unit_strategy() -> impl Strategy<Value = CaseUnit> {
    let status = prop_oneof![
        6 => Just(Status::Accepted),
        1 => Just(Status::Blank),
        2 => Just(Status::HeldBack),
        1 => Just(Status::Missing),
    ];
    let lineage = prop_oneof![
        6 => proptest::option::weighted(0.9, values_strategy()).prop_map(Lineage::Own),
        2 => proptest::collection::vec(
            (proptest::option::weighted(0.8, values_strategy()), any::<bool>()),
            1..4
        )
        .prop_map(Lineage::Merged),
        1 => Just(Lineage::New),
    ];
    (kind_strategy(), status, values_strategy(), lineage).prop_map(
        |(kind, status, now, lineage)| CaseUnit {
            kind,
            status,
            now,
            lineage,
        },
    )
}

fn value_of(code: &str, v: u32) -> f64 {
    if code == "Y1" {
        f64::from(v % 2)
    } else {
        f64::from(v)
    }
}

fn push_values(
    out: &mut Vec<Record>,
    year: i32,
    unit: &str,
    kind: UnitKind,
    values: &[Option<u32>],
) {
    for (code, v) in CODES.iter().zip(values) {
        if let Some(v) = v {
            out.push(rec(year, unit, kind, code, value_of(code, *v)));
        }
    }
}

/// A current unit for the oracle: code, status, kind and its last-year sources (code, weight).
type CaseRow = (String, Status, UnitKind, Vec<(String, f64)>);

/// The registry, this year's accepted records, last year's records as reported, the coverage,
/// and per current unit its last-year sources for the oracle.
struct Case {
    registry: Registry,
    now: Vec<Record>,
    reported: Vec<Record>,
    coverage: Coverage,
    /// Per current unit (in order): (code, status, kind, sources).
    units: Vec<CaseRow>,
    /// Last-year units nobody continues: (code, kind).
    discontinued: Vec<(String, UnitKind)>,
}

fn build_case(units: &[CaseUnit], gone: &[RandUnit]) -> Case {
    let mut registry = Vec::new();
    let mut old_units = Vec::new();
    let mut now = Vec::new();
    let mut reported = Vec::new();
    let mut coverage = Coverage::default();
    let mut out_units = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let code = format!("N{i:02}");
        let mut reg = unit(&code, u.kind);
        let mut sources = Vec::new();
        match &u.lineage {
            Lineage::Own(values) => {
                sources.push((code.clone(), 1.0));
                if let Some(values) = values {
                    push_values(&mut reported, YEAR - 1, &code, u.kind, values);
                }
            }
            Lineage::Merged(preds) => {
                for (j, (values, half)) in preds.iter().enumerate() {
                    let old = format!("P{i:02}{j}");
                    let weight = if *half { 0.5 } else { 1.0 };
                    let mut p = unit(&old, u.kind);
                    p.active_to = Some(YEAR - 1);
                    old_units.push(p);
                    reg.predecessors.push((old.clone(), weight));
                    sources.push((old.clone(), weight));
                    if let Some(values) = values {
                        push_values(&mut reported, YEAR - 1, &old, u.kind, values);
                    }
                }
            }
            Lineage::New => reg.active_from = YEAR,
        }
        registry.push(reg);
        coverage.expected.push(code.clone());
        match u.status {
            Status::Accepted => {
                push_values(&mut now, YEAR, &code, u.kind, &u.now);
                coverage.accepted.push(code.clone());
            }
            Status::Blank => coverage.accepted.push(code.clone()),
            Status::HeldBack => coverage.held_back.push(code.clone()),
            Status::Missing => coverage.missing.push(code.clone()),
        }
        out_units.push((code, u.status, u.kind, sources));
    }
    let mut discontinued = Vec::new();
    for (i, g) in gone.iter().enumerate() {
        let code = format!("G{i:02}");
        let mut reg = unit(&code, g.kind);
        reg.active_to = Some(YEAR - 1);
        old_units.push(reg);
        push_values(&mut reported, YEAR - 1, &code, g.kind, &g.values);
        discontinued.push((code, g.kind));
    }
    registry.extend(old_units);
    Case {
        registry: Registry::new(registry),
        now,
        reported,
        coverage,
        units: out_units,
        discontinued,
    }
}

/// Whether a unit of `kind` enters the county value of `code` (domain §1.6).
fn enters(s: &Schema, code: &str, kind: UnitKind) -> bool {
    let ind = s.indicator(code).expect("indicator");
    if !ind.reporters.contains(&kind) {
        return false;
    }
    match ind.aggregation {
        Aggregation::County => {
            let county = if ind.reporters.contains(&CountyOffice) {
                CountyOffice
            } else {
                External
            };
            kind == county
        }
        _ => true,
    }
}

/// A unit's raw last-year value of `code` as reported.
fn raw(reported: &[Record], unit: &str, code: &str) -> Option<f64> {
    reported
        .iter()
        .find(|r| *r.unit == *unit && *r.indicator == *code)
        .map(|r| r.value)
}

/// A current unit's last-year value of `code` through its sources: Σ weight × value.
fn through(reported: &[Record], sources: &[(String, f64)], code: &str) -> Option<f64> {
    let parts: Vec<f64> = sources
        .iter()
        .filter_map(|(c, w)| raw(reported, c, code).map(|v| w * v))
        .collect();
    (!parts.is_empty()).then(|| parts.iter().sum())
}

/// Σ of last year's `values` as the county figure: for yes/no indicators a count of 是, where a
/// unit's answer through its predecessors is 是 when any predecessor said 是.
fn county_of(s: &Schema, code: &str, values: &[f64]) -> Option<f64> {
    let yes_no = s.indicator(code).expect("indicator").aggregation == Aggregation::CountYes;
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|v| {
                if yes_no {
                    f64::from(u8::from(*v != 0.0))
                } else {
                    *v
                }
            })
            .sum()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// The comparable prior, through the pipeline's own mapping (map_prior + aggregate_years),
    /// equals a hand-written sum over exactly the units aggregated this year, each through its
    /// predecessors; the reported prior is every last-year unit as it reported; the units left
    /// out are named per indicator.
    #[test]
    fn comparable_prior_matches_a_sum_over_the_same_units(
        units in proptest::collection::vec(case_unit_strategy(), 0..10),
        gone in proptest::collection::vec(unit_strategy(), 0..3),
    ) {
        let s = prop_schema();
        let case = build_case(&units, &gone);
        let (mapped, _) = map_prior(&case.reported, &case.registry, YEAR);
        let prior = PriorYear { mapped: &mapped, reported: &case.reported };
        let f = aggregate_years(&s, &case.registry, YEAR, &case.now, prior, case.coverage.clone())
            .expect("aggregate");
        let aggregated = |st: Status| matches!(st, Status::Accepted | Status::Blank);
        for code in CODES {
            let got = f.indicator(code).expect("figure");
            // 可比口径: the aggregated units, each through its sources, its own kind deciding.
            let same: Vec<f64> = case
                .units
                .iter()
                .filter(|(_, st, kind, _)| aggregated(*st) && enters(&s, code, *kind))
                .filter_map(|(_, _, _, src)| through(&case.reported, src, code))
                .collect();
            let want = county_of(&s, code, &same);
            prop_assert!(opt_close(got.prior, want), "{code}: prior {:?} vs {:?}", got.prior, want);
            // 报送口径: every last-year unit under its own code and kind.
            let all: Vec<f64> = case
                .reported
                .iter()
                .filter(|r| *r.indicator == *code)
                .filter(|r| enters(&s, code, case.registry.get(&r.unit).expect("unit").kind))
                .map(|r| r.value)
                .collect();
            let want_reported = county_of(&s, code, &all);
            prop_assert!(
                opt_close(got.prior_reported, want_reported),
                "{code}: reported {:?} vs {:?}", got.prior_reported, want_reported
            );
            let want_change = got.value.zip(want).map(|(v, p)| v - p);
            prop_assert!(opt_close(got.change, want_change), "{code} change");
            let want_pct = got.value.zip(want).filter(|(_, p)| *p != 0.0).map(|(v, p)| (v - p) / p);
            prop_assert!(opt_close(got.change_pct, want_pct), "{code} pct");
            // Left out: units not aggregated that had a value through their sources (this
            // year's code), then last year's units nobody continues.
            let mut excluded: Vec<String> = case
                .units
                .iter()
                .filter(|(_, st, kind, _)| !aggregated(*st) && enters(&s, code, *kind))
                .filter(|(_, _, _, src)| through(&case.reported, src, code).is_some())
                .map(|(c, _, _, _)| c.clone())
                .collect();
            excluded.extend(
                case.discontinued
                    .iter()
                    .filter(|(c, kind)| enters(&s, code, *kind) && raw(&case.reported, c, code).is_some())
                    .map(|(c, _)| c.clone()),
            );
            prop_assert_eq!(&got.prior_excluded, &excluded, "{}", code);
        }
        // Rates over the same units: Σ numerators / Σ denominators of the aggregated units.
        for (code, num, den, kinds) in [("R1", "S2", "S1", vec![]), ("R2", "S1", "K1", vec![Township])] {
            let got = f.rate(code).expect("rate");
            let (mut n, mut d) = (0.0, 0.0);
            for (_, st, kind, src) in &case.units {
                if !aggregated(*st) || !(kinds.is_empty() || kinds.contains(kind)) {
                    continue;
                }
                let ind_ok = |c: &str| s.indicator(c).expect("indicator").reporters.contains(kind);
                if let (true, true, Some(a), Some(b)) = (
                    ind_ok(num),
                    ind_ok(den),
                    through(&case.reported, src, num),
                    through(&case.reported, src, den),
                ) {
                    n += a;
                    d += b;
                }
            }
            let want = (d != 0.0).then(|| n / d);
            prop_assert!(opt_close(got.prior_value, want), "{code}: {:?} vs {:?}", got.prior_value, want);
        }
        // The coverage names who is left out and who has nothing to compare.
        let mut left_out: Vec<String> = case
            .units
            .iter()
            .filter(|(_, st, _, src)| {
                !aggregated(*st) && src.iter().any(|(c, _)| case.reported.iter().any(|r| *r.unit == **c))
            })
            .map(|(c, _, _, _)| c.clone())
            .collect();
        left_out.extend(case.discontinued.iter().filter(|(c, _)| case.reported.iter().any(|r| *r.unit == **c)).map(|(c, _)| c.clone()));
        prop_assert_eq!(&f.coverage.prior_excluded, &left_out);
        let without: Vec<String> = case
            .units
            .iter()
            .filter(|(_, st, _, src)| {
                aggregated(*st) && !src.iter().any(|(c, _)| case.reported.iter().any(|r| *r.unit == **c))
            })
            .map(|(c, _, _, _)| c.clone())
            .collect();
        prop_assert_eq!(&f.coverage.without_prior, &without);
    }
}

#[test]
fn comparable_prior_leaves_out_units_not_aggregated_and_follows_merges() {
    let s = schema(
        vec![
            ind("GF01", Aggregation::Sum, &[Township, Department]),
            ind("ZL04", Aggregation::CountYes, &[Township, Department]),
        ],
        vec![],
    );
    // T3 was merged from A and B; D2 is held back this year; G was abolished.
    let mut t3 = unit("T3", Township);
    t3.predecessors = vec![("A".into(), 1.0), ("B".into(), 1.0)];
    let mut gone = unit("G", Department);
    gone.active_to = Some(YEAR - 1);
    let reg = Registry::new(vec![unit("T1", Township), t3, unit("D2", Department), gone]);
    let now = [
        cur("T1", Township, "GF01", 5.0),
        cur("T1", Township, "ZL04", 1.0),
        cur("T3", Township, "GF01", 9.0),
        cur("T3", Township, "ZL04", 1.0),
    ];
    let reported = [
        pri("A", Township, "GF01", 3.0),
        pri("A", Township, "ZL04", 1.0),
        pri("B", Township, "GF01", 4.0),
        pri("B", Township, "ZL04", 1.0),
        pri("D2", Department, "GF01", 20.0),
        pri("D2", Department, "ZL04", 1.0),
        pri("G", Department, "GF01", 8.0),
        pri("T1", Township, "GF01", 2.0),
        pri("T1", Township, "ZL04", 0.0),
    ];
    let (mapped, _) = map_prior(&reported, &reg, YEAR);
    let coverage = Coverage {
        accepted: vec!["T1".into(), "T3".into()],
        held_back: vec!["D2".into()],
        ..Coverage::default()
    };
    let prior = PriorYear {
        mapped: &mapped,
        reported: &reported,
    };
    let f = aggregate_years(&s, &reg, YEAR, &now, prior, coverage).expect("aggregate");
    let gf = f.indicator("GF01").expect("GF01");
    // 14 against T1 2 + T3's predecessors 3 + 4 = 9, not against everything reported (37).
    assert_eq!(
        (gf.value, gf.prior, gf.prior_reported, gf.change),
        (Some(14.0), Some(9.0), Some(37.0), Some(5.0))
    );
    assert_eq!(gf.prior_excluded, ["D2", "G"]);
    // Yes/no: T3 is 是 last year because its predecessors were (one unit, not two, not none).
    let zl = f.indicator("ZL04").expect("ZL04");
    assert_eq!(
        (zl.value, zl.prior, zl.prior_reported),
        (Some(2.0), Some(1.0), Some(3.0))
    );
    assert_eq!(f.coverage.prior_excluded, ["D2", "G"]);
    assert_eq!(f.coverage.left_out_counts().len(), 2);
}

/// Unverified values: T1's GF01 (an open anomaly on the row), T2's whole submission (a copied
/// year), D1's reported rate (A04 on the rate code), and C1's value of a county-office
/// indicator under a township-only item list.
#[test]
fn figures_list_the_units_whose_values_are_unverified() {
    use huizong::aggregate::{mark_unverified, Unverified};
    let s = schema(
        vec![
            ind(
                "GF01",
                Aggregation::Sum,
                &[Township, Department, CountyOffice],
            ),
            ind(
                "GF02",
                Aggregation::Sum,
                &[Township, Department, CountyOffice],
            ),
            ind("FY02", Aggregation::County, &[CountyOffice, Township]),
        ],
        vec![
            rate("RGF01", id("GF02"), id("GF01"), &[]),
            rate("RGF02", id("GF01"), id("GF02"), &[Department]),
        ],
    );
    let now = [
        cur("T1", Township, "GF01", 2.0),
        cur("T1", Township, "GF02", 1.0),
        cur("T2", Township, "GF01", 3.0),
        cur("T2", Township, "FY02", 3.0),
        cur("D1", Department, "GF01", 4.0),
        cur("D1", Department, "GF02", 4.0),
        cur("C1", CountyOffice, "GF01", 1.0),
        cur("C1", CountyOffice, "FY02", 9.0),
    ];
    let mut f = run(&s, &county(), &now, &[]);
    let mut pending = Unverified::default();
    pending.add("T1", Some("GF01"));
    pending.add("T2", None);
    pending.add("D1", Some("RGF01"));
    pending.add("C1", Some("GF02"));
    mark_unverified(&mut f, &s, &pending);
    let of = |code: &str| -> Vec<String> {
        f.indicator(code)
            .map(|i| i.unverified.clone())
            .or_else(|| f.rate(code).map(|r| r.unverified.clone()))
            .expect("figure")
    };
    // registry order, only units whose value enters the figure
    assert_eq!(of("GF01"), ["T1", "T2"]);
    // C1's GF02 item, but C1 reported no GF02: nothing to mark
    assert_eq!(of("GF02"), Vec::<String>::new());
    // a County indicator takes the county office only: T2's FY02 is not in it
    assert_eq!(of("FY02"), Vec::<String>::new());
    // a rate through its inputs (T1's GF01) and its own reported rate (D1); T2 has no GF02
    assert_eq!(of("RGF01"), ["T1", "D1"]);
    // a rate of departments only
    assert_eq!(of("RGF02"), Vec::<String>::new());
    // serialised on every figure, empty when verified
    let json = figures_json(&f);
    assert!(
        json.contains("\"unverified\": [\n        \"T1\",\n        \"T2\"\n      ]"),
        "{json}"
    );
    assert!(json.contains("\"unverified\": []"));
    // nothing pending clears the lists
    mark_unverified(&mut f, &s, &Unverified::default());
    assert!(f.indicators.iter().all(|i| i.unverified.is_empty()));
}
