//! `huizong draft`: reads the run's `figures_<year>.json`, renders the section templates and
//! writes the draft (.docx or .md) plus its `_数据来源.csv`. Sentences left out for missing data
//! are listed on stderr and in the draft itself; they are not errors (exit 0), because the
//! findings that caused them were already reported by `huizong run`.

use std::path::Path;

use crate::cli::{DraftArgs, Outcome};
use crate::draft::{self, docx, markdown, sources, TemplateSet};
use crate::io::write_atomic;
use crate::{Error, Result};

/// The output format, from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Docx,
    Markdown,
}

fn format_of(out: &Path) -> Result<Format> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "docx" => Ok(Format::Docx),
        "md" | "markdown" => Ok(Format::Markdown),
        _ => Err(Error::Usage(format!(
            "--out {} 的扩展名应为 .docx 或 .md",
            out.display()
        ))),
    }
}

pub fn run(args: &DraftArgs) -> Result<Outcome> {
    let format = format_of(&args.out)?;
    let figures = draft::load_figures(&args.from, args.year)?;
    let set = match &args.templates {
        Some(dir) => TemplateSet::with_overrides(dir)?,
        None => TemplateSet::defaults(),
    };
    let d = draft::draft(&figures, &set)?;
    let bytes = match format {
        Format::Docx => docx::to_docx(&d)?,
        Format::Markdown => markdown::render(&d).into_bytes(),
    };
    write_atomic(&args.out, &bytes)?;
    let csv_path = sources::path_for(&args.out);
    write_atomic(&csv_path, &sources::to_csv(&d.sources)?)?;
    crate::outln!("已写出报告数据段落：{}", args.out.display())?;
    crate::outln!("已写出数据来源表：{}", csv_path.display())?;
    if let Some(note) = &d.note {
        crate::hintln!("{note}");
    }
    if !d.unverified.is_empty() {
        crate::hintln!(
            "{}（{} 项，句中已注明{}，单位见数据来源表）",
            markdown::UNVERIFIED_TITLE,
            d.unverified.len(),
            draft::UNVERIFIED_NOTE
        );
    }
    if !d.omitted.is_empty() {
        crate::hintln!("{}（{} 句）：", markdown::OMITTED_TITLE, d.omitted.len());
        for o in &d.omitted {
            crate::hintln!("  {}", markdown::omitted_line(o));
        }
    }
    Ok(Outcome::Clean)
}
