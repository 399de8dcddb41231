//! Operators: list, synchronize (create missing by name), status, and who is typing.

use axum::extract::State;
use axum::routing::{get, post};
use axum::Json;
use axum::Router;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::{CompanyAuth, Principal};
use crate::error::{ApiError, ApiResult};
use crate::json::{lenient_i64, query_int, JsonBody, QueryPairs, QueryParams};
use crate::messages::AUTHOR_OPERATOR;
use crate::organizations::{visible_org, Organization};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/operator", get(list))
        .route("/api/operator/synchronize", post(synchronize))
        .route("/api/operator/status", post(set_status))
}

pub const ACTIVE: i64 = 0;
pub const DELETED: i64 = 2;
const MAX_SYNC: usize = 1000;

#[derive(Debug, Clone, Serialize)]
pub struct Operator {
    pub id: i64,
    pub name: String,
    pub status: i64,
    pub organization: Organization,
}

fn load(conn: &Connection, company_id: i64, org: Option<i64>) -> ApiResult<Vec<Operator>> {
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.name, o.status, g.id, g.name FROM operators o
         JOIN organizations g ON g.id = o.organization_id
         WHERE g.company_id = ?1 AND (?2 IS NULL OR g.id = ?2) ORDER BY o.id",
    )?;
    let rows = stmt
        .query_map(rusqlite::params![company_id, org], |r| {
            Ok(Operator {
                id: r.get(0)?,
                name: r.get(1)?,
                status: r.get(2)?,
                organization: Organization {
                    id: r.get(3)?,
                    name: r.get(4)?,
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// `GET /api/operator?organizationId=6` (company); without `organizationId`, all of the company's.
pub async fn list(
    State(state): State<AppState>,
    CompanyAuth(company_id): CompanyAuth,
    QueryParams(q): QueryPairs,
) -> ApiResult<Json<Vec<Operator>>> {
    let org = query_int(&q, "organizationId")?;
    let who = Principal::Company { company_id };
    let ops = state
        .store
        .read(move |c| {
            if let Some(org) = org {
                visible_org(c, &who, org)?;
            }
            load(c, company_id, org)
        })
        .await?;
    Ok(Json(ops))
}

#[derive(Debug, Deserialize)]
pub struct SyncItem {
    #[serde(
        alias = "OrganizationId",
        alias = "organization_id",
        deserialize_with = "lenient_i64"
    )]
    #[serde(rename = "organizationId")]
    organization_id: i64,
    #[serde(alias = "Name")]
    name: String,
}

#[derive(Debug, Serialize)]
pub struct Synced {
    pub id: i64,
    pub name: String,
    pub status: i64,
}

/// `POST /api/operator/synchronize` (company): creates the listed operators that do not exist yet
/// (by organization and name) and returns every listed one, so a repeat creates nothing.
pub async fn synchronize(
    State(state): State<AppState>,
    CompanyAuth(company_id): CompanyAuth,
    JsonBody(body): JsonBody<Vec<SyncItem>>,
) -> ApiResult<Json<Vec<Synced>>> {
    if body.len() > MAX_SYNC {
        return Err(ApiError::bad(format!(
            "at most {MAX_SYNC} operators per call"
        )));
    }
    for item in &body {
        let n = item.name.trim().chars().count();
        if n == 0 || n > 100 {
            return Err(ApiError::bad("operator name must be 1 to 100 characters"));
        }
    }
    let who = Principal::Company { company_id };
    let out = state
        .store
        .write(move |tx| {
            let mut out = Vec::with_capacity(body.len());
            for item in body {
                visible_org(tx, &who, item.organization_id)?;
                let name = item.name.trim().to_string();
                let existing = tx
                    .query_row(
                        "SELECT id, status FROM operators WHERE organization_id = ?1 AND name = ?2 AND status != ?3
                         ORDER BY id LIMIT 1",
                        rusqlite::params![item.organization_id, name, DELETED],
                        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                    )
                    .optional()?;
                let (id, status) = match existing {
                    Some(found) => found,
                    None => {
                        tx.execute(
                            "INSERT INTO operators (organization_id, name, status) VALUES (?1, ?2, ?3)",
                            rusqlite::params![item.organization_id, name, ACTIVE],
                        )?;
                        (tx.last_insert_rowid(), ACTIVE)
                    }
                };
                out.push(Synced { id, name, status });
            }
            Ok(out)
        })
        .await?;
    Ok(Json(out))
}

#[derive(Debug, Deserialize)]
pub struct StatusBody {
    #[serde(alias = "Id", alias = "operatorId", deserialize_with = "lenient_i64")]
    id: i64,
    #[serde(alias = "Status", deserialize_with = "lenient_i64")]
    status: i64,
}

/// `POST /api/operator/status` (company) → 200, empty body.
pub async fn set_status(
    State(state): State<AppState>,
    CompanyAuth(company_id): CompanyAuth,
    JsonBody(body): JsonBody<StatusBody>,
) -> ApiResult<()> {
    if !(0..=2).contains(&body.status) {
        return Err(ApiError::bad(
            "status must be 0 (Active), 1 (Inactive) or 2 (Deleted)",
        ));
    }
    let revoked = body.status != 0;
    state
        .store
        .write(move |tx| {
            let n = tx.execute(
                "UPDATE operators SET status = ?1 WHERE id = ?2
                 AND organization_id IN (SELECT id FROM organizations WHERE company_id = ?3)",
                rusqlite::params![body.status, body.id, company_id],
            )?;
            if n == 0 {
                return Err(ApiError::NotFound("operator"));
            }
            Ok(())
        })
        .await?;
    if revoked {
        state.hub.operator_revoked();
    }
    Ok(())
}

/// Who is typing, as the `Typing` event's second argument: an operator (by name) or the company.
pub fn typing_author(conn: &Connection, who: &Principal) -> ApiResult<Value> {
    match who.operator_id() {
        None => Ok(json!({ "author": AUTHOR_OPERATOR, "operator": null })),
        Some(id) => {
            let name: String =
                conn.query_row("SELECT name FROM operators WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            Ok(json!({ "author": AUTHOR_OPERATOR, "operator": { "id": id, "name": name } }))
        }
    }
}
