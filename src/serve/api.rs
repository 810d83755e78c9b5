//! The JSON API: `GET /api/status`, `GET /api/units/{code}`, `POST /api/upload` (multipart,
//! field `file`, one or several), `POST /api/decision` (accept or reject an anomaly, recorded
//! as `huizong accept` / `reject` record it). Pages and scripts share these answers' model
//! ([`super::view`]).

use std::sync::Arc;

use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::{self, Access, Refusal};
use super::state::AppState;
use super::upload::{self, Filed, MAX_FILES_PER_REQUEST};
use super::view;
use crate::anomaly::Decision;
use crate::pipeline::{self, DecisionRequest};

/// A refusal as a JSON answer.
pub fn refuse((status, message): Refusal) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

pub async fn status(State(s): State<Arc<AppState>>, _: auth::ReviewerApi) -> Response {
    Json(status_json(&s)).into_response()
}

/// The body of `/api/status`.
pub fn status_json(s: &AppState) -> Value {
    let snap = s.snapshot();
    let rows = view::unit_rows(s, &snap);
    let mut by_state = serde_json::Map::new();
    for st in view::UnitState::ALL {
        by_state.insert(
            st.label().into(),
            rows.iter().filter(|r| r.state == st).count().into(),
        );
    }
    let r = snap.report.as_ref();
    json!({
        "year": s.cfg.year,
        "generation": snap.generation,
        "busy": s.busy(),
        "error": snap.error,
        "counts": by_state,
        "errors": r.map_or(0, |r| r.errors),
        "warnings": r.map_or(0, |r| r.warnings),
        "anomalies": r.map_or(0, |r| r.anomalies.len()),
        "units": rows,
    })
}

pub async fn unit(
    State(s): State<Arc<AppState>>,
    Path(code): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    match auth::access(&s, &headers, q.as_deref()) {
        Ok(a) if a.may_see(&code) => {}
        Ok(_) => return refuse((StatusCode::FORBIDDEN, "本链接只能查看本单位".into())),
        Err(r) => return refuse(r),
    }
    match unit_json(&s, &code) {
        Some(v) => Json(v).into_response(),
        None => refuse((StatusCode::NOT_FOUND, format!("名册中没有单位 {code}"))),
    }
}

/// The body of `/api/units/{code}`; `None` for a code the registry does not have this year.
pub fn unit_json(s: &AppState, code: &str) -> Option<Value> {
    let snap = s.snapshot();
    let row = view::unit_rows(s, &snap)
        .into_iter()
        .find(|r| r.code == code)?;
    let findings: Vec<Value> = view::unit_findings(&snap, code)
        .into_iter()
        .map(view::finding_json)
        .collect();
    let anomalies: Vec<Value> = snap
        .report
        .as_ref()
        .map(|r| {
            r.anomalies
                .iter()
                .filter(|a| a.unit.as_deref() == Some(code))
                .map(view::anomaly_json)
                .collect()
        })
        .unwrap_or_default();
    let files: Vec<Value> = view::unit_files(&snap, code)
        .into_iter()
        .map(view::file_json)
        .collect();
    Some(json!({
        "unit": row,
        "files": files,
        "findings": findings,
        "anomalies": anomalies,
        "generation": snap.generation,
    }))
}

/// The answer for one filed upload.
pub fn filed_json(f: &Filed) -> Value {
    let findings: Vec<Value> = f.findings.iter().map(view::finding_json).collect();
    json!({
        "filed": true,
        "unit": f.unit,
        "unit_name": f.unit_name,
        "file": f.file,
        "version": f.version,
        "summary": view::counts(&f.findings),
        "findings": findings,
    })
}

pub async fn upload(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    multipart: Multipart,
) -> Response {
    let access = match guard_post(&s, &headers, q.as_deref()) {
        Ok(a) => a,
        Err(r) => return refuse(r),
    };
    let (status, results) = receive(s, access, multipart).await;
    let body = if results.len() == 1 {
        results.into_iter().next().unwrap_or_default()
    } else {
        json!({ "files": results })
    };
    (status, Json(body)).into_response()
}

/// Token and same-origin checks of a state-changing request.
pub fn guard_post(s: &AppState, headers: &HeaderMap, q: Option<&str>) -> Result<Access, Refusal> {
    let access = auth::access(s, headers, q)?;
    auth::same_origin(headers)?;
    Ok(access)
}

