//! Workbook writing (rust_xlsxwriter types stay inside this module): the blank templates handed
//! to units, the county summary workbook and the per-unit feedback workbooks; and writing
//! outputs safely: each file atomically ([`write_atomic`]), each command's outputs as one set
//! ([`outset`]).

pub mod feedback;
pub mod outset;
mod styles;
pub mod summary;
pub mod template;

use std::io::Write;
use std::path::Path;

use crate::Result;

/// A fixed document timestamp, so the same inputs give byte-identical workbooks.
pub const FIXED_DATETIME: (u16, u8, u8) = (2000, 1, 1);

/// Deflate level of the zip container. Excel 365 saves at 3; the writer's default 6 spent twice
/// as long compressing (a fifth of writing the 1-million-cell summary at 10,000 units) for files
/// about 5 % smaller.
const ZIP_LEVEL: u8 = 3;

/// A new workbook with the house zip settings.
fn new_workbook() -> rust_xlsxwriter::Workbook {
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.set_zip_compression_level(ZIP_LEVEL);
    wb
}

/// Saves `bytes` to `path` through a temporary file in the same folder and a rename, so an
/// interrupted run never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`] for a file produced piece by piece: `fill` writes into a buffered temporary
/// file, which is renamed over `path` only when `fill` succeeds. Large outputs (the history file
/// is ~150 MB at 10,000 units) then never sit in memory whole.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
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
    let written = std::fs::File::create(&tmp).and_then(|file| {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        w.flush()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(crate::Error::write(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        crate::Error::write(path, e)
    })
}
