//! Token inspection before connecting: the JWT payload's `exp`, read without checking the signature
//! (only the server can). A token that cannot be read is invalid; one past its `exp` is expired.

use crate::text::split_once;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Invalid,
    Expired,
}

/// The opaque development token the reference server accepts with `--dev`.
const DEV_TOKEN: &str = "test-token-for-development";

/// What the panel reads from a token it may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Claims {
    /// Expiry, Unix seconds.
    pub exp: Option<u64>,
    /// The operator's id (the reference server's `op` claim), to tell this operator's own
    /// messages from a colleague's.
    pub operator: Option<u64>,
}

/// The claims the panel reads; the rest of the payload is the server's business.
#[derive(Deserialize)]
struct Payload {
    exp: Option<u64>,
    op: Option<crate::json::Raw>,
    /// The standard (OpenID) display-name claim, where the issuer writes one: saved replies'
    /// `{operator}`.
    name: Option<crate::json::Raw>,
}

/// The token's payload, unchecked.
fn payload(token: &str) -> Option<Payload> {
    let (_, rest) = split_once(token.trim(), b'.')?;
    let (payload, signature) = split_once(rest, b'.')?;
    if split_once(signature, b'.').is_some() {
        return None;
    }
    let text = String::from_utf8(base64url(payload)?).ok()?;
    crate::json::from_str(&text)
}

/// The operator's name from the token's `name` claim, when it has a non-blank one.
pub fn name(token: &str) -> Option<String> {
    let name: String = payload(token)?.name?.decode()?;
    Some(name.trim().to_owned()).filter(|n| !n.is_empty())
}

/// Checks `token` at `now_secs` (Unix seconds). Tokens without `exp` are taken as valid.
pub fn inspect(token: &str, now_secs: u64) -> Result<Claims, TokenProblem> {
    if token == DEV_TOKEN {
        // The reference server's development token is operator 1.
        return Ok(Claims {
            exp: None,
            operator: Some(1),
        });
    }
    let payload = payload(token).ok_or(TokenProblem::Invalid)?;
    let read = Claims {
        exp: payload.exp,
        // Another issuer may use `op` otherwise: then the operator is simply unknown.
        operator: payload.op.and_then(|op| op.decode()),
    };
    match read {
        Claims { exp: Some(exp), .. } if exp <= now_secs => Err(TokenProblem::Expired),
        read => Ok(read),
    }
}

/// Unpadded base64url, as JWT segments use.
fn base64url(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    // Padding only at the end.
    let s = &s[..s.bytes().rposition(|b| b != b'=').map_or(0, |i| i + 1)];
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // {"alg":"HS256"} . {"sub":"1","exp":2000000000} . sig
    const GOOD: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiZXhwIjoyMDAwMDAwMDAwfQ.c2ln";

    #[test]
    fn reads_exp() {
        let read = inspect(GOOD, 1_900_000_000).unwrap();
        assert_eq!(read.exp, Some(2_000_000_000));
        assert_eq!(read.operator, None);
        assert_eq!(inspect(GOOD, 2_000_000_000), Err(TokenProblem::Expired));
        assert_eq!(inspect(DEV_TOKEN, 0).unwrap().operator, Some(1));
    }

    #[test]
    fn reads_the_operator() {
        // {"alg":"HS256"} . {"op":7,"exp":2000000000} . sig
        let t = "eyJhbGciOiJIUzI1NiJ9.eyJvcCI6NywiZXhwIjoyMDAwMDAwMDAwfQ.c2ln";
        assert_eq!(inspect(t, 0).unwrap().operator, Some(7));
    }

    #[test]
    fn reads_the_name_claim() {
        // {"alg":"HS256"} . {"op":7,"name":" Olena "} . sig
        let t = "eyJhbGciOiJIUzI1NiJ9.eyJvcCI6NywibmFtZSI6IiBPbGVuYSAifQ.c2ln";
        assert_eq!(name(t).as_deref(), Some("Olena"));
        assert_eq!(name(GOOD), None);
        assert_eq!(name(DEV_TOKEN), None);
        // {"name":3}: not a string, no name; the token itself stays usable.
        let t = "eyJhbGciOiJIUzI1NiJ9.eyJuYW1lIjozfQ.c2ln";
        assert_eq!(name(t), None);
        assert!(inspect(t, 0).is_ok());
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.b.c.d",
            "x.!!!.y",
            "x.bm90IGpzb24.y",
            "eyJ.eyJ.sig",
        ] {
            assert_eq!(inspect(bad, 0), Err(TokenProblem::Invalid), "{bad}");
        }
    }

    #[test]
    fn base64url_round_trip() {
        assert_eq!(base64url("aGk").unwrap(), b"hi");
        assert_eq!(base64url("_-8").unwrap(), [0xff, 0xef]);
    }
}
