//! Attachments waiting in the composer. A picked, pasted or dropped file is previewed until Send
//! takes it with the chat's text. Like a draft it belongs to its chat, so switching chats can never
//! send it to another customer. Unlike a draft it is not saved across a reload: up to 5 MB of base64
//! would not fit sessionStorage's quota beside the outbox.

use super::State;
use crate::media;
use crate::text::num;

/// A file in a chat's composer, not sent yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub chat_id: u64,
    pub name: String,
    pub format: String,
    pub bytes: Vec<u8>,
    /// Chosen when the file was attached: it also tells one preview from the next.
    pub client_message_id: String,
}

impl Pending {
    pub fn is_image(&self) -> bool {
        media::is_image(&self.format)
    }
}

impl State {
    /// The file waiting in a chat's composer.
    pub fn attachment(&self, chat_id: u64) -> Option<&Pending> {
        self.attachments.iter().find(|p| p.chat_id == chat_id)
    }

    /// A file for a chat's composer: it replaces the one there. Refused for a chat the panel does
    /// not know or a file over the limit (the shell says why before it gets here).
    pub(super) fn attach(&mut self, p: Pending) {
        if self.knows(p.chat_id) && p.bytes.len() <= media::MAX_BYTES {
            self.detach(p.chat_id);
            self.attachments.push(p);
        }
    }

    /// Takes a chat's file away; whether it had one.
    pub(super) fn detach(&mut self, chat_id: u64) -> bool {
        let had = self.attachment(chat_id).is_some();
        self.attachments.retain(|p| p.chat_id != chat_id);
        had
    }

    /// Takes a chat's file for sending.
    pub(super) fn take_attachment(&mut self, chat_id: u64) -> Option<Pending> {
        let i = self.attachments.iter().position(|p| p.chat_id == chat_id)?;
        Some(self.attachments.remove(i))
    }
}

