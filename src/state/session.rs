//! The hub session: handshake, records and events, keep-alive and timeout ticks, catching up after
//! a lost session, and the token and network states that decide whether retrying can help.

use super::thread::Typist;
use super::{arg, Conn, Effect, Phase, State};
use crate::codec::{self, Arg, HubMessage};
use crate::json::Raw;
use crate::model::{Chat, EventMeta, Message};
use crate::token::TokenProblem;

/// Send a ping when the socket has been quiet this long (the SignalR default).
pub const PING_EVERY_MS: u64 = 15_000;

/// Hearing nothing for this long means the connection is dead, even if the socket looks open.
pub const SERVER_TIMEOUT_MS: u64 = 30_000;

/// What a server offers beyond the documented API. The reference server lists these in its
/// negotiate answer (`chathubExtensions`); a server that lists nothing gets only documented calls
/// with their documented argument counts, since ASP.NET refuses anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Extensions {
    /// A third `clientMessageId` argument makes a send idempotent.
    pub client_message_id: bool,
    pub typing: bool,
    pub mark_read: bool,
    /// `Resume(lastEventId)` replays missed events (events then carry an `eventId`).
    pub resume: bool,
}

impl Extensions {
    pub fn from_names(names: &[String]) -> Extensions {
        let has = |n: &str| names.iter().any(|x| x == n);
        Extensions {
            client_message_id: has("clientMessageId"),
            typing: has("Typing"),
            mark_read: has("MarkRead"),
            resume: has("Resume"),
        }
    }
}

impl State {
    pub(super) fn on_socket_opened(&mut self, now: u64, fx: &mut Vec<Effect>) {
        self.records.clear();
        self.last_heard_ms = now;
        self.set_conn(Conn::Handshaking);
        self.send(codec::HANDSHAKE.into(), now, fx);
    }

    pub(super) fn on_frame(&mut self, text: &str, now: u64, fx: &mut Vec<Effect>) {
        self.last_heard_ms = now;
        for record in self.records.push(text) {
            self.on_record(&record, now, fx);
        }
    }

    pub(super) fn on_tick(&mut self, now: u64, fx: &mut Vec<Effect>) {
        let live = matches!(self.conn, Conn::Connected | Conn::Handshaking);
        if live && now.saturating_sub(self.last_heard_ms) >= SERVER_TIMEOUT_MS {
            self.lose_session(Conn::Reconnecting);
            fx.push(Effect::Reconnect);
        } else if self.conn == Conn::Connected
            && now.saturating_sub(self.last_sent_ms) >= PING_EVERY_MS
        {
            self.send(codec::PING.into(), now, fx);
        }
        if self.typing.as_ref().is_some_and(|t| t.until_ms <= now) {
            self.set_typing(None);
        }
        if self.colleague.as_ref().is_some_and(|c| c.until_ms <= now) {
            self.set_colleague(None);
        }
        // A failed look-up is asked again, rather than sending what may have arrived.
        self.verify_unsure(fx);
    }

    fn set_conn(&mut self, conn: Conn) {
        if self.conn != conn {
            self.conn = conn;
            self.dirty.conn = true;
        }
    }

    pub(super) fn send(&mut self, record: String, now: u64, fx: &mut Vec<Effect>) {
        self.last_sent_ms = now;
        fx.push(Effect::Send(record));
    }

    fn invoke(&mut self, target: &str, args: &[Arg], now: u64, fx: &mut Vec<Effect>) -> u32 {
        self.next_invocation += 1;
        let id = self.next_invocation;
        self.send(codec::invocation(Some(id), target, args), now, fx);
        id
    }

    fn on_handshake(&mut self, record: &str, now: u64, fx: &mut Vec<Effect>) {
        if let Err(e) = codec::decode_handshake(record) {
            fx.push(Effect::Error {
                code: "hub_refused",
                message: e.to_string(),
            });
            fx.push(Effect::Reconnect);
            return;
        }
        self.set_conn(Conn::Connected);
        self.verifying.clear();
        self.verify_unsure(fx);
        if self.last_event_id > 0 && self.resume_supported && self.ext.resume {
            let from = Arg::Id(self.last_event_id);
            self.resume_call = Some(self.invoke("Resume", &[from], now, fx));
            self.reload_chats(fx);
        } else {
            self.catch_up(fx);
        }
        self.flush_outbox(now, fx);
    }

