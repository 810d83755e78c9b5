//! What the printed pages look like: a sample county's summary workbook and a 退回 workbook
//! rendered with LibreOffice (fonts-noto-cjk installed by .ci/run), read back with pdftotext:
//! which sheet each page belongs to (the page header names it), the text on it, and its size.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One rendered page: its text and the median height of its words' boxes, in points.
struct Page {
    text: String,
    word_height: f64,
}

/// The pages of `pdf` by `pdftotext -bbox`; `None` when poppler-utils is missing (a failure
/// under CI).
fn pages(pdf: &Path) -> Option<Vec<Page>> {
    let out = match Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "pdftotext (poppler-utils) is required under CI"
            );
            eprintln!("note: pdftotext is not installed (apt-get install poppler-utils), skipped");
            return None;
        }
    };
    assert!(out.status.success(), "{out:?}");
    let html = String::from_utf8_lossy(&out.stdout).into_owned();
    let pages = html
        .split("<page ")
        .skip(1)
        .map(|page| {
            let mut heights = Vec::new();
            let mut words = Vec::new();
            for w in page.split("<word ").skip(1) {
                let attr = |name: &str| -> f64 {
                    w.split(&format!("{name}=\""))
                        .nth(1)
                        .and_then(|r| r.split('"').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0.0)
                };
                heights.push(attr("yMax") - attr("yMin"));
                if let Some(t) = w.split('>').nth(1).and_then(|r| r.split('<').next()) {
                    words.push(t.to_string());
                }
            }
            heights.sort_by(f64::total_cmp);
            Page {
                text: words.join(" "),
                word_height: heights.get(heights.len() / 2).copied().unwrap_or(0.0),
            }
        })
        .collect();
    Some(pages)
}

/// The sheet a page belongs to, from its header ("2024年…统计 汇总").
fn sheet_of(page: &Page) -> String {
    page.text
        .split("年度统计 ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("")
        .to_string()
}

/// Converts `xlsx` to PDF beside it; `None` when LibreOffice is missing.
fn to_pdf(xlsx: &Path) -> Option<PathBuf> {
    let dir = xlsx.parent().expect("folder");
    if !common::libreoffice_convert(&[xlsx.to_path_buf()], "pdf", dir) {
        return None;
    }
    Some(xlsx.with_extension("pdf"))
}

/// The word boxes of 11-point text printed at 82 % measure 11.7 points (pdftotext's box is
/// about 1.3 times the font size): the least that is still 9 points on paper.
const NINE_POINT_BOX: f64 = 11.6;

#[test]
fn the_summary_prints_readably() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = common::county_output(root.path(), "411321", false, None);
    let work = root.path().join("print");
    std::fs::create_dir(&work).expect("mkdir");
    let xlsx = work.join("汇总.xlsx");
    std::fs::copy(out.join("汇总_2024.xlsx"), &xlsx).expect("copy");
    let Some(pdf) = to_pdf(&xlsx) else { return };
    let Some(pages) = pages(&pdf) else { return };
    let sheets: Vec<String> = pages.iter().map(sheet_of).collect();
    // 概览 is the first page and the only one of its sheet.
    assert_eq!(sheets[0], "概览", "{sheets:?}");
    assert_eq!(
        sheets.iter().filter(|s| *s == "概览").count(),
        1,
        "{sheets:?}"
    );
    let first = &pages[0].text;
    for words in ["行政复议", "同比变化", "主要指标同比变化"] {
        assert!(
            first.contains(words),
            "{words} not on the 概览 page: {first}"
        );
    }
    // It is fitted to its page, but not below 8 points.
    assert!(
        pages[0].word_height >= NINE_POINT_BOX * 8.0 / 9.0,
        "概览 at {:.1}",
        pages[0].word_height
    );
    // Every page of 汇总 and 分单位明细 prints at 9 points or more, with the page number.
    for (page, sheet) in pages.iter().zip(&sheets) {
        if sheet == "汇总" || sheet == "分单位明细" {
            assert!(
                page.word_height >= NINE_POINT_BOX,
                "{sheet} at {:.1}: {}",
                page.word_height,
                page.text
            );
        }
        assert!(
            page.text.contains("第 ") && page.text.contains(" 页"),
            "{}",
            page.text
        );
    }
    assert!(
        sheets.iter().filter(|s| *s == "汇总").count() >= 3,
        "{sheets:?}"
    );
}

#[test]
fn a_returned_workbook_prints_on_one_page_with_the_whole_text() {
    let root = tempfile::tempdir().expect("tempdir");
    let out = common::county_output(root.path(), "411321", false, None);
    let back = std::fs::read_dir(out.join("退回"))
        .expect("退回")
        .map(|e| e.expect("entry").path())
        .find(|p| p.to_string_lossy().contains("411321-D05"))
        .expect("D05's 退回 workbook");
    let work = root.path().join("print");
    std::fs::create_dir(&work).expect("mkdir");
    let xlsx = work.join("退回.xlsx");
    std::fs::copy(&back, &xlsx).expect("copy");
    let Some(pdf) = to_pdf(&xlsx) else { return };
    let Some(pages) = pages(&pdf) else { return };
    assert_eq!(pages.len(), 1, "one page");
    let text = pages[0].text.replace(' ', "");
    for words in [
        "你填的值",
        "上年数",
        "ZF07罚没金额",
        "按元应为554,600元",
        "程序不会自动修改",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    assert!(
        !text.contains("sample"),
        "no path of the county's machine: {text}"
    );
    assert!(
        pages[0].word_height >= NINE_POINT_BOX,
        "{:.1}",
        pages[0].word_height
    );
}
