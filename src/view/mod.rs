//! The panel's DOM: built once in a shadow root, then updated from [`State`] where it changed.
//! Text from the network or the operator only ever becomes text nodes or attribute values, and only
//! `blob:` URLs this view made (or checked http(s) links) go into `href`/`src`.
//!
//! Four listeners delegated from the shadow root's top element (click, keydown, input, change) and one
//! on each scroller handle everything; each calls a `fn(&Ui, &Event)` through a weak reference, so the
//! listeners never keep the view alive and dropping the [`View`] removes them all. Events found while
//! drawing (media to fetch, an edge already in view) are sent after `render` returns, never inside the
//! caller's borrow of the state.
//!
//! This module owns the panel's frame (open/close, connection, notice, labels); `build` makes the
//! static DOM once, `list` draws the chats, `thread` the open chat, `input` answers the operator's events,
//! `attach` takes files into the composer (with listeners of its own), `sheet` the keyboard
//! shortcuts and their sheet, `replies` the saved replies, and `dates` formats times.

mod attach;
mod build;
mod dates;
mod input;
mod list;
mod replies;
mod sheet;
mod thread;

use crate::dom::{attrs, child, flag, has, text, Frame, Listener};
use crate::i18n::Strings;
use crate::state::{Conn, Dirty, Sort, State};
use crate::text::num;
use dates::Fmt;
use gloo_timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use web_sys::{
    CssStyleSheet, Document, Element, Event, HtmlButtonElement, HtmlElement, HtmlInputElement,
    HtmlSelectElement, HtmlTextAreaElement, NodeList, ShadowRoot, ShadowRootInit, ShadowRootMode,
    Url,
};

const CSS: &str = include_str!("style.css");
const DIGITS: [&str; 5] = ["0", "1", "2", "3", "4"];
const STATUS: [&str; 5] = ["status.0", "status.1", "status.2", "status.3", "status.4"];

// Material icons (24×24 paths), drawn as SVG so no emoji font is needed.
const CHAT: &str = "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z";
const BELL: &str = "M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6v-5c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7C7.6 5.4 6 7.9 6 11v5l-2 2v1h16v-1l-2-2z";
const BELL_OFF: &str = "M20 18.7 5.3 3.5 4 4.8l2.8 2.8C6.3 8.6 6 9.7 6 11v5l-2 2v1h13.7l2 2 1.3-1.3-1-1zM12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-7.3V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7c-.7.2-1.2.4-1.7.7L18 14.7z";
const CLOSE: &str =
    "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6z";
const BACK: &str = "M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z";
const CLIP: &str = "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z";
const KEYBOARD: &str = "M20 5H4a2 2 0 0 0-2 2v10a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm-9 3h2v2h-2zm0 3h2v2h-2zM8 8h2v2H8zm0 3h2v2H8zm-1 2H5v-2h2zm0-3H5V8h2zm9 7H8v-2h8zm0-4h-2v-2h2zm0-3h-2V8h2zm3 3h-2v-2h2zm0-3h-2V8h2z";
const COPY: &str = "M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z";
/// The shortcuts, as `aria-keyshortcuts` writes them (the keys are matched by `KeyboardEvent.code`,
/// so they work whatever the keyboard layout).
const NEXT_KEYS: &str = "Alt+N";
const SVG: &str = "http://www.w3.org/2000/svg";

/// What the operator did, for the panel to turn into state messages.
pub enum UiEvent {
    Open(u64),
    /// Back to the list (narrow screens).
    Back,
    /// The composer's text, for the chat it was written in.
    Send {
        chat_id: u64,
        text: String,
    },
    Retry(String),
    Draft {
        chat_id: u64,
        text: String,
    },
    Toggle,
    Close,
    Filter(Option<u8>),
    /// The search box, debounced.
    Search(String),
    /// The list is scrolled near its end.
    MoreChats,
    /// The thread is scrolled near its top.
    Older,
    /// The thread is scrolled near its bottom while the window is not at the newest message.
    Newer,
    /// The operator scrolled away from the newest message (true) or back to it.
    ReadingBack(bool),
    /// The "↓ N new" button.
    JumpLatest,
    SetStatus(u8),
    /// The list's order.
    Sort(Sort),
    /// Open the next waiting chat (the shortcut or the button after a reply).
    NextWaiting,
    /// Close or pause the open chat from the keyboard, and move on.
    StatusAndNext(u8),
    /// Put this text on the clipboard (the customer's phone).
    Copy(String),
    /// A picked, pasted or dropped file for the composer of the chat shown when it came.
    Attach {
        chat_id: u64,
        file: web_sys::File,
    },
    /// The attachment preview's remove button.
    Detach(u64),
    /// The saved replies are needed for the first time: fetch them, then [`Ui::set_replies`].
    LoadReplies,
    /// A saved reply was chosen: fill in its placeholders, then [`Ui::insert_reply`].
    Reply(String),
    /// The desktop-notification button.
    Notify,
    /// A media message needs its bytes: hand them to [`Ui::media_ready`].
    Media {
        chat_id: u64,
        message_id: u64,
        url: String,
    },
}