    fn on_record(&mut self, record: &str, now: u64, fx: &mut Vec<Effect>) {
        if self.conn == Conn::Handshaking {
            return self.on_handshake(record, now, fx);
        }
        match codec::decode(record) {
            Ok(HubMessage::Invocation {
                target, arguments, ..
            }) => self.on_event(&target, &arguments, now, fx),
            Ok(HubMessage::Completion {
                invocation_id,
                result,
                error,
            }) => self.on_completion(&invocation_id, result, error, fx),
            // With or without `allowReconnect`: a server that refuses this operator says so on
            // the next negotiate (403), which stops the retries.
            Ok(HubMessage::Close { error, .. }) => {
                if let Some(message) = error {
                    fx.push(Effect::Error {
                        code: "hub_closed",
                        message,
                    });
                }
                self.lose_session(Conn::Reconnecting);
                fx.push(Effect::Reconnect);
            }
            Ok(HubMessage::Ping | HubMessage::Ignored) => {}
            // A bad record is reported and skipped; the session goes on.
            Err(e) => fx.push(Effect::Error {
                code: "bad_frame",
                message: e.to_string(),
            }),
        }
    }

    fn on_event(&mut self, target: &str, args: &[Raw], now: u64, fx: &mut Vec<Effect>) {
        if let Some(meta) = args.last().and_then(Raw::decode::<EventMeta>) {
            if meta.event_id != 0 && meta.event_id <= self.last_event_id {
                return; // already applied: a replay must not repeat anything
            }
            self.last_event_id = self.last_event_id.max(meta.event_id);
        }
        let id_and = |i| Some((arg::<u64>(args, 0)?, arg::<u32>(args, i)?));
        match target {
            "ReceiveMessage" | "ReceiveMediaMessage" => {
                if let Some(m) = arg::<Message>(args, 0) {
                    self.colleague_replied(&m, now);
                    self.receive(m, &args[0], fx);
                }
            }
            "Typing" => {
                if let (Some(chat_id), Some(who)) = (arg::<u64>(args, 0), arg::<Typist>(args, 1)) {
                    self.on_typing(chat_id, who, now);
                }
            }
            "ChatDeleted" => {
                if let Some(id) = arg::<u64>(args, 0) {
                    self.remove_chat(id, fx);
                }
            }
            "ChatCreated" => {
                if let Some(chat) = arg::<Chat>(args, 0) {
                    self.add_chat(chat);
                }
            }
            "UnreadChanged" => {
                if let Some((id, count)) = id_and(1) {
                    self.set_chat(id, |c| c.count_unread = count);
                }
            }
            "ChatStatusChanged" => {
                if let Some((id, status)) = id_and(1) {
                    self.set_chat(id, |c| c.chat_status = status as u8);
                    self.sort_chats();
                }
            }
            "MessageStatusChanged" => {
                if let Some((id, status)) = id_and(1) {
                    self.set_message_status(id, status as u8);
                }
            }
            _ => {}
        }
    }

    fn on_completion(
        &mut self,
        id: &str,
        result: Option<Raw>,
        error: Option<String>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(id) = crate::text::parse::<u32>(id) else {
            return;
        };
        if self.resume_call == Some(id) {
            self.resume_call = None;
            if let Some(error) = error {
                // Not replayed (a server without Resume, or one that no longer keeps the events
                // after ours): catch up by paging instead. The list was already asked again with
                // the Resume; the open thread's page was not. Only a missing method stops asking.
                if codec::unknown_method(&error) {
                    self.resume_supported = false;
                }
                if let Some(open) = self.open {
                    fx.push(Effect::LoadHistory(open));
                }
            }
            return;
        }
        self.settle_completion(id, result, error, fx);
    }

    /// Reloads what a replay would have brought: the chat list and the open thread's newest page.
    fn catch_up(&mut self, fx: &mut Vec<Effect>) {
        self.reload_chats(fx);
        if let Some(open) = self.open {
            fx.push(Effect::LoadHistory(open));
        }
    }

    /// A session went away: whatever was in flight goes back to waiting. `why` says what the panel
    /// shows; offline and a bad token are kept over a plain "reconnecting", since they say more.
    pub(super) fn lose_session(&mut self, why: Conn) {
        self.records.clear();
        self.resume_call = None;
        self.verifying.clear();
        for o in &mut self.outbox {
            // Unanswered: it may or may not have been stored.
            if matches!(o.phase, Phase::InFlight(_)) {
                o.phase = Phase::Unsure;
                self.dirty.saved = true;
            }
        }
        let explained = matches!(
            self.conn,
            Conn::Offline | Conn::Expired | Conn::Invalid | Conn::Refused
        );
        if !explained || why != Conn::Reconnecting {
            self.set_conn(why);
        }
    }

