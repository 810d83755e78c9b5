//! The output folder as one set: a command's outputs (`run`: summary, figures JSON, history,
//! 退回/; `template`: the blank workbooks) replace the previous set whole, or not at all.
//!
//! Each file alone was already written atomically; the set was not, so a run killed while
//! writing left a new history beside old figures, and a rerun left the previous run's 退回
//! files behind. Now a command writes everything into a fresh staging folder beside the output
//! folder and swaps it in at the end:
//!
//! ```text
//! <parent>/<out>                 the output folder the user named (`--out`)
//! <parent>/.<out>.huizong-new    staging: this run's set while it is written
//! <parent>/.<out>.huizong-old    the previous set, only where the swap takes two renames
//! ```
//!
//! The tool marks every output folder with [`MARKER`], a manifest listing each file it wrote
//! (size and path). The manifest says what the tool may delete later (nothing else, ever), and
//! the input walk skips marked folders, so an output folder inside the input folder is never
//! read back as submissions.
//!
//! Steps of [`OutputSet::prepare`] and [`OutputSet::commit`], and what an interruption at each
//! point leaves:
//!
//! | step | `<out>` holds | left beside it | next run's recovery |
//! |---|---|---|---|
//! | 1 staging created with `.huizong-building`, outputs written | previous set | staging (building) | delete the staging folder (all of it was written by the tool) |
//! | 2 manifest written into staging, then `.huizong-building` removed | previous set | staging (complete) | discard staging as below |
//! | 3a Linux: staging and `<out>` exchanged by one `renameat2(RENAME_EXCHANGE)` | new set | previous set under the staging name | discard it as below |
//! | 3b elsewhere (or a file system without exchange): `<out>` → `.huizong-old`, then staging → `<out>` | nothing between the two renames; then new set | old, staging | `<out>` missing: rename old back (previous set), then discard staging; else discard old |
//! | 4 the previous set discarded | new set | a partly deleted previous set | discard it |
//! | `<out>` did not exist: one rename of staging | — / new set | — | — |
//!
//! "Discard" deletes only the files the folder's own manifest lists with the size it lists,
//! then the manifest and the emptied folders. Any other file (one a user dropped into `<out>`
//! while the run was going, which the exchange carried into the old set) is moved back into
//! `<out>`, or left in place with a warning if a file of that name is there: never deleted.
//! Every state in the table is either finished or recoverable by the next `prepare`, and the
//! output folder itself only ever shows one complete set (on Linux, with no gap at all; with
//! two renames, it is briefly absent and restored by the next run).
//!
//! Foreign files: `<out>` must hold nothing the tool did not write (or a tool-written file the
//! user has since changed, told by its size); otherwise the command refuses before doing any
//! work (exit 2, naming the files) and leaves everything as it is. Keeping foreign files in
//! place across a swap would mean moving them in and out of the staging folder, where an
//! interruption strands them, or hard-linking them, which FAT/exFAT USB drives (common in a
//! county office) cannot do and which loses edits made during the run. A clerk who keeps notes
//! or a draft report in the output folder is told to move them or pick another folder.
//!
//! Two commands writing the same `--out` at the same time are not coordinated: the later
//! `prepare` clears the earlier one's staging folder, and the earlier run then fails (exit 2).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

pub use crate::io::MARKER;
/// Present in a staging folder while it is written (and until its manifest is complete).
const BUILDING: &str = ".huizong-building";
/// The manifest's first line (format version).
const MANIFEST_HEADER: &str = "huizong-output 1";
/// How many offending names a refusal lists.
const SHOW_AT_MOST: usize = 8;

/// One command's output set while it is written. Dropped without [`OutputSet::commit`] (an
/// error or a panic), it deletes its staging folder and leaves `<out>` as it was.
#[derive(Debug)]
pub struct OutputSet {
    out: PathBuf,
    staging: PathBuf,
    old: PathBuf,
    committed: bool,
    /// What the set is (`汇总 2024`, `模板 2024`), recorded in the manifest: a set of another
    /// kind or year in `out` is refused, never replaced (last year's summary must survive a
    /// run that names the same folder).
    label: Option<String>,
}