/// What a button does. It is written on the button as `data-action` and read back by the click
/// handler; classes are for styling only, so a button may carry several and a theme or a later
/// change may add one without taking the button's handler away.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    Launcher,
    Close,
    Notify,
    Back,
    /// A row of the chat list (it also carries `data-chat`).
    Chat,
    /// A failed send's retry (it also carries `data-retry`).
    Retry,
    Send,
    Dismiss,
    Attach,
    /// The next waiting chat.
    Next,
    /// Copy the customer's phone.
    Copy,
    /// "↓ N new": jump to the newest message.
    Latest,
    /// Open or close the shortcut sheet.
    Keys,
    /// The attachment preview's remove button.
    Remove,
}

impl Action {
    const ALL: [Action; 14] = [
        Action::Keys,
        Action::Remove,
        Action::Latest,
        Action::Next,
        Action::Copy,
        Action::Launcher,
        Action::Close,
        Action::Notify,
        Action::Back,
        Action::Chat,
        Action::Retry,
        Action::Send,
        Action::Dismiss,
        Action::Attach,
    ];

    /// The `data-action` value, also the button's class (the stylesheet and the tests select by it).
    fn name(self) -> &'static str {
        match self {
            Action::Launcher => "launcher",
            Action::Close => "close",
            Action::Notify => "notify",
            Action::Back => "back",
            Action::Chat => "chat",
            Action::Retry => "retry",
            Action::Send => "send",
            Action::Dismiss => "dismiss",
            Action::Attach => "attach",
            Action::Next => "next",
            Action::Copy => "copy",
            Action::Latest => "latest",
            Action::Keys => "keys",
            Action::Remove => "remove",
        }
    }

    /// The action written on `el`, if any.
    fn of(el: &Element) -> Option<Action> {
        let name = el.get_attribute("data-action")?;
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Marks `el` as doing this action.
    fn mark(self, el: &Element) {
        attrs(el, &[("data-action", self.name())]);
    }
}

type Row = (u64, String, Element, Option<(String, web_sys::Node)>);

/// The chat rows, for `querySelector`: by action, like the click handler.
const CHAT_ROWS: &str = "[data-action='chat']";

/// How the host page placed the panel.
pub struct Placement<'a> {
    pub host_id: &'a str,
    /// Render inline, filling this element, instead of floating.
    pub container: Option<Element>,
    pub left: bool,
    /// `light` (the default), `dark` or `auto`.
    pub theme: Option<String>,
    /// Shown when chat is unavailable.
    pub fallback_email: Option<String>,
    pub fallback_url: Option<String>,
}

/// A static label: the element, the attribute (or "" for its text) and the string key.
type Binding = (Element, &'static str, &'static str);

/// `prefix` followed by a small number, for keys such as `status.3`.
fn key(prefix: &str, n: u8) -> String {
    let mut k = String::from(prefix);
    k.push_str(&num(n.into()));
    k
}

fn shadow(host: &Element) -> ShadowRoot {
    let root = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .expect_throw("attach_shadow");
    // Constructable stylesheets where the engine has them; older ones (Safari before 16.4, WPE WebKit
    // 2.38: `new CSSStyleSheet()` throws) get a <style> element with the same text, which a strict CSP
    // allows through the hash that ./build.sh prints.
    let adopted = js_sys::Reflect::has(&root, &"adoptedStyleSheets".into()).unwrap_or(false)
        && CssStyleSheet::new()
            .and_then(|sheet| {
                sheet.replace_sync(CSS)?;
                root.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
                Ok(())
            })
            .is_ok();
    if !adopted {
        let doc = host.owner_document().expect_throw("owner_document");
        let style = doc.create_element("style").expect_throw("style");
        style.set_text_content(Some(CSS));
        root.append_child(&style).expect_throw("append_child");
    }
    root
}

