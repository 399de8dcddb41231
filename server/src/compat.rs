//! `--compat`: the full reference server, or only what the hosted ChatHub documents (its field sets,
//! its five hub events, no event ids), so that a client can be tested against the hosted surface.

use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Compat {
    /// Everything this server offers, announced in negotiate as `chathubExtensions`.
    #[default]
    Full,
    /// What the hosted ASP.NET Core service documents, and nothing more.
    Documented,
}

/// What `full` adds to the documented API; the negotiate response lists them.
pub const EXTENSIONS: &[&str] = &[
    "clientMessageId",
    "Typing",
    "MarkRead",
    "Resume",
    "eventId",
    "messageOperator",
    "chatFields",
    "ChatDeleted",
];

/// The hub events the provider documents; every other one is ours.
const DOCUMENTED_EVENTS: &[&str] = &[
    "ReceiveMessage",
    "ReceiveMediaMessage",
    "ChatCreated",
    "ChatStatusChanged",
    "MessageStatusChanged",
];
const CHAT_FIELDS: &[&str] = &["id", "theme", "operator", "chatStatus", "countUnread"];
const MESSAGE_FIELDS: &[&str] = &[
    "id",
    "chatId",
    "message",
    "author",
    "media",
    "status",
    "createdAt",
];

impl Compat {
    pub fn documented(self) -> bool {
        self == Compat::Documented
    }

    /// Whether this mode sends an event with this target at all.
    pub fn sends(self, target: &str) -> bool {
        !self.documented() || DOCUMENTED_EVENTS.contains(&target)
    }

    /// A message object (JSON) as this mode shows it.
    pub fn message(self, mut v: Value) -> Value {
        if self.documented() {
            keep(&mut v, MESSAGE_FIELDS);
        }
        v
    }

    /// A chat-list item (JSON) as this mode shows it.
    pub fn chat(self, mut v: Value) -> Value {
        if self.documented() {
            keep(&mut v, CHAT_FIELDS);
        }
        v
    }

    /// An event's arguments as this mode sends them: documented mode trims the objects to their
    /// documented fields; full mode appends `{"eventId": N}`.
    pub fn event_args(self, target: &str, mut args: Vec<Value>, event_id: i64) -> Vec<Value> {
        if !self.documented() {
            args.push(json!({ "eventId": event_id }));
            return args;
        }
        if let Some(first) = args.first_mut() {
            match target {
                "ReceiveMessage" | "ReceiveMediaMessage" => keep(first, MESSAGE_FIELDS),
                "ChatCreated" => keep(first, CHAT_FIELDS),
                _ => {}
            }
        }
        args
    }
}

fn keep(v: &mut Value, fields: &[&str]) {
    if let Value::Object(map) = v {
        map.retain(|k, _| fields.contains(&k.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_shapes() {
        let m = json!({"id": 1, "chatId": 2, "message": "hi", "author": 0, "media": null, "status": 0,
            "createdAt": "x", "clientMessageId": "c", "operator": {"id": 2, "name": "Mark"}});
        let d = Compat::Documented.message(m.clone());
        assert!(d.get("clientMessageId").is_none() && d.get("operator").is_none());
        assert_eq!(d.as_object().unwrap().len(), MESSAGE_FIELDS.len());
        assert_eq!(Compat::Full.message(m.clone()), m);
        let args = Compat::Documented.event_args("ReceiveMessage", vec![m.clone()], 7);
        assert_eq!(args, vec![d]);
        let args = Compat::Full.event_args("ChatStatusChanged", vec![json!(1), json!(4)], 7);
        assert_eq!(args, vec![json!(1), json!(4), json!({"eventId": 7})]);
        assert!(!Compat::Documented.sends("Typing") && Compat::Full.sends("Typing"));
        assert!(Compat::Documented.sends("ChatCreated"));
    }
}
