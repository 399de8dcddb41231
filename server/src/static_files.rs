//! The built widget at `/operator-chat-panel/` and the demo pages at `/`.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

use crate::cli::ServeArgs;

/// No state, no rate limit, no body cap: only GETs of files.
pub fn router(config: &ServeArgs) -> Router {
    let dist = ServeDir::new(config.dist.join("operator-chat-panel"));
    let www = ServeDir::new(&config.www);
    Router::new()
        .nest_service("/operator-chat-panel", dist)
        .fallback_service(www)
        .layer(middleware::from_fn(static_content_type))
        .layer(middleware::from_fn(cache_policy))
}

/// Files whose names carry their content's hash never change under that name: a year, immutable.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else under `/operator-chat-panel/` (the loader, which names the hashed files, and the
/// types): briefly fresh, then revalidated, so a new release reaches operators within minutes.
const REVALIDATE: &str = "public, max-age=300, must-revalidate";

/// `name.<hash>.ext`, as `tools/hash-assets.mjs` names the glue, the wasm and the locales.
fn content_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let mut parts = file.rsplit('.');
    let (_ext, hash, _stem) = (parts.next(), parts.next(), parts.next());
    matches!((hash, _stem), (Some(h), Some(_)) if (8..=64).contains(&h.len())
        && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Cache-Control for the widget's files, and an ETag for the revalidated ones. ServeDir answers
/// `If-Modified-Since` with a 304 itself; the ETag (from the length and modification time) gives
/// caches that prefer `If-None-Match` the same.
async fn cache_policy(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let Some(file) = path.strip_prefix("/operator-chat-panel/") else {
        return next.run(req).await;
    };
    let immutable = content_hashed(file);
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let mut res = next.run(req).await;
    let ok = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    if !ok {
        return res;
    }
    let policy = if immutable { IMMUTABLE } else { REVALIDATE };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    if immutable || res.status() != StatusCode::OK {
        return res;
    }
    let Some(etag) = weak_etag(res.headers()) else {
        return res;
    };
    let matched = if_none_match.is_some_and(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',').any(|t| {
                t.trim() == "*"
                    || t.trim().trim_start_matches("W/") == etag.trim_start_matches("W/")
            })
        })
    });
    if matched {
        let mut not_modified = Response::new(axum::body::Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        for name in [header::CACHE_CONTROL, header::LAST_MODIFIED] {
            if let Some(v) = res.headers().get(&name) {
                not_modified.headers_mut().insert(name, v.clone());
            }
        }
        res = not_modified;
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

/// `W/"<length>-<modified>"`: changes whenever the file is rewritten, without reading it.
fn weak_etag(headers: &axum::http::HeaderMap) -> Option<String> {
    let len = headers.get(header::CONTENT_LENGTH)?.to_str().ok()?;
    let modified = headers.get(header::LAST_MODIFIED)?.to_str().ok()?;
    let modified: String = modified
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    Some(format!("W/\"{len}-{modified}\""))
}

/// Module scripts must be `text/javascript` and wasm `application/wasm` (streaming instantiation).
async fn static_content_type(req: Request, next: Next) -> Response {
    let ext = req
        .uri()
        .path()
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let mut res = next.run(req).await;
    let ct = match ext.as_str() {
        "js" | "mjs" => Some("text/javascript; charset=utf-8"),
        "wasm" => Some("application/wasm"),
        "json" => Some("application/json"),
        _ => None,
    };
    if let (Some(ct), true) = (ct, res.status().is_success()) {
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    res
}