/// A 24×24 SVG icon in `parent`; returns its path, whose `d` can change.
fn icon(doc: &Document, parent: &Element, d: &str) -> Element {
    let make = |tag| doc.create_element_ns(Some(SVG), tag).expect_throw("svg");
    let (svg, path) = (make("svg"), make("path"));
    attrs(&svg, &[("viewBox", "0 0 24 24"), ("aria-hidden", "true")]);
    attrs(&path, &[("d", d)]);
    svg.append_child(&path).expect_throw("append_child");
    parent.append_child(&svg).expect_throw("append_child");
    path
}

/// A `<button type=button>` doing `action` (also its class), with an icon when `d` is not empty.
fn button(doc: &Document, parent: &Element, action: Action, d: &str) -> Element {
    let b = child(doc, parent, "button", action.name());
    attrs(&b, &[("type", "button")]);
    action.mark(&b);
    if !d.is_empty() {
        icon(doc, &b, d);
    }
    b
}

/// A `<select>` with an option per status, after an optional "all" option.
fn statuses(
    doc: &Document,
    parent: &Element,
    class: &str,
    all: bool,
    b: &mut Vec<Binding>,
) -> Element {
    let select = child(doc, parent, "select", class);
    if all {
        let o = child(doc, &select, "option", "");
        attrs(&o, &[("value", "")]);
        b.push((o, "", "filter.all"));
    }
    for (value, key) in DIGITS.iter().zip(STATUS) {
        let o = child(doc, &select, "option", "");
        attrs(&o, &[("value", value)]);
        b.push((o, "", key));
    }
    select
}

/// Only web links: a host attribute must not smuggle a `javascript:` URL into the panel.
fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// How far an element is scrolled from its end.
fn below(el: &Element) -> i32 {
    el.scroll_height() - el.scroll_top() - el.client_height()
}

/// Moves focus to `el`; every element the panel focuses is an HTML element.
fn focus(el: &Element) {
    if let Some(el) = el.dyn_ref::<HtmlElement>() {
        let _ = el.focus();
    }
}

/// Shows or hides an element through its `hidden` property (reflected as the attribute, which the
/// stylesheet and the tests read). Every element the panel hides is an HTML element.
fn hide(el: &Element, hidden: bool) {
    if let Some(el) = el.dyn_ref::<HtmlElement>() {
        el.set_hidden(hidden);
    }
}

fn hidden(el: &Element) -> bool {
    el.dyn_ref::<HtmlElement>().is_some_and(HtmlElement::hidden)
}

/// Makes a chat row the list's one tab stop, or takes that away (the list has roving focus).
fn tab_stop(el: &Element, stop: bool) {
    if let Some(el) = el.dyn_ref::<HtmlElement>() {
        el.set_tab_index(if stop { 0 } else { -1 });
    }
}

/// An element the view just made, as its HTML type: a tag changed without its field's type fails
/// at mount, not later in a setter the element does not have.
fn typed<T: JsCast>(el: Element) -> T {
    el.dyn_into()
        .expect_throw("an element of another type than its field")
}

/// The same element (`===`), whatever types the two are seen through.
fn is(a: &Element, b: &Element) -> bool {
    a == b
}

/// The elements of a `querySelectorAll` result, in document order.
fn elements(list: NodeList) -> impl Iterator<Item = Element> {
    (0..list.length()).filter_map(move |i| list.item(i)?.dyn_into().ok())
}

/// The element an event happened on: the listeners sit on elements and hear only their elements.
fn target(e: &Event) -> Option<Element> {
    e.target()?.dyn_into().ok()
}

/// Wraps a handler so the listener holds the view weakly: one closure type for every listener.
fn handler(ui: &Weak<Ui>, f: fn(&Ui, &Event)) -> impl Fn(Event) {
    let ui = ui.clone();
    move |e| {
        if let Some(ui) = ui.upgrade() {
            f(&ui, &e)
        }
    }
}

