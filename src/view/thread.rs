//! The open chat: its head, the windowed messages with day separators, pending sends, media and
//! the client's typing.

use super::dates::{call, day_key, days};
use super::*;
use crate::dom::text;
use crate::model::{Media, Message};
use crate::state::{History, Outgoing, Phase};
use js_sys::Date;
use web_sys::{Blob, Node};

/// What one child of the thread shows. The children are kept across draws, each as long as what it
/// shows is equal: a message arriving at the end adds its bubble (and drops the oldest past the
/// window) instead of rebuilding the 150 drawn.
#[derive(PartialEq)]
pub(super) enum Drawn {
    /// A line of text by its class: the empty thread, the history line, a day, the unread divider.
    Line(&'static str, String),
    /// A message, its media's object URL, whose messages are "You", and its local day.
    Msg(Message, Option<String>, Option<u64>, i64),
    Pending(Outgoing),
}

/// Puts the thread's children in order, reusing the last draw's where equal.
struct Place<'a> {
    m: &'a Element,
    /// The last draw's children, in order, and how many of them are put or gone.
    old: Vec<(Drawn, Element)>,
    next: usize,
    new: Vec<(Drawn, Element)>,
    cursor: Option<Node>,
}

impl Place<'_> {
    /// The child showing `what` goes next: last draw's if equal, else the one `build` appends.
    fn put(&mut self, what: Drawn, build: impl FnOnce()) {
        let rest = &self.old[self.next..];
        let el = match rest.iter().position(|(d, _)| *d == what) {
            Some(at) => {
                // The thread keeps its order, so what stood before this child is not drawn again
                // (the oldest, when the window moves on): it goes now, rather than every later
                // child being moved in front of it.
                for (_, gone) in &rest[..at] {
                    if self.cursor.as_ref() == Some(gone.as_ref()) {
                        self.cursor = gone.next_sibling();
                    }
                    gone.remove();
                }
                self.next += at + 1;
                rest[at].1.clone()
            }
            None => {
                build();
                self.m.last_element_child().expect_throw("drawn")
            }
        };
        if self.cursor.as_ref() == Some(el.as_ref()) {
            self.cursor = el.next_sibling();
        } else if self.cursor.is_some() || el.next_sibling().is_some() {
            // (Built at the end with nothing after the cursor, it is in place already.)
            self.m
                .insert_before(&el, self.cursor.as_ref())
                .expect_throw("insert_before");
        }
        self.new.push((what, el));
    }

    /// The local day of `msg` as the last draw found it: parsing the date of every message in
    /// the window again on each draw cost more than drawing the one that came.
    fn day_of(&self, msg: &Message) -> Option<i64> {
        self.old[self.next..].iter().find_map(|(d, _)| match d {
            Drawn::Msg(m, .., day) if m.id == msg.id && m.created_at == msg.created_at => {
                Some(*day)
            }
            _ => None,
        })
    }

    /// Removes what the draw did not put, and returns what it did.
    fn done(mut self) -> Vec<(Drawn, Element)> {
        while let Some(gone) = self.cursor.take() {
            self.cursor = gone.next_sibling();
            let _ = self.m.remove_child(&gone);
        }
        self.new
    }
}

fn is_image(m: &Media) -> bool {
    m.kind == 1 || m.format.as_deref().is_some_and(crate::media::is_image)
}

/// Points a media bubble's preview and link at its fetched bytes.
fn fill_media(msg: &Element, url: &str) {
    if let Ok(Some(img)) = msg.query_selector("img.preview") {
        attrs(&img, &[("src", url)]);
    }
    if let Ok(Some(a)) = msg.query_selector("a.file") {
        attrs(&a, &[("href", url)]);
    }
}

