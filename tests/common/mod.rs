//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses a part of them

pub mod build;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The CSV filter that writes UTF-8 (44,34,76 = comma, double quote, UTF-8): LibreOffice's default
/// follows the locale and writes `?` for Chinese here.
pub const CSV_UTF8: &str = "csv:Text - txt - csv (StarCalc):44,34,76";

/// Converts `files` with `libreoffice --headless --convert-to <filter>` into `outdir`, with a
/// private profile (a shared one fails while another soffice instance runs), and asserts that
/// LibreOffice succeeded. Returns false (the caller skips its checks) only when
/// HUIZONG_SKIP_LIBREOFFICE is set; a missing LibreOffice otherwise fails the test.
pub fn libreoffice_convert(files: &[PathBuf], filter: &str, outdir: &Path) -> bool {
    if std::env::var_os("HUIZONG_SKIP_LIBREOFFICE").is_some() {
        eprintln!("note: HUIZONG_SKIP_LIBREOFFICE is set, LibreOffice conversion skipped");
        return false;
    }
    let profile = format!(
        "-env:UserInstallation=file://{}/lo-profile",
        outdir.display()
    );
    let out = std::process::Command::new("libreoffice")
        .arg(profile)
        .args(["--headless", "--convert-to", filter, "--outdir"])
        .arg(outdir)
        .args(files)
        .output()
        .expect("libreoffice must be installed (set HUIZONG_SKIP_LIBREOFFICE to skip)");
    assert!(out.status.success(), "{out:?}");
    true
}

/// Every file under `dir` (hidden ones included) with its bytes, by relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").to_string_lossy();
                out.insert(rel.replace('\\', "/"), std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}
