//! The channel simulator: customers write in through `inbound` and read operators' replies through
//! `outbound`, both with the company token, standing in for Viber/Telegram/... gateways.

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Json;
use axum::Router;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::{CompanyAuth, Principal};
use crate::chats::{self, chat_item, count_unread, visible_chat};
use crate::error::{ApiError, ApiResult};
use crate::json::{lenient_i64, lenient_opt_i64, JsonBody, QueryParams};
use crate::messages::{
    insert_message, message_from_row, receive_target, to_value, MediaUpload, Message, NewMessage,
    AUTHOR_CLIENT, MEDIA_BODY_LIMIT, MESSAGE_COLS, STATUS_NEW, STATUS_SUCCESS,
};
use crate::organizations::visible_org;
use crate::state::AppState;
use crate::store::now_millis;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/channel/inbound",
            post(inbound).layer(DefaultBodyLimit::max(MEDIA_BODY_LIMIT)),
        )
        .route("/api/channel/outbound", get(outbound))
        .route("/api/channel/typing", post(typing))
}

const THEME_CHARS: usize = 80;
const NAME_CHARS: usize = 100;
const OUTBOUND_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
pub struct InboundClient {
    #[serde(default, alias = "Name")]
    name: String,
    #[serde(default, alias = "Phone")]
    phone: String,
    #[serde(
        default,
        alias = "tg_user_id",
        alias = "TgUserId",
        deserialize_with = "lenient_opt_i64"
    )]
    #[serde(rename = "tgUserId")]
    tg_user_id: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct InboundBody {
    #[serde(alias = "OrganizationId", deserialize_with = "lenient_i64")]
    #[serde(rename = "organizationId")]
    organization_id: i64,
    #[serde(default, alias = "Source", deserialize_with = "lenient_opt_i64")]
    source: Option<i64>,
    #[serde(alias = "Client")]
    client: InboundClient,
    #[serde(default, alias = "Text", alias = "textMessage", alias = "message")]
    text: Option<String>,
    #[serde(default, alias = "Media")]
    media: Option<MediaUpload>,
    #[serde(default, alias = "Theme")]
    theme: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundResult {
    pub chat_id: i64,
    pub message: Message,
}

/// `POST /api/channel/inbound` (company): opens a chat for a new client (by organization and phone),
/// appends otherwise; reopens a closed chat. Emits ChatCreated, ReceiveMessage and UnreadChanged.
pub async fn inbound(
    State(state): State<AppState>,
    CompanyAuth(company_id): CompanyAuth,
    JsonBody(body): JsonBody<InboundBody>,
) -> ApiResult<Json<InboundResult>> {
    let phone = body.client.phone.trim().to_string();
    if phone.is_empty() || phone.chars().count() > 32 {
        return Err(ApiError::bad("client.phone must be 1 to 32 characters"));
    }
    // The name is only for display: a gateway's odd name must never cost the customer's message.
    let (name, cleaned) = display_name(&body.client.name);
    if cleaned {
        tracing::warn!(
            organization_id = body.organization_id,
            chars = body.client.name.chars().count(),
            "client.name had control characters or more than {NAME_CHARS} characters: stored cleaned"
        );
    }
    let source = body.source.unwrap_or(0);
    if !(0..=100).contains(&source) {
        return Err(ApiError::bad("source is out of range"));
    }
    let theme = body.theme.clone();
    let tg_user_id = body.client.tg_user_id;
    let org_id = body.organization_id;
    let m = NewMessage::new(body.text, AUTHOR_CLIENT, body.media, None)?;
    let who = Principal::Company { company_id };
    let out = state
        .store
        .write(move |tx| {
            visible_org(tx, &who, org_id)?;
            let existing = client_chat(tx, org_id, &phone)?;
            let (chat_id, created) = match existing {
                Some(id) => {
                    let chat = visible_chat(tx, &who, id)?;
                    if chat.status == chats::STATUS_CLOSED {
                        chats::set_status(tx, &chat, chats::STATUS_NEW)?;
                    }
                    (id, false)
                }
                None => {
                    let theme = chat_theme(theme.as_deref(), &m.text, &name, &phone);
                    let now = now_millis();
                    tx.execute(
                        "INSERT INTO chats (organization_id, theme, status, source, client_name, client_phone,
                                            tg_user_id, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                        rusqlite::params![org_id, theme, chats::STATUS_NEW, source, name, phone, tg_user_id, now],
                    )?;
                    (tx.last_insert_rowid(), true)
                }
            };
            let msg = insert_message(tx, chat_id, &m, STATUS_NEW)?;
            if created {
                let item = chat_item(tx, chat_id)?;
                tx.emit(
                    company_id,
                    org_id,
                    "ChatCreated",
                    vec![to_value(&item)],
                )?;
            }
            tx.emit(
                company_id,
                org_id,
                receive_target(&msg),
                vec![to_value(&msg)],
            )?;
            let unread = count_unread(tx, chat_id)?;
            tx.emit(
                company_id,
                org_id,
                "UnreadChanged",
                vec![Value::from(chat_id), Value::from(unread)],
            )?;
            Ok(InboundResult { chat_id, message: msg })
        })
        .await?;
    Ok(Json(out))
}

/// The client's name without control characters, trimmed, at most [`NAME_CHARS`] characters (a
/// char boundary by construction); `true` when that changed more than surrounding whitespace.
fn display_name(raw: &str) -> (String, bool) {
    let stripped: String = raw.chars().filter(|c| !c.is_control()).collect();
    let trimmed = stripped.trim();
    let name: String = trimmed.chars().take(NAME_CHARS).collect();
    let cleaned = stripped.len() != raw.len() || name.len() != trimmed.len();
    (name.trim_end().to_string(), cleaned)
}

/// A new chat's theme, the one label the documented chat list has: the channel's theme, else the
/// first message's text, else (a media-only first message) the client's name, else the phone.
fn chat_theme(given: Option<&str>, text: &str, name: &str, phone: &str) -> String {
    [given.unwrap_or(""), text, name, phone]
        .iter()
        .map(|t| t.trim())
        .find(|t| !t.is_empty())
        .unwrap_or_default()
        .chars()
        .take(THEME_CHARS)
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct OutboundQuery {
    #[serde(rename = "organizationId")]
    organization_id: i64,
    phone: String,
    #[serde(default)]
    after: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundResult {
    pub chat_id: Option<i64>,
    pub items: Vec<Message>,
}

/// `GET /api/channel/outbound?organizationId=1&phone=...&after=<id>` (company): operator and system
/// messages for that customer newer than `after`, ascending. Picking them up counts as delivery:
/// new ones become status 1 (Success) with a MessageStatusChanged event.
pub async fn outbound(
    State(state): State<AppState>,
    CompanyAuth(company_id): CompanyAuth,
    QueryParams(q): QueryParams<OutboundQuery>,
) -> ApiResult<Json<OutboundResult>> {
    let who = Principal::Company { company_id };
    let out = state
        .store
        .write(move |tx| {
            visible_org(tx, &who, q.organization_id)?;
            let Some(chat_id) = client_chat(tx, q.organization_id, q.phone.trim())? else {
                return Ok(OutboundResult { chat_id: None, items: Vec::new() });
            };
            let mut items = {
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {MESSAGE_COLS} FROM messages m WHERE m.chat_id = ?1 AND m.author IN (0, 2) AND m.id > ?2
                     ORDER BY m.id LIMIT ?3"
                ))?;
                let rows = stmt
                    .query_map(rusqlite::params![chat_id, q.after, OUTBOUND_LIMIT], message_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                rows
            };
            let chat = visible_chat(tx, &who, chat_id)?;
            for m in items.iter_mut().filter(|m| m.status == STATUS_NEW) {
                tx.execute(
                    "UPDATE messages SET status = ?1 WHERE id = ?2",
                    rusqlite::params![STATUS_SUCCESS, m.id],
                )?;
                m.status = STATUS_SUCCESS;
                tx.emit(
                    chat.company_id,
                    chat.organization_id,
                    "MessageStatusChanged",
                    vec![Value::from(m.id), Value::from(STATUS_SUCCESS)],
                )?;
            }
            Ok(OutboundResult { chat_id: Some(chat_id), items })
        })
        .await?;
    Ok(Json(out))
}

/// The customer's current chat in an organization, found by phone.
fn client_chat(
    conn: &rusqlite::Connection,
    organization_id: i64,
    phone: &str,
) -> ApiResult<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM chats WHERE organization_id = ?1 AND client_phone = ?2 AND deleted = 0
             ORDER BY id DESC LIMIT 1",
            rusqlite::params![organization_id, phone],
            |r| r.get::<_, i64>(0),
        )
        .optional()?)
}

