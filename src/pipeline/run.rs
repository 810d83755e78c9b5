//! The main job, end to end: read and validate every submission, aggregate the accepted ones
//! into county figures with year-on-year change, rank anomalies, and write the summary workbook,
//! `figures_<year>.json`, the history file and one feedback workbook per unit with findings.
//! `huizong run` resolves its arguments into a [`RunConfig`] and calls [`run`]; a server calls
//! the same function.

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::batch::{self as common, LoadedRegistry};
use super::Outcome;
use crate::aggregate::{self, history, Coverage, Figures, Record, UnitRow};
use crate::anomaly::{self, AnomalyInput, CountyTotal, Finding};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ingest::FileOutcome;
use crate::io::write_atomic;
use crate::registry::Registry;
use crate::report::feedback;
use crate::report::outset::OutputSet;
use crate::report::summary::{self, AnomalyRow, FileState, FileStatus, RunMeta, SummaryInput};
use crate::schema::Schema;
use crate::validate;
use crate::{Error, Result};

/// The history file every run writes, to be given as `--prior` next year.
pub const HISTORY_FILE: &str = "history.csv";
/// The same long table as Parquet, for DuckDB, polars, pyarrow (`crate::dataset`).
pub const HISTORY_PARQUET: &str = "history.parquet";
/// The folder of feedback workbooks inside the output folder.
pub const FEEDBACK_DIR: &str = "退回";

/// Wall and CPU time per phase, printed to stderr when `HUIZONG_TIMING` is set (for the
/// benchmark; CPU time is read from /proc and left out where there is none).
struct Phases {
    on: bool,
    last: std::time::Instant,
    last_cpu: Option<f64>,
}

impl Phases {
    fn new() -> Self {
        let on = std::env::var_os("HUIZONG_TIMING").is_some();
        Phases {
            on,
            last: std::time::Instant::now(),
            last_cpu: on.then(cpu_seconds).flatten(),
        }
    }

    fn done(&mut self, phase: &str) {
        let cpu = self.on.then(cpu_seconds).flatten();
        if self.on {
            let wall = self.last.elapsed().as_secs_f64();
            match cpu.zip(self.last_cpu) {
                Some((now, before)) => {
                    crate::hintln!("阶段 {phase}: {wall:.3} s (CPU {:.2} s)", now - before)
                }
                None => crate::hintln!("阶段 {phase}: {wall:.3} s"),
            }
        }
        self.last = std::time::Instant::now();
        self.last_cpu = cpu;
    }
}

/// User + system CPU time of this process so far (Linux: /proc/self/stat, 100 ticks a second).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split(' ').skip(11);
    let user: f64 = fields.next()?.parse().ok()?;
    let system: f64 = fields.next()?.parse().ok()?;
    Some((user + system) / 100.0)
}

/// Everything a run needs, resolved from the command line (or a server's state).
pub struct RunConfig {
    pub schema: Schema,
    pub registry: LoadedRegistry,
    /// Submission files and folders.
    pub paths: Vec<PathBuf>,
    pub year: i32,
    /// Last year's submission folder or `history.csv`.
    pub prior: Option<PathBuf>,
    pub out: PathBuf,
    /// The reviewer's decisions on anomalies.
    pub acceptances: Vec<anomaly::Acceptance>,
    /// A progress bar on stderr while reading (only when stderr is a terminal).
    pub progress: bool,
    /// Worker threads; `None` = one per core.
    pub threads: Option<usize>,
    /// Hold back the units with anything left to verify ([`Strict`]).
    pub strict: bool,
}

/// What a run found, for the caller to show (the files are already written).
pub struct RunReport {
    pub outcome: Outcome,
    pub year: i32,
    pub coverage: Coverage,
    /// Error and warning findings of the submissions.
    pub errors: usize,
    pub warnings: usize,
    /// The ranked anomalies.
    pub anomalies: Vec<Finding>,
    /// The 报送情况 rows (every file, then the missing units) and every finding, for a caller
    /// that shows them per unit (`huizong serve`).
    pub files: Vec<FileStatus>,
    pub findings: Vec<Diagnostic>,
}

