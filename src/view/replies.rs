//! Saved replies in the composer: `/` at its start opens a list filtered by what follows (a text
//! box with a listbox of suggestions: `aria-autocomplete=list`, the list named by `aria-controls`
//! while it shows, its active option by `aria-activedescendant`, so focus never leaves the text).
//! A `<textarea>` cannot take the combobox role or `aria-expanded` (ARIA in HTML), so a multi-line
//! composer uses the text box form of the pattern. Arrows move, Enter or Tab insert,
//! Escape closes, a click inserts. The list is built the first time it shows, and the replies are
//! asked of the panel only then.

use super::*;
use crate::dom::clear;
use crate::replies::{self, Reply};
use web_sys::KeyboardEvent;

#[derive(Default)]
enum Source {
    #[default]
    Unasked,
    /// The panel is fetching them.
    Asked,
    /// The fetch failed: asked again at the next `/`, not at each key after this one.
    Failed,
    Ready(Vec<Reply>),
}

#[derive(Default)]
pub(super) struct Picker {
    source: RefCell<Source>,
    /// The listbox and its listeners, once built.
    list: RefCell<Option<(Element, [Listener; 3])>>,
    /// The shown replies, as indices into the source, and the active one among them.
    shown: RefCell<Vec<usize>>,
    active: Cell<usize>,
    /// The composer's text when Escape closed the list: it stays closed until the text changes.
    dismissed: RefCell<Option<String>>,
}

const LIST_ID: &str = "replies";

/// The id of the `i`-th shown option.
fn option_id(i: usize) -> String {
    crate::text::cat(&["reply-", &num(i as u64)])
}

impl Ui {
    fn replies_list(&self) -> Option<Element> {
        self.picker.list.borrow().as_ref().map(|(l, _)| l.clone())
    }

    fn replies_expanded(&self) -> bool {
        self.replies_list().is_some_and(|l| !hidden(&l))
    }

    /// Opens, filters or closes the list after the composer's text changed.
    pub(super) fn replies_sync(&self) {
        let value = self.composer.value();
        let focused = self.focused().is_some_and(|f| is(&f, &self.composer));
        let dismissed = self.picker.dismissed.borrow().as_deref() == Some(value.as_str());
        if !dismissed {
            self.picker.dismissed.take();
        }
        let q = replies::query(&value);
        if q.is_none() && matches!(*self.picker.source.borrow(), Source::Failed) {
            *self.picker.source.borrow_mut() = Source::Unasked;
        }
        let Some(q) = q.filter(|_| focused && !dismissed) else {
            return self.replies_close();
        };
        let found = match &*self.picker.source.borrow() {
            Source::Ready(all) => Some(replies::find(all, q, &|s| {
                js_sys::JsString::from(s).to_lower_case().into()
            })),
            _ => None,
        };
        let Some(found) = found else {
            // Fetched when first needed, not at start-up.
            if matches!(*self.picker.source.borrow(), Source::Unasked) {
                *self.picker.source.borrow_mut() = Source::Asked;
                self.later.borrow_mut().push(UiEvent::LoadReplies);
                self.flush_later();
            }
            return;
        };
        if found.is_empty() {
            return self.replies_close();
        }
        let list = self.replies_list().unwrap_or_else(|| self.build_replies());
        clear(&list);
        {
            let source = self.picker.source.borrow();
            let Source::Ready(all) = &*source else { return };
            for (i, &at) in found.iter().enumerate() {
                let r = &all[at];
                let o = child(&self.doc, &list, "li", "reply");
                attrs(&o, &[("role", "option"), ("id", &option_id(i))]);
                text(&self.doc, &o, "span", "reply-title", &r.title);
                if !r.shortcut.is_empty() {
                    let key = crate::text::cat(&["/", &r.shortcut]);
                    text(&self.doc, &o, "span", "reply-key", &key);
                }
                text(&self.doc, &o, "span", "reply-text", &r.text);
            }
        }
        *self.picker.shown.borrow_mut() = found;
        // Labelled on each showing: the language may have arrived since it was built.
        attrs(
            &list,
            &[("aria-label", self.strings.borrow().get("replies.label"))],
        );
        hide(&list, false);
        attrs(&self.composer, &[("aria-controls", LIST_ID)]);
        self.replies_activate(0);
    }

