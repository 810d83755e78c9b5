//! The roll-up job: a city's figures from its counties' run outputs, a province's from its
//! cities' roll-up outputs (docs/rollup.md). `huizong rollup` resolves its arguments into a
//! [`RollupConfig`] and calls [`rollup`].
//!
//! A roll-up is a run whose units are regions: each region's `figures_<year>.json` is read back
//! (it carries every sum, numerator, denominator and 是 count the level above needs), the
//! level's own workbooks (市本级, 中院) are read, validated and aggregated by the same steps as a
//! county's units, [`crate::aggregate::rollup::roll_up`] adds everything, the anomaly checks
//! compare the regions as peers, and the outputs have the shape of a county's: a summary
//! workbook with the regions as its units, figures JSON (so `huizong draft` reads it unchanged),
//! `history.csv`/`history.parquet` with one record per region × indicator.
//!
//! Refused before anything is written (exit 2, the message names the folder): a folder that is
//! no finished output of this tool, an output of another year, level, schema id or edition, a
//! figures file changed after it was written, a region the registry does not list for the
//! year, two outputs of one region. Flagged in the outputs and exit 1: regions whose own run
//! left units out (held back or missing), regions or own units with no output at all.

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::batch::{self as common, LoadedRegistry};
use super::Outcome;
use crate::aggregate::rollup::{self as fold, Level, Region, Target};
use crate::aggregate::{self, history, Coverage, Figures, Record};
use crate::anomaly::{self, AnomalyInput, CountyTotal, Finding};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ingest::FileOutcome;
use crate::io::{write_atomic, MARKER};
use crate::registry::{Registry, Unit, UnitKind};
use crate::report::outset::{self, OutputSet};
use crate::report::summary::{self, FileState, FileStatus, RunMeta, SummaryInput};
use crate::schema::Schema;
use crate::{Error, Result};

/// Everything a roll-up needs, resolved from the command line.
pub struct RollupConfig {
    pub schema: Schema,
    /// The level's registry: regions (`county` or `city` rows) and its own units
    /// (`city_office`/`province_office`, `external` for 中院/高院).
    pub registry: LoadedRegistry,
    /// Regions' output folders, and the level's own workbooks (files).
    pub paths: Vec<PathBuf>,
    pub year: i32,
    /// Last year's roll-up `history.csv`: the own units' last year (the regions carry theirs).
    pub prior: Option<PathBuf>,
    pub out: PathBuf,
    pub acceptances: Vec<anomaly::Acceptance>,
    pub threads: Option<usize>,
}

/// What a roll-up found (the files are already written).
pub struct RollupReport {
    pub outcome: Outcome,
    pub year: i32,
    pub level: Level,
    pub coverage: Coverage,
    /// Error and warning findings of the own workbooks.
    pub errors: usize,
    pub warnings: usize,
    pub anomalies: Vec<Finding>,
}

/// A finished output folder read back: a county's run or a roll-up.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub dir: PathBuf,
    /// The folder as the user named it.
    pub display: String,
    pub level: Level,
    pub year: i32,
    /// The figures without their unit rows: the level above needs the totals only, and a
    /// hundred counties' rows were most of a roll-up's memory and time.
    pub figures: Figures,
    /// `<display>/figures_<year>.json`, the origin of every value taken from it.
    pub figures_display: String,
    /// SHA-256 of the figures file, hex.
    pub sha256: String,
}

impl RunOutput {
    /// The region code: the figures' own, else the 6-digit prefix every expected unit's code
    /// shares (`411321-T01` …), for outputs whose registry named no parent.
    pub fn region(&self) -> Option<String> {
        self.figures.region.clone().or_else(|| {
            let mut prefixes = self
                .figures
                .coverage
                .expected
                .iter()
                .map(|c| c.split_once('-').map(|(p, _)| p));
            let first = prefixes.next().flatten()?;
            (fold::is_division_code(first) && prefixes.all(|p| p == Some(first)))
                .then(|| first.to_string())
        })
    }
}

