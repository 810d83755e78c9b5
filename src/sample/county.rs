//! The sample county's registry: townships (one of them formed by a merger), county departments,
//! the county office and the court, with a size profile per unit that drives its magnitudes.

use super::rng::Rng;
use crate::registry::{Registry, Unit, UnitKind};

/// The county's 6-digit division code (all unit codes start with it).
pub const COUNTY_CODE: &str = "411321";
/// First year every regular unit reports.
const ACTIVE_FROM: i32 = 2015;

/// Regular townships (the first is the county seat, the biggest).
const TOWNSHIPS: [&str; 13] = [
    "城关镇",
    "石桥镇",
    "柳林镇",
    "白河镇",
    "青山镇",
    "马庄乡",
    "王店镇",
    "杨集乡",
    "河东街道",
    "河西街道",
    "新华街道",
    "高庙乡",
    "三里河镇",
];
/// The two townships merged in the last generated year, and their successor.
const MERGED_OLD: [&str; 2] = ["东岗乡", "西岗乡"];
const MERGED_NEW: &str = "双岗镇";

/// County departments: name, penalty decisions per year, 罚没 元 per decision, licences per year,
/// enforcement officers. Order matters: defect roles and the 规范性文件 issuers refer to indices.
const DEPARTMENTS: [(&str, f64, f64, f64, f64); 30] = [
    ("县公安局", 1180.0, 1600.0, 2600.0, 210.0),
    ("县市场监督管理局", 265.0, 4200.0, 3900.0, 62.0),
    ("县自然资源局", 34.0, 5200.0, 210.0, 28.0),
    ("县生态环境局", 41.0, 5800.0, 95.0, 18.0),
    ("县交通运输局", 390.0, 1900.0, 640.0, 45.0),
    ("县农业农村局", 36.0, 2600.0, 180.0, 26.0),
    ("县卫生健康委员会", 48.0, 2300.0, 520.0, 22.0),
    ("县应急管理局", 27.0, 4800.0, 60.0, 16.0),
    ("县城市管理局", 152.0, 1100.0, 310.0, 58.0),
    ("县文化广电和旅游局", 14.0, 2100.0, 75.0, 12.0),
    ("县教育局", 6.0, 1500.0, 120.0, 9.0),
    ("县民政局", 4.0, 1300.0, 45.0, 8.0),
    ("县人力资源和社会保障局", 22.0, 2700.0, 160.0, 14.0),
    ("县住房和城乡建设局", 38.0, 4500.0, 430.0, 24.0),
    ("县水利局", 17.0, 3300.0, 85.0, 13.0),
    ("县林业局", 29.0, 2900.0, 140.0, 17.0),
    ("县发展和改革委员会", 5.0, 3600.0, 90.0, 7.0),
    ("县财政局", 3.0, 2500.0, 20.0, 6.0),
    ("县商务局", 9.0, 2000.0, 65.0, 8.0),
    ("县统计局", 3.0, 1800.0, 0.0, 5.0),
    ("县审计局", 2.0, 3100.0, 0.0, 6.0),
    ("县退役军人事务局", 0.0, 0.0, 10.0, 4.0),
    ("县医疗保障局", 12.0, 3900.0, 30.0, 9.0),
    ("县科学技术和工业信息化局", 7.0, 2400.0, 55.0, 7.0),
    ("县人民防空办公室", 4.0, 2200.0, 25.0, 5.0),
    ("县粮食和物资储备局", 3.0, 1700.0, 30.0, 5.0),
    ("县气象局", 2.0, 1400.0, 15.0, 4.0),
    ("县税务局", 57.0, 1200.0, 0.0, 36.0),
    ("县烟草专卖局", 46.0, 2800.0, 350.0, 15.0),
    ("县信访局", 0.0, 0.0, 0.0, 3.0),
];

/// Department indices (0-based, default registry) that issue 规范性文件 in the seed years.
pub const ISSUER_DEPTS: [usize; 5] = [2, 10, 12, 13, 16];

/// What a unit looks like, beyond its registry row.
#[derive(Debug, Clone)]
pub struct Profile {
    pub kind: UnitKind,
    /// Position among units of its kind in the registry (0-based).
    pub index: usize,
    /// General size factor (townships 0.5–2.5, departments 1).
    pub size: f64,
    pub penalties: f64,
    pub per_case: f64,
    pub licences: f64,
    pub officers: f64,
    pub police: bool,
    pub villages: u32,
}

/// The registry plus a profile per unit, in registry order.
#[derive(Debug, Clone)]
pub struct County {
    pub registry: Registry,
    pub profiles: Vec<Profile>,
}

/// Township and department counts for a requested total number of registry rows.
fn split(units: Option<usize>, merge: bool) -> (usize, usize) {
    match units {
        None => (
            TOWNSHIPS.len() + if merge { 3 } else { 2 },
            DEPARTMENTS.len(),
        ),
        Some(n) => {
            let rest = n.saturating_sub(2).max(2);
            let t = (rest / 3).max(1);
            (t, (rest - t).max(1))
        }
    }
}

/// A name from a base list, made unique with a running number once the list is used up.
fn cycled(list: &[&str], i: usize) -> String {
    let base = list.get(i % list.len()).copied().unwrap_or("单位");
    match i / list.len() {
        0 => base.to_string(),
        k => format!("{base}{}", k + 1),
    }
}

/// Code with a serial zero-padded to the width of the largest serial (so codes sort in order).
fn code(county: &str, letter: char, serial: usize, total: usize) -> String {
    let width = total.to_string().len().max(2);
    format!("{county}-{letter}{serial:0width$}")
}

