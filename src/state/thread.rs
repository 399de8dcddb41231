//! The open chat: its thread and the window of it that is drawn, history pages both ways, read
//! marks and the typing line. One chat at a time, so it is apart from the list of all of them.

use super::{now_of, Conn, Dirty, Effect, State};
use crate::codec::{self, Arg};
use crate::json::Raw;
use crate::model::{Message, MessagePage};
use crate::window::Window;
use serde::Deserialize;

/// The operator's `Typing` goes out at most this often while they type.
pub const TYPING_EVERY_MS: u64 = 3_000;

/// The client's typing line goes away by itself after this long without news.
pub const TYPING_SHOWN_MS: u64 = 6_000;

/// A colleague's "just replied" line stays this long.
pub const REPLIED_SHOWN_MS: u64 = 60_000;

/// Another operator at work in a chat: typing in it, or having just replied, shown by name until
/// `until_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colleague {
    pub chat_id: u64,
    pub name: String,
    pub replied: bool,
    pub until_ms: u64,
}

/// Whether older messages of the open chat remain on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    More,
    /// The chat was just opened and its newest page is on its way. Live messages may arrive first,
    /// so an empty thread does not tell the first page from a later one.
    Opening,
    Loading,
    /// The thread holds the chat's first message.
    Start,
}

impl History {
    /// After a page that says whether older messages remain.
    pub(super) fn after(has_more: bool) -> History {
        if has_more {
            History::More
        } else {
            History::Start
        }
    }
}

/// Someone typing in a chat, shown until `until_ms` unless they type again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typing {
    pub chat_id: u64,
    pub name: String,
    pub until_ms: u64,
}

/// The second argument of `Typing`: who types.
#[derive(Deserialize)]
pub(super) struct Typist {
    #[serde(default)]
    author: u8,
    client: Option<crate::model::Client>,
    /// Who of the staff types (the reference server names them; the hosted hub sends no `Typing`).
    operator: Option<crate::model::Operator>,
}

impl State {
    /// The drawn part of the open thread.
    pub fn shown(&self) -> &[Message] {
        let len = self.thread.len();
        &self.thread[self.window.start.min(len)..self.window.end.min(len)]
    }

    /// Whether the drawn part reaches the newest message: only then do the outbox and the typing
    /// line show after it.
    pub fn at_live_edge(&self) -> bool {
        self.window.at_end(self.thread.len())
    }

    /// Who is typing in the open chat.
    pub fn typing_name(&self) -> Option<&str> {
        self.typing
            .as_ref()
            .filter(|t| Some(t.chat_id) == self.open)
            .map(|t| t.name.as_str())
    }

    pub(super) fn on_open(&mut self, chat_id: u64, fx: &mut Vec<Effect>) {
        if self.open != Some(chat_id) {
            let unread = self.chat(chat_id).map_or(0, |c| c.count_unread);
            self.show_chat(Some(chat_id));
            self.opened_unread = unread;
            self.history = History::Opening;
            fx.push(Effect::LoadHistory(chat_id));
        }
    }

    /// Opens a chat (or none, back to the list) with an empty thread until its history loads.
    pub(super) fn show_chat(&mut self, chat: Option<u64>) {
        self.open = chat;
        self.unread_untold = false;
        self.thread.clear();
        self.window = Window::default();
        self.history = History::More;
        self.divider = None;
        self.opened_unread = 0;
        self.reading_back = false;
        self.arrived = 0;
        self.jump = false;
        self.dirty = Dirty {
            thread: true,
            chats: true,
            saved: true,
            typing: true,
            ..self.dirty
        };
    }

    /// The open chat's newest page: the first after opening puts the window at the live edge.
    pub(super) fn on_history_loaded(
        &mut self,
        chat_id: u64,
        page: MessagePage,
        fx: &mut Vec<Effect>,
    ) {
        if self.open == Some(chat_id) {
            let first_load = self.history == History::Opening;
            for m in page.items {
                self.store_message(m, fx);
            }
            if first_load {
                self.window = Window::live(self.thread.len());
                self.history = History::after(page.has_more);
                self.place_divider();
            }
            self.dirty.thread = true;
        }
    }

