//! Organizations of a company.

use axum::extract::State;
use axum::routing::get;
use axum::Json;
use axum::Router;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::auth::{CompanyAuth, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/company/organization", get(list))
}

#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub id: i64,
    pub name: String,
}

/// An organization the principal may see, or 404.
pub fn visible_org(conn: &Connection, who: &Principal, org_id: i64) -> ApiResult<Organization> {
    conn.query_row(
        "SELECT id, name FROM organizations WHERE id = ?1 AND company_id = ?2 AND (?3 IS NULL OR id = ?3)",
        rusqlite::params![org_id, who.company_id(), who.organization_id()],
        |r| Ok(Organization { id: r.get(0)?, name: r.get(1)? }),
    )
    .optional()?
    .ok_or(ApiError::NotFound("organization"))
}

/// `GET /api/company/organization` (company).
pub async fn list(
    State(state): State<AppState>,
    CompanyAuth(company_id): CompanyAuth,
) -> ApiResult<Json<Vec<Organization>>> {
    let orgs = state
        .store
        .read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, name FROM organizations WHERE company_id = ?1 ORDER BY id",
            )?;
            let rows = stmt
                .query_map([company_id], |r| {
                    Ok(Organization {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    Ok(Json(orgs))
}
