//! The panel's DOM: built once in a shadow root, then updated from [`State`] where it changed.
//! Text from the network or the operator only ever becomes text nodes.

use crate::dom::{attrs, child, clear, Listener};
use crate::i18n::Strings;
use crate::model::Message;
use crate::state::{Conn, Dirty, Outgoing, State};
use wasm_bindgen::prelude::*;
use web_sys::{
    CssStyleSheet, Document, Element, Event, HtmlTextAreaElement, KeyboardEvent, ShadowRoot,
    ShadowRootInit, ShadowRootMode,
};

const CSS: &str = include_str!("style.css");

/// What the operator did, for the panel to turn into state messages.
pub enum UiEvent {
    Open(u64),
    Send(String),
    Retry(String),
    Draft(String),
    Toggle,
    Close,
}

/// How the host page placed the panel.
pub struct Placement<'a> {
    pub host_id: &'a str,
    /// Render inline, filling this element, instead of floating.
    pub container: Option<Element>,
    pub left: bool,
    /// Shown when chat is unavailable.
    pub fallback_email: Option<String>,
    pub fallback_url: Option<String>,
}

pub struct View {
    host: Element,
    panel: Element,
    launcher: Element,
    badge: Element,
    conn: Element,
    notice: Element,
    notice_text: Element,
    list: Element,
    messages: Element,
    composer: HtmlTextAreaElement,
    strings: Strings,
    time: js_sys::Function,
    _listeners: Vec<Listener>,
}

fn shadow(host: &Element) -> ShadowRoot {
    let root = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .expect_throw("attach_shadow");
    let sheet = CssStyleSheet::new().expect_throw("CSSStyleSheet");
    let _ = sheet.replace_sync(CSS);
    root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    root
}

/// `Intl.DateTimeFormat(lang, {hour, minute}).format`, made once.
fn time_format(lang: &str) -> js_sys::Function {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&lang.into()), &options).format()
}

/// The `data-*` id of the nearest element that has it, from an event's target.
fn target_data(e: &Event, name: &str) -> Option<String> {
    let el: Element = e.target()?.dyn_into().ok()?;
    el.closest(&format!("[{name}]")).ok()??.get_attribute(name)
}

fn button(doc: &Document, parent: &Element, class: &str, label: &str) -> Element {
    let b = child(doc, parent, "button", class);
    attrs(&b, &[("type", "button"), ("aria-label", label)]);
    b
}

/// Only web links: a host attribute must not smuggle a `javascript:` URL into the panel.
fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

