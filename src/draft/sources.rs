//! The companion table `<stem>_数据来源.csv`: every number in the text with the indicator or rate
//! it came from, the units whose accepted values fed it, and those of them whose values are not
//! verified yet (the sentence says 含待核实数据), so each figure can be checked.

use std::path::{Path, PathBuf};

use super::SourceRow;
use crate::{Error, Result};

/// The header row.
pub const HEADER: [&str; 8] = [
    "段落",
    "数值",
    "指标代码",
    "指标名称",
    "本年",
    "上年",
    "来源单位",
    "待核实单位",
];

/// `报告.docx` → `报告_数据来源.csv` in the same folder.
pub fn path_for(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}_数据来源.csv"))
}

/// The CSV bytes, UTF-8 with a BOM so Excel opens the Chinese text correctly.
pub fn to_csv(rows: &[SourceRow]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    let fail = |e: csv::Error| Error::Other(format!("无法生成数据来源表：{e}"));
    w.write_record(HEADER).map_err(fail)?;
    for r in rows {
        let units = r.units.join("、");
        let unverified = r.unverified.join("、");
        w.write_record([
            r.section.as_str(),
            r.text.as_str(),
            r.code.as_str(),
            r.name.as_str(),
            r.value.as_str(),
            r.prior.as_str(),
            units.as_str(),
            unverified.as_str(),
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| Error::Other(format!("无法生成数据来源表：{e}")))
}
