//! Files into the composer: pasted into it or dropped onto the thread (which shows a drop target
//! while a file is dragged over it), and the preview of the shown chat's waiting file: name, size,
//! a thumbnail for an image and a remove button. The thumbnail's object URL lives only while its
//! preview is shown: it is revoked when the file is removed, sent, its chat left or the view dropped.

use super::*;
use crate::state::human_size;
use web_sys::{Blob, BlobPropertyBag, ClipboardEvent, DragEvent};

const FILE: &str =
    "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm-1 7V3.5L18.5 9H13z";

/// The preview's and the drop target's elements, and what they show.
pub struct Preview {
    thread: Element,
    drop: Element,
    frame: Element,
    thumb: Element,
    /// The icon shown instead of a thumbnail (a file that is no image, or an image the browser
    /// would not take as a blob).
    glyph: Element,
    name: Element,
    size: Element,
    remove: Element,
    /// A polite status, out of sight, that says a file was just attached.
    said: Element,
    /// The chat the preview was last drawn for: a file shown with its chat is not announced.
    chat: Cell<Option<u64>>,
    /// The shown file's id and its thumbnail's object URL.
    shown: RefCell<Option<(String, Option<String>)>>,
    /// dragenter minus dragleave over the thread: its children pass the drag between them.
    depth: Cell<u32>,
    /// Paste, drag and drop; removed with the preview.
    listeners: RefCell<Vec<Listener>>,
}

impl Preview {
    /// The preview as the composer's first row, and the drop target over the thread.
    pub fn build(doc: &Document, thread: &Element, form: &Element, b: &mut Vec<Binding>) -> Self {
        let frame = child(doc, form, "div", "attachment");
        hide(&frame, true);
        // Beside the file's name, so it says nothing more to a screen reader.
        let thumb = child(doc, &frame, "img", "thumb");
        attrs(&thumb, &[("alt", "")]);
        hide(&thumb, true);
        let glyph = child(doc, &frame, "span", "glyph");
        icon(doc, &glyph, FILE);
        let about = child(doc, &frame, "span", "about");
        let name = child(doc, &about, "span", "name");
        let size = child(doc, &about, "span", "size");
        let remove = button(doc, &frame, Action::Remove, CLOSE);
        // Beside the preview, not in it: a region shown and filled at once is not always read.
        let said = child(doc, form, "span", "sr");
        attrs(&said, &[("role", "status"), ("aria-live", "polite")]);
        let drop = child(doc, thread, "div", "drop");
        attrs(&drop, &[("aria-hidden", "true")]);
        hide(&drop, true);
        icon(doc, &drop, CLIP);
        b.push((child(doc, &drop, "span", ""), "", "attach.drop"));
        Preview {
            thread: thread.clone(),
            drop,
            frame,
            thumb,
            glyph,
            name,
            size,
            remove,
            said,
            chat: Cell::new(None),
            shown: RefCell::new(None),
            depth: Cell::new(0),
            listeners: RefCell::new(Vec::new()),
        }
    }

    /// Listens for paste, drag and drop, holding the view weakly.
    pub fn listen(&self, ui: &Weak<Ui>, composer: &Element) {
        let drag = |kind| Listener::new(&self.thread, kind, handler(ui, Ui::drag));
        *self.listeners.borrow_mut() = vec![
            Listener::new(composer, "paste", handler(ui, Ui::paste)),
            drag("dragenter"),
            drag("dragover"),
            drag("dragleave"),
            drag("drop"),
        ];
    }

    fn revoke(&self) {
        if let Some((_, Some(url))) = self.shown.take() {
            let _ = Url::revoke_object_url(&url);
        }
    }
}

impl Drop for Preview {
    fn drop(&mut self) {
        self.revoke();
    }
}

/// An object URL for an image's bytes, typed so that SVG shows too.
fn object_url(bytes: &[u8], format: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let bag = BlobPropertyBag::new();
    bag.set_type(format);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &bag).ok()?;
    Url::create_object_url_with_blob(&blob).ok()
}

impl Ui {
    /// Whether the shown chat has a file waiting (Send may then go without text).
    pub(super) fn has_attachment(&self) -> bool {
        self.preview.shown.borrow().is_some()
    }