/// The panel's DOM. Dropping it removes the host element, its listeners, its timer and its object URLs.
pub struct View(Rc<Ui>);

impl std::ops::Deref for View {
    type Target = Ui;
    fn deref(&self) -> &Ui {
        &self.0
    }
}

pub struct Ui {
    on: Box<dyn Fn(UiEvent)>,
    me: Weak<Ui>,
    doc: Document,
    root: ShadowRoot,
    host: Element,
    panel: Element,
    launcher: Element,
    badge: Element,
    conn: Element,
    notify: Element,
    /// The notify button's icon path.
    bell: Element,
    notice: Element,
    notice_text: Element,
    /// The notice line ([`Ui::notice`]), its text (the live region) and its dismiss button.
    note: Element,
    note_text: Element,
    dismiss: Element,
    body: Element,
    search: HtmlInputElement,
    filter: HtmlSelectElement,
    sort: HtmlSelectElement,
    list: Element,
    head: Element,
    title: Element,
    /// Who the open chat is assigned to.
    assignee: Element,
    /// The customer's phone, its copy button, and the channel the chat came through.
    phone: Element,
    copy: Element,
    channel: Element,
    status: HtmlSelectElement,
    /// A colleague typing in, or having just replied to, the open chat.
    colleague: Element,
    /// "Next waiting customer", after a reply.
    next: Element,
    messages: Element,
    /// "↓ N new": messages arrived below while the operator reads back.
    latest: Element,
    typing: Element,
    form: Element,
    /// The waiting file's preview and the drop target (attach.rs).
    preview: attach::Preview,
    file: HtmlInputElement,
    composer: HtmlTextAreaElement,
    counter: Element,
    send: HtmlButtonElement,
    labels: Vec<Binding>,
    strings: RefCell<Strings>,
    fmt: RefCell<Fmt>,
    state_conn: Cell<Conn>,
    /// The language changed: the next draw redraws everything.
    stale: Cell<bool>,
    notify_key: Cell<Option<&'static str>>,
    /// The chat whose thread is drawn.
    shown_chat: Cell<Option<u64>>,
    /// The drawn window ends at the newest message.
    live: Cell<bool>,
    /// The thread was scrolled to its end at the last draw.
    stuck: Cell<bool>,
    /// Whether the panel last told that the operator reads back (told on change only).
    back: Cell<bool>,
    /// The unread divider already scrolled to: scrolled there once, then the operator scrolls.
    divided: Cell<Option<u64>>,
    /// Where the thread stood before this frame's first draw, placed at the frame (thread.rs).
    placing: Cell<Option<thread::Scroll>>,
    frame: Frame,
    /// Edges armed by the last draw: each asks once until the next draw.
    older: Cell<bool>,
    newer: Cell<bool>,
    more: Cell<bool>,
    /// The thread's children as drawn, with what each shows.
    drawn: RefCell<Vec<(thread::Drawn, Element)>>,
    /// The chat list's rows as drawn: chat id, what the row shows, its `li`, and its waiting time
    /// with the text node that shows it.
    rows: RefCell<Vec<Row>>,
    /// Object URLs of fetched media, by message id.
    blobs: RefCell<Vec<(u64, String)>>,
    /// Media already asked for.
    asked: RefCell<Vec<u64>>,
    /// Events found while drawing, sent once the caller's borrow of the state is over.
    later: RefCell<Vec<UiEvent>>,
    search_timer: RefCell<Option<Timeout>>,
    /// The shortcut sheet, built when first opened.
    sheet: RefCell<Option<sheet::Sheet>>,
    picker: replies::Picker,
    _listeners: Vec<Listener>,
}

impl Ui {
    /// Makes the date formatters now, while the first requests are on their way, rather than
    /// when the first chats are drawn.
    pub fn warm_dates(&self) {
        self.fmt.borrow().time();
    }

    /// A language arrived: relabel everything static and remake the date formats. The next `render`
    /// (the panel calls it at once) redraws everything else.
    pub fn set_strings(&self, strings: Strings) {
        *self.fmt.borrow_mut() = Fmt::new(strings.lang());
        *self.strings.borrow_mut() = strings;
        self.stale.set(true);
        self.relabel();
        self.sheet_relabel();
    }

