//! `huizong serve`: the collection round as a local web page (docs/serve.md). One binary, no
//! internet: axum on tokio serves server-side pages (minijinja, templates embedded with
//! `include_str!`) and a JSON API over the library pipeline, called in-process.
//!
//! The pieces, one concern each: [`state`] (the round's configuration and the last completed
//! run, re-run after every upload or decision, one run at a time), [`auth`] (loopback or LAN
//! mode, tokens, the cross-site check), [`upload`] (bounded upload, server-made names in the
//! inbox), [`api`] (JSON), [`pages`] and [`view`] (HTML), [`grid`] (a data sheet as an HTML
//! grid), [`downloads`] (summary, 退回 zip, draft) and [`router`] (routes and limits).

pub mod api;
pub mod auth;
pub mod downloads;
pub mod grid;
pub mod pages;
pub mod router;
pub mod state;
pub mod upload;
pub mod view;

use std::net::SocketAddr;
use std::sync::Arc;

pub use router::router;
pub use state::{AppState, ServeConfig};

use crate::{Error, Result};

/// Serves until the process is stopped: binds `cfg.listen`, runs the pipeline once, prints the
/// address (and in LAN mode the reviewer token and the links file).
pub fn serve(cfg: ServeConfig) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Other(format!("无法启动网页服务：{e}")))?;
    runtime.block_on(async move {
        let listen = cfg.listen;
        // Bound first: a port in use stops the command before the round is run and written.
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            Error::Usage(format!(
                "无法在 {listen} 上提供网页服务：{e}（端口可能已被占用，请换一个 --listen 端口）"
            ))
        })?;
        let addr = listener.local_addr().unwrap_or(listen);
        let state = AppState::start(cfg).await?;
        announce(&state, addr)?;
        axum::serve(
            listener,
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .map_err(|e| Error::Other(format!("网页服务中断：{e}")))
    })
}

/// The start-up lines on stdout.
fn announce(state: &Arc<AppState>, addr: SocketAddr) -> Result<()> {
    let Some(t) = state.tokens() else {
        crate::outln!("汇总网页已启动：http://{addr}/")?;
        crate::outln!("仅本机可访问；局域网内各单位自助上传请用 --listen 0.0.0.0:端口")?;
        return crate::outln!("按 Ctrl+C 停止");
    };
    // The address the units' links carry (--url, else this machine's LAN address).
    let base = auth::base_url(&state.cfg);
    crate::outln!("汇总网页已启动：{base}/（局域网模式，监听 {addr}）")?;
    crate::outln!("审核人口令：{}", t.reviewer)?;
    crate::outln!("审核人打开：{base}/?token={}", t.reviewer)?;
    crate::outln!(
        "各单位的上传链接已写入 {}（审核人口令在 {}）",
        state.cfg.links_dir.join(auth::LINKS_FILE).display(),
        state.cfg.links_dir.join(auth::REVIEWER_FILE).display()
    )?;
    crate::outln!("按 Ctrl+C 停止")
}
