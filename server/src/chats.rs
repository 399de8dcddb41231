//! Chats: the list with every documented filter, status changes and deletion. Every query is
//! scoped to the caller's company (and an operator's organization); others' ids are "not found".

use axum::extract::State;
use axum::routing::{self, get, put};
use axum::Json;
use axum::Router;
use chrono::{NaiveDate, TimeZone, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::json::{
    lenient_i64, query_int as int, query_text as text, JsonBody, PathParam, QueryPairs, QueryParams,
};
use crate::messages::{load_message, Message};
use crate::state::AppState;
use crate::store::{iso_millis, Tx};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/chat/chats", get(list))
        .route("/api/chat/chats/{id}", routing::delete(delete))
        .route("/api/chat/status", put(put_status))
}

pub const STATUS_NEW: i64 = 0;
pub const STATUS_OPEN: i64 = 1;
pub const STATUS_WAITING: i64 = 2;
pub const STATUS_CLOSED: i64 = 4;
const MAX_PER_PAGE: i64 = 100;

/// The facts about a chat that access checks and writes need.
#[derive(Debug, Clone)]
pub struct ChatRef {
    pub id: i64,
    pub organization_id: i64,
    pub company_id: i64,
    pub operator_id: Option<i64>,
    pub status: i64,
}

/// A chat the principal may see, or 404 (also for other tenants' chats, so ids do not leak).
pub fn visible_chat(conn: &Connection, who: &Principal, chat_id: i64) -> ApiResult<ChatRef> {
    conn.query_row(
        "SELECT c.id, c.organization_id, g.company_id, c.operator_id, c.status
         FROM chats c JOIN organizations g ON g.id = c.organization_id
         WHERE c.id = ?1 AND c.deleted = 0 AND g.company_id = ?2 AND (?3 IS NULL OR c.organization_id = ?3)",
        rusqlite::params![chat_id, who.company_id(), who.organization_id()],
        |r| {
            Ok(ChatRef {
                id: r.get(0)?,
                organization_id: r.get(1)?,
                company_id: r.get(2)?,
                operator_id: r.get(3)?,
                status: r.get(4)?,
            })
        },
    )
    .optional()?
    .ok_or(ApiError::NotFound("chat"))
}

#[derive(Debug, Clone, Serialize)]
pub struct OperatorRef {
    pub id: i64,
    pub name: String,
    pub photo: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatItem {
    pub id: i64,
    pub theme: String,
    pub operator: Option<OperatorRef>,
    pub chat_status: i64,
    pub count_unread: i64,
    pub source: i64,
    pub client: Client,
    pub last_message: Option<Message>,
    pub updated_at: String,
    pub organization_id: i64,
}

const ITEM_SELECT: &str = "SELECT c.id, c.theme, c.operator_id, op.name, op.photo, c.status,
    (SELECT COUNT(*) FROM messages m WHERE m.chat_id = c.id AND m.author = 1 AND m.id > c.read_upto),
    c.source, c.client_name, c.client_phone,
    (SELECT MAX(m.id) FROM messages m WHERE m.chat_id = c.id),
    c.updated_at, c.organization_id
    FROM chats c JOIN organizations g ON g.id = c.organization_id
    LEFT JOIN operators op ON op.id = c.operator_id";

fn items(conn: &Connection, sql: &str, params: Vec<SqlValue>) -> ApiResult<Vec<ChatItem>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params), |r| {
            let operator = match r.get::<_, Option<i64>>(2)? {
                Some(id) => Some(OperatorRef {
                    id,
                    name: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    photo: r.get(4)?,
                }),
                None => None,
            };
            Ok((
                ChatItem {
                    id: r.get(0)?,
                    theme: r.get(1)?,
                    operator,
                    chat_status: r.get(5)?,
                    count_unread: r.get(6)?,
                    source: r.get(7)?,
                    client: Client {
                        name: r.get(8)?,
                        phone: r.get(9)?,
                    },
                    last_message: None,
                    updated_at: iso_millis(r.get(11)?),
                    organization_id: r.get(12)?,
                },
                r.get::<_, Option<i64>>(10)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(mut item, last)| {
            if let Some(id) = last {
                item.last_message = Some(load_message(conn, id)?);
            }
            Ok(item)
        })
        .collect()
}

/// One chat as a list item (for `ChatCreated`).
pub fn chat_item(conn: &Connection, chat_id: i64) -> ApiResult<ChatItem> {
    items(
        conn,
        &format!("{ITEM_SELECT} WHERE c.id = ?1"),
        vec![SqlValue::Integer(chat_id)],
    )?
    .pop()
    .ok_or(ApiError::NotFound("chat"))
}

pub fn count_unread(conn: &Connection, chat_id: i64) -> ApiResult<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM messages m JOIN chats c ON c.id = m.chat_id
         WHERE m.chat_id = ?1 AND m.author = 1 AND m.id > c.read_upto",
        [chat_id],
        |r| r.get(0),
    )?)
}