    fn relabel(&self) {
        {
            let s = self.strings.borrow();
            attrs(&self.host, &[("lang", s.lang())]);
            if s.rtl() {
                attrs(&self.host, &[("dir", "rtl")]);
            } else {
                let _ = self.host.remove_attribute("dir");
            }
            for (el, attr, key) in &self.labels {
                if attr.is_empty() {
                    el.set_text_content(Some(s.get(key)));
                } else {
                    attrs(el, &[(attr, s.get(key))]);
                }
            }
        }
        self.render_conn(self.state_conn.get());
        self.set_notify(self.notify_key.get());
        self.count();
    }

    pub fn is_open(&self) -> bool {
        !hidden(&self.panel)
    }

    /// Shows or hides the panel. Focus follows only a real change, and closing returns it to the
    /// launcher only from inside the panel, so the page's own focus is never taken.
    pub fn set_open(&self, open: bool) {
        let (was_open, focus_inside) = (self.is_open(), self.focus_inside());
        self.show(open);
        if open && !was_open {
            self.focus_work();
        } else if !open && was_open && focus_inside {
            focus(&self.launcher);
        }
    }

    /// The state at mount: no focus moves, the operator has not touched anything yet.
    pub fn start_open(&self, open: bool) {
        self.show(open);
    }

    /// Focus is in the shadow root (the document then sees the host as focused).
    fn focus_inside(&self) -> bool {
        self.focused().is_some()
    }

    /// The focused element in the shadow root.
    fn focused(&self) -> Option<Element> {
        self.root.active_element()
    }

    fn show(&self, open: bool) {
        let inline = has(&self.host, "data-inline");
        hide(&self.panel, !open && !inline);
        hide(&self.launcher, open || inline);
        attrs(
            &self.launcher,
            &[("aria-expanded", if open { "true" } else { "false" })],
        );
        if open {
            if self.stuck.get() {
                self.messages.set_scroll_top(self.messages.scroll_height());
            }
            self.edges();
            self.flush_later();
        }
    }

    /// Focus where work continues: the composer of the open chat, else the search box.
    fn focus_work(&self) {
        if hidden(&self.form) {
            focus(&self.search);
        } else {
            focus(&self.composer);
        }
    }

    /// Shows `text` on the panel's notice line, replacing what it showed: a polite status, plain text
    /// (never markup). It stays until the operator dismisses it or [`Ui::clear_notice`] is called.
    pub fn notice(&self, text: &str) {
        // Emptied first, so the same line shown again is announced again.
        self.note_text.set_text_content(None);
        self.note_text.set_text_content(Some(text));
        flag(&self.note, "data-shown", true);
        hide(&self.dismiss, false);
    }

    /// Empties the notice line. Focus on its dismiss button goes where work continues.
    pub fn clear_notice(&self) {
        let had_focus = self.focused().is_some_and(|f| f == self.dismiss);
        self.note_text.set_text_content(None);
        flag(&self.note, "data-shown", false);
        hide(&self.dismiss, true);
        if had_focus {
            self.focus_work();
        }
    }

