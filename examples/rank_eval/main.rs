//! Evaluation harness for the anomaly ranking (issue #15): how far down the 异常提示 list a
//! reviewer must read to meet the errors a county's returns really contain.
//!
//! For several county sizes and seeds it generates a clean sample county in memory
//! (`huizong::sample::generate`, two years), plants twelve kinds of common errors into distinct
//! units of the last year, adds real changes explained in 说明 as decoys, runs
//! `huizong::anomaly::detect` exactly as `run` does (default parameters, the county totals left
//! to the unit sums) and scores the ranked list:
//! - recall@5/10/20: share of planted errors whose unit appears in the first k positions;
//! - precision@10: share of the first 10 positions that point at a planted error;
//! - the same for two naive rankings over every unit × indicator cell, by
//!   |log((cur+1)/(prev+1))| and by |cur − prev|;
//! - decoys: pairs (explained real change, unexplained planted error) where the explained
//!   change comes first (the target is none);
//! - false alarms: open warnings per clean county of 48 units, and the share of units with a
//!   warning in a clean 10,000-unit sample.
//!
//! Positions are counted both in lines (one per finding, as the sheet had them) and in entries
//! (one per unit and problem, `huizong::anomaly::entries`).
//!
//! Usage: `cargo run --release --example rank_eval -- [SEEDS] [BIG_UNITS]` (defaults 12, 10000;
//! `BIG_UNITS` 0 skips the large clean sample). `bench/rank.sh` runs it and keeps the log.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use huizong::aggregate::UnitRow;
use huizong::anomaly::{self, AnomalyInput, Finding, Notes, Params};
use huizong::diagnostic::Severity;
use huizong::registry::UnitKind;
use huizong::sample::{generate, SampleOptions, REAL_CHANGE_NOTE};
use huizong::schema::{Schema, ValueType};
use huizong::sheets::DATA_SHEET;

mod rules;

/// Village counts per unit code, from the registry (the `villages` of the rules).
type Villages = BTreeMap<String, f64>;

/// The planted kinds, in the order of the issue.
const KINDS: [&str; 12] = [
    "元→万元",
    "万元→元",
    "×10",
    "÷10",
    "数字颠倒",
    "填错行",
    "抄上年",
    "抄邻单位",
    "×3–6",
    "分子贴近分母",
    "估报整数",
    "执法块清零",
];

/// SplitMix64: the harness's own draws, keyed by seed and county size.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One planted error or decoy: the unit it is in and the cells it changed.
#[derive(Debug, Clone)]
struct Plant {
    kind: &'static str,
    unit: String,
    /// The cells it changed (kept for debugging output).
    #[allow(dead_code)]
    cells: Vec<String>,
    /// The true values of `cells`, before planting (empty for decoys).
    truth: Vec<f64>,
}

/// One county of the evaluation, ready for `detect`.
struct Case {
    units: Vec<UnitRow>,
    villages: Villages,
    notes: Notes,
    plants: Vec<Plant>,
    decoys: Vec<Plant>,
}

/// The unit rows of the last generated year, as `run` hands them to the anomaly phase.
fn unit_rows(schema: &Schema, opts: &SampleOptions) -> (Vec<UnitRow>, Notes, Villages) {
    let county = generate(schema, opts);
    let year = *opts.years.last().unwrap_or(&2024);
    let mut notes = Notes::new();
    let villages: Villages = county
        .registry
        .units
        .iter()
        .map(|u| (u.code.clone(), f64::from(u.villages)))
        .collect();
    let mut rows = Vec::new();
    for d in county.years.get(&year).into_iter().flatten() {
        let Some(file) = &d.file_name else { continue };
        let Some(unit) = county.registry.units.iter().find(|u| u.code == d.code) else {
            continue;
        };
        let mut origins = BTreeMap::new();
        for (i, code) in d.values.keys().enumerate() {
            let o: Arc<str> = format!("{file}!{DATA_SHEET}!D{}", i + 5).into();
            origins.insert(code.clone(), o);
        }
        for (k, v) in &d.notes {
            notes
                .entry(d.code.clone())
                .or_default()
                .insert(k.clone(), v.clone());
        }
        rows.push(UnitRow {
            code: d.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind,
            values: d.values.clone(),
            prior: d.prior.clone(),
            origins,
        });
    }
    (rows, notes, villages)
}

