//! The unit registry (单位名册): who must report in which year, of what kind, and which units a
//! merged or renamed unit continues (for year-on-year comparison).
//!
//! File format: `units.csv`, UTF-8 (a BOM is tolerated), documented in `docs/registry-format.md`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use crate::Result;

mod csvfmt;

/// The kind of a reporting unit; decides which indicators it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 乡镇/街道
    Township,
    /// 县直部门
    Department,
    /// 县本级 (县司法局/依法治县办, 政务服务管理局): county-office figures
    CountyOffice,
    /// 外部数据来源, e.g. 县法院
    External,
    /// 县级行政区 as a unit of a city roll-up (`huizong rollup`): its values are a county run's
    /// figures.
    County,
    /// 地级市 as a unit of a province roll-up: its values are a city roll-up's figures.
    City,
    /// 市本级 (依法治市办, 市政府复议机构): the city's own workbook in a roll-up, filled like a
    /// county office's.
    CityOffice,
    /// 省本级: the province's own workbook in a roll-up.
    ProvinceOffice,
}

impl UnitKind {
    /// Every kind. Peer groups and subtotals are formed per kind over this list.
    pub const ALL: [UnitKind; 8] = [
        UnitKind::Township,
        UnitKind::Department,
        UnitKind::CountyOffice,
        UnitKind::External,
        UnitKind::County,
        UnitKind::City,
        UnitKind::CityOffice,
        UnitKind::ProvinceOffice,
    ];

    /// The kinds that fill a county's returns: the schema's reporters, the subtotal columns of
    /// every summary. The roll-up kinds come after them in [`UnitKind::ALL`].
    pub const BASE: [UnitKind; 4] = [
        UnitKind::Township,
        UnitKind::Department,
        UnitKind::CountyOffice,
        UnitKind::External,
    ];

    /// A region rolled up from a run of the level below (`county`, `city`).
    pub fn is_region(self) -> bool {
        matches!(self, UnitKind::County | UnitKind::City)
    }

    /// The kind whose indicators a unit fills in its workbook: a level's own office fills the
    /// county office's template (its 复议 and 应诉 rows), everyone else their own.
    pub fn reporting_kind(self) -> UnitKind {
        match self {
            UnitKind::CityOffice | UnitKind::ProvinceOffice => UnitKind::CountyOffice,
            k => k,
        }
    }

    /// The registry/schema spelling.
    pub fn key(self) -> &'static str {
        match self {
            UnitKind::Township => "township",
            UnitKind::Department => "department",
            UnitKind::CountyOffice => "county_office",
            UnitKind::External => "external",
            UnitKind::County => "county",
            UnitKind::City => "city",
            UnitKind::CityOffice => "city_office",
            UnitKind::ProvinceOffice => "province_office",
        }
    }

    /// The Chinese label written on the cover sheet and in reports.
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::Township => "乡镇(街道)",
            UnitKind::Department => "县直部门",
            UnitKind::CountyOffice => "县本级",
            UnitKind::External => "外部来源",
            UnitKind::County => "县(市、区)",
            UnitKind::City => "市(州)",
            UnitKind::CityOffice => "市本级",
            UnitKind::ProvinceOffice => "省本级",
        }
    }

    /// The subtotal column label in the summary (乡镇小计, 部门小计, 县本级, 外部来源).
    pub fn subtotal_label(self) -> &'static str {
        match self {
            UnitKind::Township => "乡镇小计",
            UnitKind::Department => "部门小计",
            UnitKind::CountyOffice => "县本级",
            UnitKind::External => "外部来源",
            UnitKind::County => "区县合计",
            UnitKind::City => "市州合计",
            UnitKind::CityOffice => "市本级",
            UnitKind::ProvinceOffice => "省本级",
        }
    }

    /// Accepts the key or the Chinese label (and a few common variants).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "township" | "乡镇(街道)" | "乡镇（街道）" | "乡镇" | "街道" => {
                Some(UnitKind::Township)
            }
            "department" | "县直部门" | "部门" => Some(UnitKind::Department),
            "county_office" | "县本级" => Some(UnitKind::CountyOffice),
            "external" | "外部来源" | "法院" => Some(UnitKind::External),
            "county" | "县(市、区)" | "县（市、区）" | "区县" | "县" => {
                Some(UnitKind::County)
            }
            "city" | "市(州)" | "市（州）" | "地市" | "市" => Some(UnitKind::City),
            "city_office" | "市本级" => Some(UnitKind::CityOffice),
            "province_office" | "省本级" => Some(UnitKind::ProvinceOffice),
            _ => None,
        }
    }
}

