//! `huizong serve` in-process (the router driven with `tower::ServiceExt::oneshot`) on the
//! generated sample county: the status of every registry unit, uploads filed as new versions
//! the next run adopts, the upload's findings and the unit page's highlighted cell, decisions
//! recorded exactly as `huizong accept` records them, the downloads; and the security bounds:
//! tokens (none, wrong, another unit's), cross-site and foreign-host requests, odd and
//! traversing file names, oversize and non-workbook uploads, 100 concurrent uploads.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use serde_json::Value as Json;
use tower::ServiceExt;

use huizong::pipeline;
use huizong::report::template;
use huizong::sample::{self, SampleCounty, SampleOptions, UnitData};
use huizong::schema::Schema;
use huizong::serve::{self, AppState, ServeConfig};

const YEAR: i32 = 2024;

/// The sample county served from a temporary folder.
struct Served {
    dir: tempfile::TempDir,
    county: SampleCounty,
    schema: Schema,
    seed: u64,
    state: Arc<AppState>,
    app: Router,
}

/// Starts the server state over a fresh sample county; `lan` = listening on 0.0.0.0 (tokens).
async fn start(lan: bool) -> Served {
    let schema = Schema::default_schema();
    let opts = SampleOptions::default();
    let county = sample::generate(&schema, &opts);
    let dir = tempfile::tempdir().expect("temp dir");
    sample::write(&schema, &county, opts.seed, dir.path()).expect("sample written");
    let registry = pipeline::find_registry(Some(&dir.path().join("units.csv")), &[])
        .expect("registry")
        .expect("registry given");
    let listen: SocketAddr = if lan {
        "0.0.0.0:8080"
    } else {
        "127.0.0.1:8080"
    }
    .parse()
    .expect("address");
    let cfg = ServeConfig {
        schema: schema.clone(),
        registry,
        year: YEAR,
        inbox: dir.path().join("2024"),
        prior: Some(dir.path().join("2023")),
        out: dir.path().join("out"),
        accept: dir.path().join("accept.toml"),
        listen,
        url: Some("http://192.0.2.10:8080".into()),
        links_dir: dir.path().join("links"),
        threads: Some(2),
    };
    let state = AppState::start(cfg).await.expect("server state");
    let app = serve::router(state.clone());
    Served {
        dir,
        county,
        schema,
        seed: opts.seed,
        state,
        app,
    }
}

fn code(n: &str) -> String {
    format!("{}-{n}", sample::COUNTY_CODE)
}

impl Served {
    fn inbox(&self) -> PathBuf {
        self.dir.path().join("2024")
    }

    fn inbox_names(&self) -> BTreeSet<String> {
        std::fs::read_dir(self.inbox())
            .expect("inbox")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// `code`'s 2024 workbook as first sent, after `edit`.
    fn workbook(&self, code: &str, edit: impl FnOnce(&mut UnitData)) -> Vec<u8> {
        let mut data: UnitData = self.county.years[&YEAR]
            .iter()
            .find(|d| d.code == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code} sent a file"));
        edit(&mut data);
        let unit = self.county.registry.get(code).expect("registered");
        let fill = sample::fill(&self.schema, unit, &data, self.seed);
        template::build(&self.schema, unit, YEAR, &fill).expect("workbook built")
    }

    /// Sends a request; status, headers and body.
    async fn call(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let r = self.app.clone().oneshot(req).await.expect("answer");
        let (parts, body) = r.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
        (parts.status, parts.headers, bytes.to_vec())
    }

    async fn get(&self, uri: &str) -> (StatusCode, Vec<u8>) {
        let req = Request::get(uri)
            .header(header::HOST, "127.0.0.1:8080")
            .body(Body::empty())
            .expect("request");
        let (s, _, b) = self.call(req).await;
        (s, b)
    }

    async fn get_json(&self, uri: &str) -> Json {
        let (s, b) = self.get(uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&b));
        serde_json::from_slice(&b).expect("json")
    }