    fn build_replies(&self) -> Element {
        let list = self.doc.create_element("ul").expect_throw("ul");
        attrs(
            &list,
            &[("id", LIST_ID), ("class", "replies"), ("role", "listbox")],
        );
        let _ = self
            .form
            .insert_before(&list, self.form.first_child().as_ref());
        let listeners = [
            // Pressing on an option must not take focus from the composer.
            Listener::new(&list, "mousedown", |e: Event| e.prevent_default()),
            Listener::new(&list, "click", handler(&self.me, Ui::replies_click)),
            Listener::new(&self.composer, "blur", handler(&self.me, Ui::replies_blur)),
        ];
        *self.picker.list.borrow_mut() = Some((list.clone(), listeners));
        list
    }

    fn replies_close(&self) {
        if let Some(list) = self.replies_list() {
            hide(&list, true);
            clear(&list);
        }
        let _ = self.composer.remove_attribute("aria-controls");
        let _ = self.composer.remove_attribute("aria-activedescendant");
    }

    fn replies_activate(&self, i: usize) {
        self.picker.active.set(i);
        let Some(list) = self.replies_list() else {
            return;
        };
        let id = option_id(i);
        let Ok(options) = list.query_selector_all("[role=option]") else {
            return;
        };
        for o in elements(options) {
            let on = o.id() == id;
            attrs(&o, &[("aria-selected", if on { "true" } else { "false" })]);
            if on {
                o.scroll_into_view_with_bool(false);
            }
        }
        attrs(&self.composer, &[("aria-activedescendant", &id)]);
    }

    /// Keys in the composer while the list is open: true when the list took the key.
    pub(super) fn replies_key(&self, e: &KeyboardEvent) -> bool {
        if !self.replies_expanded() || e.is_composing() || e.alt_key() || e.ctrl_key() {
            return false;
        }
        let n = self.picker.shown.borrow().len();
        let i = self.picker.active.get();
        match e.key().as_str() {
            "ArrowDown" => self.replies_activate((i + 1) % n.max(1)),
            "ArrowUp" => self.replies_activate((i + n.max(1) - 1) % n.max(1)),
            "Enter" | "Tab" if !e.shift_key() => self.replies_choose(i),
            "Escape" => {
                *self.picker.dismissed.borrow_mut() = Some(self.composer.value());
                self.replies_close();
            }
            _ => return false,
        }
        e.prevent_default();
        true
    }

    fn replies_click(&self, e: &Event) {
        let option = target(e).and_then(|t| t.closest("[role=option]").ok().flatten());
        let i = option.and_then(|o| crate::text::parse(o.id().strip_prefix("reply-")?));
        if let Some(i) = i {
            self.replies_choose(i);
        }
    }

    fn replies_blur(&self, _: &Event) {
        self.replies_close();
    }

    /// Hands the chosen reply's text to the panel, which fills in its placeholders.
    fn replies_choose(&self, i: usize) {
        let text = {
            let source = self.picker.source.borrow();
            let at = self.picker.shown.borrow().get(i).copied();
            match (&*source, at) {
                (Source::Ready(all), Some(at)) => all.get(at).map(|r| r.text.clone()),
                _ => None,
            }
        };
        self.replies_close();
        if let Some(text) = text {
            (self.on)(UiEvent::Reply(text));
        }
    }

    /// The replies to offer (from the `replies` attribute's URL or `setReplies`).
    pub fn set_replies(&self, all: Vec<Reply>) {
        *self.picker.source.borrow_mut() = Source::Ready(all);
        self.replies_sync();
    }

    /// Whether the replies are still being fetched (a later `setReplies` wins over the fetch).
    pub fn replies_asked(&self) -> bool {
        matches!(*self.picker.source.borrow(), Source::Asked)
    }

    /// The fetch failed: nothing to show; the next `/` that starts a message asks again.
    pub fn replies_failed(&self) {
        *self.picker.source.borrow_mut() = Source::Failed;
        self.replies_close();
    }

    /// Puts a filled-in reply into the composer as the open chat's draft. A placeholder still in it
    /// (a name the panel does not know) is selected, for the operator to type over.
    pub fn insert_reply(&self, text: &str) {
        // A reply that itself starts with `/` does not open the list again.
        *self.picker.dismissed.borrow_mut() = Some(text.to_owned());
        self.composer.set_value(text);
        focus(&self.composer);
        self.count();
        let units = |s: &str| s.encode_utf16().count() as u32;
        let left = ["{client}", "{operator}"]
            .iter()
            .filter_map(|p| replies::position(text, p).map(|at| (at, p.len())))
            .min();
        let (from, to) = match left {
            Some((at, len)) => (units(&text[..at]), units(&text[..at + len])),
            None => (units(text), units(text)),
        };
        let _ = self.composer.set_selection_range(from, to);
        if let Some(chat_id) = self.shown_chat.get() {
            let text = text.to_owned();
            (self.on)(UiEvent::Draft { chat_id, text });
        }
    }
}
