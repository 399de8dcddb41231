//! The built widget at `/operator-chat-panel/` and the demo pages at `/`.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
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
