//! The API's objects as the panel reads them. Lenient: missing fields take defaults, unknown ones are
//! ignored, because the hosted service documents little.

use crate::json::{FromJson, Value};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub id: u64,
    pub chat_id: u64,
    pub message: Option<String>,
    /// 0 operator, 1 client, 2 system.
    pub author: u8,
    pub media: Option<Media>,
    /// 0 New, 1 Success (delivered), 2 Rejected, 3 Read.
    pub status: u8,
    pub created_at: String,
    pub client_message_id: Option<String>,
    /// Who wrote an operator message (the reference server's own field; absent on the hosted one).
    pub operator: Option<Operator>,
}

/// An operator as the API names one: a chat's assignee, or the author of a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operator {
    pub id: u64,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Media {
    pub name: Option<String>,
    pub format: Option<String>,
    pub url: Option<String>,
    pub kind: u8,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chat {
    pub id: u64,
    pub theme: Option<String>,
    /// 0 New, 1 Open, 2 Waiting, 3 OnPause, 4 Closed.
    pub chat_status: u8,
    pub count_unread: u32,
    /// The operator the chat is assigned to.
    pub operator: Option<Operator>,
    pub source: Option<u8>,
    pub client: Option<Client>,
    pub last_message: Option<Message>,
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ChatPage {
    pub items: Vec<Chat>,
}

#[derive(Debug, Clone, Default)]
pub struct MessagePage {
    pub items: Vec<Message>,
    pub has_more: bool,
}

/// The answer to SignalR's negotiate: the id that goes into the WebSocket URL, and the extensions
/// the server announces in its own field (none from a server that only does what is documented).
#[derive(Debug, Clone, Default)]
pub struct Negotiated {
    pub id: Option<String>,
    pub extensions: Vec<String>,
}

/// The `{ "eventId": N }` the reference server appends to every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventMeta {
    pub event_id: u64,
}

// Readers in the API's field names. Missing fields default and unknown ones are ignored, because the
// hosted service documents little; a field of the wrong type refuses the object.

impl FromJson for Message {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let m = Message {
            id: f.or_default("id"),
            chat_id: f.or_default("chatId"),
            message: f.get("message"),
            author: f.or_default("author"),
            media: f.get("media"),
            status: f.or_default("status"),
            created_at: f.or_default("createdAt"),
            client_message_id: f.get("clientMessageId"),
            operator: f.get("operator"),
        };
        f.done(m)
    }
}

impl FromJson for Media {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let m = Media {
            name: f.get("name"),
            format: f.get("format"),
            url: f.get("url"),
            kind: f.or_default("type"),
        };
        f.done(m)
    }
}

impl FromJson for Chat {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let c = Chat {
            id: f.or_default("id"),
            theme: f.get("theme"),
            chat_status: f.or_default("chatStatus"),
            count_unread: f.or_default("countUnread"),
            operator: f.get("operator"),
            source: f.get("source"),
            client: f.get("client"),
            last_message: f.get("lastMessage"),
            updated_at: f.get("updatedAt"),
        };
        f.done(c)
    }
}

impl FromJson for Operator {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let o = Operator {
            id: f.or_default("id"),
            name: f.get("name"),
        };
        f.done(o)
    }
}

impl FromJson for Client {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let c = Client {
            name: f.get("name"),
            phone: f.get("phone"),
        };
        f.done(c)
    }
}

impl FromJson for ChatPage {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let items = f.or_default("items");
        f.done(ChatPage { items })
    }
}

impl FromJson for MessagePage {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let page = MessagePage {
            items: f.or_default("items"),
            has_more: f.or_default("hasMore"),
        };
        f.done(page)
    }
}

impl FromJson for Negotiated {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let id = f.get("connectionToken").or_else(|| f.get("connectionId"));
        let extensions = f.or_default("chathubExtensions");
        f.done(Negotiated { id, extensions })
    }
}

impl FromJson for EventMeta {
    fn from_json(v: &Value) -> Option<Self> {
        let mut f = v.fields()?;
        let event_id = f.or_default("eventId");
        f.done(EventMeta { event_id })
    }
}

impl Message {
    /// A one-line summary: the text, else the attachment's file name.
    pub fn preview(&self) -> Option<&str> {
        self.message
            .as_deref()
            .filter(|t| !t.is_empty())
            .or_else(|| self.media.as_ref()?.name.as_deref())
    }
}

impl Chat {
    /// What the list shows as the chat's name: the client's name, else the phone, else the theme.
    pub fn title(&self) -> &str {
        let client = self.client.as_ref();
        [
            client.and_then(|c| c.name.as_deref()),
            client.and_then(|c| c.phone.as_deref()),
            self.theme.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .unwrap_or("")
    }

    /// Whether the client's name or phone contains `needle`, ignoring ASCII case, as the server's
    /// search does (SQLite `LIKE`). The theme counts only for a chat without a client (a server that
    /// sends only the documented fields): elsewhere it is the first message, which search must not match.
    pub fn mentions(&self, needle: &str) -> bool {
        let has = |hay: Option<&str>| {
            let (hay, n) = (hay.unwrap_or("").as_bytes(), needle.as_bytes());
            n.len() <= hay.len() && hay.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
        };
        let client = self.client.as_ref();
        match client {
            Some(c) => has(c.name.as_deref()) || has(c.phone.as_deref()),
            None => has(self.theme.as_deref()),
        }
    }

    /// The moment of last activity, for ordering (ISO-8601 strings sort as time).
    pub fn activity(&self) -> &str {
        self.last_message
            .as_ref()
            .map(|m| m.created_at.as_str())
            .or(self.updated_at.as_deref())
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_is_the_text_else_the_file_name() {
        let mut m = Message {
            message: Some("hi".into()),
            media: Some(Media {
                name: Some("a.png".into()),
                ..Media::default()
            }),
            ..Message::default()
        };
        assert_eq!(m.preview(), Some("hi"));
        m.message = Some(String::new());
        assert_eq!(m.preview(), Some("a.png"));
        m.media = None;
        assert_eq!(m.preview(), None);
    }

    #[test]
    fn reads_documented_and_extra_fields_leniently() {
        let chat: Chat = crate::json::from_str(
            r#"{"id":123,"theme":"Order #491","operator":{"id":21,"name":"Jane","photo":null},
               "chatStatus":1,"countUnread":3,"source":2,"client":{"name":"","phone":"+380"},
               "lastMessage":{"id":5,"chatId":123,"message":"hi","author":1,"status":1,
               "createdAt":"2026-11-21T10:00:00.000Z"},"updatedAt":"2026-11-21T10:00:00.000Z","new":true}"#,
        )
        .unwrap();
        assert_eq!(chat.title(), "+380");
        assert_eq!(chat.count_unread, 3);
        assert_eq!(chat.activity(), "2026-11-21T10:00:00.000Z");
        let bare: Chat = crate::json::from_str(r#"{"id":1}"#).unwrap();
        assert_eq!(bare.title(), "");
    }
}
