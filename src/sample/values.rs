//! One unit's values for one year. Every unit gets a complete, internally consistent vector over
//! the whole catalogue (docs/reference/domain.md §1.2–1.3); the caller keeps only what the unit's kind reports.
//!
//! Consistency is built in, not checked afterwards: subsets are drawn as shares of their total,
//! partitions are split from the total, stocks carry forward from last year (V40, V42, V43, V44),
//! and year-on-year changes of flows are modest (V45), so a clean sample passes every rule.

use std::collections::BTreeMap;

use super::county::Profile;
use super::rng::Rng;
use crate::registry::UnitKind;

/// Indicator code → value (是/否 as 1/0).
pub type Vals = BTreeMap<&'static str, f64>;

/// Every catalogue code the generator fills, in template order.
pub const CODES: &[&str] = &[
    "ZL01", "ZL02", "ZL03", "ZL04", "ZL05", //
    "GF01", "GF02", "GF03", "GF04", "GF05", "GF06", "GF07", //
    "JC01", "JC02", "JC03", "JC04", "JC05", "JC06", "JC07", "JC08", //
    "GW01", "GW02", "GW03", "GW04", "GW05", "GW06", //
    "ZF01", "ZF02", "ZF03", "ZF04", "ZF05", "ZF06", "ZF06A", "ZF06B", "ZF06C", "ZF06D", "ZF06E",
    "ZF06F", "ZF06G", "ZF06H", "ZF06I", "ZF07", "ZF08", "ZF08A", "ZF08B", "ZF08C", "ZF08D",
    "ZF08E", "ZF09", "ZF10", "ZF11", "ZF12", "ZF13", "ZF14", "ZF15", //
    "FY01", "FY02", "FY03", "FY04", "FY05", "FY06", "FY06A", "FY06B", "FY06C", "FY06D", "FY06E",
    "FY06F", "FY06G", "FY06H", "FY06I", "FY06J", "FY07", "FY08", "FY09", "FY10", //
    "YS01", "YS02", "YS03", "YS04", "YS05", "YS06", "YS07", "YS08", "YS09", "YS10", //
    "PF01", "PF02", "PF03", "PF04", "PF05", "PF06", //
    "GK01", "GK02", "GK03", "GK04", //
    "FW01", "FW02", "FW03", "FW04", "FW05", "FW06", "FW07", //
    "JF01", "JF02", "JF03",
];

/// The 罚款 breakdown (ZF06A–I) and the 复议 outcomes (FY06A–J).
pub const ZF06_PARTS: [&str; 9] = [
    "ZF06A", "ZF06B", "ZF06C", "ZF06D", "ZF06E", "ZF06F", "ZF06G", "ZF06H", "ZF06I",
];
pub const FY06_PARTS: [&str; 10] = [
    "FY06A", "FY06B", "FY06C", "FY06D", "FY06E", "FY06F", "FY06G", "FY06H", "FY06I", "FY06J",
];
/// 复议 outcomes that count as direct correction (纠错).
pub const FY06_CORRECTION: [&str; 5] = ["FY06C", "FY06D", "FY06E", "FY06F", "FY06G"];

/// Flows nothing else depends on: raising them by a little keeps every rule true. Used to make a
/// small unit's figures differ from last year's (V46) and to break round hundreds (V71).
pub const FREE: [&str; 25] = [
    "PF02", "PF03", "PF04", "GK01", "GW03", "GW04", "ZL03", "PF01", "JF01", "FW05", "ZF04", "PF05",
    "ZL02", "GF03", "JC08", "ZF09", "GK02", "ZF11", "ZF13", "JC07", "ZF01", "ZF08A", "FW06",
    "JF03", "GW06",
];

/// County totals handed out to units before their values are drawn (cross-unit identities).
#[derive(Debug, Clone, Default)]
pub struct Handed {
    pub gf01: f64,
    pub fy08: f64,
    pub fy09: f64,
    pub ys01: f64,
}

