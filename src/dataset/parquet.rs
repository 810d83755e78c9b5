//! The long table as a Parquet file: `history.parquet` beside `history.csv`, and each
//! county-year of an open dataset (see [`super`]).
//!
//! Written with the arrow-rs `parquet` crate's column writers, without arrow (the records are
//! already columns of plain values) and with gzip only, whose deflate the tree has through `zip`:
//! the writer adds a few crates, not polars' network stack (costs in docs/dataset.md).
//!
//! Columns, all required:
//!
//! | column | Parquet type | |
//! |---|---|---|
//! | `year` | INT32 | only in `history.parquet`; a dataset has it as a partition key |
//! | `unit_code` | BYTE_ARRAY (STRING) | |
//! | `unit_kind` | BYTE_ARRAY (STRING) | the registry key (`township` …, `county` in a roll-up) |
//! | `indicator` | BYTE_ARRAY (STRING) | |
//! | `value` | DOUBLE | exactly the number of `history.csv` |
//! | `source` | BYTE_ARRAY (STRING) | `file!sheet!cell` (or the figures file in a roll-up) |
//!
//! Rows are in the history file's order (year, unit, indicator), so the same records give the
//! same bytes: the writer stamps no time, and `created_by` is fixed to the tool's name.

use parquet::basic::{Compression, GzipLevel};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int32Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::path::Path;
use std::sync::Arc;

use crate::aggregate::{history, Record};
use crate::{Error, Result};

/// Rows per row group: one group for a county (a few thousand rows), bounded for a province's
/// history (two million rows would otherwise be one group held in memory at once).
const ROWS_PER_GROUP: usize = 256 * 1024;

/// Whether the file carries the `year` column (`history.parquet`) or leaves it to the
/// partition path (a dataset's `year=2024/region=411321/part-0.parquet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    WithYear,
    Partition,
}

/// Writes `records` (any order; written sorted like `history.csv`) to `path` atomically.
pub fn write(path: &Path, records: &[&Record], layout: Layout) -> Result<()> {
    let bytes = to_bytes(records, layout)
        .map_err(|e| Error::Other(format!("无法写出 Parquet 文件 {}：{e}", path.display())))?;
    crate::io::write_atomic(path, &bytes)
}

/// `history.parquet`: the same rows as `history.csv` after [`history::write_merged`] (the years
/// of `new` replace those years of `old`).
pub fn write_history(path: &Path, old: &[Record], new: &[Record]) -> Result<()> {
    let years: std::collections::BTreeSet<i32> = new.iter().map(|r| r.year).collect();
    let rows: Vec<&Record> = old
        .iter()
        .filter(|r| !years.contains(&r.year))
        .chain(new)
        .collect();
    write(path, &rows, Layout::WithYear)
}

/// The file's bytes.
pub fn to_bytes(records: &[&Record], layout: Layout) -> parquet::errors::Result<Vec<u8>> {
    let mut rows: Vec<&Record> = records.to_vec();
    rows.sort_by(|a, b| history::order(a, b));
    if let Some(r) = rows.iter().find(|r| !r.value.is_finite()) {
        return Err(parquet::errors::ParquetError::General(format!(
            "{} 的 {} 数值无效（{}）",
            r.unit, r.indicator, r.value
        )));
    }
    let year = match layout {
        Layout::WithYear => "REQUIRED INT32 year;",
        Layout::Partition => "",
    };
    let schema = parse_message_type(&format!(
        "message huizong_history {{
            {year}
            REQUIRED BYTE_ARRAY unit_code (STRING);
            REQUIRED BYTE_ARRAY unit_kind (STRING);
            REQUIRED BYTE_ARRAY indicator (STRING);
            REQUIRED DOUBLE value;
            REQUIRED BYTE_ARRAY source (STRING);
        }}"
    ))?;
    let props = WriterProperties::builder()
        .set_created_by(format!("huizong {}", env!("CARGO_PKG_VERSION")))
        .set_compression(Compression::GZIP(GzipLevel::default()))
        .build();
    let mut out = Vec::new();
    let mut writer = SerializedFileWriter::new(&mut out, Arc::new(schema), Arc::new(props))?;
    for group in rows.chunks(ROWS_PER_GROUP) {
        let mut rg = writer.next_row_group()?;
        if layout == Layout::WithYear {
            let years: Vec<i32> = group.iter().map(|r| r.year).collect();
            write_column::<Int32Type>(&mut rg, &years)?;
        }
        let text = |f: fn(&Record) -> &str| -> Vec<ByteArray> {
            group
                .iter()
                .map(|r| ByteArray::from(f(r).as_bytes().to_vec()))
                .collect()
        };
        write_column::<ByteArrayType>(&mut rg, &text(|r| &r.unit))?;
        write_column::<ByteArrayType>(&mut rg, &text(|r| r.kind.key()))?;
        write_column::<ByteArrayType>(&mut rg, &text(|r| &r.indicator))?;
        let values: Vec<f64> = group.iter().map(|r| r.value).collect();
        write_column::<DoubleType>(&mut rg, &values)?;
        write_column::<ByteArrayType>(&mut rg, &text(|r| &r.origin))?;
        rg.close()?;
    }
    writer.close()?;
    Ok(out)
}

/// Writes the next column of the row group (the schema fixes their order).
fn write_column<T: parquet::data_type::DataType>(
    rg: &mut parquet::file::writer::SerializedRowGroupWriter<'_, &mut Vec<u8>>,
    values: &[T::T],
) -> parquet::errors::Result<()> {
    let mut col = rg.next_column()?.ok_or_else(|| {
        parquet::errors::ParquetError::General("Parquet 列数与表结构不符".to_string())
    })?;
    col.typed::<T>().write_batch(values, None, None)?;
    col.close()
}
