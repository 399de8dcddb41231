//! The SignalR hub at `/chathub`: negotiate, the WebSocket transport, the JSON handshake, pings,
//! the client timeout, hub methods and the event stream with `Resume`.

pub mod protocol;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::auth::{authenticate, request_token, url_query, Principal};
use crate::compat::{Compat, EXTENSIONS};
use crate::error::{ApiError, ApiResult};
use crate::json::value_i64;
use crate::messages::{
    append_staff_message, mark_read, staff_typing, MediaUpload, NewMessage, AUTHOR_OPERATOR,
};
use crate::state::AppState;
use crate::store::{events_after, HubEvent, Store};
use protocol::{FrameBuffer, HubMessage};

/// Largest hub message we buffer: media travels base64-encoded through `SendMediaMessage`.
pub const MAX_HUB_MESSAGE: usize = crate::messages::MEDIA_BODY_LIMIT;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Negotiated connection tokens not used within this time are forgotten.
const NEGOTIATE_TTL: Duration = Duration::from_secs(120);
const REPLAY_BATCH: i64 = 1000;

/// Negotiate, the socket, and the `--dev` count of open sockets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chathub/negotiate", post(negotiate))
        .route("/chathub", get(connect))
        .route("/api/debug/connections", get(debug_connections))
}

pub struct Hub {
    pending: Mutex<HashMap<String, Instant>>,
    /// Open hub sockets; watched so that shutdown can wait for every Close to be sent.
    open: watch::Sender<usize>,
    /// Bumped when an operator is deactivated or deleted: every connection re-checks whom it serves.
    revoked: watch::Sender<u64>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            pending: Mutex::default(),
            open: watch::Sender::new(0),
            revoked: watch::Sender::new(0),
        }
    }
}

impl Hub {
    /// An operator may no longer act: its open connections close (it would otherwise keep
    /// receiving its organization's events until it reconnected).
    pub fn operator_revoked(&self) {
        self.revoked.send_modify(|n| *n += 1);
    }

    pub fn open_connections(&self) -> usize {
        *self.open.borrow()
    }

    /// Resolves once no hub socket is open. Upgraded sockets outlive axum's graceful shutdown, so
    /// the server waits here before its runtime (and every connection task) is dropped.
    pub async fn all_closed(&self) {
        let _ = self.open.subscribe().wait_for(|n| *n == 0).await;
    }

    fn remember(&self, token: String) {
        if let Ok(mut p) = self.pending.lock() {
            p.retain(|_, t| t.elapsed() < NEGOTIATE_TTL);
            p.insert(token, Instant::now());
        }
    }

    fn take(&self, token: &str) -> bool {
        self.pending
            .lock()
            .map(|mut p| p.remove(token).is_some_and(|t| t.elapsed() < NEGOTIATE_TTL))
            .unwrap_or(false)
    }
}

/// Counts a live connection for `/api/debug/connections` until dropped.
struct OpenGuard(Arc<Hub>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.send_modify(|n| *n = n.saturating_sub(1));
    }
}

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
async fn debug_connections(State(state): State<AppState>) -> ApiResult<Json<Value>> {
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
    state.hub.open.send_modify(|n| *n += 1);
    let guard = OpenGuard(state.hub.clone());
    ws.max_message_size(MAX_HUB_MESSAGE)
        .on_upgrade(move |socket| async move {
            let _guard = guard;
            Connection::new(state, who).run(socket).await;
        })
}

struct Connection {
    state: AppState,
    who: Principal,
    /// Highest event id delivered (or, at the start, known to precede this connection).
    last_sent: i64,
    /// Every entitled event from this id on is delivered on this connection, so Resume replays
    /// only what precedes it.
    delivered_from: i64,
}

enum Flow {
    Continue,
    /// Send a close message with this reason, then close the socket.
    Close(String),
    /// The client said goodbye: close the socket.
    Quit,
}

impl Connection {
    fn new(state: AppState, who: Principal) -> Connection {
        Connection {
            state,
            who,
            last_sent: 0,
            delivered_from: 1,
        }
    }

    fn entitled(&self, ev: &HubEvent) -> bool {
        ev.company_id == self.who.company_id()
            && self
                .who
                .organization_id()
                .is_none_or(|org| org == ev.organization_id)
    }