fn is(schema: &Schema, code: &str, t: ValueType) -> bool {
    schema.indicator(code).is_some_and(|i| i.value_type == t)
}

/// The cells of `u` of type `t` whose current and prior values pass `ok`.
fn cells(schema: &Schema, u: &UnitRow, t: ValueType, ok: impl Fn(f64, f64) -> bool) -> Vec<String> {
    u.values
        .iter()
        .filter(|(c, _)| is(schema, c, t))
        .filter(|(c, &v)| u.prior.get(*c).is_some_and(|&p| ok(v, p)))
        .map(|(c, _)| c.clone())
        .collect()
}

/// Adjacent-digit swap of `v` changing it by 15–60 %, if any.
fn transposed(v: f64) -> Option<f64> {
    let s = format!("{v:.0}");
    let b = s.as_bytes();
    (0..b.len().saturating_sub(1)).find_map(|i| {
        let mut t = b.to_vec();
        t.swap(i, i + 1);
        let w: f64 = std::str::from_utf8(&t).ok()?.parse().ok()?;
        let r = (w / v - 1.0).abs();
        (t[0] != b'0' && (0.15..=0.6).contains(&r)).then_some(w)
    })
}

/// Plants one error of kind `k` into unit `i`; `None` when the unit has nothing suitable.
fn plant(
    schema: &Schema,
    units: &mut [UnitRow],
    i: usize,
    k: usize,
    rng: &mut Rng,
) -> Option<Plant> {
    let (count, amount) = (ValueType::Count, ValueType::Amount);
    let pick = |v: &[String], rng: &mut Rng| v.get(rng.below(v.len())).cloned();
    let u = units.get(i)?.clone();
    let set = |code: &str, v: f64, units: &mut [UnitRow]| {
        units[i].values.insert(code.to_string(), v);
    };
    let one = |code: String| Some(vec![code]);
    let changed: Option<Vec<String>> = match k {
        0 => pick(
            &cells(schema, &u, amount, |v, p| v >= 20_000.0 && p >= 20_000.0),
            rng,
        )
        .and_then(|c| {
            set(&c, (u.values[&c] / 100.0).round() / 100.0, units);
            one(c)
        }),
        1 => pick(
            &cells(schema, &u, amount, |v, p| v >= 100.0 && p >= 100.0),
            rng,
        )
        .and_then(|c| {
            set(&c, u.values[&c] * 10_000.0, units);
            one(c)
        }),
        2 => pick(&cells(schema, &u, count, |v, p| v >= 5.0 && p >= 5.0), rng).and_then(|c| {
            set(&c, u.values[&c] * 10.0, units);
            one(c)
        }),
        3 => pick(
            &cells(schema, &u, count, |v, p| v >= 30.0 && p >= 30.0),
            rng,
        )
        .and_then(|c| {
            set(&c, (u.values[&c] / 10.0).floor(), units);
            one(c)
        }),
        4 => {
            let ok = cells(schema, &u, count, |v, p| {
                v >= 100.0 && p >= 50.0 && transposed(v).is_some()
            });
            pick(&ok, rng).and_then(|c| {
                set(&c, transposed(u.values[&c])?, units);
                one(c)
            })
        }
        5 => {
            // A sub-item typed one row off: two breakdown rows of one total swap values.
            let parents: BTreeSet<String> = schema
                .indicators
                .iter()
                .filter_map(|i| i.parent.clone())
                .collect();
            let pairs: Vec<(String, String)> = parents
                .iter()
                .flat_map(|p| {
                    let kids: Vec<&String> = schema
                        .indicators
                        .iter()
                        .filter(|i| i.parent.as_deref() == Some(p) && i.value_type == count)
                        .map(|i| &i.code)
                        .filter(|c| u.values.get(*c).is_some_and(|&v| v >= 5.0))
                        .collect();
                    kids.windows(2)
                        .filter(|w| {
                            let (a, b) = (u.values[w[0]], u.values[w[1]]);
                            a.max(b) >= 2.0 * a.min(b)
                        })
                        .map(|w| (w[0].clone(), w[1].clone()))
                        .collect::<Vec<_>>()
                })
                .collect();
            pairs.get(rng.below(pairs.len())).cloned().map(|(a, b)| {
                let (va, vb) = (u.values[&a], u.values[&b]);
                set(&a, vb, units);
                set(&b, va, units);
                vec![a, b]
            })
        }
        6 => {
            units[i].values = u.prior.clone();
            Some(u.prior.keys().cloned().collect())
        }
        7 => {
            let j = (0..units.len()).find(|&j| {
                j != i && units[j].kind == u.kind && units[j].values.len() == u.values.len()
            })?;
            units[i].values = units[j].values.clone();
            Some(u.values.keys().cloned().collect())
        }
        8 => pick(&cells(schema, &u, count, |v, p| v >= 3.0 && p >= 3.0), rng).and_then(|c| {
            let f = 3.0 + rng.below(4) as f64;
            set(&c, u.values[&c] * f, units);
            one(c)
        }),
        9 => {
            let ok: Vec<(String, String)> = schema
                .rates
                .iter()
                .filter(|r| r.unit.is_none())
                .filter_map(|r| {
                    let (n, d) = (
                        u.values.get(&r.numerator_text)?,
                        u.values.get(&r.denominator_text)?,
                    );
                    (*d >= 10.0 && *n <= 0.6 * d)
                        .then(|| (r.numerator_text.clone(), r.denominator_text.clone()))
                })
                .collect();
            ok.get(rng.below(ok.len())).cloned().map(|(n, d)| {
                let v = (u.values[&d] * rng.range(0.97, 1.0)).round();
                set(&n, v, units);
                vec![n]
            })
        }
        10 => {
            let mut c = Vec::new();
            for (code, v) in u.values.iter() {
                let step = match schema.indicator(code).map(|i| i.value_type) {
                    Some(ValueType::Count) if *v >= 200.0 => 100.0,
                    Some(ValueType::Count) if *v >= 20.0 => 10.0,
                    Some(ValueType::Amount) if *v >= 20_000.0 => 10_000.0,
                    _ => continue,
                };
                let r = (v / step).round() * step;
                if r != *v {
                    set(code, r, units);
                    c.push(code.clone());
                }
            }
            (c.len() >= 4).then_some(c)
        }
        11 => {
            let zf: Vec<String> = u
                .values
                .keys()
                .filter(|c| c.starts_with("ZF") && !is(schema, c, ValueType::YesNo))
                .cloned()
                .collect();
            (u.kind == UnitKind::Department && u.values.get("ZF06").is_some_and(|&v| v >= 10.0))
                .then(|| {
                    for c in &zf {
                        set(c, 0.0, units);
                    }
                    zf
                })
        }
        _ => None,
    };
    let changed = changed?;
    if changed.is_empty() {
        units[i] = u;
        return None;
    }
    let truth = changed
        .iter()
        .map(|c| u.values.get(c).copied().unwrap_or(0.0))
        .collect();
    Some(Plant {
        kind: KINDS[k],
        unit: units[i].code.clone(),
        cells: changed,
        truth,
    })
}

