//! Workbook writing (rust_xlsxwriter types stay inside this module): the blank templates handed
//! to units, the county summary workbook and the per-unit feedback workbooks.

pub mod feedback;
mod styles;
pub mod summary;
pub mod template;

use std::path::Path;

use crate::Result;

/// A fixed document timestamp, so the same inputs give byte-identical workbooks.
pub const FIXED_DATETIME: (u16, u8, u8) = (2000, 1, 1);

/// Saves `bytes` to `path` through a temporary file in the same folder and a rename, so an
/// interrupted run never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::write(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| crate::Error::write(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        crate::Error::write(path, e)
    })
}
