//! The outbox and drafts: what the operator wrote that the server has not stored yet. The subtle
//! part of the panel: each message must reach the server once and in order, across lost sessions.

use super::{Conn, Draft, Effect, State};
use crate::codec::{self, Arg, HubMedia};
use crate::json::Raw;
use crate::model::{Message, MessagePage, STATUS_CLOSED, STATUS_OPEN};
use serde::{Deserialize, Serialize};

/// The longest message the API takes, in characters.
pub const MAX_TEXT: usize = 4096;

/// A message the operator sent that the server has not confirmed yet. Saved across reloads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outgoing {
    pub chat_id: u64,
    #[serde(default)]
    pub text: String,
    pub client_message_id: String,
    #[serde(default)]
    pub media: Option<OutMedia>,
    /// The newest message id the panel knew in the chat when this was last sent: only a message
    /// newer than that can be its stored copy.
    #[serde(default)]
    pub after_id: u64,
    #[serde(default)]
    pub phase: Phase,
}

/// Where an outgoing message is on its way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(from = "SavedPhase", into = "SavedPhase")]
pub enum Phase {
    /// Not sent on this session yet.
    #[default]
    Waiting,
    /// This invocation carries it.
    InFlight(u32),
    /// The server accepted it without returning the stored message (the documented hub's void
    /// `SendMessage`): shown as sent until the message itself arrives.
    Sent,
    /// It went out on a session that was lost before the answer. Without `clientMessageId` a resend
    /// could store it twice, so it waits until the chat's newest page shows whether it arrived.
    Unsure,
    /// The server refused it; the operator may retry.
    Failed,
}

/// A phase as a reload finds it: whatever may have reached the server is unsure then.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum SavedPhase {
    Waiting,
    Unsure,
    Failed,
}

impl From<Phase> for SavedPhase {
    fn from(p: Phase) -> SavedPhase {
        match p {
            Phase::Waiting => SavedPhase::Waiting,
            Phase::InFlight(_) | Phase::Sent | Phase::Unsure => SavedPhase::Unsure,
            Phase::Failed => SavedPhase::Failed,
        }
    }
}

impl From<SavedPhase> for Phase {
    fn from(p: SavedPhase) -> Phase {
        match p {
            SavedPhase::Waiting => Phase::Waiting,
            SavedPhase::Unsure => Phase::Unsure,
            SavedPhase::Failed => Phase::Failed,
        }
    }
}

/// A file the operator attached, as `SendMediaMessage` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OutMedia {
    pub name: String,
    pub format: String,
    pub data_base64: String,
    /// 1 image, 0 any other file.
    pub kind: u8,
}

impl OutMedia {
    fn hub(&self) -> HubMedia<'_> {
        HubMedia {
            name: &self.name,
            format: &self.format,
            data_base64: &self.data_base64,
            kind: self.kind,
        }
    }
}

/// Whether a stored message carries what an outgoing one sent: its text, or its file's name.
fn same_content(o: &Outgoing, m: &Message) -> bool {
    match &o.media {
        Some(out) => m.media.as_ref().and_then(|x| x.name.as_deref()) == Some(out.name.as_str()),
        None => m.message.as_deref().map(str::trim) == Some(o.text.as_str()),
    }
}

impl State {
    /// A chat the panel may send to: listed, or open (a restored chat before the list loads).
    pub(super) fn knows(&self, id: u64) -> bool {
        self.open == Some(id) || self.chat(id).is_some()
    }

    /// The open chat's outgoing messages, shown after its stored ones.
    pub fn open_outbox(&self) -> impl Iterator<Item = &Outgoing> {
        let open = self.open;
        self.outbox.iter().filter(move |o| Some(o.chat_id) == open)
    }

    /// The unsent text of a chat.
    pub fn draft(&self, chat_id: u64) -> &str {
        let d = self.drafts.iter().find(|d| d.chat_id == chat_id);
        d.map_or("", |d| d.text.as_str())
    }