    pub(super) fn on_token_failed(&mut self, problem: TokenProblem) {
        self.lose_session(match problem {
            TokenProblem::Expired => Conn::Expired,
            TokenProblem::Invalid => Conn::Invalid,
        });
    }

    /// A new token: connect again.
    pub(super) fn on_token_changed(&mut self) {
        // The shell drops answers made with the old token: a page on its way will never land.
        self.chats_loading = false;
        self.chats_stale = false;
        self.unlisted.clear();
        self.lose_session(Conn::Reconnecting);
        self.set_conn(Conn::Connecting);
    }

    pub(super) fn back_online(&mut self) {
        if self.conn == Conn::Offline {
            self.set_conn(Conn::Reconnecting);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::codec::{self, Arg};
    use crate::state::testkit::*;
    use crate::state::*;
    use crate::token::TokenProblem;

    #[test]
    fn handshake_then_connected() {
        let mut s = State::default();
        let fx = update(&mut s, Msg::SocketOpened { now: 0 });
        assert_eq!(fx, vec![Effect::Send(codec::HANDSHAKE.into())]);
        assert_eq!(s.conn, Conn::Handshaking);
        let fx = update(
            &mut s,
            Msg::Frame {
                text: r#"{"error":"no"}"#.to_owned() + "\u{1e}",
                now: 1,
            },
        );
        assert!(fx.contains(&Effect::Reconnect));
    }

    #[test]
    fn pings_when_quiet_and_reconnects_when_silent() {
        let mut s = connected();
        assert!(update(&mut s, Msg::Tick { now: 1000 }).is_empty());
        assert_eq!(
            update(&mut s, Msg::Tick { now: 15_001 }),
            vec![Effect::Send(codec::PING.into())]
        );
        update(
            &mut s,
            Msg::Frame {
                text: "{\"type\":6}\u{1e}".into(),
                now: 20_000,
            },
        );
        assert!(update(&mut s, Msg::Tick { now: 25_000 }).is_empty());
        assert_eq!(
            update(&mut s, Msg::Tick { now: 50_000 }),
            vec![Effect::Reconnect]
        );
        assert_eq!(s.conn, Conn::Reconnecting);
    }

    #[test]
    fn bad_frames_are_reported_and_skipped() {
        let mut s = connected();
        let fx = update(
            &mut s,
            Msg::Frame {
                text: "not json\u{1e}{\"type\":6}\u{1e}".into(),
                now: 2,
            },
        );
        assert!(matches!(
            &fx[..],
            [Effect::Error {
                code: "bad_frame",
                ..
            }]
        ));
        assert_eq!(s.conn, Conn::Connected);
    }

    #[test]
    fn resume_from_the_last_event_and_apply_replays_once() {
        let mut s = connected();
        open_chat(&mut s, 7);
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", &msg(1, 7, 1, "a"), 41),
                now: 2,
            },
        );
        let fx = reconnect(&mut s);
        assert_eq!(
            fx[0],
            Effect::Send(codec::invocation(Some(1), "Resume", &[Arg::Id(41)]))
        );
        // The replay repeats event 41 (already applied) and brings 42 (missed).
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", &msg(1, 7, 1, "a"), 41),
                now: 102,
            },
        );
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", &msg(2, 7, 1, "b"), 42),
                now: 103,
            },
        );
        assert_eq!(
            s.thread.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(s.last_event_id, 42);
    }

    /// A reconnect after event 5 whose Resume gets `error`: the list was asked again with the
    /// Resume, and the open thread is paged. Returns whether the next reconnect resumes.
    fn resume_refused(error: &str) -> bool {
        let mut s = connected();
        open_chat(&mut s, 7);
        update(
            &mut s,
            Msg::Frame {
                text: event("ChatStatusChanged", "7,2", 5),
                now: 2,
            },
        );
        assert_eq!(s.chats[0].chat_status, 2);
        let fx = reconnect(&mut s);
        assert!(fx.contains(&Effect::LoadChats(ChatQuery::first())));
        let refused = format!("{{\"type\":3,\"invocationId\":\"1\",\"error\":\"{error}\"}}\u{1e}");
        let fx = update(
            &mut s,
            Msg::Frame {
                text: refused,
                now: 102,
            },
        );
        assert_eq!(fx, vec![Effect::LoadHistory(7)]);
        reconnect(&mut s)
            .iter()
            .any(|e| matches!(e, Effect::Send(f) if f.contains("Resume")))
    }

    #[test]
    fn a_server_without_resume_is_caught_up_by_paging() {
        assert!(!resume_refused("Method does not exist."));
        assert!(!resume_refused("Unknown hub method 'Resume'"));
    }

    #[test]
    fn a_resume_from_a_pruned_log_is_caught_up_by_paging_and_tried_again_next_time() {
        assert!(resume_refused(
            "Events after 5 are no longer kept; load the chats again."
        ));
    }

    #[test]
    fn a_close_message_shows_reconnecting_and_the_outbox_drains_in_order() {
        let mut s = connected();
        open_chat(&mut s, 7);
        let fx = send(&mut s, 7, "in flight", "c1");
        assert_eq!(sends(&fx, "SendMessage").len(), 1);
        let close =
            "{\"type\":7,\"error\":\"Server is shutting down.\",\"allowReconnect\":true}\u{1e}";
        let fx = frame(&mut s, close.into());
        assert_eq!(s.conn, Conn::Reconnecting, "at once, not after a timeout");
        assert!(fx.contains(&Effect::Reconnect));
        // Typed while the server is down: kept, not written to a dead socket.
        assert!(sends(&send(&mut s, 7, "while down", "c2"), "SendMessage").is_empty());
        let fx = reconnect(&mut s);
        assert_eq!(
            sends(&fx, "SendMessage"),
            vec![
                "[7,\"in flight\",\"c1\"]".to_owned(),
                "[7,\"while down\",\"c2\"]".to_owned()
            ],
            "the unanswered one again, with its id, then the later one"
        );
        let later = sends(&send(&mut s, 7, "later", "c3"), "SendMessage");
        assert_eq!(later, vec!["[7,\"later\",\"c3\"]".to_owned()]);
    }

    #[test]
    fn a_documented_hub_gets_documented_calls_only() {
        let mut s = connected_to(Extensions::default());
        open_chat(&mut s, 7);
        let fx = send(&mut s, 7, "hi", "c1");
        assert_eq!(sends(&fx, "SendMessage"), vec!["[7,\"hi\"]".to_owned()]);
        let fx = update(
            &mut s,
            Msg::Draft {
                chat_id: 7,
                text: "typing".into(),
                now: 50_000,
            },
        );
        assert!(fx.is_empty(), "no Typing: {fx:?}");
        // A void completion: sent, and settled by the message's own event.
        frame(&mut s, "{\"type\":3,\"invocationId\":\"1\"}\u{1e}".into());
        assert_eq!(s.outbox[0].phase, Phase::Sent);
        let fx = frame(
            &mut s,
            format!(
                "{{\"type\":1,\"target\":\"ReceiveMessage\",\"arguments\":[{}]}}\u{1e}",
                msg(3, 7, 1, "2026-01-01")
            ),
        );
        assert!(sends(&fx, "MarkRead").is_empty(), "no MarkRead");
        let echo = r#"{"id":4,"chatId":7,"message":"hi","author":0,"createdAt":"x"}"#;
        frame(
            &mut s,
            format!("{{\"type\":1,\"target\":\"ReceiveMessage\",\"arguments\":[{echo}]}}\u{1e}"),
        );
        assert!(s.outbox.is_empty());
        assert_eq!(s.thread.len(), 2);
        let fx = reconnect(&mut s);
        assert!(sends(&fx, "Resume").is_empty(), "no Resume: {fx:?}");
        assert!(
            fx.contains(&Effect::LoadHistory(7)),
            "catch up by reloading"
        );
    }

    #[test]
    fn bad_tokens_stop_retrying_until_a_new_token() {
        let mut s = connected();
        update(&mut s, Msg::TokenFailed(TokenProblem::Expired));
        assert_eq!(s.conn, Conn::Expired);
        assert!(!s.conn.retries());
        update(&mut s, Msg::SocketClosed);
        assert_eq!(s.conn, Conn::Expired);
        update(&mut s, Msg::TokenChanged);
        assert_eq!(s.conn, Conn::Connecting);
        update(&mut s, Msg::TokenFailed(TokenProblem::Invalid));
        assert_eq!(s.conn.name(), "invalid");
    }

    #[test]
    fn a_refused_operator_stops_retrying_until_a_new_token() {
        let mut s = connected();
        update(&mut s, Msg::Refused);
        assert_eq!(s.conn, Conn::Refused);
        assert!(!s.conn.retries());
        update(&mut s, Msg::SocketClosed);
        assert_eq!(s.conn, Conn::Refused);
        update(&mut s, Msg::TokenChanged);
        assert!(s.conn.retries());
    }
}
