//! `huizong serve` in a real browser: Debian's `chromium`, headless, driven through
//! `chromedriver` (WebDriver, the fantoccini client) against the server on a real loopback
//! listener. The clerk's path: upload a workbook with an error on the upload page, see its
//! finding, open the unit and find the cell highlighted, accept an anomaly on 异常提示 and see it
//! recorded, download the summary workbook. Skipped with a note when chromium or chromedriver is
//! missing, unless `CI=true` (`.ci/run` installs both), where that is a failure.

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;

use huizong::pipeline;
use huizong::report::template;
use huizong::sample::{self, SampleOptions};
use huizong::schema::Schema;
use huizong::serve::{self, AppState, ServeConfig};

const YEAR: i32 = 2024;

/// Whether `cmd --version` runs.
fn present(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// chromedriver, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits (bounded) until `addr` accepts connections.
fn wait_listening(addr: SocketAddr) {
    let until = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < until,
            "{addr} did not start listening in 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits (bounded) until `f` is true.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(300);
    while !f() {
        assert!(Instant::now() < until, "{what}: not within 5 minutes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn read_dir_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_uploads_sees_the_error_accepts_an_anomaly_and_downloads_the_summary() {
    if !(present("chromium") && present("chromedriver")) {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "chromium and chromedriver are required under CI (.ci/run installs them)"
        );
        eprintln!("note: chromium or chromedriver not installed, browser test skipped");
        return;
    }
    // The sample county, served on a real loopback listener.
    let schema = Schema::default_schema();
    let opts = SampleOptions::default();
    let county = sample::generate(&schema, &opts);
    let dir = tempfile::tempdir().expect("temp dir");
    sample::write(&schema, &county, opts.seed, dir.path()).expect("sample written");
    let registry = pipeline::find_registry(Some(&dir.path().join("units.csv")), &[])
        .expect("registry")
        .expect("registry given");
    let out = dir.path().join("out");
    let accept = dir.path().join("accept.toml");
    let cfg = ServeConfig {
        schema: schema.clone(),
        registry,
        year: YEAR,
        inbox: dir.path().join("2024"),
        prior: Some(dir.path().join("2023")),
        out: out.clone(),
        accept: accept.clone(),
        listen: "127.0.0.1:0".parse().expect("address"),
        url: None,
        links_dir: dir.path().join("links"),
        threads: Some(2),
    };
    let state = AppState::start(cfg).await.expect("server state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let addr = listener.local_addr().expect("address");
    let app = serve::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let base = format!("http://{addr}");

    // The workbook with an error: 县公安局 typed "xx" for ZF03.
    let d01 = format!("{}-D01", sample::COUNTY_CODE);
    let mut data = county.years[&YEAR]
        .iter()
        .find(|d| d.code == d01)
        .cloned()
        .expect("D01 sent a file");
    data.typed.insert("ZF03".into(), "xx".into());
    let unit = county.registry.get(&d01).expect("registered");
    let fill = sample::fill(&schema, unit, &data, opts.seed);
    let upload: PathBuf = dir.path().join("公安局 修改后.xlsx");
    std::fs::write(
        &upload,
        template::build(&schema, unit, YEAR, &fill).expect("built"),
    )
    .expect("written");

    // chromedriver and a headless chromium that downloads into a folder of ours.
    let port = free_port();
    let _driver = Driver(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver started"),
    );
    wait_listening(SocketAddr::from(([127, 0, 0, 1], port)));
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).expect("downloads folder");
    let caps = json!({
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900"],
            "prefs": {
                "download.default_directory": downloads.to_string_lossy(),
                "download.prompt_for_download": false,
            },
        }
    });
    let caps = match caps {
        serde_json::Value::Object(m) => m,
        _ => unreachable!("an object"),
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");

    // 1. Upload on the upload page; the answer names the unit, the stored name and the V02.
    c.goto(&format!("{base}/upload"))
        .await
        .expect("upload page");
    let input = c
        .find(Locator::Css("input#file"))
        .await
        .expect("file input");
    input
        .send_keys(&upload.to_string_lossy())
        .await
        .expect("file chosen");
    c.find(Locator::Css("input[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("sent");
    let result = c
        .wait()
        .for_element(Locator::Css("#results .result"))
        .await
        .expect("a result")
        .text()
        .await
        .expect("text");
    assert!(
        result.contains(&format!("存为 {d01}_第2版.xlsx")),
        "{result}"
    );
    assert!(result.contains("V02"), "{result}");
    assert!(result.contains("错误 1"), "{result}");

    // 2. After the run, the unit page marks the cell.
    eventually("the run after the upload", || !state.busy()).await;
    c.goto(&format!("{base}/unit/{d01}"))
        .await
        .expect("unit page");
    let state_tag = c
        .find(Locator::Css("h2 .tag"))
        .await
        .expect("state")
        .text()
        .await
        .expect("text");
    assert_eq!(state_tag, "退回");
    let cell = c
        .find(Locator::Css("table.grid td.error"))
        .await
        .expect("a marked cell");
    assert_eq!(cell.text().await.expect("text"), "xx");
    let title = cell.attr("title").await.expect("title").unwrap_or_default();
    assert!(title.starts_with("V02 "), "{title}");
    let bg = c
        .execute(
            "return getComputedStyle(document.querySelector('table.grid td.error')).backgroundColor",
            vec![],
        )
        .await
        .expect("style");
    assert_eq!(bg, json!("rgb(255, 206, 203)"), "drawn highlighted");

    // 3. Accept the first anomaly on 异常提示.
    c.goto(&format!("{base}/anomalies"))
        .await
        .expect("anomalies page");
    let form = c
        .find(Locator::Css("table#anomalies form"))
        .await
        .expect("a form");
    let unit_of = form
        .find(Locator::Css("input[name=unit]"))
        .await
        .expect("unit")
        .attr("value")
        .await
        .expect("value")
        .unwrap_or_default();
    form.find(Locator::Css("input[name=reason]"))
        .await
        .expect("reason")
        .send_keys("经电话核实，数值属实无误")
        .await
        .expect("typed");
    form.find(Locator::Css("button[value=accept]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("clicked");
    let msg = c
        .wait()
        .for_element(Locator::Css(".msg"))
        .await
        .expect("a message")
        .text()
        .await
        .expect("text");
    assert!(msg.starts_with("已记录：已确认"), "{msg}");
    assert!(msg.contains(&unit_of), "{msg}");
    let recorded = std::fs::read_to_string(&accept).expect("acceptance file");
    assert!(
        recorded.contains(&unit_of) && recorded.contains("经电话核实，数值属实无误"),
        "{recorded}"
    );

    // 4. Download the summary once the run after the decision is done.
    eventually("the run after the decision", || !state.busy()).await;
    c.goto(&format!("{base}/downloads"))
        .await
        .expect("downloads page");
    c.find(Locator::Id("dl-summary"))
        .await
        .expect("link")
        .click()
        .await
        .expect("clicked");
    let name = format!("汇总_{YEAR}.xlsx");
    eventually("the download", || {
        read_dir_names(&downloads).contains(&name)
    })
    .await;
    let got = std::fs::read(downloads.join(&name)).expect("downloaded");
    assert_eq!(
        got,
        std::fs::read(out.join(&name)).expect("summary"),
        "the run's workbook"
    );
    c.close().await.expect("session closed");
}
