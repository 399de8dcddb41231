//! Messages: the message object, history paging on both documented paths, sending (REST and hub
//! share [`append_staff_message`]) with idempotent `clientMessageId`, media, and the hub's
//! `MarkRead` and `Typing`.

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use axum::Router;
use base64::Engine;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Principal;
use crate::chats::{self, ChatRef};
use crate::error::{ApiError, ApiResult};
use crate::json::{lenient_opt_i64, JsonBody, PathParam, QueryParams};
use crate::state::AppState;
use crate::store::{iso_millis, now_millis, Tx};

/// History on both documented paths, sending, and media bytes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/chat/chats/{id}/messages", get(list))
        .route("/api/chat/{chat_id}/messages", get(list))
        .route(
            "/api/chat/{chat_id}/message",
            post(send).layer(DefaultBodyLimit::max(MEDIA_BODY_LIMIT)),
        )
        .route("/api/chat/{chat_id}/media/{message_id}", get(media))
}

pub const MAX_TEXT_CHARS: usize = 4096;
/// Decoded media size cap; [`MEDIA_BODY_LIMIT`] leaves room for its base64.
pub const MAX_MEDIA_BYTES: usize = 5 * 1024 * 1024;
/// Bodies that may carry base64 media (5 MiB decoded): the media routes and hub messages.
pub const MEDIA_BODY_LIMIT: usize = 8 * 1024 * 1024;
const MAX_LIMIT: i64 = 200;
const DEFAULT_LIMIT: i64 = 50;

pub const AUTHOR_OPERATOR: i64 = 0;
pub const AUTHOR_CLIENT: i64 = 1;
pub const AUTHOR_SYSTEM: i64 = 2;

pub const STATUS_NEW: i64 = 0;
pub const STATUS_SUCCESS: i64 = 1;
pub const STATUS_READ: i64 = 3;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: i64,
    pub chat_id: i64,
    pub message: String,
    pub author: i64,
    pub media: Option<MediaInfo>,
    pub status: i64,
    pub created_at: String,
    pub client_message_id: Option<String>,
    /// [ours] The operator who wrote it; null for customers, system messages and company sends.
    pub operator: Option<MessageOperator>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MessageOperator {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MediaInfo {
    pub name: String,
    pub format: String,
    #[serde(rename = "type")]
    pub kind: i64,
    pub size: i64,
    /// Where the bytes are served (same auth as the messages).
    pub url: String,
}

pub const MESSAGE_COLS: &str =
    "m.id, m.chat_id, m.author, m.text, m.status, m.created_at, m.client_message_id, \
     m.media_name, m.media_format, m.media_type, m.media_size, \
     m.operator_id, (SELECT o.name FROM operators o WHERE o.id = m.operator_id)";

pub fn message_from_row(r: &Row) -> rusqlite::Result<Message> {
    let id: i64 = r.get(0)?;
    let chat_id: i64 = r.get(1)?;
    let media = match r.get::<_, Option<String>>(7)? {
        None => None,
        Some(name) => Some(MediaInfo {
            name,
            format: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
            kind: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
            size: r.get::<_, Option<i64>>(10)?.unwrap_or(0),
            url: format!("/api/chat/{chat_id}/media/{id}"),
        }),
    };
    let operator = match r.get::<_, Option<i64>>(11)? {
        None => None,
        Some(op) => Some(MessageOperator {
            id: op,
            name: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        }),
    };
    Ok(Message {
        id,
        chat_id,
        operator,
        author: r.get(2)?,
        message: r.get(3)?,
        status: r.get(4)?,
        created_at: iso_millis(r.get(5)?),
        client_message_id: r.get(6)?,
        media,
    })
}

pub fn load_message(conn: &Connection, id: i64) -> ApiResult<Message> {
    conn.query_row(
        &format!("SELECT {MESSAGE_COLS} FROM messages m WHERE m.id = ?1"),
        [id],
        message_from_row,
    )
    .optional()?
    .ok_or(ApiError::NotFound("message"))
}

/// A media upload as the REST body (`dataBase64`) or the hub (`DataBase64`) sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct MediaUpload {
    #[serde(alias = "Name", alias = "fileName", alias = "FileName")]
    pub name: String,
    #[serde(default, alias = "Format", alias = "mimeType", alias = "contentType")]
    pub format: String,
    #[serde(
        rename = "dataBase64",
        alias = "DataBase64",
        alias = "data",
        alias = "Data"
    )]
    pub data_base64: String,
    #[serde(
        default,
        rename = "type",
        alias = "Type",
        deserialize_with = "lenient_opt_i64"
    )]
    pub kind: Option<i64>,
}

