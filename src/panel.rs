//! One mounted panel: owns its view, its hub link (`link`), its tasks, timers and listeners, and
//! drives the state core. Dropping the [`Panel`] releases all of it and puts the page title back.

use crate::alert::{self, Chime};
use crate::api::{self, Api, ApiError, Call, Early, Reply};
use crate::backoff::Backoff;
use crate::dom::Listener;
use crate::i18n::Strings;
use crate::json;
use crate::media;
use crate::model::Message;
use crate::state::{update, ChatQuery, Conn, Dirty, Effect, Msg, Pending, Saved, Sort, State};
use crate::tasks::{self, Started, Tasks};
use crate::token::{self, TokenProblem};
use crate::view::{Placement, UiEvent, View};
use gloo_timers::callback::Interval;
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CustomEvent, CustomEventInit, Document, Element};

mod link;
mod replies;

use link::Link;

const DEFAULT_API: &str = "https://chatapi.smsbat.com";
/// How often the list's waiting times are redrawn: they show whole minutes.
const WAIT_REFRESH_MS: u32 = 60_000;

/// What the script element says.
struct Config {
    id: String,
    api: Api,
}

fn attr(script: &Element, name: &str) -> Option<String> {
    script
        .get_attribute(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    fn read(script: &Element) -> Config {
        let base = attr(script, "api")
            .unwrap_or_else(|| DEFAULT_API.into())
            .trim_end_matches('/')
            .to_owned();
        Config {
            id: script.get_attribute("id").unwrap_or_default(),
            api: Api {
                hub: attr(script, "hub").unwrap_or_else(|| [&base, "/chathub"].concat()),
                base,
                token: attr(script, "token").unwrap_or_default(),
            },
        }
    }
}

/// The `ready` promise and the functions that settle it.
struct Ready {
    promise: js_sys::Promise,
    resolve: js_sys::Function,
    reject: js_sys::Function,
    /// Marks the promise handled, so a rejection nobody awaits is not an uncaught error.
    _quiet: Closure<dyn FnMut(JsValue)>,
}

impl Ready {
    fn new() -> Ready {
        let mut settle = None;
        let promise = js_sys::Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
        let (resolve, reject) = settle.expect_throw("Promise executor runs at once");
        let quiet = Closure::<dyn FnMut(JsValue)>::new(|_| {});
        let _ = promise.catch(&quiet);
        Ready {
            promise,
            resolve,
            reject,
            _quiet: quiet,
        }
    }
}

/// Details of the `chathub:*` events, as plain objects.
#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct ConnectionDetail<'a> {
    state: &'a str,
}

