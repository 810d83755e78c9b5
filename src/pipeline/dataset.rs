//! `huizong dataset add`: one county-year of a run's output into an open dataset folder
//! ([`crate::dataset`]), replacing that county-year if it is there already.

use std::path::{Path, PathBuf};

use super::rollup::read_output;
use crate::aggregate::{history, Level, Record};
use crate::io::MARKER;
use crate::{Error, Result};

/// What was added.
#[derive(Debug, Clone)]
pub struct AddReport {
    pub year: i32,
    pub region: String,
    /// Records written (the run's accepted values of its year).
    pub records: usize,
    /// The partition file, and whether it replaced an earlier one.
    pub file: PathBuf,
    pub replaced: bool,
}

/// Adds the run output `from` (a county's `huizong run --out` folder) to the dataset `into`.
pub fn add(from: &Path, into: &Path) -> Result<AddReport> {
    let output = read_output(from, None)?;
    if output.level != Level::County {
        return Err(Error::Usage(format!(
            "{}：是{}级汇总（huizong rollup）的输出；数据集只收各县 huizong run 的输出，\
             市、省的合计由查询得出（见 docs/dataset.md），重复收入会重复计算",
            output.display,
            output.level.area()
        )));
    }
    if into.join(MARKER).exists() {
        return Err(Error::Usage(format!(
            "--into {}：是 huizong 某次运行的输出文件夹，不能作为数据集文件夹；请另选一个文件夹",
            into.display()
        )));
    }
    let year = output.year;
    let region = output.region().ok_or_else(|| {
        Error::Usage(format!(
            "{}：figures JSON 中没有区划代码，数据集无法分区：该县单位名册的 parent 列应填 6 位县级行政区划代码，\
             填好后重新运行汇总",
            output.display
        ))
    })?;
    let path = from.join(super::HISTORY_FILE);
    let all = history::read(&path)?;
    let records: Vec<&Record> = all.iter().filter(|r| r.year == year).collect();
    let file = crate::dataset::partition_file(into, year, &region);
    let replaced = file.exists();
    crate::dataset::write_partition(into, year, &region, &records)?;
    Ok(AddReport {
        year,
        region,
        records: records.len(),
        file,
        replaced,
    })
}