    /// Scrolled to the top of what is drawn: draw more of the thread, or fetch the page before it.
    pub(super) fn on_older(&mut self, fx: &mut Vec<Effect>) {
        match (self.open, self.thread.first()) {
            _ if self.window.start > 0 => {
                self.window.up();
                self.dirty.thread = true;
            }
            (Some(chat_id), Some(first)) if self.history == History::More => {
                fx.push(Effect::LoadOlder {
                    chat_id,
                    before: first.id,
                });
                self.history = History::Loading;
                self.dirty.thread = true;
            }
            _ => {}
        }
    }

    /// The divider goes above the oldest of the last `opened_unread` customer messages: the count
    /// is the server's, and only the customer's messages are counted as unread by it.
    fn place_divider(&mut self) {
        let n = core::mem::take(&mut self.opened_unread) as usize;
        if n == 0 {
            return;
        }
        self.divider = self
            .thread
            .iter()
            .rev()
            .filter(|m| m.author == 1)
            .take(n)
            .last()
            .map(|m| m.id);
    }

    /// Where the operator's scroll is: back at the newest message, nothing is left unseen.
    pub(super) fn on_reading_back(&mut self, back: bool) {
        self.reading_back = back;
        if !back && self.at_live_edge() && self.arrived > 0 {
            self.arrived = 0;
            self.dirty.typing = true;
        }
    }

    /// The "↓ N new" button: the window goes to the newest message and the view scrolls there.
    pub(super) fn jump_latest(&mut self) {
        if self.open.is_some() {
            self.window = Window::live(self.thread.len());
            self.arrived = 0;
            self.reading_back = false;
            self.jump = true;
            self.dirty.thread = true;
            self.dirty.typing = true;
        }
    }

    pub(super) fn on_newer(&mut self) {
        if !self.at_live_edge() {
            self.window.down(self.thread.len());
            self.dirty.thread = true;
        }
    }

    pub(super) fn on_older_loaded(
        &mut self,
        chat_id: u64,
        page: MessagePage,
        fx: &mut Vec<Effect>,
    ) {
        if self.open == Some(chat_id) {
            for m in page.items {
                self.store_message(m, fx);
            }
            self.window.up();
            self.history = History::after(page.has_more);
            self.dirty.thread = true;
        }
    }

    /// Adds a stored message once, wherever it arrives from (history, event, completion).
    pub(super) fn store_message(&mut self, m: Message, fx: &mut Vec<Effect>) {
        self.settle_sent(&m);
        if Some(m.chat_id) == self.open {
            match self.thread.binary_search_by_key(&m.id, |x| x.id) {
                Ok(i) if self.thread[i] == m => return,
                Ok(i) => self.thread[i] = m.clone(),
                Err(i) => {
                    self.thread.insert(i, m.clone());
                    self.window.inserted(i, self.thread.len());
                }
            }
            self.dirty.thread = true;
        }
        self.list_message(m, fx);
    }

    /// A message event. The host page hears of it unless the thread already holds it; a client's
    /// message ends their typing line, since it is what they were typing.
    pub(super) fn receive(&mut self, m: Message, raw: &Raw, fx: &mut Vec<Effect>) {
        if self.thread.binary_search_by_key(&m.id, |x| x.id).is_err() {
            fx.push(Effect::Received(Box::new(m.clone()), raw.clone()));
        }
        if m.author == 1 && self.typing.as_ref().is_some_and(|t| t.chat_id == m.chat_id) {
            self.set_typing(None);
        }
        // Counted for the "↓ N new" button: a new message after the newest one held, in the open
        // chat, while the operator reads further up; never this operator's own send coming back.
        let unseen = Some(m.chat_id) == self.open
            && (self.reading_back || !self.at_live_edge())
            && self.thread.last().is_none_or(|last| last.id < m.id)
            && !self.is_own_send(&m);
        self.store_message(m, fx);
        if unseen {
            self.arrived += 1;
            self.dirty.typing = true;
        }
    }

