//! A deterministic, realistic sample county: registry plus filled submissions for several years,
//! carrying the seed figures, with optional planted defects (documented in sample-data/README.md).
//!
//! [`generate`] builds everything in memory ([`SampleCounty`]); [`write`] turns it into
//! `DIR/units.csv` and `DIR/<year>/*.xlsx`. Years are generated in order so the cross-period
//! identities (V40, V42, V43) hold; every random draw comes from a stream keyed by the seed, the
//! unit code and the year, so the same options always give the same bytes.

mod alloc;
mod county;
mod defects;
pub mod edition;
mod rng;
mod values;
mod write;

use std::collections::BTreeMap;

pub use county::COUNTY_CODE;
pub use defects::{PlantedDefect, REAL_CHANGE_NOTE};
pub use values::{FY02_NOTE, SEED_YEARS};
pub use write::{fill, write, write_with};

use crate::registry::{Registry, Unit, UnitKind};
use crate::schema::{Schema, ValueType};
use alloc::{allocate, v45_cap, Candidate};
use county::{County, Profile, ISSUER_DEPTS};
use defects::Roles;
use rng::Rng;
use values::{Handed, Vals};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// Registry rows; `None` = the default county (16 township rows incl. a merger, 30
    /// departments, the county office, the court).
    pub units: Option<usize>,
    /// Years, generated in ascending order.
    pub years: Vec<i32>,
    pub seed: u64,
    /// No planted defects.
    pub clean: bool,
    /// The county's 6-digit division code ([`COUNTY_CODE`] by default): unit codes start with
    /// it, and another code gives another county (the draws are keyed by unit code).
    pub county: String,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            units: None,
            years: vec![2023, 2024],
            seed: 20241231,
            clean: false,
            county: COUNTY_CODE.to_string(),
        }
    }
}

impl SampleOptions {
    /// The years, sorted and deduplicated.
    pub fn sorted_years(&self) -> Vec<i32> {
        let mut y = self.years.clone();
        y.sort_unstable();
        y.dedup();
        y
    }
}

/// One submission file as the unit filled it (or, for a unit that did not report, no file).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitData {
    pub code: String,
    /// `None` = the unit sent nothing (a planted missing unit).
    pub file_name: Option<String>,
    /// Indicator code → the value the unit means (是/否 as 1/0), for every indicator its kind
    /// reports. Planted text cells keep their intended number here; see `typed`.
    pub values: BTreeMap<String, f64>,
    /// Indicator code → text typed instead of the number ("xx", "3200余", "２３").
    pub typed: BTreeMap<String, String>,
    /// Indicator code → 说明.
    pub notes: BTreeMap<String, String>,
    /// Indicator code → 上年数 shown in the template (empty in the first year).
    pub prior: BTreeMap<String, f64>,
}

/// The generated county.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleCounty {
    pub registry: Registry,
    /// Year → files, in registry order (a planted resubmission follows its original).
    pub years: BTreeMap<i32, Vec<UnitData>>,
    /// What was planted (empty with `clean`).
    pub defects: Vec<PlantedDefect>,
}

/// The defects [`generate`] plants for these options.
pub fn planted_defects(schema: &Schema, opts: &SampleOptions) -> Vec<PlantedDefect> {
    generate(schema, opts).defects
}

/// Per kind: the catalogue codes the schema asks that kind for, and the schema indicators the
/// generator does not know (filled with a neutral value).
struct Reported {
    known: BTreeMap<UnitKind, Vec<&'static str>>,
    unknown: BTreeMap<UnitKind, Vec<(String, ValueType)>>,
}

impl Reported {
    fn new(schema: &Schema) -> Reported {
        let mut known = BTreeMap::new();
        let mut unknown = BTreeMap::new();
        for kind in UnitKind::BASE {
            let mut k = Vec::new();
            let mut u = Vec::new();
            for ind in schema.indicators.iter().filter(|i| i.reported_by(kind)) {
                match values::CODES.iter().find(|c| **c == ind.code) {
                    Some(c) => k.push(*c),
                    None => u.push((ind.code.clone(), ind.value_type)),
                }
            }
            known.insert(kind, k);
            unknown.insert(kind, u);
        }
        Reported { known, unknown }
    }

