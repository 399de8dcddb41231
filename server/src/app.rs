//! The router: REST, hub, static files; CORS, body caps, rate limit and request logging.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post, put};
use axum::{Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;
use tokio::sync::watch;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::request_token;
use crate::cli::ServeArgs;
use crate::error::ApiError;
use crate::hub::{self, Hub, MAX_HUB_MESSAGE};
use crate::store::Store;
use crate::{auth, channel, chats, messages, operators, organizations};

/// Ordinary JSON bodies.
const BODY_LIMIT: usize = 64 * 1024;
/// Bodies that may carry base64 media (5 MiB decoded).
const MEDIA_BODY_LIMIT: usize = MAX_HUB_MESSAGE;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub jwt: Arc<auth::Jwt>,
    pub config: Arc<ServeArgs>,
    pub hub: Arc<Hub>,
    pub limiter: Arc<DefaultKeyedRateLimiter<String>>,
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    pub fn new(
        store: Store,
        jwt: auth::Jwt,
        config: ServeArgs,
        shutdown: watch::Receiver<bool>,
    ) -> AppState {
        let per_second = NonZeroU32::new(config.rate_limit.max(1)).unwrap_or(NonZeroU32::MIN);
        AppState {
            store,
            jwt: Arc::new(jwt),
            config: Arc::new(config),
            hub: Arc::new(Hub::default()),
            limiter: Arc::new(RateLimiter::keyed(Quota::per_second(per_second))),
            shutdown,
        }
    }
}

pub fn router(state: AppState) -> Router {
    let media_limit = DefaultBodyLimit::max(MEDIA_BODY_LIMIT);
    let api = Router::new()
        .route("/api/company/get-token", post(auth::company_get_token))
        .route("/api/company/organization", get(organizations::list))
        .route("/api/operator", get(operators::list))
        .route("/api/operator/synchronize", post(operators::synchronize))
        .route("/api/operator/status", post(operators::set_status))
        .route("/api/operator/get-token", post(auth::operator_get_token))
        .route("/api/operator/validate-token", post(auth::validate_token))
        .route("/api/chathub/token", get(auth::dev_token))
        .route("/api/chat/chats", get(chats::list))
        .route("/api/chat/chats/{id}", delete(chats::delete))
        .route("/api/chat/chats/{id}/messages", get(messages::list))
        .route("/api/chat/status", put(chats::put_status))
        .route("/api/chat/{chat_id}/messages", get(messages::list))
        .route(
            "/api/chat/{chat_id}/message",
            post(messages::send).layer(media_limit),
        )
        .route(
            "/api/chat/{chat_id}/media/{message_id}",
            get(messages::media),
        )
        .route(
            "/api/channel/inbound",
            post(channel::inbound).layer(media_limit),
        )
        .route("/api/channel/outbound", get(channel::outbound))
        .route("/api/channel/typing", post(channel::typing))
        .route("/api/debug/connections", get(debug_connections))
        .route("/api/{*rest}", any(api_not_found))
        .route("/chathub/negotiate", post(hub::negotiate))
        .route("/chathub", get(hub::connect))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .with_state(state.clone());

    let dist = ServeDir::new(state.config.dist.join("operator-chat-panel"));
    let www = ServeDir::new(&state.config.www);
    let static_files = Router::new()
        .nest_service("/operator-chat-panel", dist)
        .fallback_service(www)
        .layer(middleware::from_fn(static_content_type));

    api.merge(static_files)
        .layer(
            TraceLayer::new_for_http()
                // Path only: the query string may hold `access_token`, and tokens never reach the logs.
                .make_span_with(|req: &Request| {
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(cors())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// Any origin: the widget is loaded from another origin than the page that embeds it. The
/// Authorization header has to be listed by name; browsers never let `*` cover it.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-requested-with"),
            HeaderName::from_static("x-signalr-user-agent"),
        ])
        .max_age(Duration::from_secs(24 * 3600))
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

/// 100 requests per second per token (header or `access_token` query), 429 past that.
async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if let Some(token) = request_token(&parts) {
        if state.limiter.check_key(&token).is_err() {
            return ApiError::RateLimited.into_response();
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("endpoint")
}

/// `GET /api/debug/connections` (`--dev` only): open hub sockets, for leak tests.
async fn debug_connections(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !state.config.dev {
        return Err(ApiError::NotFound("endpoint"));
    }
    Ok(Json(json!({ "hub": state.hub.open_connections() })))
}
