//! The loader's entry points: one panel per matching script element, keyed by the element's id so
//! that a second element with the same id never makes a second panel. `window.ChatHub` (in the
//! loader) reaches panels through the id-based functions here.

use crate::panel::Panel;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::Element;

thread_local! {
    static PANELS: RefCell<Vec<Rc<Panel>>> = const { RefCell::new(Vec::new()) };
}

/// Mounts a panel for `script` unless one with its id is already mounted.
#[wasm_bindgen]
pub fn mount(script: Element) {
    let id = script.get_attribute("id").unwrap_or_default();
    if PANELS.with_borrow(|p| p.iter().any(|p| p.id() == id)) {
        return;
    }
    // Built outside the borrow: mounting dispatches events that host code may answer re-entrantly.
    let panel = Rc::new(Panel::mount(&script));
    PANELS.with_borrow_mut(|p| p.push(panel));
}

/// Removes the panels matching `which` and drops them outside the borrow (drop emits events).
fn remove(which: impl Fn(&Panel) -> bool) {
    let gone: Vec<Rc<Panel>> = PANELS.with_borrow_mut(|p| {
        let (gone, keep) = p.drain(..).partition(|p| which(p));
        *p = keep;
        gone
    });
    drop(gone);
}

/// Unmounts the panel of `script`, if it has one; everything it owned goes with it.
#[wasm_bindgen]
pub fn unmount(script: Element) {
    remove(|p| p.is_for(&script));
}

/// `ChatHub.get(id).destroy()`.
#[wasm_bindgen]
pub fn destroy(id: &str) {
    remove(|p| p.id() == id);
}

/// The `token` attribute of `script` changed.
#[wasm_bindgen(js_name = tokenChanged)]
pub fn token_changed(script: Element) {
    with(|p| p.is_for(&script), Panel::token_changed);
}

/// Calls `f` on the matching panels outside the registry's borrow, since `f` emits events that
/// host code may answer by mounting or destroying panels.
fn with(which: impl Fn(&Panel) -> bool, f: impl Fn(&Panel)) {
    let found: Vec<Rc<Panel>> =
        PANELS.with_borrow(|p| p.iter().filter(|p| which(p)).cloned().collect());
    found.iter().for_each(|p| f(p));
}

/// `ChatHub.get(id).open()` / `close()` / `toggle()`: `open` undefined flips.
#[wasm_bindgen(js_name = setOpen)]
pub fn set_open(id: &str, open: Option<bool>) {
    with(|p| p.id() == id, |p| p.set_open(open));
}

/// `ChatHub.get(id).ready`, or `undefined` when no such panel is mounted.
#[wasm_bindgen]
pub fn ready(id: &str) -> Option<js_sys::Promise> {
    PANELS.with_borrow(|p| p.iter().find(|p| p.id() == id).map(|p| p.ready()))
}

/// How many panels are mounted (for tests and diagnostics).
#[wasm_bindgen(js_name = panelCount)]
pub fn panel_count() -> usize {
    PANELS.with_borrow(Vec::len)
}
