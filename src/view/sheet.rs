//! The keyboard: what each shortcut of [`crate::keys`] does here, and the sheet that lists them
//! (built the first time it opens). The keydown listener sits inside the shadow root, so only keys
//! pressed while focus is in the panel ever get here.

use super::*;
use crate::keys::{self, Cmd, Press, GROUPS, TABLE};
use crate::state::Sort;
use web_sys::KeyboardEvent;

/// The shortcut sheet: a dialog over the panel. Focus goes into it and back where it was.
pub(super) struct Sheet {
    el: Element,
    close: Element,
    /// What had focus before the sheet opened.
    back_to: Option<Element>,
}

impl Drop for Sheet {
    fn drop(&mut self) {
        self.el.remove();
    }
}

/// Whether the browser runs on an Apple system, where Option types characters.
fn apple() -> bool {
    let platform = web_sys::window()
        .and_then(|w| w.navigator().platform().ok())
        .unwrap_or_default();
    ["Mac", "iPhone", "iPad"]
        .iter()
        .any(|p| platform.starts_with(p))
}

/// The shortcut `e` is, with focus in a text field (`typing`) or not.
fn find(e: &KeyboardEvent, typing: bool) -> Option<Cmd> {
    let (key, code) = (e.key(), e.code());
    let press = Press {
        key: &key,
        code: &code,
        alt: e.alt_key(),
        ctrl: e.ctrl_key(),
        shift: e.shift_key(),
        meta: e.meta_key(),
        apple: apple(),
    };
    keys::find(&press, typing)
}

impl Ui {
    /// Runs the shortcut `e` is, if any: true when it did something (the key is then the panel's).
    pub(super) fn shortcut(&self, t: &Element, e: &KeyboardEvent) -> bool {
        if e.is_composing() || !self.is_open() {
            return false;
        }
        let typing = is(t, &self.composer) || is(t, &self.search);
        let done = find(e, typing).is_some_and(|cmd| self.command(cmd));
        if done {
            e.prevent_default();
        }
        done
    }

    fn command(&self, cmd: Cmd) -> bool {
        let on = &self.on;
        let chat = self.shown_chat.get().is_some();
        let form = !hidden(&self.form);
        match cmd {
            Cmd::Sheet => self.toggle_sheet(),
            Cmd::Escape => on(UiEvent::Close),
            Cmd::Search => {
                focus(&self.search);
                self.search.select();
            }
            Cmd::Filter => focus(&self.filter),
            Cmd::Sort => {
                let sort = match Sort::from_name(&self.sort.value()) {
                    Some(Sort::Waiting) => Sort::Activity,
                    _ => Sort::Waiting,
                };
                self.sort.set_value(sort.name());
                on(UiEvent::Sort(sort));
                focus(&self.sort);
            }
            Cmd::Next => self.next_waiting(),
            Cmd::NextChat | Cmd::PrevChat => return self.step(cmd == Cmd::NextChat),
            Cmd::Close | Cmd::Pause if chat => {
                on(UiEvent::StatusAndNext(if cmd == Cmd::Close {
                    4
                } else {
                    3
                }));
                if !hidden(&self.form) {
                    focus(&self.composer);
                }
            }
            Cmd::Reopen if chat => on(UiEvent::SetStatus(crate::model::STATUS_OPEN)),
            Cmd::Latest if chat => {
                on(UiEvent::JumpLatest);
                focus(&self.messages);
            }
            Cmd::Copy if chat && !hidden(&self.copy) => {
                if let Some(b) = self.copy.dyn_ref::<HtmlElement>() {
                    b.click();
                }
            }
            Cmd::Attach if form => self.file.click(),
            Cmd::Write if form => focus(&self.composer),
            Cmd::Dismiss if !hidden(&self.dismiss) => self.clear_notice(),
            Cmd::Notify if !hidden(&self.notify) && !has(&self.notify, "aria-disabled") => {
                on(UiEvent::Notify)
            }
            Cmd::Retry if chat => return self.retry_all(),
            // The back button shows on narrow screens only; its click handler moves focus.
            Cmd::Back => match self.head.query_selector(".back") {
                Ok(Some(b)) if b.client_width() > 0 => {
                    if let Some(b) = b.dyn_ref::<HtmlElement>() {
                        b.click();
                    }
                }
                _ => return false,
            },
            _ => return false,
        }
        true
    }

    /// Sends every failed message of the open chat again, oldest first; false if there is none.
    fn retry_all(&self) -> bool {
        let Ok(failed) = self.messages.query_selector_all("[data-action='retry']") else {
            return false;
        };
        let ids: Vec<String> = elements(failed)
            .filter_map(|b| b.get_attribute("data-retry"))
            .collect();
        for id in &ids {
            (self.on)(UiEvent::Retry(id.clone()));
        }
        !ids.is_empty()
    }