impl View {
    pub fn build(
        doc: &Document,
        place: Placement,
        strings: Strings,
        on: impl Fn(UiEvent) + Clone + 'static,
    ) -> View {
        let parent = place
            .container
            .clone()
            .unwrap_or_else(|| doc.body().expect_throw("body").into());
        let host = child(doc, &parent, "div", "");
        attrs(
            &host,
            &[
                ("id", place.host_id),
                ("data-chathub-panel", ""),
                ("lang", strings.lang()),
            ],
        );
        if strings.rtl() {
            attrs(&host, &[("dir", "rtl")]);
        }
        if place.container.is_some() {
            attrs(&host, &[("data-inline", "")]);
        }
        if place.left {
            attrs(&host, &[("data-position", "bottom-left")]);
        }
        let root = shadow(&host);
        let root_el = doc.create_element("div").expect_throw("div");
        root.append_child(&root_el).expect_throw("append");

        let launcher = button(doc, &root_el, "launcher", strings.get("open"));
        attrs(
            &launcher,
            &[("part", "launcher"), ("aria-expanded", "false")],
        );
        child(doc, &launcher, "span", "launcher-icon").set_text_content(Some("💬"));
        let badge = child(doc, &launcher, "span", "badge");
        attrs(&badge, &[("part", "badge"), ("hidden", "")]);

        let panel = child(doc, &root_el, "section", "panel");
        attrs(
            &panel,
            &[
                ("part", "panel"),
                ("aria-label", strings.get("title")),
                ("hidden", ""),
            ],
        );
        let header = child(doc, &panel, "header", "");
        attrs(&header, &[("part", "header")]);
        child(doc, &header, "h2", "").set_text_content(Some(strings.get("title")));
        let conn = child(doc, &header, "span", "conn");
        attrs(&conn, &[("role", "status")]);
        let close = button(doc, &header, "close", strings.get("close"));
        close.set_text_content(Some("✕"));

        let notice = child(doc, &panel, "div", "notice");
        attrs(
            &notice,
            &[("role", "alert"), ("part", "notice"), ("hidden", "")],
        );
        let notice_text = child(doc, &notice, "span", "");
        if let Some(email) = place.fallback_email.filter(|e| !e.contains(['\n', '?'])) {
            let a = child(doc, &notice, "a", "fallback");
            attrs(&a, &[("href", &format!("mailto:{email}"))]);
            a.set_text_content(Some(&email));
        }
        if let Some(url) = place.fallback_url.filter(|u| safe_url(u)) {
            let a = child(doc, &notice, "a", "fallback");
            attrs(
                &a,
                &[("href", &url), ("target", "_blank"), ("rel", "noopener")],
            );
            a.set_text_content(Some(strings.get("fallback.url")));
        }

        let body = child(doc, &panel, "div", "body");
        let list = child(doc, &body, "ul", "chats");
        attrs(
            &list,
            &[
                ("part", "chat-list"),
                ("aria-label", strings.get("list.label")),
            ],
        );
        let thread = child(doc, &body, "div", "thread");
        attrs(&thread, &[("part", "thread")]);
        let messages = child(doc, &thread, "div", "messages");
        attrs(
            &messages,
            &[
                ("role", "log"),
                ("aria-live", "polite"),
                ("aria-label", strings.get("thread.label")),
            ],
        );
        let form = child(doc, &thread, "div", "composer");
        attrs(&form, &[("part", "composer")]);
        let composer: HtmlTextAreaElement = child(doc, &form, "textarea", "").unchecked_into();
        attrs(
            &composer,
            &[
                ("aria-label", strings.get("composer.label")),
                ("placeholder", strings.get("composer.placeholder")),
                ("maxlength", "4096"),
                ("rows", "1"),
            ],
        );
        let send = button(doc, &form, "send", strings.get("send"));
        send.set_text_content(Some(strings.get("send")));

        let submit = {
            let (on, composer) = (on.clone(), composer.clone());
            move || {
                let text = composer.value();
                if !text.trim().is_empty() {
                    composer.set_value("");
                    on(UiEvent::Send(text));
                }
            }
        };
        let emit = |ev: fn() -> UiEvent| {
            let on = on.clone();
            move |_: Event| on(ev())
        };
        let listeners = vec![
            Listener::new(&launcher, "click", emit(|| UiEvent::Toggle)),
            Listener::new(&close, "click", emit(|| UiEvent::Close)),
            Listener::new(&list, "click", {
                let on = on.clone();
                move |e: Event| {
                    if let Some(id) = target_data(&e, "data-chat").and_then(|id| id.parse().ok()) {
                        on(UiEvent::Open(id));
                    }
                }
            }),
            Listener::new(&messages, "click", {
                let on = on.clone();
                move |e: Event| {
                    if let Some(id) = target_data(&e, "data-retry") {
                        on(UiEvent::Retry(id));
                    }
                }
            }),
            Listener::new(&send, "click", {
                let submit = submit.clone();
                move |_| submit()
            }),
            Listener::new(&composer, "input", {
                let (on, composer) = (on.clone(), composer.clone());
                move |_| on(UiEvent::Draft(composer.value()))
            }),
            Listener::new(&composer, "keydown", move |e: Event| {
                let k: &KeyboardEvent = e.unchecked_ref();
                if k.key() == "Enter" && !k.shift_key() && !k.is_composing() {
                    e.prevent_default();
                    submit();
                }
            }),
            Listener::new(&panel, "keydown", move |e: Event| {
                if e.unchecked_ref::<KeyboardEvent>().key() == "Escape" {
                    on(UiEvent::Close);
                }
            }),
        ];
        let time = time_format(strings.lang());
        View {
            host,
            panel,
            launcher,
            badge,
            conn,
            notice,
            notice_text,
            list,
            messages,
            composer,
            strings,
            time,
            _listeners: listeners,
        }
    }

    pub fn is_open(&self) -> bool {
        !self.panel.has_attribute("hidden")
    }

    /// Shows or hides the panel, moving focus with it.
    pub fn set_open(&self, open: bool) {
        let inline = self.host.has_attribute("data-inline");
        let _ = self
            .panel
            .toggle_attribute_with_force("hidden", !open && !inline);
        let _ = self
            .launcher
            .toggle_attribute_with_force("hidden", open || inline);
        attrs(
            &self.launcher,
            &[("aria-expanded", if open { "true" } else { "false" })],
        );
        let focus = if open {
            self.composer.unchecked_ref::<web_sys::HtmlElement>()
        } else {
            self.launcher.unchecked_ref()
        };
        let _ = focus.focus();
    }

    pub fn set_draft(&self, text: &str) {
        self.composer.set_value(text);
    }

