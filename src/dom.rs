//! Small DOM helpers for the shell: building elements and listeners that remove themselves on drop.

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

/// Hands `promise`'s outcome to `done` once it settles, without an async executor (`spawn_local` and
/// `JsFuture` cost about 1 KB gzip). The callback belongs to the promise: wasm-bindgen registers it
/// with the browser's FinalizationRegistry, so it is freed once the settled promise is collected.
/// Callers hold only a `Weak` to their owner, so a panel unmounted meanwhile is not kept alive, and
/// its requests are aborted, so they settle at once.
pub fn when(promise: &js_sys::Promise, done: Box<dyn FnOnce(Result<JsValue, JsValue>)>) {
    let f = Closure::<dyn FnMut(bool, JsValue)>::once(move |ok, v| {
        done(if ok { Ok(v) } else { Err(v) })
    })
    .into_js_value();
    let f: &Callback = f.unchecked_ref();
    then(
        promise,
        &f.bind(&JsValue::NULL, true),
        &f.bind(&JsValue::NULL, false),
    );
}

/// `promise.then(ok, err)`; `ok` may be undefined, which makes it a `catch`.
pub fn then(promise: &js_sys::Promise, ok: &JsValue, err: &JsValue) {
    promise.unchecked_ref::<Thenable>().then(ok, err);
}

/// A plain object from pairs, for the browser's option dictionaries (`RequestInit`, `CustomEventInit`
/// and the like): web-sys's typed dictionaries link one setter binding per field.
pub fn object(pairs: &[(&str, &JsValue)]) -> js_sys::Object {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

// Reading properties by name, through `Reflect.get`: a misspelt name compiles and reads `undefined`.
// The view and the alerts use web-sys's typed getters instead; these remain for the code that still
// reads the network's and the page's objects by name (the panel, the API, the socket, `json`).

/// `target[key]` (the property, with its getter run on `target`).
pub fn get(target: &JsValue, key: &str) -> JsValue {
    reflect_get(target, key)
}

/// `target[i]`: an array's item, a NodeList's or a FileList's.
pub fn at(target: &JsValue, i: u32) -> JsValue {
    reflect_at(target, i)
}

pub fn number(target: &JsValue, key: &str) -> f64 {
    get(target, key).as_f64().unwrap_or_default()
}

pub fn string(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

pub fn truth(target: &JsValue, key: &str) -> bool {
    get(target, key).as_bool().unwrap_or_default()
}

/// The same JS object (`===`; web-sys's `==` on elements is `Object.is`, one more binding).
pub fn same(a: &JsValue, b: &JsValue) -> bool {
    a == b
}

/// A list's `length` (arrays, NodeLists, FileLists).
pub fn len(list: &JsValue) -> u32 {
    number(list, "length") as u32
}

/// The page's window (web-sys's `window()` probes four globals and checks the type).
pub fn window() -> web_sys::Window {
    WINDOW.with(web_sys::Window::clone)
}

/// Closes a WebSocket, an AudioContext or a Notification through one binding.
pub fn close(what: &JsValue) {
    let _ = what.unchecked_ref::<Closable>().close();
}

#[wasm_bindgen]
extern "C" {
    // Untyped `then` and `bind` (js-sys's own bindings take typed closures and functions).
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, ok: &JsValue, err: &JsValue);
    type Callback;
    #[wasm_bindgen(method)]
    fn bind(this: &Callback, this_arg: &JsValue, ok: bool) -> JsValue;
    type Closable;
    #[wasm_bindgen(method, catch)]
    fn close(this: &Closable) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &str) -> JsValue;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get)]
    fn reflect_at(target: &JsValue, i: u32) -> JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: web_sys::Window;
}