#[derive(Serialize)]
struct UnreadDetail {
    count: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SoundDetail {
    chat_id: u64,
}

/// A REST call's answer, on its way.
type Answer = Started<Result<Reply, ApiError>>;

pub struct Panel {
    inner: Rc<Inner>,
}

struct Inner {
    script: Element,
    doc: Document,
    config: RefCell<Config>,
    state: RefCell<State>,
    view: View,
    link: RefCell<Link>,
    /// Counts links: a socket hands over frames and its end only while its link is the current one.
    generation: Cell<u64>,
    tasks: Tasks,
    backoff: RefCell<Backoff>,
    ready: Ready,
    listeners: RefCell<Vec<Listener>>,
    /// The page title before the unread count went into it.
    title: String,
    unread: Cell<u32>,
    strings: RefCell<Strings>,
    /// The `sound` attribute is not "off".
    sound: bool,
    chime: RefCell<Chime>,
    /// The last desktop notification with its click listener: both go when it is replaced or the
    /// panel unmounts.
    notification: RefCell<Option<alert::Shown>>,
    /// The one timer that keeps the list's "waiting 4 min" current (not one per row).
    _minute: Interval,
    /// The first list page, asked for before the panel's DOM was built: the first `LoadChats`
    /// takes it rather than asking again.
    first_list: RefCell<Option<(Call, Answer)>>,
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

fn random() -> u32 {
    (js_sys::Math::random() * f64::from(u32::MAX)) as u32
}

/// A random RFC 4122 version-4 id for idempotent sends.
fn client_message_id() -> String {
    let (a, b, c, d) = (random(), random(), random(), random());
    let mut out = String::with_capacity(36);
    let mut hex = |n: u32, digits: u32, then: &str| {
        for i in (0..digits).rev() {
            out.push(char::from_digit((n >> (4 * i)) & 0xf, 16).unwrap_or('0'));
        }
        out.push_str(then);
    };
    hex(a, 8, "-");
    hex(b >> 16, 4, "-4");
    hex(b & 0xfff, 3, "-");
    hex((d >> 16) & 0x3fff | 0x8000, 4, "-");
    hex(d & 0xffff, 4, "");
    hex(c, 8, "");
    out
}

fn window() -> web_sys::Window {
    web_sys::window().expect_throw("a window")
}

fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok()?
}

impl Panel {
    pub fn mount(script: &Element, early: Option<Early>) -> Panel {
        let config = Config::read(script);
        let doc = script
            .owner_document()
            .unwrap_or_else(|| window().document().expect_throw("a document"));
        let root = doc.document_element().expect_throw("a document element");
        let html_lang = root.get_attribute("lang").unwrap_or_default();
        let browser = window().navigator().language().unwrap_or_default();
        let lang = Strings::pick([
            attr(script, "lang").unwrap_or_default().as_str(),
            &html_lang,
            &browser,
        ]);
        let place = Placement {
            host_id: &[&config.id, "-host"].concat(),
            container: attr(script, "container")
                .and_then(|sel| root.query_selector(&sel).ok().flatten()),
            left: attr(script, "position").as_deref() == Some("bottom-left"),
            fallback_email: attr(script, "fallback-email"),
            fallback_url: attr(script, "fallback-url"),
            theme: attr(script, "theme"),
        };
        // Start-up waits on the list, not on the DOM: with a token that can work, the first page
        // leaves now, and builds the panel while it is on its way.
        let checked = token::inspect(&config.api.token, now() / 1000);
        let first_list = checked.is_ok().then(|| {
            let query = ChatQuery::first();
            let reply = tasks::start(config.api.first_list(&query, early));
            (Call::Chats(query), reply)
        });
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let weak = weak.clone();
            let minute = weak.clone();
            let on = move |ev: UiEvent| {
                if let Some(p) = weak.upgrade() {
                    p.on_ui(ev);
                }
            };
            Inner {
                view: View::build(&doc, place, Strings::new(lang), on),
                strings: RefCell::new(Strings::new(lang)),
                sound: attr(script, "sound").as_deref() != Some("off"),
                chime: RefCell::new(Chime::default()),
                notification: RefCell::new(None),
                _minute: Interval::new(WAIT_REFRESH_MS, move || {
                    if let Some(p) = minute.upgrade() {
                        let chats = Dirty {
                            chats: true,
                            ..Dirty::default()
                        };
                        p.view.render(&p.state.borrow(), chats);
                    }
                }),
                script: script.clone(),
                title: doc.title(),
                doc,
                config: RefCell::new(config),
                state: RefCell::new(State::default()),
                link: RefCell::new(Link::Idle),
                generation: Cell::new(0),
                tasks: Tasks::default(),
                backoff: RefCell::new(Backoff::default()),
                ready: Ready::new(),
                listeners: RefCell::new(Vec::new()),
                unread: Cell::new(0),
                first_list: RefCell::new(first_list),
            }
        });
        inner.listen();
        inner.view.start_open(script.has_attribute("open"));
        inner.dispatch(Msg::Looking(inner.looking()));
        if let Some(saved) = inner.load_saved() {
            inner.dispatch(Msg::Restore(saved));
        }
        if let Some(sort) = inner.load_sort() {
            inner.dispatch(Msg::SortBy(sort));
        }
        inner.view.render(
            &inner.state.borrow(),
            Dirty {
                conn: true,
                chats: true,
                thread: true,
                saved: false,
                typing: true,
            },
        );
        inner.view.set_notify(alert::notify_key());
        if lang != "en" {
            inner.load_locale(script, lang);
        }
        inner.begin(checked);
        // Not taken (the core asked for another page first): dropping it aborts it.
        drop(inner.first_list.take());
        // Queued after the first requests' tasks, so it runs once they are on the network: the
        // browser's locale data then loads while they are in flight, not before they leave.
        let weak = Rc::downgrade(&inner);
        inner.tasks.spawn(Box::pin(async move {
            if let Some(p) = weak.upgrade() {
                p.view.warm_dates();
            }
        }));
        Panel { inner }
    }

    pub fn id(&self) -> String {
        self.inner.config.borrow().id.clone()
    }

    pub fn is_for(&self, script: &Element) -> bool {
        &self.inner.script == script
    }

    pub fn ready(&self) -> js_sys::Promise {
        self.inner.ready.promise.clone()
    }

    /// Shows the panel (`Some(true)`), hides it (`Some(false)`) or flips it (`None`).
    pub fn set_open(&self, open: Option<bool>) {
        let view = &self.inner.view;
        self.inner.show(open.unwrap_or(!view.is_open()));
    }

    /// The script's `token` attribute changed: reconnect with it, keeping everything else.
    pub fn token_changed(&self) {
        let token = Config::read(&self.inner.script).api.token;
        if token != self.inner.config.borrow().api.token {
            self.inner.config.borrow_mut().api.token = token;
            self.inner.set_link(Link::Idle);
            self.inner.dispatch(Msg::TokenChanged);
            self.inner.start();
        }
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        let p = &self.inner;
        p.set_link(Link::Idle);
        p.listeners.borrow_mut().clear();
        // Dropped outside the borrow: closing may dispatch the notification's events.
        let shown = p.notification.borrow_mut().take();
        drop(shown);
        if p.unread.get() > 0 {
            p.doc.set_title(&p.title);
        }
        p.emit("chathub:destroyed", &JsValue::UNDEFINED);
        // The requests and file reads still running go with `tasks` when `inner` drops.
    }
}

