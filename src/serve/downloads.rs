//! The round's outputs as downloads: the summary workbook and the 退回 workbooks (all in one
//! zip) from `--out` as the last run wrote them, and the draft report (.docx) rendered from
//! that run's figures. Reviewer only. The zip is deterministic (sorted names, fixed times).

use std::io::{Cursor, Write};
use std::path::Path;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::api::refuse;
use super::auth;
use super::state::AppState;
use crate::pipeline::FEEDBACK_DIR;
use crate::report::summary;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A file download with a Chinese name (RFC 6266 `filename*`).
fn attachment(bytes: Vec<u8>, mime: &'static str, name: &str) -> Response {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}");
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn not_yet(what: &str) -> Response {
    refuse((
        StatusCode::NOT_FOUND,
        format!("还没有{what}：汇总尚未成功运行（见报送进度页的提示）"),
    ))
}

pub async fn summary_xlsx(State(s): State<Arc<AppState>>, _: auth::ReviewerApi) -> Response {
    let name = summary::file_name(s.cfg.year);
    match tokio::fs::read(s.cfg.out.join(&name)).await {
        Ok(bytes) => attachment(bytes, XLSX, &name),
        Err(_) => not_yet("汇总表"),
    }
}

pub async fn feedback_zip(State(s): State<Arc<AppState>>, _: auth::ReviewerApi) -> Response {
    let dir = s.cfg.out.join(FEEDBACK_DIR);
    let year = s.cfg.year;
    match tokio::task::spawn_blocking(move || zip_folder(&dir)).await {
        Ok(Ok(bytes)) => attachment(bytes, "application/zip", &format!("退回_{year}.zip")),
        Ok(Err(e)) => refuse((StatusCode::NOT_FOUND, e)),
        Err(_) => refuse((
            StatusCode::INTERNAL_SERVER_ERROR,
            "程序内部错误，请报告".into(),
        )),
    }
}

/// The folder's workbooks (one level) in one zip, sorted by name.
pub fn zip_folder(dir: &Path) -> Result<Vec<u8>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|_| "还没有退回清单：本次汇总没有需要退回的单位".to_string())?;
    let mut files: Vec<(String, std::path::PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| !n.starts_with('.'))
        .collect();
    files.sort();
    let fail = |e: &dyn std::fmt::Display| format!("无法打包退回清单：{e}");
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, path) in files {
        let bytes = std::fs::read(&path).map_err(|e| fail(&e))?;
        zip.start_file(name, options).map_err(|e| fail(&e))?;
        zip.write_all(&bytes).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}

pub async fn draft_docx(State(s): State<Arc<AppState>>, _: auth::ReviewerApi) -> Response {
    let snap = s.snapshot();
    let Some(figures) = snap.figures.as_ref() else {
        return not_yet("汇总数据");
    };
    let made = crate::draft::draft(figures, &crate::draft::TemplateSet::defaults())
        .and_then(|d| crate::draft::docx::to_docx(&d));
    match made {
        Ok(bytes) => attachment(bytes, DOCX, &format!("报告数据段落_{}.docx", s.cfg.year)),
        Err(e) => refuse((StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}