    /// Opens the chat after (or before) the open one in the list, or the first one.
    fn step(&self, down: bool) -> bool {
        let Ok(all) = self.list.query_selector_all(CHAT_ROWS) else {
            return false;
        };
        let rows: Vec<Element> = elements(all).collect();
        let at = rows
            .iter()
            .position(|r| r.get_attribute("aria-current").as_deref() == Some("true"));
        let to = match (at, down) {
            (None, _) => 0,
            (Some(i), true) => (i + 1).min(rows.len().saturating_sub(1)),
            (Some(i), false) => i.saturating_sub(1),
        };
        let Some(row) = rows.get(to) else {
            return false;
        };
        for r in &rows {
            tab_stop(r, is(r, row));
        }
        self.open_chat(row, true);
        true
    }

    pub(super) fn sheet_open(&self) -> bool {
        self.sheet.borrow().as_ref().is_some_and(|s| !hidden(&s.el))
    }

    /// Opens the sheet (building it the first time), or closes it and puts focus back.
    pub(super) fn toggle_sheet(&self) {
        if self.sheet_open() {
            let back = self.sheet.borrow_mut().as_mut().and_then(|s| {
                hide(&s.el, true);
                s.back_to.take()
            });
            match back.filter(|b| b.is_connected() && b.client_width() > 0) {
                Some(b) => focus(&b),
                None => self.focus_work(),
            }
            return;
        }
        let back_to = self.focused();
        if self.sheet.borrow().is_none() {
            let built = self.build_sheet();
            *self.sheet.borrow_mut() = Some(built);
        }
        let close = self.sheet.borrow_mut().as_mut().map(|s| {
            s.back_to = back_to;
            hide(&s.el, false);
            s.close.clone()
        });
        if let Some(close) = close {
            focus(&close);
        }
    }

    /// Keys while the sheet is open: Escape, `?` or Ctrl+/ close it; Tab stays in it; nothing else
    /// reaches the panel. True when the sheet took the key.
    pub(super) fn sheet_key(&self, e: &KeyboardEvent) -> bool {
        if !self.sheet_open() {
            return false;
        }
        match find(e, false) {
            Some(Cmd::Escape | Cmd::Sheet) => self.toggle_sheet(),
            _ if e.key() == "Tab" => {
                if let Some(s) = self.sheet.borrow().as_ref() {
                    focus(&s.close);
                }
            }
            // Other keys keep their default (arrows scroll the sheet), but the panel under the
            // sheet does not act on them while it is open.
            _ => return true,
        }
        e.prevent_default();
        true
    }

    /// The language changed: a built sheet is made again in it, open if it was.
    pub(super) fn sheet_relabel(&self) {
        let Some(old) = self.sheet.borrow_mut().take() else {
            return;
        };
        let open = !hidden(&old.el);
        let mut new = self.build_sheet();
        new.back_to.clone_from(&old.back_to);
        let close = new.close.clone();
        hide(&new.el, !open);
        drop(old);
        *self.sheet.borrow_mut() = Some(new);
        if open {
            focus(&close);
        }
    }

    fn build_sheet(&self) -> Sheet {
        let (doc, s) = (&self.doc, self.strings.borrow());
        let el = child(doc, &self.panel, "div", "sheet");
        attrs(
            &el,
            &[
                ("role", "dialog"),
                ("aria-modal", "true"),
                ("aria-labelledby", "keys-title"),
            ],
        );
        let head = child(doc, &el, "div", "sheet-head");
        let title = text(doc, &head, "h3", "", s.get("keys.title"));
        attrs(&title, &[("id", "keys-title")]);
        let close = button(doc, &head, Action::Keys, CLOSE);
        attrs(&close, &[("aria-label", s.get("close"))]);
        let mut dl = None;
        let mut line: Option<(Element, &str)> = None;
        for (i, k) in TABLE.iter().enumerate() {
            if i == 0 || TABLE[i - 1].group != k.group {
                text(doc, &el, "h4", "", s.get(GROUPS[k.group as usize]));
                dl = Some(child(doc, &el, "dl", ""));
            }
            let Some(list) = &dl else { continue };
            let dt = match &line {
                Some((dt, label)) if *label == k.label => {
                    dt.append_with_str_1(" / ").expect_throw("append");
                    dt.clone()
                }
                _ => {
                    let row = child(doc, list, "div", "");
                    let dt = child(doc, &row, "dt", "");
                    text(doc, &row, "dd", "", s.get(k.label));
                    line = Some((dt.clone(), k.label));
                    dt
                }
            };
            for (j, part) in k.parts().enumerate() {
                if j > 0 {
                    dt.append_with_str_1("+").expect_throw("append");
                }
                text(doc, &dt, "kbd", "", keys::shown(part));
            }
        }
        Sheet {
            el,
            close,
            back_to: None,
        }
    }
}
