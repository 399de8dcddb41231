//! The hub's HTTP side: negotiate, the WebSocket upgrade, and the `--dev` count of open sockets.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::connection::{Connection, MAX_HUB_MESSAGE};
use crate::auth::{authenticate, request_token, url_query};
use crate::compat::EXTENSIONS;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Bytes each hub socket reads at a time (see [`connect`]).
const READ_BUFFER: usize = 4 * 1024;

/// `POST /chathub/negotiate?negotiateVersion=1`.
pub async fn negotiate(State(state): State<AppState>, parts: Parts) -> ApiResult<Json<Value>> {
    let token = request_token(&parts).ok_or(ApiError::MissingToken)?;
    authenticate(&state, &token).await?;
    let version = parts
        .uri
        .query()
        .and_then(|q| url_query(q, "negotiateVersion"))
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let connection_id = uuid::Uuid::new_v4().simple().to_string();
    let transports = json!([{ "transport": "WebSockets", "transferFormats": ["Text", "Binary"] }]);
    let mut body = if version >= 1 {
        let connection_token = uuid::Uuid::new_v4().simple().to_string();
        state.hub.remember(connection_token.clone());
        json!({
            "negotiateVersion": 1,
            "connectionId": connection_id,
            "connectionToken": connection_token,
            "availableTransports": transports,
        })
    } else {
        // Version 0 clients use the connection id as the `id` query parameter.
        state.hub.remember(connection_id.clone());
        json!({
            "negotiateVersion": 0,
            "connectionId": connection_id,
            "availableTransports": transports,
        })
    };
    // Our extensions, in a field the official client ignores; absent means documented-only.
    if !state.config.compat.documented() {
        body["chathubExtensions"] = json!(EXTENSIONS);
    }
    Ok(Json(body))
}

/// `GET /api/debug/connections` (`--dev` only): open hub sockets, for leak tests.
pub(super) async fn debug_connections(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    if !state.config.dev {
        return Err(ApiError::NotFound("endpoint"));
    }
    Ok(Json(json!({ "hub": state.hub.open_connections() })))
}

/// `GET /chathub` with a WebSocket upgrade, after negotiate (`id=`) or without it.
pub async fn connect(
    State(state): State<AppState>,
    parts: Parts,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let token = match request_token(&parts) {
        Some(t) => t,
        None => return ApiError::MissingToken.into_response(),
    };
    let who = match authenticate(&state, &token).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if let Some(id) = parts.uri.query().and_then(|q| url_query(q, "id")) {
        if !state.hub.take(&id) {
            return ApiError::NotFound("connection").into_response();
        }
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(_) => {
            return ApiError::bad("only the WebSockets transport is supported").into_response()
        }
    };
    let guard = state.hub.opened();
    // tungstenite's default read buffer is 128 KiB, allocated and zeroed per socket: most of a
    // connection's memory. Hub records are small; a larger frame (media) reserves its own length.
    ws.max_message_size(MAX_HUB_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| async move {
            let _guard = guard;
            Connection::new(state, who).run(socket).await;
        })
}
