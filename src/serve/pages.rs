//! The HTML pages, in Chinese: 报送进度 (home), a unit, 异常提示 with the accept/reject forms,
//! 汇总 with an inline SVG chart, downloads, upload. Rendered on the server from templates
//! embedded in the binary; the only script is the upload page's drag and drop.

use std::sync::{Arc, OnceLock};

use axum::extract::{Form, Multipart, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{context, Environment, Value};

use super::api::{self, DecisionForm};
use super::auth::{self, Access, Refusal, COOKIE};
use super::grid::{self, Marks};
use super::state::AppState;
use super::view::{self, UnitState};
use crate::anomaly::fmt_num;
use crate::pipeline::FEEDBACK_DIR;

const TEMPLATES: [(&str, &str); 7] = [
    ("base.html", include_str!("templates/base.html")),
    ("home.html", include_str!("templates/home.html")),
    ("unit.html", include_str!("templates/unit.html")),
    ("anomalies.html", include_str!("templates/anomalies.html")),
    ("figures.html", include_str!("templates/figures.html")),
    ("downloads.html", include_str!("templates/downloads.html")),
    ("upload.html", include_str!("templates/upload.html")),
];

/// A serialisable value for the templates.
fn v<T: serde::Serialize>(x: &T) -> Value {
    Value::from(minijinja::value::Serde(x))
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, text) in TEMPLATES {
            // The templates are ours and tested; a broken one shows as a render error below.
            let _ = env.add_template(name, text);
        }
        env
    })
}

/// Renders `name` with the layout's values added.
fn render(
    s: &AppState,
    access: &Access,
    name: &str,
    page: &str,
    title: &str,
    ctx: Value,
) -> Response {
    let snap = s.snapshot();
    let base = context! {
        year => s.cfg.year,
        title => title,
        page => page,
        reviewer => *access == Access::Reviewer,
        busy => s.busy(),
        run_error => snap.error.clone(),
    };
    let merged = context! { ..base, ..ctx };
    match env().get_template(name).and_then(|t| t.render(merged)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("页面生成失败，请报告：{e}"),
        ),
    }
}

/// A refusal as a short page.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>无法打开</title>\
         <body style=\"font-family:sans-serif;padding:24px\"><h2>无法打开本页</h2><p>{}</p></body></html>",
        minijinja::HtmlEscape(message)
    );
    (status, Html(body)).into_response()
}

pub(super) fn refuse((status, message): Refusal) -> Response {
    error_page(status, &message)
}

/// Who the request is from; a valid `?token=` is kept in a cookie for the next pages.
fn who(
    s: &AppState,
    headers: &HeaderMap,
    q: Option<&str>,
) -> Result<(Access, Option<HeaderValue>), Refusal> {
    let access = auth::access(s, headers, q)?;
    let cookie = q
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")))
        .filter(|_| s.tokens().is_some())
        .and_then(|t| {
            HeaderValue::from_str(&format!("{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict")).ok()
        });
    Ok((access, cookie))
}

