//! Lenient request decoding: the provider is inconsistent about casing and about numbers vs numeric
//! strings, so bodies accept both, and any content type. Failures become 400/413 with the error body.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};

/// A JSON body parsed regardless of `Content-Type`.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::bad(format!("could not read body: {e}"))
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))
}

struct I64Visitor;

impl Visitor<'_> for I64Visitor {
    type Value = i64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an integer or a string holding one")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(v as i64)
        } else {
            Err(E::custom("expected an integer"))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom("expected an integer"))
    }
}

/// `21` or `"21"`.
pub fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(I64Visitor)
}

/// Like [`lenient_i64`], with `null` allowed.
pub fn lenient_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(#[serde(deserialize_with = "lenient_i64")] i64),
        Null(()),
    }
    match Option::<Raw>::deserialize(d)? {
        Some(Raw::Int(v)) => Ok(Some(v)),
        _ => Ok(None),
    }
}

/// Accept a number from a JSON value (hub arguments are untyped).
pub fn value_i64(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Query parameters decoded with our error body on failure.
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q)
            .map(QueryParams)
            .map_err(|e| ApiError::bad(format!("invalid query: {e}")))
    }
}

/// All query pairs in order, for keys that may repeat (`date=..&date=..`).
pub type QueryPairs = QueryParams<Vec<(String, String)>>;

/// The last value of a query key (any case), trimmed. An empty value counts as absent, as HTML
/// forms send empty fields: `?organizationId=` is the same as no `organizationId`.
pub fn query_text<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Like [`query_text`], for an integer: anything else is a 400.
pub fn query_int(pairs: &[(String, String)], key: &str) -> ApiResult<Option<i64>> {
    query_text(pairs, key)
        .map(|v| {
            v.parse()
                .map_err(|_| ApiError::bad(format!("{key} must be an integer")))
        })
        .transpose()
}

/// Path parameters decoded with our error body on failure.
pub struct PathParam<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for PathParam<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| PathParam(v))
            .map_err(|e| ApiError::bad(format!("invalid path: {}", e.body_text())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(deserialize_with = "lenient_i64")]
        id: i64,
        #[serde(default, deserialize_with = "lenient_opt_i64")]
        opt: Option<i64>,
    }

    #[test]
    fn numbers_and_numeric_strings() {
        let t: T = serde_json::from_str(r#"{"id":"21","opt":null}"#).unwrap();
        assert_eq!((t.id, t.opt), (21, None));
        let t: T = serde_json::from_str(r#"{"id":21,"opt":"5"}"#).unwrap();
        assert_eq!((t.id, t.opt), (21, Some(5)));
        assert!(serde_json::from_str::<T>(r#"{"id":"x"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"id":1.5}"#).is_err());
    }
}