/// Where the thread stood before a draw, and how to scroll it after.
pub(super) struct Scroll {
    visible: bool,
    /// Stay at (or go to) the newest message.
    stick: bool,
    /// Otherwise the first message in view keeps its offset: its id attribute, id and offset.
    anchor: Option<(&'static str, String, i32)>,
    scrolled: i32,
    had_focus: Option<Element>,
    /// The unread divider to show first, once.
    divider: Option<u64>,
}

impl Ui {
    /// The bytes of a media message arrived: link them (the view owns the URL until it drops).
    pub fn media_ready(&self, message_id: u64, blob: &Blob) {
        let mut css = String::from(".msg[data-id=\"");
        css.push_str(&num(message_id));
        css.push_str("\"]");
        // Its message left the window (or the chat closed) while the bytes came: no URL for it; it
        // is asked for again if it comes back.
        let Ok(Some(msg)) = self.messages.query_selector(&css) else {
            self.asked.borrow_mut().retain(|id| *id != message_id);
            return;
        };
        let Ok(url) = Url::create_object_url_with_blob(blob) else {
            return;
        };
        {
            let mut blobs = self.blobs.borrow_mut();
            if let Some(old) = blobs.iter().position(|(id, _)| *id == message_id) {
                let _ = Url::revoke_object_url(&blobs.swap_remove(old).1);
            }
            blobs.push((message_id, url.clone()));
        }
        fill_media(&msg, &url);
    }

    /// Revokes the object URLs of media no longer drawn, so a long shift holds only the window's.
    fn forget_media(&self, shown: &[Message]) {
        let drawn = |id: &u64| shown.iter().any(|m| m.id == *id);
        let mut blobs = self.blobs.borrow_mut();
        let mut i = 0;
        while i < blobs.len() {
            if drawn(&blobs[i].0) {
                i += 1;
            } else {
                let _ = Url::revoke_object_url(&blobs.swap_remove(i).1);
            }
        }
        self.asked.borrow_mut().retain(drawn);
    }

    pub(super) fn render_head(&self, state: &State) {
        let open = state.open;
        let chat = open.and_then(|id| state.chat(id));
        hide(&self.head, open.is_none());
        hide(&self.form, open.is_none());
        flag(&self.body, "data-open", open.is_some());
        self.title
            .set_text_content(Some(chat.map_or("", |c| c.title())));
        let assignee = chat
            .and_then(|c| c.operator.as_ref())
            .and_then(|o| o.name.as_deref())
            .filter(|n| !n.trim().is_empty());
        hide(&self.assignee, assignee.is_none());
        if let Some(name) = assignee {
            let line = self.strings.borrow().fill("assigned", &[("name", name)]);
            self.assignee.set_text_content(Some(&line));
        }
        // Who and where: the customer's phone (with a copy button) and the channel, when the server
        // says (the documented chat carries neither, and then both stay hidden).
        let phone = chat
            .and_then(|c| c.client.as_ref())
            .and_then(|c| c.phone.as_deref())
            .filter(|p| !p.trim().is_empty());
        hide(&self.phone, phone.is_none());
        hide(&self.copy, phone.is_none());
        self.phone.set_text_content(phone);
        if let Some(p) = phone {
            attrs(&self.copy, &[("data-phone", p)]);
        }
        let source = chat.and_then(|c| c.source).filter(|n| *n <= 7);
        hide(&self.channel, source.is_none());
        if let Some(n) = source {
            let s = self.strings.borrow();
            self.channel
                .set_text_content(Some(s.get(&key("source.", n))));
        }
        // After a reply, the way on to the next customer (hidden when nobody else waits).
        let next = open.is_some() && state.just_left == open && state.next_waiting().is_some();
        hide(&self.next, !next);
        hide(&self.status, chat.is_none());
        if let Some(c) = chat {
            self.status
                .set_value(DIGITS[usize::from(c.chat_status.min(4))]);
        }
    }