impl OutputSet {
    /// Repairs whatever an interrupted earlier command left beside `out`, checks that `out`
    /// holds only files the tool wrote, and creates a fresh staging folder to write into.
    pub fn prepare(out: &Path) -> Result<OutputSet> {
        Self::prepare_with(out, true, false, None)
    }

    /// [`OutputSet::prepare`] for a set named `label`; an earlier set in `out` under another
    /// label is refused.
    pub fn prepare_as(out: &Path, label: &str) -> Result<OutputSet> {
        Self::prepare_with(out, true, false, Some(label.to_string()))
    }

    /// [`OutputSet::prepare_as`] for a command that does not replace an earlier set unasked
    /// (`template`): a non-empty `out` is refused unless `force`. Files the tool did not write
    /// are refused either way, so `force` only ever replaces the tool's own files.
    pub fn prepare_unless_filled(out: &Path, force: bool, label: &str) -> Result<OutputSet> {
        Self::prepare_with(out, force, force, Some(label.to_string()))
    }

    fn prepare_with(
        out: &Path,
        replace: bool,
        forced: bool,
        label: Option<String>,
    ) -> Result<OutputSet> {
        let out = resolve(out)?;
        let parent = out.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let set = OutputSet {
            staging: parent.join(format!(".{name}.huizong-new")),
            old: parent.join(format!(".{name}.huizong-old")),
            out,
            committed: false,
            label,
        };
        set.recover()?;
        set.refuse_foreign()?;
        if !replace {
            set.refuse_filled()?;
        }
        // `replace` given by the user (template --force) also replaces another year's set.
        if replace && !forced {
            set.refuse_other_set()?;
        }
        if std::fs::symlink_metadata(&set.staging).is_ok() {
            return Err(Error::Other(format!(
                "上次运行留下的 {} 中还有不是 huizong 写出的文件（见上面的提示），请处理后重试",
                set.staging.display()
            )));
        }
        std::fs::create_dir_all(&parent).map_err(|e| Error::write(&parent, e))?;
        std::fs::create_dir(&set.staging).map_err(|e| staging_error(&parent, &set.staging, e))?;
        let building = set.staging.join(BUILDING);
        std::fs::write(&building, b"").map_err(|e| Error::write(&building, e))?;
        Ok(set)
    }

    /// The folder to write this run's outputs into (the staging folder).
    pub fn dir(&self) -> &Path {
        &self.staging
    }

    /// Refuses when `out` holds an earlier set under another label.
    fn refuse_other_set(&self) -> Result<()> {
        let (Some(want), Some(have)) = (&self.label, read_label(&self.out)) else {
            return Ok(());
        };
        if *want == have {
            return Ok(());
        }
        Err(Error::Usage(format!(
            "{} 中是 huizong 此前写出的「{have}」，本次要写「{want}」；为免覆盖，请另指定一个输出文件夹（例如每个年度一个），或先把它移走",
            self.out.display()
        )))
    }

    /// Writes the manifest and swaps the staging folder in for `out`, then discards the
    /// previous set. Returns warnings for the user (files that were found in the previous set
    /// without being the tool's and could not be moved back); the new set is in place whenever
    /// this returns `Ok`.
    pub fn commit(mut self) -> Result<Vec<String>> {
        let files = list(&self.staging)?;
        let mut manifest = format!("{MANIFEST_HEADER}\n");
        manifest
            .push_str("# 本文件夹由 huizong 写出，下次运行会整体替换；请不要在此存放其他文件。\n");
        if let Some(label) = &self.label {
            manifest.push_str(&format!("{LABEL_PREFIX}{label}\n"));
        }
        for f in files.iter().filter(|f| !f.dir && f.rel != BUILDING) {
            manifest.push_str(&format!("{}\t{}\n", f.size, f.rel));
        }
        crate::io::write_atomic(&self.staging.join(MARKER), manifest.as_bytes())?;
        let building = self.staging.join(BUILDING);
        std::fs::remove_file(&building).map_err(|e| Error::write(&building, e))?;

        if std::fs::symlink_metadata(&self.out).is_err() {
            rename(&self.staging, &self.out)?;
            self.committed = true;
            return Ok(Vec::new());
        }
        // Files may have appeared in `out` while the command ran: check again, right before.
        self.refuse_foreign()?;
        match exchange(&self.staging, &self.out) {
            Ok(true) => {
                self.committed = true;
                Ok(discard_or_warn(&self.staging, &self.out))
            }
            Ok(false) => {
                rename(&self.out, &self.old)?;
                if let Err(e) = rename(&self.staging, &self.out) {
                    // put the previous set back; the staging folder goes with `self`
                    let _ = std::fs::rename(&self.old, &self.out);
                    return Err(e);
                }
                self.committed = true;
                Ok(discard_or_warn(&self.old, &self.out))
            }
            Err(e) => Err(Error::write(&self.out, e)),
        }
    }

