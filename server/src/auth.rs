//! Tokens and the auth endpoints: company login, operator tokens (at most 24 h), validation, the
//! dev token. Tokens are HS256 JWTs whose claims say the kind, company, organization and operator.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::Json;
use axum::Router;
use chrono::{DateTime, NaiveDateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::json::{lenient_i64, JsonBody};
use crate::state::AppState;
use crate::store::iso_millis;

/// The token endpoints: company and operator tokens, validation, and the `--dev` token.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/company/get-token", post(company_get_token))
        .route("/api/operator/get-token", post(operator_get_token))
        .route("/api/operator/validate-token", post(validate_token))
        .route("/api/chathub/token", get(dev_token))
}

/// The `--dev` literal token that stands for operator 1.
pub const DEV_TOKEN: &str = "test-token-for-development";
pub const MAX_OPERATOR_TOKEN_SECS: i64 = 24 * 3600;
/// Slack for the time a request spends in flight when a client asks for exactly 24 h.
const CLOCK_SLACK_SECS: i64 = 60;
const COMPANY_TOKEN_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Company,
    Operator,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub kind: TokenKind,
    /// Company id.
    pub cid: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<i64>,
    pub iat: i64,
    pub exp: i64,
}

pub struct Jwt {
    enc: EncodingKey,
    dec: DecodingKey,
    validation: Validation,
}

impl Jwt {
    pub fn new(secret: &[u8]) -> Jwt {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is exact: the 24 h rule and expiry tests must not depend on a minute of leeway.
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        Jwt {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn sign(&self, claims: &Claims) -> ApiResult<String> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.enc)
            .map_err(|e| ApiError::Internal(format!("jwt encode: {e}")))
    }

    pub fn verify(&self, token: &str) -> ApiResult<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.dec, &self.validation).map_err(
            |e| match e.kind() {
                ErrorKind::ExpiredSignature => ApiError::TokenExpired,
                _ => ApiError::InvalidToken,
            },
        )?;
        let c = data.claims;
        let ok = match c.kind {
            TokenKind::Company => c.org.is_none() && c.op.is_none(),
            TokenKind::Operator => {
                c.org.is_some()
                    && c.op.is_some()
                    && c.exp.saturating_sub(c.iat) <= MAX_OPERATOR_TOKEN_SECS + CLOCK_SLACK_SECS
            }
        };
        if !ok {
            return Err(ApiError::InvalidToken);
        }
        Ok(c)
    }

    pub fn company_token(&self, company_id: i64) -> ApiResult<String> {
        let now = Utc::now().timestamp();
        self.sign(&Claims {
            sub: format!("company:{company_id}"),
            kind: TokenKind::Company,
            cid: company_id,
            org: None,
            op: None,
            iat: now,
            exp: now + COMPANY_TOKEN_SECS,
        })
    }

    pub fn operator_token(&self, op: &OperatorIdentity, exp: i64) -> ApiResult<String> {
        self.sign(&Claims {
            sub: format!("operator:{}", op.operator_id),
            kind: TokenKind::Operator,
            cid: op.company_id,
            org: Some(op.organization_id),
            op: Some(op.operator_id),
            iat: Utc::now().timestamp(),
            exp,
        })
    }
}

/// Who is calling, after the token was checked against the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Company { company_id: i64 },
    Operator(OperatorIdentity),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorIdentity {
    pub company_id: i64,
    pub organization_id: i64,
    pub operator_id: i64,
}

impl Principal {
    pub fn company_id(&self) -> i64 {
        match self {
            Principal::Company { company_id } => *company_id,
            Principal::Operator(o) => o.company_id,
        }
    }

    /// The organization an operator is bound to; `None` for a company (it sees all of its own).
    pub fn organization_id(&self) -> Option<i64> {
        match self {
            Principal::Company { .. } => None,
            Principal::Operator(o) => Some(o.organization_id),
        }
    }

    pub fn operator_id(&self) -> Option<i64> {
        match self {
            Principal::Company { .. } => None,
            Principal::Operator(o) => Some(o.operator_id),
        }
    }