    fn known(&self, kind: UnitKind) -> &[&'static str] {
        self.known.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The reported part of a full vector, with neutral values for unknown indicators.
    fn filter(&self, kind: UnitKind, full: &Vals) -> BTreeMap<String, f64> {
        let mut out: BTreeMap<String, f64> = self
            .known(kind)
            .iter()
            .map(|c| (c.to_string(), full.get(c).copied().unwrap_or(0.0)))
            .collect();
        for (code, vt) in self.unknown.get(&kind).into_iter().flatten() {
            let v = if *vt == ValueType::YesNo { 1.0 } else { 0.0 };
            out.insert(code.clone(), v);
        }
        out
    }
}

/// Generates the county for `opts` against `schema` (which decides who reports what).
pub fn generate(schema: &Schema, opts: &SampleOptions) -> SampleCounty {
    let years = opts.sorted_years();
    let merge_year = years.last().copied().filter(|_| years.len() >= 2);
    let county = county::build(opts.seed, opts.units, merge_year, &opts.county);
    let roles = Roles::choose(&county);
    let reported = Reported::new(schema);
    let mut full: BTreeMap<i32, Vec<Option<Vals>>> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for &year in &years {
        let prev_year = full.get(&(year - 1));
        let prevs = prev_vectors(&county.registry, prev_year);
        let vecs = generate_year(&county, &roles, &reported, opts.seed, year, &prevs);
        let data = to_unit_data(&county, &reported, year, &vecs, &prevs);
        full.insert(year, vecs);
        out.insert(year, data);
    }
    let mut defects = Vec::new();
    if let (false, Some(&last)) = (opts.clean, years.last()) {
        let prev_year = full.contains_key(&(last - 1));
        if let Some(files) = out.get_mut(&last) {
            defects = defects::plant(&county, &roles, last, prev_year, files);
        }
    }
    SampleCounty {
        registry: county.registry,
        years: out,
        defects,
    }
}

/// Last year's vector per unit (registry order); a unit new this year that continues others gets
/// the weighted sum of its predecessors' vectors, as the validator will compute `prev.X`.
fn prev_vectors(reg: &Registry, prev_year: Option<&Vec<Option<Vals>>>) -> Vec<Option<Vals>> {
    let Some(prev) = prev_year else {
        return vec![None; reg.units.len()];
    };
    let index: BTreeMap<&str, usize> = reg
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.code.as_str(), i))
        .collect();
    reg.units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            if let Some(Some(v)) = prev.get(i) {
                return Some(v.clone());
            }
            let mut sum: Option<Vals> = None;
            for (code, w) in &u.predecessors {
                let Some(Some(pv)) = index.get(code.as_str()).and_then(|&j| prev.get(j)) else {
                    continue;
                };
                let acc = sum.get_or_insert_with(Vals::new);
                for (k, v) in pv {
                    *acc.entry(k).or_insert(0.0) += w * v;
                }
            }
            sum
        })
        .collect()
}