/// Runs the whole job and writes the outputs into `cfg.out`.
pub fn run(cfg: &RunConfig) -> Result<RunReport> {
    let mut t = Phases::new();
    let schema = &cfg.schema;
    let registry = &cfg.registry;
    let reg = &registry.registry;
    let year = cfg.year;
    let pool = common::pool(cfg.threads)?;
    let files = common::inputs(&cfg.paths, Some(registry))?;
    if files.is_empty() {
        return Err(no_inputs(&cfg.paths, &cfg.out));
    }
    let mut outcomes = common::read_all(&files, schema, &pool, cfg.progress);
    t.done("read");
    // A --year none of the workbooks carries stops the run before anything is touched.
    common::check_year(&outcomes, year)?;
    // Then recover an interrupted earlier run and refuse an --out with foreign files or another
    // year's set; a --prior that is not last year's stops the run below, and `set` is dropped
    // unfinished, so nothing is written and `out` stays as it was.
    let set = OutputSet::prepare_as(&cfg.out, &format!("汇总 {year}"))?;

    let prior = match &cfg.prior {
        Some(p) => super::prior::load(p, schema, Some(registry), year, &pool)?,
        None => Default::default(),
    };
    let mapped_edition = prior.mapped;
    // Last year in this year's codes; as read (its own edition's codes) for the history file.
    let (prior_records, prior_read, editions, prior_findings) = prior.split(schema, year);
    let history_old: &[Record] = prior_read.as_deref().unwrap_or(&prior_records);
    t.done("prior");
    let (prior_mapped, prior_by_unit, units_changed) =
        pool.install(|| common::prior_by_unit(&prior_records, Some(reg), year));
    let batch = common::validate_all(
        &mut outcomes,
        schema,
        Some(registry),
        Some(year),
        &prior_by_unit,
        true,
        &pool,
    );
    drop(prior_by_unit);
    t.done("validate");
    let mut current: Vec<Record> =
        common::accepted_records(&outcomes, schema, Some(reg), year, &pool);
    let no_one = BTreeSet::new();
    let coverage = coverage(
        &outcomes,
        registry,
        year,
        &prior_mapped,
        units_changed,
        &no_one,
    );
    // Last year both ways: mapped onto this year's units for the comparable figures, as read
    // for the figures as reported.
    let prior = aggregate::PriorYear {
        mapped: &prior_mapped,
        reported: &prior_records,
    };
    let mut figures =
        pool.install(|| aggregate::aggregate_years(schema, reg, year, &current, prior, coverage))?;
    // --strict aggregates a second time without the units it holds back, so it keeps last year's
    // mapping; the default run lets it go.
    let kept_prior = if cfg.strict {
        prior_mapped
    } else {
        drop(prior_mapped);
        Vec::new()
    };
    // The units' real explanations go to the anomaly checks (they settle findings of their row).
    let notes = common::unit_notes(&outcomes);
    // The outputs need the files' covers and findings only: the long records now carry every
    // accepted value, and the per-cell copies were a third of the memory at province scale.
    // What the units typed in the cells they must correct goes to their 退回 workbooks first.
    let cells: Vec<feedback::Cells> = outcomes
        .iter()
        .map(|o| {
            o.submission
                .as_ref()
                .map(|s| feedback::cell_facts(s, &o.diagnostics))
                .unwrap_or_default()
        })
        .collect();
    pool.install(|| {
        outcomes
            .par_iter_mut()
            .filter_map(|o| o.submission.as_mut())
            .for_each(|sub| {
                sub.values.clear();
                sub.notes.clear();
            })
    });

    t.done("aggregate");
    let params = anomaly::Params {
        acceptances: cfg.acceptances.clone(),
        ..Default::default()
    };
    // The unit rows are lent to the anomaly checks and given back: no copy of 10,000 × 200 values.
    let mut input = anomaly_input(schema, &mut figures, notes);
    let rates = lend_reported_rates(&mut input.units, &outcomes);
    let (anomalies, detail) = if cfg.strict {
        let anomalies = pool.install(|| anomaly::detect(&input, &params));
        t.done("anomaly");
        figures.units = input.units;
        take_back_reported_rates(&mut figures.units, &rates);
        let strict = Strict {
            schema,
            registry,
            year,
            outcomes: &outcomes,
            params: &params,
            prior: aggregate::PriorYear {
                mapped: &kept_prior,
                reported: &prior_records,
            },
            units_changed,
        };
        let anomalies = strict.hold_back(&mut figures, &mut current, anomalies, &pool)?;
        t.done("strict");
        let history = set.dir().join(HISTORY_FILE);
        history::write_merged(&history, history_old, &current, &editions)?;
        let parquet = set.dir().join(HISTORY_PARQUET);
        crate::dataset::parquet::write_history(&parquet, history_old, &current)?;
        let rows = figures.units.iter().map(detail_row).collect();
        let detail = summary::DetailSheet::build(&figures, schema, reg, rows)?;
        (anomalies, detail)
    } else {
        // The history and the unit rows of the summary's largest sheet do not depend on the
        // anomaly checks: make them meanwhile, then let the long records go before the other
        // outputs are built. The feedback workbooks list the anomalies to verify, so they come
        // after.
        let (anomalies, (early, detail)) = pool.install(|| {
            rayon::join(
                || anomaly::detect(&input, &params),
                || {
                    rayon::join(
                        || -> Result<()> {
                            let history = set.dir().join(HISTORY_FILE);
                            history::write_merged(&history, history_old, &current, &editions)?;
                            let parquet = set.dir().join(HISTORY_PARQUET);
                            crate::dataset::parquet::write_history(&parquet, history_old, &current)
                        },
                        || {
                            let rows = input.units.iter().map(detail_row).collect();
                            summary::DetailSheet::build(&figures, schema, reg, rows)
                        },
                    )
                },
            )
        });
        early?;
        figures.units = input.units;
        take_back_reported_rates(&mut figures.units, &rates);
        (anomalies, detail?)
    };
    drop((prior_records, prior_read, current, kept_prior));
    // An indicator the edition change left without a comparable prior says so (不可比).
    aggregate::mark_editions(&mut figures, schema, mapped_edition);
    // Figures resting on values still to verify say which units they are.
    let pending = unverified_values(&outcomes, &anomalies);
    aggregate::mark_unverified(&mut figures, schema, &pending);

    t.done("anomaly+history");
    let mut findings: Vec<Diagnostic> = outcomes
        .iter()
        .flat_map(|o| o.diagnostics.clone())
        .collect();
    findings.extend(batch);
    findings.extend(prior_findings);
    crate::diagnostic::sort(&mut findings);

    let out = Outputs {
        schema,
        registry,
        year,
        outcomes: &outcomes,
        cells: &cells,
        findings: &findings,
        figures: &figures,
        anomalies: &anomalies,
    };
    pool.install(|| out.write_all(cfg, set.dir(), detail))?;
    let files = out.file_statuses();
    t.done("write");
    for warning in set.commit()? {
        crate::hintln!("提示：{warning}");
    }
    t.done("swap");
    let any_error = findings.iter().any(|d| d.severity == Severity::Error)
        || anomalies
            .iter()
            .any(|a| a.severity == Severity::Error && !a.accepted)
        || !figures.coverage.held_unverified.is_empty();
    let (errors, warnings, _) = validate::counts(&findings);
    Ok(RunReport {
        outcome: if any_error {
            Outcome::Findings
        } else {
            Outcome::Clean
        },
        year,
        coverage: figures.coverage.clone(),
        errors,
        warnings,
        anomalies,
        files,
        findings,
    })
}

