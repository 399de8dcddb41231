//! What the operator does: clicks, keys (the list's roving focus, Enter to send), typing, the
//! selects and the file input, and scrolling to an edge.

use super::*;
use crate::text::parse;
use web_sys::KeyboardEvent;

/// The longest message the API takes, in characters.
const LIMIT: usize = 4096;
/// The counter shows from this many characters left.
const NEAR: usize = 200;
/// The composer grows with its text up to this many lines, then scrolls.
const MAX_LINES: i32 = 8;
/// The composer's line height in CSS pixels (style.css: `textarea`).
const LINE_PX: i32 = 20;

impl Ui {
    /// The characters left, shown near the limit. Past it the draft is kept as it is (never cut: the
    /// operator decides what goes), the counter goes negative and reads as an error, the composer is
    /// marked invalid and Send is disabled until the text fits. Characters, not UTF-16 units (what
    /// `maxlength` would count): the API takes 4096 characters, emoji included.
    pub(super) fn count(&self) {
        self.fit();
        let n = self.composer.value().chars().count();
        let over = n > LIMIT;
        let left = LIMIT.saturating_sub(n);
        hide(&self.counter, left > NEAR);
        flag(&self.counter, "data-over", over);
        self.send.set_disabled(over);
        if over {
            attrs(&self.composer, &[("aria-invalid", "true")]);
        } else {
            let _ = self.composer.remove_attribute("aria-invalid");
        }
        if left <= NEAR {
            let s = self.strings.borrow();
            let line = if over {
                let minus = crate::text::cat(&["-", &num((n - LIMIT) as u64)]);
                s.fill(
                    "composer.over",
                    &[("n", &minus), ("max", &num(LIMIT as u64))],
                )
            } else {
                s.fill("composer.left", &[("n", &num(left as u64))])
            };
            self.counter.set_text_content(Some(&line));
        }
        self.replies_sync();
    }

    /// Sizes the composer to its text, from one line up to `MAX_LINES`, then it scrolls. Through
    /// `rows` rather than an inline style, which a strict `style-src` policy would refuse. Measured
    /// at one row, so it shrinks again when text goes.
    fn fit(&self) {
        let c = &self.composer;
        attrs(c, &[("rows", "1")]);
        // What overflows one row, in lines, rounded: sub-pixel layout must not add a line.
        let extra = (c.scroll_height() - c.client_height()).max(0);
        let lines = (1 + (extra + LINE_PX / 2) / LINE_PX).min(MAX_LINES);
        if lines > 1 {
            attrs(c, &[("rows", &num(lines as u64))]);
        }
    }

    /// Sends the draft and the waiting file, unless there is neither or the text is over the limit
    /// (then Enter and Send do nothing).
    fn submit(&self) {
        let text = self.composer.value();
        let something = !text.trim().is_empty() || self.has_attachment();
        if something && text.chars().count() <= LIMIT {
            self.composer.set_value("");
            self.count();
            if let Some(chat_id) = self.shown_chat.get() {
                (self.on)(UiEvent::Send { chat_id, text });
            }
        }
    }

    pub(super) fn open_chat(&self, b: &Element, keyboard: bool) {
        if let Some(id) = b.get_attribute("data-chat").and_then(|id| parse(&id)) {
            (self.on)(UiEvent::Open(id));
            if keyboard {
                focus(&self.composer);
            }
        }
    }

    /// Routes a click by the `data-action` of the element it landed in (see [`Action`]).
    pub(super) fn click(&self, e: &Event) {
        let Some(b) = target(e).and_then(|t| t.closest("[data-action]").ok().flatten()) else {
            return;
        };
        let Some(action) = Action::of(&b) else { return };
        let on = &self.on;
        match action {
            Action::Launcher => on(UiEvent::Toggle),
            Action::Close => on(UiEvent::Close),
            Action::Notify if !has(&b, "aria-disabled") => on(UiEvent::Notify),
            Action::Notify => {}
            Action::Back => {
                on(UiEvent::Back);
                let mut css = String::from(CHAT_ROWS);
                css.push_str("[tabindex='0']");
                match self.list.query_selector(&css) {
                    Ok(Some(chat)) => focus(&chat),
                    _ => focus(&self.search),
                }
            }
            Action::Chat => self.open_chat(&b, false),
            Action::Retry => {
                if let Some(id) = b.get_attribute("data-retry") {
                    on(UiEvent::Retry(id));
                }
            }
            Action::Send => self.submit(),
            Action::Dismiss => self.clear_notice(),
            Action::Attach => self.file.click(),
            Action::Next => self.next_waiting(),
            Action::Latest => {
                on(UiEvent::JumpLatest);
                // The button hides itself: focus goes on to the thread it scrolled.
                focus(&self.messages);
            }
            Action::Copy => {
                if let Some(phone) = b.get_attribute("data-phone") {
                    on(UiEvent::Copy(phone));
                }
            }
            Action::Keys => self.toggle_sheet(),
            Action::Remove => self.remove_attachment(),
        }
    }