/// Full vectors for every unit active in `year` (`None` for inactive ones).
fn generate_year(
    county: &County,
    roles: &Roles,
    reported: &Reported,
    seed: u64,
    year: i32,
    prevs: &[Option<Vals>],
) -> Vec<Option<Vals>> {
    let units = &county.registry.units;
    let mut out: Vec<Option<Vals>> = vec![None; units.len()];
    let active = |i: usize| units.get(i).is_some_and(|u| u.active_in(year));
    let prev = |i: usize| prevs.get(i).and_then(Option::as_ref);
    let draw = |i: usize, handed: &Handed| -> Option<Vals> {
        let unit = units.get(i)?;
        let prof = county.profiles.get(i)?;
        let rng = Rng::new(seed, &unit.code, year);
        let mut v = values::unit_year(rng, prof, year, prev(i), handed);
        if let Some(p) = prev(i) {
            let mut r = Rng::new(seed, &format!("{}#copy", unit.code), year);
            values::avoid_copy(&mut r, &mut v, p, reported.known(unit.kind), 0.6);
        }
        Some(v)
    };
    let by_kind = |k: UnitKind| -> Vec<usize> {
        (0..units.len())
            .filter(|&i| active(i) && units.get(i).is_some_and(|u| u.kind == k))
            .collect()
    };
    // The court first: its YS08 anchors Σ YS01.
    let court = by_kind(UnitKind::External);
    let mut court_ys08 = 0.0;
    for &i in &court {
        out[i] = draw(i, &Handed::default());
        court_ys08 += out[i]
            .as_ref()
            .and_then(|v| v.get("YS08"))
            .copied()
            .unwrap_or(0.0);
    }
    let gf01 = gf01_allocation(county, seed, year, &active, &prev);
    let ys01_total = match values::seed_year(year) {
        Some(s) => s.ys01_total,
        None => (court_ys08 * Rng::new(seed, "YS01", year).range(0.88, 0.96)).round(),
    };
    let ys01 = share_out(
        county, roles, seed, year, "YS01", ys01_total, &active, &prev, None,
    );
    let handed = |i: usize, fy08: f64, fy09: f64| Handed {
        gf01: gf01.get(&i).copied().unwrap_or(0.0),
        fy08,
        fy09,
        ys01: ys01.get(&i).copied().unwrap_or(0.0),
    };
    let office = by_kind(UnitKind::CountyOffice);
    let (mut fy03, mut fy_corr) = (0.0, 0.0);
    for &i in &office {
        out[i] = draw(i, &handed(i, 0.0, 0.0));
        let v = out[i].as_ref();
        fy03 += v.and_then(|v| v.get("FY03")).copied().unwrap_or(0.0);
        fy_corr += values::FY06_CORRECTION
            .iter()
            .map(|c| v.and_then(|v| v.get(c)).copied().unwrap_or(0.0))
            .sum::<f64>();
    }
    let fy08 = share_out(
        county, roles, seed, year, "FY08", fy03, &active, &prev, None,
    );
    let fy09 = share_out(
        county,
        roles,
        seed,
        year,
        "FY09",
        fy_corr,
        &active,
        &prev,
        Some(&fy08),
    );
    for (i, slot) in out.iter_mut().enumerate() {
        let kind = units.get(i).map(|u| u.kind);
        if active(i) && matches!(kind, Some(UnitKind::Township | UnitKind::Department)) {
            let h = handed(
                i,
                fy08.get(&i).copied().unwrap_or(0.0),
                fy09.get(&i).copied().unwrap_or(0.0),
            );
            *slot = draw(i, &h);
        }
    }
    out
}

/// GF01 per unit: the seed years' fixed figures (county office + issuing departments; shares of
/// departments the registry lacks go to the county office), otherwise last year's ± 1.
fn gf01_allocation<'a>(
    county: &County,
    seed: u64,
    year: i32,
    active: &dyn Fn(usize) -> bool,
    prev: &dyn Fn(usize) -> Option<&'a Vals>,
) -> BTreeMap<usize, f64> {
    let units = &county.registry.units;
    let dept = |n: usize| {
        county
            .profiles
            .iter()
            .position(|p| p.kind == UnitKind::Department && p.index == n)
            .filter(|&i| active(i))
    };
    let office = (0..units.len()).find(|&i| {
        active(i)
            && units
                .get(i)
                .is_some_and(|u| u.kind == UnitKind::CountyOffice)
    });
    let mut out = BTreeMap::new();
    let mut rng = Rng::new(seed, "GF01", year);
    let mut office_total = 0.0;
    for (slot, &n) in ISSUER_DEPTS.iter().enumerate() {
        let fixed = values::seed_year(year).and_then(|s| s.gf01_depts.get(slot).copied());
        let v = match (fixed, dept(n)) {
            (Some(v), None) => {
                office_total += v;
                continue;
            }
            (None, None) => continue,
            (Some(v), Some(_)) => v,
            (None, Some(i)) => {
                let p = prev(i).and_then(|p| p.get("GF01")).copied().unwrap_or(2.0);
                (p + rng.int(-1, 1) as f64).max(0.0)
            }
        };
        if let Some(i) = dept(n) {
            out.insert(i, v);
        }
    }
    if let Some(i) = office {
        let own = match values::seed_year(year) {
            Some(s) => s.gf01_office,
            None => {
                let p = prev(i).and_then(|p| p.get("GF01")).copied().unwrap_or(4.0);
                (p + rng.int(-1, 1) as f64).max(1.0)
            }
        };
        out.insert(i, own + office_total);
    }
    out
}