impl Inner {
    fn storage_key(&self) -> String {
        ["chathub:", &self.config.borrow().id].concat()
    }

    fn load_saved(&self) -> Option<Saved> {
        let text = session_storage()?.get_item(&self.storage_key()).ok()??;
        json::from_str(&text)
    }

    fn save(&self) {
        let Some(storage) = session_storage() else {
            return;
        };
        let _ = match self.state.borrow().saved_json() {
            Some(text) => storage.set_item(&self.storage_key(), &text),
            None => storage.remove_item(&self.storage_key()),
        };
    }

    /// The list's order is the operator's choice in this browser, for every session: localStorage.
    fn sort_key(&self) -> String {
        ["chathub-sort:", &self.config.borrow().id].concat()
    }

    fn load_sort(&self) -> Option<Sort> {
        let storage = window().local_storage().ok()??;
        Sort::from_name(&storage.get_item(&self.sort_key()).ok()??)
    }

    fn set_sort(self: &Rc<Self>, sort: Sort) {
        if let Some(storage) = window().local_storage().ok().flatten() {
            let _ = storage.set_item(&self.sort_key(), sort.name());
        }
        self.dispatch(Msg::SortBy(sort));
    }

    /// Puts the customer's phone on the clipboard and says so (or nothing, if the browser refuses).
    fn copy(self: &Rc<Self>, text: String) {
        let clipboard = js_sys::Reflect::get(&window().navigator(), &"clipboard".into())
            .ok()
            .filter(|c| c.is_object());
        let written = clipboard.and_then(|c| {
            let write = js_sys::Reflect::get(&c, &"writeText".into()).ok()?;
            let promise = write
                .dyn_ref::<js_sys::Function>()?
                .call1(&c, &text.as_str().into());
            promise.ok()?.dyn_into::<js_sys::Promise>().ok()
        });
        let Some(written) = written else { return };
        let weak = Rc::downgrade(self);
        self.tasks.spawn(Box::pin(async move {
            let done = JsFuture::from(written).await.is_ok();
            if let Some(p) = weak.upgrade().filter(|_| done) {
                let line = p.strings.borrow().fill("notice.copied", &[("name", &text)]);
                p.view.notice(&line);
            }
        }));
    }

    /// Reconnect at once when the browser says the network or the page came back.
    fn listen(self: &Rc<Self>) {
        let wake = |online: Option<bool>| {
            let weak = Rc::downgrade(self);
            move |_: web_sys::Event| {
                let Some(p) = weak.upgrade() else { return };
                if let Some(online) = online {
                    p.dispatch(Msg::Network { online });
                }
                p.dispatch(Msg::Looking(p.looking()));
                if online == Some(false) {
                    // The socket may linger half-dead; retry on the backoff until `online` wakes us.
                    p.schedule_reconnect();
                } else if !p.doc.hidden() {
                    p.wake();
                }
            }
        };
        let window = window();
        *self.listeners.borrow_mut() = vec![
            Listener::new(&window, "online", wake(Some(true))),
            Listener::new(&window, "offline", wake(Some(false))),
            Listener::new(&window, "pageshow", wake(None)),
            Listener::new(&self.doc, "visibilitychange", wake(None)),
        ];
    }