impl MediaUpload {
    fn decode(&self) -> ApiResult<Vec<u8>> {
        // Accept a data URL as well as bare base64.
        let raw = self
            .data_base64
            .split_once(";base64,")
            .map_or(self.data_base64.as_str(), |(_, b)| b);
        if raw.len() > MAX_MEDIA_BYTES / 3 * 4 + 8 {
            return Err(ApiError::PayloadTooLarge);
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|_| ApiError::bad("media data is not valid base64"))?;
        if bytes.len() > MAX_MEDIA_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        Ok(bytes)
    }
}

/// A message to append, already validated.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub text: String,
    pub author: i64,
    pub media: Option<(MediaUpload, Vec<u8>)>,
    pub client_message_id: Option<String>,
    /// Set by [`append_staff_message`] for an operator's own message.
    pub operator_id: Option<i64>,
}

impl NewMessage {
    pub fn new(
        text: Option<String>,
        author: i64,
        media: Option<MediaUpload>,
        client_message_id: Option<String>,
    ) -> ApiResult<NewMessage> {
        let text = text.unwrap_or_default();
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(ApiError::bad(format!(
                "text is longer than {MAX_TEXT_CHARS} characters"
            )));
        }
        let media = match media {
            None => None,
            Some(m) => {
                if m.name.trim().is_empty() || m.name.chars().count() > 255 {
                    return Err(ApiError::bad("media name must be 1 to 255 characters"));
                }
                let bytes = m.decode()?;
                Some((m, bytes))
            }
        };
        if text.trim().is_empty() && media.is_none() {
            return Err(ApiError::bad("a message needs text or media"));
        }
        if let Some(id) = &client_message_id {
            if id.is_empty() || id.len() > 100 {
                return Err(ApiError::bad("clientMessageId must be 1 to 100 characters"));
            }
        }
        Ok(NewMessage {
            text,
            author,
            media,
            client_message_id,
            operator_id: None,
        })
    }
}

/// Insert a message row and touch the chat; emits nothing.
pub fn insert_message(tx: &Tx, chat_id: i64, m: &NewMessage, status: i64) -> ApiResult<Message> {
    let now = now_millis();
    let (name, format, kind, size) = match &m.media {
        Some((u, bytes)) => (
            Some(u.name.clone()),
            Some(u.format.clone()),
            Some(u.kind.unwrap_or(0)),
            Some(bytes.len() as i64),
        ),
        None => (None, None, None, None),
    };
    tx.execute(
        "INSERT INTO messages (chat_id, author, text, status, created_at, client_message_id,
                               media_name, media_format, media_type, media_size, operator_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        rusqlite::params![
            chat_id,
            m.author,
            m.text,
            status,
            now,
            m.client_message_id,
            name,
            format,
            kind,
            size,
            m.operator_id
        ],
    )?;
    let id = tx.last_insert_rowid();
    if let Some((_, bytes)) = &m.media {
        tx.execute(
            "INSERT INTO media (message_id, data) VALUES (?1, ?2)",
            rusqlite::params![id, bytes],
        )?;
    }
    tx.execute(
        "UPDATE chats SET updated_at = ?1 WHERE id = ?2",
        rusqlite::params![now, chat_id],
    )?;
    load_message(tx, id)
}

/// The event that announces a new message: media messages have their own documented event.
pub fn receive_target(m: &Message) -> &'static str {
    if m.media.is_some() {
        "ReceiveMediaMessage"
    } else {
        "ReceiveMessage"
    }
}

