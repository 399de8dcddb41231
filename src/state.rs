//! The panel as data: chats, the open thread, the outbox and the hub session, changed only by
//! `update(state, msg) -> effects`. The shell feeds it socket frames, REST results, clicks and clock
//! ticks, then performs the effects. Nothing here touches the browser, so `cargo test` covers it.

use crate::codec::{self, HubMessage, RecordBuffer};
use crate::model::{Chat, ChatPage, EventMeta, Message, MessagePage};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

/// Send a ping when the socket has been quiet this long (the SignalR default).
pub const PING_EVERY_MS: u64 = 15_000;
/// Hearing nothing for this long means the connection is dead, even if the socket looks open.
pub const SERVER_TIMEOUT_MS: u64 = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    Connecting,
    Handshaking,
    Connected,
    Reconnecting,
}

/// A message the operator sent that the server has not confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub chat_id: u64,
    pub text: String,
    pub client_message_id: String,
    pub failed: bool,
    /// The invocation carrying it, while one is in flight.
    pub invocation: Option<u32>,
}

/// What changed since the shell last drew.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dirty {
    pub conn: bool,
    pub chats: bool,
    pub thread: bool,
}

#[derive(Debug)]
pub struct State {
    pub conn: Conn,
    /// Sorted by last activity, newest first.
    pub chats: Vec<Chat>,
    pub open: Option<u64>,
    /// The open chat's stored messages, ascending by id.
    pub thread: Vec<Message>,
    pub outbox: Vec<Outgoing>,
    /// The newest hub event applied, for `Resume`.
    pub last_event_id: u64,
    pub dirty: Dirty,
    records: RecordBuffer,
    next_invocation: u32,
    last_heard_ms: u64,
    last_sent_ms: u64,
}

#[derive(Debug)]
pub enum Msg {
    SocketOpened {
        now: u64,
    },
    Frame {
        text: String,
        now: u64,
    },
    SocketClosed,
    Tick {
        now: u64,
    },
    ChatsLoaded(ChatPage),
    Open(u64),
    HistoryLoaded {
        chat_id: u64,
        page: MessagePage,
    },
    Send {
        text: String,
        client_message_id: String,
        now: u64,
    },
}

#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    /// Write this record to the socket.
    Send(String),
    LoadChats,
    LoadHistory(u64),
    /// Drop this socket and connect again after the policy's delay.
    Reconnect,
    /// Tell the host page that something failed.
    Error {
        code: &'static str,
        message: String,
    },
    /// A new message reached the panel (for the host's `chathub:message`).
    Received(Message),
}

impl Default for State {
    fn default() -> Self {
        State {
            conn: Conn::Connecting,
            chats: Vec::new(),
            open: None,
            thread: Vec::new(),
            outbox: Vec::new(),
            last_event_id: 0,
            dirty: Dirty::default(),
            records: RecordBuffer::default(),
            next_invocation: 0,
            last_heard_ms: 0,
            last_sent_ms: 0,
        }
    }
}

fn arg<T: DeserializeOwned>(args: &[Box<RawValue>], i: usize) -> Option<T> {
    serde_json::from_str(args.get(i)?.get()).ok()
}

impl State {
    pub fn take_dirty(&mut self) -> Dirty {
        core::mem::take(&mut self.dirty)
    }

    pub fn chat(&self, id: u64) -> Option<&Chat> {
        self.chats.iter().find(|c| c.id == id)
    }

    /// The open chat's outgoing messages, shown after its stored ones.
    pub fn open_outbox(&self) -> impl Iterator<Item = &Outgoing> {
        let open = self.open;
        self.outbox.iter().filter(move |o| Some(o.chat_id) == open)
    }

    fn set_conn(&mut self, conn: Conn) {
        if self.conn != conn {
            self.conn = conn;
            self.dirty.conn = true;
        }
    }

    fn send(&mut self, record: String, now: u64, fx: &mut Vec<Effect>) {
        self.last_sent_ms = now;
        fx.push(Effect::Send(record));
    }

    fn invoke(&mut self, target: &str, args: &[&str], now: u64, fx: &mut Vec<Effect>) -> u32 {
        self.next_invocation += 1;
        let id = self.next_invocation;
        self.send(codec::invocation(Some(id), target, args), now, fx);
        id
    }