    /// A file over the size limit, on the notice line: the limit and the file's size in MB. The size
    /// is rounded up to a tenth, so it always reads above the limit; `Intl` writes it in the panel's
    /// language (a decimal comma where that language has one).
    pub fn file_too_big(&self, name: &str, bytes: u64, max: u64) {
        const MB: u64 = 1024 * 1024;
        let line = {
            let s = self.strings.borrow();
            let tenths = (bytes.saturating_mul(10)).div_ceil(MB);
            let options = js_sys::Intl::NumberFormatOptions::new();
            options.set_maximum_fraction_digits(1);
            let f =
                js_sys::Intl::NumberFormat::new(&js_sys::Array::of1(&s.lang().into()), &options);
            let size = f
                .format()
                .call1(&JsValue::NULL, &(tenths as f64 / 10.0).into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_else(|| num(tenths.div_ceil(10)));
            s.fill(
                "file.too_big",
                &[("max", &num(max / MB)), ("name", name), ("size", &size)],
            )
        };
        self.notice(&line);
    }

    pub fn set_draft(&self, text: &str) {
        self.composer.set_value(text);
        self.count();
    }

    /// The desktop-notification control: `notify.enable` is a button; `notify.on` and
    /// `notify.blocked` show the state; `None` hides it.
    pub fn set_notify(&self, key: Option<&'static str>) {
        self.notify_key.set(key);
        let n = &self.notify;
        hide(n, key.is_none());
        if let Some(key) = key {
            let s = self.strings.borrow();
            let label = s.get(key);
            attrs(n, &[("aria-label", label), ("title", label)]);
            flag(n, "aria-disabled", key != "notify.enable");
            let d = if key == "notify.blocked" {
                BELL_OFF
            } else {
                BELL
            };
            attrs(&self.bell, &[("d", d)]);
        }
    }

    pub fn render(&self, state: &State, mut dirty: Dirty) {
        if self.stale.replace(false) {
            // Drawn in the old language: all redrawn.
            self.rows.take();
            self.drawn.take();
            dirty = Dirty {
                conn: true,
                chats: true,
                thread: true,
                typing: true,
                ..dirty
            };
        }
        // Layout is read first and written last: a read between writes lays the panel out again.
        let scroll = dirty.thread.then(|| self.measure_thread(state));
        if dirty.conn {
            self.render_conn(state.conn);
        }
        if dirty.chats {
            self.render_chats(state);
        }
        if dirty.chats || dirty.thread {
            self.render_head(state);
        }
        let scroll = scroll.and_then(|scroll| self.render_thread(state, scroll));
        self.render_attachment(state, dirty.thread);
        if dirty.chats || dirty.thread || dirty.typing {
            self.render_typing(state);
            self.render_arrived(state);
        }
        if let Some(scroll) = scroll {
            self.after_thread(scroll);
        }
        // With the thread's placement waiting for the frame, so does what reads the placed layout.
        if !self.frame.pending() {
            self.edges();
            self.reading_back();
        }
        self.flush_later();
    }

    /// The frame after a draw: the thread is placed as it stood before the frame's first draw, then
    /// its edges are read where the browser lays it out anyway.
    fn framed(&self) {
        let scroll = self.placing.take();
        // Hidden since the draw: placed when shown again (`show`, the next draw).
        if let Some(scroll) = scroll.filter(|_| self.messages.client_height() > 0) {
            self.place_thread(scroll);
        }
        self.edges();
        self.reading_back();
        self.flush();
    }

    fn render_conn(&self, conn: Conn) {
        self.state_conn.set(conn);
        let s = self.strings.borrow();
        let name = conn.name();
        attrs(&self.conn, &[("data-state", name)]);
        let mut k = String::from("conn.");
        k.push_str(name);
        self.conn.set_text_content(Some(s.get(&k)));
        let problem = matches!(
            conn,
            Conn::Offline | Conn::Expired | Conn::Invalid | Conn::Refused
        );
        hide(&self.notice, !problem);
        if problem {
            let mut k = String::from("notice.");
            k.push_str(name);
            self.notice_text.set_text_content(Some(s.get(&k)));
        }
    }

    /// Queues what the reader's position asks for: more chats near the list's end, older messages
    /// near the thread's top, newer ones near its bottom (when the window is short of the newest).
    /// Each edge asks once, until the next draw arms it again.
    fn edges(&self) {
        let (l, m) = (&self.list, &self.messages);
        let mut later = self.later.borrow_mut();
        if self.more.get() && l.client_height() > 0 && below(l) < 100 {
            self.more.set(false);
            later.push(UiEvent::MoreChats);
        }
        if m.client_height() > 0 {
            if self.older.get() && m.scroll_top() < 150 {
                self.older.set(false);
                later.push(UiEvent::Older);
            } else if self.newer.get() && below(m) < 150 {
                self.newer.set(false);
                later.push(UiEvent::Newer);
            }
        }
    }

    /// Sends the queued events now (never while the caller may hold the state).
    fn flush(&self) {
        let events = self.later.take();
        for e in events {
            (self.on)(e);
        }
    }

    /// Sends the queued events after the current call stack, when `render`'s caller is done: a
    /// microtask that finds the view gone does nothing.
    fn flush_later(&self) {
        if !self.later.borrow().is_empty() {
            let me = self.me.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(ui) = me.upgrade() {
                    ui.flush();
                }
            });
        }
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        for (_, url) in self.blobs.take() {
            let _ = Url::revoke_object_url(&url);
        }
        self.host.remove();
    }
}
