//! The round's state: the configuration the server was started with, and the last completed
//! run (its report and figures), which every page and API answer reads. Runs are serialised: an
//! upload or a decision asks for a run ([`AppState::request_run`]); one worker runs the
//! pipeline, and requests that arrive meanwhile are folded into one more run after it, so
//! `--out` always ends up reflecting the inbox and the acceptance file as they are.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::Notify;

use super::auth::{self, Tokens};
use crate::aggregate::Figures;
use crate::pipeline::{self, LoadedRegistry, RunConfig, RunReport};
use crate::schema::Schema;
use crate::Result;

/// What `huizong serve` was started with, resolved.
pub struct ServeConfig {
    pub schema: Schema,
    pub registry: LoadedRegistry,
    pub year: i32,
    /// The inbox: uploads are filed here, and the run reads it.
    pub inbox: PathBuf,
    pub prior: Option<PathBuf>,
    pub out: PathBuf,
    /// The acceptance file (`huizong accept` / `reject`'s `--file`).
    pub accept: PathBuf,
    pub listen: SocketAddr,
    /// The address units reach in LAN mode, for their links (`http://192.168.1.10:8080`).
    pub url: Option<String>,
    /// Where 上传链接.csv and 审核人口令.txt go (LAN mode).
    pub links_dir: PathBuf,
    /// Worker threads of each run (`None` = one per core).
    pub threads: Option<usize>,
}

/// The last completed run, as the pages see it.
#[derive(Default)]
pub struct Snapshot {
    /// 0 before the first run finished; +1 for every run.
    pub generation: u64,
    pub report: Option<RunReport>,
    pub figures: Option<Figures>,
    /// Why the last run could not run (no workbook yet, a wrong --year…), in Chinese.
    pub error: Option<String>,
}

/// Everything the handlers share.
pub struct AppState {
    pub cfg: ServeConfig,
    tokens: Option<Tokens>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// Units with an upload filed since the last run started: 已收 until that run is done.
    pending: Mutex<BTreeMap<String, String>>,
    /// Last upload time per unit (local time, as shown).
    received: Mutex<BTreeMap<String, String>>,
    /// A run was asked for since the worker last looked.
    wanted: Mutex<bool>,
    wake: Notify,
    /// A run is under way.
    running: AtomicBool,
    /// Upload requests being received and checked at once: bounds the memory (each holds up to
    /// a body's bytes and a parsed workbook) and keeps the cores for the answers.
    pub uploads: tokio::sync::Semaphore,
    /// Serialises the naming and filing of uploads (the next free 第N版).
    pub filing: tokio::sync::Mutex<()>,
}

impl AppState {
    /// Makes the tokens in LAN mode, runs the pipeline once and starts the run worker.
    pub async fn start(cfg: ServeConfig) -> Result<Arc<AppState>> {
        let tokens = if cfg.listen.ip().is_loopback() {
            None
        } else {
            Some(auth::load_or_make(&cfg)?)
        };
        let state = Arc::new(AppState {
            cfg,
            tokens,
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            pending: Mutex::new(BTreeMap::new()),
            received: Mutex::new(BTreeMap::new()),
            wanted: Mutex::new(false),
            wake: Notify::new(),
            running: AtomicBool::new(false),
            uploads: tokio::sync::Semaphore::new(MAX_UPLOADS_AT_ONCE),
            filing: tokio::sync::Mutex::new(()),
        });
        let first = state.clone();
        tokio::task::spawn_blocking(move || first.run_once())
            .await
            .map_err(|e| crate::Error::Other(format!("汇总未能完成：{e}")))?;
        tokio::spawn(worker(state.clone()));
        Ok(state)
    }

    pub fn tokens(&self) -> Option<&Tokens> {
        self.tokens.as_ref()
    }

    /// The last completed run.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Units filed since the last run started, with their upload time.
    pub fn pending(&self) -> BTreeMap<String, String> {
        self.pending.lock().map(|p| p.clone()).unwrap_or_default()
    }

    pub fn received(&self) -> BTreeMap<String, String> {
        self.received.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Notes an upload filed for `unit` and asks for a run.
    pub fn filed(&self, unit: &str) {
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(unit.to_string(), now.clone());
        }
        if let Ok(mut r) = self.received.lock() {
            r.insert(unit.to_string(), now);
        }
        self.request_run();
    }

    /// Asks for a run after the current one (several asks fold into one run).
    pub fn request_run(&self) {
        if let Ok(mut w) = self.wanted.lock() {
            *w = true;
        }
        self.wake.notify_one();
    }

    /// Whether a run is wanted or under way (the pages say 汇总更新中).
    pub fn busy(&self) -> bool {
        self.running.load(Ordering::SeqCst)
            || self.wanted.lock().map(|w| *w).unwrap_or(false)
            || !self.pending().is_empty()
    }

    /// One run of the pipeline over the inbox; its result replaces the snapshot whole.
    fn run_once(&self) {
        self.running.store(true, Ordering::SeqCst);
        let started = self.pending();
        let result = self.run_pipeline();
        let previous = self.snapshot();
        let next = match result {
            Ok((report, figures)) => Snapshot {
                generation: previous.generation + 1,
                report: Some(report),
                figures,
                error: None,
            },
            Err(e) => Snapshot {
                generation: previous.generation + 1,
                report: None,
                figures: None,
                error: Some(e.to_string()),
            },
        };
        if let Ok(mut s) = self.snapshot.write() {
            *s = Arc::new(next);
        }
        // The units filed before this run started are in it now; later ones stay pending.
        if let Ok(mut p) = self.pending.lock() {
            p.retain(|unit, at| started.get(unit) != Some(at));
        }
        self.running.store(false, Ordering::SeqCst);
    }

    fn run_pipeline(&self) -> Result<(RunReport, Option<Figures>)> {
        let c = &self.cfg;
        let cfg = RunConfig {
            schema: c.schema.clone(),
            registry: LoadedRegistry {
                registry: c.registry.registry.clone(),
                display: c.registry.display.clone(),
                settings: c.registry.settings.clone(),
            },
            paths: vec![c.inbox.clone()],
            year: c.year,
            prior: c.prior.clone(),
            out: c.out.clone(),
            acceptances: pipeline::acceptances(
                Some(&c.accept).filter(|p| p.exists()).map(|p| p.as_path()),
            )?,
            progress: false,
            threads: c.threads,
            strict: false,
        };
        let report = pipeline::run(&cfg)?;
        let figures = crate::draft::load_figures(&c.out, c.year).ok();
        Ok((report, figures))
    }
}

/// Upload requests handled at once; more wait their turn.
pub const MAX_UPLOADS_AT_ONCE: usize = 4;

/// How long the worker waits after an ask before it runs.
pub const RUN_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// Runs the pipeline whenever a run was asked for, one at a time.
async fn worker(state: Arc<AppState>) {
    loop {
        state.wake.notified().await;
        // A burst of uploads (a unit dropping ten files, fifty units at the deadline) makes
        // one run, not one each, and the uploads are answered before the run takes the cores.
        tokio::time::sleep(RUN_DELAY).await;
        loop {
            let wanted = state
                .wanted
                .lock()
                .map(|mut w| {
                    // Marked running before the ask is cleared: `busy` never sees neither.
                    if *w {
                        state.running.store(true, Ordering::SeqCst);
                    }
                    std::mem::take(&mut *w)
                })
                .unwrap_or(false);
            if !wanted {
                break;
            }
            let s = state.clone();
            // A panic inside the run is caught by the join; the next ask runs again.
            let _ = tokio::task::spawn_blocking(move || s.run_once()).await;
        }
    }
}