/// Reads a finished output folder: its manifest's label says what it is and which year, its
/// figures file must be the one the manifest lists. `year`, when given, must be the label's.
pub fn read_output(dir: &Path, year: Option<i32>) -> Result<RunOutput> {
    let display = dir.display().to_string();
    let refuse = |m: String| Error::Usage(format!("{display}：{m}"));
    let outset::Finished { label, files } = outset::read_finished(dir)?.ok_or_else(|| {
        refuse(format!(
            "不是 huizong 的汇总输出文件夹（其中没有 {MARKER}）；请给出 huizong run（或 huizong rollup）的 --out 文件夹"
        ))
    })?;
    let label = label.unwrap_or_default();
    let (level, found) = Level::parse_label(&label).ok_or_else(|| {
        refuse(format!(
            "是 huizong 的输出，但不是汇总结果（“{label}”）；请给出 huizong run 或 huizong rollup 的输出文件夹"
        ))
    })?;
    if let Some(want) = year.filter(|y| *y != found) {
        return Err(refuse(format!(
            "是 {found} 年度的汇总输出，本次汇总的是 {want} 年度；请给出各地区 {want} 年度的输出"
        )));
    }
    let name = format!("figures_{found}.json");
    let path = dir.join(&name);
    let bytes = std::fs::read(&path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    if files.get(&name) != Some(&(bytes.len() as u64)) {
        return Err(refuse(format!(
            "{name} 不是 huizong 写出的原样（输出清单中没有它，或写出后被改动过）；请重新运行汇总"
        )));
    }
    let mut figures: Figures = serde_json::from_slice(&bytes).map_err(|e| {
        refuse(format!(
            "{name} 无法读取（{e}）；请用本版本的 huizong 重新运行汇总"
        ))
    })?;
    figures.units = Vec::new();
    if figures.year != found || figures.level != level {
        return Err(refuse(format!(
            "{name} 与输出清单不符（清单为“{label}”，文件为 {} 年度 {} 级）；请重新运行汇总",
            figures.year,
            figures.level.area()
        )));
    }
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(RunOutput {
        dir: dir.to_path_buf(),
        figures_display: format!("{display}/{name}"),
        display,
        level,
        year: found,
        figures,
        sha256,
    })
}

/// The level's registry split: its regions and its own units, both active in the year.
struct Levels<'a> {
    level: Level,
    region_kind: UnitKind,
    regions: Vec<&'a Unit>,
    own: Vec<&'a Unit>,
}

impl<'a> Levels<'a> {
    fn of(reg: &'a LoadedRegistry, year: i32) -> Result<Self> {
        let active: Vec<&Unit> = reg.registry.active_in(year).collect();
        let kinds: BTreeSet<UnitKind> = active
            .iter()
            .map(|u| u.kind)
            .filter(|k| k.is_region())
            .collect();
        let region_kind = match kinds.len() {
            1 => kinds.into_iter().next().unwrap_or(UnitKind::County),
            0 => {
                return Err(Error::Usage(format!(
                    "单位名册 {} 中没有 {year} 年度应报的区县（kind 为 county）或市(州)（city）；\
                     汇总名册列出下一级的各地区，见 docs/rollup.md",
                    reg.display
                )))
            }
            _ => {
                return Err(Error::Usage(format!(
                "单位名册 {} 中既有区县（county）又有市(州)（city）；一次汇总只汇总同一级的地区",
                reg.display
            )))
            }
        };
        if let Some(u) = active.iter().find(|u| {
            !u.kind.is_region()
                && !matches!(
                    u.kind,
                    UnitKind::CityOffice | UnitKind::ProvinceOffice | UnitKind::External
                )
        }) {
            return Err(Error::Usage(format!(
                "单位名册 {} 中 {}（{}）的类型为 {}：汇总名册只列下一级地区（county/city）和本级单位\
                 （city_office/province_office，法院为 external）",
                reg.display,
                u.code,
                u.name,
                u.kind.key()
            )));
        }
        Ok(Levels {
            level: Level::above(region_kind).unwrap_or(Level::City),
            region_kind,
            regions: active
                .iter()
                .copied()
                .filter(|u| u.kind.is_region())
                .collect(),
            own: active.into_iter().filter(|u| !u.kind.is_region()).collect(),
        })
    }
}

