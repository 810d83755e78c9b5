//! The routes and the request bounds: a body limit (one workbook at the reader's size limit,
//! times the files one request may carry, is too much for a county PC, so the whole request is
//! bounded at [`MAX_BODY_BYTES`]; larger answers 413), and a time limit per request.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::state::AppState;
use super::{api, downloads, pages};

/// The largest request body: a little over the reader's 20 MB file limit.
pub const MAX_BODY_BYTES: usize = 21 * 1024 * 1024;
/// The longest a request may take (a slow upload over the county network included).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/unit/{code}", get(pages::unit))
        .route("/anomalies", get(pages::anomalies))
        .route("/anomalies/decide", post(pages::decide))
        .route("/figures", get(pages::figures))
        .route("/downloads", get(pages::downloads))
        .route("/upload", get(pages::upload_form).post(pages::upload_post))
        .route("/download/summary.xlsx", get(downloads::summary_xlsx))
        .route("/download/feedback.zip", get(downloads::feedback_zip))
        .route("/download/draft.docx", get(downloads::draft_docx))
        .route("/api/status", get(api::status))
        .route("/api/units/{code}", get(api::unit))
        .route("/api/upload", post(api::upload))
        .route("/api/decision", post(api::decision))
        .fallback(|| async { pages::error_page(StatusCode::NOT_FOUND, "没有这个页面") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(time_limit))
        .with_state(state)
}

/// Answers 408 when a request takes longer than [`REQUEST_TIMEOUT`].
async fn time_limit(req: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            pages::error_page(StatusCode::REQUEST_TIMEOUT, "请求超时，请重试").into_response()
        }
    }
}
