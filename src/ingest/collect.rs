//! Listing the input files.
//!
//! Files named on the command line are taken as given. Folders are walked recursively and
//! **every** file in them is an input, whatever its extension, except hidden files and folders
//! (`.name`), Office lock files (`~$name`) and OS clutter (`Thumbs.db`, `desktop.ini`). A unit
//! that sends a `.docx`, a `.csv` or an HTML export instead of a workbook then gets a clear S01
//! finding from sniffing instead of being silently ignored; a `.xlsx` that is really an `.xls`
//! is read anyway, since the reader is chosen by content.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// OS files that are never submissions.
const CLUTTER: [&str; 2] = ["thumbs.db", "desktop.ini"];
/// Deep enough for any real folder tree, shallow enough to stop symlink loops.
const MAX_DEPTH: usize = 32;

/// See [`crate::ingest::collect_inputs`].
pub fn collect(paths: &[PathBuf]) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| Error::Read {
            path: p.clone(),
            source,
        })?;
        let typed = p.to_string_lossy().replace('\\', "/");
        if meta.is_dir() {
            let prefix = typed.trim_end_matches('/').to_owned();
            walk(p, &prefix, 0, &mut out)?;
        } else {
            out.push((p.clone(), typed));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// Whether a directory entry is skipped.
pub fn skipped(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with("~$")
        || CLUTTER.contains(&name.to_lowercase().as_str())
}

fn walk(dir: &Path, display: &str, depth: usize, out: &mut Vec<(PathBuf, String)>) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let read_err = |source| Error::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        entries.push(entry.path());
    }
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if skipped(&name) {
            continue;
        }
        let shown = if display.is_empty() {
            name.clone()
        } else {
            format!("{display}/{name}")
        };
        // Follows symlinks; a broken link is reported like any unreadable input.
        let meta = std::fs::metadata(&path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk(&path, &shown, depth + 1, out)?;
        } else {
            out.push((path, shown));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_locks_hidden_and_clutter() {
        assert!(skipped("~$T01.xlsx"));
        assert!(skipped(".DS_Store"));
        assert!(skipped("Thumbs.db"));
        assert!(skipped("desktop.ini"));
        assert!(!skipped("T01_城关镇.xlsx"));
        assert!(!skipped("说明.docx"));
    }
}