fn unit(county: &str, code: String, name: String, kind: UnitKind, villages: u32) -> Unit {
    Unit {
        code,
        name,
        kind,
        parent: Some(county.to_string()),
        active_from: ACTIVE_FROM,
        active_to: None,
        predecessors: Vec::new(),
        villages,
    }
}

/// Builds the county. `merge_year` (the last generated year when there are several) is the
/// year the two merged townships are replaced by their successor. `county` is the 6-digit
/// division code every unit code starts with; the units' random streams are keyed by their codes,
/// so another code gives another county.
pub fn build(seed: u64, units: Option<usize>, merge_year: Option<i32>, county: &str) -> County {
    let (t, d) = split(units, merge_year.is_some());
    let merge = merge_year.filter(|_| t >= 4);
    let mut reg = Vec::with_capacity(t + d + 2);
    let mut profiles = Vec::with_capacity(t + d + 2);
    let regular = if merge.is_some() { t - 3 } else { t };
    // Without a merger the two old townships are ordinary ones (default: 15 townships).
    let all_names: Vec<&str> = match merge {
        Some(_) => TOWNSHIPS.to_vec(),
        None => TOWNSHIPS.iter().chain(MERGED_OLD.iter()).copied().collect(),
    };
    for i in 0..t {
        let c = code(county, 'T', i + 1, t);
        let mut rng = Rng::new(seed, &c, 0);
        let (name, mut villages) = if i < regular {
            (cycled(&all_names, i), rng.int(8, 30) as u32)
        } else if i < t - 1 {
            (cycled(&MERGED_OLD, i - regular), rng.int(8, 14) as u32)
        } else {
            (MERGED_NEW.to_string(), 0)
        };
        let size = if i == 0 { 2.5 } else { rng.range(0.5, 1.8) };
        let mut u = unit(county, c, name, UnitKind::Township, villages);
        if let Some(year) = merge {
            if i >= regular && i < t - 1 {
                u.active_to = Some(year - 1);
            } else if i == t - 1 {
                u.active_from = year;
                let olds: Vec<&Unit> = reg.iter().skip(regular).take(2).collect();
                villages = olds.iter().map(|o| o.villages).sum();
                u.villages = villages;
                u.predecessors = olds.iter().map(|o| (o.code.clone(), 1.0)).collect();
            }
        }
        reg.push(u);
        profiles.push(Profile {
            kind: UnitKind::Township,
            index: i,
            size,
            penalties: if rng.chance(0.25) {
                0.0
            } else {
                rng.range(2.0, 12.0) * size
            },
            per_case: rng.range(350.0, 1200.0),
            licences: if rng.chance(0.3) {
                rng.range(5.0, 30.0)
            } else {
                0.0
            },
            officers: (rng.range(6.0, 16.0) * size).max(3.0),
            police: false,
            villages,
        });
    }
    for i in 0..d {
        let c = code(county, 'D', i + 1, d);
        let mut rng = Rng::new(seed, &c, 0);
        let base = DEPARTMENTS.get(i % DEPARTMENTS.len()).copied();
        let (_, pen, per_case, lic, off) = base.unwrap_or(("", 5.0, 2000.0, 20.0, 6.0));
        let jitter = if i < DEPARTMENTS.len() {
            1.0
        } else {
            rng.range(0.6, 1.4)
        };
        let names: Vec<&str> = DEPARTMENTS.iter().map(|x| x.0).collect();
        let name = cycled(&names, i);
        profiles.push(Profile {
            kind: UnitKind::Department,
            index: i,
            size: 1.0,
            penalties: pen * jitter,
            per_case: per_case * rng.range(0.9, 1.1),
            licences: lic * jitter,
            officers: (off * jitter).max(3.0),
            police: name.contains("公安"),
            villages: 0,
        });
        reg.push(unit(county, c, name, UnitKind::Department, 0));
    }
    for (letter, name, kind) in [
        ('C', "县司法局（依法治县办）", UnitKind::CountyOffice),
        ('X', "县人民法院", UnitKind::External),
    ] {
        reg.push(unit(
            county,
            code(county, letter, 1, 1),
            name.to_string(),
            kind,
            0,
        ));
        profiles.push(Profile {
            kind,
            index: 0,
            size: 1.0,
            penalties: 0.0,
            per_case: 0.0,
            licences: 0.0,
            officers: 0.0,
            police: false,
            villages: 0,
        });
    }
    County {
        registry: Registry::new(reg),
        profiles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layout() {
        let c = build(1, None, Some(2024), COUNTY_CODE);
        let kinds = |k| c.registry.units.iter().filter(|u| u.kind == k).count();
        assert_eq!(kinds(UnitKind::Township), 16);
        assert_eq!(kinds(UnitKind::Department), 30);
        assert_eq!(kinds(UnitKind::CountyOffice), 1);
        assert_eq!(kinds(UnitKind::External), 1);
        assert_eq!(
            c.registry
                .active_in(2023)
                .filter(|u| u.kind == UnitKind::Township)
                .count(),
            15
        );
        assert_eq!(
            c.registry
                .active_in(2024)
                .filter(|u| u.kind == UnitKind::Township)
                .count(),
            14
        );
        let merged = c.registry.get("411321-T16").map(|u| u.predecessors.len());
        assert_eq!(merged, Some(2));
        assert_eq!(
            c.registry.get("411321-C01").map(|u| u.name.as_str()),
            Some("县司法局（依法治县办）")
        );
    }

    #[test]
    fn scaled_layout_has_unique_sorted_codes() {
        let c = build(1, Some(1000), Some(2024), COUNTY_CODE);
        assert_eq!(c.registry.units.len(), 1000);
        let codes: Vec<&str> = c.registry.units.iter().map(|u| u.code.as_str()).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 1000);
        let names: std::collections::BTreeSet<&str> =
            c.registry.units.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names.len(), 1000);
    }
}