#[derive(Debug, Deserialize)]
pub struct TypingBody {
    #[serde(alias = "OrganizationId", deserialize_with = "lenient_i64")]
    #[serde(rename = "organizationId")]
    organization_id: i64,
    #[serde(alias = "Phone")]
    phone: String,
}

/// `POST /api/channel/typing` (company) [ours]: the customer is typing in their chat. Emits
/// `Typing(chatId, {"author": 1, "client": {name, phone}})`. It gets an event id like every event, but a
/// replay (Resume or a lagged catch-up) skips it, as typing is stale by then (`store::events_after`),
/// and the log keeps only the newest (`Tx::emit`).
pub async fn typing(
    State(state): State<AppState>,
    CompanyAuth(company_id): CompanyAuth,
    JsonBody(body): JsonBody<TypingBody>,
) -> ApiResult<Json<Value>> {
    let who = Principal::Company { company_id };
    state
        .store
        .write(move |tx| {
            visible_org(tx, &who, body.organization_id)?;
            let chat_id = client_chat(tx, body.organization_id, body.phone.trim())?
                .ok_or(ApiError::NotFound("chat"))?;
            let chat = visible_chat(tx, &who, chat_id)?;
            let (name, phone): (String, String) = tx.query_row(
                "SELECT client_name, client_phone FROM chats WHERE id = ?1",
                [chat_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let client = serde_json::json!({ "author": AUTHOR_CLIENT, "client": { "name": name, "phone": phone } });
            tx.emit(
                chat.company_id,
                chat.organization_id,
                "Typing",
                vec![Value::from(chat_id), client],
            )?;
            Ok(serde_json::json!({ "chatId": chat_id }))
        })
        .await
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_not_refused() {
        assert_eq!(display_name("  Ann  "), ("Ann".to_string(), false));
        assert_eq!(display_name("A\u{0}n\nn\u{7f}"), ("Ann".to_string(), true));
        let long = "ї".repeat(150);
        let (name, cleaned) = display_name(&long);
        assert!(cleaned);
        assert_eq!(name, "ї".repeat(100));
        assert_eq!(display_name(&"a".repeat(100)), ("a".repeat(100), false));
    }

    #[test]
    fn themes_are_never_empty() {
        assert_eq!(chat_theme(Some("Order"), "hi", "Ann", "+1"), "Order");
        assert_eq!(chat_theme(Some(" "), " hi ", "Ann", "+1"), "hi");
        assert_eq!(chat_theme(None, "", "Ann", "+1"), "Ann");
        assert_eq!(chat_theme(None, "", "", "+1"), "+1");
        assert_eq!(
            chat_theme(None, &"x".repeat(200), "", "+1").len(),
            THEME_CHARS
        );
    }
}
