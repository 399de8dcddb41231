//! One mounted panel: owns its view, socket, timers and requests, and drives the state core.
//! Dropping the [`Panel`] releases all of it.

use crate::api::{Api, ApiError};
use crate::backoff::Backoff;
use crate::i18n::Strings;
use crate::socket::{Socket, SocketEvent};
use crate::state::{update, Conn, Effect, Msg, State};
use crate::token::{self, TokenProblem};
use crate::view::{UiEvent, View};
use gloo_timers::callback::{Interval, Timeout};
use serde::Serialize;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{AbortController, CustomEvent, CustomEventInit, Element, ErrorEvent, ErrorEventInit};

const DEFAULT_API: &str = "https://chatapi.smsbat.com";
const TICK_MS: u32 = 2_000;

/// What the script element says.
struct Config {
    id: String,
    api: String,
    hub: String,
    token: String,
}

impl Config {
    fn read(script: &Element) -> Config {
        let get = |name: &str| {
            script
                .get_attribute(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let api = get("api")
            .unwrap_or_else(|| DEFAULT_API.into())
            .trim_end_matches('/')
            .to_owned();
        Config {
            id: script.id(),
            hub: get("hub").unwrap_or_else(|| format!("{api}/chathub")),
            api,
            token: get("token").unwrap_or_default(),
        }
    }
}

pub struct Panel {
    inner: Rc<Inner>,
}

struct Inner {
    script: Element,
    config: RefCell<Config>,
    state: RefCell<State>,
    view: View,
    socket: RefCell<Option<Socket>>,
    retry: RefCell<Option<Timeout>>,
    ticker: RefCell<Option<Interval>>,
    backoff: RefCell<Backoff>,
    requests: AbortController,
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
    format!(
        "{a:08x}-{:04x}-4{:03x}-{:04x}-{:04x}{c:08x}",
        b >> 16,
        b & 0xfff,
        (d >> 16) & 0x3fff | 0x8000,
        d & 0xffff
    )
}

impl Panel {
    pub fn mount(script: &Element) -> Panel {
        let config = Config::read(script);
        let doc = script.owner_document().expect_throw("document");
        let html_lang = doc
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .unwrap_or_default();
        let browser = web_sys::window()
            .and_then(|w| w.navigator().language())
            .unwrap_or_default();
        let lang = Strings::pick([
            script.get_attribute("lang").unwrap_or_default().as_str(),
            &html_lang,
            &browser,
        ]);
        let strings = Strings::from_json(lang, "{}");
        let parent = doc.body().expect_throw("body");
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let on = {
                let weak = weak.clone();
                move |ev: UiEvent| {
                    if let Some(p) = weak.upgrade() {
                        p.on_ui(ev);
                    }
                }
            };
            Inner {
                view: View::build(&doc, &parent, &format!("{}-host", config.id), strings, on),
                script: script.clone(),
                config: RefCell::new(config),
                state: RefCell::new(State::default()),
                socket: RefCell::new(None),
                retry: RefCell::new(None),
                ticker: RefCell::new(None),
                backoff: RefCell::new(Backoff::default()),
                requests: AbortController::new().expect_throw("AbortController"),
            }
        });
        inner.view.render(
            &inner.state.borrow(),
            crate::state::Dirty {
                conn: true,
                chats: true,
                thread: true,
            },
        );
        inner.start();
        Panel { inner }
    }

    pub fn id(&self) -> String {
        self.inner.config.borrow().id.clone()
    }

    pub fn is_for(&self, script: &Element) -> bool {
        self.inner.script == *script
    }

    /// The script's `token` attribute changed: reconnect with it, keeping everything else.
    pub fn token_changed(&self) {
        let token = Config::read(&self.inner.script).token;
        if token != self.inner.config.borrow().token {
            self.inner.config.borrow_mut().token = token;
            self.inner.socket.borrow_mut().take();
            self.inner.dispatch(Msg::SocketClosed);
            self.inner.start();
        }
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        self.inner.requests.abort();
        self.inner.socket.borrow_mut().take();
        self.inner.retry.borrow_mut().take();
        self.inner.ticker.borrow_mut().take();
        self.inner.emit("chathub:destroyed", &JsValue::UNDEFINED);
    }
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

impl Inner {
    /// Checks the token, then connects.
    fn start(self: &Rc<Self>) {
        let problem = token::inspect(&self.config.borrow().token, now() / 1000).err();
        match problem {
            Some(TokenProblem::Invalid) => self.fail_token("token_invalid", "Invalid token"),
            Some(TokenProblem::Expired) => self.fail_token("token_expired", "token expired"),
            None => self.connect(),
        }
    }

    fn connect(self: &Rc<Self>) {
        let weak = Rc::downgrade(self);
        let (hub, token) = {
            let c = self.config.borrow();
            (c.hub.clone(), c.token.clone())
        };
        let api = Api {
            base: hub.clone(),
            token: token.clone(),
            signal: self.requests.signal(),
        };
        spawn_local(async move {
            let negotiated = api.negotiate().await;
            let Some(p) = weak.upgrade() else { return };
            match negotiated {
                Ok(id) => p.open_socket(&hub, &id, &token),
                Err(ApiError::Unauthorized) => p.fail_token("token_expired", "token expired"),
                Err(_) if api.signal.aborted() => {}
                Err(_) => p.schedule_reconnect(),
            }
        });
    }