    /// Sets a chat's draft; an empty one is no draft.
    pub(super) fn set_draft(&mut self, chat_id: u64, text: String) {
        self.drafts.retain(|d| d.chat_id != chat_id);
        if !text.is_empty() {
            self.drafts.push(Draft { chat_id, text });
        }
        self.dirty.saved = true;
    }

    /// The operator typed: the draft is kept, and the others hear that someone types.
    pub(super) fn on_draft(&mut self, chat_id: u64, text: String, now: u64, fx: &mut Vec<Effect>) {
        if !text.trim().is_empty() && self.open == Some(chat_id) {
            self.typing_out(now, fx);
        }
        self.set_draft(chat_id, text);
    }

    /// Send: the chat's text, then the file waiting in its composer, each its own message (the hub
    /// takes no text with a file). Nothing goes while the text is over the limit, and a blank text
    /// without a file is nothing to send.
    pub(super) fn send_text(
        &mut self,
        chat_id: u64,
        text: &str,
        client_message_id: String,
        now: u64,
        fx: &mut Vec<Effect>,
    ) {
        let text = text.trim();
        let file = self.attachment(chat_id).is_some();
        if (text.is_empty() && !file) || text.chars().count() > MAX_TEXT || !self.knows(chat_id) {
            return;
        }
        self.replying(chat_id, fx);
        if !text.is_empty() {
            self.set_draft(chat_id, String::new());
            self.enqueue(chat_id, text, None, client_message_id, now, fx);
        }
        if let Some(p) = self.take_attachment(chat_id) {
            if let Ok(media) = crate::media::attach(&p.name, &p.format, &p.bytes) {
                self.enqueue(chat_id, "", Some(media), p.client_message_id, now, fx);
            }
        }
    }

    /// The operator replies to `chat_id`: it no longer waits, and a closed chat is reopened through
    /// the documented `PUT /api/chat/status` (the server leaves a closed chat closed on a reply),
    /// with a word to the operator.
    fn replying(&mut self, chat_id: u64, fx: &mut Vec<Effect>) {
        self.answered(chat_id);
        if let Some(c) = self
            .chat(chat_id)
            .filter(|c| c.chat_status == STATUS_CLOSED)
        {
            let name = c.title().to_owned();
            self.set_chat(chat_id, |c| c.chat_status = STATUS_OPEN);
            fx.push(Effect::SetStatus {
                chat_id,
                status: STATUS_OPEN,
            });
            fx.push(Effect::Notice {
                key: "notice.reopened",
                name,
            });
        }
    }

    pub(super) fn retry(&mut self, client_message_id: &str, now: u64, fx: &mut Vec<Effect>) {
        if let Some(o) = self
            .outbox
            .iter_mut()
            .find(|o| o.client_message_id == client_message_id && o.phase == Phase::Failed)
        {
            o.phase = Phase::Waiting;
            self.dirty.thread = true;
            self.flush_outbox(now, fx);
        }
    }

    /// Queues a message (text or media) for `chat_id` and sends it if the session is live.
    fn enqueue(
        &mut self,
        chat_id: u64,
        text: &str,
        media: Option<OutMedia>,
        cmid: String,
        now: u64,
        fx: &mut Vec<Effect>,
    ) {
        self.outbox.push(Outgoing {
            chat_id,
            text: text.to_owned(),
            client_message_id: cmid,
            media,
            after_id: 0,
            phase: Phase::Waiting,
        });
        self.dirty.thread = true;
        self.dirty.saved = true;
        self.flush_outbox(now, fx);
    }

    /// Whether an outgoing message must wait for the chat's newest page before it may go again.
    fn held(&self, o: &Outgoing) -> bool {
        o.phase == Phase::Unsure && !self.ext.client_message_id
    }