    pub fn render(&self, state: &State, dirty: Dirty) {
        if dirty.conn {
            self.render_conn(state.conn);
        }
        if dirty.chats {
            self.render_chats(state);
        }
        if dirty.thread {
            self.render_thread(state);
        }
    }

    fn render_conn(&self, conn: Conn) {
        let name = conn.name();
        attrs(&self.conn, &[("data-state", name)]);
        self.conn
            .set_text_content(Some(self.strings.get(&format!("conn.{name}"))));
        let problem = matches!(conn, Conn::Offline | Conn::Expired | Conn::Invalid);
        let _ = self.notice.toggle_attribute_with_force("hidden", !problem);
        if problem {
            self.notice_text
                .set_text_content(Some(self.strings.get(&format!("notice.{name}"))));
        }
    }

    fn render_chats(&self, state: &State) {
        let doc = self.host.owner_document().expect_throw("document");
        let unread = state.unread();
        let _ = self
            .badge
            .toggle_attribute_with_force("hidden", unread == 0);
        self.badge.set_text_content(Some(&unread.to_string()));
        clear(&self.list);
        if state.chats.is_empty() {
            child(&doc, &self.list, "li", "empty")
                .set_text_content(Some(self.strings.get("list.empty")));
        }
        for chat in &state.chats {
            let li = child(&doc, &self.list, "li", "");
            let button = child(&doc, &li, "button", "chat");
            let id = chat.id.to_string();
            attrs(
                &button,
                &[("type", "button"), ("data-chat", &id), ("part", "chat")],
            );
            if state.open == Some(chat.id) {
                attrs(&button, &[("aria-current", "true")]);
            }
            child(&doc, &button, "span", "name").set_text_content(Some(chat.title()));
            if chat.count_unread > 0 {
                child(&doc, &button, "span", "unread")
                    .set_text_content(Some(&chat.count_unread.to_string()));
            }
            let last = chat
                .last_message
                .as_ref()
                .and_then(|m| m.message.as_deref())
                .unwrap_or("");
            child(&doc, &button, "span", "last").set_text_content(Some(last));
        }
    }

    fn render_thread(&self, state: &State) {
        let doc = self.host.owner_document().expect_throw("document");
        clear(&self.messages);
        if state.open.is_none() {
            child(&doc, &self.messages, "p", "empty")
                .set_text_content(Some(self.strings.get("thread.empty")));
            return;
        }
        for m in &state.thread {
            self.bubble(&doc, m);
        }
        for o in state.open_outbox() {
            self.pending(&doc, o);
        }
        self.messages.set_scroll_top(self.messages.scroll_height());
    }

    fn bubble(&self, doc: &Document, m: &Message) {
        let class = match m.author {
            0 => "msg out",
            2 => "msg sys",
            _ => "msg in",
        };
        let el = child(doc, &self.messages, "div", class);
        attrs(&el, &[("data-id", &m.id.to_string()), ("part", "message")]);
        child(doc, &el, "span", "text").set_text_content(m.message.as_deref());
        let mut meta = self.time(&m.created_at);
        if m.author == 0 {
            let key = match m.status {
                1 => "state.delivered",
                2 => "state.failed",
                3 => "state.read",
                _ => "state.sent",
            };
            meta.push_str(" · ");
            meta.push_str(self.strings.get(key));
        }
        child(doc, &el, "span", "meta").set_text_content(Some(&meta));
    }

    fn pending(&self, doc: &Document, o: &Outgoing) {
        let el = child(
            doc,
            &self.messages,
            "div",
            if o.failed {
                "msg out failed"
            } else {
                "msg out pending"
            },
        );
        attrs(
            &el,
            &[
                ("data-client-id", &o.client_message_id),
                ("part", "message"),
            ],
        );
        child(doc, &el, "span", "text").set_text_content(Some(&o.text));
        let meta = child(doc, &el, "span", "meta");
        meta.set_text_content(Some(self.strings.get(if o.failed {
            "state.failed"
        } else {
            "state.sending"
        })));
        if o.failed {
            let retry = button(doc, &meta, "retry", self.strings.get("retry"));
            attrs(&retry, &[("data-retry", &o.client_message_id)]);
            retry.set_text_content(Some(self.strings.get("retry")));
        }
    }

    /// Local time of an ISO-8601 instant, in the panel's language.
    fn time(&self, iso: &str) -> String {
        let date = js_sys::Date::new(&iso.into());
        self.time
            .call1(&JsValue::NULL, &date)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }
}

impl Drop for View {
    fn drop(&mut self) {
        self.host.remove();
    }
}
