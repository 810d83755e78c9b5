//! The open dataset: every county-year's accepted long data as Parquet in Hive-style partitions,
//! for the users who outgrow one machine (a province's or the nation's years): DuckDB on one PC,
//! Spark or Trino over the same files, read as one table.
//!
//! ```text
//! 数据集/year=2024/region=411321/part-0.parquet
//! 数据集/year=2024/region=411322/part-0.parquet
//! 数据集/year=2023/region=411321/part-0.parquet
//! ```
//!
//! Each partition file holds one county's accepted records of one year (the rows of its run's
//! `history.csv` for that year) with the columns of [`parquet`] except `year`, which, like
//! `region`, is a partition key in the path (engines add both as columns; a file column of the
//! same name would clash with them). Adding a county-year again replaces its one file, so
//! `huizong dataset add` is idempotent. Queries: docs/dataset.md.

pub mod parquet;

use std::path::{Path, PathBuf};

use crate::aggregate::Record;
use crate::Result;

/// The one file of a partition.
pub const PART_FILE: &str = "part-0.parquet";

/// `<into>/year=<year>/region=<region>/part-0.parquet`.
pub fn partition_file(into: &Path, year: i32, region: &str) -> PathBuf {
    into.join(format!("year={year}"))
        .join(format!("region={region}"))
        .join(PART_FILE)
}

/// Writes (or replaces) the county-year's partition; returns its file.
pub fn write_partition(
    into: &Path,
    year: i32,
    region: &str,
    records: &[&Record],
) -> Result<PathBuf> {
    let file = partition_file(into, year, region);
    parquet::write(&file, records, parquet::Layout::Partition)?;
    Ok(file)
}
