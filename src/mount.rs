//! The loader's entry points: one panel per matching script element, keyed by the element's id so
//! that a second element with the same id never makes a second panel. `window.ChatHub` (in the
//! loader) reaches panels through the id-based functions here.

use crate::api::Early;
use crate::panel::Panel;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, Element};

thread_local! {
    static PANELS: RefCell<Vec<Rc<Panel>>> = const { RefCell::new(Vec::new()) };
    /// Each language's strings file by its content-hashed URL, as the built loader names them.
    static LOCALES: RefCell<Option<js_sys::Object>> = const { RefCell::new(None) };
}

/// The loader's map of language → URL of its strings file: the build gives those files hashed
/// names (cached for a year), so the panel cannot derive them from the loader's URL.
#[wasm_bindgen(js_name = setLocales)]
pub fn set_locales(map: js_sys::Object) {
    LOCALES.set(Some(map));
}

/// The URL the loader gave for `lang`, if it gave one.
pub fn locale_url(lang: &str) -> Option<String> {
    LOCALES.with_borrow(|m| {
        js_sys::Reflect::get(m.as_ref()?, &JsValue::from_str(lang))
            .ok()?
            .as_string()
    })
}

/// Mounts a panel for `script` unless one with its id is already mounted. `early` and `abort` are
/// the loader's request for the first chat-list page, made while the wasm loaded, if it made one.
#[wasm_bindgen]
pub fn mount(script: Element, early: Option<js_sys::Promise>, abort: Option<AbortController>) {
    let early = early.zip(abort).map(|(response, abort)| Early {
        response,
        abort: abort.into(),
    });
    let id = script.get_attribute("id").unwrap_or_default();
    if PANELS.with_borrow(|p| p.iter().any(|p| p.id() == id)) {
        return;
    }
    // Built outside the borrow: mounting dispatches events that host code may answer re-entrantly.
    let panel = Rc::new(Panel::mount(&script, early));
    PANELS.with_borrow_mut(|p| p.push(panel));
}

/// The panels matching `which`, taken out of the registry or cloned from it. Callers act on them
/// outside the registry's borrow: panels emit events (mounting, dropping, reconnecting) that host
/// code may answer by mounting or destroying panels.
fn find(which: &dyn Fn(&Panel) -> bool, take: bool) -> Vec<Rc<Panel>> {
    PANELS.with_borrow_mut(|p| {
        if !take {
            return p.iter().filter(|p| which(p)).cloned().collect();
        }
        let (gone, keep) = p.drain(..).partition(|p| which(p));
        *p = keep;
        gone
    })
}

/// Unmounts the panel of `script`, if it has one; everything it owned goes with it.
#[wasm_bindgen]
pub fn unmount(script: Element) {
    find(&|p| p.is_for(&script), true);
}

/// `ChatHub.get(id).destroy()`.
#[wasm_bindgen]
pub fn destroy(id: &str) {
    find(&|p| p.id() == id, true);
}

/// The `token` attribute of `script` changed.
#[wasm_bindgen(js_name = tokenChanged)]
pub fn token_changed(script: Element) {
    for p in find(&|p| p.is_for(&script), false) {
        p.token_changed();
    }
}

/// `ChatHub.get(id).open()` / `close()` / `toggle()`: `open` undefined flips.
#[wasm_bindgen(js_name = setOpen)]
pub fn set_open(id: &str, open: Option<bool>) {
    for p in find(&|p| p.id() == id, false) {
        p.set_open(open);
    }
}

/// `ChatHub.get(id).setReplies(list)`: a list of `{shortcut, title, text}`; anything else, or no
/// such panel, is refused with an error and changes nothing.
#[wasm_bindgen(js_name = setReplies)]
pub fn set_replies(id: &str, list: JsValue) -> Result<(), js_sys::Error> {
    let items = serde_wasm_bindgen::from_value(list).ok();
    let parsed = items.and_then(crate::replies::from_items);
    let all = parsed.ok_or_else(|| {
        js_sys::Error::new("setReplies: expected a list of {shortcut, title, text}")
    })?;
    let panel = find(&|p| p.id() == id, false).pop();
    let panel = panel.ok_or_else(|| js_sys::Error::new(&["setReplies: no panel ", id].concat()))?;
    panel.set_replies(all);
    Ok(())
}

/// `ChatHub.get(id).ready`, or `undefined` when no such panel is mounted.
#[wasm_bindgen]
pub fn ready(id: &str) -> Option<js_sys::Promise> {
    find(&|p| p.id() == id, false).first().map(|p| p.ready())
}

/// How many panels are mounted (for tests and diagnostics).
#[wasm_bindgen(js_name = panelCount)]
pub fn panel_count() -> usize {
    PANELS.with_borrow(Vec::len)
}
