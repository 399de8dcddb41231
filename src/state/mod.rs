//! The panel as data: chats, the open thread, the outbox and the hub session, changed only by
//! `update(state, msg) -> effects`. The shell feeds it socket frames, REST results, clicks and clock
//! ticks, then performs the effects. Nothing here touches the browser, so `cargo test` covers it.
//!
//! This file holds the types every part shares and `update`, the one way in; each concern's state
//! changes live beside it as `impl State` blocks, so a reader can follow one without the others.

mod attach;
mod list;
mod outbox;
mod saved;
mod session;
#[cfg(test)]
mod testkit;
mod thread;

pub use attach::{human_size, Pending};
pub use list::{ChatQuery, Sort, CHATS_PER_PAGE};
pub use outbox::{OutMedia, Outgoing, Phase, MAX_TEXT};
pub use saved::{Draft, Saved};
pub use session::{Extensions, PING_EVERY_MS, SERVER_TIMEOUT_MS};
pub use thread::{Colleague, History, Typing, REPLIED_SHOWN_MS, TYPING_EVERY_MS, TYPING_SHOWN_MS};

use crate::codec::RecordBuffer;
use crate::json::Raw;
use crate::model::{Chat, ChatPage, Message, MessagePage};
use crate::token::TokenProblem;
use crate::window::Window;

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
    /// The list's order, as the operator chose it.
    pub sort: Sort,
    /// The chat the operator last answered, closed or paused: "next waiting" never picks it.
    pub just_left: Option<u64>,
    /// A colleague typing in, or just replying to, a chat (shown for the open one).
    pub colleague: Option<Colleague>,
    /// The chats the server returned for this search: a chat without `client` (the documented
    /// list) can only be matched by it, not by its theme.
    found: Vec<u64>,
    /// The last list page loaded, and whether the server has more.
    pub chats_page: u32,
    pub chats_more: bool,
    pub chats_loading: bool,
    /// The list must be asked again once the page in flight is in: it was asked before the hub
    /// session began, so events between the server's answer and the session could be in neither.
    /// Asked in turn rather than at once, so an older answer can never land after a newer one.
    chats_stale: bool,
    /// Live messages of chats the list did not hold while a page was on its way: applied when the
    /// page brings their chat, so a page older than them cannot hide them.
    unlisted: Vec<Message>,
    pub open: Option<u64>,
    /// The open chat's stored messages, ascending by id.
    pub thread: Vec<Message>,
    /// The part of `thread` that is drawn.
    pub window: Window,
    pub history: History,
    /// The first message that was unread when the chat was opened: the "New messages" divider
    /// goes above it.
    pub divider: Option<u64>,
    /// The open chat's unread count at opening, kept until its first page says where the divider
    /// goes (reading the chat zeroes the count at once).
    opened_unread: u32,
    /// The operator has scrolled up from the newest message.
    pub reading_back: bool,
    /// Messages that arrived while the operator read back: the "↓ N new" button's count.
    pub arrived: u32,
    /// The operator asked to jump to the newest message: the draw after this update scrolls to it
    /// (the next update clears it).
    pub jump: bool,
    pub typing: Option<Typing>,
    last_typing_ms: u64,
    pub outbox: Vec<Outgoing>,
    /// Each chat's unsent text: a draft belongs to its chat, never to whichever chat is open.
    pub drafts: Vec<Draft>,
    /// Each chat's file waiting in its composer (at most one per chat).
    pub attachments: Vec<Pending>,
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
    /// The panel starts connecting: the first list page is asked beside the negotiate, not after
    /// the handshake, so the first chats show one round trip sooner.
    Starting,
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
    /// Order the list by latest activity or longest wait.
    SortBy(Sort),
    /// Open the chat that has waited longest (never the one just answered).
    NextWaiting,
    /// Set the open chat's status (close, pause) and move on to the next waiting chat.
    StatusAndNext(u8),
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
    /// The operator scrolled away from the newest message (true) or back to it (false).
    ReadingBack(bool),
    /// The "↓ N new" button: show the newest messages.
    JumpLatest,
    OlderLoaded {
        chat_id: u64,
        page: MessagePage,
    },
    SetStatus(u8),
    /// A REST call failed; `refresh` reloads the list to undo an optimistic change.
    LoadFailed {
        refresh: bool,
    },
    /// A file for a chat's composer, previewed until Send.
    Attach(Pending),
    /// The preview's remove button.
    Detach(u64),
    /// Send the draft (and the waiting file) of `chat_id`: the chat the composer showed it for, whatever is open now.
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
            sort: Sort::default(),
            just_left: None,
            colleague: None,
            found: Vec::new(),
            chats_page: 0,
            chats_more: false,
            chats_loading: false,
            chats_stale: false,
            unlisted: Vec::new(),
            open: None,
            thread: Vec::new(),
            window: Window::default(),
            history: History::More,
            divider: None,
            opened_unread: 0,
            reading_back: false,
            arrived: 0,
            jump: false,
            typing: None,
            last_typing_ms: 0,
            outbox: Vec::new(),
            drafts: Vec::new(),
            attachments: Vec::new(),
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