    fn open_socket(self: &Rc<Self>, hub: &str, connection_token: &str, token: &str) {
        let url = format!(
            "{}?id={}&access_token={}",
            hub.replacen("http", "ws", 1),
            js_sys::encode_uri_component(connection_token),
            js_sys::encode_uri_component(token)
        );
        let weak = Rc::downgrade(self);
        let on = move |e: SocketEvent| {
            let Some(p) = weak.upgrade() else { return };
            match e {
                SocketEvent::Open => p.dispatch(Msg::SocketOpened { now: now() }),
                SocketEvent::Text(text) => p.dispatch(Msg::Frame { text, now: now() }),
                SocketEvent::Closed => {
                    p.socket.borrow_mut().take();
                    p.dispatch(Msg::SocketClosed);
                    p.schedule_reconnect();
                }
            }
        };
        match Socket::open(&url, on) {
            Ok(socket) => *self.socket.borrow_mut() = Some(socket),
            Err(_) => return self.schedule_reconnect(),
        }
        let weak = Rc::downgrade(self);
        *self.ticker.borrow_mut() = Some(Interval::new(TICK_MS, move || {
            if let Some(p) = weak.upgrade() {
                p.dispatch(Msg::Tick { now: now() });
            }
        }));
    }

    fn schedule_reconnect(self: &Rc<Self>) {
        self.socket.borrow_mut().take();
        self.ticker.borrow_mut().take();
        let delay = self.backoff.borrow_mut().next_delay(now(), random());
        let weak = Rc::downgrade(self);
        *self.retry.borrow_mut() = Some(Timeout::new(delay as u32, move || {
            if let Some(p) = weak.upgrade() {
                p.retry.borrow_mut().take();
                p.start();
            }
        }));
    }

    fn fail_token(&self, code: &str, message: &str) {
        self.socket.borrow_mut().take();
        self.ticker.borrow_mut().take();
        self.report(code, message);
        // The provider's troubleshooting page looks for this on window.
        let init = ErrorEventInit::new();
        init.set_message(message);
        if let (Some(w), Ok(e)) = (
            web_sys::window(),
            ErrorEvent::new_with_event_init_dict("error", &init),
        ) {
            let _ = w.dispatch_event(&e);
        }
    }

    fn report(&self, code: &str, message: &str) {
        let detail =
            serde_wasm_bindgen::to_value(&ErrorDetail { code, message }).unwrap_or(JsValue::NULL);
        self.emit("chathub:error", &detail);
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

    fn on_ui(self: &Rc<Self>, ev: UiEvent) {
        match ev {
            UiEvent::Open(id) => self.dispatch(Msg::Open(id)),
            UiEvent::Send(text) => self.dispatch(Msg::Send {
                text,
                client_message_id: client_message_id(),
                now: now(),
            }),
        }
    }

    /// Runs the core, redraws what changed, then performs the effects (never inside a borrow).
    fn dispatch(self: &Rc<Self>, msg: Msg) {
        let (fx, dirty, conn) = {
            let mut s = self.state.borrow_mut();
            let fx = update(&mut s, msg);
            (fx, s.take_dirty(), s.conn)
        };
        self.view.render(&self.state.borrow(), dirty);
        if dirty.conn {
            self.on_conn(conn);
        }
        for e in fx {
            self.perform(e);
        }
    }

    fn on_conn(&self, conn: Conn) {
        let name = match conn {
            Conn::Connected => {
                self.backoff.borrow_mut().connected(now());
                self.emit("chathub:ready", &JsValue::UNDEFINED);
                "connected"
            }
            Conn::Reconnecting => "reconnecting",
            Conn::Connecting | Conn::Handshaking => "connecting",
        };
        let detail = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&detail, &"state".into(), &name.into());
        self.emit("chathub:connection", &detail);
    }

    fn perform(self: &Rc<Self>, effect: Effect) {
        match effect {
            Effect::Send(record) => {
                if let Some(s) = self.socket.borrow().as_ref() {
                    s.send(&record);
                }
            }
            Effect::LoadChats => {
                self.fetch(|api| async move { api.chats().await.map(Msg::ChatsLoaded) })
            }
            Effect::LoadHistory(chat_id) => self.fetch(move |api| async move {
                api.messages(chat_id)
                    .await
                    .map(|page| Msg::HistoryLoaded { chat_id, page })
            }),
            Effect::Reconnect => self.schedule_reconnect(),
            Effect::Error { code, message } => self.report(code, &message),
            Effect::Received(m) => self.emit(
                "chathub:message",
                &serde_wasm_bindgen::to_value(&m).unwrap_or(JsValue::NULL),
            ),
        }
    }

    /// Runs one REST call off the panel's abort signal and feeds its result back in.
    fn fetch<F, Fut>(self: &Rc<Self>, call: F)
    where
        F: FnOnce(Api) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<Msg, ApiError>> + 'static,
    {
        let api = {
            let c = self.config.borrow();
            Api {
                base: c.api.clone(),
                token: c.token.clone(),
                signal: self.requests.signal(),
            }
        };
        let weak = Rc::downgrade(self);
        spawn_local(async move {
            let result = call(api).await;
            let Some(p) = weak.upgrade() else { return };
            match result {
                Ok(msg) => p.dispatch(msg),
                Err(ApiError::Unauthorized) => p.fail_token("token_expired", "token expired"),
                Err(_) => p.report("request_failed", "request failed"),
            }
        });
    }
}