    /// Whether the operator sees the open chat: the panel is open and the page visible.
    fn looking(&self) -> bool {
        self.view.is_open() && !self.doc.hidden()
    }

    /// Opens or closes the panel; what the operator sees now is read.
    fn show(self: &Rc<Self>, open: bool) {
        self.view.set_open(open);
        self.dispatch(Msg::Looking(self.looking()));
    }

    /// Reports a refusal and rejects `ready` with it.
    fn refuse(&self, code: &str, message: &str) -> js_sys::Error {
        self.report(code, message);
        let error = js_sys::Error::new(message);
        let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
        let _ = self.ready.reject.call1(&JsValue::NULL, &error);
        error
    }

    fn report(&self, code: &str, message: &str) {
        self.emit_detail("chathub:error", &ErrorDetail { code, message });
    }

    /// A `chathub:*` event on the script element, bubbling.
    fn emit(&self, name: &str, detail: &JsValue) {
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_detail(detail);
        if let Ok(e) = CustomEvent::new_with_event_init_dict(name, &init) {
            let _ = self.script.dispatch_event(&e);
        }
    }

    fn emit_detail<T: Serialize>(&self, name: &str, detail: &T) {
        let detail = json::to_js(detail).unwrap_or(JsValue::UNDEFINED);
        self.emit(name, &detail);
    }

    fn on_ui(self: &Rc<Self>, ev: UiEvent) {
        let msg = match ev {
            UiEvent::Open(id) => Msg::Open(id),
            UiEvent::Back => Msg::Back,
            UiEvent::Send { chat_id, text } => Msg::Send {
                chat_id,
                text,
                client_message_id: client_message_id(),
                now: now(),
            },
            UiEvent::Retry(client_message_id) => Msg::Retry {
                client_message_id,
                now: now(),
            },
            UiEvent::Draft { chat_id, text } => Msg::Draft {
                chat_id,
                text,
                now: now(),
            },
            UiEvent::Filter(status) => Msg::Filter(status),
            UiEvent::Search(text) => Msg::Search(text),
            UiEvent::MoreChats => Msg::MoreChats,
            UiEvent::Older => Msg::Older,
            UiEvent::Newer => Msg::Newer,
            UiEvent::ReadingBack(back) => Msg::ReadingBack(back),
            UiEvent::JumpLatest => Msg::JumpLatest,
            UiEvent::SetStatus(status) => Msg::SetStatus(status),
            UiEvent::Attach { chat_id, file } => return self.attach(chat_id, file),
            UiEvent::Detach(chat_id) => Msg::Detach(chat_id),
            UiEvent::Notify => return self.ask_permission(),
            UiEvent::Media {
                message_id, url, ..
            } => return self.request(Call::Media { message_id, url }),
            UiEvent::Toggle => return self.show(!self.view.is_open()),
            UiEvent::Close => return self.show(false),
            UiEvent::Sort(sort) => return self.set_sort(sort),
            UiEvent::Copy(text) => return self.copy(text),
            UiEvent::LoadReplies => return self.load_replies(),
            UiEvent::Reply(text) => return self.fill_reply(&text),
            UiEvent::NextWaiting => Msg::NextWaiting,
            UiEvent::StatusAndNext(status) => Msg::StatusAndNext(status),
        };
        self.dispatch(msg);
    }

    /// Runs the core, redraws what changed, then performs the effects (never inside a borrow).
    fn dispatch(self: &Rc<Self>, msg: Msg) {
        let (fx, dirty, conn, unread) = {
            let mut s = self.state.borrow_mut();
            let fx = update(&mut s, msg);
            (fx, s.take_dirty(), s.conn, s.unread())
        };
        self.view.render(&self.state.borrow(), dirty);
        if dirty.saved {
            self.save();
        }
        if dirty.conn {
            self.on_conn(conn);
        }
        if unread != self.unread.replace(unread) {
            self.on_unread(unread);
        }
        for e in fx {
            self.perform(e);
        }
    }

