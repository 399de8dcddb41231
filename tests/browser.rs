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
    mount(s.clone(), None, None);
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

    mount(s.clone(), None, None);
    let twin = script("operator-chat-panel-script");
    mount(twin.clone(), None, None);
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
    mount(a.clone(), None, None);
    mount(b.clone(), None, None);
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
    mount(s.clone(), None, None);
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
    mount(s.clone(), None, None);
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

// ---- The view's DOM pieces, driven by a State built with `update` ----

mod view {
    use super::doc;
    use operator_chat_panel::i18n::Strings;
    use operator_chat_panel::model::{Media, Message, Operator};
    use operator_chat_panel::state::{
        update, ChatQuery, Dirty, History, Msg, OutMedia, Outgoing, Phase, State,
    };
    use operator_chat_panel::view::{Placement, UiEvent, View};
    use operator_chat_panel::window::Window;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_test::*;
    use web_sys::{Element, HtmlElement, HtmlSelectElement, ShadowRoot};

    #[wasm_bindgen(inline_js = "
        export function key(el, key) {
            el.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true, composed: true, cancelable: true}));
        }
        export function input(el, value) {
            el.value = value;
            el.dispatchEvent(new Event('input', {bubbles: true}));
        }
        export function tap(el) {
            el.dispatchEvent(new MouseEvent('click', {bubbles: true, composed: true}));
        }
        export function change(el, value) {
            el.value = value;
            el.dispatchEvent(new Event('change', {bubbles: true}));
        }
        export function watch(el) {
            const mo = new MutationObserver(() => {});
            mo.observe(el, {childList: true});
            return mo;
        }
        export function changed(mo) {
            const records = mo.takeRecords();
            mo.disconnect();
            const count = (k) => records.reduce((n, r) => n + r[k].length, 0);
            return [count('addedNodes'), count('removedNodes')];
        }
    ")]
    extern "C" {
        fn key(el: &Element, key: &str);
        fn tap(el: &Element);
        fn change(el: &Element, value: &str);
        fn input(el: &Element, value: &str);
        /// A MutationObserver on `el`'s children, read by `changed`: nodes added and removed
        /// (a node moved counts in both).
        fn watch(el: &Element) -> JsValue;
        fn changed(mo: &JsValue) -> Vec<u32>;
    }

    const ALL: Dirty = Dirty {
        conn: true,
        chats: true,
        thread: true,
        saved: false,
        typing: true,
    };

    type Seen = Rc<RefCell<Vec<String>>>;

    fn value_of(area: &Element) -> String {
        area.unchecked_ref::<web_sys::HtmlTextAreaElement>().value()
    }

    fn describe(e: UiEvent) -> String {
        match e {
            UiEvent::Open(id) => format!("open {id}"),
            UiEvent::SetStatus(n) => format!("status {n}"),
            UiEvent::Filter(f) => format!("filter {f:?}"),
            UiEvent::Search(t) => format!("search {t}"),
            UiEvent::Send { chat_id, text } => format!("send {chat_id} {text}"),
            UiEvent::Media {
                chat_id,
                message_id,
                url,
            } => format!("media {chat_id} {message_id} {url}"),
            UiEvent::Close => "close".into(),
            UiEvent::Toggle => "toggle".into(),
            UiEvent::Back => "back".into(),
            UiEvent::Older => "older".into(),
            UiEvent::Newer => "newer".into(),
            UiEvent::MoreChats => "more".into(),
            _ => "other".into(),
        }
    }

    fn build(id: &str, theme: Option<&str>) -> (View, ShadowRoot, Seen) {
        let seen: Seen = Rc::default();
        let log = seen.clone();
        let host_id = format!("{id}-host");
        let view = View::build(
            &doc(),
            Placement {
                host_id: &host_id,
                container: None,
                left: false,
                theme: theme.map(Into::into),
                fallback_email: None,
                fallback_url: None,
            },
            Strings::default(),
            move |e| log.borrow_mut().push(describe(e)),
        );
        let root = doc()
            .get_element_by_id(&host_id)
            .unwrap()
            .shadow_root()
            .unwrap();
        (view, root, seen)
    }

    fn q(root: &ShadowRoot, css: &str) -> Element {
        root.query_selector(css)
            .unwrap()
            .unwrap_or_else(|| panic!("no {css}"))
    }

    fn texts(root: &ShadowRoot, css: &str) -> Vec<String> {
        let all = root.query_selector_all(css).unwrap();
        (0..all.length())
            .map(|i| all.item(i).unwrap().text_content().unwrap_or_default())
            .collect()
    }

    fn chat_json(id: u64, status: u8, name: &str) -> String {
        format!(
            r#"{{"id":{id},"chatStatus":{status},"source":2,"client":{{"name":{}}},"updatedAt":"2026-01-0{id}T10:00:00.000Z"}}"#,
            operator_chat_panel::json::to_string(name)
        )
    }

    fn state(chats: &[String]) -> State {
        let mut s = State::default();
        let page = format!(
            r#"{{"total":{},"items":[{}]}}"#,
            chats.len(),
            chats.join(",")
        );
        update(
            &mut s,
            Msg::ChatsLoaded(
                ChatQuery::first(),
                operator_chat_panel::json::from_str(&page).unwrap(),
            ),
        );
        s
    }

    fn message(id: u64, chat_id: u64, author: u8, text: &str, at: &str) -> Message {
        Message {
            id,
            chat_id,
            message: Some(text.into()),
            author,
            status: 1,
            created_at: at.into(),
            ..Message::default()
        }
    }

    /// Opens `chat` with `thread` as its whole history.
    fn open(s: &mut State, chat: u64, thread: Vec<Message>, history: History) {
        update(s, Msg::Open(chat));
        s.window = Window {
            start: 0,
            end: thread.len(),
        };
        s.thread = thread;
        s.history = history;
    }

    /// Local noon `days` days ago, as ISO-8601.
    fn noon(days: u32) -> String {
        let d = js_sys::Date::new_0();
        d.set_hours(12);
        d.set_date(d.get_date() - days);
        d.to_iso_string().into()
    }

    async fn tick() {
        gloo_timers::future::TimeoutFuture::new(5).await;
    }

    /// Waits for the next animation frame: the view places a drawn thread in its own frame callback,
    /// asked for before this one, so it has run by then.
    async fn frame() {
        let next = js_sys::Promise::new(&mut |ok, _| {
            web_sys::window()
                .unwrap()
                .request_animation_frame(&ok)
                .unwrap();
        });
        wasm_bindgen_futures::JsFuture::from(next).await.unwrap();
    }

    /// Scrolls `el` to `top` and waits for the scroll event that reports it (the engine decides when it
    /// is dispatched: WebKit may take longer than a tick). The view's own listener, registered first,
    /// has run by then.
    async fn scroll_to(el: &Element, top: i32) {
        let mut resolve = None;
        let arrived = js_sys::Promise::new(&mut |ok, _| resolve = Some(ok));
        let resolve = resolve.unwrap();
        let listener = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        });
        let f: &js_sys::Function = listener.as_ref().unchecked_ref();
        el.add_event_listener_with_callback("scroll", f).unwrap();
        el.set_scroll_top(top);
        wasm_bindgen_futures::JsFuture::from(arrived).await.unwrap();
        el.remove_event_listener_with_callback("scroll", f).unwrap();
    }

    #[wasm_bindgen_test]
    async fn hostile_names_messages_and_file_names_are_literal_text() {
        let (view, root, seen) = build("hostile", None);
        let img = "<img src=x onerror=alert(1)>";
        let style = "</style><b>bold</b><style>";
        let rlo = "\u{202e}gpj.exe";
        let long = "W".repeat(5000);
        let mut s = state(&[chat_json(1, 1, img), chat_json(2, 0, style)]);
        let mut media = message(7, 1, 1, "", &noon(0));
        media.message = None;
        media.media = Some(Media {
            name: Some("<script>alert(1)</script>.png".into()),
            format: Some("image/png".into()),
            url: Some("/api/chat/media/7".into()),
            kind: 1,
        });
        let thread = vec![
            message(5, 1, 1, img, &noon(0)),
            message(6, 1, 0, &format!("{rlo} {long} {style}"), &noon(0)),
            media,
        ];
        open(&mut s, 1, thread, History::Start);
        view.set_open(true);
        view.render(&s, ALL);

        assert_eq!(
            texts(&root, ".chat .name"),
            vec![style.to_string(), img.to_string()]
        );
        assert_eq!(q(&root, ".thread-title").text_content().unwrap(), img);
        let bubbles = texts(&root, ".msg .text");
        assert_eq!(bubbles[0], img);
        assert_eq!(bubbles[1], format!("{rlo} {long} {style}"));
        assert_eq!(
            q(&root, "a.file").text_content().unwrap(),
            "<script>alert(1)</script>.png"
        );
        assert_eq!(
            q(&root, "img.preview").get_attribute("alt").unwrap(),
            "<script>alert(1)</script>.png"
        );
        assert!(
            q(&root, "img.preview").get_attribute("src").is_none(),
            "no src before the bytes"
        );
        let made = root
            .query_selector_all("img:not(.preview, .thumb), script, b, style")
            .unwrap()
            .length();
        assert_eq!(made, 0, "no element was made from text");
        let messages = q(&root, ".messages");
        assert!(
            messages.scroll_width() <= messages.client_width(),
            "a 5000-character word wraps inside the thread"
        );
        let list = q(&root, ".chats");
        assert!(list.scroll_width() <= list.client_width());

        // The media bytes are asked for once, after the draw.
        assert!(seen.borrow().is_empty(), "nothing is emitted during render");
        tick().await;
        view.render(&s, ALL);
        tick().await;
        assert_eq!(
            *seen.borrow(),
            vec!["media 1 7 /api/chat/media/7".to_string()]
        );
    }

    #[wasm_bindgen_test]
    async fn media_ready_links_a_blob_url_and_drop_revokes_it() {
        let (view, root, _) = build("media", None);
        let mut s = state(&[chat_json(1, 1, "Ann")]);
        let mut photo = message(7, 1, 1, "look", &noon(0));
        photo.media = Some(Media {
            name: Some("cat.png".into()),
            format: Some("image/png".into()),
            url: Some("/m/7".into()),
            kind: 1,
        });
        let mut doc_file = message(8, 1, 1, "", &noon(0));
        doc_file.media = Some(Media {
            name: Some("report.pdf".into()),
            format: Some("application/pdf".into()),
            url: Some("/m/8".into()),
            kind: 0,
        });
        open(&mut s, 1, vec![photo, doc_file], History::Start);
        view.render(&s, ALL);
        assert_eq!(root.query_selector_all("img.preview").unwrap().length(), 1);

        let blob = web_sys::Blob::new().unwrap();
        view.media_ready(7, &blob);
        let src = q(&root, "[data-id='7'] img.preview")
            .get_attribute("src")
            .unwrap();
        assert!(src.starts_with("blob:"), "{src}");
        let a = q(&root, "[data-id='7'] a.file");
        assert_eq!(a.get_attribute("href").unwrap(), src);
        assert_eq!(a.get_attribute("download").unwrap(), "cat.png");
        // A redraw keeps the link.
        view.render(&s, ALL);
        assert_eq!(
            q(&root, "[data-id='7'] img.preview")
                .get_attribute("src")
                .unwrap(),
            src
        );
        assert!(!q(&root, "[data-id='8'] a.file").has_attribute("href"));

        let fetch = |url: &str| {
            wasm_bindgen_futures::JsFuture::from(web_sys::window().unwrap().fetch_with_str(url))
        };
        assert!(
            fetch(&src).await.is_ok(),
            "the blob URL works while the view lives"
        );
        drop(view);
        assert!(
            doc().get_element_by_id("media-host").is_none(),
            "the host is gone"
        );
        assert!(fetch(&src).await.is_err(), "the blob URL was revoked");
    }

    /// A message arriving in a full window adds its bubble and drops the oldest; a message that
    /// changed is rebuilt in place. Every other bubble stays where it is, unmoved.
    #[wasm_bindgen_test]
    fn the_window_moving_on_touches_only_the_bubbles_that_change() {
        let (view, root, _) = build("slide", None);
        let mut all: Vec<Message> = (1..=151)
            .map(|i| message(i, 1, (i % 2) as u8, &format!("line {i}"), &noon(0)))
            .collect();
        let mut s = state(&[chat_json(1, 1, "Ann")]);
        open(&mut s, 1, all[..150].to_vec(), History::More);
        view.render(&s, ALL);
        let thread = Dirty {
            thread: true,
            ..Dirty::default()
        };
        let m = q(&root, ".messages");
        let mo = watch(&m);
        s.thread = all.clone();
        s.window = Window { start: 1, end: 151 };
        view.render(&s, thread);
        assert_eq!(changed(&mo), [1, 1], "one bubble added, one dropped");
        let lines = texts(&root, ".msg .text");
        assert_eq!(lines.len(), 150);
        assert_eq!((&*lines[0], &*lines[149]), ("line 2", "line 151"));

        all[70].status = 2;
        s.thread = all.clone();
        let mo = watch(&m);
        view.render(&s, thread);
        // Built at the end and moved to its place (counted twice), and the old one dropped.
        let touched = changed(&mo);
        assert!(touched[0] <= 2 && touched[1] <= 2, "{touched:?}");
        assert_eq!(texts(&root, ".msg .text"), lines, "in the same place");
    }

    #[wasm_bindgen_test]
    fn day_separators_between_days() {
        let (view, root, _) = build("days", None);
        let mut s = state(&[chat_json(1, 1, "Ann")]);
        let thread = vec![
            message(1, 1, 1, "a", &noon(3)),
            message(2, 1, 1, "b", &noon(3)),
            message(3, 1, 0, "c", &noon(1)),
            message(4, 1, 1, "d", &noon(0)),
        ];
        open(&mut s, 1, thread, History::Start);
        view.render(&s, ALL);
        let days = texts(&root, ".messages .day[role=separator]");
        assert_eq!(days.len(), 3, "{days:?}");
        assert!(!days[0].is_empty() && days[0] != "Yesterday");
        assert_eq!(&days[1..], ["Yesterday", "Today"]);
        // In order: history start, day, two messages, day, message, day, message.
        let order: Vec<String> = {
            let all = root.query_selector_all(".messages > *").unwrap();
            (0..all.length())
                .map(|i| {
                    all.item(i)
                        .unwrap()
                        .unchecked_into::<Element>()
                        .class_name()
                })
                .collect()
        };
        assert_eq!(
            order,
            ["history", "day", "msg in", "msg in", "day", "msg out", "day", "msg in"]
        );
        assert_eq!(
            q(&root, ".history").text_content().unwrap(),
            "Beginning of the conversation"
        );
        let meta = q(&root, ".msg.out .meta").text_content().unwrap();
        assert!(meta.ends_with(" · delivered"), "{meta}");
        assert_eq!(
            texts(&root, ".msg .author")[2],
            "Operator",
            "a server that does not say who wrote it gets a neutral label"
        );
        // Redrawn with one more message today, and without the oldest: the days still hold.
        s.thread.push(message(5, 1, 1, "e", &noon(0)));
        s.window = Window { start: 1, end: 5 };
        s.history = History::More;
        view.render(
            &s,
            Dirty {
                thread: true,
                ..Dirty::default()
            },
        );
        let days = texts(&root, ".messages .day");
        assert_eq!(&days[1..], ["Yesterday", "Today"], "{days:?}");
        assert_eq!(texts(&root, ".msg .text"), ["b", "c", "d", "e"]);
    }

    #[wasm_bindgen_test]
    fn you_only_for_your_own_messages_and_colleagues_by_name() {
        let (view, root, _) = build("authors", None);
        let mut s = state(&[
            r#"{"id":1,"chatStatus":1,"client":{"name":"Ann"},"operator":{"id":2,"name":"Mark"}}"#
                .into(),
        ]);
        update(&mut s, Msg::Identity(Some(1)));
        let by = |id: u64, op: Option<(u64, &str)>| Message {
            operator: op.map(|(id, name)| Operator {
                id,
                name: Some(name.into()),
            }),
            ..message(id, 1, 0, "answer", &noon(0))
        };
        let thread = vec![
            by(1, Some((1, "Olena"))),
            by(2, Some((2, "Mark"))),
            by(3, None),
            message(4, 1, 1, "question", &noon(0)),
        ];
        open(&mut s, 1, thread, History::Start);
        view.render(&s, ALL);
        assert_eq!(
            texts(&root, ".msg .author"),
            ["You", "Mark", "Operator", "Client"]
        );
        assert_eq!(
            q(&root, ".assignee").text_content().unwrap(),
            "Assigned to Mark"
        );
    }

    #[wasm_bindgen_test]
    fn the_counter_appears_near_the_limit() {
        let (view, root, seen) = build("counter", None);
        let mut s = state(&[chat_json(1, 1, "Ann")]);
        open(&mut s, 1, vec![], History::Start);
        view.render(&s, ALL);
        let counter = q(&root, ".composer .counter");
        view.set_draft(&"a".repeat(3800));
        assert!(counter.has_attribute("hidden"));
        // Characters, not bytes: 3900 two-byte letters leave 196.
        view.set_draft(&"é".repeat(3900));
        assert!(!counter.has_attribute("hidden"));
        assert_eq!(counter.text_content().unwrap(), "196 characters left");
        // Counted as characters: emoji are two UTF-16 units each, and 4096 of them still fit.
        let area = q(&root, "textarea");
        let send = q(&root, "button.send");
        input(&area, &"😀".repeat(4096));
        assert_eq!(value_of(&area).chars().count(), 4096);
        assert_eq!(counter.text_content().unwrap(), "0 characters left");
        assert!(!send.has_attribute("disabled"));
        // Past the limit nothing is cut: the counter goes negative and reads as an error, the
        // composer is invalid, Send is disabled and Enter sends nothing.
        input(&area, &"😀".repeat(4100));
        assert_eq!(value_of(&area), "😀".repeat(4100));
        assert_eq!(
            counter.text_content().unwrap(),
            "-4 characters left: too long to send, the limit is 4096"
        );
        assert!(counter.has_attribute("data-over"));
        assert_eq!(area.get_attribute("aria-invalid").as_deref(), Some("true"));
        assert!(send.has_attribute("disabled"));
        key(&area, "Enter");
        send.unchecked_ref::<web_sys::HtmlElement>().click();
        assert_eq!(value_of(&area), "😀".repeat(4100), "nothing was sent");
        assert!(!seen.borrow().iter().any(|e| e.starts_with("send")));
        // Back within the limit, it sends again.
        input(&area, &"😀".repeat(4096));
        assert!(!counter.has_attribute("data-over"));
        assert!(!area.has_attribute("aria-invalid"));
        assert!(!send.has_attribute("disabled"));
        key(&area, "Enter");
        assert_eq!(value_of(&area), "");
        assert!(seen.borrow().iter().any(|e| e.starts_with("send ")));
        view.set_draft("");
        assert!(counter.has_attribute("hidden"));
    }

    #[wasm_bindgen_test]
    fn the_notice_line_shows_plain_text_and_dismisses() {
        let (view, root, _) = build("notice", None);
        let line = q(&root, ".note .note-text");
        let dismiss = q(&root, ".note button.dismiss");
        assert_eq!(line.get_attribute("role").as_deref(), Some("status"));
        assert_eq!(line.get_attribute("aria-live").as_deref(), Some("polite"));
        assert!(dismiss.has_attribute("hidden"));
        assert_eq!(
            dismiss.get_attribute("aria-label").as_deref(),
            Some("Dismiss notice")
        );
        view.notice("<b>chat</b> was deleted");
        assert_eq!(line.text_content().unwrap(), "<b>chat</b> was deleted");
        assert!(root.query_selector(".note b").unwrap().is_none());
        assert!(!dismiss.has_attribute("hidden"));
        dismiss.unchecked_ref::<web_sys::HtmlElement>().click();
        assert_eq!(line.text_content().unwrap(), "");
        assert!(dismiss.has_attribute("hidden"));
        // A file over the limit: the limit and the size rounded up to a tenth of a MB.
        view.file_too_big("plan.pdf", 7_549_747, 5 * 1024 * 1024);
        assert_eq!(
            line.text_content().unwrap(),
            "Files up to 5 MB can be sent; \"plan.pdf\" is 7.2 MB"
        );
        view.file_too_big("x.bin", 5 * 1024 * 1024 + 1, 5 * 1024 * 1024);
        assert_eq!(
            line.text_content().unwrap(),
            "Files up to 5 MB can be sent; \"x.bin\" is 5.1 MB"
        );
        view.clear_notice();
        assert_eq!(line.text_content().unwrap(), "");
    }

    #[wasm_bindgen_test]
    fn arrow_keys_move_focus_among_chats_and_enter_opens_into_the_composer() {
        let (view, root, seen) = build("keys", None);
        let mut s = state(&[
            chat_json(1, 1, "A"),
            chat_json(2, 1, "B"),
            chat_json(3, 1, "C"),
        ]);
        open(&mut s, 3, vec![], History::Start);
        view.set_open(true);
        view.render(&s, ALL);
        let focused = || {
            root.active_element()
                .and_then(|e| e.get_attribute("data-chat"))
                .unwrap_or_default()
        };
        // One tab stop in the list: the open chat.
        let stops = root.query_selector_all(".chat[tabindex='0']").unwrap();
        assert_eq!(stops.length(), 1);
        let first = q(&root, ".chat[tabindex='0']");
        assert_eq!(first.get_attribute("data-chat").unwrap(), "3");
        first.unchecked_ref::<HtmlElement>().focus().unwrap();
        key(&first, "ArrowDown");
        assert_eq!(focused(), "2");
        key(&root.active_element().unwrap(), "ArrowDown");
        assert_eq!(focused(), "1");
        key(&root.active_element().unwrap(), "ArrowDown");
        assert_eq!(focused(), "1", "stays on the last");
        key(&root.active_element().unwrap(), "Home");
        assert_eq!(focused(), "3");
        key(&root.active_element().unwrap(), "End");
        assert_eq!(focused(), "1");
        key(&root.active_element().unwrap(), "ArrowUp");
        assert_eq!(focused(), "2");
        // A redraw keeps focus on the same chat.
        view.render(&s, ALL);
        assert_eq!(focused(), "2");
        key(&root.active_element().unwrap(), "Enter");
        assert_eq!(seen.borrow().last().unwrap(), "open 2");
        assert_eq!(root.active_element().unwrap().tag_name(), "TEXTAREA");
        key(&root.active_element().unwrap(), "Escape");
        assert_eq!(seen.borrow().last().unwrap(), "close");
    }

    #[wasm_bindgen_test]
    fn buttons_are_routed_by_their_action_so_an_extra_class_keeps_them_working() {
        let (view, root, seen) = build("actions", None);
        let mut s = state(&[chat_json(1, 1, "A"), chat_json(2, 1, "B")]);
        open(&mut s, 1, vec![], History::Start);
        view.render(&s, ALL);
        let click = |css: &str| {
            let b = q(&root, css);
            let class = b.get_attribute("class").unwrap();
            b.set_attribute("class", &format!("{class} themed highlight"))
                .unwrap();
            b.unchecked_ref::<HtmlElement>().click();
            seen.borrow().last().cloned().unwrap_or_default()
        };
        assert_eq!(click("button.launcher"), "toggle");
        assert_eq!(click("button.close"), "close");
        assert_eq!(click("button.back"), "back");
        assert_eq!(click("button.chat[data-chat='2']"), "open 2");
        // A click on the icon inside a button is the button's.
        seen.borrow_mut().clear();
        tap(&q(&root, "button.launcher svg path"));
        assert_eq!(*seen.borrow(), ["toggle"]);
        // Send, with the composer's text.
        let area = q(&root, "textarea");
        input(&area, "hello");
        assert_eq!(click("button.send"), "send 1 hello");
        // The keyboard finds chat rows by their action too.
        view.set_open(true);
        let row = q(&root, "button.chat[data-chat='1']");
        row.set_attribute("class", "chat themed").unwrap();
        row.unchecked_ref::<HtmlElement>().focus().unwrap();
        // The newest activity comes first: chat 2 is above chat 1.
        key(&row, "ArrowUp");
        assert_eq!(
            root.active_element()
                .and_then(|e| e.get_attribute("data-chat"))
                .as_deref(),
            Some("2")
        );
        key(&root.active_element().unwrap(), "Enter");
        assert_eq!(seen.borrow().last().unwrap(), "open 2");
        // Every button says what it does.
        let all = root.query_selector_all("button").unwrap();
        for i in 0..all.length() {
            let b: Element = all.item(i).unwrap().unchecked_into();
            assert!(
                b.has_attribute("data-action"),
                "{:?} has no data-action",
                b.get_attribute("class")
            );
        }
    }

    #[wasm_bindgen_test]
    fn the_notification_control_reads_the_permission() {
        // Chrome has desktop notifications; a test page has not been granted them.
        assert!(matches!(
            operator_chat_panel::alert::notify_key(),
            Some("notify.enable" | "notify.blocked")
        ));
    }

    #[wasm_bindgen_test]
    fn the_status_select_reflects_the_open_chat() {
        let (view, root, seen) = build("status", None);
        let mut s = state(&[chat_json(1, 3, "Ann"), chat_json(2, 0, "Bob")]);
        view.render(&s, ALL);
        assert!(
            q(&root, ".thread-head").has_attribute("hidden"),
            "no chat open"
        );
        assert!(!q(&root, ".body").has_attribute("data-open"));
        open(&mut s, 1, vec![], History::Start);
        view.render(&s, ALL);
        assert!(!q(&root, ".thread-head").has_attribute("hidden"));
        assert!(q(&root, ".body").has_attribute("data-open"));
        let status = q(&root, "select.status");
        assert_eq!(status.unchecked_ref::<HtmlSelectElement>().value(), "3");
        assert_eq!(texts(&root, "select.status option")[3], "On pause");
        assert_eq!(q(&root, ".thread-title").text_content().unwrap(), "Ann");
        change(&status, "1");
        assert_eq!(seen.borrow().last().unwrap(), "status 1");
        change(&q(&root, "select.filter"), "4");
        assert_eq!(seen.borrow().last().unwrap(), "filter Some(4)");
        change(&q(&root, "select.filter"), "");
        assert_eq!(seen.borrow().last().unwrap(), "filter None");
        // The list item shows its source and is marked current.
        assert_eq!(
            q(&root, ".chat[aria-current=true] .source")
                .text_content()
                .unwrap(),
            "Telegram"
        );
    }

    #[wasm_bindgen_test]
    fn arabic_is_right_to_left_and_relabels_everything() {
        let (view, root, _) = build("arabic", Some("dark"));
        let host = doc().get_element_by_id("arabic-host").unwrap();
        assert_eq!(host.get_attribute("data-theme").as_deref(), Some("dark"));
        assert_eq!(host.get_attribute("lang").as_deref(), Some("en"));
        assert!(!host.has_attribute("dir"));
        let mut s = state(&[chat_json(1, 1, "Ann")]);
        open(
            &mut s,
            1,
            vec![message(1, 1, 1, "مرحبا", &noon(0))],
            History::Start,
        );
        view.render(&s, ALL);
        assert_eq!(q(&root, ".day").text_content().unwrap(), "Today");

        let ar = Strings::from_json("ar", include_str!("../locales/ar.json"));
        let (send, placeholder, today) = (
            ar.get("send").to_owned(),
            ar.get("search.placeholder").to_owned(),
            ar.get("day.today").to_owned(),
        );
        view.set_strings(ar);
        view.render(&s, Dirty::default());
        assert_eq!(host.get_attribute("dir").as_deref(), Some("rtl"));
        assert_eq!(host.get_attribute("lang").as_deref(), Some("ar"));
        assert_eq!(q(&root, "button.send").text_content().unwrap(), send);
        assert_eq!(
            q(&root, "input.search")
                .get_attribute("placeholder")
                .unwrap(),
            placeholder
        );
        assert_eq!(
            q(&root, ".day").text_content().unwrap(),
            today,
            "redrawn in Arabic"
        );

        view.set_strings(Strings::default());
        assert!(!host.has_attribute("dir"));
        assert_eq!(q(&root, "button.send").text_content().unwrap(), "Send");
    }

    #[wasm_bindgen_test]
    fn pending_and_failed_sends_show_their_state_and_file_name() {
        let (view, root, _) = build("pending", None);
        let mut s = state(&[chat_json(1, 1, "Ann")]);
        open(
            &mut s,
            1,
            vec![message(1, 1, 1, "hi", &noon(0))],
            History::Start,
        );
        let out = |cmid: &str, failed: bool, media: Option<OutMedia>| Outgoing {
            chat_id: 1,
            text: if media.is_some() {
                String::new()
            } else {
                "answer".into()
            },
            client_message_id: cmid.into(),
            media,
            after_id: 0,
            phase: if failed {
                Phase::Failed
            } else {
                Phase::Waiting
            },
        };
        s.outbox = vec![
            out("c-1", true, None),
            out(
                "c-2",
                false,
                Some(OutMedia {
                    name: "<b>plan</b>.pdf".into(),
                    format: "application/pdf".into(),
                    data_base64: String::new(),
                    kind: 0,
                }),
            ),
        ];
        view.render(&s, ALL);
        let failed = q(&root, ".msg.out.failed[data-client-id='c-1']");
        assert_eq!(
            failed
                .query_selector("button.retry")
                .unwrap()
                .unwrap()
                .get_attribute("data-retry")
                .as_deref(),
            Some("c-1")
        );
        let retry = failed.query_selector("button.retry").unwrap().unwrap();
        assert_eq!(retry.text_content().unwrap(), "Retry");
        assert!(retry.query_selector("svg").unwrap().is_none());
        assert_eq!(retry.get_attribute("type").as_deref(), Some("button"));
        let pending = q(&root, ".msg.out.pending[data-client-id='c-2']");
        assert_eq!(
            pending
                .query_selector(".file")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap(),
            "<b>plan</b>.pdf"
        );
        assert!(root.query_selector("b").unwrap().is_none());
    }

    /// Prepending older messages keeps the first visible message where it was. The thread is
    /// placed at the frame after a draw.
    #[wasm_bindgen_test]
    async fn older_pages_and_window_shifts_do_not_jump() {
        let (view, root, _) = build("anchor", None);
        let all: Vec<Message> = (1..=200)
            .map(|i| message(i, 1, (i % 2) as u8, "line", &noon(0)))
            .collect();
        let mut s = state(&[chat_json(1, 1, "Ann")]);
        open(&mut s, 1, all[100..].to_vec(), History::More);
        view.set_open(true);
        view.render(&s, ALL);
        frame().await;
        let m = q(&root, ".messages");
        assert!(m.scroll_top() > 0, "a fresh thread opens at its end");
        assert!(m.scroll_height() - m.scroll_top() - m.client_height() <= 1);
        m.set_scroll_top(1500);
        let top_of = |id: &str| {
            let el: HtmlElement = q(&root, &format!("[data-id='{id}']")).unchecked_into();
            el.offset_top() - m.scroll_top()
        };
        let before = top_of("150");
        // Only the thread changed.
        let redraw = |s: &State| {
            let thread = Dirty {
                thread: true,
                ..Dirty::default()
            };
            view.render(s, thread);
        };
        // 100 older messages arrive: the window grows upwards.
        s.thread = all.clone();
        s.window = Window { start: 0, end: 200 };
        redraw(&s);
        frame().await;
        assert_eq!(top_of("150"), before);
        // The window drops its oldest 50.
        s.window = Window {
            start: 50,
            end: 200,
        };
        redraw(&s);
        frame().await;
        assert_eq!(top_of("150"), before);
    }

    /// Draws within one frame are placed once, from where the thread stood before the first of them:
    /// at the end it stays at the end, and a reader further up keeps the first message in view where
    /// it was, however many draws came.
    #[wasm_bindgen_test]
    async fn draws_within_a_frame_are_placed_once_from_where_the_first_found_the_thread() {
        let (view, root, _) = build("burst", None);
        let all: Vec<Message> = (1..=160)
            .map(|i| message(i, 1, (i % 2) as u8, "line", &noon(0)))
            .collect();
        let mut s = state(&[chat_json(1, 1, "Ann")]);
        open(&mut s, 1, all[..100].to_vec(), History::Start);
        view.set_open(true);
        view.render(&s, ALL);
        frame().await;
        let m = q(&root, ".messages");
        let below = || m.scroll_height() - m.scroll_top() - m.client_height();
        assert!(below() <= 1, "opened at its end");
        let thread = Dirty {
            thread: true,
            ..Dirty::default()
        };
        // Three messages arrive in one frame: one placement, at the end.
        for end in 101..=103 {
            s.thread = all[..end].to_vec();
            s.window = Window { start: 0, end };
            view.render(&s, thread);
        }
        frame().await;
        assert!(below() <= 1, "still at the end after a burst");
        assert_eq!(
            texts(&root, ".msg .text").len(),
            103,
            "every message of the burst is drawn"
        );

        // Read back: the first message in view keeps its offset through a burst of arrivals.
        m.set_scroll_top(400);
        let top_of = |id: &str| {
            let el: HtmlElement = q(&root, &format!("[data-id='{id}']")).unchecked_into();
            el.offset_top() - m.scroll_top()
        };
        let first = (1..=103)
            .map(|i| i.to_string())
            .find(|id| top_of(id) >= 0)
            .unwrap();
        let before = top_of(&first);
        for end in 104..=110 {
            s.thread = all[..end].to_vec();
            s.window = Window { start: 0, end };
            view.render(&s, thread);
        }
        frame().await;
        assert_eq!(top_of(&first), before, "the reader's place is kept");
        assert!(below() > 30, "not pulled to the end");

        // A view dropped with a placement still to come leaves no frame callback behind (one left
        // would call a dropped closure, which throws).
        let thrown: Seen = Rc::default();
        let record = {
            let thrown = thrown.clone();
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
                thrown.borrow_mut().push(e.message())
            })
        };
        let window = web_sys::window().unwrap();
        window
            .add_event_listener_with_callback("error", record.as_ref().unchecked_ref())
            .unwrap();
        s.thread = all[..111].to_vec();
        s.window = Window { start: 0, end: 111 };
        view.render(&s, thread);
        drop(view);
        frame().await;
        frame().await;
        window
            .remove_event_listener_with_callback("error", record.as_ref().unchecked_ref())
            .unwrap();
        assert!(thrown.borrow().is_empty(), "{:?}", thrown.borrow());
        assert!(doc().get_element_by_id("burst-host").is_none());
    }

    #[wasm_bindgen_test]
    async fn search_is_debounced_and_the_list_asks_for_more_near_its_end() {
        let (view, root, seen) = build("more", None);
        let names: Vec<String> = (1..=40).map(|i| chat_json(i, 1, "Client")).collect();
        let mut s = state(&names);
        s.chats_more = true;
        view.set_open(true);
        view.render(&s, ALL);
        tick().await;
        assert!(seen.borrow().is_empty(), "{:?}", seen.borrow());
        let search = q(&root, "input.search");
        input(&search, "Ol");
        input(&search, "Ole");
        tick().await;
        assert!(seen.borrow().is_empty(), "not before the pause");
        gloo_timers::future::TimeoutFuture::new(350).await;
        assert_eq!(*seen.borrow(), ["search Ole"]);

        let list = q(&root, ".chats");
        assert!(list.scroll_height() > list.client_height() + 200);
        scroll_to(&list, list.scroll_height()).await;
        assert_eq!(seen.borrow().last().unwrap(), "more");
        scroll_to(&list, 0).await;
        scroll_to(&list, list.scroll_height()).await;
        let asked = seen.borrow().iter().filter(|e| *e == "more").count();
        assert_eq!(asked, 1, "once until the next draw");
        // While the page loads, the list says so at its end.
        s.chats_loading = true;
        view.render(&s, ALL);
        assert_eq!(texts(&root, "li.more"), ["Loading more chats…"]);
    }

    #[wasm_bindgen_test]
    fn an_empty_or_unmatched_list_says_so_and_no_chat_hides_the_composer() {
        let (view, root, _) = build("empty", None);
        let mut s = State::default();
        view.render(&s, ALL);
        assert_eq!(texts(&root, "li.empty"), ["No chats yet"]);
        assert!(q(&root, ".composer").has_attribute("hidden"));
        assert_eq!(
            q(&root, ".messages .empty").text_content().unwrap(),
            "Select a chat to see its messages"
        );
        s.search = "zzz".into();
        view.render(&s, ALL);
        assert_eq!(texts(&root, "li.empty"), ["No chats match"]);
    }
}
