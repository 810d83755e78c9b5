//! Steps shared by the check and run jobs: finding the registry, reading and validating the
//! batch in parallel (with progress on a terminal), the long records, and loading the prior
//! year.

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::aggregate::{map_prior, Interner, Record};
use crate::diagnostic::{Diagnostic, Location};
use crate::ingest::{self, FileOutcome, Value};
use crate::registry::Registry;
use crate::schema::Schema;
use crate::validate::{self, PriorValues};
use crate::{Error, Result};

/// The registry file name looked for next to the submissions when `--registry` is not given.
pub const REGISTRY_FILE: &str = "units.csv";

/// A loaded registry, how to name it in messages, and the county's settings beside it
/// (`huizong.toml`: 制表单位, deadline, contact — [`crate::settings`]).
pub struct LoadedRegistry {
    pub registry: Registry,
    pub display: String,
    pub settings: crate::settings::Settings,
}

impl LoadedRegistry {
    /// The registry at `path` and the settings file beside it, if any.
    pub fn load(path: &Path) -> Result<LoadedRegistry> {
        Ok(LoadedRegistry {
            registry: Registry::load(path)?,
            display: path.display().to_string(),
            settings: crate::settings::Settings::beside(path)?,
        })
    }
}

/// The submission files under `paths`, leaving out the registry file itself: `units.csv` may sit
/// in the submissions folder (that is where `find_registry` looks), and it is not a return.
pub fn inputs(
    paths: &[PathBuf],
    registry: Option<&LoadedRegistry>,
) -> Result<Vec<(PathBuf, String)>> {
    let collected = ingest::collect_inputs(paths)?;
    for dir in &collected.skipped_outputs {
        crate::hintln!(
            "提示：{dir} 是 huizong 的输出文件夹（内有 {}），其中的文件不作为报表读取",
            crate::report::outset::MARKER
        );
    }
    let mut files = collected.files;
    if let Some(reg) = registry {
        let canon = |p: &Path| std::fs::canonicalize(p).ok();
        let reg_path = canon(Path::new(&reg.display));
        files.retain(|(p, _)| reg_path.is_none() || canon(p) != reg_path);
    }
    Ok(files)
}

/// Loads `--registry`, or else `units.csv` in the first input folder or its parent.
pub fn find_registry(
    explicit: Option<&Path>,
    inputs: &[PathBuf],
) -> Result<Option<LoadedRegistry>> {
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => inputs.first().and_then(|first| {
            let dir = if first.is_dir() {
                Some(first.as_path())
            } else {
                first.parent()
            };
            let candidates = dir
                .into_iter()
                .flat_map(|d| [Some(d), d.parent()])
                .flatten();
            candidates
                .map(|d| d.join(REGISTRY_FILE))
                .find(|p| p.is_file())
        }),
    };
    path.map(|p| LoadedRegistry::load(&p)).transpose()
}

/// Builds the rayon pool for reading (`threads` = None → one per core).
pub fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Other(format!("无法创建线程池：{e}")))
}

/// Reads every file in parallel; the result is in the input order (sorted by display path).
pub fn read_all(
    files: &[(PathBuf, String)],
    schema: &Schema,
    pool: &rayon::ThreadPool,
    progress: bool,
) -> Vec<FileOutcome> {
    let bar = if progress && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(files.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("读取报表 {bar:30} {pos}/{len} {elapsed}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let out = pool.install(|| {
        files
            .par_iter()
            .map(|(path, display)| {
                let o = ingest::read_file(path, display, schema);
                bar.inc(1);
                o
            })
            .collect()
    });
    bar.finish_and_clear();
    out
}

/// How many readable workbooks carry each cover year.
pub fn cover_years(outcomes: &[FileOutcome]) -> BTreeMap<i32, usize> {
    let mut count: BTreeMap<i32, usize> = BTreeMap::new();
    for y in outcomes
        .iter()
        .filter_map(|o| o.submission.as_ref()?.cover.year)
    {
        *count.entry(y).or_default() += 1;
    }
    count
}

/// The cover years by how many workbooks carry them, most first (ties: the earlier year).
fn by_count(years: &BTreeMap<i32, usize>) -> Vec<(i32, usize)> {
    let mut v: Vec<(i32, usize)> = years.iter().map(|(y, n)| (*y, *n)).collect();
    v.sort_by_key(|(y, n)| (std::cmp::Reverse(*n), *y));
    v
}