/// Files every `file` field of the form; the status is the first refusal's, else 200.
pub async fn receive(
    s: Arc<AppState>,
    access: Access,
    mut multipart: Multipart,
) -> (StatusCode, Vec<Value>) {
    // Held until the whole request is filed; the body is not read before.
    let Ok(_turn) = s.uploads.acquire().await else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            vec![json!({"filed": false, "error": "服务正在停止"})],
        );
    };
    let mut results = Vec::new();
    let mut status = StatusCode::OK;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let code = e.status();
                results.push(
                    json!({"filed": false, "error": format!("上传未完成：{}", e.body_text())}),
                );
                return (code, results);
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        if results.len() >= MAX_FILES_PER_REQUEST {
            results.push(json!({"filed": false, "error": format!("一次最多上传 {MAX_FILES_PER_REQUEST} 个文件，其余未存入")}));
            status = StatusCode::PAYLOAD_TOO_LARGE;
            break;
        }
        let bytes = match field.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => {
                let code = e.status();
                results.push(
                    json!({"filed": false, "error": format!("上传未完成：{}", e.body_text())}),
                );
                return (code, results);
            }
        };
        let (st, a) = (s.clone(), access.clone());
        let answer = tokio::task::spawn_blocking(move || upload::file_one(&st, &a, bytes)).await;
        match answer {
            Ok(Ok(filed)) => results.push(filed_json(&filed)),
            Ok(Err(((code, why), diags))) => {
                if status == StatusCode::OK {
                    status = code;
                }
                let findings: Vec<Value> = diags.iter().map(view::finding_json).collect();
                results.push(json!({"filed": false, "error": why, "findings": findings}));
            }
            Err(_) => {
                status = StatusCode::INTERNAL_SERVER_ERROR;
                results.push(json!({"filed": false, "error": "程序内部错误，请报告"}));
            }
        }
    }
    if results.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            vec![json!({"filed": false, "error": "没有收到文件（表单字段应为 file）"})],
        );
    }
    (status, results)
}

/// A decision as posted (JSON or form).
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    pub unit: String,
    pub code: String,
    #[serde(default)]
    pub indicator: Option<String>,
    /// `accept` (已确认) or `reject` (不予认可).
    pub decision: String,
    pub reason: String,
    #[serde(default)]
    pub by: Option<String>,
}

/// Records a decision in the acceptance file and asks for a run; the Chinese answer or refusal.
pub async fn decide_with(s: Arc<AppState>, form: DecisionForm) -> Result<String, Refusal> {
    let decision = match form.decision.as_str() {
        "accept" => Decision::Accept,
        "reject" => Decision::Reject,
        other => {
            return Err((
                StatusCode::BAD_REQUEST,
                format!("decision 应为 accept 或 reject，收到 {other}"),
            ))
        }
    };
    let req = DecisionRequest {
        unit: form.unit,
        rule: form.code,
        indicator: form.indicator.filter(|i| !i.trim().is_empty()),
        decision,
        reason: form.reason,
        by: form.by.filter(|b| !b.trim().is_empty()),
        value: None,
        date: None,
        year: Some(s.cfg.year),
    };
    let st = s.clone();
    let done = tokio::task::spawn_blocking(move || {
        let _one_writer = st.filing.blocking_lock();
        pipeline::record_decision(&st.cfg.accept, &req, &st.cfg.schema)
    })
    .await
    .map_err(|_| {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            "程序内部错误，请报告".to_string(),
        )
    })?;
    match done {
        Ok((e, _)) => {
            s.request_run();
            // The words of the 核实状态 column, not the command's verb.
            let status = match decision {
                Decision::Accept => "已确认",
                Decision::Reject => "不予认可",
            };
            let what = match &e.indicator {
                Some(i) => format!("{} {} {i}", e.unit, e.rule),
                None => format!("{} {}", e.unit, e.rule),
            };
            Ok(format!("已记录：{status} {what}，理由：{}", e.reason))
        }
        Err(e) => Err((StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
    }
}

pub async fn decision(
    State(s): State<Arc<AppState>>,
    _: auth::ReviewerApi,
    Json(form): Json<DecisionForm>,
) -> Response {
    match decide_with(s, form).await {
        Ok(msg) => Json(json!({"recorded": true, "message": msg})).into_response(),
        Err(r) => refuse(r),
    }
}
