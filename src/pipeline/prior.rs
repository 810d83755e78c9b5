//! The prior year (`--prior`) in this year's terms. Last year's data is read in the edition of
//! the indicator system it was collected in — a history file's `指标体系` column (a file
//! without it: the schema in force), a folder's cover template version — and its records are
//! mapped into this year's indicator codes ([`crate::aggregate::map_edition`]) before anything
//! compares the years (cross-period rules, the comparable prior, YoY). Records under codes
//! neither edition knows are an S15 finding. The records as read stay for the history file,
//! which keeps every year in its own edition.

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

use super::batch::{self as common, LoadedRegistry};
use crate::aggregate::{history, map_edition, Record};
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Location};
use crate::ingest::FileOutcome;
use crate::schema::Schema;
use crate::{Error, Result};

/// Last year's data, read and mapped.
#[derive(Debug, Default)]
pub struct Prior {
    /// Last year's records in this year's indicator codes (every year's as read when no
    /// mapping was needed).
    pub records: Vec<Record>,
    /// The records as read, when the mapping changed them.
    read: Option<Vec<Record>>,
    /// The edition of each year read (history file) or of the folder's year.
    editions: BTreeMap<i32, String>,
    /// The id of the edition last year's data was in.
    pub edition: String,
    /// Whether last year was mapped from the previous edition.
    pub mapped: bool,
    /// S15 findings.
    pub findings: Vec<Diagnostic>,
}

impl Prior {
    /// The records as read (for the history file: each year in its own codes).
    pub fn as_read(&self) -> &[Record] {
        self.read.as_deref().unwrap_or(&self.records)
    }

    /// Takes the records apart: (this year's codes, as read when different), the editions of
    /// the history file a run of `year` writes, the S15 findings.
    pub fn split(
        self,
        schema: &Schema,
        year: i32,
    ) -> (
        Vec<Record>,
        Option<Vec<Record>>,
        history::Editions,
        Vec<Diagnostic>,
    ) {
        let editions = self.history_editions(schema, year);
        (self.records, self.read, editions, self.findings)
    }

    /// The editions of the history file a run of `year` with `schema` writes: the years read
    /// keep theirs, `year` itself is `schema`'s.
    pub fn history_editions(&self, schema: &Schema, year: i32) -> history::Editions {
        let mut by_year = self.editions.clone();
        by_year.remove(&year);
        history::Editions {
            by_year,
            default: schema.id.clone(),
        }
    }
}

/// Reads `path` (a history file or last year's folder) as last year's data of a `year` run.
pub fn load(
    path: &Path,
    schema: &Schema,
    registry: Option<&LoadedRegistry>,
    year: i32,
    pool: &rayon::ThreadPool,
) -> Result<Prior> {
    let prior_year = year - 1;
    if path.is_file() && !common::is_workbook(path) {
        let (records, editions) = history::read_editions(path)?;
        common::check_history_years(&records, path, year)?;
        let id = editions
            .get(&prior_year)
            .cloned()
            .unwrap_or_else(|| schema.id.clone());
        let read_in = edition(schema, &id, path)?;
        common::check_prior_bounds(&records, read_in, path, year)?;
        return Ok(finish(records, editions, read_in, schema, year, path));
    }
    let files = common::inputs(&[path.to_path_buf()], registry)?;
    let mut outcomes = common::read_all(&files, schema, pool, false);
    common::check_prior_year(&outcomes, path, year)?;
    let read_in = folder_edition(&outcomes, schema);
    if read_in.id != schema.id {
        // Rows are found by the codes and labels of the edition the workbooks were made from.
        pool.install(|| std::mem::take(&mut outcomes).into_par_iter().for_each(drop));
        outcomes = common::read_all(&files, read_in, pool, false);
    }
    common::validate_all(
        &mut outcomes,
        read_in,
        registry,
        Some(prior_year),
        &BTreeMap::new(),
        false,
        pool,
    );
    let reg = registry.map(|r| &r.registry);
    let records = common::accepted_records(&outcomes, read_in, reg, prior_year, pool);
    // Ten thousand files' cell maps are millions of small allocations: free them on the pool,
    // not one by one on this thread.
    pool.install(|| outcomes.into_par_iter().for_each(drop));
    let editions = BTreeMap::from([(prior_year, read_in.id.clone())]);
    Ok(finish(records, editions, read_in, schema, year, path))
}

/// The schema of edition `id`: this year's, or the previous edition it declares.
fn edition<'a>(schema: &'a Schema, id: &str, path: &Path) -> Result<&'a Schema> {
    if id == schema.id {
        return Ok(schema);
    }
    match schema.previous() {
        Some(p) if p.id == id => Ok(p),
        _ => Err(Error::Usage(format!(
            "--prior {}：上年数据按指标体系“{id}”填报，本次使用的指标体系是“{}”，{}；\
             请用 --schema 给出在 [previous] 中写明上一版为“{id}”的本年指标体系（上一版不是内置版本时再用 --prior-schema 给出它的文件），\
             本次未做处理，没有写出任何文件",
            path.display(),
            schema.id,
            match schema.previous() {
                Some(p) => format!("它的上一版是“{}”", p.id),
                None => "它没有写明上一版".to_string(),
            }
        ))),
    }
}

/// The edition most of the folder's covers name by template version: the previous edition's
/// when it is that one's, else this year's (a foreign version is V05 on each file).
fn folder_edition<'a>(outcomes: &[FileOutcome], schema: &'a Schema) -> &'a Schema {
    let Some(prev) = schema.previous() else {
        return schema;
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in outcomes
        .iter()
        .filter_map(|o| o.submission.as_ref()?.cover.template_version.as_deref())
    {
        *counts.entry(v.trim()).or_default() += 1;
    }
    let old = counts
        .get(prev.template_version.trim())
        .copied()
        .unwrap_or(0);
    let new = counts
        .get(schema.template_version.trim())
        .copied()
        .unwrap_or(0);
    if old > new {
        prev
    } else {
        schema
    }
}

fn finish(
    records: Vec<Record>,
    editions: BTreeMap<i32, String>,
    read_in: &Schema,
    schema: &Schema,
    year: i32,
    path: &Path,
) -> Prior {
    let mapped = map_edition(&records, year, read_in, schema);
    let findings = mapped
        .unknown
        .iter()
        .map(|(code, n)| {
            let mut d = Diagnostic::new(
                Code::S15,
                schema.severity(Code::S15),
                Location::file(path.display().to_string()),
                format!(
                    "上年数据中 {n} 条记录的指标代码“{code}”既不在上年的指标体系（{}）中，也不在本年的指标体系（{}）中，\
                     未计入上年数；请核对该文件，或用 --schema/--prior-schema 给出两年所用的指标体系",
                    read_in.id, schema.id
                ),
            );
            d.indicator = Some(code.clone());
            d
        })
        .collect();
    let is_mapped = mapped.records.is_some();
    let (records, read) = match mapped.records {
        Some(m) => (m, Some(records)),
        None => (records, None),
    };
    Prior {
        records,
        read,
        editions,
        edition: read_in.id.clone(),
        mapped: is_mapped,
        findings,
    }
}