    /// POSTs the files as multipart field `file` (with the given client file names).
    async fn upload(
        &self,
        uri: &str,
        files: &[(&str, &[u8])],
        origin: Option<&str>,
    ) -> (StatusCode, Json) {
        let (ctype, body) = multipart(files);
        let mut req = Request::post(uri)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::CONTENT_TYPE, ctype);
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        let (s, _, b) = self
            .call(req.body(Body::from(body)).expect("request"))
            .await;
        let json = serde_json::from_slice(&b)
            .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&b).into()));
        (s, json)
    }

    /// Waits (bounded) until the runs asked for so far are done.
    async fn idle(&self) {
        let until = Instant::now() + Duration::from_secs(300);
        while self.state.busy() {
            assert!(
                Instant::now() < until,
                "the runs did not finish in 5 minutes"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn unit_row<'a>(status: &'a Json, code: &str) -> &'a Json {
        status["units"]
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["code"] == code)
            .unwrap_or_else(|| panic!("{code} in the status"))
    }
}

/// A multipart body with one `file` field per file.
fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "huizong-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(b"Content-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_every_registry_unit_with_its_state() {
    let s = start(false).await;
    let status = s.get_json("/api/status").await;
    assert_eq!(status["generation"], 1);
    let units = status["units"].as_array().expect("units");
    let expected: Vec<String> = s
        .county
        .registry
        .active_in(YEAR)
        .map(|u| u.code.clone())
        .collect();
    let listed: Vec<String> = units
        .iter()
        .map(|u| u["code"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(listed, expected, "every registry unit, in registry order");
    // The sample's planted missing unit is 未报, its two units with errors (V02 "xx" and V28)
    // are 退回; every state is one of the five.
    let missing: Vec<&String> = s.county.years[&YEAR]
        .iter()
        .filter(|d| d.file_name.is_none())
        .map(|d| &d.code)
        .collect();
    for u in units {
        let code = u["code"].as_str().unwrap_or("").to_string();
        let want_missing = missing.contains(&&code);
        assert_eq!(u["state"] == "未报", want_missing, "{u}");
        assert!(
            ["未报", "已收", "退回", "待核实", "已汇总"]
                .contains(&u["state"].as_str().unwrap_or("")),
            "{u}"
        );
    }
    assert_eq!(Served::unit_row(&status, &code("D15"))["state"], "退回");
    assert_eq!(Served::unit_row(&status, &code("D16"))["state"], "退回");
    let home = String::from_utf8(s.get("/").await.1).expect("utf-8");
    assert!(
        home.contains("报送进度") && home.contains("催报名单"),
        "{home}"
    );
    for m in &missing {
        assert!(home.contains(m.as_str()), "催报 lists {m}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_filed_as_the_next_version_and_the_next_run_adopts_it() {
    let s = start(false).await;
    let d15 = code("D15");
    let before = s.inbox_names();
    // 县水利局 corrects its "xx" (V02).
    let fixed = s.workbook(&d15, |d| {
        d.typed.remove("ZF03");
        d.values.insert("ZF03".into(), 3.0);
    });
    let (st, answer) = s
        .upload("/api/upload", &[("水利局 最终版.xlsx", &fixed)], None)
        .await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    assert_eq!(answer["filed"], true);
    assert_eq!(answer["unit"], d15.as_str());
    assert_eq!(answer["file"], format!("{d15}_第2版.xlsx"));
    assert_eq!(answer["summary"]["errors"], 0, "{answer}");
    let added: Vec<String> = s.inbox_names().difference(&before).cloned().collect();
    assert_eq!(
        added,
        [format!("{d15}_第2版.xlsx")],
        "only the server's name, no temp file left"
    );
    assert_eq!(
        std::fs::read(s.inbox().join(&added[0])).expect("filed"),
        fixed,
        "stored as sent"
    );

    s.idle().await;
    let unit = s.get_json(&format!("/api/units/{d15}")).await;
    assert_ne!(unit["unit"]["state"], "退回", "{unit}");
    assert_eq!(unit["unit"]["versions"], 2);
    assert_eq!(
        unit["unit"]["file"],
        format!("{d15}_第2版.xlsx"),
        "the upload is adopted"
    );
    let files = unit["files"].as_array().expect("files");
    assert_eq!(files[0]["role"], "采用");
    assert_eq!(files[1]["status"], "已被替代");
    let changes = files[0]["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["indicator"] == "ZF03" && c["after"] == "3"),
        "{changes:?}"
    );

    // A second upload is 第3版 and replaces the 第2版; nothing earlier is overwritten.
    let again = s.workbook(&d15, |d| {
        d.typed.remove("ZF03");
        d.values.insert("ZF03".into(), 4.0);
    });
    let (_, answer) = s.upload("/api/upload", &[("x.xlsx", &again)], None).await;
    assert_eq!(answer["file"], format!("{d15}_第3版.xlsx"));
    assert_eq!(
        std::fs::read(s.inbox().join(format!("{d15}_第2版.xlsx"))).expect("kept"),
        fixed
    );
    s.idle().await;
    let unit = s.get_json(&format!("/api/units/{d15}")).await;
    assert_eq!(unit["unit"]["file"], format!("{d15}_第3版.xlsx"));
    assert_eq!(unit["unit"]["versions"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_with_an_error_answers_its_finding_and_the_unit_page_marks_the_cell() {
    let s = start(false).await;
    let d01 = code("D01");
    let bad = s.workbook(&d01, |d| {
        d.typed.insert("ZF03".into(), "xx".into());
        // Markup in a cell is shown as text, never run.
        d.notes
            .insert("ZF01".into(), "<script>alert(1)</script>".into());
    });
    let (st, answer) = s
        .upload("/api/upload", &[("公安局.xlsx", &bad)], None)
        .await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    let v02: Vec<&Json> = answer["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "V02")
        .collect();
    assert_eq!(v02.len(), 1, "{answer}");
    assert_eq!(v02[0]["severity"], "error");
    assert_eq!(v02[0]["sheet"], "统计表");
    let cell = v02[0]["cell"].as_str().expect("cell").to_string();
    assert_eq!(answer["summary"]["errors"], 1);
    s.idle().await;
    let status = s.get_json("/api/status").await;
    assert_eq!(Served::unit_row(&status, &d01)["state"], "退回");
    let (st, page) = s.get(&format!("/unit/{d01}")).await;
    assert_eq!(st, StatusCode::OK);
    let page = String::from_utf8(page).expect("utf-8");
    // The grid's error cell carries the finding as its tooltip and shows the typed text.
    assert!(
        page.contains(&format!(
            "<td id=\"cell-{cell}\" class=\"error\" title=\"V02 "
        )),
        "{page}"
    );
    assert!(page.contains(">xx</td>"), "the typed text is drawn");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;"), "escaped");
    assert!(!page.contains("<script>alert"), "not as markup");
    assert!(
        page.contains(&format!("<a href=\"#cell-{cell}\">{cell}</a>")),
        "the finding links to {cell}"
    );
    // 怎么改 says what the 退回 workbook says, in words the template accepts.
    assert!(page.contains("请只填阿拉伯数字"), "the advice is shown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_is_recorded_exactly_as_the_command_line_records_it() {
    let s = start(false).await;
    let status = s.get_json("/api/status").await;
    assert!(status["anomalies"].as_u64().unwrap_or(0) > 0);
    // The first open anomaly of a unit, on an indicator.
    let mut target = None;
    for u in status["units"].as_array().expect("units") {
        let unit = s
            .get_json(&format!("/api/units/{}", u["code"].as_str().unwrap_or("")))
            .await;
        if let Some(a) = unit["anomalies"].as_array().and_then(|a| {
            a.iter()
                .find(|a| a["open"] == true && a["indicator"].is_string())
        }) {
            target = Some(a.clone());
            break;
        }
    }
    let a = target.expect("an open anomaly in the sample");
    let (unit, rule, ind) = (
        a["unit"].as_str().expect("unit"),
        a["code"].as_str().expect("code"),
        a["indicator"].as_str().expect("indicator"),
    );
    let reason = "经电话核实，数值属实无误";
    let body = serde_json::json!({"unit": unit, "code": rule, "indicator": ind,
        "decision": "accept", "reason": reason, "by": "张三"});
    // A cross-site request is refused and records nothing.
    let req = |origin: &str| {
        Request::post("/api/decision")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request")
    };
    let (st, _, _) = s.call(req("http://evil.example")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(!s.dir.path().join("accept.toml").exists());
    let (st, _, b) = s.call(req("http://127.0.0.1:8080")).await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));

    // The same decision through `huizong accept` writes the same file.
    let cli = s.dir.path().join("cli.toml");
    assert_cmd::Command::cargo_bin("huizong")
        .expect("binary")
        .args([
            "accept",
            unit,
            rule,
            "--indicator",
            ind,
            "--reason",
            reason,
            "--by",
            "张三",
        ])
        .args(["--year", &YEAR.to_string(), "--file"])
        .arg(&cli)
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(s.dir.path().join("accept.toml")).expect("recorded"),
        std::fs::read_to_string(&cli).expect("cli file")
    );
    s.idle().await;
    let after = s.get_json(&format!("/api/units/{unit}")).await;
    let now = after["anomalies"]
        .as_array()
        .expect("anomalies")
        .iter()
        .find(|x| x["code"] == rule && x["indicator"] == ind)
        .cloned()
        .expect("still listed");
    assert_eq!(now["status"], "已确认", "{now}");

    // The form of the 异常提示 page: a reason too short is refused with the command's message.
    let form = format!("unit={unit}&code={rule}&indicator={ind}&decision=reject&reason=no");
    let req = Request::post("/anomalies/decide")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request");
    let (st, _, page) = s.call(req).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(String::from_utf8_lossy(&page).contains("没有记录"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_are_the_runs_outputs() {
    let s = start(false).await;
    let (st, summary) = s.get("/download/summary.xlsx").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        summary,
        std::fs::read(s.dir.path().join("out/汇总_2024.xlsx")).expect("summary")
    );
    let (st, zip) = s.get("/download/feedback.zip").await;
    assert_eq!(st, StatusCode::OK);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.clone())).expect("a zip");
    let mut inside: Vec<String> = (0..archive.len())
        .map(|i| {
            archive
                .by_index(i)
                .expect("entry")
                .name()
                .expect("name")
                .to_string()
        })
        .collect();
    inside.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(s.dir.path().join("out/退回"))
        .expect("退回")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert!(!on_disk.is_empty());
    assert_eq!(inside, on_disk);
    assert_eq!(
        s.get("/download/feedback.zip").await.1,
        zip,
        "deterministic"
    );
    let (st, docx) = s.get("/download/draft.docx").await;
    assert_eq!(st, StatusCode::OK);
    let mut doc = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a docx");
    assert!(doc.by_name("word/document.xml").is_ok());
    for page in ["/anomalies", "/figures", "/downloads", "/upload"] {
        let (st, html) = s.get(page).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(
            String::from_utf8_lossy(&html).contains("<html lang=\"zh-CN\">"),
            "{page}"
        );
    }
    let figures = String::from_utf8(s.get("/figures").await.1).expect("utf-8");
    assert!(
        figures.contains("<svg") && figures.contains("<rect"),
        "a bar chart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_mode_refuses_cross_site_posts_and_foreign_host_names() {
    let s = start(false).await;
    let wb = s.workbook(&code("D02"), |_| {});
    let before = s.inbox_names();
    let (st, _) = s
        .upload(
            "/api/upload",
            &[("a.xlsx", &wb)],
            Some("http://evil.example"),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // The Referer is checked when there is no Origin.
    let (ctype, body) = multipart(&[("a.xlsx", &wb)]);
    let req = Request::post("/upload")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::REFERER, "http://127.0.0.1:8080.evil.example/upload")
        .header(header::CONTENT_TYPE, ctype)
        .body(Body::from(body))
        .expect("request");
    assert_eq!(s.call(req).await.0, StatusCode::FORBIDDEN);
    assert_eq!(s.inbox_names(), before, "nothing filed");
    // A page reached through another host name (DNS rebinding) is refused.
    let req = Request::get("/api/status")
        .header(header::HOST, "evil.example:8080")
        .body(Body::empty())
        .expect("request");
    assert_eq!(s.call(req).await.0, StatusCode::FORBIDDEN);
    let req = Request::get("/api/status")
        .header(header::HOST, "localhost:8080")
        .body(Body::empty())
        .expect("request");
    assert_eq!(s.call(req).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_names_oversize_and_non_workbooks_never_reach_a_path() {
    let s = start(false).await;
    let d03 = code("D03");
    let wb = s.workbook(&d03, |d| {
        d.values.insert("ZF01".into(), 7.0);
    });
    let before = s.inbox_names();
    let odd = [
        "../../../../tmp/huizong-escape.xlsx",
        "..\\..\\evil.xlsx",
        "/etc/passwd",
        "a%00b.xlsx",
        "CON.xlsx",
        ".hidden.xlsx",
        "报表.txt",
    ];
    for (n, name) in odd.iter().enumerate() {
        let (st, answer) = s.upload("/api/upload", &[(name, &wb)], None).await;
        assert_eq!(st, StatusCode::OK, "{name}: {answer}");
        assert_eq!(
            answer["file"],
            format!("{d03}_第{}版.xlsx", n + 2),
            "{name}"
        );
    }
    let added: BTreeSet<String> = s.inbox_names().difference(&before).cloned().collect();
    let want: BTreeSet<String> = (2..=8).map(|n| format!("{d03}_第{n}版.xlsx")).collect();
    assert_eq!(added, want);
    assert!(!Path::new("/tmp/huizong-escape.xlsx").exists());
    assert!(!s.dir.path().join("evil.xlsx").exists());
    // A NUL in the header is refused by the form parser (400), nothing filed.
    let before = s.inbox_names();
    let (st, _) = s
        .upload("/api/upload", &[("a\u{0}b.xlsx", &wb)], None)
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(s.inbox_names(), before);

    // Not a workbook: refused by content (whatever the name says), nothing filed.
    let before = s.inbox_names();
    let (st, answer) = s
        .upload(
            "/api/upload",
            &[("报表.xlsx", b"just text, not a workbook")],
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["filed"], false);
    // Oversize: the body limit answers 413 before anything is read.
    let big = vec![b'P'; 22 * 1024 * 1024];
    let (st, _) = s.upload("/api/upload", &[("big.xlsx", &big)], None).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(s.inbox_names(), before, "nothing filed");
    let leftovers: Vec<String> = s
        .inbox_names()
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lan_mode_needs_tokens_and_a_unit_token_files_only_its_own_unit() {
    let s = start(true).await;
    let tokens = s.state.tokens().expect("LAN mode has tokens");
    let (d04, d05) = (code("D04"), code("D05"));
    let (t04, rev) = (tokens.units[&d04].clone(), tokens.reviewer.clone());
    assert_eq!(t04.len(), 32);
    assert!(t04.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(t04, tokens.units[&d05]);
    // The links file: one line per unit with its token in the link.
    let links = std::fs::read_to_string(s.dir.path().join("links/上传链接.csv")).expect("links");
    assert!(
        links.starts_with("\u{feff}单位代码,单位名称,链接\n"),
        "{links}"
    );
    let unit = s.county.registry.get(&d04).expect("unit");
    assert!(
        links.contains(&format!(
            "{d04},{},http://192.0.2.10:8080/upload?token={t04}\n",
            unit.name
        )),
        "{links}"
    );
    assert_eq!(
        links.lines().count(),
        1 + s.county.registry.active_in(YEAR).count()
    );
    let rev_file =
        std::fs::read_to_string(s.dir.path().join("links/审核人口令.txt")).expect("reviewer");
    assert!(rev_file.contains(&rev));

    assert_eq!(s.get("/api/status").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.get("/").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.get("/api/status?token=00000000000000000000000000000000")
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.get(&format!("/api/status?token={t04}")).await.0,
        StatusCode::FORBIDDEN,
        "a unit is not the reviewer"
    );
    assert_eq!(
        s.get(&format!("/download/summary.xlsx?token={t04}"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.get(&format!("/api/status?token={rev}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        s.get(&format!("/api/units/{d04}?token={t04}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        s.get(&format!("/api/units/{d05}?token={t04}")).await.0,
        StatusCode::FORBIDDEN,
        "only its own unit"
    );
    assert_eq!(
        s.get(&format!("/unit/{d05}?token={t04}")).await.0,
        StatusCode::FORBIDDEN
    );

    let before = s.inbox_names();
    let theirs = s.workbook(&d05, |_| {});
    let (st, _) = s.upload("/api/upload", &[("x.xlsx", &theirs)], None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, answer) = s
        .upload(
            &format!("/api/upload?token={t04}"),
            &[("x.xlsx", &theirs)],
            None,
        )
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "another unit's workbook: {answer}"
    );
    assert_eq!(s.inbox_names(), before, "nothing filed");
    let mine = s.workbook(&d04, |d| {
        d.values.insert("ZF01".into(), 9.0);
    });
    let (st, answer) = s
        .upload(
            &format!("/api/upload?token={t04}"),
            &[("x.xlsx", &mine)],
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{answer}");
    assert_eq!(answer["file"], format!("{d04}_第2版.xlsx"));
    // A first visit with the token sets a strict cookie that the next pages are opened with.
    let req = Request::get(format!("/upload?token={t04}"))
        .body(Body::empty())
        .expect("request");
    let (st, headers, _) = s.call(req).await;
    assert_eq!(st, StatusCode::OK);
    let cookie = headers[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_string();
    let req = Request::get(format!("/unit/{d04}"))
        .header(header::COOKIE, pair)
        .body(Body::empty())
        .expect("request");
    assert_eq!(s.call(req).await.0, StatusCode::OK);
    s.idle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_links_sent_out() {
    let s = start(true).await;
    let first = std::fs::read_to_string(s.dir.path().join("links/上传链接.csv")).expect("links");
    let again = huizong::serve::auth::load_or_make(&s.state.cfg).expect("tokens");
    assert_eq!(again.reviewer, s.state.tokens().expect("tokens").reviewer);
    assert_eq!(
        std::fs::read_to_string(s.dir.path().join("links/上传链接.csv")).expect("links"),
        first
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_uploads_are_all_filed() {
    let s = start(false).await;
    let units: Vec<String> = s.county.years[&YEAR]
        .iter()
        .filter(|d| d.file_name.is_some())
        .map(|d| d.code.clone())
        .take(10)
        .collect();
    let before = s.inbox_names();
    let mut tasks = Vec::new();
    for n in 0..100usize {
        let unit = units[n % units.len()].clone();
        let wb = s.workbook(&unit, |d| {
            d.values.insert("ZF01".into(), n as f64);
        });
        let (ctype, body) = multipart(&[("same-name.xlsx", &wb)]);
        let app = s.app.clone();
        tasks.push(tokio::spawn(async move {
            let req = Request::post("/api/upload")
                .header(header::HOST, "127.0.0.1:8080")
                .header(header::CONTENT_TYPE, ctype)
                .body(Body::from(body))
                .expect("request");
            let r = app.oneshot(req).await.expect("answer");
            let st = r.status();
            let b = axum::body::to_bytes(r.into_body(), usize::MAX)
                .await
                .expect("body");
            (st, serde_json::from_slice::<Json>(&b).expect("json"))
        }));
    }
    let mut names = BTreeSet::new();
    for t in tasks {
        let (st, answer) = t.await.expect("task");
        assert_eq!(st, StatusCode::OK, "{answer}");
        assert!(
            names.insert(answer["file"].as_str().expect("file").to_string()),
            "{answer}"
        );
    }
    assert_eq!(names.len(), 100);
    let added: BTreeSet<String> = s.inbox_names().difference(&before).cloned().collect();
    assert_eq!(added, names, "every upload filed under its own name");
    // Each unit got versions 第2版 … 第11版, none skipped or doubled.
    for u in &units {
        let mine: BTreeSet<String> = names
            .iter()
            .filter(|n| n.starts_with(u.as_str()))
            .cloned()
            .collect();
        let want: BTreeSet<String> = (2..=11).map(|n| format!("{u}_第{n}版.xlsx")).collect();
        assert_eq!(mine, want);
    }
    s.idle().await;
    let status = s.get_json("/api/status").await;
    assert!(status["error"].is_null(), "{status}");
    for u in &units {
        assert_eq!(Served::unit_row(&status, u)["versions"], 11, "{u}");
    }
}

/// The binary: a missing inbox and a port in use stop it with exit 2 and a Chinese reason; on a
/// free port it prints the address and answers there.
#[test]
fn the_binary_serves_on_the_address_it_prints_and_exits_2_when_it_cannot() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = tempfile::tempdir().expect("temp dir");
    let huizong = || assert_cmd::Command::cargo_bin("huizong").expect("binary");
    huizong()
        .args(["sample", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let inbox = dir.path().join("2024");
    let out = huizong()
        .args(["serve", "--year", "2024", "--inbox"])
        .arg(dir.path().join("没有这个文件夹"))
        .output()
        .expect("ran");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("收表文件夹"),
        "{out:?}"
    );
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("address").port();
    let out = huizong()
        .args([
            "serve",
            "--year",
            "2024",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--inbox",
        ])
        .arg(&inbox)
        .arg("--out")
        .arg(dir.path().join("out1"))
        .output()
        .expect("ran");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("端口"),
        "{out:?}"
    );
    drop(taken);

    let bin = assert_cmd::cargo::cargo_bin("huizong");
    let mut child = std::process::Command::new(bin)
        .args([
            "serve",
            "--year",
            "2024",
            "--listen",
            "127.0.0.1:0",
            "--inbox",
        ])
        .arg(&inbox)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--accept")
        .arg(dir.path().join("accept.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("started");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let addr = first
        .strip_prefix("汇总网页已启动：http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    let mut stream = std::net::TcpStream::connect(&addr).expect("connected");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        stream,
        "GET /api/status HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\"units\":[{\"code\":\"411321-"),
        "{answer}"
    );
    assert!(
        dir.path().join("out/汇总_2024.xlsx").exists(),
        "the round was run at start"
    );
}