    fn on_conn(&self, conn: Conn) {
        if conn == Conn::Connected {
            self.backoff.borrow_mut().connected(now());
            let _ = self
                .ready
                .resolve
                .call1(&JsValue::NULL, &JsValue::UNDEFINED);
            self.emit("chathub:ready", &JsValue::UNDEFINED);
        }
        let state = conn.name();
        self.emit_detail("chathub:connection", &ConnectionDetail { state });
    }

    fn on_unread(&self, count: u32) {
        let title = if count > 0 {
            ["(", &count.to_string(), ") ", &self.title].concat()
        } else {
            self.title.clone()
        };
        self.doc.set_title(&title);
        self.emit_detail("chathub:unread", &UnreadDetail { count });
    }

    fn perform(self: &Rc<Self>, effect: Effect) {
        match effect {
            Effect::Send(record) => {
                if let Link::Open { out, .. } = &*self.link.borrow() {
                    let _ = out.unbounded_send(record);
                }
            }
            Effect::LoadChats(query) => self.request(Call::Chats(query)),
            Effect::LoadHistory(chat_id) => self.request(Call::Messages {
                chat_id,
                before: None,
            }),
            Effect::LoadOlder { chat_id, before } => self.request(Call::Messages {
                chat_id,
                before: Some(before),
            }),
            Effect::Verify(chat_id) => self.request(Call::Verify(chat_id)),
            Effect::SetStatus { chat_id, status } => self.request(Call::Status { chat_id, status }),
            Effect::Reconnect => self.schedule_reconnect(),
            Effect::Error { code, message } => self.report(code, &message),
            Effect::Notice { key, name } => {
                let text = self.strings.borrow().fill(key, &[("name", &name)]);
                self.view.notice(&text);
            }
            Effect::Received(m, raw) => {
                self.emit("chathub:message", &raw.to_js());
                self.alert(&m);
            }
        }
    }

    /// A client message while the operator is not looking: chime and, if allowed, notify.
    fn alert(self: &Rc<Self>, m: &Message) {
        if m.author != 1 || (self.view.is_open() && !self.doc.hidden()) {
            return;
        }
        if self.sound {
            self.chime.borrow_mut().play();
            let chat_id = m.chat_id;
            self.emit_detail("chathub:sound", &SoundDetail { chat_id });
        }
        let name = self
            .state
            .borrow()
            .chat(m.chat_id)
            .map(|c| c.title().to_owned())
            .unwrap_or_default();
        let title = self
            .strings
            .borrow()
            .fill("notify.title", &[("name", &name)]);
        let body = m.preview().unwrap_or("");
        let (weak, chat_id) = (Rc::downgrade(self), m.chat_id);
        let clicked = move || {
            if let Some(p) = weak.upgrade() {
                p.notification_clicked(chat_id);
            }
        };
        if let Some(n) = alert::notify(&title, body, &m.chat_id.to_string(), clicked) {
            // The old one (and its listener) is dropped outside the borrow.
            let old = self.notification.borrow_mut().replace(n);
            drop(old);
        }
    }

    /// A desktop notification was clicked: bring the page forward, open the panel on that chat.
    fn notification_clicked(self: &Rc<Self>, chat_id: u64) {
        if let Some(w) = web_sys::window() {
            let _ = w.focus();
        }
        self.dispatch(Msg::Open(chat_id));
        self.show(true);
        // Only closed here, not dropped: this runs inside the notification's own listener. Closed
        // outside the borrow, since closing may dispatch the notification's events.
        let note = self.notification.borrow().as_ref().map(alert::Shown::note);
        if let Some(n) = note {
            n.close();
        }
    }

    /// Runs a REST call as one of the panel's tasks, with the API as it is now. Its answer is handed
    /// back only while the panel lives and the token is still the one it was made with: the session
    /// of a newer token reloads what it needs.
    fn request(self: &Rc<Self>, call: Call) {
        let api = self.config.borrow().api.clone();
        let early = match call {
            Call::Chats(_) => self.first_list.take().filter(|(asked, _)| *asked == call),
            _ => None,
        };
        // Started here, so the fetch leaves now even while the caller has more to do.
        let reply = early.map_or_else(|| tasks::start(api.call(&call)), |(_, reply)| reply);
        let (weak, token) = (Rc::downgrade(self), api.token);
        self.tasks.spawn(Box::pin(async move {
            let reply = reply.await;
            let Some(p) = weak.upgrade() else { return };
            if p.config.borrow().api.token == token {
                p.answered(call, reply);
            }
        }));
    }