    /// Sends every waiting outbox entry of a live session, oldest first. An entry that may already
    /// have arrived holds everything after it, so that nothing overtakes it.
    pub(super) fn flush_outbox(&mut self, now: u64, fx: &mut Vec<Effect>) {
        if self.conn != Conn::Connected {
            return;
        }
        for i in 0..self.outbox.len() {
            if self.held(&self.outbox[i]) {
                return;
            }
            if !matches!(self.outbox[i].phase, Phase::Waiting | Phase::Unsure) {
                continue;
            }
            self.next_invocation += 1;
            let id = self.next_invocation;
            let o = &self.outbox[i];
            let (target, body) = match &o.media {
                None => ("SendMessage", Arg::Text(&o.text)),
                Some(m) => ("SendMediaMessage", Arg::Media(m.hub())),
            };
            let args = [Arg::Id(o.chat_id), body, Arg::Text(&o.client_message_id)];
            // ASP.NET binds arguments by count: the third goes only to a server that offers it.
            let args = if self.ext.client_message_id {
                &args[..]
            } else {
                &args[..2]
            };
            let record = codec::invocation(Some(id), target, args);
            self.send(record, now, fx);
            let after_id = self.newest_known(self.outbox[i].chat_id);
            let o = &mut self.outbox[i];
            o.phase = Phase::InFlight(id);
            o.after_id = after_id;
        }
    }

    /// Settles the outgoing message that `m` is the stored copy of: by `clientMessageId`, else (a
    /// server without it) the oldest sent, unanswered or unsure message of this operator in that chat
    /// with the same text or file, sent before `m` was stored.
    /// Whether `m` is one of this operator's sends (its `clientMessageId` is in the outbox, or
    /// the server named this operator as its author).
    pub(super) fn is_own_send(&self, m: &Message) -> bool {
        let queued = m
            .client_message_id
            .as_deref()
            .is_some_and(|c| self.outbox.iter().any(|o| o.client_message_id == c));
        let mine =
            m.author == 0 && self.me.is_some() && m.operator.as_ref().map(|o| o.id) == self.me;
        queued || mine
    }

    pub(super) fn settle_sent(&mut self, m: &Message) {
        let pos = match m.client_message_id.as_deref() {
            Some(cmid) => self.outbox.iter().position(|o| o.client_message_id == cmid),
            None if m.author == 0 && m.operator.as_ref().is_none_or(|o| Some(o.id) == self.me) => {
                self.outbox.iter().position(|o| {
                    o.chat_id == m.chat_id
                        && matches!(o.phase, Phase::InFlight(_) | Phase::Sent | Phase::Unsure)
                        && m.id > o.after_id
                        && same_content(o, m)
                })
            }
            None => None,
        };
        if let Some(pos) = pos {
            self.outbox.remove(pos);
            // The server stores a chat's messages in the order they were sent, so the copies of the
            // ones queued after this are newer than `m`: seeing `m` again must not settle them.
            for o in self.outbox[pos..]
                .iter_mut()
                .filter(|o| o.chat_id == m.chat_id)
            {
                o.after_id = o.after_id.max(m.id);
            }
            self.dirty.thread = true;
            self.dirty.saved = true;
        }
    }

    /// The server's answer to send `id`: the stored message, nothing (the documented hub), or an
    /// error.
    pub(super) fn settle_completion(
        &mut self,
        id: u32,
        result: Option<Raw>,
        error: Option<String>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(pos) = (self.outbox.iter()).position(|o| o.phase == Phase::InFlight(id)) else {
            return;
        };
        let o = &mut self.outbox[pos];
        self.dirty.thread = true;
        self.dirty.saved = true;
        match (result.and_then(|r| r.decode::<Message>()), error) {
            (Some(m), None) => self.store_message(m, fx),
            // A void `SendMessage` (the documented hub): the message itself comes as an event.
            (None, None) => o.phase = Phase::Sent,
            (_, Some(message)) => {
                o.phase = Phase::Failed;
                // The chat may be gone: its page answers 404 then.
                fx.push(Effect::Verify(o.chat_id));
                fx.push(Effect::Error {
                    code: "send_failed",
                    message,
                });
            }
        }
    }

    /// Asks for the newest page of every chat holding sends that may already have arrived.
    pub(super) fn verify_unsure(&mut self, fx: &mut Vec<Effect>) {
        if self.conn != Conn::Connected || self.ext.client_message_id {
            return;
        }
        let mut chats: Vec<u64> = Vec::new();
        for o in &self.outbox {
            if matches!(o.phase, Phase::Unsure | Phase::Sent) && !chats.contains(&o.chat_id) {
                chats.push(o.chat_id);
            }
        }
        for chat_id in chats {
            if !self.verifying.contains(&chat_id) {
                self.verifying.push(chat_id);
                fx.push(Effect::Verify(chat_id));
            }
        }
    }