/// Append an operator or system message for a principal. A repeated `clientMessageId` returns the
/// stored message and changes nothing. An operator's own message records who wrote it.
pub fn append_staff_message(
    tx: &mut Tx,
    who: &Principal,
    chat_id: i64,
    mut m: NewMessage,
) -> ApiResult<Message> {
    if m.author == AUTHOR_OPERATOR {
        m.operator_id = who.operator_id();
    }
    let chat = chats::visible_chat(tx, who, chat_id)?;
    if let Some(cid) = &m.client_message_id {
        let existing = tx
            .query_row(
                "SELECT id FROM messages WHERE chat_id = ?1 AND client_message_id = ?2",
                rusqlite::params![chat_id, cid],
                |r| r.get::<_, i64>(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return load_message(tx, id);
        }
    }
    let msg = insert_message(tx, chat.id, &m, STATUS_NEW)?;
    tx.emit(
        chat.company_id,
        chat.organization_id,
        receive_target(&msg),
        vec![to_value(&msg)],
    )?;
    if m.author == AUTHOR_OPERATOR {
        take_chat(tx, &chat, who)?;
    }
    Ok(msg)
}

/// An operator's reply assigns an unassigned chat to them and opens a new or waiting one.
fn take_chat(tx: &mut Tx, chat: &ChatRef, who: &Principal) -> ApiResult<()> {
    if let (None, Some(op)) = (chat.operator_id, who.operator_id()) {
        tx.execute(
            "UPDATE chats SET operator_id = ?1 WHERE id = ?2",
            rusqlite::params![op, chat.id],
        )?;
    }
    if chat.status == chats::STATUS_NEW || chat.status == chats::STATUS_WAITING {
        chats::set_status(tx, chat, chats::STATUS_OPEN)?;
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    pub items: Vec<Message>,
    pub has_more: bool,
}

/// History paging: `before` → newest older than it, `after` → oldest newer than it, neither →
/// newest; always ascending.
pub fn page(conn: &Connection, chat_id: i64, q: &PageQuery) -> ApiResult<Page> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if limit < 1 {
        return Err(ApiError::bad("limit must be at least 1"));
    }
    let limit = limit.min(MAX_LIMIT);
    let before = q.before.unwrap_or(i64::MAX);
    let (sql, newest_first) = match q.after {
        Some(_) => ("m.id > ?2 AND m.id < ?3 ORDER BY m.id ASC", false),
        None => ("m.id > ?2 AND m.id < ?3 ORDER BY m.id DESC", true),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLS} FROM messages m WHERE m.chat_id = ?1 AND {sql} LIMIT ?4"
    ))?;
    let mut items = stmt
        .query_map(
            rusqlite::params![chat_id, q.after.unwrap_or(0), before, limit + 1],
            message_from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let has_more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    if newest_first {
        items.reverse();
    }
    Ok(Page { items, has_more })
}