    pub(super) fn render_typing(&self, state: &State) {
        let colleague = state.colleague_in_open();
        hide(&self.colleague, colleague.is_none());
        if let Some(c) = colleague {
            let k = if c.replied {
                "colleague.replied"
            } else {
                "colleague.typing"
            };
            let line = self.strings.borrow().fill(k, &[("name", &c.name)]);
            self.colleague.set_text_content(Some(&line));
        }
        let title = state
            .open
            .and_then(|id| state.chat(id))
            .map_or("", |c| c.title());
        let name = state
            .typing_name()
            .map(|n| if n.is_empty() { title } else { n });
        hide(&self.typing, name.is_none());
        if let Some(name) = name {
            let line = self.strings.borrow().fill("typing", &[("name", name)]);
            self.typing.set_text_content(Some(&line));
        }
    }

    /// The "↓ N new" button: shown while messages arrived below the part being read.
    pub(super) fn render_arrived(&self, state: &State) {
        let n = state.arrived;
        hide(&self.latest, n == 0);
        if n > 0 {
            let line = self
                .strings
                .borrow()
                .fill("thread.arrived", &[("n", &num(u64::from(n)))]);
            self.latest.set_text_content(Some(&line));
        }
    }

    /// Redraws the thread's window without moving what the reader sees: at the end it stays at the
    /// end; otherwise the first visible message keeps its offset from the top.
    ///
    /// Reads where the thread stands, before the draw writes anything: reading layout after a
    /// write makes the browser lay the panel out again, on every message.
    pub(super) fn measure_thread(&self, state: &State) -> Scroll {
        let m = &self.messages;
        let fresh = self.shown_chat.get() != state.open;
        let had_focus = self.focused().filter(|a| a != m && m.contains(Some(a)));
        // A draw earlier in this frame is not placed yet: where the thread stood before it still
        // holds, and reading now would lay that draw out.
        if let Some(mut scroll) = self.placing.take() {
            scroll.stick |= fresh || state.jump;
            scroll.had_focus = had_focus;
            return scroll;
        }
        let visible = m.client_height() > 0;
        let at_end = if visible {
            below(m) <= 30
        } else {
            self.stuck.get()
        };
        let stick = fresh || state.jump || (at_end && self.live.get());
        Scroll {
            visible,
            stick,
            anchor: (!stick && visible).then(|| self.anchor()).flatten(),
            scrolled: m.scroll_top(),
            had_focus,
            divider: None,
        }
    }

