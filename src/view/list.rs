//! The chat list: one row per chat, newest activity first, with the filter and the badge.

use super::dates::{call, day_key, days};
use super::*;
use crate::dom::{clear, text};
use js_sys::Date;

/// How long since `since` (ISO-8601), as "4 min" or "2 h": whole units, rounded down.
pub(super) fn waited(s: &Strings, now: f64, since: &str) -> String {
    let ms = now - Date::parse(since);
    let min = if ms.is_finite() && ms > 0.0 {
        (ms / 60_000.0) as u64
    } else {
        0
    };
    if min < 60 {
        s.fill("wait.min", &[("n", &num(min))])
    } else {
        s.fill("wait.hour", &[("n", &num(min / 60))])
    }
}

impl Ui {
    pub(super) fn render_chats(&self, state: &State) {
        let (doc, s, fmt, list) = (
            &self.doc,
            self.strings.borrow(),
            self.fmt.borrow(),
            &self.list,
        );
        let unread = state.unread();
        hide(&self.badge, unread == 0);
        self.badge.set_text_content(Some(&num(unread.into())));
        self.filter
            .set_value(state.filter.map_or("", |n| DIGITS[usize::from(n.min(4))]));
        self.more.set(state.chats_more && !state.chats_loading);
        self.sort.set_value(state.sort.name());
        let now = Date::now();

        // Keep keyboard focus on the same chat across the redraw.
        let focused = self
            .focused()
            .filter(|e| Action::of(e) == Some(Action::Chat))
            .and_then(|e| e.get_attribute("data-chat"));
        let scrolled = list.scroll_top();
        clear(list);
        let (today, _) = days();
        let (mut first, mut stop) = (None, None);
        for chat in state.visible_chats() {
            let li = child(doc, list, "li", "");
            let b = child(doc, &li, "button", Action::Chat.name());
            Action::Chat.mark(&b);
            let id = num(chat.id);
            attrs(
                &b,
                &[("type", "button"), ("data-chat", &id), ("part", "chat")],
            );
            tab_stop(&b, false);
            attrs(
                &b,
                &[("data-status", DIGITS[usize::from(chat.chat_status.min(4))])],
            );
            if state.open == Some(chat.id) {
                attrs(&b, &[("aria-current", "true")]);
            }
            text(doc, &b, "span", "name", chat.title());
            let iso = chat.activity();
            let when = if iso.is_empty() {
                String::new()
            } else {
                let d = Date::new(&iso.into());
                call(
                    if day_key(&d) == today {
                        fmt.time()
                    } else {
                        fmt.short()
                    },
                    &d,
                )
            };
            text(doc, &b, "span", "time", &when);
            let last = chat.last_message.as_ref().map_or("", |m| {
                m.preview().unwrap_or(match m.media {
                    Some(_) => s.get("media.image"),
                    None => "",
                })
            });
            text(doc, &b, "span", "last", last);
            if chat.count_unread > 0 {
                let n = num(chat.count_unread.into());
                let u = text(doc, &b, "span", "unread", &n);
                attrs(&u, &[("aria-label", &s.fill("unread", &[("n", &n)]))]);
            }
            // The channel and the status on a line of their own under the preview, so the preview
            // has the row's whole width but the clock's.
            let tags = child(doc, &b, "span", "tags");
            if let Some(n) = chat.source.filter(|n| *n <= 7) {
                text(doc, &tags, "span", "source", s.get(&key("source.", n)));
            }
            let st = key("status.", chat.chat_status.min(4));
            text(doc, &tags, "span", "state", s.get(&st));
            if let Some(since) = chat.waiting() {
                let w = child(doc, &b, "span", "wait");
                attrs(&w, &[("data-since", since)]);
                // Read out as "Waiting 4 min"; seen as "4 min" under the clock.
                let label = crate::text::cat(&[s.get("wait.label"), " "]);
                text(doc, &w, "span", "sr", &label);
                w.append_with_str_1(&waited(&s, now, since))
                    .expect_throw("append");
            }
            if focused.as_deref() == Some(id.as_str())
                || (focused.is_none() && state.open == Some(chat.id))
            {
                stop = Some(b.clone());
            }
            first.get_or_insert(b);
        }
        if state.chats_loading {
            text(doc, list, "li", "more", s.get("list.more"));
        } else if first.is_none() {
            let filtered = state.filter.is_some() || !state.search.is_empty();
            text(
                doc,
                list,
                "li",
                "empty",
                s.get(if filtered { "list.none" } else { "list.empty" }),
            );
        }
        if let Some(b) = stop.or(first) {
            tab_stop(&b, true);
            if focused.is_some() {
                focus(&b);
            }
        }
        list.set_scroll_top(scrolled);
    }
}