/// Whether a rule finding leaves the unit's value unverified: a warning of the value rules
/// (V, N) without a real explanation. Structure warnings (S: an old template version, a cover
/// field left empty, an unknown code's row) say nothing about the values read.
fn leaves_value_unverified(d: &Diagnostic) -> bool {
    d.severity == Severity::Warning
        && d.explanation.is_none()
        && matches!(d.code.prefix(), b'V' | b'N')
}

/// The aggregated units' values still to verify: rule warnings without explanation on their
/// files, and anomalies still 待核实 or 不予认可 at warning or error level.
fn unverified_values(outcomes: &[FileOutcome], anomalies: &[Finding]) -> aggregate::Unverified {
    let mut pending = aggregate::Unverified::default();
    for o in common::accepted(outcomes) {
        let Some(code) = unit_code(o) else { continue };
        for d in o.diagnostics.iter().filter(|d| leaves_value_unverified(d)) {
            pending.add(&code, d.indicator.as_deref());
        }
    }
    for f in anomalies.iter().filter(|f| f.needs_action()) {
        if let Some(unit) = &f.unit {
            pending.add(unit, f.indicator.as_deref());
        }
    }
    pending
}

/// `run --strict`: units with anything left to verify are held back and the county is
/// aggregated again without them.
///
/// The units are judged once, by the first pass over every unit that may be aggregated, exactly
/// as a default run judges them, so a unit's findings and status do not depend on the mode, and
/// holding some back cannot raise new findings against the others. The county-level findings
/// (A09 and the group-level notes, no unit) are found again over the units kept, because they
/// describe the published totals. A unit is held back when [`unverified_values`] lists it: a
/// V/N warning without explanation, or an anomaly still 待核实 or 不予认可 at warning or error
/// level; so the figures published are all verified. The cost (a second aggregation and a second
/// detection) is paid only with `--strict`, and only when some unit is held back.
struct Strict<'a> {
    schema: &'a Schema,
    registry: &'a LoadedRegistry,
    year: i32,
    outcomes: &'a [FileOutcome],
    params: &'a anomaly::Params,
    prior: aggregate::PriorYear<'a>,
    units_changed: bool,
}

