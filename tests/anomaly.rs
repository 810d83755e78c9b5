//! Integration tests of `anomaly::detect`: the E10 priority case of anomaly-methods §4, a
//! hand-built county of 20 units with three planted mistakes, and `accept.toml` handling.

mod common;
use common::build::{self, rate};

use std::collections::BTreeMap;

use huizong::aggregate::UnitRow;
use huizong::anomaly::{accept, detect, unit_queue, AnomalyInput, Finding, Params, Status};
use huizong::diagnostic::Severity;
use huizong::registry::UnitKind;
use huizong::schema::{Aggregation, Indicator, Rate, Schema, ValueType};

fn indicator(code: &str, name: &str, unit: &str, value_type: ValueType) -> Indicator {
    Indicator {
        code: code.into(),
        name: name.into(),
        unit: unit.into(),
        value_type,
        section: "ZF".into(),
        reporters: vec![UnitKind::Township, UnitKind::Department],
        aggregation: Aggregation::Sum,
        parent: None,
        hint: None,
        max: None,
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

fn unit(code: &str, kind: UnitKind, cur: &[(&str, f64)], prev: &[(&str, f64)]) -> UnitRow {
    let map = |v: &[(&str, f64)]| -> BTreeMap<String, f64> {
        v.iter().map(|(k, x)| (k.to_string(), *x)).collect()
    };
    let origins = cur
        .iter()
        .enumerate()
        .map(|(i, (k, _))| {
            (
                k.to_string(),
                format!("{code}.xlsx!统计表!D{}", i + 5).into(),
            )
        })
        .collect();
    UnitRow {
        code: code.into(),
        name: format!("{code}单位"),
        kind,
        values: map(cur),
        prior: map(prev),
        origins,
    }
}

fn describe(f: &[Finding]) -> String {
    f.iter()
        .map(|f| {
            format!(
                "{} {} {:?} {:?} {:?} s={:.4} i={:.4} score={:.4} prio={:.4} {}",
                f.rank,
                f.code,
                f.severity,
                f.unit,
                f.indicator,
                f.suspicion,
                f.impact,
                f.score,
                f.priority,
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// E9/E10 data: 6 units, `cases` (count) and `amount` (amount); U5 also types a rate of 90 %
/// for 6 of 7 cases.
fn e10() -> (Schema, Vec<UnitRow>) {
    let s = schema(
        vec![
            indicator("cases", "案件数", "件", ValueType::Count),
            indicator("amount", "罚没金额", "元", ValueType::Amount),
        ],
        vec![rate("RYS01", "负责人出庭应诉率", "YS07", "YS06", 1)],
    );
    let rows = [
        ("U1", 38., 40., 50000., 52000.),
        ("U2", 30., 12., 8800., 9000.),
        ("U3", 90., 95., 31000., 30000.),
        ("U4", 21., 20., 40000., 410000.),
        ("U5", 6., 7., 3000., 3500.),
        ("U6", 31., 33., 39000., 41000.),
    ];
    let units = rows
        .iter()
        .map(|(c, pc, cc, pa, ca)| {
            let mut cur = vec![("cases", *cc), ("amount", *ca)];
            if *c == "U5" {
                cur.extend([("YS07", 6.0), ("YS06", 7.0), ("RYS01", 90.0)]);
            }
            unit(
                c,
                UnitKind::Township,
                &cur,
                &[("cases", *pc), ("amount", *pa)],
            )
        })
        .collect();
    (s, units)
}

#[test]
fn e10_priority_error_first_then_u4_then_u2() {
    let (s, units) = e10();
    let input = AnomalyInput {
        schema: &s,
        year: Some(2024),
        units,
        county: BTreeMap::new(),
        notes: Default::default(),
    };
    let f = detect(&input, &Params::default());
    let d = describe(&f);
    let top: Vec<(&str, Option<&str>, Option<&str>, Severity)> = f
        .iter()
        .take(3)
        .map(|f| {
            (
                f.code.as_str(),
                f.unit.as_deref(),
                f.indicator.as_deref(),
                f.severity,
            )
        })
        .collect();
    assert_eq!(
        top,
        [
            ("A04", Some("U5"), Some("RYS01"), Severity::Error),
            ("A11", Some("U4"), Some("amount"), Severity::Warning),
            ("A02", Some("U2"), Some("cases"), Severity::Info),
        ],
        "{d}"
    );
    let [u5, u4, u2] = [&f[0], &f[1], &f[2]];
    assert_eq!(format!("{:.4}", u5.score), "1.0000");
    assert!(u5.message.contains("差额+4.286"), "{}", u5.message);
    assert_eq!(format!("{:.4}", u4.impact), "2.0495");
    assert_eq!(format!("{:.4}", u4.score), "2.0495");
    assert_eq!(
        format!("{:.4}", u4.statistic.as_ref().unwrap().value),
        "9.8026"
    );
    let (lo, hi) = u4.expected.unwrap();
    assert_eq!(format!("[{lo:.1}, {hi:.1}]"), "[13941.9, 125476.9]");
    assert_eq!(format!("{:.3}", u2.suspicion), "0.388");
    assert_eq!(format!("{:.4}", u2.impact), "0.0862");
    assert_eq!(format!("{:.4}", u2.score), "0.0334");
    // HB-min: six units are too few for HB, so the fallback names the reason.
    assert!(u2.message.contains("n=6 < 10"), "{}", u2.message);
    // No other warnings or errors.
    assert_eq!(
        f.iter().filter(|f| f.severity != Severity::Info).count(),
        2,
        "{d}"
    );
    // E11 through detect: the county amount rose 217.5 %, 99.0 % of it from U4.
    let mac = f.iter().find(|f| f.code == "A09").expect("macro finding");
    assert!(mac.message.contains("+217.5%"), "{}", mac.message);
    assert!(
        mac.message.contains("U4单位+370000（占99.0%）"),
        "{}",
        mac.message
    );
    // Ranks are 1..n in order.
    assert!(f.iter().enumerate().all(|(i, f)| f.rank == i + 1));
}

/// Builds a county of 12 townships and 8 departments with small, realistic year-on-year
/// changes, then plants three mistakes: a 元→万元 slip (T03), a copied year (D02) and a tripled
/// count (T07).
fn county() -> (Schema, Vec<UnitRow>) {
    let s = schema(
        vec![
            indicator("ZF06", "行政处罚案件数", "件", ValueType::Count),
            indicator("FY02", "行政复议申请数", "件", ValueType::Count),
            indicator("ZF01", "行政执法人员数", "人", ValueType::Count),
            indicator("GF01", "规范性文件数", "件", ValueType::Count),
            indicator("JF01", "人民调解案件数", "件", ValueType::Count),
            indicator("ZF07", "罚没金额", "元", ValueType::Amount),
        ],
        vec![rate("RZF03", "件均罚没金额", "ZF07", "ZF06", 2)],
    );
    let codes = ["ZF06", "FY02", "ZF01", "GF01", "JF01"];
    let base = [41.0, 13.0, 27.0, 11.0, 63.0];
    let mut units = Vec::new();
    for i in 0..20usize {
        let (code, kind) = if i < 12 {
            (format!("T{:02}", i + 1), UnitKind::Township)
        } else {
            (format!("D{:02}", i - 11), UnitKind::Department)
        };
        let mut prev = Vec::new();
        let mut cur = Vec::new();
        for (j, (c, b)) in codes.iter().zip(base).enumerate() {
            let p = (b * (1.0 + ((i * 7 + j * 3) % 11) as f64 / 5.0)).round();
            let g = 0.93 + ((i * 5 + j * 2) % 8) as f64 * 0.02;
            prev.push((*c, p));
            cur.push((*c, (p * g).round()));
        }
        let pa = 61_234.0 + 7_517.0 * i as f64;
        let ga = 0.9 + ((i * 3) % 7) as f64 * 0.03;
        prev.push(("ZF07", pa));
        cur.push(("ZF07", (pa * ga).round()));
        match code.as_str() {
            "T03" => {
                // 罚没金额 typed in 万元: 1 254 300 元 becomes 125.43.
                prev.retain(|v| v.0 != "ZF07");
                cur.retain(|v| v.0 != "ZF07");
                prev.push(("ZF07", 1_198_200.0));
                cur.push(("ZF07", 125.43));
            }
            "D02" => cur = prev.clone(),
            "T07" => {
                for v in cur.iter_mut().filter(|v| v.0 == "ZF06") {
                    v.1 = 3.0 * prev[0].1;
                }
            }
            _ => {}
        }
        units.push(unit(&code, kind, &cur, &prev));
    }
    (s, units)
}

#[test]
fn county_with_three_planted_mistakes() {
    let (s, units) = county();
    let input = AnomalyInput {
        schema: &s,
        year: Some(2024),
        units,
        county: BTreeMap::new(),
        notes: Default::default(),
    };
    let f = detect(&input, &Params::default());
    let d = describe(&f);
    // The three planted units are the top three of the review queue …
    let q = unit_queue(&f);
    let top: Vec<&str> = q.iter().take(3).map(|u| u.unit.as_str()).collect();
    let mut sorted_top = top.clone();
    sorted_top.sort();
    assert_eq!(sorted_top, ["D02", "T03", "T07"], "{d}");
    // … and the top three entries, one per planted mistake, with the right method as the
    // entry's main line. The slip's A08 on 件均罚没金额 is the same cause: it is in the slip's
    // entry, not an entry of its own.
    let mut first: Vec<(&str, &str)> = f
        .iter()
        .filter(|x| x.entry <= 3 && f.iter().find(|y| y.entry == x.entry) == Some(*x))
        .map(|f| (f.unit.as_deref().unwrap_or(""), f.code.as_str()))
        .collect();
    first.sort();
    assert_eq!(
        first,
        [("D02", "A05"), ("T03", "A03"), ("T07", "A01")],
        "{d}"
    );
    let entry_of = |unit: &str, code: &str| {
        f.iter()
            .find(|x| x.unit.as_deref() == Some(unit) && x.code == code)
            .map(|x| x.entry)
    };
    assert_eq!(entry_of("T03", "A08"), entry_of("T03", "A03"), "{d}");
    // Clean units produce no warnings or errors.
    let noisy: Vec<&Finding> = f
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .filter(|f| !matches!(f.unit.as_deref(), Some("D02" | "T03" | "T07")))
        .collect();
    assert!(noisy.is_empty(), "{d}");
    // The slip carries its suggestion and points at its cell.
    let slip = f.iter().find(|f| f.code == "A03").unwrap();
    assert_eq!(slip.suggestion.as_deref(), Some("按元应为1,254,300元"));
    assert_eq!(slip.location, "T03.xlsx!统计表!D10");
    assert_eq!(
        slip.to_diagnostic().location.render(),
        "T03.xlsx!统计表!D10"
    );
    // The tripled count gets an expected interval that excludes the reported value.
    let tri = f
        .iter()
        .find(|f| f.code == "A01" && f.unit.as_deref() == Some("T07"))
        .unwrap();
    let (lo, hi) = tri.expected.unwrap();
    assert!(
        lo < tri.prior.unwrap() * 1.3 && hi < tri.value.unwrap(),
        "{lo} {hi}"
    );
    // Deterministic: a second run gives the same list.
    assert_eq!(f, detect(&input, &Params::default()));
}

#[test]
fn acceptances_keep_the_finding_and_void_on_change() {
    let (s, units) = county();
    let t07_value = units
        .iter()
        .find(|u| u.code == "T07")
        .and_then(|u| u.values.get("ZF06").copied())
        .unwrap();
    let template = r#"
[[accept]]
unit = "T07"
indicator = "ZF06"
rule = "A01"
value = VALUE
reason = "开展专项整治，案件数增加属实"
by = "张三"
date = 2025-01-20

[[accept]]
unit = "D02"
rule = "A05"
value = 1
reason = "与上年相同属实"
"#;
    let toml = template.replace("VALUE", &t07_value.to_string());
    let acceptances = accept::parse(&toml).unwrap();
    assert_eq!(acceptances.len(), 2);
    let input = AnomalyInput {
        schema: &s,
        year: Some(2024),
        units,
        county: BTreeMap::new(),
        notes: Default::default(),
    };
    let params = Params {
        acceptances,
        ..Params::default()
    };
    let f = detect(&input, &params);
    let t07 = f
        .iter()
        .find(|f| f.code == "A01" && f.unit.as_deref() == Some("T07"))
        .unwrap();
    assert!(t07.accepted);
    assert_eq!(t07.status, Status::Confirmed);
    assert_eq!(
        t07.accept_reason.as_deref(),
        Some("开展专项整治，案件数增加属实")
    );
    assert_eq!(
        t07.to_diagnostic().explanation.as_deref(),
        Some("开展专项整治，案件数增加属实")
    );
    // Accepted findings stay in the list but move behind the open ones.
    assert_eq!(
        t07.rank,
        f.len() - f.iter().filter(|f| f.accepted).count() + 1
    );
    assert!(unit_queue(&f).iter().all(|u| u.unit != "T07"));
    // D02's acceptance has no indicator value to compare (a unit-level finding): it holds.
    let d02 = f.iter().find(|f| f.code == "A05").unwrap();
    assert!(d02.accepted);

    // A changed value voids the acceptance.
    let params = Params {
        acceptances: accept::parse(&template.replace("VALUE", "99")).unwrap(),
        ..Params::default()
    };
    let f = detect(&input, &params);
    let t07 = f
        .iter()
        .find(|f| f.code == "A01" && f.unit.as_deref() == Some("T07"))
        .unwrap();
    assert!(!t07.accepted);
    assert!(t07.accept_void.as_deref().unwrap().contains("说明已失效"));
    assert!(accept::parse("[[accept]]\nunit = 1").is_err());
}

#[test]
fn codes_explain_every_rule() {
    let a03 = huizong::codes::Code::A03.info().unwrap();
    assert_eq!(a03.severity, Severity::Warning);
    assert!(a03.title.contains("单位错误"));
    assert!(huizong::codes::TABLE.iter().all(|c| !c.help.is_empty()));
}

#[test]
fn department_tripled_count_falls_back_to_poisson() {
    // Departments are 8 < 10 units, so HB does not run there; a tripled count is caught by the
    // exact Poisson test instead, and the message names why.
    let (s, mut units) = county();
    let d05 = units.iter_mut().find(|u| u.code == "D05").unwrap();
    let prev = d05.prior.get("JF01").copied().unwrap();
    d05.values.insert("JF01".into(), 3.0 * prev);
    let input = AnomalyInput {
        schema: &s,
        year: Some(2024),
        units,
        county: BTreeMap::new(),
        notes: Default::default(),
    };
    let f = detect(&input, &Params::default());
    let hit = f
        .iter()
        .find(|f| f.unit.as_deref() == Some("D05") && f.indicator.as_deref() == Some("JF01"))
        .expect("D05 JF01 flagged");
    assert_eq!(
        (hit.code.as_str(), hit.severity),
        ("A02", Severity::Warning)
    );
    assert!(hit.message.contains("n=8 < 10"), "{}", hit.message);
    assert!(hit.statistic.as_ref().unwrap().value < 0.001);
}

/// The county of three planted mistakes, with 说明 on two of the rows: T07 explains its tripled
/// count (ZF06), T03 writes only "核实无误" on its slipped amount, D02 explains a row although its
/// finding is about the whole copied submission.
#[test]
fn explained_findings_rank_below_open_ones_and_a_rejection_reopens_them() {
    let (s, units) = county();
    let mut notes = huizong::anomaly::Notes::new();
    for (unit, code, text) in [
        ("T07", "ZF06", "开展专项整治，案件数增加属实"),
        ("T03", "ZF07", "核实无误"),
        ("D02", "ZF06", "与上年持平，数据属实无误"),
    ] {
        notes
            .entry(unit.to_string())
            .or_default()
            .insert(code.to_string(), text.to_string());
    }
    let input = AnomalyInput {
        schema: &s,
        year: Some(2024),
        units,
        county: BTreeMap::new(),
        notes,
    };
    let status = |f: &[Finding], unit: &str, code: &str| {
        let x = f
            .iter()
            .find(|f| f.code == code && f.unit.as_deref() == Some(unit))
            .expect("finding");
        (x.rank, x.status, x.explanation.clone())
    };
    let f = detect(&input, &Params::default());
    let d = describe(&f);
    let (t07_rank, t07, t07_text) = status(&f, "T07", "A01");
    assert_eq!(t07, Status::Explained, "{d}");
    assert_eq!(t07_text.as_deref(), Some("开展专项整治，案件数增加属实"));
    assert_eq!(status(&f, "T03", "A03").1, Status::Open, "boilerplate");
    assert_eq!(status(&f, "D02", "A05").1, Status::Open, "unit-level");
    // The open warnings come first, and the explained change after every open finding, even
    // the infos: a reviewer reads what is still open first.
    let open_before: Vec<bool> = f.iter().map(|x| !x.status.is_settled()).collect();
    let first_settled = open_before.iter().position(|o| !o).unwrap();
    assert!(open_before[first_settled..].iter().all(|o| !o), "{d}");
    assert_eq!(f[first_settled].unit.as_deref(), Some("T07"), "{d}");
    assert_eq!(t07_rank, first_settled + 1, "{d}");
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(unit_queue(&f).iter().all(|u| u.unit != "T07"));
    // The explained finding is a settled diagnostic, as an explained rule warning is.
    let diag = f
        .iter()
        .find(|f| f.rank == t07_rank)
        .unwrap()
        .to_diagnostic();
    assert!(!diag.needs_action());
    assert_eq!(
        diag.explanation.as_deref(),
        Some("开展专项整治，案件数增加属实")
    );

    // The reviewer does not accept T07's explanation: it is open again, first of its tier by
    // priority, and keeps the unit's text beside the reviewer's reason.
    let params = Params {
        acceptances: accept::parse(
            "[[accept]]\nunit = \"T07\"\nindicator = \"ZF06\"\nrule = \"A01\"\n\
             decision = \"reject\"\nreason = \"专项整治台账只有12件，请核对\"\n",
        )
        .unwrap(),
        ..Params::default()
    };
    let f = detect(&input, &params);
    let (rank, st, text) = status(&f, "T07", "A01");
    assert_eq!(st, Status::Rejected);
    assert!(rank <= 3, "{}", describe(&f));
    assert_eq!(text.as_deref(), Some("开展专项整治，案件数增加属实"));
    let t07 = f.iter().find(|f| f.rank == rank).unwrap();
    assert_eq!(
        t07.reject_reason.as_deref(),
        Some("专项整治台账只有12件，请核对")
    );
    assert!(t07.needs_action() && !t07.accepted);
    assert!(unit_queue(&f).iter().any(|u| u.unit == "T07"));
    // Deterministic.
    assert_eq!(f, detect(&input, &params));
}
