//! The loader's entry points: one panel per matching script element, keyed by the element's id so
//! that a second element with the same id never makes a second panel.

use crate::panel::Panel;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use web_sys::Element;

thread_local! {
    static PANELS: RefCell<Vec<Panel>> = const { RefCell::new(Vec::new()) };
}

/// Mounts a panel for `script` unless one with its id is already mounted.
#[wasm_bindgen]
pub fn mount(script: Element) {
    let id = script.id();
    if PANELS.with_borrow(|p| p.iter().any(|p| p.id() == id)) {
        return;
    }
    // Built outside the borrow: mounting dispatches events that host code may answer re-entrantly.
    let panel = Panel::mount(&script);
    PANELS.with_borrow_mut(|p| p.push(panel));
}

/// Unmounts the panel of `script`, if it has one; everything it owned goes with it.
#[wasm_bindgen]
pub fn unmount(script: Element) {
    let gone: Vec<Panel> = PANELS.with_borrow_mut(|p| {
        let (gone, keep) = p.drain(..).partition(|p| p.is_for(&script));
        *p = keep;
        gone
    });
    drop(gone);
}

/// The `token` attribute of `script` changed.
#[wasm_bindgen(js_name = tokenChanged)]
pub fn token_changed(script: Element) {
    PANELS.with_borrow(|p| {
        p.iter()
            .filter(|p| p.is_for(&script))
            .for_each(Panel::token_changed)
    });
}

/// How many panels are mounted (for tests and diagnostics).
#[wasm_bindgen(js_name = panelCount)]
pub fn panel_count() -> usize {
    PANELS.with_borrow(Vec::len)
}
