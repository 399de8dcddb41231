//! The panel as data: chats, the open thread, the outbox and the hub session, changed only by
//! `update(state, msg) -> effects`. The shell feeds it socket frames, REST results, clicks and clock
//! ticks, then performs the effects. Nothing here touches the browser, so `cargo test` covers it.

use crate::codec::{self, Arg, HubMedia, HubMessage, RecordBuffer};
use crate::json::{self, Raw};
use crate::model::{Chat, ChatPage, EventMeta, Message, MessagePage};
use crate::token::TokenProblem;
use crate::window::Window;
use serde::{Deserialize, Serialize};

/// Send a ping when the socket has been quiet this long (the SignalR default).
pub const PING_EVERY_MS: u64 = 15_000;
/// Hearing nothing for this long means the connection is dead, even if the socket looks open.
pub const SERVER_TIMEOUT_MS: u64 = 30_000;
/// The operator's `Typing` goes out at most this often while they type.
pub const TYPING_EVERY_MS: u64 = 3_000;
/// The client's typing line goes away by itself after this long without news.
pub const TYPING_SHOWN_MS: u64 = 6_000;
/// Chats per list page.
pub const CHATS_PER_PAGE: u32 = 50;
/// The longest message the API takes, in characters.
pub const MAX_TEXT: usize = 4096;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    Connecting,
    Handshaking,
    Connected,
    /// An established session was lost; retrying.
    Reconnecting,
    /// The browser says it has no network; retrying when it comes back.
    Offline,
    /// The token is past its expiry, or the server refused it: only a new token helps.
    Expired,
    /// The token cannot be read.
    Invalid,
    /// The server refused this operator (403: inactive, deleted, or not an operator's token).
    Refused,
}

impl Conn {
    pub fn name(self) -> &'static str {
        match self {
            Conn::Connecting | Conn::Handshaking => "connecting",
            Conn::Connected => "connected",
            Conn::Reconnecting => "reconnecting",
            Conn::Offline => "offline",
            Conn::Expired => "expired",
            Conn::Invalid => "invalid",
            Conn::Refused => "refused",
        }
    }

    /// Whether retrying can help: a bad token never gets better by itself.
    pub fn retries(self) -> bool {
        !matches!(self, Conn::Expired | Conn::Invalid | Conn::Refused)
    }
}

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
    fn after(has_more: bool) -> History {
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

/// The second argument of `Typing`: who types.
#[derive(Deserialize)]
struct Typist {
    #[serde(default)]
    author: u8,
    client: Option<crate::model::Client>,
}

/// What survives a page reload (in sessionStorage): the open chat, each chat's draft and unsent
/// messages. Never the token. Read as owned data; written borrowed ([`State::saved_json`]), since it
/// is saved on every keystroke of a draft.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Saved<D = Vec<Draft>, O = Vec<Outgoing>> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<u64>,
    pub drafts: D,
    pub outbox: O,
    /// The one draft a release before kept, for whichever chat was open.
    #[serde(skip_serializing)]
    pub draft: String,
}

/// A chat's unsent text.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    pub chat_id: u64,
    pub text: String,
}

/// What changed since the shell last drew.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dirty {
    pub conn: bool,
    pub chats: bool,
    pub thread: bool,
    /// The open chat, draft or outbox changed: save them.
    pub saved: bool,
    /// Someone started or stopped typing in the open chat.
    pub typing: bool,
}

