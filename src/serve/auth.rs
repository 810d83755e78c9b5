//! Who may do what. Loopback mode (the default, `--listen 127.0.0.1:…`): the clerk's own
//! machine, no token; every request must name a loopback host (a page elsewhere cannot reach
//! the server through a rebound DNS name). LAN mode (any other address): every request carries
//! a token (`?token=`, a `Bearer` header, or the cookie a first visit with `?token=` sets):
//! the reviewer's sees everything, a unit's sees and uploads only that unit. Tokens are 128 bits
//! from the OS RNG, kept in 上传链接.csv and 审核人口令.txt so a restart keeps the links
//! the units were sent. In both modes a state-changing request whose `Origin` or `Referer`
//! names another site is refused (cross-site request forgery); the cookie is `SameSite=Strict`.

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::{header, HeaderMap, StatusCode};

use super::state::{AppState, ServeConfig};
use crate::io::write_atomic;
use crate::{Error, Result};

/// The units' links, in the links folder.
pub const LINKS_FILE: &str = "上传链接.csv";
/// The reviewer's token, beside the links.
pub const REVIEWER_FILE: &str = "审核人口令.txt";
/// The cookie that keeps a token after the first visit.
pub const COOKIE: &str = "huizong_token";

/// The LAN mode tokens.
pub struct Tokens {
    pub reviewer: String,
    /// Unit code → token.
    pub units: BTreeMap<String, String>,
}

/// Who a request is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Reviewer,
    Unit(String),
}

impl Access {
    pub fn may_see(&self, unit: &str) -> bool {
        match self {
            Access::Reviewer => true,
            Access::Unit(u) => u == unit,
        }
    }
}

/// A refusal: the status and the Chinese reason.
pub type Refusal = (StatusCode, String);

/// 128 random bits from the OS, as 32 hex digits.
pub fn new_token() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Other(format!("无法生成随机口令：{e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// The tokens of an earlier start (so the links sent out still work), new ones for units
/// without, written back.
pub fn load_or_make(cfg: &ServeConfig) -> Result<Tokens> {
    let dir = &cfg.links_dir;
    let reviewer = std::fs::read_to_string(dir.join(REVIEWER_FILE))
        .ok()
        .and_then(|t| t.lines().find_map(token_in))
        .map(Ok)
        .unwrap_or_else(new_token)?;
    let old = old_links(&dir.join(LINKS_FILE));
    let mut units = BTreeMap::new();
    for u in cfg.registry.registry.active_in(cfg.year) {
        let t = match old.get(&u.code) {
            Some(t) => t.clone(),
            None => new_token()?,
        };
        units.insert(u.code.clone(), t);
    }
    let tokens = Tokens { reviewer, units };
    write_links(cfg, &tokens)?;
    Ok(tokens)
}

/// A 32-hex-digit token after `token=` (or alone) in a line.
fn token_in(line: &str) -> Option<String> {
    let t = line.rsplit("token=").next()?.trim().trim_matches('"');
    (t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_string())
}

fn old_links(path: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return BTreeMap::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let code = l
                .split(',')
                .next()?
                .trim_start_matches('\u{feff}')
                .to_string();
            Some((code, token_in(l)?))
        })
        .collect()
}

/// 上传链接.csv (UTF-8 with BOM, so Excel opens it in Chinese) and 审核人口令.txt.
fn write_links(cfg: &ServeConfig, t: &Tokens) -> Result<()> {
    let base = base_url(cfg);
    let mut csv = String::from("\u{feff}单位代码,单位名称,链接\n");
    for u in cfg.registry.registry.active_in(cfg.year) {
        if let Some(tok) = t.units.get(&u.code) {
            let name = u.name.replace([',', '"', '\n'], " ");
            csv.push_str(&format!("{},{name},{base}/upload?token={tok}\n", u.code));
        }
    }
    std::fs::create_dir_all(&cfg.links_dir).map_err(|e| Error::write(&cfg.links_dir, e))?;
    write_atomic(&cfg.links_dir.join(LINKS_FILE), csv.as_bytes())?;
    let rev = format!(
        "审核人口令（请勿外传）：{}\n审核人打开：{base}/?token={}\n",
        t.reviewer, t.reviewer
    );
    write_atomic(&cfg.links_dir.join(REVIEWER_FILE), rev.as_bytes())
}