/// "2023 年 44 份、2022 年 2 份".
fn show_years(years: &BTreeMap<i32, usize>) -> String {
    let shown: Vec<String> = by_count(years)
        .iter()
        .map(|(y, n)| format!("{y} 年 {n} 份"))
        .collect();
    shown.join("、")
}

/// The statistical year of a batch when the user did not give one: the most common cover year.
pub fn batch_year(outcomes: &[FileOutcome]) -> Option<i32> {
    by_count(&cover_years(outcomes)).first().map(|(y, _)| *y)
}

/// Refuses a `--year` that no readable workbook of the batch carries on its cover, naming the
/// years they do carry (a wrong `--year` would otherwise hold back every file with V04). A batch
/// where only some units typed another year passes: those files get V04 as usual. A batch with
/// no readable cover year at all passes too (each file's own findings say why).
pub fn check_year(outcomes: &[FileOutcome], year: i32) -> Result<()> {
    let years = cover_years(outcomes);
    if years.is_empty() || years.contains_key(&year) {
        return Ok(());
    }
    let total: usize = years.values().sum();
    let likely = by_count(&years).first().map_or(year, |(y, _)| *y);
    Err(Error::Usage(format!(
        "--year {year} 与报表不符：{total} 份可读报表的封面上没有一份是 {year} 年度，\
         它们的统计年度为：{}。请核对统计年度（是否应为 --year {likely}）；\
         本次未做处理，没有写出任何文件。只有没有一份报表是 --year 的年度时才这样停下，\
         个别单位填错年度时照常进行，这些报表报 V04",
        show_years(&years)
    )))
}

/// Validates every file and the batch. Returns the batch-level findings: the registry units
/// that sent nothing (S11), only when `whole_batch` says the inputs are the whole batch (a folder),
/// not a few single files checked on their own.
pub fn validate_all(
    outcomes: &mut [FileOutcome],
    schema: &Schema,
    registry: Option<&LoadedRegistry>,
    year: Option<i32>,
    prior: &BTreeMap<String, PriorValues>,
    whole_batch: bool,
    pool: &rayon::ThreadPool,
) -> Vec<Diagnostic> {
    let reg = registry.map(|r| &r.registry);
    pool.install(|| {
        outcomes.par_iter_mut().for_each(|o| {
            let unit = o
                .submission
                .as_ref()
                .and_then(|s| s.cover.unit_code.clone());
            let p = unit.and_then(|u| prior.get(&u));
            validate::check_file(o, schema, reg, year, p);
        })
    });
    let display = registry.map_or("", |r| r.display.as_str());
    let mut batch = validate::check_batch(outcomes, reg, year, display);
    if !whole_batch {
        batch.retain(|d| d.code != crate::codes::Code::S11);
    }
    validate::cross_unit::check(outcomes, schema, reg, year);
    crate::diagnostic::sort(&mut batch);
    batch
}

/// Long-form records of every accepted file, in input order, built in parallel (two million
/// records at province scale). Indicator codes come shared from one read-only interner.
pub fn accepted_records(
    outcomes: &[FileOutcome],
    schema: &Schema,
    registry: Option<&Registry>,
    year: i32,
    pool: &rayon::ThreadPool,
) -> Vec<Record> {
    let codes = Interner::of_indicators(schema);
    let files: Vec<&FileOutcome> = accepted(outcomes).collect();
    pool.install(|| {
        files
            .par_iter()
            .flat_map_iter(|o| records_of(o, schema, registry, year, &codes))
            .collect()
    })
}