/// A file size for people: the i18n key of its unit (`size.b`, `size.kb`, `size.mb`, each
/// `{n} <unit>`) and the number, with one decimal below 10 of the unit (`point` is the language's
/// decimal sign) and none when it is zero. Binary units, rounded half up, in integers only.
pub fn human_size(bytes: u64, point: &str) -> (&'static str, String) {
    const K: u64 = 1024;
    if bytes < K {
        return ("size.b", num(bytes));
    }
    // The unit the rounded number reads best in: 1023.9 KB is "1 MB", not "1024 KB".
    let (key, unit) = if bytes < K * K - K / 2 {
        ("size.kb", K)
    } else {
        ("size.mb", K * K)
    };
    let tenths = (bytes * 10 + unit / 2) / unit;
    if tenths >= 100 || tenths.is_multiple_of(10) {
        return (key, num((bytes + unit / 2) / unit));
    }
    let digit = num(tenths % 10);
    (key, crate::text::cat(&[&num(tenths / 10), point, &digit]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testkit::*;
    use crate::state::*;

    pub(crate) fn file(chat_id: u64, name: &str, cmid: &str) -> Pending {
        Pending {
            chat_id,
            name: name.into(),
            format: "image/png".into(),
            bytes: b"png".to_vec(),
            client_message_id: cmid.into(),
        }
    }

    #[test]
    fn sizes_read_in_whole_units_or_one_decimal() {
        let size = |b| human_size(b, ",");
        assert_eq!(size(0), ("size.b", "0".into()));
        assert_eq!(size(1023), ("size.b", "1023".into()));
        assert_eq!(size(1024), ("size.kb", "1".into()));
        assert_eq!(size(1536), ("size.kb", "1,5".into()));
        assert_eq!(
            size(1024 + 51),
            ("size.kb", "1".into()),
            "1.05 rounds to 1.0: no ',0'"
        );
        assert_eq!(size(10 * 1024 + 600), ("size.kb", "11".into()));
        assert_eq!(size(1024 * 1024 - 100), ("size.mb", "1".into()));
        assert_eq!(
            size(2_359_296),
            ("size.mb", "2,3".into()),
            "2.25 MB, half up"
        );
        assert_eq!(size(5 * 1024 * 1024), ("size.mb", "5".into()));
        assert_eq!(human_size(1536, "."), ("size.kb", "1.5".into()));
    }

    #[test]
    fn a_file_waits_in_its_own_chats_composer() {
        let mut s = connected();
        two_chats(&mut s);
        update(&mut s, Msg::Open(7));
        update(&mut s, Msg::Attach(file(7, "a.png", "f1")));
        update(&mut s, Msg::Open(8));
        assert!(
            s.attachment(8).is_none(),
            "switching chats does not carry it along"
        );
        // Enter in chat 8 sends its own text, never chat 7's file.
        let fx = send(&mut s, 8, "hello", "c1");
        assert!(sends(&fx, "SendMediaMessage").is_empty());
        assert_eq!(sends(&fx, "SendMessage"), vec!["[8,\"hello\",\"c1\"]"]);
        assert_eq!(s.attachment(7).map(|p| p.name.as_str()), Some("a.png"));
        // A second file replaces the first; removing it leaves nothing.
        update(&mut s, Msg::Attach(file(7, "b.png", "f2")));
        assert_eq!(s.attachments.len(), 1);
        update(&mut s, Msg::Detach(7));
        assert!(s.attachment(7).is_none());
        // Unknown chats and files over the limit are refused.
        update(&mut s, Msg::Attach(file(99, "x.png", "f3")));
        let mut big = file(7, "big.png", "f4");
        big.bytes = vec![0; media::MAX_BYTES + 1];
        update(&mut s, Msg::Attach(big));
        assert!(s.attachments.is_empty());
    }

    #[test]
    fn send_takes_the_text_then_the_file_each_once() {
        let mut s = connected();
        open_chat(&mut s, 7);
        update(&mut s, Msg::Attach(file(7, "a.png", "f1")));
        update(
            &mut s,
            Msg::Draft {
                chat_id: 7,
                text: "look".into(),
                now: 1,
            },
        );
        let fx = send(&mut s, 7, " look ", "c1");
        assert_eq!(sends(&fx, "SendMessage"), vec!["[7,\"look\",\"c1\"]"]);
        assert_eq!(
            sends(&fx, "SendMediaMessage"),
            vec![r#"[7,{"Name":"a.png","Format":"image/png","DataBase64":"cG5n","Type":1},"f1"]"#]
        );
        let first = |fx: &[Effect]| match &fx[0] {
            Effect::Send(f) => f.contains("\"SendMessage\""),
            _ => false,
        };
        assert!(first(&fx), "the text goes first: {fx:?}");
        assert!(s.attachment(7).is_none() && s.draft(7).is_empty());
        assert_eq!(s.open_outbox().count(), 2);
        // Sending again sends nothing: the file went once.
        assert!(send(&mut s, 7, "", "c2").is_empty());
    }

    #[test]
    fn a_file_alone_goes_and_a_text_over_the_limit_holds_both() {
        let mut s = connected_to(Extensions::default());
        open_chat(&mut s, 7);
        update(&mut s, Msg::Attach(file(7, "a.png", "f1")));
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(send(&mut s, 7, &long, "c1").is_empty());
        assert!(
            s.attachment(7).is_some(),
            "kept with the text that does not fit"
        );
        let fx = send(&mut s, 7, "  ", "c2");
        assert_eq!(
            sends(&fx, "SendMediaMessage"),
            vec![r#"[7,{"Name":"a.png","Format":"image/png","DataBase64":"cG5n","Type":1}]"#],
            "a documented hub gets two arguments"
        );
        assert!(sends(&fx, "SendMessage").is_empty());
    }

    #[test]
    fn a_file_waits_offline_and_goes_with_the_outbox() {
        let mut s = connected();
        open_chat(&mut s, 7);
        update(&mut s, Msg::Network { online: false });
        update(&mut s, Msg::Attach(file(7, "a.png", "f1")));
        assert!(send(&mut s, 7, "", "c1").is_empty());
        assert!(s.attachment(7).is_none(), "in the outbox now");
        update(&mut s, Msg::Network { online: true });
        assert_eq!(sends(&reconnect(&mut s), "SendMediaMessage").len(), 1);
    }

    #[test]
    fn a_deleted_chat_takes_its_file_with_it() {
        let mut s = connected();
        open_chat(&mut s, 7);
        update(&mut s, Msg::Attach(file(7, "a.png", "f1")));
        let fx = update(&mut s, Msg::ChatGone(7));
        assert!(s.attachments.is_empty());
        assert!(fx.iter().any(|e| matches!(
            e,
            Effect::Notice {
                key: "notice.deleted_unsent",
                ..
            }
        )));
    }
}
