//! The API's objects as the panel reads them. Lenient: missing fields take defaults, unknown ones are
//! ignored, because the hosted service documents little.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Operator {
    pub id: u64,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Media {
    pub name: Option<String>,
    pub format: Option<String>,
    pub url: Option<String>,
    /// 1 image, 0 any other file.
    #[serde(rename = "type")]
    pub kind: u8,
}

/// `chatStatus` values the panel acts on.
pub const STATUS_OPEN: u8 = 1;
pub const STATUS_PAUSED: u8 = 3;
pub const STATUS_CLOSED: u8 = 4;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
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
    /// When the customer's first unanswered message came (ISO-8601): the chat is *waiting* for a
    /// reply. The panel's own bookkeeping, never read from or written to the network.
    #[serde(skip)]
    pub waiting_since: Option<String>,
    /// The newest message id known when an operator last replied: a customer message up to it is
    /// answered, even while the list's copy of the chat still shows it as the last one.
    #[serde(skip)]
    pub answered: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Client {
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChatPage {
    pub items: Vec<Chat>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MessagePage {
    pub items: Vec<Message>,
    pub has_more: bool,
}

/// The answer to SignalR's negotiate: the id that goes into the WebSocket URL, and the extensions
/// the server announces in its own field (none from a server that only does what is documented).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Negotiated {
    pub connection_token: Option<String>,
    /// Version 0 servers put the id here instead.
    pub connection_id: Option<String>,
    #[serde(rename = "chathubExtensions")]
    pub extensions: Vec<String>,
}

impl Negotiated {
    /// The id that goes into the WebSocket URL.
    pub fn id(&self) -> Option<&str> {
        self.connection_token
            .as_deref()
            .or(self.connection_id.as_deref())
    }
}

/// The `{ "eventId": N }` the reference server appends to every event.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMeta {
    pub event_id: u64,
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

    /// Since when the customer waits for a reply, if they do. A closed chat waits for nobody.
    pub fn waiting(&self) -> Option<&str> {
        self.waiting_since
            .as_deref()
            .filter(|_| self.chat_status != STATUS_CLOSED)
    }

    /// Keeps the waiting mark in step with a message newer than any the chat had: a customer's
    /// starts the wait (unless answered already), an operator's ends it.
    pub fn note(&mut self, m: &Message) {
        match m.author {
            1 if m.id > self.answered && self.waiting_since.is_none() => {
                self.waiting_since = Some(m.created_at.clone());
            }
            0 => {
                self.waiting_since = None;
                self.answered = self.answered.max(m.id);
            }
            _ => {}
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