/// Long-form records of one accepted file (numbers only; blanks and 不适用 are not records). A
/// value of an indicator the unit's kind does not report (V06) is not part of its data, for
/// `check` and `run` alike.
pub fn records_of(
    outcome: &FileOutcome,
    schema: &Schema,
    registry: Option<&Registry>,
    year: i32,
    codes: &Interner,
) -> Vec<Record> {
    let Some(sub) = &outcome.submission else {
        return Vec::new();
    };
    let Some(code) = sub.cover.unit_code.as_deref().map(Arc::<str>::from) else {
        return Vec::new();
    };
    let Some(kind) = validate::unit_kind(sub, registry) else {
        return Vec::new();
    };
    // `file!sheet` is the same for every cell of a sheet: render it once per sheet.
    let mut prefix: Option<(&str, String)> = None;
    let mut origin = String::new();
    sub.values
        .iter()
        .filter_map(|(ind, cell)| {
            let Value::Number(v) = cell.value else {
                return None;
            };
            if schema.indicator(ind).is_some_and(|i| !i.reported_by(kind)) {
                return None;
            }
            let sheet = match &prefix {
                Some((name, text)) if *name == cell.sheet => text,
                _ => {
                    let loc = Location {
                        file: outcome.display.clone(),
                        sheet: Some(cell.sheet.clone()),
                        cell: None,
                    };
                    &prefix.insert((cell.sheet.as_str(), loc.render())).1
                }
            };
            origin.clear();
            origin.push_str(sheet);
            origin.push('!');
            origin.push_str(&cell.pos.a1());
            Some(Record {
                year,
                unit: code.clone(),
                kind,
                indicator: codes.shared(ind),
                value: v,
                origin: origin.as_str().into(),
            })
        })
        .collect()
}

/// The rates a file's unit typed itself (rows under a percentage rate's code, in percent), each
/// with the cell it was read from as `file!sheet!cell`: not records (never aggregated or written
/// to the history), only compared with their counts by A04.
pub fn reported_rates(outcome: &FileOutcome) -> Vec<(String, f64, Arc<str>)> {
    let Some(sub) = &outcome.submission else {
        return Vec::new();
    };
    sub.rates
        .iter()
        .filter_map(|(code, cell)| {
            let v = cell.value.number()?;
            let at = Location::cell(outcome.display.clone(), cell.sheet.clone(), cell.pos);
            Some((code.clone(), v, at.render().into()))
        })
        .collect()
}

/// The real explanations (说明) the accepted files' units wrote, by unit and row, for the
/// anomaly checks ([`crate::anomaly::status`]); the first file of a unit counts, as for its
/// data. Boilerplate ("核实无误") is left out here, so nothing downstream judges it again.
pub fn unit_notes(outcomes: &[FileOutcome]) -> crate::anomaly::Notes {
    let mut notes = crate::anomaly::Notes::new();
    for sub in accepted(outcomes).filter_map(|o| o.submission.as_ref()) {
        let Some(code) = &sub.cover.unit_code else {
            continue;
        };
        let real: BTreeMap<String, String> = sub
            .notes
            .iter()
            .filter(|(_, n)| crate::sheets::is_real_explanation(n))
            .map(|(c, n)| (c.clone(), n.clone()))
            .collect();
        if !real.is_empty() && !notes.contains_key(code) {
            notes.insert(code.clone(), real);
        }
    }
    notes
}

/// Files whose data may be aggregated: readable, no error-level finding (which includes
/// duplicates, unknown units and wrong years).
pub fn accepted(outcomes: &[FileOutcome]) -> impl Iterator<Item = &FileOutcome> {
    outcomes
        .iter()
        .filter(|o| o.submission.is_some() && !validate::has_errors(o))
}

/// The prior year's accepted records from a history file or from last year's submission
/// folder (read and validated like this year's, without cross-period rules), in this year's
/// indicator codes ([`super::prior::load`], which also keeps them as read and their findings).
pub fn load_prior(
    path: &Path,
    schema: &Schema,
    registry: Option<&LoadedRegistry>,
    year: i32,
    pool: &rayon::ThreadPool,
) -> Result<Vec<Record>> {
    super::prior::load(path, schema, registry, year, pool).map(|p| p.records)
}

/// Refuses a prior folder whose workbooks are not last year's: its most common cover year must
/// be `year - 1` (this year's folder given as `--prior` used to be read, held back as V04 file
/// by file, and give no year-on-year change without a word).
pub(super) fn check_prior_year(outcomes: &[FileOutcome], path: &Path, year: i32) -> Result<()> {
    let years = cover_years(outcomes);
    let prior_year = year - 1;
    let Some(&(found, _)) = by_count(&years).first() else {
        return Err(Error::Usage(format!(
            "--prior {} 中没有可读的报表（或报表封面上都没有统计年度），无法作为 {prior_year} 年度的上年数据。\
             请让 --prior 指向 {prior_year} 年度的报表文件夹或上次运行写出的 history.csv；\
             本次未做处理，没有写出任何文件",
            path.display()
        )));
    };
    if found == prior_year {
        return Ok(());
    }
    let hint = if found == year {
        "，看起来是本年的报表文件夹"
    } else {
        ""
    };
    Err(Error::Usage(format!(
        "--prior {} 中是 {found} 年度的报表（封面上的统计年度：{}）{hint}；本次是 {year} 年度，\
         上年数据应为 {prior_year} 年度。请让 --prior 指向 {prior_year} 年度的报表文件夹\
         或上次运行写出的 history.csv；本次未做处理，没有写出任何文件",
        path.display(),
        show_years(&years)
    )))
}

