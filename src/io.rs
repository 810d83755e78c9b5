//! Writing files safely: a file appears whole or not at all. Every output of the program goes
//! through [`write_atomic`] or [`write_atomic_with`]; a command's outputs as a set are
//! [`crate::report::outset`]'s job.

use std::io::Write;
use std::path::Path;

use crate::Result;

/// The marker and manifest file in every output folder the tool wrote
/// ([`crate::report::outset`] writes it; the input walk skips folders that hold it).
pub const MARKER: &str = ".huizong-output";

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
