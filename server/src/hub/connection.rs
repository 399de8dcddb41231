//! One hub connection: the JSON handshake, pings, the client timeout, dispatching records, and the
//! event stream (live, lag catch-up and `Resume`).

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::protocol::{self, FrameBuffer, HubMessage};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::{events_after, events_pruned_through, HubEvent};

/// Largest hub message we buffer: media travels base64-encoded through `SendMediaMessage`.
pub(super) const MAX_HUB_MESSAGE: usize = crate::messages::MEDIA_BODY_LIMIT;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
const REPLAY_BATCH: i64 = 1000;

pub(super) struct Connection {
    pub(super) state: AppState,
    pub(super) who: Principal,
    /// Highest event id delivered (or, at the start, known to precede this connection).
    pub(super) last_sent: i64,
    /// Every entitled event from this id on is delivered on this connection, so Resume replays
    /// only what precedes it.
    delivered_from: i64,
    rate_key: String,
}

enum Flow {
    Continue,
    /// Send a close message with this reason, then close the socket.
    Close(String),
    /// The client said goodbye: close the socket.
    Quit,
}

impl Connection {
    pub(super) fn new(state: AppState, who: Principal) -> Connection {
        Connection {
            state,
            who,
            last_sent: 0,
            delivered_from: 1,
            rate_key: who.hub_rate_key(),
        }
    }

    fn entitled(&self, ev: &HubEvent) -> bool {
        ev.company_id == self.who.company_id()
            && self
                .who
                .organization_id()
                .is_none_or(|org| org == ev.organization_id)
    }

    pub(super) async fn run(mut self, socket: WebSocket) {
        let (mut tx, mut rx) = socket.split();
        // Subscribe before the handshake so nothing emitted meanwhile is lost; everything after
        // `floor` is delivered live, everything up to it is for Resume.
        let (company, org) = (self.who.company_id(), self.who.organization_id());
        let Ok((mut events, floor)) = self.state.store.subscribe(company, org).await else {
            let _ = tx.close().await;
            return;
        };
        self.last_sent = floor;
        self.delivered_from = floor + 1;
        let mut shutdown = self.state.shutdown.clone();
        let mut revoked = self.state.hub.revocations();
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
            // Every frame ready goes out with one flush (one write when they fit the buffer).
            if !out.is_empty() {
                for frame in out.drain(..) {
                    if tx.feed(WsMessage::text(frame)).await.is_err() {
                        return;
                    }
                }
                if tx.flush().await.is_err() {
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
                ev = events.recv() => {
                    let mut lagged = match ev {
                        Ok(ev) => {
                            self.deliver(&ev, &mut out);
                            false
                        }
                        Err(RecvError::Lagged(_)) => true,
                        Err(RecvError::Closed) => return,
                    };
                    // Take whatever else is already waiting, so a burst goes out in one flush.
                    while !lagged {
                        match events.try_recv() {
                            Ok(ev) => self.deliver(&ev, &mut out),
                            Err(TryRecvError::Lagged(_)) => lagged = true,
                            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                        }
                    }
                    if lagged {
                        // Too slow to keep up live: catch up from the event log instead.
                        tracing::debug!("hub connection lagged; catching up from the event log");
                        if let Err(e) = self.catch_up(&mut out).await {
                            flow = Flow::Close(format!("Connection closed with an error. {e}"));
                        }
                    }
                }
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

    /// An event as the server's compat mode sends it: full mode appends `{"eventId": N}`,
    /// documented mode trims the objects (see [`Compat::event_args`]). Built once per event and
    /// shared by every connection that sends it.
    fn frame(&self, ev: &HubEvent) -> String {
        let compat = self.state.config.compat;
        ev.frame(|ev| {
            let args = compat.event_args(&ev.target, ev.args.clone(), ev.id);
            protocol::event_frame(&ev.target, args)
        })
        .to_string()
    }

    /// An error if events after `after` were pruned from the log: a replay from there would
    /// have gaps, and the client must load what it shows again instead.
    async fn kept_after(&self, after: i64) -> ApiResult<()> {
        let through = self.state.store.read(events_pruned_through).await?;
        if after < through {
            return Err(ApiError::BadRequest(format!(
                "Events after {after} are no longer kept; load the chats again."
            )));
        }
        Ok(())
    }

    async fn catch_up(&mut self, out: &mut Vec<String>) -> ApiResult<()> {
        self.kept_after(self.last_sent).await?;
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
                // Invocations share the REST limit (--rate-limit per second), per principal.
                let limited = self.state.limiter.check_key(&self.rate_key).is_err();
                let result = if limited {
                    Err("Too many invocations; try again in a moment.".to_string())
                } else {
                    self.invoke(&target, arguments, out).await
                };
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

    /// Replay every event after `after` that this connection has not delivered yet.
    pub(super) async fn resume(&mut self, after: i64, out: &mut Vec<String>) -> ApiResult<usize> {
        let (cid, org) = (self.who.company_id(), self.who.organization_id());
        self.kept_after(after).await?;
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
