//! The chat list: one row per chat, newest activity first, with the filter and the badge.

use super::dates::call;
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
        // Read before anything is written: a read after a write lays the panel out again.
        let scrolled = list.scroll_top();
        let unread = num(state.unread().into());
        hide(&self.badge, unread == "0");
        if self.badge.text_content().as_deref() != Some(unread.as_str()) {
            self.badge.set_text_content(Some(&unread));
        }
        self.filter
            .set_value(state.filter.map_or("", |n| DIGITS[usize::from(n.min(4))]));
        self.more.set(state.chats_more && !state.chats_loading);
        self.sort.set_value(state.sort.name());
        let now = Date::now();

        // Keep keyboard focus on the same chat across the redraw.
        let focus_el = self.focused();
        let focused = focus_el
            .clone()
            .filter(|e| Action::of(e) == Some(Action::Chat))
            .and_then(|e| e.get_attribute("data-chat"));
        // Today, as a span of the clock: one parse per row instead of a Date and its getters.
        let day = Date::new_0();
        day.set_hours(0);
        day.set_minutes(0);
        day.set_seconds(0);
        day.set_milliseconds(0);
        let midnight = day.get_time();
        day.set_date(day.get_date() + 1);
        let today = midnight..day.get_time();
        // The row Tab stops on: the focused chat's, else the open one's (with focus elsewhere), else
        // the first.
        let visible: Vec<u64> = state.visible_chats().map(|c| c.id).collect();
        let wanted = match focused.as_deref() {
            Some(f) => visible.iter().copied().find(|id| num(*id) == f),
            None => state.open.filter(|id| visible.contains(id)),
        };
        let stop_id = wanted.or(visible.first().copied());
        let mut stop = None;
        // Rows are kept across draws, keyed by chat and by everything they show: a live message
        // rebuilds its own chat's row and moves it, not the whole list (a full redraw of 1,000 rows
        // was a long task on every message). Whatever is left after the last row goes.
        let mut old = self.rows.take();
        let mut rows = Vec::with_capacity(old.len());
        let mut cursor = list.first_child();
        for chat in state.visible_chats() {
            let iso = chat.activity();
            let is_today = today.contains(&Date::parse(iso));
            let last = chat.last_message.as_ref().map_or("", |m| {
                m.preview().unwrap_or(match m.media {
                    Some(_) => s.get("media.image"),
                    None => "",
                })
            });
            let source = chat
                .source
                .filter(|n| *n <= 7)
                .map(|n| s.get(&key("source.", n)).to_owned());
            let since = chat.waiting();
            let wait = since.map(|since| waited(&s, now, since));
            let unread = num(chat.count_unread.into());
            let open = state.open == Some(chat.id);
            let status = DIGITS[usize::from(chat.chat_status.min(4))];
            let shows = crate::text::cat(&[
                chat.title(),
                "\u{1f}",
                iso,
                if is_today {
                    "\u{1f}t\u{1f}"
                } else {
                    "\u{1f}d\u{1f}"
                },
                last,
                "\u{1f}",
                &unread,
                "\u{1f}",
                source.as_deref().unwrap_or(""),
                "\u{1f}",
                status,
                "\u{1f}",
                since.unwrap_or(""),
                if open { "\u{1f}o" } else { "" },
                if stop_id == Some(chat.id) {
                    "\u{1f}s"
                } else {
                    ""
                },
            ]);
            // The waiting time changes every minute for every waiting chat: it is updated in its
            // row, not a reason to rebuild the row.
            let kept = old
                .iter()
                .position(|(id, k, ..)| *id == chat.id && *k == shows)
                .map(|at| {
                    let (.., li, mut shown) = old.swap_remove(at);
                    if let (Some((was, node)), Some(now)) = (&mut shown, &wait) {
                        if was != now {
                            node.set_node_value(Some(now));
                            was.clone_from(now);
                        }
                    }
                    (li, shown)
                });
            let (li, shown) = kept.unwrap_or_else(|| {
                let mut shown = None;
                // The row holding focus keeps its elements where it stays in place: a focused
                // element replaced loses focus, and giving it back lays the panel out, on every
                // message that comes into the chat the operator has just clicked.
                // The row this one replaces: the focused row keeps its elements where it stays in
                // place (a focused element replaced loses focus, and giving it back lays the panel
                // out, on every message into the chat the operator just clicked); any other goes
                // now, not after the last row, where it would stand at the cursor and every row
                // after it would be moved past it.
                let stale = old
                    .iter()
                    .position(|(id, ..)| *id == chat.id)
                    .map(|at| old.swap_remove(at).2);
                let here = stale
                    .as_ref()
                    .is_some_and(|li| cursor.as_ref() == Some(li.as_ref()));
                let reused = stale.and_then(|li| {
                    let b = li.first_element_child();
                    let keep = here && focus_el.as_ref().is_some_and(|f| li.contains(Some(f)));
                    match b {
                        Some(b) if keep => {
                            clear(&b);
                            let _ = b.remove_attribute("aria-current");
                            Some((li, b))
                        }
                        _ => {
                            if here {
                                cursor = li.next_sibling();
                            }
                            li.remove();
                            None
                        }
                    }
                });
                let (li, b) = reused.unwrap_or_else(|| {
                    let li = doc.create_element("li").expect_throw("li");
                    let b = child(doc, &li, "button", Action::Chat.name());
                    Action::Chat.mark(&b);
                    let id = num(chat.id);
                    attrs(
                        &b,
                        &[("type", "button"), ("data-chat", &id), ("part", "chat")],
                    );
                    // A kept row is the focused one, the tab stop already: its tabindex set again
                    // would restyle the panel at once.
                    tab_stop(&b, stop_id == Some(chat.id));
                    (li, b)
                });
                attrs(&b, &[("data-status", status)]);
                if open {
                    attrs(&b, &[("aria-current", "true")]);
                }
                text(doc, &b, "span", "name", chat.title());
                let when = if iso.is_empty() {
                    String::new()
                } else {
                    let d = Date::new(&iso.into());
                    call(if is_today { fmt.time() } else { fmt.short() }, &d)
                };
                text(doc, &b, "span", "time", &when);
                text(doc, &b, "span", "last", last);
                if chat.count_unread > 0 {
                    let u = text(doc, &b, "span", "unread", &unread);
                    attrs(&u, &[("aria-label", &s.fill("unread", &[("n", &unread)]))]);
                }
                // The channel and the status on a line of their own under the preview, so the
                // preview has the row's whole width but the clock's.
                let tags = child(doc, &b, "span", "tags");
                if let Some(label) = &source {
                    text(doc, &tags, "span", "source", label);
                }
                let st = key("status.", chat.chat_status.min(4));
                text(doc, &tags, "span", "state", s.get(&st));
                if let (Some(since), Some(wait)) = (since, &wait) {
                    let w = child(doc, &b, "span", "wait");
                    attrs(&w, &[("data-since", since)]);
                    // Read out as "Waiting 4 min"; seen as "4 min" under the clock.
                    let label = crate::text::cat(&[s.get("wait.label"), " "]);
                    text(doc, &w, "span", "sr", &label);
                    w.append_with_str_1(wait).expect_throw("append");
                    shown = w.last_child().map(|node| (wait.clone(), node));
                }
                (li, shown)
            });
            if cursor.as_ref() == Some(li.as_ref()) {
                cursor = li.next_sibling();
            } else {
                list.insert_before(&li, cursor.as_ref())
                    .expect_throw("insert_before");
            }
            if stop_id == Some(chat.id) {
                stop = li.first_element_child();
            }
            rows.push((chat.id, shows, li, shown));
        }
        while let Some(gone) = cursor {
            cursor = gone.next_sibling();
            let _ = list.remove_child(&gone);
        }
        self.rows.replace(rows);
        if state.chats_loading {
            text(doc, list, "li", "more", s.get("list.more"));
        } else if visible.is_empty() {
            let filtered = state.filter.is_some() || !state.search.is_empty();
            text(
                doc,
                list,
                "li",
                "empty",
                s.get(if filtered { "list.none" } else { "list.empty" }),
            );
        }
        if let Some(b) = stop {
            if focused.is_some() && self.focused().as_ref() != Some(&b) {
                // The list's scroll is put back just below: scrolling the row into view would
                // only cost a layout on every message that redraws the focused row.
                if let Some(b) = b.dyn_ref::<HtmlElement>() {
                    let options = web_sys::FocusOptions::new();
                    options.set_prevent_scroll(true);
                    let _ = b.focus_with_options(&options);
                }
            }
        }
        // At the top the list stays at the top by itself; reading back 0 would lay it out again.
        if scrolled != 0 {
            list.set_scroll_top(scrolled);
        }
    }
}