/// The address in the links: `--url`, else the listening address (`0.0.0.0` becomes this
/// machine's LAN address as the OS routes it; a UDP connect sends nothing).
pub fn base_url(cfg: &ServeConfig) -> String {
    if let Some(u) = &cfg.url {
        return u.trim_end_matches('/').to_string();
    }
    let mut ip = cfg.listen.ip();
    if ip.is_unspecified() {
        if let Some(found) = std::net::UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| s.connect("192.0.2.1:9").map(|_| s))
            .and_then(|s| s.local_addr())
            .ok()
            .map(|a| a.ip())
        {
            ip = found;
        }
    }
    format!("http://{ip}:{}", cfg.listen.port())
}

/// The token a request carries, if any: `?token=`, `Authorization: Bearer`, or the cookie.
pub fn token_of(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    let from_query = query.and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(str::to_string)
    });
    let from_header = || {
        headers
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")
            .map(|t| t.trim().to_string())
    };
    let from_cookie = || {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| {
                c.trim()
                    .strip_prefix(&format!("{COOKIE}="))
                    .map(str::to_string)
            })
    };
    from_query.or_else(from_header).or_else(from_cookie)
}

/// Equal in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Who the request is from, or why it is refused (401 without a token, 403 with a wrong one
/// or a foreign host name).
pub fn access(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Access, Refusal> {
    let Some(tokens) = state.tokens() else {
        if !loopback_host(headers) {
            return Err((
                StatusCode::FORBIDDEN,
                "本机模式只接受 127.0.0.1 或 localhost 的访问".into(),
            ));
        }
        return Ok(Access::Reviewer);
    };
    let Some(given) = token_of(headers, query) else {
        return Err((
            StatusCode::UNAUTHORIZED,
            "需要口令：请用审核人或本单位收到的链接打开".into(),
        ));
    };
    if same(&given, &tokens.reviewer) {
        return Ok(Access::Reviewer);
    }
    match tokens.units.iter().find(|(_, t)| same(t, &given)) {
        Some((code, _)) => Ok(Access::Unit(code.clone())),
        None => Err((
            StatusCode::FORBIDDEN,
            "口令不对：请用收到的链接重新打开".into(),
        )),
    }
}

/// Only the reviewer.
pub fn reviewer(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> Result<(), Refusal> {
    match access(state, headers, query)? {
        Access::Reviewer => Ok(()),
        Access::Unit(_) => Err((StatusCode::FORBIDDEN, "本页只有审核人可以查看".into())),
    }
}

/// Extracting it admits only the reviewer ([`reviewer`]), and for a state-changing request
/// (not GET or HEAD) only from this server's own pages ([`same_origin`]). Anyone else gets a
/// refusal: a page when `PAGE`, the API's JSON otherwise.
pub struct Reviewer<const PAGE: bool>;

/// [`Reviewer`] for the JSON routes and the downloads.
pub type ReviewerApi = Reviewer<false>;
/// [`Reviewer`] for the pages.
pub type ReviewerPage = Reviewer<true>;

impl<const PAGE: bool> axum::extract::FromRequestParts<std::sync::Arc<AppState>>
    for Reviewer<PAGE>
{
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &std::sync::Arc<AppState>,
    ) -> std::result::Result<Self, Self::Rejection> {
        let safe = matches!(
            parts.method,
            axum::http::Method::GET | axum::http::Method::HEAD
        );
        reviewer(state, &parts.headers, parts.uri.query())
            .and_then(|()| {
                if safe {
                    Ok(())
                } else {
                    same_origin(&parts.headers)
                }
            })
            .map(|()| Reviewer)
            .map_err(|r| {
                if PAGE {
                    super::pages::refuse(r)
                } else {
                    super::api::refuse(r)
                }
            })
    }
}

/// Whether the Host header (when there is one) names this machine's loopback.
fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return true;
    };
    let name = match host.rfind(':') {
        Some(i) if !host.ends_with(']') => &host[..i],
        _ => host,
    };
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

/// Refuses a state-changing request sent from another site: its `Origin` (or, without one, its
/// `Referer`) must name the host the request was sent to. Scripts that send neither pass (a
/// browser always sends `Origin` with a POST).
pub fn same_origin(headers: &HeaderMap) -> Result<(), Refusal> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    let Some(claimed) = claimed else {
        return Ok(());
    };
    let ok = host.is_some_and(|h| {
        let own = format!("http://{h}");
        claimed == own || claimed.starts_with(&format!("{own}/"))
    });
    if ok {
        Ok(())
    } else {
        Err((
            StatusCode::FORBIDDEN,
            "拒绝来自其他网站的提交（跨站请求）".into(),
        ))
    }
}