    /// Draws the thread's window; [`Ui::place_thread`] then scrolls it, once everything else is drawn.
    pub(super) fn render_thread(&self, state: &State, mut scroll: Scroll) -> Option<Scroll> {
        let (doc, m) = (&self.doc, &self.messages);
        let open = state.open;
        let fresh = self.shown_chat.replace(open) != open;
        if fresh {
            // The composer shows the draft of the chat it sends to, and no other.
            self.composer
                .set_value(open.map_or("", |id| state.draft(id)));
            self.count();
            self.back.set(false);
        }
        let stick = scroll.stick;
        let mut place = Place {
            m,
            old: self.drawn.take(),
            next: 0,
            new: Vec::new(),
            cursor: m.first_child(),
        };
        let live = state.at_live_edge();
        self.live.set(live);
        self.older
            .set(open.is_some() && state.history == History::More);
        self.newer.set(open.is_some() && !live);
        self.stuck.set(stick);
        let s = self.strings.borrow();
        self.forget_media(if open.is_some() { state.shown() } else { &[] });
        let line = |place: &mut Place, tag: &str, class: &'static str, label: &str| {
            place.put(Drawn::Line(class, label.into()), || {
                let el = text(doc, m, tag, class, label);
                if tag == "div" {
                    attrs(&el, &[("role", "separator")]);
                }
            });
        };
        if open.is_none() {
            line(&mut place, "p", "empty", s.get("thread.empty"));
            self.drawn.replace(place.done());
            return None;
        }
        match state.history {
            History::Loading | History::Opening => {
                line(&mut place, "p", "history", s.get("history.loading"));
            }
            History::Start => {
                line(&mut place, "p", "history", s.get("history.start"));
            }
            History::More => {}
        }
        let (today, yesterday) = days();
        let mut last_day = 0;
        let date = |msg: &Message| Date::new(&msg.created_at.as_str().into());
        for msg in state.shown() {
            let day = place.day_of(msg).unwrap_or_else(|| day_key(&date(msg)));
            if day != last_day {
                last_day = day;
                let label = if day == today {
                    s.get("day.today").into()
                } else if day == yesterday {
                    s.get("day.yesterday").into()
                } else {
                    call(self.fmt.borrow().day(), &date(msg))
                };
                line(&mut place, "div", "day", &label);
            }
            if Some(msg.id) == state.divider {
                line(&mut place, "div", "divider", s.get("thread.unread"));
            }
            let url = self
                .blobs
                .borrow()
                .iter()
                .find(|(id, _)| *id == msg.id)
                .map(|(_, url)| url.clone());
            place.put(Drawn::Msg(msg.clone(), url, state.me, day), || {
                self.bubble(&s, msg, &date(msg), state.me)
            });
        }
        if live {
            for o in state.open_outbox() {
                if last_day != today {
                    last_day = today;
                    line(&mut place, "div", "day", s.get("day.today"));
                }
                place.put(Drawn::Pending(o.clone()), || self.pending(&s, o));
            }
        }
        self.drawn.replace(place.done());
        // Opening a chat with unread messages shows the first of them, once: after that the
        // operator's own scrolling decides.
        scroll.divider = state
            .divider
            .filter(|d| scroll.visible && self.divided.get() != Some(*d));
        Some(scroll)
    }

    /// After a draw: focus on something it removed moves to the thread itself, and the thread is
    /// placed at the next frame, where the browser lays it out anyway (reading layout here laid it
    /// out once more per message). Hidden, it is placed now: there is nothing to lay out.
    pub(super) fn after_thread(&self, mut scroll: Scroll) {
        if scroll.had_focus.take().is_some_and(|a| !a.is_connected()) {
            focus(&self.messages);
        }
        if scroll.visible && self.frame.request() {
            self.placing.set(Some(scroll));
        } else {
            self.place_thread(scroll);
        }
    }

    /// Scrolls the drawn thread as [`Ui::measure_thread`] found it: the one layout a frame's draws need.
    pub(super) fn place_thread(&self, scroll: Scroll) {
        let m = &self.messages;
        let divider = scroll
            .divider
            .and_then(|_| m.query_selector(".divider").ok().flatten())
            .and_then(|el| el.dyn_into::<HtmlElement>().ok());
        if let Some(el) = divider {
            self.divided.set(scroll.divider);
            m.set_scroll_top(el.offset_top() - 8);
        } else if scroll.stick {
            m.set_scroll_top(m.scroll_height());
        } else if let Some(top) = scroll.anchor.and_then(|(attr, id, offset)| {
            let all = m.query_selector_all(".msg").ok()?;
            elements(all)
                .filter_map(|el| el.dyn_into::<HtmlElement>().ok())
                .find(|el| el.get_attribute(attr).as_deref() == Some(id.as_str()))
                .map(|el| el.offset_top() - offset)
        }) {
            m.set_scroll_top(top);
        } else {
            m.set_scroll_top(scroll.scrolled);
        }
    }

    /// The first message in view: its id attribute, id, and offset from the top of the view.
    fn anchor(&self) -> Option<(&'static str, String, i32)> {
        let m = &self.messages;
        let top = m.scroll_top();
        let all = m.query_selector_all(".msg").ok()?;
        let el = elements(all)
            .filter_map(|el| el.dyn_into::<HtmlElement>().ok())
            .find(|el| el.offset_top() + el.offset_height() > top)?;
        let offset = el.offset_top() - top;
        match el.get_attribute("data-id") {
            Some(id) => Some(("data-id", id, offset)),
            None => Some((
                "data-client-id",
                el.get_attribute("data-client-id")?,
                offset,
            )),
        }
    }