/// The figures the seed reports fix for the county office and the court in one year.
#[derive(Debug, Clone, Copy)]
pub struct SeedYear {
    pub year: i32,
    /// FY02 and its split FY03, FY04, FY05.
    pub fy02: [f64; 4],
    /// FY06A–J (Σ = FY06, always ≤ FY03 so V26 holds whatever FY01 carries).
    pub fy06: [f64; 10],
    /// Court YS08, YS09, YS10.
    pub court: [f64; 3],
    /// GF01 of the county office and of the issuing departments (county total = Σ).
    pub gf01_office: f64,
    pub gf01_depts: [f64; 5],
    /// County Σ YS01 (close to the court's YS08, V52).
    pub ys01_total: f64,
}

/// 2023 and 2024 as the seeds report them: 复议 23 → 70, 规范性文件 17 → 9, court 64/56/5.
pub const SEED_YEARS: [SeedYear; 2] = [
    SeedYear {
        year: 2023,
        fy02: [23.0, 19.0, 1.0, 3.0],
        fy06: [7.0, 2.0, 1.0, 2.0, 1.0, 0.0, 0.0, 1.0, 3.0, 1.0],
        court: [51.0, 47.0, 6.0],
        gf01_office: 5.0,
        gf01_depts: [4.0, 2.0, 2.0, 2.0, 2.0],
        ys01_total: 47.0,
    },
    SeedYear {
        year: 2024,
        fy02: [70.0, 55.0, 4.0, 11.0],
        fy06: [19.0, 6.0, 3.0, 5.0, 2.0, 1.0, 0.0, 4.0, 10.0, 2.0],
        court: [64.0, 56.0, 5.0],
        gf01_office: 3.0,
        gf01_depts: [2.0, 1.0, 1.0, 1.0, 1.0],
        ys01_total: 60.0,
    },
];

pub fn seed_year(year: i32) -> Option<&'static SeedYear> {
    SEED_YEARS.iter().find(|s| s.year == year)
}

/// The explanation the county office writes next to its FY02 (the +204% of the seed).
pub const FY02_NOTE: &str = "新修订行政复议法施行，复议渠道畅通，收案量大幅增长";

/// Draws one unit-year, writing into a fresh vector.
struct Gen<'a> {
    rng: Rng,
    prev: Option<&'a Vals>,
    v: Vals,
}

impl Gen<'_> {
    fn prev(&self, code: &str) -> Option<f64> {
        self.prev.and_then(|p| p.get(code).copied())
    }

    fn get(&self, code: &str) -> f64 {
        self.v.get(code).copied().unwrap_or(0.0)
    }

    fn set(&mut self, code: &'static str, value: f64) -> f64 {
        self.v.insert(code, value);
        value
    }

    /// A flow: `base` in the first year, afterwards last year's value with a modest change.
    fn flow(&mut self, code: &'static str, base: f64) -> f64 {
        let v = match self.prev(code) {
            None => base.max(0.0).round(),
            Some(p) if p < 10.0 => (p + self.rng.int(-1, 2) as f64).max(0.0),
            Some(p) => (p * self.rng.range(0.88, 1.18)).round(),
        };
        let v = unround(&mut self.rng, v);
        self.set(code, v)
    }

    /// A share of a total, rounded, never above the total.
    fn share(&mut self, code: &'static str, total: f64, lo: f64, hi: f64) -> f64 {
        let v = (total * self.rng.range(lo, hi)).round().clamp(0.0, total);
        self.set(code, v)
    }

    /// A yes/no answer that, once 是, stays 是.
    fn yes(&mut self, code: &'static str, p_yes: f64) -> f64 {
        let v = match self.prev(code) {
            Some(p) if p >= 1.0 => 1.0,
            _ => f64::from(u8::from(self.rng.chance(p_yes))),
        };
        self.set(code, v)
    }
}

/// Moves a value off a round hundred (V71 heaping).
pub fn unround(rng: &mut Rng, v: f64) -> f64 {
    if v >= 100.0 && v % 100.0 == 0.0 {
        v + rng.int(1, 9) as f64
    } else {
        v
    }
}