/// A real change the unit explains: cases and the amount with them grow 2–4 fold.
fn decoy(units: &mut [UnitRow], notes: &mut Notes, i: usize, rng: &mut Rng) -> Option<Plant> {
    let u = &mut units[i];
    let cases = *u.values.get("ZF06")?;
    if cases < 10.0 || u.values.get("ZF07").is_none_or(|&a| a < 1000.0) {
        return None;
    }
    let f = rng.range(2.0, 4.0);
    let mut cells = Vec::new();
    for c in ["ZF06", "ZF07"] {
        let v = u.values[c];
        u.values.insert(c.into(), (v * f).round());
        cells.push(c.to_string());
    }
    // Keep the 罚款 breakdown summing to its total, as a real return does.
    if let Some(a) = u.values.get("ZF06A").copied() {
        u.values
            .insert("ZF06A".into(), a + (cases * f).round() - cases);
    }
    let n = notes.entry(u.code.clone()).or_default();
    n.insert("ZF06".into(), REAL_CHANGE_NOTE.into());
    n.insert("ZF07".into(), "处罚案件增加，罚没金额相应增加".into());
    Some(Plant {
        kind: "已说明的真实变化",
        unit: u.code.clone(),
        cells,
        truth: Vec::new(),
    })
}

/// A county of `size` units with the given kinds planted once each and `decoys` explained
/// changes.
fn case(schema: &Schema, size: usize, seed: u64, kinds: &[usize], decoys: usize) -> Case {
    let opts = SampleOptions {
        units: Some(size),
        seed,
        clean: true,
        ..SampleOptions::default()
    };
    let (mut units, mut notes, villages) = unit_rows(schema, &opts);
    let mut rng = Rng(seed.wrapping_mul(1_000_003) ^ size as u64);
    // Units that carry the county's own figures (office, court) are not used.
    let mut free: Vec<usize> = (0..units.len())
        .filter(|&i| matches!(units[i].kind, UnitKind::Township | UnitKind::Department))
        .filter(|&i| !units[i].prior.is_empty())
        .collect();
    let mut take = |rng: &mut Rng, want: &dyn Fn(&UnitRow) -> bool, units: &[UnitRow]| {
        let ok: Vec<usize> = free.iter().copied().filter(|&i| want(&units[i])).collect();
        let i = *ok.get(rng.below(ok.len()))?;
        free.retain(|&j| j != i);
        Some(i)
    };
    let mut plants = Vec::new();
    for &k in kinds {
        for _ in 0..20 {
            let want: &dyn Fn(&UnitRow) -> bool = if k == 11 {
                &|u: &UnitRow| u.kind == UnitKind::Department
            } else {
                &|_: &UnitRow| true
            };
            let Some(i) = take(&mut rng, want, &units) else {
                break;
            };
            if let Some(p) = plant(schema, &mut units, i, k, &mut rng) {
                plants.push(p);
                break;
            }
        }
    }
    let mut dec = Vec::new();
    for _ in 0..decoys * 10 {
        if dec.len() == decoys {
            break;
        }
        let Some(i) = take(
            &mut rng,
            &|u: &UnitRow| u.kind == UnitKind::Department,
            &units,
        ) else {
            break;
        };
        dec.extend(decoy(&mut units, &mut notes, i, &mut rng));
    }
    Case {
        units,
        villages,
        notes,
        plants,
        decoys: dec,
    }
}

