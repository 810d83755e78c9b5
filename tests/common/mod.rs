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

/// The pages of a PDF as RGB pixels (`pdftoppm -r <dpi>`, poppler-utils), each (width, height,
/// pixels); `None` (with a note, or a failure under CI) when pdftoppm is not installed.
pub fn pdf_pages(pdf: &Path, dpi: u32) -> Option<Vec<(usize, usize, Vec<u8>)>> {
    let dir = pdf.parent().expect("the PDF's folder");
    let prefix = dir.join("page");
    let run = std::process::Command::new("pdftoppm")
        .arg("-r")
        .arg(dpi.to_string())
        .arg(pdf)
        .arg(&prefix)
        .output();
    let Ok(out) = run else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "pdftoppm (poppler-utils) is required under CI"
        );
        eprintln!(
            "note: pdftoppm is not installed (apt-get install poppler-utils), page check skipped"
        );
        return None;
    };
    assert!(out.status.success(), "{out:?}");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ppm"))
        .collect();
    pages.sort();
    Some(
        pages
            .iter()
            .map(|p| ppm(&std::fs::read(p).expect("ppm")))
            .collect(),
    )
}

/// A binary PPM (P6, maxval 255) as (width, height, RGB bytes).
fn ppm(data: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        if data[i] == b'#' {
            while data[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P6");
    let (w, h): (usize, usize) = (fields[1].parse().expect("w"), fields[2].parse().expect("h"));
    (w, h, data[i + 1..].to_vec())
}

/// How many pixels of the pages have the colour `rgb` (±3 per channel).
pub fn pixels_of(pages: &[(usize, usize, Vec<u8>)], rgb: [u8; 3]) -> usize {
    pages
        .iter()
        .map(|(_, _, px)| {
            px.chunks_exact(3)
                .filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 3))
                .count()
        })
        .sum()
}

/// Generates a sample county with `huizong sample --county CODE [--clean] [--units N]` into
/// `root/s<code>` and runs it (2024 with the 2023 folder as prior) into `root/out<code>`, which
/// it returns; the run may report findings (exit 1) but must run.
pub fn county_output(root: &Path, code: &str, clean: bool, units: Option<usize>) -> PathBuf {
    let huizong = || assert_cmd::Command::cargo_bin("huizong").expect("binary built");
    let s = root.join(format!("s{code}"));
    let mut cmd = huizong();
    cmd.args(["sample", "--county", code, "--out"]).arg(&s);
    if clean {
        cmd.arg("--clean");
    }
    if let Some(n) = units {
        cmd.args(["--units", &n.to_string()]);
    }
    cmd.assert().success();
    let out = root.join(format!("out{code}"));
    let run = huizong()
        .args(["run", "--year", "2024", "--quiet"])
        .arg(s.join("2024"))
        .arg("--prior")
        .arg(s.join("2023"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert!(
        run.status.code().is_some_and(|c| c <= 1),
        "county run {code}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out
}