impl Strict<'_> {
    /// Holds back the units with open items: `figures` and `current` become the kept units'
    /// and the ranked anomalies are returned (every unit's, county-level ones found again).
    fn hold_back(
        &self,
        figures: &mut Figures,
        current: &mut Vec<Record>,
        anomalies: Vec<Finding>,
        pool: &rayon::ThreadPool,
    ) -> Result<Vec<Finding>> {
        let held: BTreeSet<String> = unverified_values(self.outcomes, &anomalies)
            .units()
            .map(String::from)
            .collect();
        if held.is_empty() {
            return Ok(anomalies);
        }
        current.retain(|r| !held.contains(&*r.unit));
        let reg = &self.registry.registry;
        let cov = coverage(
            self.outcomes,
            self.registry,
            self.year,
            self.prior.mapped,
            self.units_changed,
            &held,
        );
        *figures = pool.install(|| {
            aggregate::aggregate_years(self.schema, reg, self.year, current, self.prior, cov)
        })?;
        let mut input = anomaly_input(self.schema, figures, anomaly::Notes::new());
        let rates = lend_reported_rates(&mut input.units, self.outcomes);
        let county: Vec<Finding> = pool
            .install(|| anomaly::detect(&input, self.params))
            .into_iter()
            .filter(|f| f.unit.is_none())
            .collect();
        figures.units = input.units;
        take_back_reported_rates(&mut figures.units, &rates);
        let mut anomalies = anomalies;
        anomalies.retain(|f| f.unit.is_some());
        anomalies.extend(county);
        anomaly::rerank(&mut anomalies, self.schema);
        Ok(anomalies)
    }
}

/// Who was expected, received, accepted and held back (for errors, and the `held` units of
/// `--strict`, which are not accepted either).
fn coverage(
    outcomes: &[FileOutcome],
    registry: &LoadedRegistry,
    year: i32,
    prior: &[Record],
    units_changed: bool,
    held: &BTreeSet<String>,
) -> Coverage {
    let units = |it: &mut dyn Iterator<Item = &FileOutcome>| -> BTreeSet<String> {
        it.filter_map(|o| o.submission.as_ref()?.cover.unit_code.clone())
            .collect()
    };
    let expected: Vec<String> = registry
        .registry
        .active_in(year)
        .map(|u| u.code.clone())
        .collect();
    let received = units(&mut outcomes.iter());
    let mut accepted = units(&mut common::accepted(outcomes));
    accepted.retain(|u| !held.contains(u));
    let held_back: Vec<String> = received
        .iter()
        .filter(|u| !accepted.contains(*u))
        .cloned()
        .collect();
    let missing: Vec<String> = expected
        .iter()
        .filter(|u| !received.contains(*u))
        .cloned()
        .collect();
    let prior_units: BTreeSet<&str> = prior.iter().map(|r| &*r.unit).collect();
    let changed =
        units_changed || (!prior.is_empty() && prior_units.iter().any(|u| !accepted.contains(*u)));
    Coverage {
        expected,
        received: received.into_iter().collect(),
        accepted: accepted.into_iter().collect(),
        held_back,
        missing,
        prior_units: prior_units.into_iter().map(String::from).collect(),
        units_changed: changed,
        // filled in by the aggregation, which knows whose prior values it compares
        prior_excluded: Vec::new(),
        without_prior: Vec::new(),
        held_unverified: held.iter().cloned().collect(),
        incomplete: Vec::new(),
    }
}

