//! The one place the sections' routers meet: body caps, rate limit, CORS, request logging and
//! `nosniff` wrap them all here, so every route gets the same treatment.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::request_token;
use crate::error::ApiError;
use crate::state::AppState;
use crate::{auth, channel, chats, hub, messages, operators, organizations, static_files};

/// Ordinary JSON bodies; the media routes raise it for themselves.
const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(auth::router())
        .merge(organizations::router())
        .merge(operators::router())
        .merge(chats::router())
        .merge(messages::router())
        .merge(channel::router())
        .merge(hub::router())
        .route("/api/{*rest}", any(api_not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .with_state(state.clone());

    api.merge(static_files::router(&state.config))
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