    /// Sends every waiting outbox entry of a live session, oldest first.
    fn flush_outbox(&mut self, now: u64, fx: &mut Vec<Effect>) {
        if self.conn != Conn::Connected {
            return;
        }
        for i in 0..self.outbox.len() {
            if self.outbox[i].invocation.is_some() || self.outbox[i].failed {
                continue;
            }
            let o = &self.outbox[i];
            let (chat, text, cmid) = (
                o.chat_id.to_string(),
                codec::json_string(&o.text),
                codec::json_string(&o.client_message_id),
            );
            let id = self.invoke("SendMessage", &[&chat, &text, &cmid], now, fx);
            self.outbox[i].invocation = Some(id);
        }
    }

    fn sort_chats(&mut self) {
        self.chats
            .sort_by(|a, b| b.activity().cmp(a.activity()).then(b.id.cmp(&a.id)));
    }

    /// Adds a stored message once, wherever it arrives from (history, event, completion).
    fn store_message(&mut self, m: Message, fx: &mut Vec<Effect>) {
        if let Some(cmid) = m.client_message_id.as_deref() {
            let before = self.outbox.len();
            self.outbox.retain(|o| o.client_message_id != cmid);
            self.dirty.thread |= before != self.outbox.len();
        }
        if Some(m.chat_id) == self.open {
            match self.thread.binary_search_by_key(&m.id, |x| x.id) {
                Ok(i) => {
                    if self.thread[i] == m {
                        return;
                    }
                    self.thread[i] = m.clone();
                }
                Err(i) => self.thread.insert(i, m.clone()),
            }
            self.dirty.thread = true;
        }
        match self.chats.iter_mut().find(|c| c.id == m.chat_id) {
            Some(chat) => {
                let newer = chat.last_message.as_ref().is_none_or(|l| l.id <= m.id);
                if newer {
                    chat.last_message = Some(m.clone());
                    chat.updated_at = Some(m.created_at.clone());
                    self.dirty.chats = true;
                    self.sort_chats();
                }
            }
            None => fx.push(Effect::LoadChats),
        }
    }

    fn on_event(&mut self, target: &str, args: &[Box<RawValue>], fx: &mut Vec<Effect>) {
        if let Some(meta) = args
            .last()
            .and_then(|a| serde_json::from_str::<EventMeta>(a.get()).ok())
        {
            if meta.event_id != 0 && meta.event_id <= self.last_event_id {
                return; // already applied: a replay must not repeat anything
            }
            self.last_event_id = self.last_event_id.max(meta.event_id);
        }
        match target {
            "ReceiveMessage" | "ReceiveMediaMessage" => {
                let Some(m) = arg::<Message>(args, 0) else {
                    return;
                };
                let known = self.thread.binary_search_by_key(&m.id, |x| x.id).is_ok();
                if !known {
                    fx.push(Effect::Received(m.clone()));
                }
                self.store_message(m, fx);
            }
            "ChatCreated" => {
                if let Some(chat) = arg::<Chat>(args, 0) {
                    if self.chat(chat.id).is_none() {
                        self.chats.push(chat);
                        self.sort_chats();
                        self.dirty.chats = true;
                    }
                }
            }
            _ => {}
        }
    }

    fn on_completion(
        &mut self,
        id: &str,
        result: Option<Box<RawValue>>,
        error: Option<String>,
        fx: &mut Vec<Effect>,
    ) {
        let Ok(id) = id.parse::<u32>() else { return };
        let Some(pos) = self.outbox.iter().position(|o| o.invocation == Some(id)) else {
            return;
        };
        let stored = result.and_then(|r| serde_json::from_str::<Message>(r.get()).ok());
        match (stored, error) {
            (Some(m), None) => self.store_message(m, fx),
            (_, error) => {
                let o = &mut self.outbox[pos];
                o.invocation = None;
                o.failed = true;
                self.dirty.thread = true;
                fx.push(Effect::Error {
                    code: "send_failed",
                    message: error.unwrap_or_else(|| "send failed".into()),
                });
            }
        }
    }