/// The acceptance file given with `--accept`, or none.
pub fn acceptances(path: Option<&Path>) -> Result<Vec<anomaly::Acceptance>> {
    path.map_or_else(|| Ok(Vec::new()), load_acceptances)
}

/// Reads an acceptance file (`--accept`).
pub fn load_acceptances(path: &Path) -> Result<Vec<anomaly::Acceptance>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    anomaly::accept::parse(&text)
        .map_err(|m| Error::Other(format!("审核确认文件 {}：{m}", path.display())))
}

/// The anomaly module's view of the aggregated data.
fn anomaly_input<'a>(
    schema: &'a Schema,
    figures: &mut Figures,
    notes: anomaly::Notes,
) -> AnomalyInput<'a> {
    let county = figures
        .indicators
        .iter()
        .map(|f| {
            let total = CountyTotal {
                current: f.value,
                prior: f.prior,
            };
            (f.code.clone(), total)
        })
        .collect();
    AnomalyInput {
        schema,
        year: Some(figures.year),
        units: std::mem::take(&mut figures.units),
        county,
        notes,
    }
}

/// Adds the rates units typed themselves ([`common::reported_rates`]) to their rows under the
/// rate codes, where A04 looks for them; returns the (unit, rate code) pairs added. Rows are
/// found by unit code; a unit reported twice (S13 copies) keeps its first file's rate.
fn lend_reported_rates(units: &mut [UnitRow], outcomes: &[FileOutcome]) -> Vec<(usize, String)> {
    let mut added = Vec::new();
    for o in common::accepted(outcomes) {
        let rates = common::reported_rates(o);
        if rates.is_empty() {
            continue;
        }
        let Some(code) = o
            .submission
            .as_ref()
            .and_then(|s| s.cover.unit_code.as_deref())
        else {
            continue;
        };
        let Some(i) = units.iter().position(|u| u.code == code) else {
            continue;
        };
        for (rate, v, origin) in rates {
            if added.contains(&(i, rate.clone())) {
                continue;
            }
            units[i].values.insert(rate.clone(), v);
            units[i].origins.insert(rate.clone(), origin);
            added.push((i, rate));
        }
    }
    added
}

/// Removes what [`lend_reported_rates`] added: the figures carry aggregated indicators only.
fn take_back_reported_rates(units: &mut [UnitRow], added: &[(usize, String)]) {
    for (i, rate) in added {
        if let Some(u) = units.get_mut(*i) {
            u.values.remove(rate);
            u.origins.remove(rate);
        }
    }
}

/// A unit's row of the summary's 分单位明细 sheet.
fn detail_row(u: &UnitRow) -> summary::DetailRow<'_> {
    summary::DetailRow {
        code: &u.code,
        name: &u.name,
        kind: u.kind,
        values: &u.values,
    }
}

/// Everything a run writes, computed once.
struct Outputs<'a> {
    schema: &'a Schema,
    registry: &'a LoadedRegistry,
    year: i32,
    outcomes: &'a [FileOutcome],
    /// Per outcome: what its unit typed in the flagged cells ([`feedback::cell_facts`]).
    cells: &'a [feedback::Cells],
    findings: &'a [Diagnostic],
    figures: &'a Figures,
    anomalies: &'a [Finding],
}