fn detect(schema: &Schema, units: Vec<UnitRow>, notes: Notes) -> Vec<Finding> {
    let input = AnomalyInput {
        schema,
        year: Some(2024),
        units,
        county: BTreeMap::new(),
        notes,
    };
    anomaly::detect(&input, &params())
}

/// The default parameters; `RANK_EVAL_NO_DIGIT_SLIP` switches the digit-slip signal off (the
/// "before" column of docs/anomaly-ranking.md).
fn params() -> Params {
    let mut p = Params::default();
    if std::env::var_os("RANK_EVAL_NO_DIGIT_SLIP").is_some() {
        p.digit_slip.far = f64::INFINITY;
    }
    p
}

/// Whether a finding on the planted cell suggests its true value (`可能应为 322（…`), or for a
/// dropped digit a value within 10 % of it (`可能应为 450 左右（可能少输了一位）`).
fn suggests_truth(f: &[Finding], p: &Plant) -> bool {
    let ([cell], [truth]) = (p.cells.as_slice(), p.truth.as_slice()) else {
        return false;
    };
    let value = |s: &str| -> Option<f64> {
        let rest = s.split("可能应为 ").nth(1)?;
        let num: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
            .filter(|c| *c != ',')
            .collect();
        num.parse().ok()
    };
    f.iter().any(|x| {
        x.unit.as_deref() == Some(&p.unit)
            && x.indicator.as_deref() == Some(cell)
            && x.suggestion.as_deref().is_some_and(|s| {
                value(s).is_some_and(|v| {
                    v == *truth || (s.contains("少输了一位") && (v / truth - 1.0).abs() <= 0.1)
                })
            })
    })
}

/// The ranked list, one position per line or entry: its unit (`None` = county-level) and the
/// indicators it is about.
type Ranking = Vec<(Option<String>, Vec<String>)>;

fn about(f: &Finding) -> Vec<String> {
    f.indicator.iter().cloned().collect()
}