    /// Brings the folders back to one of the states a finished command leaves (see the table in
    /// the module header).
    fn recover(&self) -> Result<()> {
        let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
        if exists(&self.old) && !exists(&self.out) {
            rename(&self.old, &self.out)?;
        }
        if exists(&self.staging) {
            if exists(&self.staging.join(BUILDING)) {
                std::fs::remove_dir_all(&self.staging)
                    .map_err(|e| Error::write(&self.staging, e))?;
            } else {
                warn_all(discard(&self.staging, &self.out)?);
            }
        }
        if exists(&self.old) {
            warn_all(discard(&self.old, &self.out)?);
        }
        Ok(())
    }

    /// Refuses an `out` that holds anything (after [`Self::refuse_foreign`]: only the tool's
    /// files), for a command that replaces a set only with `--force`.
    fn refuse_filled(&self) -> Result<()> {
        if !self.out.is_dir() || !has_entries(&self.out) {
            return Ok(());
        }
        let files: Vec<String> = list(&self.out)?
            .into_iter()
            .filter(|e| !e.dir && e.rel != MARKER)
            .map(|e| e.rel)
            .collect();
        let shown: Vec<&str> = files.iter().take(3).map(String::as_str).collect();
        let what = if files.is_empty() {
            String::new()
        } else {
            format!(
                "：已有 huizong 上次写出的 {} 个文件（{} 等）",
                files.len(),
                shown.join("、")
            )
        };
        Err(Error::Usage(format!(
            "输出文件夹 {} 不是空的{what}。为免覆盖，本次没有写出任何文件，原有内容保持不变。\
             如要用这次的结果替换它们，请加 --force（只替换 huizong 写出的文件，\
             其他文件不会被删除或覆盖）；或用 --out 另选一个新的或空的文件夹",
            self.out.display()
        )))
    }