/// `GET /api/chat/chats/{id}/messages` and `GET /api/chat/{chatId}/messages`.
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    PathParam(chat_id): PathParam<i64>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Value>> {
    let page = state
        .store
        .read(move |c| {
            chats::visible_chat(c, &who, chat_id)?;
            page(c, chat_id, &q)
        })
        .await?;
    let compat = state.config.compat;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|m| compat.message(to_value(m)))
        .collect();
    Ok(Json(
        serde_json::json!({ "items": items, "hasMore": page.has_more }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct SendBody {
    #[serde(default, alias = "TextMessage", alias = "text", alias = "message")]
    #[serde(rename = "textMessage")]
    text_message: Option<String>,
    #[serde(default, alias = "Author", deserialize_with = "lenient_opt_i64")]
    author: Option<i64>,
    #[serde(default, alias = "Media")]
    media: Option<MediaUpload>,
    #[serde(default, alias = "ClientMessageId")]
    #[serde(rename = "clientMessageId")]
    client_message_id: Option<String>,
}

/// `POST /api/chat/{chatId}/message` → the stored message.
pub async fn send(
    State(state): State<AppState>,
    who: Principal,
    PathParam(chat_id): PathParam<i64>,
    JsonBody(mut body): JsonBody<SendBody>,
) -> ApiResult<Json<Value>> {
    let compat = state.config.compat;
    if compat.documented() {
        // The hosted API documents no idempotency key: every send is a new message.
        body.client_message_id = None;
    }
    // Customers write through the channel; here only operator (default) or system messages.
    let author = body.author.unwrap_or(AUTHOR_OPERATOR);
    if author != AUTHOR_OPERATOR && author != AUTHOR_SYSTEM {
        return Err(ApiError::bad("author must be 0 (operator) or 2 (system)"));
    }
    let m = NewMessage::new(
        body.text_message,
        author,
        body.media,
        body.client_message_id,
    )?;
    let msg = state
        .store
        .write(move |tx| append_staff_message(tx, &who, chat_id, m))
        .await?;
    Ok(Json(compat.message(to_value(&msg))))
}

/// `GET /api/chat/{chatId}/media/{messageId}`: the bytes of a media message.
pub async fn media(
    State(state): State<AppState>,
    who: Principal,
    PathParam((chat_id, message_id)): PathParam<(i64, i64)>,
) -> ApiResult<Response> {
    let (format, name, data) = state
        .store
        .read(move |c| {
            chats::visible_chat(c, &who, chat_id)?;
            c.query_row(
                "SELECT m.media_format, m.media_name, d.data FROM messages m JOIN media d ON d.message_id = m.id
                 WHERE m.id = ?1 AND m.chat_id = ?2",
                [message_id, chat_id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)),
            )
            .optional()?
            .ok_or(ApiError::NotFound("media"))
        })
        .await?;
    let format = if format.is_empty() {
        "application/octet-stream".to_string()
    } else {
        format
    };
    // The stored type is user input: never let it be rendered as a page of ours.
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(['"', '\\', '\r', '\n'], "_")
    );
    Ok((
        [
            (header::CONTENT_TYPE, format),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        data,
    )
        .into_response())
}

/// A hub argument or test value in the API's JSON shape (our types always serialize).
pub fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Mark the customer's messages up to `last` read: their status becomes 3 and the unread count drops.
pub fn mark_read(tx: &mut Tx, who: &Principal, chat_id: i64, last: i64) -> ApiResult<i64> {
    let chat = chats::visible_chat(tx, who, chat_id)?;
    let ids: Vec<i64> = {
        let mut stmt = tx.prepare_cached(
            "SELECT id FROM messages WHERE chat_id = ?1 AND author = ?2 AND id <= ?3 AND status < ?4 ORDER BY id",
        )?;
        let rows = stmt
            .query_map(
                rusqlite::params![chat_id, AUTHOR_CLIENT, last, STATUS_READ],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows
    };
    let before = chats::count_unread(tx, chat_id)?;
    tx.execute(
        "UPDATE chats SET read_upto = MAX(read_upto, MIN(?1, (SELECT COALESCE(MAX(id), 0) FROM messages WHERE chat_id = ?2)))
         WHERE id = ?2",
        rusqlite::params![last, chat_id],
    )?;
    for id in ids {
        tx.execute(
            "UPDATE messages SET status = ?1 WHERE id = ?2",
            rusqlite::params![STATUS_READ, id],
        )?;
        tx.emit(
            chat.company_id,
            chat.organization_id,
            "MessageStatusChanged",
            vec![Value::from(id), Value::from(STATUS_READ)],
        )?;
    }
    let after = chats::count_unread(tx, chat_id)?;
    if after != before {
        tx.emit(
            chat.company_id,
            chat.organization_id,
            "UnreadChanged",
            vec![Value::from(chat_id), Value::from(after)],
        )?;
    }
    Ok(after)
}

/// An operator (or the company) is typing in a chat: `Typing(chatId, author)` to its organization.
pub fn staff_typing(tx: &mut Tx, who: &Principal, chat_id: i64) -> ApiResult<()> {
    let chat = chats::visible_chat(tx, who, chat_id)?;
    let author = crate::operators::typing_author(tx, who)?;
    tx.emit(
        chat.company_id,
        chat.organization_id,
        "Typing",
        vec![Value::from(chat_id), author],
    )?;
    Ok(())
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Request bodies of any shape decode to a value or a 400, never a panic.
        #[test]
        fn send_bodies_never_panic(data in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(body) = crate::json::parse::<SendBody>(&data) {
                let _ = NewMessage::new(body.text_message, AUTHOR_OPERATOR, body.media, body.client_message_id);
            }
            let _ = crate::json::parse::<crate::channel::InboundBody>(&data);
            let _ = crate::json::parse::<crate::chats::StatusBody>(&data);
            let _ = crate::json::parse::<Vec<crate::operators::SyncItem>>(&data);
        }

        /// The text limit is in characters, not bytes, and holds for any text.
        #[test]
        fn text_limit(text in ".{0,5000}") {
            let n = text.chars().count();
            let r = NewMessage::new(Some(text.clone()), AUTHOR_OPERATOR, None, None);
            if n > MAX_TEXT_CHARS {
                prop_assert!(r.is_err());
            } else if !text.trim().is_empty() {
                prop_assert!(r.is_ok());
            }
        }

        /// Media data of any text is decoded or refused, never a panic.
        #[test]
        fn media_never_panics(name in ".{0,300}", data in ".{0,200}", kind in proptest::option::of(any::<i64>())) {
            let media = MediaUpload { name, format: String::new(), data_base64: data, kind };
            let _ = NewMessage::new(None, AUTHOR_OPERATOR, Some(media), None);
        }
    }
}
