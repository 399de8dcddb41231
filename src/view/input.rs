//! What the operator does: clicks, keys (the list's roving focus, Enter to send), typing, the
//! selects and the file input, and scrolling to an edge.

use super::*;
use crate::text::parse;

/// The longest message the API takes, in characters.
const LIMIT: usize = 4096;
/// The counter shows from this many characters left.
const NEAR: usize = 200;

impl Ui {
    /// The characters left, shown near the limit. Past it the draft is kept as it is (never cut: the
    /// operator decides what goes), the counter goes negative and reads as an error, the composer is
    /// marked invalid and Send is disabled until the text fits. Characters, not UTF-16 units (what
    /// `maxlength` would count): the API takes 4096 characters, emoji included.
    pub(super) fn count(&self) {
        let n = value(&self.composer).chars().count();
        let over = n > LIMIT;
        let left = LIMIT.saturating_sub(n);
        flag(&self.counter, "hidden", left > NEAR);
        flag(&self.counter, "data-over", over);
        flag(&self.send, "disabled", over);
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
    }

    /// Sends the draft, unless it is blank or over the limit (then Enter and Send do nothing).
    fn submit(&self) {
        let text = value(&self.composer);
        if !text.trim().is_empty() && text.chars().count() <= LIMIT {
            set_value(&self.composer, "");
            self.count();
            if let Some(chat_id) = self.shown_chat.get() {
                (self.on)(UiEvent::Send { chat_id, text });
            }
        }
    }

    fn open_chat(&self, b: &Element, keyboard: bool) {
        if let Some(id) = b.get_attribute("data-chat").and_then(|id| parse(&id)) {
            (self.on)(UiEvent::Open(id));
            if keyboard {
                focus(&self.composer);
            }
        }
    }

    pub(super) fn click(&self, e: &Event) {
        let Some(b) = target(e).and_then(|t| t.closest("button").ok().flatten()) else {
            return;
        };
        let on = &self.on;
        match class(&b).as_str() {
            "launcher" => on(UiEvent::Toggle),
            "close" => on(UiEvent::Close),
            "notify" if !has(&b, "aria-disabled") => on(UiEvent::Notify),
            "back" => {
                on(UiEvent::Back);
                match self.list.query_selector(".chat[tabindex='0']") {
                    Ok(Some(chat)) => focus(&chat),
                    _ => focus(&self.search),
                }
            }
            "chat" => self.open_chat(&b, false),
            "retry" => {
                if let Some(id) = b.get_attribute("data-retry") {
                    on(UiEvent::Retry(id));
                }
            }
            "send" => self.submit(),
            "dismiss" => self.clear_notice(),
            "attach" => self.file.click(),
            _ => {}
        }
    }

    pub(super) fn key(&self, e: &Event) {
        let Some(t) = target(e) else { return };
        let key = string(e, "key");
        match key.as_str() {
            "Escape" => (self.on)(UiEvent::Close),
            "Enter"
                if same(&t, &self.composer)
                    && !truth(e, "shiftKey")
                    && !truth(e, "isComposing") =>
            {
                e.prevent_default();
                self.submit();
            }
            _ if class(&t) != "chat" => {}
            "Enter" | " " => {
                e.prevent_default();
                self.open_chat(&t, true);
            }
            "ArrowDown" | "ArrowUp" | "Home" | "End" => {
                e.prevent_default();
                let Ok(all) = self.list.query_selector_all(".chat") else {
                    return;
                };
                let n = len(&all);
                let i = (0..n).find(|&i| same(&at(&all, i), &t)).unwrap_or(0);
                let j = match key.as_str() {
                    "ArrowDown" => (i + 1).min(n.saturating_sub(1)),
                    "ArrowUp" => i.saturating_sub(1),
                    "Home" => 0,
                    _ => n.saturating_sub(1),
                };
                let next = at(&all, j);
                if !next.is_undefined() {
                    let next: Element = next.unchecked_into();
                    attrs(&t, &[("tabindex", "-1")]);
                    attrs(&next, &[("tabindex", "0")]);
                    focus(&next);
                }
            }
            _ => {}
        }
    }

    pub(super) fn input(&self, e: &Event) {
        let Some(t) = target(e) else { return };
        if same(&t, &self.composer) {
            self.count();
            if let Some(chat_id) = self.shown_chat.get() {
                let text = value(&self.composer);
                (self.on)(UiEvent::Draft { chat_id, text });
            }
        } else if class(&t) == "search" {
            let me = self.me.clone();
            *self.search_timer.borrow_mut() = Some(Timeout::new(300, move || {
                if let Some(ui) = me.upgrade() {
                    (ui.on)(UiEvent::Search(value(&ui.search)));
                }
            }));
        }
    }

    pub(super) fn change(&self, e: &Event) {
        let Some(t) = target(e) else { return };
        match class(&t).as_str() {
            "filter" => (self.on)(UiEvent::Filter(parse(&value(&self.filter)))),
            "status" => {
                if let Some(n) = parse(&value(&self.status)) {
                    (self.on)(UiEvent::SetStatus(n));
                }
            }
            "upload" => {
                let file = at(&get(&self.file, "files"), 0);
                set_value(&self.file, "");
                if !file.is_undefined() {
                    (self.on)(UiEvent::Attach(file.unchecked_into()));
                }
            }
            _ => {}
        }
    }

    pub(super) fn scrolled(&self, _: &Event) {
        self.edges();
        self.flush();
    }
}