    pub(super) fn set_message_status(&mut self, id: u64, status: u8) {
        if let Ok(i) = self.thread.binary_search_by_key(&id, |m| m.id) {
            self.thread[i].status = status;
            self.dirty.thread = true;
        }
    }

    /// The newest message id the panel knows in a chat.
    pub(super) fn newest_known(&self, chat_id: u64) -> u64 {
        let listed = self
            .chat(chat_id)
            .and_then(|c| c.last_message.as_ref())
            .map_or(0, |m| m.id);
        let drawn = match self.open {
            Some(open) if open == chat_id => self.thread.last().map_or(0, |m| m.id),
            _ => 0,
        };
        listed.max(drawn)
    }

    /// What the operator is looking at is read: the open chat's count goes to zero, and the
    /// server hears of it when it offers `MarkRead`.
    pub(super) fn mark_read(&mut self, fx: &mut Vec<Effect>) {
        let Some(open) = self.open.filter(|_| self.looking) else {
            return;
        };
        if self.chat(open).is_some_and(|c| c.count_unread > 0) {
            self.set_chat(open, |c| c.count_unread = 0);
            self.unread_untold = true;
        }
        let last = self.newest_known(open);
        if self.unread_untold && self.conn == Conn::Connected && self.ext.mark_read && last > 0 {
            self.unread_untold = false;
            let record = codec::invocation(None, "MarkRead", &[Arg::Id(open), Arg::Id(last)]);
            self.send(record, now_of(self), fx);
        }
    }

    /// Tells the others the operator is typing, at most every `TYPING_EVERY_MS`.
    pub(super) fn typing_out(&mut self, now: u64, fx: &mut Vec<Effect>) {
        let Some(open) = self.open.filter(|_| self.ext.typing) else {
            return;
        };
        if self.conn == Conn::Connected && now >= self.last_typing_ms + TYPING_EVERY_MS {
            self.last_typing_ms = now;
            self.send(codec::invocation(None, "Typing", &[Arg::Id(open)]), now, fx);
        }
    }

    pub(super) fn set_typing(&mut self, typing: Option<Typing>) {
        let touches_open =
            |t: &Option<Typing>| t.as_ref().is_some_and(|t| Some(t.chat_id) == self.open);
        self.dirty.typing |= touches_open(&self.typing) || touches_open(&typing);
        self.typing = typing;
    }

    /// A colleague at work in the open chat.
    pub fn colleague_in_open(&self) -> Option<&Colleague> {
        self.colleague
            .as_ref()
            .filter(|c| Some(c.chat_id) == self.open)
    }

    pub(super) fn set_colleague(&mut self, colleague: Option<Colleague>) {
        let touches_open =
            |c: &Option<Colleague>| c.as_ref().is_some_and(|c| Some(c.chat_id) == self.open);
        self.dirty.typing |= touches_open(&self.colleague) || touches_open(&colleague);
        self.colleague = colleague;
    }

    /// Another operator, named: not this one, and only when the server says who (the documented
    /// API names nobody, and then nothing is shown).
    fn other_operator(&self, op: Option<&crate::model::Operator>) -> Option<String> {
        let op = op?;
        let name = op.name.as_deref().filter(|n| !n.trim().is_empty())?;
        (self.me.is_some() && Some(op.id) != self.me).then(|| name.to_owned())
    }

    /// A message event: a colleague's reply shows as "just replied" for a while.
    pub(super) fn colleague_replied(&mut self, m: &Message, now: u64) {
        if m.author != 0 || self.thread.binary_search_by_key(&m.id, |x| x.id).is_ok() {
            return;
        }
        if let Some(name) = self.other_operator(m.operator.as_ref()) {
            self.set_colleague(Some(Colleague {
                chat_id: m.chat_id,
                name,
                replied: true,
                until_ms: now + REPLIED_SHOWN_MS,
            }));
        }
    }