fn lines(f: &[Finding]) -> Ranking {
    f.iter().map(|f| (f.unit.clone(), about(f))).collect()
}

fn entries(f: &[Finding], schema: &Schema) -> Ranking {
    anomaly::entries(f, schema)
        .iter()
        .map(|e| {
            (
                e.unit.clone(),
                e.lines.iter().flat_map(|&i| about(&f[i])).collect(),
            )
        })
        .collect()
}

/// Every unit × count/amount cell by a naive score, largest first.
fn naive(schema: &Schema, units: &[UnitRow], score: fn(f64, f64) -> f64) -> Ranking {
    let mut all: Vec<(f64, &str, &str)> = Vec::new();
    for u in units {
        for (c, &v) in &u.values {
            if !(is(schema, c, ValueType::Count) || is(schema, c, ValueType::Amount)) {
                continue;
            }
            let p = u.prior.get(c).copied().unwrap_or(0.0);
            all.push((score(v, p), &u.code, c));
        }
    }
    all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)).then(a.2.cmp(b.2)));
    all.into_iter()
        .map(|(_, u, c)| (Some(u.to_string()), vec![c.to_string()]))
        .collect()
}

/// First position (1-based) of `unit` in `r`.
fn position(r: &Ranking, unit: &str) -> Option<usize> {
    r.iter()
        .position(|u| u.0.as_deref() == Some(unit))
        .map(|p| p + 1)
}

/// First position of a decoy's explained change: its unit, about 罚款 cases or amounts (the
/// cells it changed, their breakdown and the rate of the two), not some other line of the unit.
fn decoy_position(r: &Ranking, unit: &str) -> Option<usize> {
    let related = |c: &String| c.starts_with("ZF06") || c == "ZF07" || c == "RZF03";
    r.iter()
        .position(|u| u.0.as_deref() == Some(unit) && u.1.iter().any(related))
        .map(|p| p + 1)
}

/// Tallies of one ranking over all cases.
#[derive(Default)]
struct Score {
    planted: usize,
    at: [usize; 3],
    top10_hits: usize,
    top10_len: usize,
    by_kind: BTreeMap<&'static str, (usize, usize)>,
    decoy_pairs: usize,
    decoy_bad: usize,
}

const KS: [usize; 3] = [5, 10, 20];
/// Planted errors per county: a county's returns rarely hold more, and with twelve the top 10
/// could not hold them all.
const PER_COUNTY: usize = 4;
/// Explained real changes per county.
const DECOYS: usize = 2;

impl Score {
    fn add(&mut self, r: &Ranking, c: &Case) {
        let planted: BTreeSet<&str> = c.plants.iter().map(|p| p.unit.as_str()).collect();
        for p in &c.plants {
            self.planted += 1;
            let pos = position(r, &p.unit);
            for (n, k) in self.at.iter_mut().zip(KS) {
                *n += usize::from(pos.is_some_and(|x| x <= k));
            }
            let e = self.by_kind.entry(p.kind).or_default();
            e.0 += usize::from(pos.is_some_and(|x| x <= 10));
            e.1 += 1;
            for d in &c.decoys {
                if let (Some(pp), Some(dp)) = (pos, decoy_position(r, &d.unit)) {
                    self.decoy_pairs += 1;
                    self.decoy_bad += usize::from(dp < pp);
                }
            }
        }
        let top = &r[..r.len().min(10)];
        self.top10_len += 10;
        self.top10_hits += top
            .iter()
            .filter(|u| u.0.as_deref().is_some_and(|u| planted.contains(u)))
            .count();
    }