    /// A REST call's answer, as the core takes it.
    fn answered(self: &Rc<Self>, call: Call, reply: Result<Reply, ApiError>) {
        let msg = match (call, reply) {
            (_, Err(ApiError::Unauthorized)) => return self.fail_token(TokenProblem::Expired),
            (_, Err(ApiError::Forbidden)) => return self.fail_refused(),
            (Call::Chats(query), Ok(Reply::Chats(page))) => Msg::ChatsLoaded(query, page),
            (Call::Messages { chat_id, before }, Ok(Reply::Messages(page))) => match before {
                None => Msg::HistoryLoaded { chat_id, page },
                Some(_) => Msg::OlderLoaded { chat_id, page },
            },
            (Call::Verify(chat_id), Ok(Reply::Messages(page))) => Msg::Verified { chat_id, page },
            (Call::Media { message_id, .. }, Ok(Reply::Blob(blob))) => {
                return self.view.media_ready(message_id, &blob)
            }
            (Call::Status { .. } | Call::Media { .. }, Ok(_)) => return,
            (
                Call::Messages { chat_id, .. }
                | Call::Verify(chat_id)
                | Call::Status { chat_id, .. },
                Err(ApiError::NotFound),
            ) => Msg::ChatGone(chat_id),
            (Call::Verify(chat_id), _) => Msg::VerifyFailed(chat_id),
            // A missing picture stays a link; nothing else waits on it.
            (Call::Media { .. }, _) => return,
            // The list reloads to undo the optimistic change.
            (call, _) => {
                self.report("request_failed", "request failed");
                let refresh = matches!(call, Call::Status { .. });
                Msg::LoadFailed { refresh }
            }
        };
        self.dispatch(msg);
    }

    /// A language other than English: its strings beside the loader, whatever page embeds it.
    fn load_locale(self: &Rc<Self>, script: &Element, lang: &'static str) {
        // The built loader names each file by its content hash; without it (an unbuilt loader, the
        // browser tests) the plain name beside the loader, from its resolved URL (the property).
        let Some(url) = crate::mount::locale_url(lang).or_else(|| {
            let src = script.dyn_ref::<web_sys::HtmlScriptElement>()?.src();
            let dir = &src[..=src.rfind('/')?];
            Some([dir, "locales/", lang, ".json"].concat())
        }) else {
            return;
        };
        let weak = Rc::downgrade(self);
        self.tasks.spawn(Box::pin(async move {
            let Ok(text) = api::text(&url).await else {
                return;
            };
            let Some(p) = weak.upgrade() else { return };
            let strings = Strings::from_json(lang, &text);
            p.view.set_strings(strings.clone());
            *p.strings.borrow_mut() = strings;
            // Redraw dates and labels in the new language now, not on the next change.
            p.view.render(&p.state.borrow(), Dirty::default());
        }));
    }

    /// Reads a file for `chat_id`'s composer (previewed until Send), or tells the operator why not.
    /// The size is checked before reading: a file of gigabytes never enters the wasm's memory.
    fn attach(self: &Rc<Self>, chat_id: u64, file: web_sys::File) {
        let name = file.name();
        let size = file.size() as u64;
        if size > media::MAX_BYTES as u64 {
            self.view.file_too_big(&name, size, media::MAX_BYTES as u64);
            return self.report("file_too_big", "the file is larger than 5 MB");
        }
        let weak = Rc::downgrade(self);
        self.tasks.spawn(Box::pin(async move {
            let read = JsFuture::from(file.array_buffer()).await;
            let Some(p) = weak.upgrade() else { return };
            let Ok(buffer) = read else {
                return p.report("file_unreadable", "the file could not be read");
            };
            p.dispatch(Msg::Attach(Pending {
                chat_id,
                name,
                format: file.type_(),
                bytes: js_sys::Uint8Array::new(&buffer).to_vec(),
                client_message_id: client_message_id(),
            }));
        }));
    }

    /// Asks for desktop-notification permission (only ever from the opt-in button).
    fn ask_permission(self: &Rc<Self>) {
        let Ok(asked) = web_sys::Notification::request_permission() else {
            return;
        };
        let weak = Rc::downgrade(self);
        self.tasks.spawn(Box::pin(async move {
            let _ = JsFuture::from(asked).await;
            if let Some(p) = weak.upgrade() {
                p.view.set_notify(alert::notify_key());
            }
        }));
    }
}