/// Change a chat's status and tell the hub, if it changed.
pub fn set_status(tx: &mut Tx, chat: &ChatRef, status: i64) -> ApiResult<()> {
    if chat.status == status {
        return Ok(());
    }
    tx.execute(
        "UPDATE chats SET status = ?1 WHERE id = ?2",
        rusqlite::params![status, chat.id],
    )?;
    tx.emit(
        chat.company_id,
        chat.organization_id,
        "ChatStatusChanged",
        vec![Value::from(chat.id), Value::from(status)],
    )?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct ChatList {
    pub total: i64,
    pub items: Vec<ChatItem>,
}

/// `date` is a day (`2026-11-21`) or a date-time; the range covers whole days.
fn day_bounds(s: &str) -> ApiResult<(i64, i64)> {
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| crate::auth::parse_instant(s).map(|t| t.date_naive()))
        .ok_or_else(|| ApiError::bad("date must be YYYY-MM-DD"))?;
    let start = day.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    let start = start
        .ok_or_else(|| ApiError::bad("date out of range"))?
        .timestamp_millis();
    Ok((start, start + 24 * 3600 * 1000))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `GET /api/chat/chats`.
pub async fn list(
    State(state): State<AppState>,
    who: Principal,
    QueryParams(q): QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = int(&q, "page")?.unwrap_or(1);
    let per_page = int(&q, "per_page")?.or(int(&q, "perPage")?).unwrap_or(20);
    if page < 1 || per_page < 1 {
        return Err(ApiError::bad("page and per_page must be at least 1"));
    }
    let per_page = per_page.min(MAX_PER_PAGE);

    let mut filter = String::from(" WHERE c.deleted = 0 AND g.company_id = ?");
    let mut params = vec![SqlValue::Integer(who.company_id())];
    let mut add = |sql: &str, vals: Vec<SqlValue>| {
        filter.push_str(sql);
        params.extend(vals);
    };
    if let Some(org) = who.organization_id() {
        add(" AND c.organization_id = ?", vec![org.into()]);
    }
    let org_filter = int(&q, "organizationId")?;
    if let Some(org) = org_filter {
        add(" AND c.organization_id = ?", vec![org.into()]);
    }
    // The documented search fields are name and phone; a channel-made theme is the first message's
    // text, so matching it would rank chats by what customers wrote.
    if let Some(s) = text(&q, "search") {
        let like = format!("%{}%", escape_like(s));
        add(
            " AND (c.client_name LIKE ? ESCAPE '\\' OR c.client_phone LIKE ? ESCAPE '\\')",
            vec![like.clone().into(), like.into()],
        );
    }
    for (key, col) in [
        ("source", "c.source"),
        ("status", "c.status"),
        ("operatorId", "c.operator_id"),
        ("tg_user_id", "c.tg_user_id"),
    ] {
        if let Some(v) = int(&q, key)? {
            add(&format!(" AND {col} = ?"), vec![v.into()]);
        }
    }
    if let Some(p) = text(&q, "phone") {
        add(" AND c.client_phone = ?", vec![p.to_string().into()]);
    }
    let dates: Vec<&str> = q
        .iter()
        .filter(|(k, v)| k.eq_ignore_ascii_case("date") && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
        .collect();
    if !dates.is_empty() {
        let bounds = dates
            .iter()
            .map(|d| day_bounds(d))
            .collect::<ApiResult<Vec<_>>>()?;
        let from = bounds.iter().map(|b| b.0).min().unwrap_or(0);
        let to = bounds.iter().map(|b| b.1).max().unwrap_or(i64::MAX);
        add(
            " AND c.created_at >= ? AND c.created_at < ?",
            vec![from.into(), to.into()],
        );
    }

    let out = state
        .store
        .read(move |c| {
            if let Some(org) = org_filter {
                crate::organizations::visible_org(c, &who, org)?;
            }
            let total: i64 = c.query_row(
                &format!("SELECT COUNT(*) FROM chats c JOIN organizations g ON g.id = c.organization_id{filter}"),
                rusqlite::params_from_iter(params.iter()),
                |r| r.get(0),
            )?;
            let mut p = params.clone();
            p.push(per_page.into());
            p.push(((page - 1).saturating_mul(per_page)).into());
            let items = items(
                c,
                &format!("{ITEM_SELECT}{filter} ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?"),
                p,
            )?;
            Ok(ChatList { total, items })
        })
        .await?;
    let compat = state.config.compat;
    let items: Vec<Value> = out
        .items
        .iter()
        .map(|i| compat.chat(crate::messages::to_value(i)))
        .collect();
    Ok(Json(
        serde_json::json!({ "total": out.total, "items": items }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct StatusBody {
    #[serde(alias = "Id", alias = "chatId", deserialize_with = "lenient_i64")]
    id: i64,
    #[serde(
        alias = "Status",
        alias = "chatStatus",
        deserialize_with = "lenient_i64"
    )]
    status: i64,
}

/// `PUT /api/chat/status` → 200, empty body.
pub async fn put_status(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<StatusBody>,
) -> ApiResult<()> {
    if !(0..=4).contains(&body.status) {
        return Err(ApiError::bad("status must be 0..4"));
    }
    state
        .store
        .write(move |tx| {
            let chat = visible_chat(tx, &who, body.id)?;
            set_status(tx, &chat, body.status)
        })
        .await
}

/// `DELETE /api/chat/chats/{id}` → 200. Soft delete: ids are never reused and history stays on disk.
pub async fn delete(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
) -> ApiResult<()> {
    state
        .store
        .write(move |tx| {
            let chat = visible_chat(tx, &who, id)?;
            tx.execute("UPDATE chats SET deleted = 1 WHERE id = ?1", [chat.id])?;
            tx.emit(
                chat.company_id,
                chat.organization_id,
                "ChatDeleted",
                vec![Value::from(chat.id)],
            )?;
            Ok(())
        })
        .await
}