impl Outputs<'_> {
    /// The summary workbook and `figures_<year>.json` (the history and the feedback files are
    /// written earlier, alongside the anomaly checks).
    fn write_all(&self, cfg: &RunConfig, dir: &Path, detail: summary::DetailSheet) -> Result<()> {
        let files = self.file_statuses();
        let rows = self.anomaly_rows();
        let meta = RunMeta {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            schema_id: self.schema.id.clone(),
            schema_edition: self.schema.edition.clone(),
            inputs: cfg.paths.iter().map(|p| p.display().to_string()).collect(),
            prior_source: cfg.prior.as_ref().map(|p| p.display().to_string()),
            registry: Some(self.registry.display.clone()),
            run_time: None,
            office: self.registry.settings.office.clone(),
            headline: crate::draft::TemplateSet::defaults().headline_codes(),
        };
        let input = SummaryInput {
            figures: self.figures,
            schema: self.schema,
            registry: &self.registry.registry,
            findings: self.findings,
            files: &files,
            anomalies: &rows,
            meta,
        };
        // The summary workbook is the largest single job; the JSON and the feedback workbooks
        // go alongside it.
        let (summary, (json, feedback)) = rayon::join(
            || {
                write_atomic(
                    &dir.join(summary::file_name(self.year)),
                    &summary::build_summary_with(&input, Some(detail))?,
                )
            },
            || {
                rayon::join(
                    || {
                        let json = figures_json(self.figures, self.anomalies)?;
                        write_atomic(&dir.join(format!("figures_{}.json", self.year)), &json)
                    },
                    || write_feedback(&dir.join(FEEDBACK_DIR), self, &cfg.paths),
                )
            },
        );
        summary.and(json).and(feedback)
    }

    /// Every input file plus every expected unit that sent nothing.
    fn file_statuses(&self) -> Vec<FileStatus> {
        let reg = &self.registry.registry;
        let held: BTreeSet<&str> = self
            .figures
            .coverage
            .held_unverified
            .iter()
            .map(String::as_str)
            .collect();
        let mut out: Vec<FileStatus> = self
            .outcomes
            .iter()
            .map(|o| file_status(o, reg, &held))
            .collect();
        out.extend(
            self.figures
                .coverage
                .missing
                .iter()
                .map(|c| missing_status(c, reg)),
        );
        out
    }

    fn anomaly_rows(&self) -> Vec<AnomalyRow> {
        self.anomalies
            .iter()
            .map(|a| {
                let unit = a.unit.clone().unwrap_or_else(|| "全县".to_string());
                let indicator = a.indicator.clone().unwrap_or_default();
                AnomalyRow {
                    rank: a.rank as u32,
                    entry: a.entry as u32,
                    severity: a.severity,
                    unit_name: a.unit_name.clone().unwrap_or_else(|| unit.clone()),
                    unit,
                    indicator_name: self
                        .schema
                        .indicator(&indicator)
                        .map(|i| i.name.clone())
                        .unwrap_or_default(),
                    indicator,
                    location: a.location.clone(),
                    value: a.value,
                    prior: a.prior,
                    expected: a.expected,
                    statistic: a
                        .statistic
                        .as_ref()
                        .map(anomaly::Statistic::render)
                        .unwrap_or_default(),
                    score: a.score,
                    message: match &a.suggestion {
                        Some(s) => format!("{}；{s}", a.message),
                        None => a.message.clone(),
                    },
                    accepted: a.accepted,
                    accept_reason: a.accept_reason.clone(),
                    status: a.status,
                    explanation: a.explanation.clone(),
                    reject_reason: a.reject_reason.clone(),
                }
            })
            .collect()
    }
}