/// Refuses a history file without `year - 1`: one that holds several years is fine when last
/// year is among them (every run writes the years it read plus its own).
pub(super) fn check_history_years(records: &[Record], path: &Path, year: i32) -> Result<()> {
    let prior_year = year - 1;
    let years: std::collections::BTreeSet<i32> = records.iter().map(|r| r.year).collect();
    if years.contains(&prior_year) {
        return Ok(());
    }
    let held = if years.is_empty() {
        "没有任何年度的数据".to_string()
    } else {
        let shown: Vec<String> = years.iter().map(|y| format!("{y} 年")).collect();
        format!("只有 {}的数据", shown.join("、"))
    };
    Err(Error::Usage(format!(
        "--prior {}：历史数据文件中{held}，没有 {prior_year} 年度（本次 {year} 年度的上年）。\
         请使用 {prior_year} 年度汇总时写出的 history.csv，或改用 {prior_year} 年度的报表文件夹；\
         本次未做处理，没有写出任何文件",
        path.display()
    )))
}

/// Last year's values from a history file get the same plausibility bounds as this year's
/// cells (N02): a hand-edited or foreign file must not carry an ID number into a YoY change.
pub(super) fn check_prior_bounds(
    records: &[Record],
    schema: &Schema,
    path: &Path,
    year: i32,
) -> Result<()> {
    // Only last year's records are compared with this year; older years are carried along.
    for r in records.iter().filter(|r| r.year == year - 1) {
        let Some(ind) = schema.indicator(&r.indicator) else {
            continue;
        };
        let max = schema.max_of(ind);
        if r.value.is_nan() || r.value.abs() > max {
            return Err(Error::Other(format!(
                "历史数据文件 {}：{} 年单位 {} 的 {}（{}）为 {}，超出合理范围（上限 {}），\
                 该文件可能被改动过；请使用上次运行写出的 history.csv，或改用上年报表文件夹",
                path.display(),
                r.year,
                r.unit,
                ind.code,
                ind.name,
                r.value,
                max
            )));
        }
    }
    Ok(())
}

/// Whether a path names a workbook by its extension.
pub(super) fn is_workbook(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods")
}

/// Prior records of `year - 1`, mapped onto this year's units, grouped by unit.
pub fn prior_by_unit(
    records: &[Record],
    registry: Option<&Registry>,
    year: i32,
) -> (Vec<Record>, BTreeMap<String, PriorValues>, bool) {
    // map_prior keeps last year's records itself: no copy of the million records first.
    let (mapped, changed) = match registry {
        Some(reg) => map_prior(records, reg, year),
        None => {
            let last = records.iter().filter(|r| r.year == year - 1).cloned();
            (last.collect(), false)
        }
    };
    // A unit's records are contiguous: build one unit's values at a time (in parallel), then
    // look each unit up once, not once per record (a million string-keyed lookups otherwise).
    let runs: Vec<(&str, PriorValues)> = mapped
        .par_chunk_by(|a, b| a.unit == b.unit)
        .map(|run| {
            let mut values = PriorValues::new();
            for r in run {
                *values.entry(r.indicator.to_string()).or_default() += r.value;
            }
            (run.first().map_or("", |r| &*r.unit), values)
        })
        .collect();
    let mut by_unit: BTreeMap<String, PriorValues> = BTreeMap::new();
    for (unit, values) in runs {
        match by_unit.get_mut(unit) {
            // a unit whose records were not contiguous: add up, as the record order would
            Some(known) => {
                for (ind, v) in values {
                    *known.entry(ind).or_default() += v;
                }
            }
            None => {
                by_unit.insert(unit.to_string(), values);
            }
        }
    }
    (mapped, by_unit, changed)
}