fn arg<T: serde::de::DeserializeOwned>(args: &[Raw], i: usize) -> Option<T> {
    args.get(i)?.decode()
}

impl State {
    pub fn take_dirty(&mut self) -> Dirty {
        core::mem::take(&mut self.dirty)
    }

    /// A REST call failed: whatever waited for it may be asked again, and `refresh` reloads the
    /// list to undo an optimistic change.
    fn on_load_failed(&mut self, refresh: bool, fx: &mut Vec<Effect>) {
        self.chats_loading = false;
        // A reload the session waits for is asked now, once, with the one `refresh` wants.
        let stale = core::mem::take(&mut self.chats_stale);
        if matches!(self.history, History::Loading | History::Opening) {
            self.history = History::More;
            self.dirty.thread = true;
        }
        if refresh || stale {
            self.load_chats(1, fx);
        }
    }
}

/// The one way in: a dispatcher, so that what each message does is read in the file of its concern.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut effects = Vec::new();
    let fx = &mut effects;
    // A jump is drawn once, by the draw that follows the message asking for it.
    state.jump = false;
    match msg {
        // The hub session (session.rs).
        Msg::Starting => state.on_starting(fx),
        Msg::SocketOpened { now } => state.on_socket_opened(now, fx),
        Msg::Frame { text, now } => state.on_frame(&text, now, fx),
        Msg::SocketClosed => state.lose_session(Conn::Reconnecting),
        Msg::Tick { now } => state.on_tick(now, fx),
        Msg::Negotiated(ext) => state.ext = ext,
        Msg::Identity(me) => {
            state.me = me;
            state.dirty.thread = true;
        }
        Msg::Refused => state.lose_session(Conn::Refused),
        Msg::TokenFailed(problem) => state.on_token_failed(problem),
        Msg::TokenChanged => state.on_token_changed(),
        Msg::Network { online: false } => state.lose_session(Conn::Offline),
        Msg::Network { online: true } => state.back_online(),
        // The chat list (list.rs).
        Msg::ChatsLoaded(query, page) => state.on_chats_loaded(query, page, fx),
        Msg::Filter(status) => state.set_filter(status, fx),
        Msg::Search(text) => state.set_search(&text, fx),
        Msg::SortBy(sort) => state.set_sort(sort),
        Msg::NextWaiting => state.open_next(fx),
        Msg::StatusAndNext(status) => {
            state.just_left = state.open;
            state.set_status(status, fx);
            state.open_next(fx);
        }
        Msg::MoreChats => state.more_chats(fx),
        Msg::SetStatus(status) => state.set_status(status, fx),
        Msg::ChatGone(chat_id) => state.remove_chat(chat_id, fx),
        Msg::LoadFailed { refresh } => state.on_load_failed(refresh, fx),
        // The open thread (thread.rs).
        Msg::Looking(looking) => state.looking = looking,
        Msg::Open(chat_id) => state.on_open(chat_id, fx),
        Msg::Back => state.show_chat(None),
        Msg::HistoryLoaded { chat_id, page } => state.on_history_loaded(chat_id, page, fx),
        Msg::Older => state.on_older(fx),
        Msg::Newer => state.on_newer(),
        Msg::ReadingBack(back) => state.on_reading_back(back),
        Msg::JumpLatest => state.jump_latest(),
        Msg::OlderLoaded { chat_id, page } => state.on_older_loaded(chat_id, page, fx),
        // The outbox and drafts (outbox.rs).
        Msg::Send {
            chat_id,
            text,
            client_message_id,
            now,
        } => state.send_text(chat_id, &text, client_message_id, now, fx),
        Msg::Attach(file) => state.attach(file),
        Msg::Detach(chat_id) => {
            state.detach(chat_id);
        }
        Msg::Retry {
            client_message_id,
            now,
        } => state.retry(&client_message_id, now, fx),
        Msg::Draft { chat_id, text, now } => state.on_draft(chat_id, text, now, fx),
        Msg::Verified { chat_id, page } => state.on_verified(chat_id, page, now_of(state), fx),
        Msg::VerifyFailed(chat_id) => state.verifying.retain(|c| *c != chat_id),
        // What survives a reload (saved.rs).
        Msg::Restore(saved) => state.restore(saved),
    }
    // Whatever reaches the chat the operator is looking at is read at once.
    state.mark_read(fx);
    effects
}

/// The clock of the last frame heard or sent, for work that a message without a time starts.
fn now_of(state: &State) -> u64 {
    state.last_sent_ms.max(state.last_heard_ms)
}