    /// `Typing` from the hub: the client's on the typing line, a colleague's (named) on its own
    /// line, never a colleague's as the client's.
    pub(super) fn on_typing(&mut self, chat_id: u64, who: Typist, now: u64) {
        if who.author == 0 {
            if let Some(name) = self.other_operator(who.operator.as_ref()) {
                self.set_colleague(Some(Colleague {
                    chat_id,
                    name,
                    replied: false,
                    until_ms: now + TYPING_SHOWN_MS,
                }));
            }
        } else if who.author == 1 {
            let client = who.client.unwrap_or_default();
            let name = client
                .name
                .filter(|n| !n.trim().is_empty())
                .or(client.phone);
            self.set_typing(Some(Typing {
                chat_id,
                name: name.unwrap_or_default(),
                until_ms: now + TYPING_SHOWN_MS,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::codec::{self, Arg};
    use crate::json;
    use crate::model::MessagePage;
    use crate::state::testkit::*;
    use crate::state::*;

    #[test]
    fn live_message_in_open_thread_once() {
        let mut s = connected();
        update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chats(r#"{"items":[{"id":7}]}"#)),
        );
        assert_eq!(update(&mut s, Msg::Open(7)), vec![Effect::LoadHistory(7)]);
        let page: MessagePage = json::from_str(&format!(
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
        assert!(matches!(&fx[..], [Effect::Received(m, _)] if m.id == 2));
        // The same event again (a replay) changes nothing.
        assert!(update(&mut s, Msg::Frame { text: live, now: 3 }).is_empty());
        assert_eq!(
            s.thread.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(s.last_event_id, 5);
    }

    #[test]
    fn a_live_message_before_the_first_page_does_not_stall_the_history() {
        let mut s = connected();
        open_chat(&mut s, 7);
        assert_eq!(s.history, History::Opening);
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", &msg(9, 7, 1, "b"), 1),
                now: 2,
            },
        );
        let page = format!(
            r#"{{"items":[{},{}],"hasMore":false}}"#,
            msg(1, 7, 1, "a"),
            msg(2, 7, 0, "a")
        );
        update(
            &mut s,
            Msg::HistoryLoaded {
                chat_id: 7,
                page: json::from_str(&page).unwrap(),
            },
        );
        assert_eq!(s.history, History::Start);
        assert_eq!(s.thread.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2, 9]);
        assert_eq!(s.shown().len(), 3);
        assert!(s.at_live_edge());
        // A later page (after a reconnect) is not a first load: the window stays.
        update(
            &mut s,
            Msg::HistoryLoaded {
                chat_id: 7,
                page: json::from_str(&page).unwrap(),
            },
        );
        assert_eq!(s.history, History::Start);
    }

    #[test]
    fn older_pages_load_on_scroll_up_and_the_window_stays_capped() {
        use crate::window::CAP;
        let mut s = connected();
        open_chat(&mut s, 1);
        assert_eq!(s.history, History::Opening);
        let newest: Vec<String> = (9951..=10_000).map(|i| msg(i, 1, 1, "t")).collect();
        update(
            &mut s,
            Msg::HistoryLoaded {
                chat_id: 1,
                page: page(&newest, true),
            },
        );
        assert_eq!((s.shown().len(), s.history), (50, History::More));
        let mut before = 9951;
        for _ in 0..5 {
            let fx = update(&mut s, Msg::Older);
            assert_eq!(fx, [Effect::LoadOlder { chat_id: 1, before }]);
            assert!(update(&mut s, Msg::Older).is_empty(), "one page at a time");
            let older: Vec<String> = (before - 50..before).map(|i| msg(i, 1, 1, "t")).collect();
            update(
                &mut s,
                Msg::OlderLoaded {
                    chat_id: 1,
                    page: page(&older, true),
                },
            );
            before -= 50;
            assert_eq!(s.shown()[0].id, before, "the new page is drawn at the top");
            assert!(s.shown().len() <= CAP);
        }
        assert!(!s.at_live_edge(), "the newest messages left the window");
        // A live message while scrolled back is kept but not drawn until the operator scrolls down.
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", &msg(10_001, 1, 1, "u"), 50),
                now: 3,
            },
        );
        assert_ne!(s.shown().last().unwrap().id, 10_001);
        while !s.at_live_edge() {
            update(&mut s, Msg::Newer);
        }
        assert_eq!(s.shown().last().unwrap().id, 10_001);
        assert!(s.shown().len() <= CAP);
        let fx = update(
            &mut s,
            Msg::OlderLoaded {
                chat_id: 1,
                page: page(&[], false),
            },
        );
        assert!(fx.is_empty());
        assert_eq!(s.history, History::Start);
    }

    #[test]
    fn typing_goes_out_throttled_and_the_clients_typing_times_out() {
        let mut s = connected();
        open_chat(&mut s, 7);
        let typed = |s: &mut State, now| {
            update(
                s,
                Msg::Draft {
                    chat_id: 7,
                    text: "h".into(),
                    now,
                },
            )
            .iter()
            .filter(|e| matches!(e, Effect::Send(f) if f.contains("\"Typing\"")))
            .count()
        };
        assert_eq!(typed(&mut s, 10_000), 1);
        assert_eq!(typed(&mut s, 11_000), 0);
        assert_eq!(typed(&mut s, 13_000), 1);

        let who = r#"{"author":1,"client":{"name":"Ann","phone":"+1"}}"#;
        let typing = format!(
            r#"{{"type":1,"target":"Typing","arguments":[7,{who},{{"eventId":3}}]}}{}"#,
            codec::RS
        );
        update(
            &mut s,
            Msg::Frame {
                text: typing,
                now: 20_000,
            },
        );
        assert_eq!(s.typing_name(), Some("Ann"));
        assert!(s.take_dirty().typing);
        update(&mut s, Msg::Tick { now: 21_000 });
        assert_eq!(s.typing_name(), Some("Ann"));
        update(
            &mut s,
            Msg::Tick {
                now: 20_000 + TYPING_SHOWN_MS,
            },
        );
        assert_eq!(s.typing_name(), None);
        assert!(s.take_dirty().typing);

        // Another operator typing is not shown as the client.
        let op = format!(
            r#"{{"type":1,"target":"Typing","arguments":[7,{{"author":0,"operator":{{"id":2}}}},{{"eventId":4}}]}}{}"#,
            codec::RS
        );
        update(
            &mut s,
            Msg::Frame {
                text: op,
                now: 30_000,
            },
        );
        assert_eq!(s.typing_name(), None);
    }

    #[test]
    fn unread_counts_and_mark_read() {
        let mut s = connected();
        update(
            &mut s,
            Msg::ChatsLoaded(
                ChatQuery::first(),
                chats(r#"{"items":[{"id":1,"countUnread":2},{"id":2}]}"#),
            ),
        );
        assert_eq!(s.unread(), 2);
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", &msg(5, 2, 1, "z"), 1),
                now: 2,
            },
        );
        assert_eq!(s.unread(), 3, "a client message in a closed chat is unread");
        update(
            &mut s,
            Msg::Frame {
                text: event("UnreadChanged", "2,4", 2),
                now: 3,
            },
        );
        assert_eq!(
            s.chat(2).unwrap().count_unread,
            4,
            "the server's count wins"
        );
        update(&mut s, Msg::Open(1));
        let page = json::from_str(&format!(r#"{{"items":[{}]}}"#, msg(3, 1, 1, "y"))).unwrap();
        let fx = update(&mut s, Msg::HistoryLoaded { chat_id: 1, page });
        assert_eq!(
            fx,
            vec![Effect::Send(codec::invocation(
                None,
                "MarkRead",
                &[Arg::Id(1), Arg::Id(3)]
            ))]
        );
        assert_eq!(s.unread(), 4);
        let fx = update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", &msg(6, 1, 1, "zz"), 3),
                now: 4,
            },
        );
        assert!(
            !fx.iter()
                .any(|e| matches!(e, Effect::Send(f) if f.contains("MarkRead"))),
            "already read"
        );
    }

    #[test]
    fn a_message_in_the_chat_being_read_is_read() {
        let mut s = connected();
        two_chats(&mut s);
        update(&mut s, Msg::Open(7));
        let fx = frame(&mut s, event("ReceiveMessage", &msg(5, 7, 1, "z"), 1));
        assert_eq!(s.unread(), 0, "on screen, so not unread");
        // The server counted it: the echo is answered with MarkRead.
        let fx2 = frame(&mut s, event("UnreadChanged", "7,1", 2));
        assert_eq!(s.unread(), 0);
        assert_eq!(
            [sends(&fx, "MarkRead"), sends(&fx2, "MarkRead")].concat(),
            vec!["[7,5]".to_owned()]
        );
        // The panel closed or the tab hidden: the operator is not reading.
        update(&mut s, Msg::Looking(false));
        frame(&mut s, event("ReceiveMessage", &msg(6, 7, 1, "zz"), 3));
        assert_eq!(s.unread(), 1);
        let fx = update(&mut s, Msg::Looking(true));
        assert_eq!(s.unread(), 0);
        assert_eq!(sends(&fx, "MarkRead"), vec!["[7,6]".to_owned()]);
    }

    #[test]
    fn a_colleague_typing_or_replying_in_the_open_chat_is_named_for_a_while() {
        let mut s = connected();
        update(&mut s, Msg::Identity(Some(1)));
        open_chat(&mut s, 7);
        let typing = |who: &str, id| {
            format!(
                r#"{{"type":1,"target":"Typing","arguments":[7,{who},{{"eventId":{id}}}]}}{}"#,
                codec::RS
            )
        };
        // This operator's own typing (echoed to the organization) is not a colleague.
        frame(
            &mut s,
            typing(r#"{"author":0,"operator":{"id":1,"name":"Olena"}}"#, 1),
        );
        assert_eq!(s.colleague_in_open(), None);
        update(
            &mut s,
            Msg::Frame {
                text: typing(r#"{"author":0,"operator":{"id":2,"name":"Mark"}}"#, 2),
                now: 1_000,
            },
        );
        let c = s.colleague_in_open().unwrap();
        assert_eq!((c.name.as_str(), c.replied), ("Mark", false));
        assert!(s.take_dirty().typing);
        assert_eq!(s.typing_name(), None, "never shown as the client typing");
        update(
            &mut s,
            Msg::Tick {
                now: 1_000 + TYPING_SHOWN_MS,
            },
        );
        assert_eq!(s.colleague_in_open(), None);
        // Mark's reply: "just replied", until it gets old.
        let m = r#"{"id":5,"chatId":7,"message":"done","author":0,"status":0,"createdAt":"2026-11-21T10:00:00Z","operator":{"id":2,"name":"Mark"}}"#;
        update(
            &mut s,
            Msg::Frame {
                text: event("ReceiveMessage", m, 3),
                now: 10_000,
            },
        );
        assert!(s.colleague_in_open().is_some_and(|c| c.replied));
        update(
            &mut s,
            Msg::Tick {
                now: 10_000 + REPLIED_SHOWN_MS,
            },
        );
        assert_eq!(s.colleague_in_open(), None);
        // A reply that names nobody (the documented hub) shows nothing.
        frame(
            &mut s,
            event("ReceiveMessage", &msg(6, 7, 0, "2026-11-21T10:01:00Z"), 4),
        );
        assert_eq!(s.colleague_in_open(), None);
    }

    #[test]
    fn opening_with_unread_messages_puts_the_divider_above_the_first_unread() {
        let mut s = connected();
        update(
            &mut s,
            Msg::ChatsLoaded(
                ChatQuery::first(),
                chats(r#"{"items":[{"id":7,"countUnread":2},{"id":8}]}"#),
            ),
        );
        update(&mut s, Msg::Looking(true));
        update(&mut s, Msg::Open(7));
        let items = [
            msg(1, 7, 1, "a"),
            msg(2, 7, 0, "a"),
            msg(3, 7, 1, "a"),
            msg(4, 7, 2, "a"),
            msg(5, 7, 1, "a"),
        ];
        update(
            &mut s,
            Msg::HistoryLoaded {
                chat_id: 7,
                page: page(&items, false),
            },
        );
        assert_eq!(
            s.divider,
            Some(3),
            "the two newest customer messages are unread"
        );
        assert_eq!(s.unread(), 0, "and now read");
        // A chat with nothing unread has no divider, and opening another clears it.
        update(&mut s, Msg::Open(8));
        update(
            &mut s,
            Msg::HistoryLoaded {
                chat_id: 8,
                page: page(&[msg(9, 8, 1, "a")], false),
            },
        );
        assert_eq!(s.divider, None);
        // A later page (a reconnect) does not move a divider that is not there.
        update(
            &mut s,
            Msg::HistoryLoaded {
                chat_id: 8,
                page: page(&[msg(9, 8, 1, "a")], false),
            },
        );
        assert_eq!(s.divider, None);
    }

    #[test]
    fn messages_arriving_while_reading_back_are_counted_until_the_jump() {
        let mut s = connected();
        two_chats(&mut s);
        update(&mut s, Msg::Identity(Some(1)));
        open_chat(&mut s, 7);
        update(
            &mut s,
            Msg::HistoryLoaded {
                chat_id: 7,
                page: page(&[msg(1, 7, 1, "a")], false),
            },
        );
        // At the newest message, arrivals are seen as they come.
        frame(&mut s, event("ReceiveMessage", &msg(2, 7, 1, "b"), 1));
        assert_eq!(s.arrived, 0);
        update(&mut s, Msg::ReadingBack(true));
        frame(&mut s, event("ReceiveMessage", &msg(3, 7, 1, "c"), 2));
        frame(&mut s, event("ReceiveMessage", &msg(3, 7, 1, "c"), 2));
        frame(&mut s, event("ReceiveMessage", &msg(4, 7, 2, "c"), 3));
        // Another chat's message and this operator's own reply are not news here.
        frame(&mut s, event("ReceiveMessage", &msg(50, 8, 1, "c"), 4));
        let mine = r#"{"id":5,"chatId":7,"message":"x","author":0,"status":0,"createdAt":"c","operator":{"id":1,"name":"Me"}}"#;
        frame(&mut s, event("ReceiveMessage", mine, 5));
        frame(&mut s, event("ReceiveMessage", &msg(6, 7, 1, "d"), 6));
        assert_eq!(s.arrived, 3, "the replay counts once");
        assert!(s.take_dirty().typing);
        update(&mut s, Msg::JumpLatest);
        assert_eq!((s.arrived, s.jump, s.reading_back), (0, true, false));
        assert!(s.at_live_edge());
        assert_eq!(s.shown().last().unwrap().id, 6);
        // Scrolling down to the newest by hand clears the count too.
        update(&mut s, Msg::ReadingBack(true));
        frame(&mut s, event("ReceiveMessage", &msg(7, 7, 1, "e"), 7));
        assert_eq!(s.arrived, 1);
        update(&mut s, Msg::ReadingBack(false));
        assert_eq!(s.arrived, 0);
        // Opening another chat starts afresh.
        update(&mut s, Msg::ReadingBack(true));
        frame(&mut s, event("ReceiveMessage", &msg(8, 7, 1, "f"), 8));
        update(&mut s, Msg::Open(8));
        assert_eq!((s.arrived, s.reading_back), (0, false));
    }
}
