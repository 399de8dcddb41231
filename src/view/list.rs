//! The chat list: one row per chat, newest activity first, with the filter and the badge.

use super::dates::{call, day_key, days};
use super::*;
use crate::dom::{clear, text};
use js_sys::Date;

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
            if state.open == Some(chat.id) {
                attrs(&b, &[("aria-current", "true")]);
            }
            text(doc, &b, "span", "name", chat.title());
            if let Some(n) = chat.source.filter(|n| *n <= 7) {
                text(doc, &b, "span", "source", s.get(&key("source.", n)));
            }
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