/// Splits `total` over `shares` by largest remainder (exact; ties go to the earlier part).
pub fn split(total: f64, shares: &[f64]) -> Vec<f64> {
    let sum: f64 = shares.iter().sum();
    if total <= 0.0 || sum <= 0.0 {
        return vec![0.0; shares.len()];
    }
    let exact: Vec<f64> = shares.iter().map(|s| total * s / sum).collect();
    let mut out: Vec<f64> = exact.iter().map(|e| e.floor()).collect();
    let mut left = (total - out.iter().sum::<f64>()).round() as usize;
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - out[a];
        let fb = exact[b] - out[b];
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        if shares[i] > 0.0 {
            out[i] += 1.0;
            left -= 1;
        }
    }
    out
}

/// Generates one unit-year. `prev` is last year's vector (for a merged unit: the weighted sum of
/// its predecessors'), `handed` the county totals allotted to it.
pub fn unit_year(
    rng: Rng,
    prof: &Profile,
    year: i32,
    prev: Option<&Vals>,
    handed: &Handed,
) -> Vals {
    let mut g = Gen {
        rng,
        prev,
        v: Vals::new(),
    };
    for code in CODES {
        g.v.insert(*code, 0.0);
    }
    leadership(&mut g, prof);
    documents(&mut g, prof, handed);
    decisions(&mut g, prof);
    counsel(&mut g, prof);
    enforcement(&mut g, prof);
    review(&mut g, prof, year, handed);
    litigation(&mut g, prof, year, handed);
    publicity(&mut g, prof);
    openness_and_service(&mut g, prof);
    dehundred(&mut g.v);
    g.v
}

/// Values that may go down by one without breaking a rule (each is a subset of another value).
const DOWN_SAFE: [&str; 9] = [
    "ZF05", "ZF12", "FW07", "JF02", "GK03", "ZF02", "YS07", "ZF08E", "ZF10",
];

fn is_round(v: f64) -> bool {
    v >= 100.0 && v % 100.0 == 0.0
}

/// Moves derived values off round hundreds (V71) where that keeps every identity: free flows up,
/// subsets down, and within a partition one unit moves to a neighbouring part.
fn dehundred(v: &mut Vals) {
    let codes: Vec<&'static str> = v.keys().copied().collect();
    for code in codes {
        if !v.get(code).copied().is_some_and(is_round) {
            continue;
        }
        let neighbour = if code == "ZF06A" { Some("ZF06B") } else { None };
        if FREE.contains(&code) {
            add(v, code, 1.0);
        } else if DOWN_SAFE.contains(&code) {
            add(v, code, -1.0);
        } else if ZF06_PARTS.contains(&code) {
            add(v, code, -1.0);
            add(v, neighbour.unwrap_or("ZF06A"), 1.0);
        } else if code == "ZF08B" || code == "ZF08C" {
            add(v, code, -1.0);
            clamp_licences(v);
        }
    }
}

fn add(v: &mut Vals, code: &'static str, d: f64) {
    if let Some(x) = v.get_mut(code) {
        *x = (*x + d).max(0.0);
    }
}

/// Re-establishes C ≤ B, C + D ≤ B, E ≤ C and V19 after ZF08B or ZF08C moved down.
fn clamp_licences(v: &mut Vals) {
    let get = |v: &Vals, c: &str| v.get(c).copied().unwrap_or(0.0);
    let b = get(v, "ZF08B");
    let c = get(v, "ZF08C").min(b);
    let d = get(v, "ZF08D").min(b - c);
    let e = get(v, "ZF08E").min(c);
    let bound = get(v, "ZF06") + c + get(v, "ZF09");
    let zf10 = get(v, "ZF10").min(bound);
    for (k, x) in [("ZF08C", c), ("ZF08D", d), ("ZF08E", e), ("ZF10", zf10)] {
        v.insert(k, x);
    }
}

