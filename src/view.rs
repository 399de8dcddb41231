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
}

pub struct View {
    host: Element,
    conn: Element,
    list: Element,
    messages: Element,
    composer: HtmlTextAreaElement,
    strings: Strings,
    time: js_sys::Function,
    _listeners: Vec<Listener>,
}

fn shadow(host: &Element) -> ShadowRoot {
    let init = ShadowRootInit::new(ShadowRootMode::Open);
    let root = host.attach_shadow(&init).expect_throw("attach_shadow");
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
    let locales = js_sys::Array::of1(&lang.into());
    js_sys::Intl::DateTimeFormat::new(&locales, &options).format()
}

impl View {
    /// Builds the panel under a new host element placed in `parent`.
    pub fn build(
        doc: &Document,
        parent: &Element,
        host_id: &str,
        strings: Strings,
        on: impl Fn(UiEvent) + Clone + 'static,
    ) -> View {
        let host = child(doc, parent, "div", "");
        attrs(
            &host,
            &[
                ("id", host_id),
                ("data-chathub-panel", ""),
                ("lang", strings.lang()),
            ],
        );
        if strings.rtl() {
            attrs(&host, &[("dir", "rtl")]);
        }
        let root = shadow(&host);
        let panel = doc.create_element("section").expect_throw("section");
        panel.set_class_name("panel");
        attrs(
            &panel,
            &[("part", "panel"), ("aria-label", strings.get("title"))],
        );
        root.append_child(&panel).expect_throw("append");

        let header = child(doc, &panel, "header", "");
        attrs(&header, &[("part", "header")]);
        child(doc, &header, "h2", "").set_text_content(Some(strings.get("title")));
        let conn = child(doc, &header, "span", "conn");
        attrs(&conn, &[("role", "status")]);

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
        let send = child(doc, &form, "button", "send");
        attrs(&send, &[("type", "button")]);
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
        let listeners = vec![
            Listener::new(&list, "click", {
                let on = on.clone();
                move |e: Event| {
                    let id = e
                        .target()
                        .and_then(|t| t.dyn_into::<Element>().ok())
                        .and_then(|t| t.closest("[data-chat]").ok().flatten())
                        .and_then(|b| b.get_attribute("data-chat"))
                        .and_then(|id| id.parse().ok());
                    if let Some(id) = id {
                        on(UiEvent::Open(id));
                    }
                }
            }),
            Listener::new(&send, "click", {
                let submit = submit.clone();
                move |_| submit()
            }),
            Listener::new(&composer, "keydown", move |e: Event| {
                let k: &KeyboardEvent = e.unchecked_ref();
                if k.key() == "Enter" && !k.shift_key() && !k.is_composing() {
                    e.prevent_default();
                    submit();
                }
            }),
        ];
        let time = time_format(strings.lang());
        View {
            host,
            conn,
            list,
            messages,
            composer,
            strings,
            time,
            _listeners: listeners,
        }
    }

    pub fn host(&self) -> &Element {
        &self.host
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
        let (state, key) = match conn {
            Conn::Connecting | Conn::Handshaking => ("connecting", "conn.connecting"),
            Conn::Connected => ("connected", "conn.connected"),
            Conn::Reconnecting => ("reconnecting", "conn.reconnecting"),
        };
        attrs(&self.conn, &[("data-state", state)]);
        self.conn.set_text_content(Some(self.strings.get(key)));
    }

    fn render_chats(&self, state: &State) {
        let doc = self.host.owner_document().expect_throw("document");
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
        let key = if o.failed {
            "state.failed"
        } else {
            "state.sending"
        };
        child(doc, &el, "span", "meta").set_text_content(Some(self.strings.get(key)));
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

    pub fn focus_composer(&self) {
        let _ = self.composer.focus();
    }
}

impl Drop for View {
    fn drop(&mut self) {
        self.host.remove();
    }
}
