//! Saved replies for the panel: fetched from the script's `replies` URL the first time the
//! composer asks, or given by `ChatHub.get().setReplies([...])`; a chosen one gets its
//! `{client}` and `{operator}` filled in from the open chat and the session.

use super::{Inner, Panel};
use crate::api;
use crate::replies::{self, Reply};
use std::rc::Rc;

impl Panel {
    /// `setReplies(list)`: replaces the replies (and whatever the `replies` URL would give).
    pub fn set_replies(&self, all: Vec<Reply>) {
        self.inner.view.set_replies(all);
    }
}

impl Inner {
    /// The composer needs the replies: fetch the `replies` URL (without the token: it is the host's
    /// file, not the API). No attribute: no replies.
    pub(super) fn load_replies(self: &Rc<Self>) {
        let Some(url) = super::attr(&self.script, "replies") else {
            return self.view.set_replies(Vec::new());
        };
        let weak = Rc::downgrade(self);
        self.tasks.spawn(Box::pin(async move {
            let got = api::text(&url).await.ok();
            let Some(p) = weak.upgrade() else { return };
            // `setReplies` while this was on its way wins.
            if !p.view.replies_asked() {
                return;
            }
            match got.as_deref().and_then(replies::parse) {
                Some(all) => p.view.set_replies(all),
                None => {
                    p.view.replies_failed();
                    let line = p.strings.borrow().fill("notice.replies_failed", &[]);
                    p.view.notice(&line);
                    p.report("replies_failed", "the saved replies could not be loaded");
                }
            }
        }));
    }

    /// Fills in a chosen reply and puts it into the composer.
    pub(super) fn fill_reply(&self, text: &str) {
        let filled = {
            let state = self.state.borrow();
            // The session's name first; the token's `name` claim where the session has none yet.
            let claimed = crate::token::name(&self.config.borrow().api.token);
            let operator = replies::operator(&state).or(claimed.as_deref());
            replies::fill(text, replies::client(&state), operator)
        };
        self.view.insert_reply(&filled);
    }
}