    /// Refuses an `out` that holds files the tool did not write, or has changed since.
    fn refuse_foreign(&self) -> Result<()> {
        let meta = match std::fs::symlink_metadata(&self.out) {
            Ok(m) => m,
            Err(_) => return Ok(()),
        };
        if !meta.is_dir() {
            return Err(Error::Usage(format!(
                "输出位置 {} 是一个文件，不是文件夹；请用 --out 指定一个文件夹",
                self.out.display()
            )));
        }
        let manifest = read_manifest(&self.out)?;
        let foreign = foreign_entries(&self.out, manifest.as_ref())?;
        if foreign.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = foreign.iter().take(SHOW_AT_MOST).cloned().collect();
        let more = if foreign.len() > SHOW_AT_MOST {
            format!(" 等 {} 项", foreign.len())
        } else {
            String::new()
        };
        Err(Error::Usage(format!(
            "输出文件夹 {} 中有不是 huizong 写出的内容（或写出后被改动过）：{}{more}。\
             本工具每次运行会整体替换输出文件夹，为免覆盖或删除这些文件，本次没有写出任何结果，\
             原有内容保持不变。请用 --out 另选一个新的或空的文件夹，或把这些文件移走后重试",
            self.out.display(),
            shown.join("、")
        )))
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.committed {
            // Everything in the staging folder was written by this command.
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// `out` as an absolute path with a file name, following a link the user gave as `--out` (the
/// link's target is what they mean, and the swap must not replace the link itself).
fn resolve(out: &Path) -> Result<PathBuf> {
    let bad = || {
        Error::Usage(format!(
            "输出文件夹 {} 无效：请给出一个文件夹名",
            out.display()
        ))
    };
    let link = std::fs::symlink_metadata(out).is_ok_and(|m| m.file_type().is_symlink());
    let abs = if link {
        std::fs::canonicalize(out).map_err(|_| bad())?
    } else {
        std::path::absolute(out).map_err(|_| bad())?
    };
    if abs.file_name().is_none() || abs.parent().is_none() {
        return Err(bad());
    }
    Ok(abs)
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| {
        Error::write(
            to,
            format!("{e}（若其中的文件正在 Excel/WPS 中打开，请先关闭后重试）"),
        )
    })
}

/// Swaps two folders in one step. `Ok(false)` when the system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
    };
    let (ca, cb) = (c(a)?, c(b)?);
    // SAFETY: two valid NUL-terminated paths; renameat2 reads them and touches no memory of ours.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => Ok(false),
        _ => Err(err),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// One entry under a folder: path relative to it with `/`, size, whether it is a folder.
struct Entry {
    rel: String,
    size: u64,
    dir: bool,
}

/// Every entry under `root` (links are not followed: a link is an entry), sorted by path.
fn list(root: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|source| Error::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in rd {
            let entry = entry.map_err(|source| Error::Read {
                path: dir.clone(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let meta = std::fs::symlink_metadata(entry.path()).map_err(|source| Error::Read {
                path: entry.path(),
                source,
            })?;
            if meta.is_dir() {
                stack.push((entry.path(), rel.clone()));
            }
            out.push(Entry {
                rel,
                size: meta.len(),
                dir: meta.is_dir(),
            });
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The label line of a manifest (`#set 汇总 2024`); a comment to older readers.
const LABEL_PREFIX: &str = "#set ";

/// The label of the set in `dir`, when its manifest has one.
fn read_label(dir: &Path) -> Option<String> {
    let text = std::fs::read(dir.join(MARKER)).ok()?;
    String::from_utf8_lossy(&text)
        .lines()
        .find_map(|l| l.strip_prefix(LABEL_PREFIX).map(str::to_string))
}

/// The files a folder's manifest lists, with their sizes; `None` when it has no manifest.
fn read_manifest(dir: &Path) -> Result<Option<BTreeMap<String, u64>>> {
    let path = dir.join(MARKER);
    let text = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Read { path, source }),
    };
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines();
    if lines.next() != Some(MANIFEST_HEADER) {
        return Err(Error::Other(format!(
            "{} 不是 huizong 能识别的输出清单；请把这个文件夹中的文件移走后重试",
            path.display()
        )));
    }
    let mut files = BTreeMap::new();
    for line in lines.filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let parsed = line
            .split_once('\t')
            .and_then(|(size, rel)| Some((rel.to_string(), size.parse::<u64>().ok()?)));
        match parsed {
            Some((rel, size)) => {
                files.insert(rel, size);
            }
            None => {
                return Err(Error::Other(format!(
                    "输出清单 {} 已损坏；请把这个文件夹中的文件移走后重试",
                    path.display()
                )))
            }
        }
    }
    Ok(Some(files))
}

/// Entries of `dir` the manifest does not account for (a listed file with another size counts:
/// someone changed it), as shown to the user.
fn foreign_entries(dir: &Path, manifest: Option<&BTreeMap<String, u64>>) -> Result<Vec<String>> {
    let empty = BTreeMap::new();
    let listed = manifest.unwrap_or(&empty);
    let parents: BTreeSet<&str> = listed
        .keys()
        .flat_map(|rel| {
            rel.match_indices('/')
                .map(move |(i, _)| rel.get(..i).unwrap_or(""))
        })
        .collect();
    let mut out = Vec::new();
    for e in list(dir)? {
        if e.rel == MARKER && manifest.is_some() {
            continue;
        }
        if e.dir {
            if !parents.contains(e.rel.as_str()) && !has_entries(&dir.join(&e.rel)) {
                out.push(format!("{}/（空文件夹）", e.rel));
            }
            continue;
        }
        match listed.get(&e.rel) {
            Some(&size) if size == e.size => {}
            Some(_) => out.push(format!("{}（写出后被改动过）", e.rel)),
            None => out.push(e.rel),
        }
    }
    Ok(out)
}

fn has_entries(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut rd| rd.next().is_some())
}

/// Deletes the tool's files of a set that is no longer wanted (at `dir`), moving any other
/// file back into `out`; removes `dir` when nothing else is left. Returns warnings for files
/// left behind.
fn discard(dir: &Path, out: &Path) -> Result<Vec<String>> {
    let manifest = read_manifest(dir).unwrap_or(None).unwrap_or_default();
    let mut kept = Vec::new();
    let entries = list(dir)?;
    for e in entries.iter().filter(|e| !e.dir && e.rel != MARKER) {
        let path = dir.join(&e.rel);
        if manifest.get(&e.rel) == Some(&e.size) || e.rel == BUILDING {
            std::fs::remove_file(&path).map_err(|err| Error::write(&path, err))?;
            continue;
        }
        // Not the tool's: it belongs in the output folder, where the user put it.
        let back = out.join(&e.rel);
        let moved = std::fs::symlink_metadata(&back).is_err()
            && back
                .parent()
                .is_none_or(|p| std::fs::create_dir_all(p).is_ok())
            && std::fs::rename(&path, &back).is_ok();
        if !moved {
            kept.push(path.display().to_string());
        }
    }
    if !kept.is_empty() {
        // keep the manifest too, so a later run still knows which files there are the tool's
        return Ok(vec![format!(
            "以下文件不是 huizong 写出的，已保留在 {}，请自行处理：{}",
            dir.display(),
            kept.join("、")
        )]);
    }
    let marker = dir.join(MARKER);
    if std::fs::symlink_metadata(&marker).is_ok() {
        std::fs::remove_file(&marker).map_err(|e| Error::write(&marker, e))?;
    }
    // Deepest folders first; each is empty by now.
    for e in entries.iter().rev().filter(|e| e.dir) {
        let _ = std::fs::remove_dir(dir.join(&e.rel));
    }
    std::fs::remove_dir(dir).map_err(|e| Error::write(dir, e))?;
    Ok(Vec::new())
}

/// [`discard`] after the new set is in place: a failure only leaves the old set for the next
/// run to clean up, so it is a warning, not a failed command.
fn discard_or_warn(dir: &Path, out: &Path) -> Vec<String> {
    discard(dir, out).unwrap_or_else(|e| {
        vec![format!(
            "新的输出已写好，但上次的输出 {} 未能清理完（{e}），下次运行时会再清理",
            dir.display()
        )]
    })
}

fn warn_all(warnings: Vec<String>) {
    for w in warnings {
        crate::hintln!("提示：{w}");
    }
}

/// A finished output folder as another command reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The set's label (`汇总 2024`), when its manifest has one.
    pub label: Option<String>,
    /// The files the manifest lists, with their sizes.
    pub files: BTreeMap<String, u64>,
}

/// Reads a finished output folder (`rollup` reads the counties' runs, `dataset add` one run);
/// `None` when `dir` has no manifest, i.e. is not an output folder of this tool.
pub fn read_finished(dir: &Path) -> Result<Option<Finished>> {
    Ok(read_manifest(dir)?.map(|files| Finished {
        label: read_label(dir),
        files,
    }))
}

/// The staging folder beside `--out` could not be made: say why it is needed, as the user never
/// named it.
fn staging_error(parent: &Path, staging: &Path, e: std::io::Error) -> Error {
    Error::Other(format!(
        "无法在 {} 中建立临时文件夹 {}：{}。新的输出先写到输出文件夹旁边，写完整后再替换原有输出\
         （中断时不会留下残缺的结果），所以输出文件夹的上一级也必须可写；请换一个输出文件夹",
        parent.display(),
        staging
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        crate::error::io_text(&e)
    ))
}