fn with_cookie(mut r: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

/// A query parameter (percent-decoded).
fn param(q: Option<&str>, key: &str) -> Option<String> {
    q?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(x)) => {
                out.push(x);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (x, _) => out.push(x),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub async fn home(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (access, cookie) = match who(&s, &headers, q.as_deref()) {
        Ok(a) => a,
        Err(r) => return refuse(r),
    };
    if let Access::Unit(_) = access {
        return with_cookie(Redirect::to("/upload").into_response(), cookie);
    }
    let snap = s.snapshot();
    let units = view::unit_rows(&s, &snap);
    let states: Vec<(&str, usize)> = UnitState::ALL
        .iter()
        .map(|st| (st.label(), units.iter().filter(|u| u.state == *st).count()))
        .collect();
    let filter = param(q.as_deref(), "state");
    let shown: Vec<&view::UnitRow> = units
        .iter()
        .filter(|u| filter.as_deref().is_none_or(|f| f == u.state_label))
        .collect();
    let missing: Vec<&view::UnitRow> = units
        .iter()
        .filter(|u| u.state == UnitState::Missing)
        .collect();
    let r = snap.report.as_ref();
    let ctx = context! {
        units => v(&units), shown => v(&shown), states => v(&states), missing => v(&missing),
        registry => &s.cfg.registry.display,
        errors => r.map_or(0, |r| r.errors), warnings => r.map_or(0, |r| r.warnings),
        anomalies => r.map_or(0, |r| r.anomalies.len()),
    };
    with_cookie(
        render(&s, &access, "home.html", "home", "报送进度", ctx),
        cookie,
    )
}

pub async fn unit(
    State(s): State<Arc<AppState>>,
    Path(code): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (access, cookie) = match who(&s, &headers, q.as_deref()) {
        Ok(a) => a,
        Err(r) => return refuse(r),
    };
    if !access.may_see(&code) {
        return refuse((StatusCode::FORBIDDEN, "本链接只能查看本单位".into()));
    }
    let Some(doc) = api::unit_json(&s, &code) else {
        return refuse((StatusCode::NOT_FOUND, format!("名册中没有单位 {code}")));
    };
    let snap = s.snapshot();
    let files = view::unit_files(&snap, &code);
    let adopted = files.first().and_then(|f| f.file.clone());
    let marks = marks_for(&snap, &code, adopted.as_deref());
    let grid = match adopted {
        Some(path) => {
            tokio::task::spawn_blocking(move || grid::draw(std::path::Path::new(&path), &marks))
                .await
                .ok()
                .flatten()
        }
        None => None,
    };
    let ctx = context! {
        unit => v(&doc["unit"]), findings => v(&doc["findings"]), anomalies => v(&doc["anomalies"]),
        files => v(&doc["files"]), grid => v(&grid), max_rows => grid::MAX_ROWS, max_cols => grid::MAX_COLS,
    };
    let title = doc["unit"]["name"].as_str().unwrap_or("单位").to_string();
    with_cookie(
        render(&s, &access, "unit.html", "unit", &title, ctx),
        cookie,
    )
}

/// The cells of the adopted file the unit's findings and anomalies point at.
fn marks_for(snap: &super::state::Snapshot, code: &str, file: Option<&str>) -> Marks {
    let mut marks = Marks::new();
    let Some(file) = file else { return marks };
    for d in view::unit_findings(snap, code) {
        if d.location.file != file || d.location.sheet.as_deref() != Some(crate::sheets::DATA_SHEET)
        {
            continue;
        }
        if let Some(c) = d.location.cell {
            grid::add_mark(
                &mut marks,
                c.row,
                c.col as u32,
                d.severity,
                format!("{} {}", d.code, d.message),
            );
        }
    }
    for a in snap.report.iter().flat_map(|r| &r.anomalies) {
        if a.unit.as_deref() != Some(code) {
            continue;
        }
        // `file!sheet!cell`.
        let mut parts = a.location.rsplitn(3, '!');
        let (cell, sheet) = (parts.next(), parts.next());
        if sheet != Some(crate::sheets::DATA_SHEET) {
            continue;
        }
        if let Some((row, col)) = cell.and_then(grid::parse_a1) {
            grid::add_mark(
                &mut marks,
                row,
                col,
                a.severity,
                format!("{} {}", a.code, a.message),
            );
        }
    }
    marks
}

pub async fn anomalies(
    State(s): State<Arc<AppState>>,
    _: auth::ReviewerPage,
    RawQuery(q): RawQuery,
) -> Response {
    anomalies_page(&s, param(q.as_deref(), "message"), None)
}

fn anomalies_page(s: &AppState, message: Option<String>, problem: Option<String>) -> Response {
    let snap = s.snapshot();
    let list: Vec<serde_json::Value> = snap
        .report
        .iter()
        .flat_map(|r| &r.anomalies)
        .map(view::anomaly_json)
        .collect();
    let ctx = context! {
        anomalies => v(&list), message => message, problem => problem,
        accept_file => s.cfg.accept.display().to_string(),
    };
    render(
        s,
        &Access::Reviewer,
        "anomalies.html",
        "anomalies",
        "异常提示",
        ctx,
    )
}

pub async fn decide(
    State(s): State<Arc<AppState>>,
    _: auth::ReviewerPage,
    Form(form): Form<DecisionForm>,
) -> Response {
    match api::decide_with(s.clone(), form).await {
        Ok(msg) => {
            let to: String = url_encode(&msg);
            Redirect::to(&format!("/anomalies?message={to}")).into_response()
        }
        Err((status, why)) => {
            let mut r = anomalies_page(&s, None, Some(format!("没有记录：{why}")));
            *r.status_mut() = status;
            r
        }
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One row of the 汇总 table, as shown.
#[derive(serde::Serialize)]
struct FigureRow {
    code: String,
    name: String,
    unit: String,
    value: String,
    prior: String,
    change: String,
    pct: String,
    prior_reported: String,
    units: u32,
}

/// One pair of bars of the chart.
#[derive(serde::Serialize)]
struct Bar {
    label: String,
    y: u32,
    w_now: u32,
    w_prior: u32,
    w_max: u32,
    text: String,
}

/// Bars drawn: the indicators with the largest comparable changes.
const CHART_BARS: usize = 12;
const BAR_WIDTH: f64 = 560.0;
const CHART_MIN_PRIOR: f64 = 10.0;

pub async fn figures(State(s): State<Arc<AppState>>, _: auth::ReviewerPage) -> Response {
    let snap = s.snapshot();
    let num = |x: Option<f64>| x.map(fmt_num).unwrap_or_default();
    let (rows, chart, accepted) = match &snap.figures {
        Some(f) => {
            let rows: Vec<FigureRow> = f
                .indicators
                .iter()
                .map(|i| FigureRow {
                    code: i.code.clone(),
                    name: i.name.clone(),
                    unit: i.unit.clone(),
                    value: num(i.value),
                    prior: num(i.prior),
                    change: num(i.change),
                    pct: i
                        .change_pct
                        .map(|p| format!("{:+.1}%", p * 100.0))
                        .unwrap_or_default(),
                    prior_reported: num(i.prior_reported),
                    units: i.units_reporting,
                })
                .collect();
            (rows, chart(f), f.coverage.accepted.len())
        }
        None => (Vec::new(), Vec::new(), 0),
    };
    let height = 24 + chart.len() as u32 * 26;
    let ctx = context! { rows => v(&rows), chart => v(&chart), chart_height => height, accepted => accepted };
    render(
        &s,
        &Access::Reviewer,
        "figures.html",
        "figures",
        "汇总",
        ctx,
    )
}

/// Bars for the indicators with a comparable YoY, largest |change| first, each pair scaled to
/// its own larger value (the indicators have different units).
fn chart(f: &crate::aggregate::Figures) -> Vec<Bar> {
    let mut with: Vec<_> = f
        .indicators
        .iter()
        .filter_map(|i| Some((i, i.value?, i.prior?, i.change_pct?)))
        // A change on a small base (4 against 1) says little: last year at least this much.
        .filter(|(_, v, p, _)| *v >= 0.0 && *p >= CHART_MIN_PRIOR)
        .collect();
    with.sort_by(|a, b| {
        b.3.abs()
            .total_cmp(&a.3.abs())
            .then_with(|| a.0.code.cmp(&b.0.code))
    });
    with.iter()
        .take(CHART_BARS)
        .enumerate()
        .map(|(n, (i, v, p, pct))| {
            let top = v.max(*p);
            let w = |x: f64| (x / top * BAR_WIDTH).round() as u32;
            let name: String = i.name.chars().take(18).collect();
            Bar {
                label: format!("{} {name}", i.code),
                y: 24 + n as u32 * 26,
                w_now: w(*v),
                w_prior: w(*p),
                w_max: BAR_WIDTH as u32,
                text: format!("{} / {}（{:+.1}%）", fmt_num(*v), fmt_num(*p), pct * 100.0),
            }
        })
        .collect()
}

pub async fn downloads(State(s): State<Arc<AppState>>, _: auth::ReviewerPage) -> Response {
    let count = std::fs::read_dir(s.cfg.out.join(FEEDBACK_DIR))
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0);
    let ctx = context! {
        summary_name => crate::report::summary::file_name(s.cfg.year),
        feedback_count => count,
        out => s.cfg.out.display().to_string(),
    };
    render(
        &s,
        &Access::Reviewer,
        "downloads.html",
        "downloads",
        "下载",
        ctx,
    )
}

pub async fn upload_form(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let (access, cookie) = match who(&s, &headers, q.as_deref()) {
        Ok(a) => a,
        Err(r) => return refuse(r),
    };
    with_cookie(upload_page(&s, &access, Vec::new()), cookie)
}

fn upload_page(s: &AppState, access: &Access, results: Vec<serde_json::Value>) -> Response {
    let own = match access {
        Access::Unit(code) => s
            .cfg
            .registry
            .registry
            .get(code)
            .map(|u| context! { code => &u.code, name => &u.name }),
        Access::Reviewer => None,
    };
    let ctx = context! { own => own, results => v(&results) };
    render(s, access, "upload.html", "upload", "上传报表", ctx)
}

pub async fn upload_post(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    multipart: Multipart,
) -> Response {
    let access = match api::guard_post(&s, &headers, q.as_deref()) {
        Ok(a) => a,
        Err(r) => return refuse(r),
    };
    let (status, results) = api::receive(s.clone(), access.clone(), multipart).await;
    let mut r = upload_page(&s, &access, results);
    *r.status_mut() = status;
    r
}