    /// The newest page of a chat is in: what it holds of ours arrived; what it lacks is sent again.
    pub(super) fn on_verified(
        &mut self,
        chat_id: u64,
        page: MessagePage,
        now: u64,
        fx: &mut Vec<Effect>,
    ) {
        self.verifying.retain(|c| *c != chat_id);
        let open = self.open == Some(chat_id);
        for m in page.items {
            if open {
                self.store_message(m, fx);
            } else {
                self.settle_sent(&m);
            }
        }
        for o in self.outbox.iter_mut().filter(|o| o.chat_id == chat_id) {
            if o.phase == Phase::Unsure {
                o.phase = Phase::Waiting; // not on the server: it goes again
            }
        }
        // Accepted but not on the page: stored, just older than its newest messages.
        self.outbox
            .retain(|o| !(o.chat_id == chat_id && o.phase == Phase::Sent));
        self.dirty.thread = true;
        self.dirty.saved = true;
        self.flush_outbox(now, fx);
    }
}

#[cfg(test)]
mod tests {
    use crate::codec::{self, Arg};
    use crate::json;
    use crate::state::testkit::*;
    use crate::state::*;

    #[test]
    fn optimistic_send_settles_to_the_stored_message() {
        let mut s = connected();
        update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chats(r#"{"items":[{"id":7}]}"#)),
        );
        update(&mut s, Msg::Open(7));
        let fx = update(
            &mut s,
            Msg::Send {
                chat_id: 7,
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
                &[Arg::Id(7), Arg::Text("hi"), Arg::Text("c1")]
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
        update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chats(r#"{"items":[{"id":7}]}"#)),
        );
        update(&mut s, Msg::Open(7));
        update(
            &mut s,
            Msg::Send {
                chat_id: 7,
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
            [
                Effect::Verify(7),
                Effect::Error {
                    code: "send_failed",
                    ..
                }
            ]
        ));
        assert_eq!(s.outbox[0].phase, Phase::Failed);
        update(&mut s, Msg::SocketClosed);
        assert!(update(
            &mut s,
            Msg::Send {
                chat_id: 7,
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
        assert_eq!(
            &fx[..2],
            [
                Effect::LoadChats(ChatQuery::first()),
                Effect::LoadHistory(7)
            ],
            "no Resume without event ids"
        );
        assert!(matches!(&fx[2..], [Effect::Send(f)] if f.contains("\"c2\"")));
    }

    #[test]
    fn offline_sends_go_out_in_order_after_reconnect() {
        let mut s = connected();
        open_chat(&mut s, 7);
        update(&mut s, Msg::Network { online: false });
        assert_eq!(s.conn, Conn::Offline);
        for (i, t) in ["one", "two", "three"].iter().enumerate() {
            let fx = update(
                &mut s,
                Msg::Send {
                    chat_id: 7,
                    text: (*t).into(),
                    client_message_id: format!("c{i}"),
                    now: 5,
                },
            );
            assert!(fx.is_empty(), "nothing goes out offline");
        }
        update(&mut s, Msg::SocketClosed);
        assert_eq!(s.conn, Conn::Offline, "offline says more than reconnecting");
        update(&mut s, Msg::Network { online: true });
        let sent: Vec<String> = reconnect(&mut s)
            .into_iter()
            .filter_map(|e| match e {
                Effect::Send(f) if f.contains("SendMessage") => Some(f),
                _ => None,
            })
            .collect();
        assert_eq!(sent.len(), 3);
        assert!(
            sent[0].contains("\"one\"")
                && sent[1].contains("\"two\"")
                && sent[2].contains("\"three\"")
        );
        // A lost acknowledgement: the same message comes back as an event and settles the outbox entry.
        let stored = r#"{"id":9,"chatId":7,"message":"one","author":0,"createdAt":"x","clientMessageId":"c0"}"#;
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", stored, 50),
                now: 200,
            },
        );
        assert_eq!(s.outbox.len(), 2);
        assert_eq!(s.thread.len(), 1);
    }

    #[test]
    fn media_goes_out_as_send_media_message_with_a_client_message_id() {
        let mut s = connected();
        open_chat(&mut s, 7);
        let file = Pending {
            chat_id: 7,
            name: "<b>.png".into(),
            format: "image/png".into(),
            bytes: b"png".to_vec(),
            client_message_id: "c1".into(),
        };
        update(&mut s, Msg::Attach(file));
        let fx = send(&mut s, 7, "", "unused");
        let [Effect::Send(frame)] = &fx[..] else {
            panic!("{fx:?}")
        };
        assert!(frame.contains(r#""target":"SendMediaMessage","arguments":[7,{"Name":"<b>.png","Format":"image/png","DataBase64":"cG5n","Type":1},"c1"]"#), "{frame}");
        assert_eq!(s.open_outbox().count(), 1);
    }

    #[test]
    fn without_client_message_ids_a_lost_send_is_looked_for_before_it_goes_again() {
        let mut s = lost_two_sends();
        let fx = reconnect(&mut s);
        assert!(fx.contains(&Effect::Verify(7)));
        assert!(
            sends(&fx, "SendMessage").is_empty(),
            "nothing goes before the look-up, not even what was typed later"
        );
        // "one" reached the server, "two" did not.
        let page = page(
            &[r#"{"id":5,"chatId":7,"message":"one","author":0,"createdAt":"x"}"#.into()],
            false,
        );
        let fx = update(&mut s, Msg::Verified { chat_id: 7, page });
        assert_eq!(
            sends(&fx, "SendMessage"),
            vec!["[7,\"two\"]".to_owned(), "[7,\"three\"]".to_owned()],
            "neither lost nor doubled, in order"
        );
        assert_eq!(s.thread.len(), 1);
    }

    #[test]
    fn a_failed_look_up_is_asked_again_and_sends_nothing() {
        let mut s = lost_two_sends();
        reconnect(&mut s);
        let fx = update(&mut s, Msg::VerifyFailed(7));
        assert!(sends(&fx, "SendMessage").is_empty());
        let fx = update(&mut s, Msg::Tick { now: 2_000 });
        assert!(fx.contains(&Effect::Verify(7)));
        // Saved while unsure: a reload looks for them too.
        let saved: Saved = json::from_str(&s.saved_json().unwrap()).unwrap();
        assert_eq!(saved.outbox[0].phase, Phase::Unsure);
        assert_eq!(saved.outbox[1].phase, Phase::Unsure);
        assert_eq!(saved.outbox[2].phase, Phase::Waiting);
    }

    #[test]
    fn the_same_text_twice_is_settled_once_per_stored_copy() {
        let mut s = connected_to(Extensions::default());
        open_chat(&mut s, 7);
        send(&mut s, 7, "ok", "c1");
        send(&mut s, 7, "ok", "c2");
        update(&mut s, Msg::SocketClosed);
        reconnect(&mut s);
        let one = r#"{"id":5,"chatId":7,"message":"ok","author":0,"createdAt":"x"}"#.to_owned();
        let page = page(std::slice::from_ref(&one), false);
        let fx = update(&mut s, Msg::Verified { chat_id: 7, page });
        assert_eq!(sends(&fx, "SendMessage"), vec!["[7,\"ok\"]".to_owned()]);
        // The same copy again (an event after the page) settles nothing more.
        frame(
            &mut s,
            format!("{{\"type\":1,\"target\":\"ReceiveMessage\",\"arguments\":[{one}]}}\u{1e}"),
        );
        assert_eq!(s.outbox.len(), 1);
    }

    #[test]
    fn a_text_over_the_limit_is_not_sent() {
        let mut s = connected();
        open_chat(&mut s, 7);
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(send(&mut s, 7, &long, "c1").is_empty());
        assert!(s.outbox.is_empty());
    }
}