/// Runs the roll-up and writes its outputs into `cfg.out`.
pub fn rollup(cfg: &RollupConfig) -> Result<RollupReport> {
    let schema = &cfg.schema;
    let reg = &cfg.registry;
    let year = cfg.year;
    let pool = common::pool(cfg.threads)?;
    let levels = Levels::of(reg, year)?;
    let (dirs, own_paths): (Vec<&PathBuf>, Vec<&PathBuf>) =
        cfg.paths.iter().partition(|p| p.is_dir());
    if let Some(d) = dirs.iter().find(|d| !d.join(MARKER).is_file()) {
        return Err(Error::Usage(format!(
            "{}：不是 huizong 的汇总输出文件夹（其中没有 {MARKER}）；请给出各地区 huizong run\
             （或 huizong rollup）的 --out 文件夹，本级报表请直接给出文件",
            d.display()
        )));
    }
    let mut outputs: Vec<RunOutput> = pool.install(|| {
        dirs.par_iter()
            .map(|d| read_output(d, Some(year)))
            .collect::<Result<Vec<_>>>()
    })?;
    let regions = match_regions(&mut outputs, &levels, schema, reg)?;
    if !own_paths.is_empty() && levels.own.is_empty() {
        return Err(Error::Usage(format!(
            "给出了本级报表 {}，但单位名册 {} 中没有本级单位（city_office/province_office/external）",
            own_paths[0].display(),
            reg.display
        )));
    }
    // Every refusal above leaves `out` untouched; so does a --prior refused below.
    let set = OutputSet::prepare_as(&cfg.out, &levels.level.set_label(year))?;
    let prior_history = match &cfg.prior {
        Some(p) => prior_history(p, schema, year, &pool)?,
        None => Vec::new(),
    };
    let own = Own::build(cfg, &levels, &own_paths, &prior_history, &pool)?;

    let coverage = level_coverage(&levels, &regions, own.as_ref());
    let target = Target {
        schema,
        year,
        level: levels.level,
        region: region_code(&levels),
    };
    let mut figures = fold::roll_up(
        &target,
        &regions,
        own.as_ref().map(|o| &o.figures),
        coverage,
    )?;
    for u in &mut figures.units {
        if let Some(unit) = reg.registry.get(&u.code) {
            u.kind = unit.kind;
        }
    }
    let params = anomaly::Params {
        acceptances: cfg.acceptances.clone(),
        ..Default::default()
    };
    let input = AnomalyInput {
        schema,
        year: Some(year),
        units: std::mem::take(&mut figures.units),
        county: figures
            .indicators
            .iter()
            .map(|f| {
                let total = CountyTotal {
                    current: f.value,
                    prior: f.prior,
                };
                (f.code.clone(), total)
            })
            .collect(),
        // a region explains nothing in a cell: its units' 说明 stay in its own outputs
        notes: anomaly::Notes::new(),
    };
    let anomalies = pool.install(|| anomaly::detect(&input, &params));
    figures.units = input.units;

    let mut findings: Vec<Diagnostic> = Vec::new();
    if let Some(o) = &own {
        findings.extend(o.outcomes.iter().flat_map(|f| f.diagnostics.clone()));
        findings.extend(o.batch.iter().cloned());
    }
    crate::diagnostic::sort(&mut findings);
    let files = file_statuses(&regions, &outputs, own.as_ref(), &figures, reg);
    let records = level_records(&figures, &regions, own.as_ref());
    write_outputs(
        cfg,
        set.dir(),
        (&figures, &anomalies),
        &findings,
        &files,
        (&prior_history, &records),
    )?;
    for warning in set.commit()? {
        crate::hintln!("提示：{warning}");
    }
    let (errors, warnings, _) = crate::validate::counts(&findings);
    let cov = &figures.coverage;
    let incomplete =
        !cov.missing.is_empty() || !cov.incomplete.is_empty() || !cov.held_back.is_empty();
    let any_error = errors > 0
        || anomalies
            .iter()
            .any(|a| a.severity == Severity::Error && !a.accepted);
    Ok(RollupReport {
        outcome: if incomplete || any_error {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
        year,
        level: levels.level,
        coverage: figures.coverage.clone(),
        errors,
        warnings,
        anomalies,
    })
}

/// The region code of the level: the parent every region names, when they agree.
fn region_code(levels: &Levels) -> Option<String> {
    let mut parents = levels
        .regions
        .iter()
        .map(|u| u.parent.as_deref().filter(|p| fold::is_division_code(p)));
    let first = parents.next().flatten()?;
    parents.all(|p| p == Some(first)).then(|| first.to_string())
}

/// Each output matched to its registry region, in registry order; every mismatch refused.
fn match_regions(
    outputs: &mut [RunOutput],
    levels: &Levels,
    schema: &Schema,
    reg: &LoadedRegistry,
) -> Result<Vec<Region>> {
    let below = match levels.region_kind {
        UnitKind::City => Level::City,
        _ => Level::County,
    };
    let mut by_code: BTreeMap<String, usize> = BTreeMap::new();
    for (i, o) in outputs.iter().enumerate() {
        let refuse = |m: String| Error::Usage(format!("{}：{m}", o.display));
        if o.level != below {
            return Err(refuse(format!(
                "是{}级汇总输出，而名册 {} 列出的是{}；{}",
                o.level.area(),
                reg.display,
                levels.region_kind.label(),
                match below {
                    Level::County => "市级汇总请给出各区县 huizong run 的输出",
                    _ => "省级汇总请给出各市 huizong rollup 的输出",
                }
            )));
        }
        let f = &o.figures;
        if f.schema_id != schema.id || f.schema_edition != schema.edition {
            return Err(refuse(format!(
                "用的指标体系是 {}（{}版），本次汇总用的是 {}（{}版）；不同指标体系的数据不能相加，\
                 请用同一指标体系重新运行该地区的汇总",
                f.schema_id, f.schema_edition, schema.id, schema.edition
            )));
        }
        let code = o.region().ok_or_else(|| {
            refuse(
                "figures JSON 中没有区划代码：该地区的单位名册 parent 列应填 6 位行政区划代码，\
                 填好后重新运行汇总"
                    .to_string(),
            )
        })?;
        if !levels.regions.iter().any(|u| u.code == code) {
            return Err(refuse(format!(
                "区划代码 {code} 不在单位名册 {} 中（或 {} 年度不需报送）；请核对名册或输出文件夹",
                reg.display, o.year
            )));
        }
        if let Some(first) = by_code.insert(code.clone(), i) {
            return Err(refuse(format!(
                "与 {} 都是 {code}（{}）的汇总输出；每个地区只能给一份",
                outputs[first].display,
                reg.registry.get(&code).map_or("", |u| u.name.as_str())
            )));
        }
    }
    Ok(levels
        .regions
        .iter()
        .filter_map(|u| {
            let o = outputs.get_mut(*by_code.get(&u.code)?)?;
            Some(Region {
                code: u.code.clone(),
                name: u.name.clone(),
                kind: u.kind,
                // the output keeps its coverage for nothing: its figures move here
                figures: std::mem::replace(&mut o.figures, empty_figures()),
                origin: Arc::from(o.figures_display.as_str()),
            })
        })
        .collect())
}

/// Last year's roll-up history (`--prior`): the own units' last year, and the years the new
/// history keeps.
fn prior_history(
    path: &Path,
    schema: &Schema,
    year: i32,
    pool: &rayon::ThreadPool,
) -> Result<Vec<Record>> {
    if !path.is_file() {
        return Err(Error::Usage(format!(
            "--prior {}：汇总的上年数据须为上年汇总输出中的 history.csv",
            path.display()
        )));
    }
    common::load_prior(path, schema, None, year, pool)
}

/// What a read output keeps once its figures moved into a [`Region`].
fn empty_figures() -> Figures {
    Figures {
        year: 0,
        prior_year: 0,
        schema_id: String::new(),
        schema_edition: String::new(),
        level: Level::County,
        region: None,
        coverage: Coverage::default(),
        indicators: Vec::new(),
        rates: Vec::new(),
        units: Vec::new(),
    }
}

/// The level's own workbooks, read, validated and aggregated like a county's units.
struct Own {
    outcomes: Vec<FileOutcome>,
    batch: Vec<Diagnostic>,
    figures: Figures,
    current: Vec<Record>,
}

impl Own {
    fn build(
        cfg: &RollupConfig,
        levels: &Levels,
        paths: &[&PathBuf],
        prior_history: &[Record],
        pool: &rayon::ThreadPool,
    ) -> Result<Option<Own>> {
        if levels.own.is_empty() {
            return Ok(None);
        }
        let schema = &cfg.schema;
        let year = cfg.year;
        // The office fills the county office's template: for reading, validating and
        // aggregating, its kind is the one whose indicators it fills.
        let units = levels
            .own
            .iter()
            .map(|u| Unit {
                kind: u.kind.reporting_kind(),
                parent: None,
                ..(*u).clone()
            })
            .collect();
        let registry = LoadedRegistry {
            registry: Registry::new(units),
            display: cfg.registry.display.clone(),
            settings: cfg.registry.settings.clone(),
        };
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
        let files = if paths.is_empty() {
            Vec::new()
        } else {
            common::inputs(&paths, None)?
        };
        let mut outcomes = common::read_all(&files, schema, pool, false);
        if !outcomes.is_empty() {
            common::check_year(&outcomes, year)?;
        }
        let own: BTreeSet<&str> = levels.own.iter().map(|u| u.code.as_str()).collect();
        let prior: Vec<Record> = prior_history
            .iter()
            .filter(|r| own.contains(&*r.unit))
            .cloned()
            .collect();
        let reg = &registry.registry;
        let (mapped, by_unit, changed) =
            pool.install(|| common::prior_by_unit(&prior, Some(reg), year));
        let batch = common::validate_all(
            &mut outcomes,
            schema,
            Some(&registry),
            Some(year),
            &by_unit,
            true,
            pool,
        );
        let current = common::accepted_records(&outcomes, schema, Some(reg), year, pool);
        let coverage = own_coverage(&outcomes, reg, year, &mapped, changed);
        let before = aggregate::PriorYear {
            mapped: &mapped,
            reported: &prior,
        };
        let figures = pool.install(|| {
            aggregate::aggregate_years(schema, reg, year, &current, before, coverage)
        })?;
        Ok(Some(Own {
            outcomes,
            batch,
            figures,
            current,
        }))
    }
}

/// Who of the own units was expected, sent a readable file, was aggregated.
fn own_coverage(
    outcomes: &[FileOutcome],
    reg: &Registry,
    year: i32,
    prior: &[Record],
    units_changed: bool,
) -> Coverage {
    let code = |o: &FileOutcome| o.submission.as_ref()?.cover.unit_code.clone();
    let expected: Vec<String> = reg.active_in(year).map(|u| u.code.clone()).collect();
    let received: BTreeSet<String> = outcomes.iter().filter_map(code).collect();
    let accepted: BTreeSet<String> = common::accepted(outcomes).filter_map(code).collect();
    Coverage {
        held_back: received.difference(&accepted).cloned().collect(),
        missing: expected
            .iter()
            .filter(|u| !received.contains(*u))
            .cloned()
            .collect(),
        prior_units: prior
            .iter()
            .map(|r| r.unit.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        units_changed,
        expected,
        received: received.into_iter().collect(),
        accepted: accepted.into_iter().collect(),
        ..Coverage::default()
    }
}

/// The level's coverage: regions and own units together, in registry order.
fn level_coverage(levels: &Levels, regions: &[Region], own: Option<&Own>) -> Coverage {
    let given: BTreeSet<&str> = regions.iter().map(|r| r.code.as_str()).collect();
    let own_cov = own.map(|o| &o.figures.coverage);
    let own_list = |f: fn(&Coverage) -> &Vec<String>| -> Vec<String> {
        own_cov.map(|c| f(c).clone()).unwrap_or_default()
    };
    let region_codes = levels.regions.iter().map(|u| u.code.clone());
    let received: Vec<String> = regions
        .iter()
        .map(|r| r.code.clone())
        .chain(own_list(|c| &c.received))
        .collect();
    Coverage {
        expected: region_codes
            .clone()
            .chain(levels.own.iter().map(|u| u.code.clone()))
            .collect(),
        accepted: regions
            .iter()
            .map(|r| r.code.clone())
            .chain(own_list(|c| &c.accepted))
            .collect(),
        received,
        held_back: own_list(|c| &c.held_back),
        missing: region_codes
            .filter(|c| !given.contains(c.as_str()))
            .chain(own_list(|c| &c.missing))
            .collect(),
        prior_units: regions
            .iter()
            .filter(|r| r.figures.indicators.iter().any(|i| i.prior.is_some()))
            .map(|r| r.code.clone())
            .chain(own_list(|c| &c.prior_units))
            .collect(),
        units_changed: own_cov.is_some_and(|c| c.units_changed),
        ..Coverage::default()
    }
}

/// The 报送情况 rows: each region's output, each own file, then whoever sent nothing.
fn file_statuses(
    regions: &[Region],
    outputs: &[RunOutput],
    own: Option<&Own>,
    figures: &Figures,
    reg: &LoadedRegistry,
) -> Vec<FileStatus> {
    let mut out: Vec<FileStatus> = regions
        .iter()
        .map(|r| {
            let o = outputs
                .iter()
                .find(|o| o.figures_display.as_str() == &*r.origin);
            FileStatus {
                unit: Some(r.code.clone()),
                unit_name: r.name.clone(),
                kind: Some(r.kind),
                status: FileState::Aggregated,
                file: o.map(|o| o.figures_display.clone()),
                sha256: o.map(|o| o.sha256.clone()),
                errors: 0,
                warnings: 0,
                revision: None,
            }
        })
        .collect();
    let none = std::collections::BTreeSet::new();
    for o in own.map(|o| o.outcomes.as_slice()).unwrap_or_default() {
        out.push(super::run::file_status(o, &reg.registry, &none));
    }
    for code in &figures.coverage.missing {
        out.push(super::run::missing_status(code, &reg.registry));
    }
    out
}

/// The summary file name: `市汇总_2024.xlsx`, `省汇总_2024.xlsx`.
pub fn summary_file_name(level: Level, year: i32) -> String {
    format!("{}汇总_{year}.xlsx", level.area())
}

/// The level's long records: one per region × indicator (its figure, from its figures file),
/// then the own units' accepted values with their cells.
fn level_records(figures: &Figures, regions: &[Region], own: Option<&Own>) -> Vec<Record> {
    let mut out = Vec::new();
    for r in regions {
        let unit: Arc<str> = Arc::from(r.code.as_str());
        for f in &r.figures.indicators {
            if let Some(v) = f.value {
                out.push(Record {
                    year: figures.year,
                    unit: unit.clone(),
                    kind: r.kind,
                    indicator: Arc::from(f.code.as_str()),
                    value: v,
                    origin: r.origin.clone(),
                });
            }
        }
    }
    if let Some(o) = own {
        // under the registry's kind (city_office), not the template's
        out.extend(o.current.iter().cloned().map(|mut r| {
            if let Some(u) = figures.units.iter().find(|u| *u.code == *r.unit) {
                r.kind = u.kind;
            }
            r
        }));
    }
    out
}

/// The summary workbook, figures JSON and the history (`prior`: last year's history, whose
/// other years it keeps).
fn write_outputs(
    cfg: &RollupConfig,
    dir: &Path,
    (figures, anomalies): (&Figures, &[Finding]),
    findings: &[Diagnostic],
    files: &[FileStatus],
    (prior, records): (&[Record], &[Record]),
) -> Result<()> {
    let reg = &cfg.registry;
    let rows = super::run::anomaly_rows(&cfg.schema, reg, figures, anomalies);
    let input = SummaryInput {
        figures,
        schema: &cfg.schema,
        registry: &reg.registry,
        findings,
        files,
        anomalies: &rows,
        meta: RunMeta {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            schema_id: cfg.schema.id.clone(),
            schema_edition: cfg.schema.edition.clone(),
            inputs: cfg.paths.iter().map(|p| p.display().to_string()).collect(),
            prior_source: cfg.prior.as_ref().map(|p| p.display().to_string()),
            registry: Some(reg.display.clone()),
            run_time: None,
            office: reg.settings.office.clone(),
            headline: crate::draft::TemplateSet::defaults().headline_codes(),
        },
    };
    write_atomic(
        &dir.join(summary_file_name(figures.level, figures.year)),
        &summary::build_summary(&input)?,
    )?;
    write_atomic(
        &dir.join(format!("figures_{}.json", figures.year)),
        &super::run::figures_json(figures, anomalies)?,
    )?;
    let editions = history::Editions::of(&figures.schema_id);
    history::write_merged(&dir.join(super::HISTORY_FILE), prior, records, &editions)?;
    crate::dataset::parquet::write_history(&dir.join(super::HISTORY_PARQUET), prior, records)
}