/// One row of the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Stable code, never reused (e.g. `411321-T03`).
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    /// Roll-up parent (the county code), if given.
    pub parent: Option<String>,
    /// First year the unit must report (inclusive).
    pub active_from: i32,
    /// Last year the unit must report (inclusive); `None` = still active.
    pub active_to: Option<i32>,
    /// Units this one continues, with weights: prior-year value = Σ weight × predecessor value.
    pub predecessors: Vec<(String, f64)>,
    /// 村(社区) count: denominator of village coverage rates.
    pub villages: u32,
}

impl Unit {
    /// Whether the unit must report for `year`.
    pub fn active_in(&self, year: i32) -> bool {
        self.active_from <= year && self.active_to.is_none_or(|to| year <= to)
    }
}

/// The whole registry, in file order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Registry {
    pub units: Vec<Unit>,
    /// Code → position in `units`, built on first lookup: `get` is called per file and per unit,
    /// and a linear search made large batches quadratic.
    #[serde(skip)]
    index: OnceLock<BTreeMap<String, usize>>,
    /// Name (without white space) → positions in `units`, built on first lookup by name,
    /// with the number of units it was built from.
    #[serde(skip)]
    names: OnceLock<(usize, BTreeMap<String, Vec<usize>>)>,
}

impl PartialEq for Registry {
    fn eq(&self, other: &Self) -> bool {
        self.units == other.units
    }
}

impl Registry {
    pub fn new(units: Vec<Unit>) -> Self {
        Registry {
            units,
            index: OnceLock::new(),
            names: OnceLock::new(),
        }
    }

    /// Loads and checks a registry file; a bad row is refused with its line and the reason.
    pub fn load(path: &Path) -> Result<Registry> {
        let bytes = std::fs::read(path).map_err(|source| crate::Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = csvfmt::decode(bytes).map_err(|e| crate::Error::Registry {
            path: path.to_path_buf(),
            row: e.row,
            message: e.message,
        })?;
        Registry::parse(&text, path)
    }

    /// Parses registry text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Registry> {
        csvfmt::parse(text).map_err(|e| crate::Error::Registry {
            path: path.to_path_buf(),
            row: e.row,
            message: e.message,
        })
    }

    /// Writes the registry in the same format `parse` reads.
    pub fn to_csv(&self) -> String {
        csvfmt::write(self)
    }

    pub fn get(&self, code: &str) -> Option<&Unit> {
        let index = self.index.get_or_init(|| {
            let mut m = BTreeMap::new();
            for (i, u) in self.units.iter().enumerate() {
                m.entry(u.code.clone()).or_insert(i);
            }
            m
        });
        // `units` is public and may have changed since the index was built: verify the hit and
        // fall back to a scan, so a stale index can cost time but never give a wrong unit.
        index
            .get(code)
            .and_then(|&i| self.units.get(i))
            .filter(|u| u.code == code)
            .or_else(|| self.units.iter().find(|u| u.code == code))
    }

    /// The units named `name` (white space ignored), in file order: a province's registry
    /// repeats names like 县自然资源局 across counties.
    pub fn by_name(&self, name: &str) -> Vec<&Unit> {
        let (built_from, names) = self.names.get_or_init(|| {
            let mut m: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for (i, u) in self.units.iter().enumerate() {
                m.entry(squeeze(&u.name)).or_default().push(i);
            }
            (self.units.len(), m)
        });
        let key = squeeze(name);
        let hits: Vec<&Unit> = names
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.units.get(i))
            .filter(|u| squeeze(&u.name) == key)
            .collect();
        // A name that matches no unit is the usual case (an abbreviated cover name), so the
        // scan of a stale index (see `get`) runs only when `units` has changed size since.
        if hits.is_empty() && *built_from != self.units.len() {
            self.units
                .iter()
                .filter(|u| squeeze(&u.name) == key)
                .collect()
        } else {
            hits
        }
    }

    /// Units that must report in `year`, in file order.
    pub fn active_in(&self, year: i32) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(move |u| u.active_in(year))
    }
}

/// A name without white space (full-width spaces included), for comparing names.
pub fn squeeze(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}