/// One 退回 workbook per file with something the unit must act on, each under its own name
/// ([`feedback::feedback_file_names`]): its findings that need action, and on the file whose
/// data was checked (the unit's first accepted file) the unit's anomalies still to verify.
fn write_feedback(dir: &Path, out: &Outputs, inputs: &[PathBuf]) -> Result<()> {
    let (outcomes, registry, schema, year) =
        (out.outcomes, &out.registry.registry, out.schema, out.year);
    let verify = verify_items(out.anomalies, schema);
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        if let (Some(code), true) = (
            unit_code(o),
            o.submission.is_some() && !validate::has_errors(o),
        ) {
            checked.entry(code).or_insert(i);
        }
    }
    let none: &[feedback::VerifyItem] = &[];
    let todo: Vec<(usize, Vec<Diagnostic>, &[feedback::VerifyItem])> = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            // The program's own failures (X01) and entries of the county's folder that are not
            // files (S12) are nothing the unit can act on.
            let todo = o
                .diagnostics
                .iter()
                .filter(|d| d.needs_action() && d.code != Code::X01 && d.code != Code::S12)
                .cloned();
            let items = unit_code(o)
                .filter(|c| checked.get(c) == Some(&i))
                .and_then(|c| verify.get(&c))
                .map_or(none, Vec::as_slice);
            (i, todo.collect::<Vec<_>>(), items)
        })
        .filter(|(_, todo, items)| !todo.is_empty() || !items.is_empty())
        .collect();
    let targets: Vec<feedback::FeedbackFor> = todo
        .iter()
        .map(|(i, _, _)| &outcomes[*i])
        .map(|o| feedback::FeedbackFor {
            display: &o.display,
            unit: unit_code(o)
                .and_then(|c| registry.get(&c))
                .map(|u| (u.code.as_str(), u.name.as_str())),
        })
        .collect();
    let names = feedback::feedback_file_names(&targets, year);
    for ((i, todo, items), file) in todo.iter().zip(names) {
        let o = &outcomes[*i];
        let code = unit_code(o).unwrap_or_else(|| "未识别".to_string());
        let name = registry
            .get(&code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| file_stem(&o.display));
        let shown = inbox_name(&o.display, inputs);
        let bytes = feedback::Feedback {
            findings: todo,
            verify: items,
            revision: o.revision.as_ref(),
            cells: out.cells.get(*i),
            schema: Some(schema),
            settings: Some(&out.registry.settings),
            ..feedback::Feedback::new(&code, &name, year, Some(&shown))
        }
        .build()?;
        write_atomic(&dir.join(file), &bytes)?;
    }
    Ok(())
}

/// A file as its unit knows it: the path below the input folder the county named (its name, or
/// `东片/报表.xlsx`), never the county's own folders.
fn inbox_name(display: &str, inputs: &[PathBuf]) -> String {
    let path = Path::new(display);
    inputs
        .iter()
        .filter(|root| root.as_os_str() != path.as_os_str())
        .find_map(|root| path.strip_prefix(root).ok())
        .filter(|rest| !rest.as_os_str().is_empty())
        .map(|rest| rest.display().to_string())
        .unwrap_or_else(|| {
            path.file_name()
                .map_or_else(|| display.to_string(), |n| n.to_string_lossy().into_owned())
        })
}

/// The anomalies each unit must still verify ([`Finding::needs_action`]), in rank order.
fn verify_items(
    anomalies: &[Finding],
    schema: &Schema,
) -> BTreeMap<String, Vec<feedback::VerifyItem>> {
    let mut out: BTreeMap<String, Vec<feedback::VerifyItem>> = BTreeMap::new();
    for f in anomalies.iter().filter(|f| f.needs_action()) {
        let Some(unit) = &f.unit else { continue };
        let indicator_name = f
            .indicator
            .as_deref()
            .and_then(|c| {
                schema.indicator(c).map(|i| i.name.clone()).or_else(|| {
                    schema
                        .rates
                        .iter()
                        .find(|r| r.code == c)
                        .map(|r| r.name.clone())
                })
            })
            .unwrap_or_default();
        out.entry(unit.clone())
            .or_default()
            .push(feedback::VerifyItem {
                code: f.code,
                severity: f.severity,
                location: anomaly::parse_location(&f.location),
                indicator: f.indicator.clone(),
                indicator_name,
                value: f.value,
                prior: f.prior,
                expected: f.expected,
                message: f.message.clone(),
                suggestion: f.suggestion.clone(),
                explanation: f.explanation.clone(),
                review: f.reject_reason.clone(),
            });
    }
    out
}

