//! One mounted panel: owns its view, socket, timers, listeners and requests, and drives the state
//! core. Dropping the [`Panel`] releases all of it and puts the page title back.

use crate::alert::{self, Chime};
use crate::api::{Api, ApiError, Call};
use crate::backoff::Backoff;
use crate::dom::{self, Listener};
use crate::i18n::Strings;
use crate::json;
use crate::media;
use crate::model::{ChatPage, Message, MessagePage, Negotiated};
use crate::socket::{Socket, SocketEvent};
use crate::state::{update, Conn, Dirty, Effect, Extensions, Msg, Saved, State};
use crate::text::{cat, num};
use crate::token::{self, TokenProblem};
use crate::view::{Placement, UiEvent, View};
use gloo_timers::callback::{Interval, Timeout};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, CustomEvent, Document, Element, ErrorEvent, Notification};

const DEFAULT_API: &str = "https://chatapi.smsbat.com";
const TICK_MS: u32 = 2_000;
/// A negotiate that has not answered by then is given up and retried on the backoff: a server that
/// accepts connections but never answers (paused, half-open) would otherwise hold the panel forever.
const NEGOTIATE_MS: u32 = 10_000;

/// What the script element says.
struct Config {
    id: String,
    api: String,
    hub: String,
    token: String,
}