    fn bubble(&self, s: &Strings, m: &Message, date: &Date, me: Option<u64>) {
        let doc = &self.doc;
        let class = match m.author {
            0 => "msg out",
            2 => "msg sys",
            _ => "msg in",
        };
        let el = child(doc, &self.messages, "div", class);
        attrs(&el, &[("data-id", &num(m.id)), ("part", "message")]);
        // "You" only for this operator's own messages; a colleague's by name; "Operator" when
        // the server does not say who wrote it.
        let other = key("author.", m.author.min(2));
        let author = match (m.author, &m.operator) {
            (0, Some(op)) if Some(op.id) == me => s.get("author.0"),
            (0, Some(op)) => op
                .name
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| s.get("author.operator")),
            (0, None) => s.get("author.operator"),
            _ => s.get(&other),
        };
        text(doc, &el, "span", "author", author);
        if let Some(media) = &m.media {
            self.media(s, &el, m, media);
        }
        if let Some(t) = m.message.as_deref().filter(|t| !t.is_empty()) {
            text(doc, &el, "span", "text", t);
        }
        let mut meta = call(self.fmt.borrow().time(), date);
        if m.author == 0 {
            meta.push_str(" · ");
            meta.push_str(s.get(match m.status {
                1 => "state.delivered",
                2 => "state.failed",
                3 => "state.read",
                _ => "state.sent",
            }));
        }
        text(doc, &el, "span", "meta", &meta);
    }

    /// An image preview and a file link; the bytes are asked for once and linked when they arrive.
    fn media(&self, s: &Strings, el: &Element, m: &Message, media: &Media) {
        let doc = &self.doc;
        let name = media
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| s.get("media.image"));
        if is_image(media) {
            let img = child(doc, el, "img", "preview");
            attrs(&img, &[("alt", name)]);
        }
        let a = text(doc, el, "a", "file", name);
        attrs(&a, &[("download", name)]);
        let ready = self
            .blobs
            .borrow()
            .iter()
            .find(|(id, _)| *id == m.id)
            .map(|(_, url)| url.clone());
        match (ready, &media.url) {
            (Some(url), _) => fill_media(el, &url),
            (None, Some(url)) if !self.asked.borrow().contains(&m.id) => {
                self.asked.borrow_mut().push(m.id);
                self.later.borrow_mut().push(UiEvent::Media {
                    chat_id: m.chat_id,
                    message_id: m.id,
                    url: url.clone(),
                });
            }
            _ => {}
        }
    }

    fn pending(&self, s: &Strings, o: &Outgoing) {
        let doc = &self.doc;
        let (class, state) = match o.phase {
            Phase::Failed => ("msg out failed", "state.failed"),
            Phase::Sent => ("msg out sent", "state.sent"),
            _ => ("msg out pending", "state.sending"),
        };
        let el = child(doc, &self.messages, "div", class);
        attrs(
            &el,
            &[
                ("data-client-id", &o.client_message_id),
                ("part", "message"),
            ],
        );
        text(doc, &el, "span", "author", s.get("author.0"));
        if let Some(media) = &o.media {
            text(doc, &el, "span", "file", &media.name);
        }
        if !o.text.is_empty() {
            text(doc, &el, "span", "text", &o.text);
        }
        let meta = text(doc, &el, "span", "meta", s.get(state));
        if o.phase == Phase::Failed {
            // A text button: its label is visible and is its accessible name.
            let retry = text(doc, &meta, "button", "retry", s.get("retry"));
            attrs(
                &retry,
                &[("type", "button"), ("data-retry", &o.client_message_id)],
            );
            Action::Retry.mark(&retry);
        }
    }
}