/// The 报送情况 row of one input file: what became of it, in the order the checks decide
/// (a copy, a replaced version, unreadable, unordered versions, outside the registry, errors,
/// held back by `--strict` for `held` units, aggregated). `rollup` uses it for its own
/// offices' workbooks.
pub(super) fn file_status(o: &FileOutcome, reg: &Registry, held: &BTreeSet<&str>) -> FileStatus {
    // a copy's own reading was dropped; its finding names the unit of the original
    let code = unit_code(o).or_else(|| o.diagnostics.iter().find_map(|d| d.unit.clone()));
    let unit = code.as_deref().and_then(|c| reg.get(c));
    let (errors, warnings, _) = validate::counts(&o.diagnostics);
    let superseded = o
        .revision
        .as_ref()
        .is_some_and(|r| r.role == validate::versions::Role::Superseded);
    let status = if o.diagnostics.iter().any(|d| d.code == validate::COPY) {
        FileState::Copy
    } else if superseded {
        FileState::Superseded
    } else if o.submission.is_none() {
        FileState::Unreadable
    } else if o.diagnostics.iter().any(|d| d.code == Code::S10) {
        FileState::Duplicate
    } else if unit.is_none() {
        FileState::Unregistered
    } else if validate::has_errors(o) {
        FileState::Returned
    } else if code.as_ref().is_some_and(|c| held.contains(c.as_str())) {
        FileState::HeldUnverified
    } else {
        FileState::Aggregated
    };
    FileStatus {
        unit: code.clone(),
        unit_name: unit.map(|u| u.name.clone()).unwrap_or_else(|| {
            o.submission
                .as_ref()
                .and_then(|s| s.cover.unit_name.clone())
                .unwrap_or_default()
        }),
        kind: unit.map(|u| u.kind),
        status,
        file: Some(o.display.clone()),
        sha256: Some(o.sha256.clone()),
        errors: errors as u32,
        warnings: warnings as u32,
        revision: o.revision.clone(),
    }
}

/// The 报送情况 row of an expected unit that sent nothing.
pub(super) fn missing_status(code: &str, reg: &Registry) -> FileStatus {
    let unit = reg.get(code);
    FileStatus {
        unit: Some(code.to_string()),
        unit_name: unit.map(|u| u.name.clone()).unwrap_or_default(),
        kind: unit.map(|u| u.kind),
        status: FileState::Missing,
        file: None,
        sha256: None,
        errors: 0,
        warnings: 0,
        revision: None,
    }
}

/// The run could not start: no input file at all. Nothing is written, earlier outputs stay.
fn no_inputs(paths: &[PathBuf], out: &Path) -> Error {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    Error::Usage(format!(
        "在 {} 中没有找到任何报表文件（隐藏文件、~$ 开头的锁文件、units.csv 和 huizong 的输出文件夹不算）。\
         本次没有汇总，{} 中原有的输出保持不变",
        shown.join("、"),
        out.display()
    ))
}

fn unit_code(o: &FileOutcome) -> Option<String> {
    o.submission.as_ref()?.cover.unit_code.clone()
}

fn file_stem(display: &str) -> String {
    Path::new(display)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| display.to_string())
}

/// `figures_<year>.json`: the county figures plus the ranked anomalies. Serialised straight from
/// the structs (fields in declaration order): going through `serde_json::Value` first doubled
/// the memory of the largest output at province scale.
pub(super) fn figures_json(figures: &Figures, anomalies: &[Finding]) -> Result<Vec<u8>> {
    #[derive(serde::Serialize)]
    struct FiguresJson<'a> {
        #[serde(flatten)]
        figures: &'a Figures,
        anomalies: &'a [Finding],
    }
    let mut out = serde_json::to_vec_pretty(&FiguresJson { figures, anomalies })
        .map_err(|e| Error::Other(format!("无法生成 figures JSON：{e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// The 异常提示 rows of a roll-up's anomalies: the same rows a run writes.
pub(super) fn anomaly_rows(
    schema: &Schema,
    registry: &LoadedRegistry,
    figures: &Figures,
    anomalies: &[Finding],
) -> Vec<AnomalyRow> {
    let out = Outputs {
        schema,
        registry,
        year: figures.year,
        outcomes: &[],
        cells: &[],
        findings: &[],
        figures,
        anomalies,
    };
    out.anomaly_rows()
}
