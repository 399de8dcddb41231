//! The panel's static DOM: the host and its shadow root, the header, the chat list's controls, the
//! thread and the composer, built once at mount. What they show is drawn by the other modules.

use super::*;

impl View {
    pub fn build(
        doc: &Document,
        place: Placement,
        strings: Strings,
        on: impl Fn(UiEvent) + 'static,
    ) -> View {
        View(Ui::build(doc, place, strings, Box::new(on)))
    }
}

impl Ui {
    fn build(
        doc: &Document,
        place: Placement,
        strings: Strings,
        on: Box<dyn Fn(UiEvent)>,
    ) -> Rc<Ui> {
        let parent = place
            .container
            .clone()
            .or_else(|| doc.body().map(Into::into))
            .expect_throw("no body to mount the panel in");
        let host = child(doc, &parent, "div", "");
        let theme = match place.theme.as_deref() {
            Some("dark") => "dark",
            Some("auto") => "auto",
            _ => "light",
        };
        attrs(
            &host,
            &[
                ("id", place.host_id),
                ("data-chathub-panel", ""),
                ("data-theme", theme),
            ],
        );
        flag(&host, "data-inline", place.container.is_some());
        if place.left {
            attrs(&host, &[("data-position", "bottom-left")]);
        }
        let root = shadow(&host);
        let top = doc.create_element("div").expect_throw("div");
        root.append_child(&top).expect_throw("append");
        let mut b: Vec<Binding> = Vec::new();

        let launcher = button(doc, &top, Action::Launcher, CHAT);
        attrs(
            &launcher,
            &[("part", "launcher"), ("aria-expanded", "false")],
        );
        b.push((launcher.clone(), "aria-label", "open"));
        let badge = child(doc, &launcher, "span", "badge");
        attrs(&badge, &[("part", "badge")]);
        hide(&badge, true);

        let panel = child(doc, &top, "section", "panel");
        attrs(&panel, &[("part", "panel")]);
        hide(&panel, true);
        b.push((panel.clone(), "aria-label", "title"));
        let header = child(doc, &panel, "header", "");
        attrs(&header, &[("part", "header")]);
        b.push((child(doc, &header, "h2", ""), "", "title"));
        let conn = child(doc, &header, "span", "conn");
        attrs(&conn, &[("role", "status")]);
        let notify = button(doc, &header, Action::Notify, "");
        hide(&notify, true);
        let bell = icon(doc, &notify, BELL);
        let keys = button(doc, &header, Action::Keys, KEYBOARD);
        attrs(&keys, &[("aria-keyshortcuts", "? Control+/")]);
        b.push((keys, "aria-label", "keys.sheet"));
        let close = button(doc, &header, Action::Close, CLOSE);
        b.push((close, "aria-label", "close"));

        let notice = child(doc, &panel, "div", "notice");
        attrs(&notice, &[("role", "alert"), ("part", "notice")]);
        hide(&notice, true);
        let notice_text = child(doc, &notice, "span", "");
        if let Some(email) = place.fallback_email.filter(|e| !e.contains(['\n', '?'])) {
            let mut href = String::from("mailto:");
            href.push_str(&email);
            let a = text(doc, &notice, "a", "fallback", &email);
            attrs(&a, &[("href", &href)]);
        }
        if let Some(url) = place.fallback_url.filter(|u| safe_url(u)) {
            let a = child(doc, &notice, "a", "fallback");
            attrs(
                &a,
                &[("href", &url), ("target", "_blank"), ("rel", "noopener")],
            );
            b.push((a, "", "fallback.url"));
        }

        // The notice line: what the operator should know that is not a connection problem (a file
        // too big, a chat gone...). The live region stays rendered, so each new line is announced;
        // it takes no room while empty. The dismiss button sits outside it.
        let note = child(doc, &panel, "div", "note");
        attrs(&note, &[("part", "note")]);
        let note_text = child(doc, &note, "span", "note-text");
        attrs(&note_text, &[("role", "status"), ("aria-live", "polite")]);
        let dismiss = button(doc, &note, Action::Dismiss, CLOSE);
        hide(&dismiss, true);
        b.push((dismiss.clone(), "aria-label", "dismiss"));

        let body = child(doc, &panel, "div", "body");
        let side = child(doc, &body, "div", "side");
        let search = child(doc, &side, "input", "search");
        attrs(&search, &[("type", "search")]);
        b.push((search.clone(), "aria-label", "search.label"));
        b.push((search.clone(), "placeholder", "search.placeholder"));
        let filter = statuses(doc, &side, "filter", true, &mut b);
        b.push((filter.clone(), "aria-label", "filter.label"));
        let sort = child(doc, &side, "select", "sort");
        b.push((sort.clone(), "aria-label", "sort.label"));
        for (value, label) in [
            (Sort::Activity, "sort.activity"),
            (Sort::Waiting, "sort.waiting"),
        ] {
            let o = child(doc, &sort, "option", "");
            attrs(&o, &[("value", value.name())]);
            b.push((o, "", label));
        }
        let list = child(doc, &side, "ul", "chats");
        attrs(&list, &[("part", "chat-list")]);
        b.push((list.clone(), "aria-label", "list.label"));

        let thread = child(doc, &body, "div", "thread");
        attrs(&thread, &[("part", "thread")]);
        let head = child(doc, &thread, "div", "thread-head");
        hide(&head, true);
        let back = button(doc, &head, Action::Back, BACK);
        b.push((back, "aria-label", "back"));
        let title = child(doc, &head, "span", "thread-title");
        let phone = child(doc, &head, "span", "phone");
        let copy = button(doc, &head, Action::Copy, COPY);
        b.push((copy.clone(), "aria-label", "phone.copy"));
        b.push((copy.clone(), "title", "phone.copy"));
        let channel = child(doc, &head, "span", "channel");
        let assignee = child(doc, &head, "span", "assignee");
        let status = statuses(doc, &head, "status", false, &mut b);
        b.push((status.clone(), "aria-label", "status.label"));
        let messages = child(doc, &thread, "div", "messages");
        attrs(&messages, &[("role", "log"), ("aria-live", "polite")]);
        // Focusable, so the thread scrolls from the keyboard.
        tab_stop(&messages, true);
        b.push((messages.clone(), "aria-label", "thread.label"));
        // Over the thread's bottom edge, beside the composer; its text is its accessible name.
        let latest = button(doc, &thread, Action::Latest, "");
        hide(&latest, true);
        let typing = child(doc, &thread, "div", "typing");
        attrs(&typing, &[("aria-live", "polite")]);
        hide(&typing, true);
        let colleague = child(doc, &thread, "div", "colleague");
        attrs(&colleague, &[("role", "status")]);
        hide(&colleague, true);
        let form = child(doc, &thread, "div", "composer");
        attrs(&form, &[("part", "composer")]);
        hide(&form, true);
        let preview = attach::Preview::build(doc, &thread, &form, &mut b);
        let counter = child(doc, &form, "span", "counter");
        attrs(&counter, &[("id", "left")]);
        hide(&counter, true);
        let attach = button(doc, &form, Action::Attach, CLIP);
        b.push((attach, "aria-label", "attach"));
        let file = child(doc, &form, "input", "upload");
        attrs(&file, &[("type", "file")]);
        // Reached through the attach button only.
        hide(&file, true);
        tab_stop(&file, false);
        b.push((file.clone(), "aria-label", "attach"));
        let composer = child(doc, &form, "textarea", "");
        // A text box that suggests saved replies from a listbox (replies.rs).
        attrs(
            &composer,
            &[
                ("rows", "1"),
                ("aria-describedby", "left"),
                ("aria-autocomplete", "list"),
                ("aria-haspopup", "listbox"),
            ],
        );
        b.push((composer.clone(), "aria-label", "composer.label"));
        b.push((composer.clone(), "placeholder", "composer.placeholder"));
        let send = button(doc, &form, Action::Send, "");
        b.push((send.clone(), "", "send"));
        b.push((send.clone(), "aria-label", "send"));
        let next = button(doc, &form, Action::Next, "");
        attrs(&next, &[("aria-keyshortcuts", NEXT_KEYS)]);
        b.push((next.clone(), "", "next"));
        hide(&next, true);

        let ui = Rc::new_cyclic(|me: &Weak<Ui>| Ui {
            _listeners: vec![
                Listener::new(&top, "click", handler(me, Ui::click)),
                Listener::new(&top, "keydown", handler(me, Ui::key)),
                Listener::new(&top, "input", handler(me, Ui::input)),
                Listener::new(&top, "change", handler(me, Ui::change)),
                Listener::new(&list, "scroll", handler(me, Ui::scrolled)),
                Listener::new(&messages, "scroll", handler(me, Ui::scrolled)),
            ],
            on,
            me: me.clone(),
            doc: doc.clone(),
            root,
            host,
            panel,
            launcher,
            badge,
            conn,
            notify,
            bell,
            notice,
            notice_text,
            note,
            note_text,
            dismiss,
            body,
            search: typed(search),
            filter: typed(filter),
            sort: typed(sort),
            list,
            head,
            title,
            assignee,
            phone,
            copy,
            channel,
            status: typed(status),
            colleague,
            next,
            messages,
            latest,
            typing,
            form,
            preview,
            file: typed(file),
            composer: typed(composer),
            counter,
            send: typed(send),
            labels: b,
            fmt: RefCell::new(Fmt::new(strings.lang())),
            strings: RefCell::new(strings),
            state_conn: Cell::new(Conn::Connecting),
            stale: Cell::new(false),
            notify_key: Cell::new(None),
            shown_chat: Cell::new(None),
            live: Cell::new(true),
            stuck: Cell::new(true),
            back: Cell::new(false),
            divided: Cell::new(None),
            placing: Cell::new(None),
            frame: {
                let me = me.clone();
                Frame::new(move || {
                    if let Some(ui) = me.upgrade() {
                        ui.framed();
                    }
                })
            },
            older: Cell::new(false),
            newer: Cell::new(false),
            more: Cell::new(false),
            drawn: RefCell::new(Vec::new()),
            rows: RefCell::new(Vec::new()),
            blobs: RefCell::new(Vec::new()),
            asked: RefCell::new(Vec::new()),
            later: RefCell::new(Vec::new()),
            search_timer: RefCell::new(None),
            sheet: RefCell::new(None),
            picker: replies::Picker::default(),
        });
        ui.preview.listen(&ui.me, &ui.composer);
        ui.relabel();
        ui
    }
}