    async fn run(mut self, socket: WebSocket) {
        let (mut tx, mut rx) = socket.split();
        // Subscribe before the handshake so nothing emitted meanwhile is lost; everything after
        // `floor` is delivered live, everything up to it is for Resume.
        let Ok((mut events, floor)) = self.state.store.subscribe().await else {
            let _ = tx.close().await;
            return;
        };
        self.last_sent = floor;
        self.delivered_from = floor + 1;
        let mut shutdown = self.state.shutdown.clone();
        let mut revoked = self.state.hub.revoked.subscribe();
        let mut buf = FrameBuffer::new(MAX_HUB_MESSAGE);

        // Handshake: the first record must be the protocol request.
        let deadline = tokio::time::sleep(HANDSHAKE_TIMEOUT);
        tokio::pin!(deadline);
        let rest = loop {
            tokio::select! {
                _ = &mut deadline => return,
                msg = rx.next() => {
                    let Some(records) = records(&mut buf, msg) else { return };
                    match records {
                        Ok(mut recs) if !recs.is_empty() => {
                            let first = recs.remove(0);
                            if let Err(e) = protocol::parse_handshake(&first) {
                                let _ = tx.send(WsMessage::text(protocol::handshake_error(&e.to_string()))).await;
                                let _ = tx.close().await;
                                return;
                            }
                            if tx.send(WsMessage::text(protocol::handshake_ok())).await.is_err() {
                                return;
                            }
                            break recs;
                        }
                        Ok(_) => continue,
                        Err(e) => {
                            let _ = tx.send(WsMessage::text(protocol::handshake_error(&e.to_string()))).await;
                            let _ = tx.close().await;
                            return;
                        }
                    }
                }
            }
        };
        tracing::debug!(who = ?self.who, "hub connection open");

        let ping_every = Duration::from_secs(self.state.config.hub_ping_secs.max(1));
        let timeout = Duration::from_secs(self.state.config.hub_timeout_secs.max(1));
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
        let mut last_heard = Instant::now();
        let mut out: Vec<String> = Vec::new();

        let mut flow = Flow::Continue;
        for record in rest {
            flow = self.handle_record(&record, &mut out).await;
            if !matches!(flow, Flow::Continue) {
                break;
            }
        }

        loop {
            for frame in out.drain(..) {
                if tx.send(WsMessage::text(frame)).await.is_err() {
                    return;
                }
            }
            if let Flow::Quit = flow {
                let _ = tx.close().await;
                return;
            }
            if let Flow::Close(reason) = flow {
                tracing::debug!(%reason, "closing hub connection");
                let _ = tx
                    .send(WsMessage::text(protocol::close(Some(&reason), false)))
                    .await;
                let _ = tx
                    .send(WsMessage::Close(Some(CloseFrame {
                        code: 1008,
                        reason: truncate(&reason, 120).into(),
                    })))
                    .await;
                return;
            }
            tokio::select! {
                msg = rx.next() => {
                    last_heard = Instant::now();
                    let Some(records) = records(&mut buf, msg) else { return };
                    match records {
                        Ok(recs) => {
                            for record in recs {
                                flow = self.handle_record(&record, &mut out).await;
                                if !matches!(flow, Flow::Continue) {
                                    break;
                                }
                            }
                        }
                        Err(e) => flow = Flow::Close(format!("Connection closed with an error. {e}")),
                    }
                }
                ev = events.recv() => match ev {
                    Ok(ev) => self.deliver(&ev, &mut out),
                    Err(RecvError::Lagged(skipped)) => {
                        // Too slow to keep up live: catch up from the event log instead.
                        tracing::debug!(skipped, "hub connection lagged; catching up from the event log");
                        if let Err(e) = self.catch_up(&mut out).await {
                            flow = Flow::Close(format!("Connection closed with an error. {e}"));
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = ping.tick() => out.push(protocol::ping()),
                Ok(()) = revoked.changed() => {
                    if !self.may_go_on().await {
                        flow = Flow::Close("Operator is inactive".into());
                    }
                }
                _ = tokio::time::sleep_until((last_heard + timeout).into()) => {
                    flow = Flow::Close("Server timeout elapsed without receiving a message from the client.".into());
                }
                _ = shutdown.changed() => {
                    let _ = tx.send(WsMessage::text(protocol::close(Some("Server is shutting down."), true))).await;
                    let _ = tx.close().await;
                    return;
                }
            }
        }
    }

    /// Whether the operator this connection serves is still active (a company always is). A store
    /// error keeps the connection: only a definite "inactive" or "gone" closes it.
    async fn may_go_on(&self) -> bool {
        let Principal::Operator(op) = &self.who else {
            return true;
        };
        !matches!(
            crate::auth::operator_identity(&self.state, op.operator_id).await,
            Ok(None) | Err(ApiError::Forbidden(_))
        )
    }

    fn deliver(&mut self, ev: &HubEvent, out: &mut Vec<String>) {
        if ev.id <= self.last_sent || !self.entitled(ev) {
            return;
        }
        self.last_sent = ev.id;
        out.push(self.frame(ev));
    }

    /// An event as this connection's compat mode sends it: full mode appends `{"eventId": N}`,
    /// documented mode trims the objects (see [`Compat::event_args`]).
    fn frame(&self, ev: &HubEvent) -> String {
        let args = self
            .state
            .config
            .compat
            .event_args(&ev.target, ev.args.clone(), ev.id);
        protocol::event_frame(&ev.target, args)
    }

    async fn catch_up(&mut self, out: &mut Vec<String>) -> ApiResult<()> {
        loop {
            let (cid, org, after) = (
                self.who.company_id(),
                self.who.organization_id(),
                self.last_sent,
            );
            let batch = self
                .state
                .store
                .read(move |c| events_after(c, cid, org, after, REPLAY_BATCH))
                .await?;
            if batch.is_empty() {
                return Ok(());
            }
            for ev in &batch {
                self.deliver(ev, out);
            }
        }
    }

    async fn handle_record(&mut self, record: &str, out: &mut Vec<String>) -> Flow {
        let msg = match protocol::parse_message(record) {
            Ok(m) => m,
            Err(e) => return Flow::Close(format!("Connection closed with an error. {e}")),
        };
        match msg {
            HubMessage::Invocation {
                invocation_id,
                target,
                arguments,
            } => {
                let result = self.invoke(&target, arguments, out).await;
                if let Some(id) = invocation_id {
                    out.push(match result {
                        Ok(Some(v)) => protocol::completion_result(&id, v),
                        Ok(None) => protocol::completion_void(&id),
                        Err(e) => protocol::completion_error(&id, &e),
                    });
                }
                Flow::Continue
            }
            HubMessage::StreamInvocation {
                invocation_id,
                target,
            } => {
                if let Some(id) = invocation_id {
                    out.push(protocol::completion_error(
                        &id,
                        &format!("Streaming is not supported for method '{target}'."),
                    ));
                }
                Flow::Continue
            }
            HubMessage::Close { .. } => Flow::Quit,
            HubMessage::Ping | HubMessage::CancelInvocation | HubMessage::Ignored => Flow::Continue,
        }
    }

    /// Run a hub method: its result (`None` for a void method), or the completion error text.
    /// Documented mode has only the two documented methods and binds arguments as strictly as
    /// ASP.NET Core does; full mode adds ours and an optional `clientMessageId` third argument.
    async fn invoke(
        &mut self,
        target: &str,
        args: Vec<Value>,
        out: &mut Vec<String>,
    ) -> Result<Option<Value>, String> {
        let who = self.who;
        let store = self.state.store.clone();
        let compat = self.state.config.compat;
        // SignalR matches method names case-insensitively.
        let method = target.to_ascii_lowercase();
        let send = matches!(method.as_str(), "sendmessage" | "sendmediamessage");
        if compat.documented() && !send {
            return Err(format!("Unknown hub method '{target}'"));
        }
        // ASP.NET Core refuses a wrong argument count or type before the method runs.
        let bind_failure = || format!("Failed to invoke '{target}' due to an error on the server.");
        let arg_i64 = |i: usize, name: &str| -> Result<i64, String> {
            args.get(i).and_then(value_i64).ok_or_else(|| {
                if compat.documented() {
                    bind_failure()
                } else {
                    format!("Argument {i} ({name}) of '{target}' must be an integer.")
                }
            })
        };
        if send {
            let expects = match compat {
                Compat::Documented => "2",
                Compat::Full => "2 or 3",
            };
            if !(2..=if compat.documented() { 2 } else { 3 }).contains(&args.len()) {
                tracing::info!(
                    "Failed to bind arguments of '{target}': Invocation provides {} argument(s) but target expects {expects}.",
                    args.len()
                );
                return Err(bind_failure());
            }
        }
        match method.as_str() {
            "sendmessage" => {
                let chat_id = arg_i64(0, "chatId")?;
                let text = match args.get(1) {
                    Some(Value::String(t)) => Some(t.clone()),
                    _ if compat.documented() => return Err(bind_failure()),
                    _ => None,
                };
                let client_id = args.get(2).and_then(Value::as_str).map(str::to_string);
                let m = NewMessage::new(text, AUTHOR_OPERATOR, None, client_id).map_err(err)?;
                store_staff_message(&store, compat, who, chat_id, m).await
            }
            "sendmediamessage" => {
                let chat_id = arg_i64(0, "chatId")?;
                let media: MediaUpload = args
                    .get(1)
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .ok_or_else(|| {
                        if compat.documented() {
                            bind_failure()
                        } else {
                            "Argument 1 of 'SendMediaMessage' must be {Name, Format, DataBase64, Type}."
                                .to_string()
                        }
                    })?;
                let text = args
                    .get(1)
                    .and_then(|v| v.get("Text").or_else(|| v.get("text")))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let client_id = args.get(2).and_then(Value::as_str).map(str::to_string);
                let m =
                    NewMessage::new(text, AUTHOR_OPERATOR, Some(media), client_id).map_err(err)?;
                store_staff_message(&store, compat, who, chat_id, m).await
            }
            "typing" => {
                let chat_id = arg_i64(0, "chatId")?;
                store
                    .write(move |tx| staff_typing(tx, &who, chat_id))
                    .await
                    .map_err(err)?;
                Ok(Some(Value::Null))
            }
            "markread" => {
                let chat_id = arg_i64(0, "chatId")?;
                let last = arg_i64(1, "lastMessageId")?;
                let unread = store
                    .write(move |tx| mark_read(tx, &who, chat_id, last))
                    .await
                    .map_err(err)?;
                Ok(Some(json!({ "chatId": chat_id, "countUnread": unread })))
            }
            "resume" => {
                let after = match args.first() {
                    None | Some(Value::Null) => 0,
                    Some(v) => value_i64(v)
                        .ok_or("Argument 0 (lastEventId) of 'Resume' must be an integer.")?,
                };
                let replayed = self.resume(after, out).await.map_err(err)?;
                Ok(Some(
                    json!({ "replayed": replayed, "lastEventId": self.last_sent }),
                ))
            }
            _ => Err(format!("Unknown hub method '{target}'")),
        }
    }

    /// Replay every event after `after` that this connection has not delivered yet.
    async fn resume(&mut self, after: i64, out: &mut Vec<String>) -> ApiResult<usize> {
        let (cid, org) = (self.who.company_id(), self.who.organization_id());
        let upto = self.delivered_from;
        let mut cursor = after;
        let mut count = 0;
        while cursor < upto - 1 {
            let batch = self
                .state
                .store
                .read(move |c| events_after(c, cid, org, cursor, REPLAY_BATCH))
                .await?;
            let Some(last) = batch.last().map(|e| e.id) else {
                break;
            };
            cursor = last;
            for ev in batch.iter().filter(|e| e.id < upto) {
                out.push(self.frame(ev));
                count += 1;
            }
        }
        // Everything from `after + 1` on has now been delivered here.
        self.delivered_from = self.delivered_from.min(after.saturating_add(1));
        Ok(count)
    }
}

/// Stores an operator's text or media message. Full mode answers with the stored message;
/// documented mode with nothing, like the hosted hub's `Task` methods.
async fn store_staff_message(
    store: &Store,
    compat: Compat,
    who: Principal,
    chat_id: i64,
    m: NewMessage,
) -> Result<Option<Value>, String> {
    let msg = store
        .write(move |tx| append_staff_message(tx, &who, chat_id, m))
        .await
        .map_err(err)?;
    Ok((!compat.documented()).then(|| crate::messages::to_value(&msg)))
}

fn err(e: ApiError) -> String {
    e.to_string()
}

/// At most `max` bytes, cut at a char boundary (a WebSocket close reason fits in 123 bytes).
fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The hub records that one WebSocket message completes: none for a ping or pong, `None` when the
/// connection is over (closed, failed or ended).
fn records(
    buf: &mut FrameBuffer,
    msg: Option<Result<WsMessage, axum::Error>>,
) -> Option<Result<Vec<String>, protocol::ProtocolError>> {
    match msg?.ok()? {
        WsMessage::Text(t) => Some(buf.push(t.as_str())),
        WsMessage::Binary(b) => Some(buf.push_bytes(&b)),
        WsMessage::Close(_) => None,
        WsMessage::Ping(_) | WsMessage::Pong(_) => Some(Ok(Vec::new())),
    }
}