    /// Opens the next waiting chat and puts the caret in its composer, ready to answer.
    pub(super) fn next_waiting(&self) {
        (self.on)(UiEvent::NextWaiting);
        if !hidden(&self.form) {
            focus(&self.composer);
        }
    }

    pub(super) fn key(&self, e: &Event) {
        let (Some(t), Some(e)) = (target(e), e.dyn_ref::<KeyboardEvent>()) else {
            return;
        };
        // The sheet, then the saved replies, take their keys first; then the shortcut table
        // (sheet.rs, crate::keys), which also closes the panel on Escape.
        if self.sheet_key(e)
            || (is(&t, &self.composer) && self.replies_key(e))
            || self.shortcut(&t, e)
        {
            return;
        }
        let key = e.key();
        match key.as_str() {
            "Enter" if is(&t, &self.composer) && !e.shift_key() && !e.is_composing() => {
                e.prevent_default();
                self.submit();
            }
            _ if Action::of(&t) != Some(Action::Chat) => {}
            "Enter" | " " => {
                e.prevent_default();
                self.open_chat(&t, true);
            }
            "ArrowDown" | "ArrowUp" | "Home" | "End" => {
                e.prevent_default();
                let Ok(all) = self.list.query_selector_all(CHAT_ROWS) else {
                    return;
                };
                let rows: Vec<Element> = elements(all).collect();
                let last = rows.len().saturating_sub(1);
                let i = rows.iter().position(|r| *r == t).unwrap_or(0);
                let j = match key.as_str() {
                    "ArrowDown" => (i + 1).min(last),
                    "ArrowUp" => i.saturating_sub(1),
                    "Home" => 0,
                    _ => last,
                };
                if let Some(next) = rows.get(j) {
                    tab_stop(&t, false);
                    tab_stop(next, true);
                    focus(next);
                }
            }
            _ => {}
        }
    }

    pub(super) fn input(&self, e: &Event) {
        let Some(t) = target(e) else { return };
        if is(&t, &self.composer) {
            self.count();
            if let Some(chat_id) = self.shown_chat.get() {
                let text = self.composer.value();
                (self.on)(UiEvent::Draft { chat_id, text });
            }
        } else if is(&t, &self.search) {
            let me = self.me.clone();
            *self.search_timer.borrow_mut() = Some(Timeout::new(300, move || {
                if let Some(ui) = me.upgrade() {
                    (ui.on)(UiEvent::Search(ui.search.value()));
                }
            }));
        }
    }

    pub(super) fn change(&self, e: &Event) {
        let Some(t) = target(e) else { return };
        if is(&t, &self.filter) {
            (self.on)(UiEvent::Filter(parse(&self.filter.value())));
        } else if is(&t, &self.sort) {
            if let Some(sort) = crate::state::Sort::from_name(&self.sort.value()) {
                (self.on)(UiEvent::Sort(sort));
            }
        } else if is(&t, &self.status) {
            if let Some(n) = parse(&self.status.value()) {
                (self.on)(UiEvent::SetStatus(n));
            }
        } else if is(&t, &self.file) {
            let file = self.file.files().and_then(|files| files.get(0));
            self.file.set_value("");
            self.take_file(file);
        }
    }

    pub(super) fn scrolled(&self, _: &Event) {
        // A draw waits for its frame, which reads these once the thread is placed.
        if self.frame.pending() {
            return;
        }
        self.edges();
        self.reading_back();
        self.flush();
    }

    /// Tells the state when the operator leaves or reaches the newest message (on change only):
    /// what arrives meanwhile is counted on the "↓ N new" button.
    pub(super) fn reading_back(&self) {
        let m = &self.messages;
        if m.client_height() == 0 || self.shown_chat.get().is_none() {
            return;
        }
        let back = below(m) > 30 || !self.live.get();
        if self.back.replace(back) != back {
            self.later.borrow_mut().push(UiEvent::ReadingBack(back));
        }
    }
}