    fn on_record(&mut self, record: &str, now: u64, fx: &mut Vec<Effect>) {
        if self.conn == Conn::Handshaking {
            match codec::decode_handshake(record) {
                Ok(()) => {
                    self.set_conn(Conn::Connected);
                    fx.push(Effect::LoadChats);
                    self.flush_outbox(now, fx);
                }
                Err(e) => {
                    fx.push(Effect::Error {
                        code: "hub_refused",
                        message: e.to_string(),
                    });
                    fx.push(Effect::Reconnect);
                }
            }
            return;
        }
        match codec::decode(record) {
            Ok(HubMessage::Invocation {
                target, arguments, ..
            }) => self.on_event(&target, &arguments, fx),
            Ok(HubMessage::Completion {
                invocation_id,
                result,
                error,
            }) => self.on_completion(&invocation_id, result, error, fx),
            Ok(HubMessage::Close { error, .. }) => {
                if let Some(message) = error {
                    fx.push(Effect::Error {
                        code: "hub_closed",
                        message,
                    });
                }
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

    /// A socket went away: whatever was in flight goes back to waiting.
    fn lose_session(&mut self) {
        self.records.clear();
        for o in &mut self.outbox {
            o.invocation = None;
        }
        self.set_conn(Conn::Reconnecting);
    }
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::SocketOpened { now } => {
            state.records.clear();
            state.last_heard_ms = now;
            state.set_conn(Conn::Handshaking);
            state.send(codec::HANDSHAKE.into(), now, &mut fx);
        }
        Msg::Frame { text, now } => {
            state.last_heard_ms = now;
            for record in state.records.push(&text) {
                state.on_record(&record, now, &mut fx);
            }
        }
        Msg::SocketClosed => state.lose_session(),
        Msg::Tick { now } => {
            let live = matches!(state.conn, Conn::Connected | Conn::Handshaking);
            if live && now.saturating_sub(state.last_heard_ms) >= SERVER_TIMEOUT_MS {
                state.lose_session();
                fx.push(Effect::Reconnect);
            } else if state.conn == Conn::Connected
                && now.saturating_sub(state.last_sent_ms) >= PING_EVERY_MS
            {
                state.send(codec::PING.into(), now, &mut fx);
            }
        }
        Msg::ChatsLoaded(page) => {
            state.chats = page.items;
            state.sort_chats();
            state.dirty.chats = true;
        }
        Msg::Open(chat_id) => {
            if state.open != Some(chat_id) {
                state.open = Some(chat_id);
                state.thread.clear();
                state.dirty.thread = true;
                state.dirty.chats = true;
                fx.push(Effect::LoadHistory(chat_id));
            }
        }
        Msg::HistoryLoaded { chat_id, page } => {
            if state.open == Some(chat_id) {
                for m in page.items {
                    state.store_message(m, &mut fx);
                }
                state.dirty.thread = true;
            }
        }
        Msg::Send {
            text,
            client_message_id,
            now,
        } => {
            let text = text.trim();
            if let (Some(chat_id), false) = (state.open, text.is_empty()) {
                state.outbox.push(Outgoing {
                    chat_id,
                    text: text.to_owned(),
                    client_message_id,
                    failed: false,
                    invocation: None,
                });
                state.dirty.thread = true;
                state.flush_outbox(now, &mut fx);
            }
        }
    }
    fx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connected() -> State {
        let mut s = State::default();
        update(&mut s, Msg::SocketOpened { now: 0 });
        let fx = update(
            &mut s,
            Msg::Frame {
                text: "{}\u{1e}".into(),
                now: 1,
            },
        );
        assert_eq!(fx, vec![Effect::LoadChats]);
        assert_eq!(s.conn, Conn::Connected);
        s
    }

    fn msg(id: u64, chat: u64, author: u8, at: &str) -> String {
        format!(
            r#"{{"id":{id},"chatId":{chat},"message":"m{id}","author":{author},"status":1,"createdAt":"{at}"}}"#
        )
    }

    fn chats(json: &str) -> ChatPage {
        serde_json::from_str(json).unwrap()
    }

    fn event(target: &str, arg: &str, event_id: u64) -> String {
        format!(
            r#"{{"type":1,"target":"{target}","arguments":[{arg},{{"eventId":{event_id}}}]}}{}"#,
            codec::RS
        )
    }

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
    fn chats_sorted_by_last_activity() {
        let mut s = connected();
        update(
            &mut s,
            Msg::ChatsLoaded(chats(&format!(
                r#"{{"total":3,"items":[{{"id":1,"updatedAt":"2026-11-20T10:00:00.000Z"}},
                {{"id":2,"lastMessage":{}}},{{"id":3,"updatedAt":"2026-11-19T10:00:00.000Z"}}]}}"#,
                msg(9, 2, 1, "2026-11-21T10:00:00.000Z")
            ))),
        );
        assert_eq!(
            s.chats.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![2, 1, 3]
        );
        // A live message moves its chat to the top.
        update(
            &mut s,
            Msg::Frame {
                text: event(
                    "ReceiveMessage",
                    &msg(10, 3, 1, "2026-11-21T11:00:00.000Z"),
                    1,
                ),
                now: 2,
            },
        );
        assert_eq!(s.chats[0].id, 3);
        assert_eq!(s.chats[0].last_message.as_ref().unwrap().id, 10);
    }

    #[test]
    fn live_message_in_open_thread_once() {
        let mut s = connected();
        update(&mut s, Msg::ChatsLoaded(chats(r#"{"items":[{"id":7}]}"#)));
        assert_eq!(update(&mut s, Msg::Open(7)), vec![Effect::LoadHistory(7)]);
        let page: MessagePage = serde_json::from_str(&format!(
            r#"{{"items":[{}],"hasMore":false}}"#,
            msg(1, 7, 1, "2026-11-21T09:00:00.000Z")
        ))
        .unwrap();
        update(&mut s, Msg::HistoryLoaded { chat_id: 7, page });
        let live = event(
            "ReceiveMessage",
            &msg(2, 7, 1, "2026-11-21T10:00:00.000Z"),
            5,
        );
        let fx = update(
            &mut s,
            Msg::Frame {
                text: live.clone(),
                now: 2,
            },
        );
        assert!(matches!(&fx[..], [Effect::Received(m)] if m.id == 2));
        // The same event again (a replay) changes nothing.
        assert!(update(&mut s, Msg::Frame { text: live, now: 3 }).is_empty());
        assert_eq!(
            s.thread.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(s.last_event_id, 5);
    }

    #[test]
    fn optimistic_send_settles_to_the_stored_message() {
        let mut s = connected();
        update(&mut s, Msg::ChatsLoaded(chats(r#"{"items":[{"id":7}]}"#)));
        update(&mut s, Msg::Open(7));
        let fx = update(
            &mut s,
            Msg::Send {
                text: " hi ".into(),
                client_message_id: "c1".into(),
                now: 5,
            },
        );
        assert_eq!(
            fx,
            vec![Effect::Send(codec::invocation(
                Some(1),
                "SendMessage",
                &["7", "\"hi\"", "\"c1\""]
            ))]
        );
        assert_eq!(s.open_outbox().count(), 1);
        let stored = r#"{"id":40,"chatId":7,"message":"hi","author":0,"status":0,"createdAt":"2026-11-21T10:00:00.000Z","clientMessageId":"c1"}"#;
        update(
            &mut s,
            Msg::Frame {
                text: format!(r#"{{"type":3,"invocationId":"1","result":{stored}}}"#) + "\u{1e}",
                now: 6,
            },
        );
        assert_eq!(s.open_outbox().count(), 0);
        assert_eq!(s.thread.len(), 1);
        // The broadcast of the same message does not add it twice.
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", stored, 9),
                now: 7,
            },
        );
        assert_eq!(s.thread.len(), 1);
    }

    #[test]
    fn send_error_marks_failed_and_offline_sends_wait() {
        let mut s = connected();
        update(&mut s, Msg::ChatsLoaded(chats(r#"{"items":[{"id":7}]}"#)));
        update(&mut s, Msg::Open(7));
        update(
            &mut s,
            Msg::Send {
                text: "a".into(),
                client_message_id: "c1".into(),
                now: 5,
            },
        );
        let fx = update(
            &mut s,
            Msg::Frame {
                text: "{\"type\":3,\"invocationId\":\"1\",\"error\":\"nope\"}\u{1e}".into(),
                now: 6,
            },
        );
        assert!(matches!(
            &fx[..],
            [Effect::Error {
                code: "send_failed",
                ..
            }]
        ));
        assert!(s.outbox[0].failed);
        update(&mut s, Msg::SocketClosed);
        assert!(update(
            &mut s,
            Msg::Send {
                text: "b".into(),
                client_message_id: "c2".into(),
                now: 7
            }
        )
        .is_empty());
        update(&mut s, Msg::SocketOpened { now: 8 });
        let fx = update(
            &mut s,
            Msg::Frame {
                text: "{}\u{1e}".into(),
                now: 9,
            },
        );
        assert_eq!(fx.len(), 2, "{fx:?}");
        assert!(matches!(&fx[1], Effect::Send(f) if f.contains("\"c2\"")));
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
    fn chat_created_appears_and_unknown_chat_reloads_list() {
        let mut s = connected();
        update(
            &mut s,
            Msg::Frame {
                text: event("ChatCreated", r#"{"id":4,"client":{"name":"Ann"}}"#, 1),
                now: 2,
            },
        );
        assert_eq!(s.chats.len(), 1);
        let fx = update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", &msg(3, 99, 1, "x"), 2),
                now: 3,
            },
        );
        assert!(fx.contains(&Effect::LoadChats));
    }
}
