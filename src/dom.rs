//! Small DOM helpers for the shell: building elements, and listeners and frame callbacks that go
//! away on drop.

use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, EventTarget};

/// Appends a new `<tag class=...>` to `parent`.
pub fn child(doc: &Document, parent: &Element, tag: &str, class: &str) -> Element {
    let el = doc.create_element(tag).expect_throw("create_element");
    if !class.is_empty() {
        let _ = el.set_attribute("class", class);
    }
    parent.append_child(&el).expect_throw("append_child");
    el
}

/// Appends a new `<tag class=...>` holding `text` as a text node (never parsed as markup).
pub fn text(doc: &Document, parent: &Element, tag: &str, class: &str, text: &str) -> Element {
    let el = child(doc, parent, tag, class);
    el.set_text_content(Some(text));
    el
}

/// Sets attributes from pairs; names are constants, values may be anything (they are not parsed).
pub fn attrs(el: &Element, pairs: &[(&str, &str)]) {
    for (k, v) in pairs {
        let _ = el.set_attribute(k, v);
    }
}

/// Sets or removes a boolean attribute with no typed property of its own (`data-*`, `aria-*`);
/// `hidden`, `disabled` and `tabIndex` have typed setters.
pub fn flag(el: &Element, name: &str, on: bool) {
    let _ = match on {
        true => el.set_attribute(name, ""),
        false => el.remove_attribute(name),
    };
}

pub fn has(el: &Element, name: &str) -> bool {
    el.get_attribute(name).is_some()
}

/// Removes every child.
pub fn clear(el: &Element) {
    el.set_text_content(None);
}

/// An event listener owned by whoever holds it: dropping it removes it from its target.
///
/// The callback is a shared `Fn`, not an `FnMut`: the browser may call a listener again while it
/// runs, when the handler does something that dispatches an event synchronously (a click handler
/// calling `input.click()` on a file input inside the same listened element re-enters with that
/// click). wasm-bindgen refuses to re-enter an `FnMut` closure and throws "closure invoked
/// recursively or after being dropped" into the host page; an `Fn` closure may be re-entered.
/// Handlers therefore never hold a `RefCell` borrow across a DOM call that can dispatch.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn Fn(Event)>,
}

impl Listener {
    pub fn new(target: &EventTarget, kind: &'static str, f: impl Fn(Event) + 'static) -> Self {
        Self::boxed(target, kind, Box::new(f))
    }

    /// One copy of the registration code for every kind of callback.
    fn boxed(target: &EventTarget, kind: &'static str, f: Box<dyn Fn(Event)>) -> Self {
        let callback = Closure::wrap(f);
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        Listener {
            target: target.clone(),
            kind,
            callback,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}

/// An animation-frame callback owned like a [`Listener`]: [`Frame::request`] asks for one call at the
/// next frame (however often it is asked before then), and dropping it cancels a call not yet made.
pub struct Frame {
    // `FnMut()` as gloo-timers' callbacks: one more closure type would add its glue to the wasm. The
    // browser never re-enters a frame callback.
    callback: Closure<dyn FnMut()>,
    asked: Rc<Cell<Option<i32>>>,
}

impl Frame {
    pub fn new(f: impl Fn() + 'static) -> Frame {
        let asked = Rc::new(Cell::new(None));
        let done = asked.clone();
        let callback = Closure::<dyn FnMut()>::new(move || {
            done.set(None);
            f();
        });
        Frame { callback, asked }
    }

    /// A call asked for and not made yet.
    pub fn pending(&self) -> bool {
        self.asked.get().is_some()
    }

    /// Whether the call is coming (false without a window to ask).
    pub fn request(&self) -> bool {
        if self.asked.get().is_none() {
            let id = web_sys::window().and_then(|w| {
                w.request_animation_frame(self.callback.as_ref().unchecked_ref())
                    .ok()
            });
            self.asked.set(id);
        }
        self.asked.get().is_some()
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if let (Some(id), Some(w)) = (self.asked.get(), web_sys::window()) {
            let _ = w.cancel_animation_frame(id);
        }
    }
}
