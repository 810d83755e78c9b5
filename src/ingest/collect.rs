//! Listing the input files.
//!
//! Files named on the command line are taken as given. Folders are walked recursively and
//! **every** file in them is an input, whatever its extension, except hidden files and folders
//! (`.name`), Office lock files (`~$name`) and OS clutter (`Thumbs.db`, `desktop.ini`). A unit
//! that sends a `.docx`, a `.csv` or an HTML export instead of a workbook then gets a clear S01
//! finding from sniffing instead of being silently ignored; a `.xlsx` that is really an `.xls`
//! is read anyway, since the reader is chosen by content.
//!
//! The walk must finish on any folder a clerk can make:
//! - a directory is entered once, identified by (device, inode) (by its canonical path off
//!   Unix), so links to a parent or to itself cannot make the walk loop or blow up;
//! - entries that are not regular files (dangling links, FIFOs, devices, sockets, folders that
//!   cannot be listed) are still listed: [`crate::ingest::read_file`] checks the file type
//!   before it opens anything and turns each of them into an S12 finding for that entry, so one
//!   bad entry never stops the batch;
//! - the same file reached twice (`./x` and `x`, a folder and a file inside it, a link to a
//!   file in the batch) is one input: the first path in sorted order is kept;
//! - a folder holding the tool's own output marker ([`crate::io::MARKER`]) is
//!   skipped, so an output folder inside the input folder is never read back as submissions.
//!   Those folders are returned in [`Collected::skipped_outputs`] for the command to mention.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::io::MARKER;
use crate::{Error, Result};

/// OS files that are never submissions.
const CLUTTER: [&str; 2] = ["thumbs.db", "desktop.ini"];
/// Deep enough for any real folder tree; a backstop only, loops are stopped by the visited set.
const MAX_DEPTH: usize = 32;

/// The inputs found under the paths given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Collected {
    /// (path to open, path as shown to the user), sorted by the shown path, one per file.
    pub files: Vec<(PathBuf, String)>,
    /// Output folders of this tool that were skipped, as shown to the user.
    pub skipped_outputs: Vec<String>,
}

/// How a file or directory is told apart from others: (device, inode) on Unix, else its
/// canonical path. `None` when it cannot be found out (a dangling link): such entries are
/// never merged with others.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(not(unix))]
    Path(PathBuf),
}

fn identity(path: &Path, meta: &std::fs::Metadata) -> Option<Identity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        Some(Identity::Inode(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        std::fs::canonicalize(path).ok().map(Identity::Path)
    }
}

struct Walk {
    visited: HashSet<Identity>,
    files: Vec<(PathBuf, String, Option<Identity>)>,
    skipped_outputs: Vec<String>,
}

/// See [`crate::ingest::collect_inputs`].
pub fn collect(paths: &[PathBuf]) -> Result<Collected> {
    let mut w = Walk {
        visited: HashSet::new(),
        files: Vec::new(),
        skipped_outputs: Vec::new(),
    };
    for p in paths {
        // A path the user typed that does not exist at all is a usage error; a link that
        // exists but points nowhere is an input that gets its finding.
        std::fs::symlink_metadata(p).map_err(|source| Error::Read {
            path: p.clone(),
            source,
        })?;
        let typed = p.to_string_lossy().replace('\\', "/");
        match std::fs::metadata(p) {
            Ok(meta) if meta.is_dir() => {
                let prefix = typed.trim_end_matches('/').to_owned();
                if is_output_folder(p) {
                    w.skipped_outputs.push(prefix);
                    continue;
                }
                if let Some(id) = identity(p, &meta) {
                    if !w.visited.insert(id) {
                        continue;
                    }
                }
                let entries = std::fs::read_dir(p).map_err(|source| Error::Read {
                    path: p.clone(),
                    source,
                })?;
                w.walk_entries(p, entries, &prefix, 0);
            }
            Ok(meta) => {
                let id = identity(p, &meta);
                w.files.push((p.clone(), typed, id));
            }
            Err(_) => w.files.push((p.clone(), typed, None)),
        }
    }
    let mut files = w.files;
    files.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let mut seen: HashSet<Identity> = HashSet::new();
    let mut seen_paths: HashSet<PathBuf> = HashSet::new();
    files.retain(|(path, _, id)| match id {
        Some(id) => seen.insert(id.clone()),
        None => seen_paths.insert(path.clone()),
    });
    Ok(Collected {
        files: files.into_iter().map(|(p, d, _)| (p, d)).collect(),
        skipped_outputs: w.skipped_outputs,
    })
}

/// Whether a directory entry is skipped.
pub fn skipped(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with("~$")
        || CLUTTER.contains(&name.to_lowercase().as_str())
}

/// Whether `dir` holds the marker the tool writes into its output folders.
fn is_output_folder(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

impl Walk {
    fn walk_entries(&mut self, dir: &Path, entries: std::fs::ReadDir, display: &str, depth: usize) {
        let mut list = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => list.push(e.path()),
                Err(_) => {
                    // The listing broke off: report the folder itself as an entry that could
                    // not be read rather than silently using half of it.
                    self.files
                        .push((dir.to_path_buf(), display.to_owned(), None));
                    return;
                }
            }
        }
        list.sort();
        for path in list {
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
            // Follows links; a dangling one is listed and gets its finding when it is read.
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(_) => {
                    self.files.push((path, shown, None));
                    continue;
                }
            };
            if !meta.is_dir() {
                let id = identity(&path, &meta);
                self.files.push((path, shown, id));
                continue;
            }
            if is_output_folder(&path) {
                self.skipped_outputs.push(shown);
                continue;
            }
            if let Some(id) = identity(&path, &meta) {
                if !self.visited.insert(id) {
                    continue; // already walked: a link back to a parent or to a folder seen
                }
            }
            if depth + 1 > MAX_DEPTH {
                // too deep to be a real folder tree: listed, so it gets a finding (S12)
                self.files.push((path, shown, None));
                continue;
            }
            match std::fs::read_dir(&path) {
                Ok(sub) => self.walk_entries(&path, sub, &shown, depth + 1),
                // read_file names the reason (permission denied, …) for this entry
                Err(_) => self.files.push((path, shown, None)),
            }
        }
    }
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
