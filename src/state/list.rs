//! The chat list: the pages the server filters and searches, merged with what live events changed
//! since, newest activity first. Every chat is here; the open one's messages are in thread.rs.

use super::{Effect, State};
use crate::model::{Chat, ChatPage, Message, STATUS_PAUSED};
use std::cmp::Ordering;

/// Chats per list page.
pub const CHATS_PER_PAGE: u32 = 50;

/// Live messages kept for chats a page on its way may bring: a bound, should a page never land.
const MAX_UNLISTED: usize = 200;

/// One page of the chat list as the server filters it: a page answered for an older query is
/// dropped, since the operator has moved on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatQuery {
    pub page: u32,
    pub status: Option<u8>,
    pub search: String,
}

impl ChatQuery {
    /// The first page, unfiltered.
    pub fn first() -> ChatQuery {
        ChatQuery {
            page: 1,
            ..ChatQuery::default()
        }
    }
}

/// The list's order: by latest activity, or the longest waiting customer first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Activity,
    Waiting,
}

impl Sort {
    /// The name the browser remembers the choice by (and the select's value).
    pub fn name(self) -> &'static str {
        match self {
            Sort::Activity => "activity",
            Sort::Waiting => "waiting",
        }
    }

    pub fn from_name(name: &str) -> Option<Sort> {
        [Sort::Activity, Sort::Waiting]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// Longest waiting first (ISO-8601 strings sort as time; ties by the older chat), then the rest by
/// activity.
fn by_wait(a: &Chat, b: &Chat) -> Ordering {
    match (a.waiting(), b.waiting()) {
        (Some(x), Some(y)) => x.cmp(y).then(a.id.cmp(&b.id)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => b.activity().cmp(a.activity()),
    }
}

impl State {
    pub fn chat(&self, id: u64) -> Option<&Chat> {
        self.chats.iter().find(|c| c.id == id)
    }

    /// The chats the list shows. The server filtered and searched each loaded page; this also
    /// applies both to chats that arrived or changed live since.
    pub fn visible_chats(&self) -> impl Iterator<Item = &Chat> {
        let needle = self.search.as_str();
        self.chats.iter().filter(move |c| {
            self.filter.is_none_or(|f| c.chat_status == f)
                && (needle.is_empty()
                    || self.found.contains(&c.id)
                    || (c.client.is_some() && c.mentions(needle)))
        })
    }

    /// Unread messages over every chat.
    pub fn unread(&self) -> u32 {
        self.chats.iter().map(|c| c.count_unread).sum()
    }

    pub(super) fn load_chats(&mut self, page: u32, fx: &mut Vec<Effect>) {
        self.chats_loading = true;
        fx.push(Effect::LoadChats(ChatQuery {
            page,
            status: self.filter,
            search: self.search.clone(),
        }));
    }

    /// A new filter or search: the list starts again from its first page.
    fn requery(&mut self, fx: &mut Vec<Effect>) {
        // The new query's first page is newer than anything a stale reload would bring.
        self.chats_stale = false;
        self.chats_page = 0;
        self.chats_more = false;
        self.found.clear();
        self.dirty.chats = true;
        self.load_chats(1, fx);
    }

    /// Before the hub: the first page, unless a list is already loaded or on its way (a retry or
    /// a new token keeps what it has; the handshake catches up).
    pub(super) fn on_starting(&mut self, fx: &mut Vec<Effect>) {
        if self.chats_page == 0 && !self.chats_loading {
            self.load_chats(1, fx);
        }
    }

    /// A hub session began, so the list is asked again to catch what no event brought. If a page
    /// is still on its way, it was asked before the session: the next is asked when it lands.
    pub(super) fn reload_chats(&mut self, fx: &mut Vec<Effect>) {
        if self.chats_loading {
            self.chats_stale = true;
        } else {
            self.load_chats(1, fx);
        }
    }

    /// The page in flight landed or failed: ask the one the session is waiting for.
    pub(super) fn ask_stale_chats(&mut self, fx: &mut Vec<Effect>) {
        if core::mem::take(&mut self.chats_stale) {
            self.load_chats(1, fx);
        }
    }

    pub(super) fn on_chats_loaded(
        &mut self,
        query: ChatQuery,
        page: ChatPage,
        fx: &mut Vec<Effect>,
    ) {
        if query.status != self.filter || query.search != self.search {
            return; // answers a filter the operator has already left
        }
        self.chats_loading = false;
        self.ask_stale_chats(fx);
        self.chats_page = query.page;
        self.chats_more = page.items.len() as u32 >= CHATS_PER_PAGE;
        if !self.search.is_empty() {
            self.found.extend(page.items.iter().map(|c| c.id));
        }
        self.merge_chats(page.items);
        self.apply_unlisted();
    }

    pub(super) fn set_filter(&mut self, status: Option<u8>, fx: &mut Vec<Effect>) {
        if self.filter != status {
            self.filter = status;
            self.requery(fx);
        }
    }

    pub(super) fn set_search(&mut self, text: &str, fx: &mut Vec<Effect>) {
        // Trimmed once here: the query, the live filter and the "no match" text all use it.
        if self.search != text.trim() {
            self.search = text.trim().to_owned();
            self.requery(fx);
        }
    }

    /// The list was scrolled to its end: the next page, one at a time.
    pub(super) fn more_chats(&mut self, fx: &mut Vec<Effect>) {
        if self.chats_more && !self.chats_loading {
            self.load_chats(self.chats_page + 1, fx);
        }
    }

    /// The open chat's new status shows at once, before the server answers.
    pub(super) fn set_status(&mut self, status: u8, fx: &mut Vec<Effect>) {
        if let Some(chat_id) = self.open.filter(|_| status <= 4) {
            self.set_chat(chat_id, |c| c.chat_status = status);
            self.sort_chats();
            fx.push(Effect::SetStatus { chat_id, status });
        }
    }

    pub(super) fn set_chat(&mut self, id: u64, f: impl FnOnce(&mut Chat)) {
        if let Some(c) = self.chats.iter_mut().find(|c| c.id == id) {
            f(c);
            self.dirty.chats = true;
        }
    }

    /// Newest activity first, or longest waiting first. Stable: chats that carry no times (a server
    /// with only the documented fields) keep the order the server listed them in.
    pub(super) fn sort_chats(&mut self) {
        // One comparator for both orders: one copy of the sort in the wasm.
        let sort = self.sort;
        self.chats.sort_by(|a, b| match sort {
            Sort::Activity => b.activity().cmp(a.activity()),
            Sort::Waiting => by_wait(a, b),
        });
    }

    pub(super) fn set_sort(&mut self, sort: Sort) {
        if self.sort != sort {
            self.sort = sort;
            self.sort_chats();
            self.dirty.chats = true;
        }
    }

    /// The chat to answer next: the longest waiting one, never the open one or the one just answered
    /// or left (a reply moves its chat to the top of the list, which must not bring it back). A
    /// paused chat waits on purpose, so it is skipped.
    pub fn next_waiting(&self) -> Option<u64> {
        let skip = [self.open, self.just_left];
        self.chats
            .iter()
            .filter(|c| !skip.contains(&Some(c.id)) && c.chat_status != STATUS_PAUSED)
            .filter_map(|c| Some((c.waiting()?, c.id)))
            .min()
            .map(|(_, id)| id)
    }

    /// Opens the next waiting chat, or says that nobody waits.
    pub(super) fn open_next(&mut self, fx: &mut Vec<Effect>) {
        match self.next_waiting() {
            Some(id) => self.on_open(id, fx),
            None => fx.push(Effect::Notice {
                key: "notice.none_waiting",
                name: String::new(),
            }),
        }
    }

    /// How many customers wait, besides the open chat's.
    pub fn waiting_count(&self) -> usize {
        let open = self.open;
        let waits = |c: &&Chat| c.waiting().is_some() && Some(c.id) != open;
        self.chats.iter().filter(waits).count()
    }

    /// The operator replied to `chat_id`: it waits no more, whatever the list's copy says, until the
    /// customer writes again.
    pub(super) fn answered(&mut self, chat_id: u64) {
        let newest = self.newest_known(chat_id);
        self.set_chat(chat_id, |c| {
            c.waiting_since = None;
            c.answered = c.answered.max(newest);
        });
        self.just_left = Some(chat_id);
        self.sort_chats();
    }

    /// Adds loaded chats to the ones known, keeping whatever live events already made newer than
    /// the fetched copy. Known chats stay when a filter hides them, so the badge still counts them.
    fn merge_chats(&mut self, loaded: Vec<Chat>) {
        let last = |c: &Chat| c.last_message.as_ref().map_or(0, |m| m.id);
        for mut chat in loaded {
            let old = self.chats.iter_mut().find(|c| c.id == chat.id);
            // What the panel learnt of the wait stays; the fetched last message may add to it.
            if let Some(old) = &old {
                chat.waiting_since.clone_from(&old.waiting_since);
                chat.answered = old.answered;
            }
            if let Some(m) = chat.last_message.clone() {
                chat.note(&m);
            }
            match old {
                Some(old) if last(old) > last(&chat) => {
                    chat.last_message = old.last_message.take();
                    chat.updated_at = old.updated_at.take();
                    chat.count_unread = old.count_unread;
                    chat.waiting_since = old.waiting_since.take();
                    *old = chat;
                }
                Some(old) => *old = chat,
                None => self.chats.push(chat),
            }
        }
        self.sort_chats();
        self.dirty.chats = true;
    }

    /// A stored message as the list sees it: its chat's last message, unread count and operator.
    pub(super) fn list_message(&mut self, m: Message, fx: &mut Vec<Effect>) {
        let open = self.open;
        match self.chats.iter_mut().find(|c| c.id == m.chat_id) {
            Some(chat) if chat.last_message.as_ref().is_none_or(|l| l.id < m.id) => {
                if m.author == 1 && !(self.looking && open == Some(m.chat_id)) {
                    chat.count_unread += 1;
                }
                // An operator's reply takes an unassigned chat (the server's rule; no event says
                // so): the message names who, when the server tells.
                if m.author == 0 && chat.operator.is_none() {
                    chat.operator = m.operator.clone();
                }
                chat.note(&m);
                chat.updated_at = Some(m.created_at.clone());
                chat.last_message = Some(m);
                self.dirty.chats = true;
                self.sort_chats();
            }
            Some(_) => {} // an older message than the chat's last one
            // A chat the list does not hold: reload it, unless a load is already on its way (a
            // history page would otherwise ask once per message).
            None if !self.chats_loading => self.load_chats(1, fx),
            // The page on its way may hold the chat, but older than this message.
            None if self.unlisted.len() < MAX_UNLISTED => self.unlisted.push(m),
            None => {}
        }
    }

    /// A page landed: the live messages it may predate are applied to their chats now. Those of
    /// chats still unknown wait for the next page if one is coming, else go: the list has them
    /// or filters them out, and asking again for each could loop.
    fn apply_unlisted(&mut self) {
        let mut ignored = Vec::new();
        for m in core::mem::take(&mut self.unlisted) {
            if self.chat(m.chat_id).is_some() {
                self.list_message(m, &mut ignored);
            } else if self.chats_loading {
                self.unlisted.push(m);
            }
        }
    }

    /// `ChatCreated`: a chat the list does not hold yet.
    pub(super) fn add_chat(&mut self, chat: Chat) {
        if self.chat(chat.id).is_none() {
            let mut chat = chat;
            if let Some(m) = chat.last_message.clone() {
                chat.note(&m);
            }
            // The newest chat: first among those that carry no times.
            self.chats.insert(0, chat);
            self.sort_chats();
            self.dirty.chats = true;
        }
    }

    /// A chat the server no longer has leaves the list; if it was open, the thread closes, and its
    /// draft and unsent messages go with a notice, since they can no longer reach anyone.
    pub(super) fn remove_chat(&mut self, chat_id: u64, fx: &mut Vec<Effect>) {
        let name = self.chat(chat_id).map(|c| c.title().to_owned());
        let known = name.is_some() || self.open == Some(chat_id);
        self.chats.retain(|c| c.id != chat_id);
        let file = self.detach(chat_id);
        let lost = file
            || self.outbox.iter().any(|o| o.chat_id == chat_id)
            || self.drafts.iter().any(|d| d.chat_id == chat_id);
        self.outbox.retain(|o| o.chat_id != chat_id);
        self.set_draft(chat_id, String::new());
        self.verifying.retain(|c| *c != chat_id);
        if self.open == Some(chat_id) {
            self.show_chat(None);
        }
        if known || lost {
            self.dirty.chats = true;
            self.dirty.saved = true;
            fx.push(Effect::Notice {
                key: if lost {
                    "notice.deleted_unsent"
                } else {
                    "notice.deleted"
                },
                name: name.unwrap_or_default(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::codec;
    use crate::state::testkit::*;
    use crate::state::*;

    #[test]
    fn chats_sorted_by_last_activity() {
        let mut s = connected();
        update(
            &mut s,
            Msg::ChatsLoaded(
                ChatQuery::first(),
                chats(&format!(
                    r#"{{"total":3,"items":[{{"id":1,"updatedAt":"2026-11-20T10:00:00.000Z"}},
                {{"id":2,"lastMessage":{}}},{{"id":3,"updatedAt":"2026-11-19T10:00:00.000Z"}}]}}"#,
                    msg(9, 2, 1, "2026-11-21T10:00:00.000Z")
                )),
            ),
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
        // A new chat takes its place by activity, not the top or the end.
        update(
            &mut s,
            Msg::Frame {
                text: event(
                    "ChatCreated",
                    r#"{"id":4,"updatedAt":"2026-11-20T12:00:00.000Z"}"#,
                    2,
                ),
                now: 3,
            },
        );
        let ids = |s: &State| s.chats.iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(&s), vec![3, 2, 4, 1]);
        // The same order a full sort gives.
        let before = ids(&s);
        s.sort_chats();
        assert_eq!(ids(&s), before);
    }

    #[test]
    fn chat_created_appears_and_unknown_chat_reloads_list() {
        let mut s = connected();
        update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chats(r#"{"items":[]}"#)),
        );
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
        assert!(fx.contains(&Effect::LoadChats(ChatQuery::first())));
    }

    #[test]
    fn a_history_page_of_a_chat_not_in_the_list_reloads_the_list_once() {
        let mut s = connected();
        update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chats(r#"{"items":[]}"#)),
        );
        update(&mut s, Msg::Open(9));
        let items: Vec<String> = (1..=5).map(|id| msg(id, 9, 1, "x")).collect();
        let fx = update(
            &mut s,
            Msg::HistoryLoaded {
                chat_id: 9,
                page: page(&items, false),
            },
        );
        let reloads = fx.iter().filter(|e| matches!(e, Effect::LoadChats(_)));
        assert_eq!(reloads.count(), 1);
        assert_eq!(s.thread.len(), 5);
    }

    #[test]
    fn list_is_sorted_by_activity_and_filtered_by_status_and_search() {
        let mut s = connected();
        let items = [
            chat_json(1, 0, "Ann", "2026-11-20T10:00:00Z"),
            chat_json(2, 4, "Bob", "2026-11-21T09:00:00Z"),
            chat_json(3, 1, "anna", "2026-11-21T08:00:00Z"),
        ];
        let page = chats(&format!(r#"{{"items":[{}]}}"#, items.join(",")));
        update(&mut s, Msg::ChatsLoaded(ChatQuery::first(), page));
        assert_eq!(visible(&s), [2, 3, 1]);

        let fx = update(&mut s, Msg::Filter(Some(4)));
        let closed = ChatQuery {
            page: 1,
            status: Some(4),
            search: String::new(),
        };
        assert_eq!(fx, [Effect::LoadChats(closed.clone())]);
        assert_eq!(visible(&s), [2], "known chats are filtered at once");
        assert_eq!(s.unread(), 0);

        update(&mut s, Msg::Filter(None));
        let fx = update(&mut s, Msg::Search(" ANN ".into()));
        assert!(matches!(&fx[..], [Effect::LoadChats(q)] if q.search == "ANN"));
        assert_eq!(
            visible(&s),
            [3, 1],
            "search ignores ASCII case, like SQLite LIKE"
        );

        // A page answering a query the operator has left is dropped.
        let late = chats(&format!(
            r#"{{"items":[{}]}}"#,
            chat_json(9, 4, "Zed", "2026-11-22T00:00:00Z")
        ));
        update(&mut s, Msg::ChatsLoaded(closed, late));
        assert!(s.chat(9).is_none());
    }

    #[test]
    fn a_documented_list_is_searched_by_the_server_not_by_theme() {
        let mut s = connected();
        let page = chats(
            r#"{"items":[{"id":7,"theme":"Where is my parcel?"},{"id":8,"theme":"Later customer 14 asked"}]}"#,
        );
        update(&mut s, Msg::ChatsLoaded(ChatQuery::first(), page));
        update(&mut s, Msg::Search("Customer 1".into()));
        assert!(
            visible(&s).is_empty(),
            "no client: only the server can tell"
        );
        let q = ChatQuery {
            page: 1,
            status: None,
            search: "Customer 1".into(),
        };
        update(
            &mut s,
            Msg::ChatsLoaded(q, chats(r#"{"items":[{"id":7}]}"#)),
        );
        assert_eq!(visible(&s), [7]);
    }

    #[test]
    fn list_pages_on_scroll_until_a_short_page() {
        let mut s = connected();
        let full: Vec<String> = (1..=u64::from(CHATS_PER_PAGE))
            .map(|i| chat_json(i, 0, "c", "2026-11-20T10:00:00Z"))
            .collect();
        let page = chats(&format!(r#"{{"items":[{}]}}"#, full.join(",")));
        update(&mut s, Msg::ChatsLoaded(ChatQuery::first(), page));
        assert!(s.chats_more);
        let fx = update(&mut s, Msg::MoreChats);
        let second = ChatQuery {
            page: 2,
            ..ChatQuery::first()
        };
        assert_eq!(fx, [Effect::LoadChats(second.clone())]);
        assert!(
            update(&mut s, Msg::MoreChats).is_empty(),
            "one page at a time"
        );
        let last = chats(&format!(
            r#"{{"items":[{}]}}"#,
            chat_json(99, 0, "z", "2026-11-19T00:00:00Z")
        ));
        update(&mut s, Msg::ChatsLoaded(second, last));
        assert_eq!(s.chats.len(), CHATS_PER_PAGE as usize + 1);
        assert!(!s.chats_more);
        assert!(update(&mut s, Msg::MoreChats).is_empty());
    }

    #[test]
    fn status_change_is_optimistic_and_reaches_the_list_live() {
        let mut s = connected();
        open_chat(&mut s, 7);
        let fx = update(&mut s, Msg::SetStatus(2));
        assert!(fx.contains(&Effect::SetStatus {
            chat_id: 7,
            status: 2
        }));
        assert_eq!(s.chat(7).unwrap().chat_status, 2);
        let fx = update(&mut s, Msg::LoadFailed { refresh: true });
        assert!(
            fx.contains(&Effect::LoadChats(ChatQuery::first())),
            "undo by reloading"
        );
        update(
            &mut s,
            Msg::Frame {
                text: format!(
                    r#"{{"type":1,"target":"ChatStatusChanged","arguments":[7,4,{{"eventId":9}}]}}{}"#,
                    codec::RS
                ),
                now: 2,
            },
        );
        assert_eq!(s.chat(7).unwrap().chat_status, 4);
    }

    #[test]
    fn a_colleague_reply_assigns_an_unassigned_chat() {
        let mut s = connected();
        two_chats(&mut s);
        let m = r#"{"id":5,"chatId":7,"message":"mine now","author":0,"status":0,"createdAt":"2026-11-21T10:00:00Z","operator":{"id":2,"name":"Mark"}}"#;
        frame(&mut s, event("ReceiveMessage", m, 3));
        assert_eq!(
            s.chat(7).and_then(|c| c.operator.as_ref()).map(|o| o.id),
            Some(2)
        );
        assert!(s.chat(8).unwrap().operator.is_none());
    }

    #[test]
    fn a_chat_deleted_elsewhere_leaves_with_its_draft_and_outbox() {
        let mut s = connected();
        two_chats(&mut s);
        update(&mut s, Msg::Open(7));
        update(
            &mut s,
            Msg::Draft {
                chat_id: 7,
                text: "unsent".into(),
                now: 1,
            },
        );
        update(&mut s, Msg::SocketClosed);
        send(&mut s, 8, "to B", "c1");
        let fx = frame(&mut s, event("ChatDeleted", "7", 9));
        assert_eq!(s.open, None, "the thread closes");
        assert!(s.chat(7).is_none());
        assert_eq!(s.draft(7), "");
        assert!(matches!(
            &fx[..],
            [Effect::Notice {
                key: "notice.deleted_unsent",
                ..
            }]
        ));
        assert_eq!(s.outbox.len(), 1, "another chat's outbox stays");
        // A 404 for a chat the panel still lists does the same.
        let fx = update(&mut s, Msg::ChatGone(8));
        assert!(s.chats.is_empty() && s.outbox.is_empty());
        assert_eq!(fx.len(), 1);
    }

    /// Three customers who wrote at 10:00, 09:00 and 11:00, and one chat answered last.
    fn queue() -> State {
        let mut s = connected();
        let items = [
            chat_json(1, 1, "Ann", "2026-11-21T10:00:00Z"),
            chat_json(2, 1, "Bob", "2026-11-21T09:00:00Z"),
            chat_json(3, 1, "Cid", "2026-11-21T11:00:00Z"),
            format!(
                r#"{{"id":4,"chatStatus":1,"lastMessage":{}}}"#,
                msg(400, 4, 0, "2026-11-21T12:00:00Z")
            ),
        ];
        let page = chats(&format!(r#"{{"items":[{}]}}"#, items.join(",")));
        update(&mut s, Msg::ChatsLoaded(ChatQuery::first(), page));
        s
    }

    #[test]
    fn a_chat_whose_last_message_is_the_customers_is_waiting_since_then() {
        let mut s = queue();
        let since = |s: &State, id| s.chat(id).unwrap().waiting().map(str::to_owned);
        assert_eq!(since(&s, 2).as_deref(), Some("2026-11-21T09:00:00Z"));
        assert_eq!(since(&s, 4), None, "the operator wrote last");
        // A second customer message keeps the wait's start; a reply ends it.
        frame(
            &mut s,
            event("ReceiveMessage", &msg(201, 2, 1, "2026-11-21T12:30:00Z"), 1),
        );
        assert_eq!(since(&s, 2).as_deref(), Some("2026-11-21T09:00:00Z"));
        frame(
            &mut s,
            event("ReceiveMessage", &msg(202, 2, 0, "2026-11-21T12:31:00Z"), 2),
        );
        assert_eq!(since(&s, 2), None);
        frame(
            &mut s,
            event("ReceiveMessage", &msg(203, 2, 1, "2026-11-21T12:32:00Z"), 3),
        );
        assert_eq!(since(&s, 2).as_deref(), Some("2026-11-21T12:32:00Z"));
        // A closed chat waits for nobody.
        frame(&mut s, event("ChatStatusChanged", "1,4", 4));
        assert_eq!(since(&s, 1), None);
    }

    #[test]
    fn the_list_sorts_by_activity_or_longest_wait() {
        let mut s = queue();
        assert_eq!(visible(&s), [4, 3, 1, 2]);
        assert_eq!(s.sort, Sort::Activity);
        update(&mut s, Msg::SortBy(Sort::Waiting));
        assert_eq!(
            visible(&s),
            [2, 1, 3, 4],
            "oldest wait first, then the rest"
        );
        assert!(s.take_dirty().chats);
        // A reply takes its chat out of the waiting part, though it is now the latest activity.
        open(&mut s, 2);
        send(&mut s, 2, "Hello Bob", "c1");
        assert_eq!(
            visible(&s),
            [1, 3, 4, 2],
            "then by activity (the reply is not stored yet)"
        );
        update(&mut s, Msg::SortBy(Sort::Activity));
        assert_eq!(visible(&s)[0], 4);
        assert_eq!(Sort::from_name(Sort::Waiting.name()), Some(Sort::Waiting));
        assert_eq!(Sort::from_name("nonsense"), None);
    }

    fn open(s: &mut State, id: u64) {
        update(s, Msg::Open(id));
    }

    #[test]
    fn next_waiting_is_the_oldest_wait_and_never_the_chat_just_answered() {
        let mut s = queue();
        let fx = update(&mut s, Msg::NextWaiting);
        assert_eq!(s.open, Some(2), "Bob has waited longest");
        assert_eq!(fx, [Effect::LoadHistory(2)]);
        send(&mut s, 2, "Hi Bob", "c1");
        update(&mut s, Msg::NextWaiting);
        assert_eq!(s.open, Some(1));
        // Bob writes again at once: he waits again, but is not the next right after his answer...
        frame(
            &mut s,
            event("ReceiveMessage", &msg(201, 2, 1, "2026-11-21T08:00:00Z"), 1),
        );
        send(&mut s, 1, "Hi Ann", "c2");
        update(&mut s, Msg::NextWaiting);
        assert_eq!(s.open, Some(2), "Bob's new message is the oldest wait now");
        send(&mut s, 2, "Again, Bob", "c3");
        update(&mut s, Msg::NextWaiting);
        assert_eq!(s.open, Some(3));
        // ...and the server's copy of the list, still showing the customer's message last, does not
        // undo an answer.
        let stale = chats(&format!(
            r#"{{"items":[{}]}}"#,
            chat_json(1, 1, "Ann", "2026-11-21T10:00:00Z")
        ));
        update(&mut s, Msg::ChatsLoaded(ChatQuery::first(), stale));
        assert_eq!(s.chat(1).unwrap().waiting(), None);
        send(&mut s, 3, "Hi Cid", "c4");
        let fx = update(&mut s, Msg::NextWaiting);
        assert_eq!(s.open, Some(3), "nobody waits: the chat stays");
        assert!(matches!(
            &fx[..],
            [Effect::Notice {
                key: "notice.none_waiting",
                ..
            }]
        ));
    }

    #[test]
    fn closing_or_pausing_moves_on_to_the_next_waiting_chat() {
        let mut s = queue();
        open(&mut s, 2);
        let fx = update(&mut s, Msg::StatusAndNext(4));
        assert_eq!(
            fx[0],
            Effect::SetStatus {
                chat_id: 2,
                status: 4
            }
        );
        assert_eq!(s.open, Some(1));
        update(&mut s, Msg::StatusAndNext(3));
        assert_eq!(
            s.open,
            Some(3),
            "the paused chat is not next, though it still waits"
        );
        assert!(s.chat(1).unwrap().waiting().is_some());
        update(&mut s, Msg::NextWaiting);
        assert_eq!(
            s.open,
            Some(3),
            "a paused chat waits on purpose: never next"
        );
    }

    #[test]
    fn replying_to_a_closed_chat_reopens_it_and_says_so() {
        let mut s = queue();
        open(&mut s, 1);
        update(&mut s, Msg::SetStatus(4));
        let fx = send(&mut s, 1, "One more thing", "c1");
        assert_eq!(
            fx[0],
            Effect::SetStatus {
                chat_id: 1,
                status: 1
            }
        );
        assert!(matches!(&fx[1], Effect::Notice { key: "notice.reopened", name } if name == "Ann"));
        assert_eq!(s.chat(1).unwrap().chat_status, 1);
        assert_eq!(sends(&fx, "SendMessage").len(), 1);
        // An open chat is not touched.
        let fx = send(&mut s, 1, "And another", "c2");
        assert!(!fx
            .iter()
            .any(|e| matches!(e, Effect::SetStatus { .. } | Effect::Notice { .. })));
    }

    /// A panel that has started connecting: the first page is asked before the hub answers.
    fn starting() -> (State, Vec<Effect>) {
        let mut s = State::default();
        update(&mut s, Msg::Negotiated(full()));
        let fx = update(&mut s, Msg::Starting);
        (s, fx)
    }

    fn handshake(s: &mut State) -> Vec<Effect> {
        update(s, Msg::SocketOpened { now: 0 });
        frame(s, "{}\u{1e}".into())
    }

    fn chat_page(items: &[(u64, u64, u32)]) -> ChatPage {
        let items: Vec<String> = items
            .iter()
            .map(|&(id, last, unread)| {
                format!(
                    r#"{{"id":{id},"countUnread":{unread},"lastMessage":{}}}"#,
                    msg(last, id, 1, "2026-11-21T10:00:00Z")
                )
            })
            .collect();
        chats(&format!(r#"{{"items":[{}]}}"#, items.join(",")))
    }

    fn ids_and_unread(s: &State) -> Vec<(u64, u32)> {
        s.chats.iter().map(|c| (c.id, c.count_unread)).collect()
    }

    #[test]
    fn the_first_page_is_asked_before_the_hub_and_only_once() {
        let (mut s, fx) = starting();
        assert_eq!(fx, [Effect::LoadChats(ChatQuery::first())]);
        assert!(
            update(&mut s, Msg::Starting).is_empty(),
            "a retry does not ask again while a page is on its way"
        );
        update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chat_page(&[(7, 3, 1)])),
        );
        assert!(
            update(&mut s, Msg::Starting).is_empty(),
            "nor once a list is loaded: the handshake catches up"
        );
    }

    #[test]
    fn a_page_before_the_handshake_shows_at_once_and_the_session_asks_again() {
        let (mut s, _) = starting();
        update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chat_page(&[(7, 3, 1)])),
        );
        assert_eq!(ids_and_unread(&s), [(7, 1)], "shown before the hub is up");
        // The page was answered before the session began: a message in between is in neither,
        // so the handshake asks again.
        let fx = handshake(&mut s);
        assert_eq!(fx, [Effect::LoadChats(ChatQuery::first())]);
        // A live message after the session began, then the new page that already holds it.
        frame(
            &mut s,
            event("ReceiveMessage", &msg(5, 7, 1, "2026-11-21T11:00:00Z"), 1),
        );
        assert_eq!(ids_and_unread(&s), [(7, 2)]);
        let fx = update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chat_page(&[(7, 5, 2), (8, 4, 1)])),
        );
        assert!(fx.is_empty(), "no further reload: {fx:?}");
        assert_eq!(
            ids_and_unread(&s),
            [(7, 2), (8, 1)],
            "chat 8 (missed between the page and the session) is caught; 7 is not counted twice"
        );
    }

    #[test]
    fn a_page_after_the_handshake_and_live_events_neither_loses_nor_doubles() {
        let (mut s, _) = starting();
        // The hub is faster than the list: no second request while the first is on its way.
        assert!(handshake(&mut s).is_empty());
        frame(&mut s, event("ChatCreated", r#"{"id":9}"#, 1));
        frame(
            &mut s,
            event("ReceiveMessage", &msg(5, 7, 1, "2026-11-21T11:00:00Z"), 2),
        );
        frame(
            &mut s,
            event("ReceiveMessage", &msg(6, 9, 1, "2026-11-21T11:01:00Z"), 3),
        );
        // The early page lands: it predates the session, so chat 7's newer live message stays,
        // and the list is asked again (one request at a time, so no older page lands after it).
        let fx = update(
            &mut s,
            Msg::ChatsLoaded(ChatQuery::first(), chat_page(&[(7, 3, 1), (8, 4, 1)])),
        );
        assert_eq!(fx, [Effect::LoadChats(ChatQuery::first())]);
        let last = |s: &State, id| {
            s.chat(id)
                .and_then(|c| c.last_message.as_ref())
                .map(|m| m.id)
        };
        assert_eq!(
            last(&s, 7),
            Some(5),
            "the live message is not lost to an older page"
        );
        assert_eq!(last(&s, 9), Some(6));
        assert_eq!(s.chats.len(), 3, "each chat once");
        // The session's page: the server's counts, which include the live messages once.
        update(
            &mut s,
            Msg::ChatsLoaded(
                ChatQuery::first(),
                chat_page(&[(9, 6, 1), (7, 5, 2), (8, 4, 1)]),
            ),
        );
        let mut got = ids_and_unread(&s);
        got.sort();
        assert_eq!(got, [(7, 2), (8, 1), (9, 1)]);
        assert_eq!(s.unread(), 4);
    }

    #[test]
    fn a_failed_early_page_is_asked_again_for_the_session() {
        let (mut s, _) = starting();
        assert!(handshake(&mut s).is_empty());
        let fx = update(&mut s, Msg::LoadFailed { refresh: false });
        assert_eq!(fx, [Effect::LoadChats(ChatQuery::first())]);
    }

    #[test]
    fn a_new_token_forgets_the_page_the_old_one_asked() {
        let (mut s, _) = starting();
        update(&mut s, Msg::TokenChanged);
        assert_eq!(
            update(&mut s, Msg::Starting),
            [Effect::LoadChats(ChatQuery::first())],
            "the old token's answer is dropped by the shell, so the new one asks"
        );
    }
}