fn by_kind(kind: UnitKind, t: f64, d: f64, c: f64, x: f64) -> f64 {
    match kind {
        UnitKind::Township => t,
        UnitKind::Department => d,
        UnitKind::CountyOffice => c,
        UnitKind::External => x,
        // The sample county has no roll-up units; a level's office fills like a county office.
        UnitKind::CityOffice | UnitKind::ProvinceOffice => c,
        UnitKind::County | UnitKind::City => 0.0,
    }
}

/// 一 组织领导与学法. ZL01 ≥ 1 (V60), ZL02 ≥ 4 (V61).
fn leadership(g: &mut Gen, p: &Profile) {
    let k = p.kind;
    let b = g.rng.range(2.0, 5.0);
    let v = g.flow("ZL01", by_kind(k, b, b, 5.0, 2.0));
    g.set("ZL01", v.max(1.0));
    let b = g.rng.range(4.0, 9.0);
    let v = g.flow("ZL02", by_kind(k, b, b, 8.0, 4.0));
    g.set("ZL02", v.max(4.0));
    let b = g.rng.range(2.0, 8.0) * p.size;
    g.flow("ZL03", by_kind(k, b, b, 12.0, 3.0));
    g.set("ZL04", 1.0);
    if k == UnitKind::CountyOffice {
        let v = g.flow("ZL05", 4.0);
        g.set("ZL05", v.clamp(3.0, 6.0));
    }
}

/// 二 规范性文件. GF02 = GF04 = GF01 (V62, V63), GF03 ≥ GF02 (V11), GF06 ≤ min(GF05, GF01) so the
/// stock GF07 never falls, and GF07 follows V40 exactly.
fn documents(g: &mut Gen, p: &Profile, handed: &Handed) {
    let gf01 = g.set("GF01", handed.gf01);
    g.set("GF02", gf01);
    g.set("GF04", gf01);
    let extra = if gf01 > 0.0 || g.rng.chance(0.2) {
        g.rng.int(0, 2)
    } else {
        0
    } as f64;
    g.set("GF03", gf01 + extra);
    let b = by_kind(
        p.kind,
        g.rng.range(0.0, 2.0),
        g.rng.range(0.0, 4.0),
        12.0,
        0.0,
    );
    let gf05 = g.flow("GF05", b);
    let gf06 = (g.rng.int(0, 2) as f64).min(gf05).min(gf01);
    g.set("GF06", gf06);
    let stock = match g.prev("GF07") {
        Some(prev) => prev,
        None => {
            let issuer = gf01 > 0.0;
            let d = if issuer {
                g.rng.range(8.0, 20.0)
            } else {
                g.rng.range(1.0, 8.0)
            };
            by_kind(p.kind, g.rng.range(0.0, 3.0), d, 48.0, 0.0).round()
        }
    };
    g.set("GF07", stock + gf01 - gf06);
}

/// 三 重大行政决策. JC02 = JC06 = JC01 (V64), JC03–05 ≤ JC01 (V14), JC07 ≥ GF02 + JC02 (V15).
fn decisions(g: &mut Gen, p: &Profile) {
    let b = by_kind(
        p.kind,
        g.rng.range(0.0, 3.0),
        g.rng.range(0.0, 4.0),
        13.0,
        0.0,
    );
    let jc01 = g.flow("JC01", b);
    g.set("JC02", jc01);
    g.set("JC06", jc01);
    let jc03 = (jc01 - g.rng.int(0, 1) as f64).max(0.0);
    g.set("JC03", jc03);
    g.share("JC04", jc01, 0.3, 0.8);
    g.share("JC05", jc01, 0.4, 0.9);
    let b = by_kind(
        p.kind,
        g.rng.range(3.0, 12.0),
        g.rng.range(5.0, 30.0),
        213.0,
        0.0,
    );
    let jc07 = g.flow("JC07", b);
    let floor = g.get("GF02") + jc01;
    g.set("JC07", jc07.max(floor));
    let b = by_kind(
        p.kind,
        g.rng.range(0.0, 5.0),
        g.rng.range(2.0, 15.0),
        43.0,
        0.0,
    );
    g.flow("JC08", b);
}

