//! Browser tests of the shell: mounting into a shadow root, text safety, and clean unmounting.
#![cfg(target_arch = "wasm32")]

use operator_chat_panel::mount::{mount, panel_count, unmount};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Document, Element, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A script element as a host page would write it; the api points at a closed loopback port.
fn script(id: &str) -> Element {
    let s = doc().create_element("script").unwrap();
    s.set_id(id);
    s.set_attribute("token", "test-token-for-development")
        .unwrap();
    s.set_attribute("api", "http://127.0.0.1:9").unwrap();
    doc().body().unwrap().append_child(&s).unwrap();
    s
}

fn shadow(id: &str) -> Option<ShadowRoot> {
    doc()
        .get_element_by_id(&format!("{id}-host"))?
        .shadow_root()
}

#[wasm_bindgen_test]
fn a_script_element_with_a_token_mounts_a_panel_in_a_shadow_root() {
    let s = script("operator-chat-panel-script");
    mount(s.clone());
    let root = shadow("operator-chat-panel-script").expect("panel host with a shadow root");
    assert!(root.query_selector(".panel").unwrap().is_some());
    assert!(
        root.query_selector("[role=log]").unwrap().is_some(),
        "the thread is a live log"
    );
    assert!(
        root.query_selector("textarea[aria-label]")
            .unwrap()
            .is_some(),
        "the composer is labelled"
    );
    assert_eq!(
        root.adopted_style_sheets().length(),
        1,
        "styled through adoptedStyleSheets"
    );
    assert!(
        root.query_selector("style").unwrap().is_none(),
        "no inline style elements"
    );

    mount(s.clone());
    let twin = script("operator-chat-panel-script");
    mount(twin.clone());
    assert_eq!(panel_count(), 1, "the same id never makes a second panel");

    unmount(s.clone());
    assert_eq!(panel_count(), 0);
    assert!(
        doc()
            .get_element_by_id("operator-chat-panel-script-host")
            .is_none(),
        "the DOM is gone"
    );
    s.remove();
    twin.remove();
}

#[wasm_bindgen_test]
fn suffixed_ids_give_independent_panels() {
    let (a, b) = (
        script("operator-chat-panel-script-a"),
        script("operator-chat-panel-script-b"),
    );
    mount(a.clone());
    mount(b.clone());
    assert_eq!(panel_count(), 2);
    unmount(a.clone());
    assert!(shadow("operator-chat-panel-script-a").is_none());
    assert!(shadow("operator-chat-panel-script-b").is_some());
    unmount(b.clone());
    assert_eq!(panel_count(), 0);
    a.remove();
    b.remove();
}

#[wasm_bindgen_test]
fn a_malformed_token_reports_invalid_token() {
    let s = script("operator-chat-panel-script-bad");
    s.set_attribute("token", "not-a-jwt").unwrap();
    let seen = std::rc::Rc::new(std::cell::RefCell::new(String::new()));
    let record = {
        let seen = seen.clone();
        wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::CustomEvent)>::new(
            move |e: web_sys::CustomEvent| {
                let message = js_sys::Reflect::get(&e.detail(), &"message".into()).unwrap();
                *seen.borrow_mut() = message.as_string().unwrap_or_default();
            },
        )
    };
    s.add_event_listener_with_callback("chathub:error", record.as_ref().unchecked_ref())
        .unwrap();
    mount(s.clone());
    assert_eq!(seen.borrow().as_str(), "Invalid token");
    unmount(s.clone());
    s.remove();
}

#[wasm_bindgen_test]
fn an_unavailable_chat_shows_the_state_and_the_fallback_contact_but_no_script_urls() {
    let s = script("operator-chat-panel-script-fallback");
    s.set_attribute("token", "not-a-jwt").unwrap();
    s.set_attribute("fallback-email", "help@example.com")
        .unwrap();
    s.set_attribute("fallback-url", "javascript:alert(1)")
        .unwrap();
    mount(s.clone());
    let root = shadow("operator-chat-panel-script-fallback").unwrap();
    let q = |css: &str| root.query_selector(css).unwrap();
    assert_eq!(
        q(".conn").unwrap().get_attribute("data-state").as_deref(),
        Some("invalid")
    );
    let notice = q(".notice").unwrap();
    assert!(!notice.has_attribute("hidden"), "the failure is shown");
    let mail = q(".notice a[href='mailto:help@example.com']").expect("the fallback email link");
    assert_eq!(mail.text_content().as_deref(), Some("help@example.com"));
    assert!(
        q(".notice a[href^='javascript']").is_none(),
        "a javascript: URL is never linked"
    );
    unmount(s.clone());
    s.remove();
}