#[derive(Debug)]
pub struct State {
    pub conn: Conn,
    /// Sorted by last activity, newest first.
    pub chats: Vec<Chat>,
    /// The list's status filter and server-side search.
    pub filter: Option<u8>,
    pub search: String,
    /// The chats the server returned for this search: a chat without `client` (the documented
    /// list) can only be matched by it, not by its theme.
    found: Vec<u64>,
    /// The last list page loaded, and whether the server has more.
    pub chats_page: u32,
    pub chats_more: bool,
    pub chats_loading: bool,
    pub open: Option<u64>,
    /// The open chat's stored messages, ascending by id.
    pub thread: Vec<Message>,
    /// The part of `thread` that is drawn.
    pub window: Window,
    pub history: History,
    pub typing: Option<Typing>,
    last_typing_ms: u64,
    pub outbox: Vec<Outgoing>,
    /// Each chat's unsent text: a draft belongs to its chat, never to whichever chat is open.
    pub drafts: Vec<Draft>,
    /// The operator sees the open chat: the panel is open and the page visible.
    pub looking: bool,
    /// This operator's id, from the token: their own messages are "You", a colleague's are named.
    pub me: Option<u64>,
    /// What the server offers beyond the documented API, from its negotiate answer.
    pub ext: Extensions,
    /// Chats whose newest page is being fetched to settle unsure sends.
    verifying: Vec<u64>,
    /// The open chat was read here, but the server has not been told yet (its newest message id
    /// was unknown, or the session was down).
    unread_untold: bool,
    /// The newest hub event applied, for `Resume`.
    pub last_event_id: u64,
    pub dirty: Dirty,
    records: RecordBuffer,
    next_invocation: u32,
    /// The `Resume` call in flight.
    resume_call: Option<u32>,
    /// Cleared when the server answers that it has no `Resume`: paging catches up instead.
    resume_supported: bool,
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
    /// The negotiate answer: which extensions the next session may use.
    Negotiated(Extensions),
    /// The operator this token belongs to, when it says.
    Identity(Option<u64>),
    /// Whether the operator sees the open chat (panel open, page visible).
    Looking(bool),
    /// The newest page of a chat, fetched to settle sends that may or may not have arrived.
    Verified {
        chat_id: u64,
        page: MessagePage,
    },
    VerifyFailed(u64),
    /// The server no longer has this chat (deleted elsewhere, or 404).
    ChatGone(u64),
    /// The server refused this operator (403).
    Refused,
    ChatsLoaded(ChatQuery, ChatPage),
    /// Show only chats of this status (None: all), searched on the server.
    Filter(Option<u8>),
    Search(String),
    /// The list was scrolled to its end.
    MoreChats,
    Open(u64),
    /// Back to the list (narrow screens): no chat open.
    Back,
    HistoryLoaded {
        chat_id: u64,
        page: MessagePage,
    },
    /// The thread was scrolled to the top of what is drawn.
    Older,
    /// The thread was scrolled to the bottom of what is drawn, short of the newest message.
    Newer,
    OlderLoaded {
        chat_id: u64,
        page: MessagePage,
    },
    SetStatus(u8),
    /// A REST call failed; `refresh` reloads the list to undo an optimistic change.
    LoadFailed {
        refresh: bool,
    },
    SendMedia {
        media: OutMedia,
        client_message_id: String,
        now: u64,
    },
    /// Send the draft of `chat_id`: the chat the composer showed it for, whatever is open now.
    Send {
        chat_id: u64,
        text: String,
        client_message_id: String,
        now: u64,
    },
    /// Retry a failed message with its `clientMessageId`, so it can never be stored twice.
    Retry {
        client_message_id: String,
        now: u64,
    },
    Draft {
        chat_id: u64,
        text: String,
        now: u64,
    },
    Restore(Saved),
    TokenFailed(TokenProblem),
    /// A new token: connect again.
    TokenChanged,
    Network {
        online: bool,
    },
}

#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Write this record to the socket.
    Send(String),
    LoadChats(ChatQuery),
    LoadHistory(u64),
    /// The page of `chat_id` before message `before`.
    LoadOlder {
        chat_id: u64,
        before: u64,
    },
    /// `PUT /api/chat/status`.
    SetStatus {
        chat_id: u64,
        status: u8,
    },
    /// Drop this socket and connect again after the policy's delay.
    Reconnect,
    /// Fetch a chat's newest page to see which sends arrived (a 404 means the chat is gone).
    Verify(u64),
    /// Tell the operator, in the panel: the i18n key and the chat's title.
    Notice {
        key: &'static str,
        name: String,
    },
    /// Tell the host page that something failed.
    Error {
        code: &'static str,
        message: String,
    },
    /// A new message reached the panel: read, and as the server sent it (the host's
    /// `chathub:message` detail).
    Received(Box<Message>, Raw),
}