/// 四 法律顾问. GW01 = 否 ⇒ GW02 = 0 (V65); GW05 ≤ 村数 (V16).
fn counsel(g: &mut Gen, p: &Profile) {
    let k = p.kind;
    let gw01 = g.yes("GW01", by_kind(k, 0.9, 1.0, 1.0, 1.0));
    if gw01 >= 1.0 {
        let b = by_kind(k, g.rng.range(0.0, 1.5), g.rng.range(0.0, 2.5), 4.0, 1.0);
        g.flow("GW02", b);
    }
    let b = by_kind(k, g.rng.range(5.0, 25.0), g.rng.range(5.0, 40.0), 79.0, 2.0);
    g.flow("GW03", b);
    let b = by_kind(k, g.rng.range(1.0, 10.0), g.rng.range(2.0, 20.0), 31.0, 1.0);
    g.flow("GW04", b);
    if k == UnitKind::Township {
        g.set("GW05", f64::from(p.villages));
    }
    let b = by_kind(k, g.rng.range(0.0, 2.0), g.rng.range(0.0, 4.0), 8.0, 0.0);
    g.flow("GW06", b);
}

/// 五 行政执法 (townships and departments) and the county office's 执法监督 figures.
fn enforcement(g: &mut Gen, p: &Profile) {
    match p.kind {
        UnitKind::CountyOffice => {
            let zf11 = g.flow("ZF11", 612.0);
            g.share("ZF12", zf11, 0.9, 0.94);
            let zf13 = g.flow("ZF13", 83.0);
            g.set("ZF14", zf13);
        }
        UnitKind::External
        | UnitKind::County
        | UnitKind::City
        | UnitKind::CityOffice
        | UnitKind::ProvinceOffice => {}
        UnitKind::Township | UnitKind::Department => {
            officers(g, p);
            penalties(g, p);
            licences(g, p);
            let zf06 = g.get("ZF06");
            let b = zf06 * g.rng.range(0.02, 0.08);
            let zf09 = g.flow("ZF09", b);
            let b = zf06 * g.rng.range(0.03, 0.1);
            let zf10 = g.flow("ZF10", b);
            g.set("ZF10", zf10.min(zf06 + g.get("ZF08C") + zf09));
            if p.kind == UnitKind::Department {
                let b = g.rng.range(5.0, 25.0);
                let zf11 = g.flow("ZF11", b);
                g.share("ZF12", zf11, 0.85, 0.95);
                let b = g.rng.range(0.0, 6.0);
                let zf13 = g.flow("ZF13", b);
                let zf14 = (zf13 - g.rng.int(0, 1) as f64).max(0.0);
                g.set("ZF14", zf14);
            } else {
                let b = g.rng.range(40.0, 120.0);
                let zf15 = match g.prev("ZF15") {
                    Some(prev) => prev + g.rng.int(0, 4) as f64,
                    None => b.round(),
                };
                g.set("ZF15", zf15);
            }
        }
    }
}

/// ZF01–ZF05. ZF02 ≤ ZF01 (V17) and moves by at most 30 % (V41); ZF05 ≤ ZF04 (V18).
fn officers(g: &mut Gen, p: &Profile) {
    let zf01 = match g.prev("ZF01") {
        Some(prev) => (prev * g.rng.range(0.96, 1.07)).round().max(3.0),
        None => p.officers.round().max(3.0),
    };
    let zf01 = {
        let u = unround(&mut g.rng, zf01);
        g.set("ZF01", u)
    };
    let mut zf02 = (zf01 * g.rng.range(0.93, 1.0)).floor();
    if let Some(prev) = g.prev("ZF02") {
        if prev > 0.0 && ((zf02 - prev) / prev).abs() > 0.3 {
            zf02 = prev.min(zf01);
        }
    }
    g.set("ZF02", zf02);
    let b = g.rng.range(0.0, 0.05) * zf01;
    let zf03 = g.flow("ZF03", b);
    g.set("ZF03", zf03.min(3.0));
    let ratio = g.rng.range(3.0, 6.0);
    g.flow("ZF04", zf01 * ratio);
    let zf04 = g.get("ZF04");
    g.share("ZF05", zf04, 0.3, 0.6);
}

