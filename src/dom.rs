//! Small DOM helpers for the shell: building elements and listeners that remove themselves on drop.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Event, EventTarget};

/// Appends a new `<tag class=...>` to `parent`.
pub fn child(doc: &Document, parent: &Element, tag: &str, class: &str) -> Element {
    let el = doc.create_element(tag).expect_throw("create_element");
    if !class.is_empty() {
        el.set_class_name(class);
    }
    parent.append_child(&el).expect_throw("append_child");
    el
}

/// Sets attributes from pairs; names are constants, values may be anything (they are not parsed).
pub fn attrs(el: &Element, pairs: &[(&str, &str)]) {
    for (k, v) in pairs {
        let _ = el.set_attribute(k, v);
    }
}

/// Removes every child.
pub fn clear(el: &Element) {
    el.set_text_content(None);
}

/// An event listener owned by whoever holds it: dropping it removes it from its target.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl Listener {
    pub fn new(target: &EventTarget, kind: &'static str, f: impl FnMut(Event) + 'static) -> Self {
        let callback = Closure::<dyn FnMut(Event)>::new(f);
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