/// How likely a unit is to be a respondent or defendant (county office and big enforcers most).
fn case_weight(unit: &Unit, prof: &Profile) -> f64 {
    const HEAVY: [(&str, f64); 8] = [
        ("公安", 4.0),
        ("市场监督", 3.0),
        ("自然资源", 3.0),
        ("人力资源", 2.5),
        ("住房", 1.5),
        ("城市管理", 1.5),
        ("交通", 1.5),
        ("生态", 1.0),
    ];
    match unit.kind {
        UnitKind::CountyOffice => 8.0,
        // the sample county has no roll-up units
        UnitKind::External
        | UnitKind::County
        | UnitKind::City
        | UnitKind::CityOffice
        | UnitKind::ProvinceOffice => 0.0,
        UnitKind::Township => 0.4 * prof.size,
        UnitKind::Department => HEAVY
            .iter()
            .find(|(k, _)| unit.name.contains(k))
            .map_or(0.3, |(_, w)| *w),
    }
}

/// Hands `total` of `code` out to the active townships and departments (and, for YS01, the
/// county office), skipping units whose planted defect must not disturb cross-unit sums.
#[allow(clippy::too_many_arguments)]
fn share_out<'a>(
    county: &County,
    roles: &Roles,
    seed: u64,
    year: i32,
    code: &str,
    total: f64,
    active: &dyn Fn(usize) -> bool,
    prev: &dyn Fn(usize) -> Option<&'a Vals>,
    bound: Option<&BTreeMap<usize, f64>>,
) -> BTreeMap<usize, f64> {
    let mut rng = Rng::new(seed, code, year);
    let mut items = Vec::new();
    for (i, (unit, prof)) in county
        .registry
        .units
        .iter()
        .zip(&county.profiles)
        .enumerate()
    {
        let eligible = match unit.kind {
            UnitKind::Township | UnitKind::Department => true,
            UnitKind::CountyOffice => code == "YS01",
            UnitKind::External
            | UnitKind::County
            | UnitKind::City
            | UnitKind::CityOffice
            | UnitKind::ProvinceOffice => false,
        };
        if !eligible || !active(i) || roles.quiet(i) {
            continue;
        }
        let hard_cap = match bound {
            Some(b) => b.get(&i).copied().unwrap_or(0.0),
            None => f64::INFINITY,
        };
        let p = prev(i).and_then(|p| p.get(code)).copied();
        items.push(Candidate {
            index: i,
            weight: case_weight(unit, prof) * rng.range(0.5, 1.5),
            soft_cap: v45_cap(p),
            hard_cap,
        });
    }
    allocate(total, &items)
}

/// Converts full vectors to the files units send, with 上年数 and the explanations V45 needs.
fn to_unit_data(
    county: &County,
    reported: &Reported,
    year: i32,
    vecs: &[Option<Vals>],
    prevs: &[Option<Vals>],
) -> Vec<UnitData> {
    let mut out = Vec::new();
    for (i, unit) in county.registry.units.iter().enumerate() {
        let Some(Some(full)) = vecs.get(i) else {
            continue;
        };
        let values = reported.filter(unit.kind, full);
        let prior = match prevs.get(i) {
            Some(Some(p)) => reported.filter(unit.kind, p),
            _ => BTreeMap::new(),
        };
        let notes = explanations(&values, &prior);
        out.push(UnitData {
            code: unit.code.clone(),
            file_name: Some(crate::report::template::file_name(unit, year)),
            values,
            typed: BTreeMap::new(),
            notes,
            prior,
        });
    }
    out
}

/// A 说明 for every value whose change would trip V45 (only the county office's FY02 in the seed
/// years: the real +204 % of the 复议 reform).
fn explanations(
    values: &BTreeMap<String, f64>,
    prior: &BTreeMap<String, f64>,
) -> BTreeMap<String, String> {
    values
        .iter()
        .filter(|(code, v)| {
            prior
                .get(*code)
                .is_some_and(|p| *p > 0.0 && (**v - p).abs() >= 10.0 && (**v - p).abs() / p > 2.0)
        })
        .map(|(code, _)| {
            let note = if code == "FY02" {
                FY02_NOTE
            } else {
                "专项整治行动集中开展，数量较上年明显增加"
            };
            (code.clone(), note.to_string())
        })
        .collect()
}
