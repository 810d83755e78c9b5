//! huizong (汇总): year-end consolidation of a county's 法治政府建设 statistics.
//!
//! The pipeline, in module order:
//!
//! 1. [`ingest`] reads one returned workbook (xlsx/xlsm/xls/ods) into a [`ingest::Submission`],
//!    normalising every value and keeping its origin cell.
//! 2. [`validate`] runs the schema's rules on each submission and across the batch.
//! 3. [`aggregate`] sums accepted submissions into county figures with year-on-year change (polars).
//! 4. [`anomaly`] ranks plausible-looking but suspicious submissions.
//! 5. [`report`] writes the summary workbook, the feedback workbooks and the blank templates.
//! 6. [`draft`] turns the county figures into the sentences of the annual report.
//!
//! One level up, `pipeline::rollup` adds counties' run outputs into a city's figures (and
//! cities' into a province's) with [`aggregate::rollup`], and [`dataset`] keeps every
//! county-year's long data as Parquet partitions for engines such as DuckDB.
//!
//! [`schema`] (indicators, rates, rules) and [`registry`] (who must report) are the two inputs that
//! configure everything; [`sheets`] fixes the template layout shared by the writer and the reader.

pub mod aggregate;
pub mod anomaly;
pub mod cli;
pub mod codes;
pub mod commands;
pub mod console;
pub mod dataset;
pub mod diagnostic;
pub mod draft;
pub mod error;
pub mod ingest;
pub mod io;
pub mod pipeline;
pub mod registry;
pub mod report;
pub mod sample;
pub mod schema;
pub mod serve;
pub mod settings;
pub mod sheets;
pub mod validate;

pub use error::{Error, Result};