fn attr(script: &Element, name: &str) -> Option<String> {
    script
        .get_attribute(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl Config {
    fn read(script: &Element) -> Config {
        let api = attr(script, "api")
            .unwrap_or_else(|| DEFAULT_API.into())
            .trim_end_matches('/')
            .to_owned();
        Config {
            id: script.get_attribute("id").unwrap_or_default(),
            hub: attr(script, "hub").unwrap_or_else(|| cat(&[&api, "/chathub"])),
            api,
            token: attr(script, "token").unwrap_or_default(),
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
        dom::then(&promise, &JsValue::UNDEFINED, quiet.as_ref());
        Ready {
            promise,
            resolve,
            reject,
            _quiet: quiet,
        }
    }
}

pub struct Panel {
    inner: Rc<Inner>,
}

struct Inner {
    script: Element,
    doc: Document,
    config: RefCell<Config>,
    state: RefCell<State>,
    view: View,
    socket: RefCell<Option<Socket>>,
    retry: RefCell<Option<Timeout>>,
    /// The pending negotiate's own abort handle and its deadline.
    negotiation: RefCell<Option<(AbortController, Timeout)>>,
    ticker: RefCell<Option<Interval>>,
    backoff: RefCell<Backoff>,
    requests: AbortController,
    ready: Ready,
    listeners: RefCell<Vec<Listener>>,
    /// The page title before the unread count went into it.
    title: String,
    unread: Cell<u32>,
    strings: RefCell<Strings>,
    /// The `sound` attribute is not "off".
    sound: bool,
    chime: RefCell<Chime>,
    /// The last desktop notification, closed on unmount.
    notification: RefCell<Option<Notification>>,
}

/// Work that waits for the browser: each is one promise (two for a call: the response, then its body).
enum Job {
    Call(Call),
    /// Read an attached file's bytes.
    File(web_sys::File),
    /// Ask for desktop-notification permission (only ever from the opt-in button).
    Permission,
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
    // "{a:08x}-{b>>16:04x}-4{b&0xfff:03x}-{variant:04x}-{d&0xffff:04x}{c:08x}", without core::fmt.
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

fn session_storage() -> Option<web_sys::Storage> {
    dom::window().session_storage().ok()?
}

impl Panel {
    pub fn mount(script: &Element) -> Panel {
        let config = Config::read(script);
        let doc: Document = dom::get(script, "ownerDocument").unchecked_into();
        // Never null: the script element is in this document.
        let root: Element = dom::get(&doc, "documentElement").unchecked_into();
        let html_lang = root.get_attribute("lang").unwrap_or_default();
        let browser = dom::string(&dom::get(&dom::window(), "navigator"), "language");
        let lang = Strings::pick([
            attr(script, "lang").unwrap_or_default().as_str(),
            &html_lang,
            &browser,
        ]);
        let place = Placement {
            host_id: &cat(&[&config.id, "-host"]),
            container: attr(script, "container")
                .and_then(|sel| root.query_selector(&sel).ok().flatten()),
            left: attr(script, "position").as_deref() == Some("bottom-left"),
            fallback_email: attr(script, "fallback-email"),
            fallback_url: attr(script, "fallback-url"),
            theme: attr(script, "theme"),
        };
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let weak = weak.clone();
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
                script: script.clone(),
                title: dom::string(&doc, "title"),
                doc,
                config: RefCell::new(config),
                state: RefCell::new(State::default()),
                socket: RefCell::new(None),
                retry: RefCell::new(None),
                negotiation: RefCell::new(None),
                ticker: RefCell::new(None),
                backoff: RefCell::new(Backoff::default()),
                requests: AbortController::new().expect_throw("AbortController"),
                ready: Ready::new(),
                listeners: RefCell::new(Vec::new()),
                unread: Cell::new(0),
            }
        });
        inner.listen();
        inner.view.start_open(dom::has(script, "open"));
        inner.dispatch(Msg::Looking(inner.looking()));
        if let Some(saved) = inner.load_saved() {
            inner.dispatch(Msg::Restore(saved));
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
            // Beside the wasm: the loader's own folder, whatever page embeds it.
            // The resolved URL (the property, not the attribute).
            let src = dom::string(script, "src");
            // Bytes, not str::rfind: that links a char searcher for this one call.
            if let Some(dir) = src.bytes().rposition(|b| b == b'/').map(|i| &src[..=i]) {
                let mut url = String::from(dir);
                url.push_str("locales/");
                url.push_str(lang);
                url.push_str(".json");
                inner.run(Job::Call(Call::Locale(url)));
            }
        }
        inner.start();
        Panel { inner }
    }

    pub fn id(&self) -> String {
        self.inner.config.borrow().id.clone()
    }

    pub fn is_for(&self, script: &Element) -> bool {
        dom::same(&self.inner.script, script)
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
        let token = Config::read(&self.inner.script).token;
        if token != self.inner.config.borrow().token {
            self.inner.config.borrow_mut().token = token;
            self.inner.drop_connection();
            self.inner.dispatch(Msg::TokenChanged);
            self.inner.start();
        }
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        let p = &self.inner;
        p.requests.abort();
        p.drop_connection();
        p.listeners.borrow_mut().clear();
        if let Some(n) = p.notification.borrow_mut().take() {
            dom::close(&n);
        }
        if p.unread.get() > 0 {
            p.doc.set_title(&p.title);
        }
        p.emit("chathub:destroyed", &JsValue::UNDEFINED);
    }
}

impl Inner {
    fn storage_key(&self) -> String {
        cat(&["chathub:", &self.config.borrow().id])
    }

    fn load_saved(&self) -> Option<Saved> {
        let text = session_storage()?.get_item(&self.storage_key()).ok()??;
        crate::json::from_str(&text)
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

    /// Reconnect at once when the browser says the network or the page came back.
    fn listen(self: &Rc<Self>) {
        let window = dom::window();
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
                } else if !dom::truth(&p.doc, "hidden") {
                    p.wake();
                }
            }
        };
        *self.listeners.borrow_mut() = vec![
            Listener::new(&window, "online", wake(Some(true))),
            Listener::new(&window, "offline", wake(Some(false))),
            Listener::new(&window, "pageshow", wake(None)),
            Listener::new(&self.doc, "visibilitychange", wake(None)),
        ];
    }

    /// Whether the operator sees the open chat: the panel is open and the page visible.
    fn looking(&self) -> bool {
        self.view.is_open() && !dom::truth(&self.doc, "hidden")
    }

    /// Opens or closes the panel; what the operator sees now is read.
    fn show(self: &Rc<Self>, open: bool) {
        self.view.set_open(open);
        self.dispatch(Msg::Looking(self.looking()));
    }

    /// Skips the backoff wait if a retry is pending.
    fn wake(self: &Rc<Self>) {
        if self.retry.borrow_mut().take().is_some() {
            self.start();
        }
    }

    /// Checks the token, then connects.
    fn start(self: &Rc<Self>) {
        let checked = token::inspect(&self.config.borrow().token, now() / 1000);
        match checked {
            Err(problem) => self.fail_token(problem),
            Ok(claims) => {
                if self.state.borrow().me != claims.operator {
                    self.dispatch(Msg::Identity(claims.operator));
                }
                self.connect();
            }
        }
    }

    fn connect(self: &Rc<Self>) {
        let Ok(abort) = AbortController::new() else {
            return self.schedule_reconnect();
        };
        let weak = Rc::downgrade(self);
        let deadline = Timeout::new(NEGOTIATE_MS, move || {
            if let Some(p) = weak.upgrade() {
                p.schedule_reconnect(); // drops the negotiation, which aborts its request
            }
        });
        *self.negotiation.borrow_mut() = Some((abort, deadline));
        self.run(Job::Call(Call::Negotiate));
    }

    fn open_socket(self: &Rc<Self>, connection_token: &str) {
        let url = {
            let c = self.config.borrow();
            // http(s):// becomes ws(s)://; strip_prefix rather than replacen, which links a substring search.
            let mut url = match c.hub.strip_prefix("http") {
                Some(rest) => cat(&["ws", rest]),
                None => c.hub.clone(),
            };
            url.push_str("?id=");
            url.push_str(&String::from(js_sys::encode_uri_component(
                connection_token,
            )));
            url.push_str("&access_token=");
            url.push_str(&String::from(js_sys::encode_uri_component(&c.token)));
            url
        };
        let weak = Rc::downgrade(self);
        let on = move |e: SocketEvent| {
            let Some(p) = weak.upgrade() else { return };
            match e {
                SocketEvent::Open => p.dispatch(Msg::SocketOpened { now: now() }),
                SocketEvent::Text(text) => p.dispatch(Msg::Frame { text, now: now() }),
                SocketEvent::Closed => {
                    p.dispatch(Msg::SocketClosed);
                    p.schedule_reconnect();
                }
            }
        };
        let Ok(socket) = Socket::open(&url, on) else {
            return self.schedule_reconnect();
        };
        *self.socket.borrow_mut() = Some(socket);
        let weak = Rc::downgrade(self);
        *self.ticker.borrow_mut() = Some(Interval::new(TICK_MS, move || {
            if let Some(p) = weak.upgrade() {
                p.dispatch(Msg::Tick { now: now() });
            }
        }));
    }

    fn drop_connection(&self) {
        if let Some((abort, _deadline)) = self.negotiation.borrow_mut().take() {
            abort.abort();
        }
        self.socket.borrow_mut().take();
        self.ticker.borrow_mut().take();
        self.retry.borrow_mut().take();
    }

    fn schedule_reconnect(self: &Rc<Self>) {
        self.drop_connection();
        if !self.state.borrow().conn.retries() {
            return;
        }
        let delay = self.backoff.borrow_mut().next_delay(now(), random());
        let weak = Rc::downgrade(self);
        *self.retry.borrow_mut() = Some(Timeout::new(delay as u32, move || {
            if let Some(p) = weak.upgrade() {
                p.retry.borrow_mut().take();
                p.start();
            }
        }));
    }

    fn fail_token(self: &Rc<Self>, problem: TokenProblem) {
        let (code, message) = match problem {
            TokenProblem::Expired => ("token_expired", "token expired"),
            TokenProblem::Invalid => ("token_invalid", "Invalid token"),
        };
        self.drop_connection();
        self.dispatch(Msg::TokenFailed(problem));
        self.report(code, message);
        let error = js_sys::Error::new(message);
        let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
        let _ = self.ready.reject.call1(&JsValue::NULL, &error);
        // The provider's troubleshooting page looks for this on window.
        let init = dom::object(&[("message", &message.into()), ("error", &error)]);
        if let Ok(e) = ErrorEvent::new_with_event_init_dict("error", init.unchecked_ref()) {
            let _ = dom::window().dispatch_event(&e);
        }
    }

    /// The server refused this operator (403): only a new token helps, so retries stop.
    fn fail_refused(self: &Rc<Self>) {
        let message = "Operator refused by the server";
        self.drop_connection();
        self.dispatch(Msg::Refused);
        self.report("operator_refused", message);
        let error = js_sys::Error::new(message);
        let _ = js_sys::Reflect::set(&error, &"code".into(), &"operator_refused".into());
        let _ = self.ready.reject.call1(&JsValue::NULL, &error);
    }

    fn report(&self, code: &str, message: &str) {
        self.emit_fields(
            "chathub:error",
            &[("code", &code.into()), ("message", &message.into())],
        );
    }

    /// A `chathub:*` event on the script element, bubbling.
    fn emit(&self, name: &str, detail: &JsValue) {
        let init = dom::object(&[("bubbles", &JsValue::TRUE), ("detail", detail)]);
        if let Ok(e) = CustomEvent::new_with_event_init_dict(name, init.unchecked_ref()) {
            let _ = self.script.dispatch_event(&e);
        }
    }

    /// An event whose detail is a small object made here, with no serializer.
    fn emit_fields(&self, name: &str, fields: &[(&str, &JsValue)]) {
        self.emit(name, &dom::object(fields));
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
            UiEvent::SetStatus(status) => Msg::SetStatus(status),
            UiEvent::Attach(file) => return self.run(Job::File(file)),
            UiEvent::Notify => return self.run(Job::Permission),
            UiEvent::Media {
                message_id, url, ..
            } => return self.run(Job::Call(Call::Media { message_id, url })),
            UiEvent::Toggle => return self.show(!self.view.is_open()),
            UiEvent::Close => return self.show(false),
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
        self.emit_fields("chathub:connection", &[("state", &conn.name().into())]);
    }

    fn on_unread(&self, unread: u32) {
        let title = if unread > 0 {
            cat(&["(", &num(unread.into()), ") ", &self.title])
        } else {
            self.title.clone()
        };
        self.doc.set_title(&title);
        self.emit_fields("chathub:unread", &[("count", &unread.into())]);
    }

    fn perform(self: &Rc<Self>, effect: Effect) {
        let call = match effect {
            Effect::Send(record) => {
                if let Some(s) = self.socket.borrow().as_ref() {
                    s.send(&record);
                }
                return;
            }
            Effect::LoadChats(query) => Call::Chats(query),
            Effect::LoadHistory(chat_id) => Call::History(chat_id),
            Effect::LoadOlder { chat_id, before } => Call::Older { chat_id, before },
            Effect::SetStatus { chat_id, status } => Call::Status { chat_id, status },
            Effect::Reconnect => return self.schedule_reconnect(),
            Effect::Verify(chat_id) => Call::Verify(chat_id),
            Effect::Notice { key, name } => {
                let text = self.strings.borrow().fill(key, &[("name", &name)]);
                return self.view.notice(&text);
            }
            Effect::Error { code, message } => return self.report(code, &message),
            Effect::Received(m, json) => {
                self.emit("chathub:message", &json.to_js());
                return self.alert(&m);
            }
        };
        self.run(Job::Call(call));
    }

    /// A client message while the operator is not looking: chime and, if allowed, notify.
    fn alert(&self, m: &Message) {
        if m.author != 1 || (self.view.is_open() && !dom::truth(&self.doc, "hidden")) {
            return;
        }
        if self.sound {
            self.chime.borrow_mut().play();
            self.emit_fields("chathub:sound", &[("chatId", &(m.chat_id as f64).into())]);
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
        let tag = num(m.chat_id);
        if let Some(n) = alert::notify(&title, body, &tag) {
            if let Some(old) = self.notification.borrow_mut().replace(n) {
                dom::close(&old);
            }
        }
    }

    /// Runs a job under an abort signal and hands its result back, unless the panel is gone or the
    /// signal fired. A negotiate has its own signal (see [`Inner::connect`]); the rest share the panel's.
    fn run(self: &Rc<Self>, job: Job) {
        let api = {
            let c = self.config.borrow();
            let base = match &job {
                Job::Call(Call::Negotiate) => c.hub.clone(),
                Job::Call(Call::Locale(_)) => String::new(),
                _ => c.api.clone(),
            };
            let negotiation = self.negotiation.borrow();
            let abort = match (&job, negotiation.as_ref()) {
                (Job::Call(Call::Negotiate), Some((abort, _))) => abort,
                _ => &self.requests,
            };
            let signal = dom::get(abort, "signal").unchecked_into();
            Api {
                base,
                token: c.token.clone(),
                signal,
            }
        };
        let promise = match &job {
            Job::Call(call) => api.request(call),
            Job::File(file) => Ok(file.array_buffer()),
            Job::Permission => Notification::request_permission().map_err(|_| ApiError::Body),
        };
        match promise {
            Ok(promise) => self.wait(promise, job, api, true),
            Err(e) => self.settled(job, &api.token, Err(e)),
        }
    }

    /// Waits for one step of a job. A call's first step is its response, whose body is the second.
    fn wait(self: &Rc<Self>, promise: js_sys::Promise, job: Job, api: Api, first: bool) {
        let weak = Rc::downgrade(self);
        dom::when(
            &promise,
            Box::new(move |result| {
                let Some(p) = weak
                    .upgrade()
                    .filter(|_| !dom::truth(&api.signal, "aborted"))
                else {
                    return;
                };
                let result = result.map_err(|_| ApiError::Network);
                match (&job, result) {
                    (Job::Call(call), Ok(response)) if first => match Api::body(call, &response) {
                        Ok(body) => p.wait(body, job, api, false),
                        Err(e) => p.settled(job, &api.token, Err(e)),
                    },
                    (_, result) => p.settled(job, &api.token, result),
                }
            }),
        );
    }

    fn settled(self: &Rc<Self>, job: Job, token: &str, result: Result<JsValue, ApiError>) {
        if matches!(job, Job::Call(ref c) if !matches!(c, Call::Locale(_)))
            && token != self.config.borrow().token
        {
            return; // made with a token since replaced; the new session reloads what it needs
        }
        let value = match result {
            Ok(value) => value,
            Err(ApiError::Unauthorized) => return self.fail_token(TokenProblem::Expired),
            Err(ApiError::Status(403)) => return self.fail_refused(),
            Err(ApiError::Status(404)) => match &job {
                Job::Call(
                    Call::History(chat_id) | Call::Older { chat_id, .. } | Call::Verify(chat_id),
                ) => return self.dispatch(Msg::ChatGone(*chat_id)),
                _ => return self.failed(&job),
            },
            Err(_) => return self.failed(&job),
        };
        let text = value.as_string().unwrap_or_default();
        let msg = match &job {
            Job::Call(Call::Negotiate) => {
                self.negotiation.borrow_mut().take();
                let Some(Negotiated {
                    id: Some(id),
                    extensions,
                }) = json::from_str::<Negotiated>(&text)
                else {
                    return self.schedule_reconnect();
                };
                self.dispatch(Msg::Negotiated(Extensions::from_names(&extensions)));
                return self.open_socket(&id);
            }
            Job::Call(Call::Chats(query)) => {
                json::from_str::<ChatPage>(&text).map(|page| Msg::ChatsLoaded(query.clone(), page))
            }
            Job::Call(Call::History(chat_id)) => {
                json::from_str::<MessagePage>(&text).map(|page| Msg::HistoryLoaded {
                    chat_id: *chat_id,
                    page,
                })
            }
            Job::Call(Call::Older { chat_id, .. }) => {
                json::from_str::<MessagePage>(&text).map(|page| Msg::OlderLoaded {
                    chat_id: *chat_id,
                    page,
                })
            }
            Job::Call(Call::Verify(chat_id)) => {
                json::from_str::<MessagePage>(&text).map(|page| Msg::Verified {
                    chat_id: *chat_id,
                    page,
                })
            }
            Job::Call(Call::Status { .. }) => return,
            Job::Call(Call::Media { message_id, .. }) => {
                // `Call::Media` answers with `Response.blob()`.
                self.view.media_ready(*message_id, value.unchecked_ref());
                return;
            }
            Job::Call(Call::Locale(_)) => {
                let lang = self.strings.borrow().lang().to_owned();
                let strings = Strings::from_json(&lang, &text);
                self.view.set_strings(strings.clone());
                *self.strings.borrow_mut() = strings;
                // Redraw dates and labels in the new language now, not on the next change.
                self.view.render(&self.state.borrow(), Dirty::default());
                return;
            }
            Job::File(file) => {
                let bytes = js_sys::Uint8Array::new(&value).to_vec();
                let (name, kind) = (dom::string(file, "name"), dom::string(file, "type"));
                match media::attach(&name, &kind, &bytes) {
                    Ok(media) => Some(Msg::SendMedia {
                        media,
                        client_message_id: client_message_id(),
                        now: now(),
                    }),
                    Err(media::TooBig) => {
                        let (size, max) = (bytes.len() as u64, media::MAX_BYTES as u64);
                        self.view.file_too_big(&name, size, max);
                        return self.report("file_too_big", "the file is larger than 5 MB");
                    }
                }
            }
            Job::Permission => return self.view.set_notify(alert::notify_key()),
        };
        match msg {
            Some(msg) => self.dispatch(msg),
            None => self.failed(&job),
        }
    }

    /// A job that could not finish: the connection retries, a load is reported and unblocked.
    fn failed(self: &Rc<Self>, job: &Job) {
        match job {
            Job::Call(Call::Negotiate) => self.schedule_reconnect(),
            Job::Call(Call::Locale(_) | Call::Media { .. }) | Job::Permission => {}
            Job::Call(Call::Verify(chat_id)) => self.dispatch(Msg::VerifyFailed(*chat_id)),
            Job::Call(call) => {
                self.report("request_failed", "request failed");
                let refresh = matches!(call, Call::Status { .. });
                self.dispatch(Msg::LoadFailed { refresh });
            }
            Job::File(_) => self.report("file_unreadable", "the file could not be read"),
        }
    }
}