    /// Shows the shown chat's waiting file, if any. The thumbnail is made again only for another
    /// file; the labels are redrawn with the thread (a language change redraws it).
    pub(super) fn render_attachment(&self, state: &State, relabel: bool) {
        let p = &self.preview;
        let chat = self.shown_chat.get();
        let same_chat = p.chat.replace(chat) == chat;
        let file = chat.and_then(|c| state.attachment(c));
        let id = file.map(|f| f.client_message_id.as_str());
        let same = p.shown.borrow().as_ref().map(|(i, _)| i.as_str()) == id;
        if same && !relabel {
            return;
        }
        if !same {
            p.said.set_text_content(None);
        }
        let Some(f) = file else {
            p.revoke();
            hide(&p.frame, true);
            return;
        };
        if !same {
            p.revoke();
            let url = f
                .is_image()
                .then(|| object_url(&f.bytes, &f.format))
                .flatten();
            if let Some(url) = &url {
                attrs(&p.thumb, &[("src", url)]);
            }
            hide(&p.thumb, url.is_none());
            hide(&p.glyph, url.is_some());
            *p.shown.borrow_mut() = Some((f.client_message_id.clone(), url));
        }
        let s = self.strings.borrow();
        let (unit, n) = human_size(f.bytes.len() as u64, s.get("size.point"));
        let size = s.fill(unit, &[("n", &n)]);
        p.name.set_text_content(Some(&f.name));
        p.size.set_text_content(Some(&size));
        let label = s.fill("attach.remove", &[("name", &f.name)]);
        attrs(&p.remove, &[("aria-label", &label), ("title", &label)]);
        hide(&p.frame, false);
        if !same && same_chat {
            let said = s.fill("attach.added", &[("name", &f.name), ("size", &size)]);
            p.said.set_text_content(Some(&said));
        }
    }

    /// Hands a file to the panel for the shown chat's composer.
    pub(super) fn take_file(&self, file: Option<web_sys::File>) {
        if let (Some(file), Some(chat_id)) = (file, self.shown_chat.get()) {
            (self.on)(UiEvent::Attach { chat_id, file });
        }
    }

    /// A paste with a file (a screenshot, a copied image) attaches it. The text default goes on
    /// when the clipboard also holds text, so a paste from a document keeps its words.
    fn paste(&self, e: &Event) {
        let Some(data) = e
            .dyn_ref::<ClipboardEvent>()
            .and_then(|e| e.clipboard_data())
        else {
            return;
        };
        let file = data.files().and_then(|f| f.get(0));
        if file.is_some() && data.get_data("text/plain").unwrap_or_default().is_empty() {
            e.prevent_default();
        }
        self.take_file(file);
    }

    /// A file dragged over the thread: the drop target shows, and a drop attaches it. Only drags
    /// carrying files, while a chat is shown; anything else keeps the browser's default.
    fn drag(&self, e: &Event) {
        let Some(data) = e.dyn_ref::<DragEvent>().and_then(DragEvent::data_transfer) else {
            return;
        };
        if !data.types().includes(&"Files".into(), 0) {
            return;
        }
        let (p, open) = (&self.preview, !hidden(&self.form));
        if open {
            // Taken here, or the browser would open the dropped file in place of the host page.
            e.prevent_default();
        }
        let depth = match e.type_().as_str() {
            // No chat shown (it closed mid-drag): no target, and the browser's default.
            _ if !open => 0,
            "dragenter" => p.depth.get() + 1,
            "dragleave" => p.depth.get().saturating_sub(1),
            "dragover" => {
                data.set_drop_effect("copy");
                return;
            }
            _ => {
                self.take_file(data.files().and_then(|f| f.get(0)));
                0
            }
        };
        p.depth.set(depth);
        hide(&p.drop, depth == 0);
        flag(&p.thread, "data-drop", depth > 0);
    }

    /// The remove button: the file leaves the composer, and the caret goes back to the text.
    pub(super) fn remove_attachment(&self) {
        if let Some(chat_id) = self.shown_chat.get() {
            (self.on)(UiEvent::Detach(chat_id));
            focus(&self.composer);
        }
    }
}
