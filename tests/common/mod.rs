//! Helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses a part of them

pub mod build;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The CSV filter that writes UTF-8 (44,34,76 = comma, double quote, UTF-8): LibreOffice's default
/// follows the locale and writes `?` for Chinese here.
pub const CSV_UTF8: &str = "csv:Text - txt - csv (StarCalc):44,34,76";

/// Whether a `libreoffice` command can be run here.
fn libreoffice_present() -> bool {
    std::process::Command::new("libreoffice")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Converts `files` with `libreoffice --headless --convert-to <filter>` into `outdir`, with a
/// private profile (a shared one fails while another soffice instance runs), and asserts that
/// LibreOffice succeeded. Returns false (the caller skips its checks, saying so on stderr) when
/// HUIZONG_SKIP_LIBREOFFICE is set or LibreOffice is not installed, so `cargo test` on a fresh
/// machine runs every other check; under CI (`CI=true`), where `.ci/run` installs it, a missing
/// LibreOffice fails the test instead.
pub fn libreoffice_convert(files: &[PathBuf], filter: &str, outdir: &Path) -> bool {
    if std::env::var_os("HUIZONG_SKIP_LIBREOFFICE").is_some() {
        eprintln!("note: HUIZONG_SKIP_LIBREOFFICE is set, LibreOffice conversion skipped");
        return false;
    }
    if !libreoffice_present() {
        let hint = "install it with: sudo apt-get install libreoffice-calc-nogui \
                    libreoffice-writer-nogui fonts-noto-cjk (or run .ci/run)";
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "LibreOffice is required under CI; {hint}"
        );
        eprintln!(
            "note: LibreOffice is not installed, this test's conversion check was skipped; {hint}"
        );
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
        .expect("libreoffice runs");
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