impl Default for State {
    fn default() -> Self {
        State {
            conn: Conn::Connecting,
            chats: Vec::new(),
            filter: None,
            search: String::new(),
            found: Vec::new(),
            chats_page: 0,
            chats_more: false,
            chats_loading: false,
            open: None,
            thread: Vec::new(),
            window: Window::default(),
            history: History::More,
            typing: None,
            last_typing_ms: 0,
            outbox: Vec::new(),
            drafts: Vec::new(),
            looking: false,
            me: None,
            ext: Extensions::default(),
            verifying: Vec::new(),
            unread_untold: false,
            last_event_id: 0,
            dirty: Dirty::default(),
            records: RecordBuffer::default(),
            next_invocation: 0,
            resume_call: None,
            resume_supported: true,
            last_heard_ms: 0,
            last_sent_ms: 0,
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

fn arg<T: serde::de::DeserializeOwned>(args: &[Raw], i: usize) -> Option<T> {
    args.get(i)?.decode()
}

impl State {
    pub fn take_dirty(&mut self) -> Dirty {
        core::mem::take(&mut self.dirty)
    }

    pub fn chat(&self, id: u64) -> Option<&Chat> {
        self.chats.iter().find(|c| c.id == id)
    }

    /// A chat the panel may send to: listed, or open (a restored chat before the list loads).
    fn knows(&self, id: u64) -> bool {
        self.open == Some(id) || self.chat(id).is_some()
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

    fn load_chats(&mut self, page: u32, fx: &mut Vec<Effect>) {
        self.chats_loading = true;
        fx.push(Effect::LoadChats(ChatQuery {
            page,
            status: self.filter,
            search: self.search.clone(),
        }));
    }

    /// A new filter or search: the list starts again from its first page.
    fn requery(&mut self, fx: &mut Vec<Effect>) {
        self.chats_page = 0;
        self.chats_more = false;
        self.found.clear();
        self.dirty.chats = true;
        self.load_chats(1, fx);
    }

    fn on_chats_loaded(&mut self, query: ChatQuery, page: ChatPage) {
        if query.status != self.filter || query.search != self.search {
            return; // answers a filter the operator has already left
        }
        self.chats_loading = false;
        self.chats_page = query.page;
        self.chats_more = page.items.len() as u32 >= CHATS_PER_PAGE;
        if !self.search.is_empty() {
            self.found.extend(page.items.iter().map(|c| c.id));
        }
        self.merge_chats(page.items);
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

    /// Tells the others the operator is typing, at most every `TYPING_EVERY_MS`.
    fn typing_out(&mut self, now: u64, fx: &mut Vec<Effect>) {
        let Some(open) = self.open.filter(|_| self.ext.typing) else {
            return;
        };
        if self.conn == Conn::Connected && now >= self.last_typing_ms + TYPING_EVERY_MS {
            self.last_typing_ms = now;
            self.send(codec::invocation(None, "Typing", &[Arg::Id(open)]), now, fx);
        }
    }

    /// Opens a chat (or none, back to the list) with an empty thread until its history loads.
    fn show_chat(&mut self, chat: Option<u64>) {
        self.open = chat;
        self.unread_untold = false;
        self.thread.clear();
        self.window = Window::default();
        self.history = History::More;
        self.dirty = Dirty {
            thread: true,
            chats: true,
            saved: true,
            typing: true,
            ..self.dirty
        };
    }

    fn set_typing(&mut self, typing: Option<Typing>) {
        let touches_open =
            |t: &Option<Typing>| t.as_ref().is_some_and(|t| Some(t.chat_id) == self.open);
        self.dirty.typing |= touches_open(&self.typing) || touches_open(&typing);
        self.typing = typing;
    }

    /// The open chat's outgoing messages, shown after its stored ones.
    pub fn open_outbox(&self) -> impl Iterator<Item = &Outgoing> {
        let open = self.open;
        self.outbox.iter().filter(move |o| Some(o.chat_id) == open)
    }

    /// Unread messages over every chat.
    pub fn unread(&self) -> u32 {
        self.chats.iter().map(|c| c.count_unread).sum()
    }

    /// What survives a reload, as JSON ([`Saved`]); `None` when there is nothing to keep. Written
    /// from borrowed state: it runs on every keystroke of the draft.
    pub fn saved_json(&self) -> Option<String> {
        if self.open.is_none() && self.drafts.is_empty() && self.outbox.is_empty() {
            return None;
        }
        let saved: Saved<&[Draft], &[Outgoing]> = Saved {
            open: self.open,
            drafts: &self.drafts,
            outbox: &self.outbox,
            draft: String::new(),
        };
        Some(json::to_string(&saved))
    }

    /// The unsent text of a chat.
    pub fn draft(&self, chat_id: u64) -> &str {
        let d = self.drafts.iter().find(|d| d.chat_id == chat_id);
        d.map_or("", |d| d.text.as_str())
    }

    /// Sets a chat's draft; an empty one is no draft.
    fn set_draft(&mut self, chat_id: u64, text: String) {
        self.drafts.retain(|d| d.chat_id != chat_id);
        if !text.is_empty() {
            self.drafts.push(Draft { chat_id, text });
        }
        self.dirty.saved = true;
    }

    /// The newest message id the panel knows in a chat.
    fn newest_known(&self, chat_id: u64) -> u64 {
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

    /// Whether an outgoing message must wait for the chat's newest page before it may go again.
    fn held(&self, o: &Outgoing) -> bool {
        o.phase == Phase::Unsure && !self.ext.client_message_id
    }

    fn set_conn(&mut self, conn: Conn) {
        if self.conn != conn {
            self.conn = conn;
            self.dirty.conn = true;
        }
    }

    fn set_chat(&mut self, id: u64, f: impl FnOnce(&mut Chat)) {
        if let Some(c) = self.chats.iter_mut().find(|c| c.id == id) {
            f(c);
            self.dirty.chats = true;
        }
    }

    fn send(&mut self, record: String, now: u64, fx: &mut Vec<Effect>) {
        self.last_sent_ms = now;
        fx.push(Effect::Send(record));
    }

    fn invoke(&mut self, target: &str, args: &[Arg], now: u64, fx: &mut Vec<Effect>) -> u32 {
        self.next_invocation += 1;
        let id = self.next_invocation;
        self.send(codec::invocation(Some(id), target, args), now, fx);
        id
    }

    /// Sends every waiting outbox entry of a live session, oldest first. An entry that may already
    /// have arrived holds everything after it, so that nothing overtakes it.
    fn flush_outbox(&mut self, now: u64, fx: &mut Vec<Effect>) {
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
    fn settle_sent(&mut self, m: &Message) {
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

    /// Newest activity first. Stable: chats that carry no times (a server with only the documented
    /// fields) keep the order the server listed them in.
    fn sort_chats(&mut self) {
        self.chats.sort_by(|a, b| b.activity().cmp(a.activity()));
    }

    /// Adds loaded chats to the ones known, keeping whatever live events already made newer than
    /// the fetched copy. Known chats stay when a filter hides them, so the badge still counts them.
    fn merge_chats(&mut self, loaded: Vec<Chat>) {
        let last = |c: &Chat| c.last_message.as_ref().map_or(0, |m| m.id);
        for mut chat in loaded {
            match self.chats.iter_mut().find(|c| c.id == chat.id) {
                Some(old) if last(old) > last(&chat) => {
                    chat.last_message = old.last_message.take();
                    chat.updated_at = old.updated_at.take();
                    chat.count_unread = old.count_unread;
                    *old = chat;
                }
                Some(old) => *old = chat,
                None => self.chats.push(chat),
            }
        }
        self.sort_chats();
        self.dirty.chats = true;
    }

    /// Adds a stored message once, wherever it arrives from (history, event, completion).
    fn store_message(&mut self, m: Message, fx: &mut Vec<Effect>) {
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
                chat.updated_at = Some(m.created_at.clone());
                chat.last_message = Some(m);
                self.dirty.chats = true;
                self.sort_chats();
            }
            Some(_) => {} // an older message than the chat's last one
            // A chat the list does not hold: reload it, unless a load is already on its way (a
            // history page would otherwise ask once per message).
            None if !self.chats_loading => self.load_chats(1, fx),
            None => {}
        }
    }

    /// What the operator is looking at is read: the open chat's count goes to zero, and the
    /// server hears of it when it offers `MarkRead`.
    fn mark_read(&mut self, fx: &mut Vec<Effect>) {
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

    /// A chat the server no longer has leaves the list; if it was open, the thread closes, and its
    /// draft and unsent messages go with a notice, since they can no longer reach anyone.
    fn remove_chat(&mut self, chat_id: u64, fx: &mut Vec<Effect>) {
        let name = self.chat(chat_id).map(|c| c.title().to_owned());
        let known = name.is_some() || self.open == Some(chat_id);
        self.chats.retain(|c| c.id != chat_id);
        let lost = self.outbox.iter().any(|o| o.chat_id == chat_id)
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

    /// Asks for the newest page of every chat holding sends that may already have arrived.
    fn verify_unsure(&mut self, fx: &mut Vec<Effect>) {
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
    fn on_verified(&mut self, chat_id: u64, page: MessagePage, now: u64, fx: &mut Vec<Effect>) {
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
                let Some(m) = arg::<Message>(args, 0) else {
                    return;
                };
                if self.thread.binary_search_by_key(&m.id, |x| x.id).is_err() {
                    fx.push(Effect::Received(Box::new(m.clone()), args[0].clone()));
                }
                if m.author == 1 && self.typing.as_ref().is_some_and(|t| t.chat_id == m.chat_id) {
                    self.set_typing(None); // the message they were typing has arrived
                }
                self.store_message(m, fx);
            }
            "Typing" => {
                let (Some(chat_id), Some(who)) = (arg::<u64>(args, 0), arg::<Typist>(args, 1))
                else {
                    return;
                };
                if who.author == 1 {
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
            "ChatDeleted" => {
                if let Some(id) = arg::<u64>(args, 0) {
                    self.remove_chat(id, fx);
                }
            }
            "ChatCreated" => {
                if let Some(chat) = arg::<Chat>(args, 0).filter(|c| self.chat(c.id).is_none()) {
                    // The newest chat: first among those that carry no times.
                    self.chats.insert(0, chat);
                    self.sort_chats();
                    self.dirty.chats = true;
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
                }
            }
            "MessageStatusChanged" => {
                if let Some((id, status)) = id_and(1) {
                    if let Ok(i) = self.thread.binary_search_by_key(&id, |m| m.id) {
                        self.thread[i].status = status as u8;
                        self.dirty.thread = true;
                    }
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
            if error.is_some() {
                // A server without Resume: catch up by paging instead, and stop asking.
                self.resume_supported = false;
                self.catch_up(fx);
            }
            return;
        }
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

    fn on_handshake(&mut self, record: &str, now: u64, fx: &mut Vec<Effect>) {
        if let Err(e) = codec::decode_handshake(record) {
            fx.push(Effect::Error {
                code: "hub_refused",
                message: e.message(),
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
            self.load_chats(1, fx);
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
                message: e.message(),
            }),
        }
    }

    /// Reloads what a replay would have brought: the chat list and the open thread's newest page.
    fn catch_up(&mut self, fx: &mut Vec<Effect>) {
        self.load_chats(1, fx);
        if let Some(open) = self.open {
            fx.push(Effect::LoadHistory(open));
        }
    }

    /// A session went away: whatever was in flight goes back to waiting. `why` says what the panel
    /// shows; offline and a bad token are kept over a plain "reconnecting", since they say more.
    fn lose_session(&mut self, why: Conn) {
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
        Msg::SocketClosed => state.lose_session(Conn::Reconnecting),
        Msg::Tick { now } => {
            let live = matches!(state.conn, Conn::Connected | Conn::Handshaking);
            if live && now.saturating_sub(state.last_heard_ms) >= SERVER_TIMEOUT_MS {
                state.lose_session(Conn::Reconnecting);
                fx.push(Effect::Reconnect);
            } else if state.conn == Conn::Connected
                && now.saturating_sub(state.last_sent_ms) >= PING_EVERY_MS
            {
                state.send(codec::PING.into(), now, &mut fx);
            }
            if state.typing.as_ref().is_some_and(|t| t.until_ms <= now) {
                state.set_typing(None);
            }
            // A failed look-up is asked again, rather than sending what may have arrived.
            state.verify_unsure(&mut fx);
        }
        Msg::Negotiated(ext) => state.ext = ext,
        Msg::Identity(me) => {
            state.me = me;
            state.dirty.thread = true;
        }
        Msg::Looking(looking) => state.looking = looking,
        Msg::Verified { chat_id, page } => state.on_verified(chat_id, page, now_of(state), &mut fx),
        Msg::VerifyFailed(chat_id) => state.verifying.retain(|c| *c != chat_id),
        Msg::ChatGone(chat_id) => state.remove_chat(chat_id, &mut fx),
        Msg::Refused => state.lose_session(Conn::Refused),
        Msg::ChatsLoaded(query, page) => state.on_chats_loaded(query, page),
        Msg::Filter(status) => {
            if state.filter != status {
                state.filter = status;
                state.requery(&mut fx);
            }
        }
        Msg::Search(text) => {
            // Trimmed once here: the query, the live filter and the "no match" text all use it.
            if state.search != text.trim() {
                state.search = text.trim().to_owned();
                state.requery(&mut fx);
            }
        }
        Msg::MoreChats => {
            if state.chats_more && !state.chats_loading {
                state.load_chats(state.chats_page + 1, &mut fx);
            }
        }
        Msg::Open(chat_id) => {
            if state.open != Some(chat_id) {
                state.show_chat(Some(chat_id));
                state.history = History::Opening;
                fx.push(Effect::LoadHistory(chat_id));
            }
        }
        Msg::Back => state.show_chat(None),
        Msg::HistoryLoaded { chat_id, page } => {
            if state.open == Some(chat_id) {
                let first_load = state.history == History::Opening;
                for m in page.items {
                    state.store_message(m, &mut fx);
                }
                if first_load {
                    state.window = Window::live(state.thread.len());
                    state.history = History::after(page.has_more);
                }
                state.dirty.thread = true;
            }
        }
        Msg::Older => match (state.open, state.thread.first()) {
            _ if state.window.start > 0 => {
                state.window.up();
                state.dirty.thread = true;
            }
            (Some(chat_id), Some(first)) if state.history == History::More => {
                fx.push(Effect::LoadOlder {
                    chat_id,
                    before: first.id,
                });
                state.history = History::Loading;
                state.dirty.thread = true;
            }
            _ => {}
        },
        Msg::Newer => {
            if !state.at_live_edge() {
                state.window.down(state.thread.len());
                state.dirty.thread = true;
            }
        }
        Msg::OlderLoaded { chat_id, page } => {
            if state.open == Some(chat_id) {
                for m in page.items {
                    state.store_message(m, &mut fx);
                }
                state.window.up();
                state.history = History::after(page.has_more);
                state.dirty.thread = true;
            }
        }
        Msg::SetStatus(status) => {
            if let Some(chat_id) = state.open.filter(|_| status <= 4) {
                state.set_chat(chat_id, |c| c.chat_status = status);
                fx.push(Effect::SetStatus { chat_id, status });
            }
        }
        Msg::Send {
            chat_id,
            text,
            client_message_id,
            now,
        } => {
            let text = text.trim();
            if !text.is_empty() && text.chars().count() <= MAX_TEXT && state.knows(chat_id) {
                state.set_draft(chat_id, String::new());
                state.enqueue(chat_id, text, None, client_message_id, now, &mut fx);
            }
        }
        Msg::LoadFailed { refresh } => {
            state.chats_loading = false;
            if matches!(state.history, History::Loading | History::Opening) {
                state.history = History::More;
                state.dirty.thread = true;
            }
            if refresh {
                state.load_chats(1, &mut fx);
            }
        }
        Msg::SendMedia {
            media,
            client_message_id,
            now,
        } => {
            if let Some(chat_id) = state.open {
                state.enqueue(chat_id, "", Some(media), client_message_id, now, &mut fx);
            }
        }
        Msg::Retry {
            client_message_id,
            now,
        } => {
            if let Some(o) = state
                .outbox
                .iter_mut()
                .find(|o| o.client_message_id == client_message_id && o.phase == Phase::Failed)
            {
                o.phase = Phase::Waiting;
                state.dirty.thread = true;
                state.flush_outbox(now, &mut fx);
            }
        }
        Msg::Draft { chat_id, text, now } => {
            if !text.trim().is_empty() && state.open == Some(chat_id) {
                state.typing_out(now, &mut fx);
            }
            state.set_draft(chat_id, text);
        }
        Msg::Restore(saved) => {
            let legacy = saved.open.filter(|_| !saved.draft.is_empty());
            let legacy = legacy.map(|chat_id| Draft {
                chat_id,
                text: saved.draft,
            });
            for d in saved.drafts.into_iter().chain(legacy) {
                if state.draft(d.chat_id).is_empty() {
                    state.set_draft(d.chat_id, d.text);
                }
            }
            for o in saved.outbox {
                if !state
                    .outbox
                    .iter()
                    .any(|x| x.client_message_id == o.client_message_id)
                {
                    state.outbox.push(o);
                }
            }
            if let (Some(open), None) = (saved.open, state.open) {
                state.open = Some(open);
            }
            state.dirty = Dirty {
                thread: true,
                chats: true,
                ..state.dirty
            };
        }
        Msg::TokenFailed(problem) => state.lose_session(match problem {
            TokenProblem::Expired => Conn::Expired,
            TokenProblem::Invalid => Conn::Invalid,
        }),
        Msg::TokenChanged => {
            state.lose_session(Conn::Reconnecting);
            state.set_conn(Conn::Connecting);
        }
        Msg::Network { online: false } => state.lose_session(Conn::Offline),
        Msg::Network { online: true } => {
            if state.conn == Conn::Offline {
                state.set_conn(Conn::Reconnecting);
            }
        }
    }
    // Whatever reaches the chat the operator is looking at is read at once.
    state.mark_read(&mut fx);
    fx
}

/// The clock of the last frame heard or sent, for work that a message without a time starts.
fn now_of(state: &State) -> u64 {
    state.last_sent_ms.max(state.last_heard_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every extension the reference server announces.
    fn full() -> Extensions {
        Extensions {
            client_message_id: true,
            typing: true,
            mark_read: true,
            resume: true,
        }
    }

    /// A live session with a server that offers `ext`, the operator looking at the panel.
    fn connected_to(ext: Extensions) -> State {
        let mut s = State::default();
        update(&mut s, Msg::Looking(true));
        update(&mut s, Msg::Negotiated(ext));
        update(&mut s, Msg::SocketOpened { now: 0 });
        let fx = update(
            &mut s,
            Msg::Frame {
                text: "{}\u{1e}".into(),
                now: 1,
            },
        );
        assert_eq!(fx, vec![Effect::LoadChats(ChatQuery::first())]);
        assert_eq!(s.conn, Conn::Connected);
        s
    }

    fn connected() -> State {
        connected_to(full())
    }

    fn msg(id: u64, chat: u64, author: u8, at: &str) -> String {
        format!(
            r#"{{"id":{id},"chatId":{chat},"message":"m{id}","author":{author},"status":1,"createdAt":"{at}"}}"#
        )
    }

    fn chats(json: &str) -> ChatPage {
        json::from_str(json).unwrap()
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

    fn open_chat(s: &mut State, id: u64) {
        update(
            s,
            Msg::ChatsLoaded(
                ChatQuery::first(),
                chats(&format!(r#"{{"items":[{{"id":{id}}}]}}"#)),
            ),
        );
        update(s, Msg::Open(id));
    }

    fn reconnect(s: &mut State) -> Vec<Effect> {
        update(s, Msg::SocketClosed);
        update(s, Msg::SocketOpened { now: 100 });
        update(
            s,
            Msg::Frame {
                text: "{}\u{1e}".into(),
                now: 101,
            },
        )
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

    #[test]
    fn a_server_without_resume_is_caught_up_by_paging() {
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
        reconnect(&mut s);
        let no_method =
            "{\"type\":3,\"invocationId\":\"1\",\"error\":\"Method does not exist.\"}\u{1e}";
        let fx = update(
            &mut s,
            Msg::Frame {
                text: no_method.into(),
                now: 102,
            },
        );
        assert_eq!(
            fx,
            vec![
                Effect::LoadChats(ChatQuery::first()),
                Effect::LoadHistory(7)
            ]
        );
        assert!(!reconnect(&mut s)
            .iter()
            .any(|e| matches!(e, Effect::Send(f) if f.contains("Resume"))));
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
    fn draft_and_outbox_are_saved_and_restored_without_in_flight_ids() {
        let mut s = connected();
        open_chat(&mut s, 7);
        update(
            &mut s,
            Msg::Send {
                chat_id: 7,
                text: "hello".into(),
                client_message_id: "c1".into(),
                now: 5,
            },
        );
        update(
            &mut s,
            Msg::Draft {
                chat_id: 7,
                text: "half a tho".into(),
                now: 5,
            },
        );
        assert!(s.take_dirty().saved);
        let json = s.saved_json().unwrap();
        assert!(!json.contains("invocation"), "{json}");
        let mut fresh = State::default();
        update(&mut fresh, Msg::Restore(json::from_str(&json).unwrap()));
        update(&mut fresh, Msg::Negotiated(full()));
        assert_eq!(fresh.open, Some(7));
        assert_eq!(fresh.draft(7), "half a tho");
        assert_eq!(fresh.outbox.len(), 1);
        assert!(!matches!(fresh.outbox[0].phase, Phase::InFlight(_)));
        update(&mut fresh, Msg::SocketOpened { now: 0 });
        let fx = update(
            &mut fresh,
            Msg::Frame {
                text: "{}\u{1e}".into(),
                now: 1,
            },
        );
        assert!(fx
            .iter()
            .any(|e| matches!(e, Effect::Send(f) if f.contains("\"c1\""))));
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

    fn page(items: &[String], has_more: bool) -> MessagePage {
        json::from_str(&format!(
            r#"{{"items":[{}],"hasMore":{has_more}}}"#,
            items.join(",")
        ))
        .unwrap()
    }

    fn chat_json(id: u64, status: u8, name: &str, at: &str) -> String {
        format!(
            r#"{{"id":{id},"chatStatus":{status},"client":{{"name":"{name}","phone":"+3805000{id}"}},"lastMessage":{}}}"#,
            msg(id * 100, id, 1, at)
        )
    }

    fn visible(s: &State) -> Vec<u64> {
        s.visible_chats().map(|c| c.id).collect()
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
    fn media_goes_out_as_send_media_message_with_a_client_message_id() {
        let mut s = connected();
        open_chat(&mut s, 7);
        let media = crate::media::attach("<b>.png", "image/png", b"png").unwrap();
        let fx = update(
            &mut s,
            Msg::SendMedia {
                media,
                client_message_id: "c1".into(),
                now: 5,
            },
        );
        let [Effect::Send(frame)] = &fx[..] else {
            panic!("{fx:?}")
        };
        assert!(frame.contains(r#""target":"SendMediaMessage","arguments":[7,{"Name":"<b>.png","Format":"image/png","DataBase64":"cG5n","Type":1},"c1"]"#), "{frame}");
        assert_eq!(s.open_outbox().count(), 1);
    }

    /// The hub records of the sends in `fx`: (target, arguments JSON).
    fn sends(fx: &[Effect], target: &str) -> Vec<String> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Send(f) if f.contains(&format!("\"target\":\"{target}\"")) => {
                    let args = f.split("\"arguments\":").nth(1)?;
                    Some(args.trim_end_matches(['\u{1e}', '}']).to_owned())
                }
                _ => None,
            })
            .collect()
    }

    fn send(s: &mut State, chat_id: u64, text: &str, cmid: &str) -> Vec<Effect> {
        update(
            s,
            Msg::Send {
                chat_id,
                text: text.into(),
                client_message_id: cmid.into(),
                now: 5,
            },
        )
    }

    fn frame(s: &mut State, text: String) -> Vec<Effect> {
        update(s, Msg::Frame { text, now: 10 })
    }

    fn two_chats(s: &mut State) {
        update(
            s,
            Msg::ChatsLoaded(
                ChatQuery::first(),
                chats(r#"{"items":[{"id":7},{"id":8}]}"#),
            ),
        );
    }

    #[test]
    fn a_draft_belongs_to_its_chat() {
        let mut s = connected();
        two_chats(&mut s);
        update(&mut s, Msg::Open(7));
        let refund = "Customer 16, your refund of $120 for order #A-77 is approved.";
        update(
            &mut s,
            Msg::Draft {
                chat_id: 7,
                text: refund.into(),
                now: 1,
            },
        );
        update(&mut s, Msg::Open(8));
        assert_eq!(s.draft(8), "", "chat B shows its own, empty draft");
        assert_eq!(s.draft(7), refund);
        // Enter in a composer still showing A's draft can only send to A.
        let fx = send(&mut s, 7, refund, "c1");
        assert_eq!(
            sends(&fx, "SendMessage"),
            vec![format!("[7,\"{refund}\",\"c1\"]")]
        );
        assert_eq!(s.draft(7), "", "sent drafts are gone");
        update(
            &mut s,
            Msg::Draft {
                chat_id: 8,
                text: "for B".into(),
                now: 2,
            },
        );
        update(&mut s, Msg::Open(7));
        let saved = s.saved_json().unwrap();
        assert!(!saved.contains("token"));
        let mut fresh = State::default();
        update(&mut fresh, Msg::Restore(json::from_str(&saved).unwrap()));
        assert_eq!(fresh.draft(8), "for B", "drafts survive a reload");
        // A draft saved by the release before, for the chat then open.
        let old: Saved = json::from_str(r#"{"open":7,"draft":"old","outbox":[]}"#).unwrap();
        update(&mut fresh, Msg::Restore(old));
        assert_eq!(fresh.draft(7), "old");
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

    /// A documented hub, with "one" and "two" sent and unanswered when the session is lost.
    fn lost_two_sends() -> State {
        let mut s = connected_to(Extensions::default());
        open_chat(&mut s, 7);
        send(&mut s, 7, "one", "c1");
        send(&mut s, 7, "two", "c2");
        update(&mut s, Msg::SocketClosed);
        send(&mut s, 7, "three", "c3");
        s
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

    #[test]
    fn a_text_over_the_limit_is_not_sent() {
        let mut s = connected();
        open_chat(&mut s, 7);
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(send(&mut s, 7, &long, "c1").is_empty());
        assert!(s.outbox.is_empty());
    }
}
