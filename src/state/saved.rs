//! What survives a page reload (sessionStorage): the open chat, drafts and the outbox. Its own file
//! since its JSON is read back by later releases, so its shape changes only with care.

use super::{Dirty, Outgoing, State};
use crate::json;
use serde::{Deserialize, Serialize};

/// What survives a page reload (in sessionStorage): the open chat, each chat's draft and unsent
/// messages. Never the token. Read as owned data; written borrowed ([`State::saved_json`]), since it
/// is saved on every keystroke of a draft.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Saved<D = Vec<Draft>, O = Vec<Outgoing>> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<u64>,
    pub drafts: D,
    pub outbox: O,
    /// The one draft a release before kept, for whichever chat was open.
    #[serde(skip_serializing)]
    pub draft: String,
}

/// A chat's unsent text.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    pub chat_id: u64,
    pub text: String,
}

impl State {
    /// What survives a reload, as JSON ([`Saved`]); `None` when there is nothing to keep. Written
    /// from borrowed state: it runs on every keystroke of the draft.
    pub fn saved_json(&self) -> Option<String> {
        if self.open.is_none() && self.drafts.is_empty() && self.outbox.is_empty() {
            return None;
        }
        let saved: Saved<&[Draft], &[Outgoing]> = Saved {
            open: self.open,
            drafts: &self.drafts,
            outbox: &self.outbox,
            draft: String::new(),
        };
        Some(json::to_string(&saved))
    }

    /// `Msg::Restore`: what a reload kept joins what the panel already has, never replacing it.
    pub(super) fn restore(&mut self, saved: Saved) {
        let legacy = saved.open.filter(|_| !saved.draft.is_empty());
        let legacy = legacy.map(|chat_id| Draft {
            chat_id,
            text: saved.draft,
        });
        for d in saved.drafts.into_iter().chain(legacy) {
            if self.draft(d.chat_id).is_empty() {
                self.set_draft(d.chat_id, d.text);
            }
        }
        for o in saved.outbox {
            if !self
                .outbox
                .iter()
                .any(|x| x.client_message_id == o.client_message_id)
            {
                self.outbox.push(o);
            }
        }
        if let (Some(open), None) = (saved.open, self.open) {
            self.open = Some(open);
        }
        self.dirty = Dirty {
            thread: true,
            chats: true,
            ..self.dirty
        };
    }
}

#[cfg(test)]
mod tests {
    use crate::json;
    use crate::state::testkit::*;
    use crate::state::*;

    #[test]
    fn draft_and_outbox_are_saved_and_restored_without_in_flight_ids() {
        let mut s = connected();
        open_chat(&mut s, 7);
        update(
            &mut s,
            Msg::Send {
                chat_id: 7,
                text: "hello".into(),
                client_message_id: "c1".into(),
                now: 5,
            },
        );
        update(
            &mut s,
            Msg::Draft {
                chat_id: 7,
                text: "half a tho".into(),
                now: 5,
            },
        );
        assert!(s.take_dirty().saved);
        let json = s.saved_json().unwrap();
        assert!(!json.contains("invocation"), "{json}");
        let mut fresh = State::default();
        update(&mut fresh, Msg::Restore(json::from_str(&json).unwrap()));
        update(&mut fresh, Msg::Negotiated(full()));
        assert_eq!(fresh.open, Some(7));
        assert_eq!(fresh.draft(7), "half a tho");
        assert_eq!(fresh.outbox.len(), 1);
        assert!(!matches!(fresh.outbox[0].phase, Phase::InFlight(_)));
        update(&mut fresh, Msg::SocketOpened { now: 0 });
        let fx = update(
            &mut fresh,
            Msg::Frame {
                text: "{}\u{1e}".into(),
                now: 1,
            },
        );
        assert!(fx
            .iter()
            .any(|e| matches!(e, Effect::Send(f) if f.contains("\"c1\""))));
    }

    #[test]
    fn a_draft_belongs_to_its_chat() {
        let mut s = connected();
        two_chats(&mut s);
        update(&mut s, Msg::Open(7));
        let refund = "Customer 16, your refund of $120 for order #A-77 is approved.";
        update(
            &mut s,
            Msg::Draft {
                chat_id: 7,
                text: refund.into(),
                now: 1,
            },
        );
        update(&mut s, Msg::Open(8));
        assert_eq!(s.draft(8), "", "chat B shows its own, empty draft");
        assert_eq!(s.draft(7), refund);
        // Enter in a composer still showing A's draft can only send to A.
        let fx = send(&mut s, 7, refund, "c1");
        assert_eq!(
            sends(&fx, "SendMessage"),
            vec![format!("[7,\"{refund}\",\"c1\"]")]
        );
        assert_eq!(s.draft(7), "", "sent drafts are gone");
        update(
            &mut s,
            Msg::Draft {
                chat_id: 8,
                text: "for B".into(),
                now: 2,
            },
        );
        update(&mut s, Msg::Open(7));
        let saved = s.saved_json().unwrap();
        assert!(!saved.contains("token"));
        let mut fresh = State::default();
        update(&mut fresh, Msg::Restore(json::from_str(&saved).unwrap()));
        assert_eq!(fresh.draft(8), "for B", "drafts survive a reload");
        // A draft saved by the release before, for the chat then open.
        let old: Saved = json::from_str(r#"{"open":7,"draft":"old","outbox":[]}"#).unwrap();
        update(&mut fresh, Msg::Restore(old));
        assert_eq!(fresh.draft(7), "old");
    }
}
