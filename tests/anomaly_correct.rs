//! A failing Σ-parts rule names the likely wrong cell and the value that satisfies every rule
//! (`anomaly::correct`, on `Diagnostic::suggestion`): one department's workbook from the clean
//! sample with two digits of a 罚款 breakdown row swapped, read and checked through
//! `pipeline::check`; the near miss (the same row off by one) gets the rule but no suggestion.
//! A property over random breakdowns: a suggestion, when made, satisfies the rule and is the
//! swapped part's true value.

use std::path::Path;

use huizong::pipeline::check::{check, CheckConfig};
use huizong::report::template::{self, CellInput};
use huizong::sample::{self, SampleOptions};
use huizong::schema::Schema;

/// Writes unit `code`'s clean 2024 workbook with `ind` set to `value`; returns V20's
/// diagnostics of the check as (indicator, suggestion).
fn v20_after(
    dir: &Path,
    code: &str,
    ind: &str,
    value: f64,
) -> Vec<(Option<String>, Option<String>)> {
    let schema = Schema::default_schema();
    let opts = SampleOptions {
        clean: true,
        ..SampleOptions::default()
    };
    let county = sample::generate(&schema, &opts);
    let unit = county
        .registry
        .units
        .iter()
        .find(|u| u.code == code)
        .unwrap();
    let data = county.years[&2024].iter().find(|d| d.code == code).unwrap();
    let mut fill = sample::fill(&schema, unit, data, opts.seed);
    fill.current
        .insert(ind.to_string(), CellInput::Number(value));
    let path = dir.join(template::file_name(unit, 2024));
    std::fs::write(&path, template::build(&schema, unit, 2024, &fill).unwrap()).unwrap();
    let report = check(&CheckConfig {
        schema,
        registry: None,
        paths: vec![path],
        year: Some(2024),
        prior: None,
        progress: false,
    })
    .unwrap();
    report
        .findings
        .iter()
        .filter(|d| d.code == "V20")
        .map(|d| (d.indicator.clone(), d.suggestion.clone()))
        .collect()
}

/// The first 罚款 breakdown row of `code` whose value has two different adjacent digits.
fn transposable(code: &str) -> (String, f64, f64) {
    let schema = Schema::default_schema();
    let county = sample::generate(
        &schema,
        &SampleOptions {
            clean: true,
            ..SampleOptions::default()
        },
    );
    let data = county.years[&2024].iter().find(|d| d.code == code).unwrap();
    for (ind, &v) in data
        .values
        .iter()
        .filter(|(c, _)| c.starts_with("ZF06") && c.len() == 5)
    {
        let s = format!("{v:.0}");
        let b = s.as_bytes();
        if v >= 10.0 && b.len() >= 2 && b[0] != b[1] && b[1] != b'0' {
            let swapped: String = [b[1] as char, b[0] as char]
                .iter()
                .chain(s[2..].chars().collect::<Vec<_>>().iter())
                .collect();
            return (ind.clone(), v, swapped.parse().unwrap());
        }
    }
    panic!("no transposable breakdown row in {code}");
}

#[test]
fn a_transposed_breakdown_row_gets_its_correction_and_an_off_by_one_does_not() {
    let code = "411321-D05";
    let (ind, right, typed) = transposable(code);
    let dir = tempfile::tempdir().unwrap();
    let found = v20_after(dir.path(), code, &ind, typed);
    assert_eq!(found.len(), 1, "{found:?}");
    let name = Schema::default_schema()
        .indicator(&ind)
        .unwrap()
        .name
        .clone();
    assert_eq!(
        found[0].1.as_deref(),
        Some(
            format!("{ind}（{name}）可能应为 {right:.0}（数字顺序颠倒），改后相关校验均能通过")
                .as_str()
        ),
        "{ind}: {right} typed as {typed}"
    );

    let dir = tempfile::tempdir().unwrap();
    let found = v20_after(dir.path(), code, &ind, right + 1.0);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, None, "no typing error explains an extra 1");
}

/// Values by code for the property below.
struct Vals(std::collections::BTreeMap<String, f64>);

impl huizong::schema::expr::Env for Vals {
    fn current(&self, code: &str) -> Option<f64> {
        self.0.get(code).copied()
    }
    fn prior(&self, _: &str) -> Option<f64> {
        None
    }
}

proptest::proptest! {
    /// Whatever the parts and whichever part got two digits swapped: a suggestion, when made,
    /// satisfies the rule, and the swapped part's true value is proposed unless another single
    /// typing error would fix the sum as well (then nothing is proposed).
    #[test]
    fn a_suggestion_always_satisfies_the_rule(
        parts in proptest::collection::vec(10u32..5000, 3..6),
        which in 0usize..6,
    ) {
        use huizong::anomaly::correct::{locate, variants};
        use huizong::registry::UnitKind;
        let schema = Schema::default_schema();
        let codes: Vec<String> = (0..parts.len()).map(|i| format!("ZF06{}", (b'A' + i as u8) as char)).collect();
        let mut rule = schema.rules.iter().find(|r| r.code == "V20").unwrap().clone();
        let all: Vec<&str> = codes.iter().map(String::as_str).chain(["ZF06"]).collect();
        rule.expr = huizong::schema::Expr::parse(&format!("{} == ZF06", codes.join(" + ")), &all).unwrap();
        rule.when = None;
        let which = which % parts.len();
        let total: f64 = parts.iter().map(|&p| f64::from(p)).sum();
        let right = f64::from(parts[which]);
        let swapped = variants(right).into_iter().find(|v| v.1 == "数字顺序颠倒" && v.0 != right && v.0 >= 10.0);
        proptest::prop_assume!(swapped.is_some());
        let typed = swapped.unwrap().0;
        let mut vals: std::collections::BTreeMap<String, f64> =
            codes.iter().zip(&parts).map(|(c, &p)| (c.clone(), f64::from(p))).collect();
        vals.insert(codes[which].clone(), typed);
        vals.insert("ZF06".into(), total);
        let env = Vals(vals.clone());
        let rules = vec![rule.clone()];
        if let Some(c) = locate(&rule, &rules, UnitKind::Department, &env, false) {
            let mut fixed = vals.clone();
            fixed.insert(c.code.clone(), c.value);
            proptest::prop_assert_eq!(rule.expr.holds(&Vals(fixed)), Some(true));
            proptest::prop_assert!(c.code == codes[which] && c.value == right, "{:?}", c);
        }
    }
}

/// `check` shows the suggestion: the JSON key `suggestion` and 参考 on the text line.
#[test]
fn check_prints_the_suggestion_in_json_and_text() {
    let code = "411321-D05";
    let (ind, right, typed) = transposable(code);
    let dir = tempfile::tempdir().unwrap();
    v20_after(dir.path(), code, &ind, typed);
    let run = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_huizong"))
            .args(["check", "--year", "2024", "--format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "an error was found");
        String::from_utf8(out.stdout).unwrap()
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    let v20 = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "V20")
        .expect("V20 finding");
    let want = format!("可能应为 {right:.0}（数字顺序颠倒）");
    assert!(v20["suggestion"].as_str().unwrap().contains(&want), "{v20}");
    let text = run("concise");
    let line = text.lines().find(|l| l.contains("V20")).expect("V20 line");
    assert!(line.contains("（参考：") && line.contains(&want), "{line}");
}