    fn row(&self, name: &str) -> String {
        let pct = |n: usize, d: usize| 100.0 * n as f64 / d.max(1) as f64;
        format!(
            "| {name} | {:.0}% | {:.0}% | {:.0}% | {:.0}% | {}/{} |",
            pct(self.at[0], self.planted),
            pct(self.at[1], self.planted),
            pct(self.at[2], self.planted),
            pct(self.top10_hits, self.top10_len),
            self.decoy_bad,
            self.decoy_pairs,
        )
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(12);
    let big: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let schema = Schema::default_schema();
    let sizes = [30usize, 48, 85];
    let (mut by_queue, mut by_line, mut by_entry, mut by_log, mut by_abs) = (
        Score::default(),
        Score::default(),
        Score::default(),
        Score::default(),
        Score::default(),
    );
    let mut cases = 0;
    let mut suggested: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    // Per kind: planted errors whose unit a rule error holds back, and of those the ones whose
    // rule proposes the true value.
    let mut by_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for &size in &sizes {
        for seed in 1..=seeds {
            // PER_COUNTY kinds per county, rotating so every kind is planted equally often.
            let first = (cases * PER_COUNTY) % KINDS.len();
            let kinds: Vec<usize> = (0..PER_COUNTY).map(|j| (first + j) % KINDS.len()).collect();
            let c = case(&schema, size, seed, &kinds, DECOYS);
            let f = detect(&schema, c.units.clone(), c.notes.clone());
            if std::env::var_os("RANK_EVAL_DEBUG").is_some() {
                debug(&schema, &f, &c);
            }
            if std::env::var_os("RANK_EVAL_MISSED").is_some() {
                missed(&schema, &f, &c);
            }
            for p in &c.plants {
                let e = suggested.entry(p.kind).or_insert((0, 0));
                e.0 += usize::from(suggests_truth(&f, p));
                e.1 += 1;
            }
            let held = held(&schema, &c.units, &c.villages);
            by_queue.add(&queue(&schema, &c, &held), &c);
            for p in &c.plants {
                let r = by_rule.entry(p.kind).or_default();
                if let Some(e) = held.get(&p.unit) {
                    if std::env::var_os("RANK_EVAL_MISSED").is_some() {
                        let fixes: Vec<_> = e.iter().map(|x| (&x.rule, &x.fix)).collect();
                        eprintln!(
                            "held {} {} {:?} {:?}: {fixes:?}",
                            p.kind,
                            p.unit,
                            p.cells.first(),
                            p.truth.first()
                        );
                    }
                    r.0 += 1;
                    r.1 += usize::from(fixes_truth(e, p));
                }
            }
            by_line.add(&lines(&f), &c);
            by_entry.add(&entries(&f, &schema), &c);
            by_log.add(
                &naive(&schema, &c.units, |v, p| ((v + 1.0) / (p + 1.0)).ln().abs()),
                &c,
            );
            by_abs.add(&naive(&schema, &c.units, |v, p| (v - p).abs()), &c);
            cases += 1;
        }
    }
    println!(
        "## Planted errors: {} counties (sizes {sizes:?} × seeds 1..={seeds}), {} errors ({PER_COUNTY} per county), {} decoys each\n",
        cases, by_line.planted, DECOYS
    );
    println!(
        "| ranking | recall@5 | recall@10 | recall@20 | precision@10 | decoy above error (pairs) |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "{}",
        by_queue.row("review queue as `run`: 校验错误 (held back) first, then 异常提示 entries")
    );
    println!(
        "{}",
        by_entry.row("异常提示 entries (unit × problem), rules not run")
    );
    println!("{}", by_line.row("异常提示 lines (one per finding)"));
    println!("{}", by_log.row("naive |log((cur+1)/(prev+1))|"));
    println!("{}", by_abs.row("naive |cur − prev|"));
    println!("\n| kind | review queue top 10 | entries in top 10 | lines in top 10 | true value suggested (anomaly) | held by a rule error | rule's fix is the true value |\n|---|---|---|---|---|---|---|");
    for (k, (hit, n)) in &by_entry.by_kind {
        let q = by_queue.by_kind.get(k).map_or(0, |x| x.0);
        let l = by_line.by_kind.get(k).map_or(0, |x| x.0);
        let s = suggested.get(k).map_or(0, |x| x.0);
        let (r, rf) = by_rule.get(k).copied().unwrap_or_default();
        println!("| {k} | {q}/{n} | {hit}/{n} | {l}/{n} | {s}/{n} | {r}/{n} | {rf}/{r} |");
    }
    false_alarms(&schema, seeds, big);
}

/// The units `run` would hold back, by code: those with a failing error-level rule.
fn held(
    schema: &Schema,
    units: &[UnitRow],
    villages: &Villages,
) -> BTreeMap<String, Vec<rules::RuleError>> {
    units
        .iter()
        .filter_map(|u| {
            let e = rules::errors(schema, u, villages.get(&u.code).copied());
            (!e.is_empty()).then(|| (u.code.clone(), e))
        })
        .collect()
}

/// The reviewer's queue as `run` builds it: the held-back units (校验问题, 退回) first, then
/// the 异常提示 entries of the units it aggregates.
fn queue(schema: &Schema, c: &Case, held: &BTreeMap<String, Vec<rules::RuleError>>) -> Ranking {
    let kept: Vec<UnitRow> = c
        .units
        .iter()
        .filter(|u| !held.contains_key(&u.code))
        .cloned()
        .collect();
    let f = detect(schema, kept, c.notes.clone());
    let mut q: Ranking = held
        .iter()
        .map(|(u, e)| {
            let cells = e.iter().filter_map(|x| x.fix.as_ref().map(|f| f.0.clone()));
            (Some(u.clone()), cells.collect())
        })
        .collect();
    q.extend(entries(&f, schema));
    q
}

/// Whether one of the unit's failing rules proposes the planted cell's true value.
fn fixes_truth(errors: &[rules::RuleError], p: &Plant) -> bool {
    errors
        .iter()
        .filter_map(|e| e.fix.as_ref())
        .any(|(code, v)| {
            p.cells
                .iter()
                .zip(&p.truth)
                .any(|(c, t)| c == code && (v - t).abs() < 0.5)
        })
}

/// Open warnings and errors of a clean county, by code.
fn warnings(f: &[Finding]) -> Vec<&Finding> {
    f.iter()
        .filter(|f| f.severity <= Severity::Warning && !f.status.is_settled())
        .collect()
}

fn false_alarms(schema: &Schema, seeds: u64, big: usize) {
    println!("\n## False alarms (clean counties)\n");
    println!("| county | units | warnings | lines | entries | warnings by code |\n|---|---|---|---|---|---|");
    let (mut w_sum, mut n, mut held_sum) = (0, 0, 0);
    for seed in 1..=seeds.max(10) {
        let opts = SampleOptions {
            units: Some(48),
            seed,
            clean: true,
            ..SampleOptions::default()
        };
        let (units, notes, villages) = unit_rows(schema, &opts);
        let nu = units.len();
        held_sum += held(schema, &units, &villages).len();
        let f = detect(schema, units, notes);
        let w = warnings(&f);
        if std::env::var_os("RANK_EVAL_DEBUG").is_some() {
            for x in &w {
                eprintln!(
                    "clean48 seed {seed}: {} {:?} {:?} {} | {:?}",
                    x.code, x.unit, x.indicator, x.message, x.suggestion
                );
            }
        }
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        for x in &w {
            *by.entry(x.code.to_string()).or_default() += 1;
        }
        w_sum += w.len();
        n += 1;
        println!(
            "| 48 seed {seed} | {nu} | {} | {} | {} | {by:?} |",
            w.len(),
            f.len(),
            anomaly::entries(&f, schema).len()
        );
    }
    println!(
        "\nmean warnings per clean 48-unit county: {:.2}; units held back by a rule error: {held_sum}",
        w_sum as f64 / n as f64
    );
    if big == 0 {
        return;
    }
    let opts = SampleOptions {
        units: Some(big),
        clean: true,
        ..SampleOptions::default()
    };
    let (units, notes, villages) = unit_rows(schema, &opts);
    let nu = units.len();
    println!(
        "clean {big}-unit sample: units held back by a rule error: {}",
        held(schema, &units, &villages).len()
    );
    let t = std::time::Instant::now();
    let f = detect(schema, units.clone(), notes.clone());
    let secs = t.elapsed().as_secs_f64();
    timing(schema, &units, &notes);
    let w = warnings(&f);
    if std::env::var_os("RANK_EVAL_DEBUG").is_some() {
        for x in w.iter().take(30) {
            eprintln!(
                "{} {:?} {:?} {:?}->{:?} {:?} {}",
                x.code, x.unit, x.indicator, x.prior, x.value, x.expected, x.message
            );
        }
    }
    let with: BTreeSet<&str> = w.iter().filter_map(|f| f.unit.as_deref()).collect();
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for x in &w {
        *by.entry(x.code.to_string()).or_default() += 1;
    }
    println!(
        "clean {big}-unit sample: {nu} units, {} warnings {by:?}, {} units with a warning ({:.2}%), {} lines; detect {secs:.2} s",
        w.len(),
        with.len(),
        100.0 * with.len() as f64 / nu as f64,
        f.len()
    );
}

/// With `RANK_EVAL_DEBUG` set: what was planted and the first 12 entries of a case.
fn debug(schema: &Schema, f: &[Finding], c: &Case) {
    for p in c.plants.iter().chain(&c.decoys) {
        eprintln!(
            "planted {} {} {:?}",
            p.kind,
            p.unit,
            &p.cells[..p.cells.len().min(4)]
        );
    }
    let es = anomaly::entries(f, schema);
    let worst = c
        .plants
        .iter()
        .filter_map(|p| es.iter().position(|e| e.unit.as_deref() == Some(&p.unit)))
        .max()
        .unwrap_or(0);
    for e in es.iter().take(worst + 1) {
        if !c.decoys.iter().any(|d| e.unit.as_deref() == Some(&d.unit)) {
            continue;
        }
        let l: Vec<String> = e
            .lines
            .iter()
            .map(|&i| {
                let x = &f[i];
                format!(
                    "{}:{}:{}:{:.4}",
                    x.code,
                    x.indicator.as_deref().unwrap_or("-"),
                    x.status.label(),
                    x.score
                )
            })
            .collect();
        eprintln!(
            "  #{} {:?} {:?} {} {:.4} {l:?}",
            e.rank,
            e.unit,
            e.severity,
            e.status.label(),
            e.score
        );
    }
}

/// With `RANK_EVAL_MISSED` set: each planted error outside the first 10 entries, with its
/// cells (typed / true / last year) and its unit's lines.
fn missed(schema: &Schema, f: &[Finding], c: &Case) {
    let es = anomaly::entries(f, schema);
    for p in &c.plants {
        let pos = es.iter().position(|e| e.unit.as_deref() == Some(&p.unit));
        if pos.is_some_and(|x| x < 10) {
            continue;
        }
        let u = c.units.iter().find(|u| u.code == p.unit);
        let cells: Vec<String> = p
            .cells
            .iter()
            .zip(&p.truth)
            .take(3)
            .map(|(cell, t)| {
                let v = u
                    .and_then(|u| u.values.get(cell))
                    .copied()
                    .unwrap_or(f64::NAN);
                let pr = u
                    .and_then(|u| u.prior.get(cell))
                    .copied()
                    .unwrap_or(f64::NAN);
                format!("{cell} {v}/{t}/{pr}")
            })
            .collect();
        eprintln!(
            "missed {} {} at {:?}: {cells:?}",
            p.kind,
            p.unit,
            pos.map(|x| x + 1)
        );
        for x in f.iter().filter(|x| x.unit.as_deref() == Some(&p.unit)) {
            eprintln!(
                "    #{} {} {:?} {:?} {:.5} {}",
                x.entry, x.code, x.severity, x.indicator, x.score, x.message
            );
        }
    }
}

/// Median wall time of `detect` on the big sample, with and without the new HB gates, and of
/// grouping its findings into entries (which `detect` includes): what this work added.
fn timing(schema: &Schema, units: &[UnitRow], notes: &Notes) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let run = |params: &Params| {
        let input = AnomalyInput {
            schema,
            year: Some(2024),
            units: units.to_vec(),
            county: BTreeMap::new(),
            notes: notes.clone(),
        };
        let t = std::time::Instant::now();
        let f = anomaly::detect(&input, params);
        (t.elapsed().as_secs_f64(), f)
    };
    let mut off = params();
    off.gates.single_peer = false;
    off.gates.hb_count_poisson = false;
    let (mut on_t, mut off_t, mut group_t) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..9 {
        let (t, f) = run(&params());
        on_t.push(t);
        off_t.push(run(&off).0);
        let g = std::time::Instant::now();
        let _ = anomaly::entries(&f, schema);
        group_t.push(g.elapsed().as_secs_f64());
    }
    println!(
        "timing (median of 9): detect {:.3} s with the new gates, {:.3} s without; grouping into entries {:.3} s",
        median(on_t),
        median(off_t),
        median(group_t)
    );
}