/// Penalty-kind mix: police use 警告 and 行政拘留, others mostly 罚款.
fn penalty_mix(p: &Profile) -> [f64; 9] {
    if p.police {
        [0.25, 0.45, 0.04, 0.01, 0.005, 0.0, 0.01, 0.22, 0.015]
    } else if p.kind == UnitKind::Township {
        [0.35, 0.6, 0.05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    } else {
        [0.2, 0.68, 0.06, 0.01, 0.005, 0.01, 0.02, 0.0, 0.015]
    }
}

/// ZF06 with its exact breakdown (V20), ZF07 in 元 with 10 ≤ 元/宗 ≤ 1,000,000 (V21, V70).
fn penalties(g: &mut Gen, p: &Profile) {
    let b = p.penalties * g.rng.range(0.85, 1.15);
    let zf06 = g.flow("ZF06", b);
    let mix: Vec<f64> = penalty_mix(p)
        .iter()
        .map(|s| s * g.rng.range(0.8, 1.2))
        .collect();
    for (code, v) in ZF06_PARTS.iter().zip(split(zf06, &mix)) {
        g.set(code, v);
    }
    let amount = if zf06 > 0.0 {
        let per_case = p.per_case.max(100.0) * g.rng.range(0.85, 1.15);
        let yuan = (zf06 * per_case).round() + g.rng.int(0, 99) as f64;
        unround(&mut g.rng, yuan)
    } else {
        0.0
    };
    g.set("ZF07", amount);
}

/// ZF08A–E: B ≤ A (V22), C + D ≤ B (V23), E ≤ C.
fn licences(g: &mut Gen, p: &Profile) {
    let b = p.licences * g.rng.range(0.85, 1.15);
    let a = g.flow("ZF08A", b);
    g.set("ZF08", a);
    let b_ = (a - (a * g.rng.range(0.0, 0.02)).round()).max(0.0);
    g.set("ZF08B", b_);
    let c = g.share("ZF08C", b_, 0.9, 0.98);
    let d = ((b_ - c) * g.rng.range(0.2, 0.6)).round();
    let d = d.min(super::alloc::v45_cap(g.prev("ZF08D")));
    g.set("ZF08D", d);
    let e = (g.rng.int(0, 1) as f64).min(c);
    g.set("ZF08E", e);
}

/// 六 行政复议: the county office is the single 复议机关; FY01 carries over (V42), FY02 splits
/// exactly (V25), FY06 ≤ FY01 + FY03 (V26) with an exact breakdown (V27). Townships and
/// departments only report being the respondent (FY08/FY09, handed out so Σ = FY03, V50/V51).
fn review(g: &mut Gen, p: &Profile, year: i32, handed: &Handed) {
    if matches!(p.kind, UnitKind::Township | UnitKind::Department) {
        g.set("FY08", handed.fy08);
        g.set("FY09", handed.fy09);
        return;
    }
    if p.kind != UnitKind::CountyOffice {
        return;
    }
    let fy01 = match (g.prev("FY01"), g.prev("FY03"), g.prev("FY06")) {
        (Some(a), Some(b), Some(c)) => a + b - c,
        _ => 3.0,
    };
    g.set("FY01", fy01);
    let (split02, parts) = match seed_year(year) {
        Some(s) => (s.fy02, s.fy06.to_vec()),
        None => generic_review(g, fy01),
    };
    for (code, v) in ["FY02", "FY03", "FY04", "FY05"].iter().zip(split02) {
        g.set(code, v);
    }
    g.set("FY06", parts.iter().sum());
    for (code, v) in FY06_PARTS.iter().zip(parts) {
        g.set(code, v);
    }
    let fy07 = g.flow("FY07", 4.0);
    g.set("FY07", fy07.min(9.0));
    g.flow("FY10", 2.0);
}

/// FY02 split and FY06 breakdown for a year the seeds say nothing about.
fn generic_review(g: &mut Gen, fy01: f64) -> ([f64; 4], Vec<f64>) {
    let fy02 = g.flow("FY02", 20.0).max(1.0);
    let fy03 = (fy02 * g.rng.range(0.75, 0.85)).round();
    let fy04 = (fy02 * g.rng.range(0.03, 0.08)).round().min(fy02 - fy03);
    let fy05 = fy02 - fy03 - fy04;
    let fy06 = (fy03 * g.rng.range(0.88, 1.0)).round().min(fy01 + fy03);
    let mix = [0.38, 0.12, 0.05, 0.1, 0.04, 0.02, 0.0, 0.07, 0.17, 0.05];
    ([fy02, fy03, fy04, fy05], split(fy06, &mix))
}

/// 七 行政应诉: YS02 carries over (V43), YS03 ≤ YS01 + YS02 (V28), YS04 + YS05 ≤ YS03 (V29),
/// YS06 ≤ YS01 + YS02 (V30), YS07 ≤ YS06 (V31). The court reports the county figures YS08–10.
fn litigation(g: &mut Gen, p: &Profile, year: i32, handed: &Handed) {
    if p.kind == UnitKind::External {
        let court = match seed_year(year) {
            Some(s) => s.court,
            None => {
                let ys08 = g.flow("YS08", 55.0).max(1.0);
                let ys09 = (ys08 * g.rng.range(0.82, 0.92)).round();
                let ys10 = (ys09 * g.rng.range(0.06, 0.12)).round();
                [ys08, ys09, ys10]
            }
        };
        for (code, v) in ["YS08", "YS09", "YS10"].iter().zip(court) {
            g.set(code, v);
        }
        return;
    }
    let ys01 = g.set("YS01", handed.ys01);
    let ys02 = match (g.prev("YS01"), g.prev("YS02"), g.prev("YS03")) {
        (Some(a), Some(b), Some(c)) => a + b - c,
        _ if ys01 > 0.0 => g.rng.int(0, 1) as f64,
        _ => 0.0,
    };
    g.set("YS02", ys02);
    let open = ys01 + ys02;
    let pending = (g.rng.int(0, 2) as f64).min(ys01);
    let ys03 = g.set("YS03", open - pending);
    let lost_p = if p.kind == UnitKind::CountyOffice {
        0.15
    } else {
        0.08
    };
    let ys04 = (ys03 * lost_p * g.rng.range(0.5, 1.5)).round().min(ys03);
    g.set("YS04", ys04);
    let ys05 = (ys03 * g.rng.range(0.0, 0.2)).round().min(ys03 - ys04);
    g.set("YS05", ys05);
    let ys06 = (open - g.rng.int(0, 1) as f64).max(0.0);
    g.set("YS06", ys06);
    let ys07 = (ys06 - g.rng.int(0, 1) as f64).max(0.0);
    g.set("YS07", ys07);
}

/// 八 普法: PF02/PF01 and PF03/PF01 stay within a band (V72); PF05 and PF06 are cumulative (V44)
/// and PF06 ≤ 村数 (V16).
fn publicity(g: &mut Gen, p: &Profile) {
    let k = p.kind;
    let b = by_kind(
        k,
        g.rng.range(8.0, 30.0) * p.size,
        g.rng.range(5.0, 25.0),
        48.0,
        5.0,
    );
    let pf01 = g.flow("PF01", b);
    let b = pf01 * g.rng.range(40.0, 90.0);
    g.flow("PF02", b);
    let b = pf01 * g.rng.range(60.0, 150.0);
    g.flow("PF03", b);
    let b = by_kind(
        k,
        g.rng.range(30.0, 150.0),
        g.rng.range(30.0, 200.0),
        420.0,
        15.0,
    );
    g.flow("PF04", b);
    if k == UnitKind::Township {
        let villages = f64::from(p.villages);
        let pf05 = match g.prev("PF05") {
            Some(prev) => prev + g.rng.int(2, 12) as f64,
            None => (villages * g.rng.range(4.0, 8.0)).round(),
        };
        {
            let u = unround(&mut g.rng, pf05);
            g.set("PF05", u)
        };
        let pf06 = match g.prev("PF06") {
            Some(prev) => prev + f64::from(u8::from(g.rng.chance(0.15))),
            None => g.rng.int(0, 2) as f64,
        };
        g.set("PF06", pf06.min(villages));
    }
}

/// 九 政务公开, 十 政务服务, 十一 矛盾纠纷化解. GK03 ≤ GK02, FW02–04 ≤ FW01 (stocks that never
/// fall), FW07 ≤ FW06, JF02 ≤ JF01 (V32).
fn openness_and_service(g: &mut Gen, p: &Profile) {
    let k = p.kind;
    let b = by_kind(
        k,
        g.rng.range(60.0, 180.0),
        g.rng.range(40.0, 200.0),
        760.0,
        20.0,
    );
    g.flow("GK01", b);
    let b = by_kind(k, g.rng.range(0.0, 5.0), g.rng.range(0.0, 12.0), 28.0, 0.0);
    let gk02 = g.flow("GK02", b);
    let late = f64::from(u8::from(g.rng.chance(0.1)));
    g.set("GK03", (gk02 - late).max(0.0));
    g.set("GK04", 1.0);
    if k == UnitKind::CountyOffice {
        let fw01 = match g.prev("FW01") {
            Some(prev) => prev + g.rng.int(15, 60) as f64,
            None => 2463.0,
        };
        let fw01 = {
            let u = unround(&mut g.rng, fw01);
            g.set("FW01", u)
        };
        g.set("FW02", fw01);
        g.set("FW03", fw01);
        let fw04 = (fw01 * 0.985).round().max(g.prev("FW04").unwrap_or(0.0));
        g.set("FW04", fw04.min(fw01));
        let fw06 = g.flow("FW06", 15_870.0);
        g.share("FW07", fw06, 0.97, 0.995);
        let jf01 = g.flow("JF01", 34.0);
        g.share("JF02", jf01, 0.88, 0.97);
        g.flow("JF03", 9.0);
    }
    if k == UnitKind::CountyOffice {
        g.flow("FW05", 1_642_318.0);
    }
    if k == UnitKind::Township {
        let b = g.rng.range(8_000.0, 40_000.0) * p.size;
        g.flow("FW05", b);
        let b = g.rng.range(30.0, 150.0) * p.size;
        let jf01 = g.flow("JF01", b);
        g.share("JF02", jf01, 0.9, 0.98);
    }
}

/// Share of `codes` whose value equals last year's (V46 copy-forward).
pub fn identical_share(cur: &Vals, prev: &Vals, codes: &[&'static str]) -> f64 {
    if codes.is_empty() {
        return 0.0;
    }
    let same = codes
        .iter()
        .filter(|c| cur.get(*c).is_some() && cur.get(*c) == prev.get(*c))
        .count();
    same as f64 / codes.len() as f64
}

/// Nudges free flows until at most `max_share` of the reported values repeat last year's.
pub fn avoid_copy(
    rng: &mut Rng,
    cur: &mut Vals,
    prev: &Vals,
    reported: &[&'static str],
    max_share: f64,
) {
    for code in FREE {
        if identical_share(cur, prev, reported) <= max_share {
            return;
        }
        if !reported.contains(&code) || cur.get(code) != prev.get(code) {
            continue;
        }
        if let Some(v) = cur.get_mut(code) {
            let bumped = *v + rng.int(1, 3) as f64;
            *v = unround(rng, bumped);
        }
    }
}