    /// The rate limiter's key for hub invocations: every connection of one principal shares it.
    pub fn hub_rate_key(&self) -> String {
        match self {
            Principal::Company { company_id } => format!("hub company {company_id}"),
            Principal::Operator(o) => format!("hub operator {}", o.operator_id),
        }
    }
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let h = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = h.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller's token: the bearer header, else the `access_token` query.
pub fn request_token(parts: &Parts) -> Option<String> {
    bearer(parts)
        .map(str::to_string)
        .or_else(|| query_token(parts))
}

/// The `access_token` query parameter (browsers cannot set headers on a WebSocket).
pub fn query_token(parts: &Parts) -> Option<String> {
    let q = parts.uri.query()?;
    url_query(q, "access_token")
}

pub fn url_query(q: &str, key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Check a token and load who it stands for.
pub async fn authenticate(state: &AppState, token: &str) -> ApiResult<Principal> {
    if state.config.dev && token == DEV_TOKEN {
        return operator_identity(state, 1)
            .await?
            .map(Principal::Operator)
            .ok_or(ApiError::InvalidToken);
    }
    let claims = state.jwt.verify(token)?;
    principal(state, &claims).await
}

/// Who a verified token names, checked against the store: the company exists; the operator exists,
/// is active and is still in the token's organization and company.
async fn principal(state: &AppState, claims: &Claims) -> ApiResult<Principal> {
    match claims.kind {
        TokenKind::Company => {
            let cid = claims.cid;
            let exists = state
                .store
                .read(move |c| {
                    Ok(
                        c.query_row("SELECT 1 FROM companies WHERE id = ?1", [cid], |_| Ok(()))
                            .optional()?
                            .is_some(),
                    )
                })
                .await?;
            if !exists {
                return Err(ApiError::InvalidToken);
            }
            Ok(Principal::Company { company_id: cid })
        }
        TokenKind::Operator => {
            let op_id = claims.op.ok_or(ApiError::InvalidToken)?;
            let Some(ident) = operator_identity(state, op_id).await? else {
                return Err(ApiError::InvalidToken);
            };
            if Some(ident.organization_id) != claims.org || ident.company_id != claims.cid {
                return Err(ApiError::InvalidToken);
            }
            Ok(Principal::Operator(ident))
        }
    }
}

/// An operator that may act (status Active), with its organization and company.
pub(crate) async fn operator_identity(
    state: &AppState,
    operator_id: i64,
) -> ApiResult<Option<OperatorIdentity>> {
    let row = state
        .store
        .read(move |c| {
            Ok(c.query_row(
                "SELECT o.organization_id, g.company_id, o.status FROM operators o
                 JOIN organizations g ON g.id = o.organization_id WHERE o.id = ?1",
                [operator_id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()?)
        })
        .await?;
    match row {
        None => Ok(None),
        Some((_, _, 2)) => Ok(None),
        Some((_, _, 1)) => Err(ApiError::Forbidden("operator is inactive".into())),
        Some((organization_id, company_id, _)) => Ok(Some(OperatorIdentity {
            company_id,
            organization_id,
            operator_id,
        })),
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let token = bearer(parts).ok_or(ApiError::MissingToken)?.to_string();
        authenticate(state, &token).await
    }
}

/// A caller holding a company token.
pub struct CompanyAuth(pub i64);

impl FromRequestParts<AppState> for CompanyAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::Company { company_id } => Ok(CompanyAuth(company_id)),
            Principal::Operator(_) => Err(ApiError::WrongTokenKind("company")),
        }
    }
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hash: {e}"))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Argon2id with a light cost: this server holds demo and test companies, and debug-build tests
/// log in many times.
fn argon2() -> Argon2<'static> {
    let params = argon2::Params::new(4096, 1, 1, None).unwrap_or_default();
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

#[derive(Deserialize)]
pub struct LoginBody {
    #[serde(alias = "Login")]
    login: String,
    #[serde(alias = "Password")]
    password: String,
}

/// `POST /api/company/get-token` → the company JWT as a JSON string.
pub async fn company_get_token(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<LoginBody>,
) -> ApiResult<Json<String>> {
    let login = body.login;
    let row = state
        .store
        .read(move |c| {
            Ok(c.query_row(
                "SELECT id, password_hash FROM companies WHERE login = ?1",
                [login],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()?)
        })
        .await?;
    let password = body.password;
    let Some((id, hash)) = row else {
        return Err(ApiError::InvalidCredentials);
    };
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    if !ok {
        return Err(ApiError::InvalidCredentials);
    }
    Ok(Json(state.jwt.company_token(id)?))
}

#[derive(Deserialize)]
pub struct OperatorTokenBody {
    #[serde(alias = "Id", alias = "operatorId", deserialize_with = "lenient_i64")]
    id: i64,
    #[serde(default, alias = "ExpiresAt")]
    #[serde(rename = "expiresAt")]
    expires_at: Option<String>,
}

/// Parse an instant leniently: RFC 3339, or a naive date-time taken as UTC.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .map(|n| n.and_utc())
}

/// `POST /api/operator/get-token` (company) → the operator JWT as a JSON string.
pub async fn operator_get_token(
    State(state): State<AppState>,
    CompanyAuth(company_id): CompanyAuth,
    JsonBody(body): JsonBody<OperatorTokenBody>,
) -> ApiResult<Json<String>> {
    let now = Utc::now().timestamp();
    let exp = match &body.expires_at {
        // Without an expiry the longest allowed lifetime is meant.
        None => now + MAX_OPERATOR_TOKEN_SECS,
        Some(s) => parse_instant(s)
            .ok_or_else(|| ApiError::bad("expiresAt is not an ISO-8601 date-time"))?
            .timestamp(),
    };
    if exp <= now {
        return Err(ApiError::bad("expiresAt is in the past"));
    }
    if exp > now + MAX_OPERATOR_TOKEN_SECS + CLOCK_SLACK_SECS {
        return Err(ApiError::bad("expiresAt is more than 24 hours ahead"));
    }
    let op_id = body.id;
    let row = state
        .store
        .read(move |c| {
            Ok(c.query_row(
                "SELECT o.organization_id, o.status FROM operators o
                 JOIN organizations g ON g.id = o.organization_id WHERE o.id = ?1 AND g.company_id = ?2",
                [op_id, company_id],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()?)
        })
        .await?;
    let (organization_id, status) = row.ok_or(ApiError::NotFound("operator"))?;
    if status != 0 {
        return Err(ApiError::bad("operator is not active"));
    }
    let ident = OperatorIdentity {
        company_id,
        organization_id,
        operator_id: op_id,
    };
    Ok(Json(state.jwt.operator_token(&ident, exp)?))
}

#[derive(Deserialize)]
pub struct ValidateBody {
    #[serde(alias = "Token")]
    token: String,
}

/// `POST /api/operator/validate-token` → 200 with `isValid` either way.
pub async fn validate_token(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<ValidateBody>,
) -> Json<Value> {
    let invalid = |e: &str| Json(json!({ "isValid": false, "error": e }));
    let claims = match state.jwt.verify(&body.token) {
        Ok(c) => c,
        Err(ApiError::TokenExpired) => return invalid("Token expired"),
        Err(_) => return invalid("Invalid token"),
    };
    if claims.kind != TokenKind::Operator {
        return invalid("Invalid token");
    }
    // Verified once, above; only the store checks remain.
    match principal(&state, &claims).await {
        Ok(Principal::Operator(op)) => Json(json!({
            "isValid": true,
            "operatorId": op.operator_id,
            "clientId": op.company_id,
            "expiresAt": iso_millis(claims.exp.saturating_mul(1000)),
            "error": null,
        })),
        Err(ApiError::Forbidden(_)) => invalid("Operator is inactive"),
        _ => invalid("Invalid token"),
    }
}

/// `GET /api/chathub/token` (`--dev` only): a 24 h token for operator 1.
pub async fn dev_token(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    if !state.config.dev {
        return Err(ApiError::NotFound("endpoint"));
    }
    let Principal::Operator(ident) = authenticate(&state, DEV_TOKEN).await? else {
        return Err(ApiError::Internal("dev operator missing".into()));
    };
    let exp = Utc::now().timestamp() + MAX_OPERATOR_TOKEN_SECS;
    let token = state.jwt.operator_token(&ident, exp)?;
    Ok(Json(
        json!({ "token": token, "expiresAt": iso_millis(exp * 1000) }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident() -> OperatorIdentity {
        OperatorIdentity {
            company_id: 1,
            organization_id: 1,
            operator_id: 1,
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let jwt = Jwt::new(b"secret");
        let t = jwt
            .operator_token(&ident(), Utc::now().timestamp() + 60)
            .unwrap();
        assert_eq!(jwt.verify(&t).unwrap().op, Some(1));
        let mut bad = t.clone();
        bad.pop();
        bad.push(if t.ends_with('A') { 'B' } else { 'A' });
        assert!(matches!(jwt.verify(&bad), Err(ApiError::InvalidToken)));
        assert!(matches!(
            Jwt::new(b"other").verify(&t),
            Err(ApiError::InvalidToken)
        ));
    }

    #[test]
    fn expired_and_overlong() {
        let jwt = Jwt::new(b"secret");
        let t = jwt
            .operator_token(&ident(), Utc::now().timestamp() - 1)
            .unwrap();
        assert!(matches!(jwt.verify(&t), Err(ApiError::TokenExpired)));
        let t = jwt
            .operator_token(&ident(), Utc::now().timestamp() + 48 * 3600)
            .unwrap();
        assert!(matches!(jwt.verify(&t), Err(ApiError::InvalidToken)));
    }

    #[test]
    fn instants() {
        assert!(parse_instant("2026-11-22T10:00:00Z").is_some());
        assert!(parse_instant("2026-11-22T10:00:00.123+02:00").is_some());
        assert!(parse_instant("2026-11-22T10:00:00").is_some());
        assert!(parse_instant("tomorrow").is_none());
    }

    #[test]
    fn passwords() {
        let h = hash_password("demo").unwrap();
        assert!(verify_password("demo", &h));
        assert!(!verify_password("demo2", &h));
        assert!(!verify_password("demo", "garbage"));
    }
}
