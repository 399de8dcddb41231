//! The SignalR JSON hub protocol, as pure data: records split on `0x1E`, the handshake and the
//! message types the panel uses. Arguments stay raw JSON until the caller knows their type.

use crate::json::{self, Raw};
use serde::{Deserialize, Serialize};

/// Every SignalR JSON record ends with this byte.
pub const RS: char = '\u{1e}';

/// The first record a client sends.
pub const HANDSHAKE: &str = "{\"protocol\":\"json\",\"version\":1}\u{1e}";

/// A keep-alive ping record.
pub const PING: &str = "{\"type\":6}\u{1e}";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The record is not JSON, or not a JSON object of the expected shape.
    Malformed(String),
    /// The server refused the handshake.
    Refused(String),
}

impl core::fmt::Display for CodecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CodecError::Malformed(why) => write!(f, "malformed hub message: {why}"),
            CodecError::Refused(why) => write!(f, "hub refused the handshake: {why}"),
        }
    }
}

/// Gathers text frames and yields complete records; a frame may hold several records or part of one.
#[derive(Debug, Default)]
pub struct RecordBuffer {
    pending: String,
}

impl RecordBuffer {
    pub fn push(&mut self, chunk: &str) -> Vec<String> {
        self.pending.push_str(chunk);
        // RS is one ASCII byte, so byte positions are char boundaries.
        let Some(last) = self.pending.bytes().rposition(|b| b == RS as u8) else {
            return Vec::new();
        };
        let rest = self.pending.split_off(last + 1);
        let done = core::mem::replace(&mut self.pending, rest);
        let mut records = Vec::new();
        let mut left = done.as_str();
        while let Some((record, more)) = crate::text::split_once(left, RS as u8) {
            records.push(record.to_owned());
            left = more;
        }
        records
    }

    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

/// A decoded record. Argument and result payloads are kept raw.
#[derive(Debug)]
pub enum HubMessage {
    Invocation {
        invocation_id: Option<String>,
        target: String,
        arguments: Vec<Raw>,
    },
    Completion {
        invocation_id: String,
        result: Option<Raw>,
        error: Option<String>,
    },
    Ping,
    Close {
        error: Option<String>,
        allow_reconnect: bool,
    },
    /// A type this client does not use (stream items, acks, ...): ignored by the protocol's rules.
    Ignored,
}

/// Any record, as the wire has it: which fields matter depends on `type`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(rename = "type")]
    kind: u32,
    invocation_id: Option<String>,
    target: Option<String>,
    #[serde(default)]
    arguments: Vec<Raw>,
    result: Option<Raw>,
    error: Option<String>,
    #[serde(default)]
    allow_reconnect: bool,
}

/// The server's handshake answer: `{}` or `{"error": "..."}`.
#[derive(Deserialize)]
struct HandshakeAnswer {
    error: Option<String>,
}

fn malformed(why: &str) -> CodecError {
    CodecError::Malformed(why.into())
}

/// Reads the server's handshake answer.
pub fn decode_handshake(record: &str) -> Result<(), CodecError> {
    let answer: HandshakeAnswer =
        json::from_str(record).ok_or_else(|| malformed("not a JSON object"))?;
    match answer.error {
        Some(why) => Err(CodecError::Refused(why)),
        None => Ok(()),
    }
}

pub fn decode(record: &str) -> Result<HubMessage, CodecError> {
    let r: Record = json::from_str(record).ok_or_else(|| malformed("not a hub message"))?;
    Ok(match r.kind {
        1 => HubMessage::Invocation {
            invocation_id: r.invocation_id,
            target: r
                .target
                .ok_or_else(|| malformed("invocation without target"))?,
            arguments: r.arguments,
        },
        3 => HubMessage::Completion {
            invocation_id: r
                .invocation_id
                .ok_or_else(|| malformed("completion without invocationId"))?,
            result: r.result,
            error: r.error,
        },
        6 => HubMessage::Ping,
        7 => HubMessage::Close {
            error: r.error,
            allow_reconnect: r.allow_reconnect,
        },
        _ => HubMessage::Ignored,
    })
}

/// One argument of an invocation the panel makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Arg<'a> {
    Id(u64),
    Text(&'a str),
    Media(HubMedia<'a>),
}

/// `SendMediaMessage`'s media argument, in the field names the hub documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HubMedia<'a> {
    pub name: &'a str,
    pub format: &'a str,
    pub data_base64: &'a str,
    /// 1 image, 0 any other file.
    #[serde(rename = "Type")]
    pub kind: u8,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    invocation_id: Option<String>,
    target: &'a str,
    arguments: &'a [Arg<'a>],
}

/// Encodes an invocation; `id` None means fire and forget.
pub fn invocation(id: Option<u32>, target: &str, arguments: &[Arg]) -> String {
    let mut out = json::to_string(&Invocation {
        kind: 1,
        invocation_id: id.map(|id| crate::text::num(id.into())),
        target,
        arguments,
    });
    out.push(RS);
    out
}

/// Whether a completion's error says the hub has no such method: ASP.NET Core's text, or older
/// versions' (chathub-api.md, "Living with the hosted hub").
pub fn unknown_method(error: &str) -> bool {
    error.starts_with("Unknown hub method") || error.starts_with("Method does not exist")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_both_texts_for_a_missing_method() {
        assert!(unknown_method("Unknown hub method 'Resume'"));
        assert!(unknown_method("Method does not exist."));
        assert!(!unknown_method(
            "Events after 5 are no longer kept; load the chats again."
        ));
    }

    #[test]
    fn splits_several_records_in_one_frame() {
        let mut b = RecordBuffer::default();
        let got = b.push("{\"type\":6}\u{1e}{\"type\":6}\u{1e}");
        assert_eq!(got, vec!["{\"type\":6}", "{\"type\":6}"]);
    }

    #[test]
    fn joins_partial_frames() {
        let mut b = RecordBuffer::default();
        assert!(b.push("{\"type\":1,\"tar").is_empty());
        assert!(b.push("get\":\"X\",\"arguments\":[]}").is_empty());
        let got = b.push("\u{1e}{\"ty");
        assert_eq!(got, vec!["{\"type\":1,\"target\":\"X\",\"arguments\":[]}"]);
        assert_eq!(b.push("pe\":6}\u{1e}"), vec!["{\"type\":6}"]);
    }

    #[test]
    fn record_separator_inside_multibyte_text_is_safe() {
        let mut b = RecordBuffer::default();
        let got = b.push("{\"type\":1,\"target\":\"Т\",\"arguments\":[\"привіт\"]}\u{1e}");
        assert_eq!(got.len(), 1);
        match decode(&got[0]).unwrap() {
            HubMessage::Invocation {
                target, arguments, ..
            } => {
                assert_eq!(target, "Т");
                assert_eq!(arguments[0].decode::<String>().unwrap(), "привіт");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn decodes_invocation_completion_ping_close() {
        match decode(r#"{"type":1,"target":"ReceiveMessage","arguments":[{"id":1},{"eventId":7}]}"#)
            .unwrap()
        {
            HubMessage::Invocation {
                invocation_id,
                target,
                arguments,
            } => {
                assert_eq!(invocation_id, None);
                assert_eq!(target, "ReceiveMessage");
                assert_eq!(arguments.len(), 2);
                assert_eq!(
                    arguments[1]
                        .decode::<crate::model::EventMeta>()
                        .unwrap()
                        .event_id,
                    7
                );
            }
            other => panic!("{other:?}"),
        }
        match decode(r#"{"type":3,"invocationId":"4","result":{"id":9}}"#).unwrap() {
            HubMessage::Completion {
                invocation_id,
                result,
                error,
            } => {
                assert_eq!(invocation_id, "4");
                assert_eq!(
                    result
                        .unwrap()
                        .decode::<crate::model::Message>()
                        .unwrap()
                        .id,
                    9
                );
                assert_eq!(error, None);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(decode(r#"{"type":6}"#).unwrap(), HubMessage::Ping));
        match decode(r#"{"type":7,"error":"bye","allowReconnect":true}"#).unwrap() {
            HubMessage::Close {
                error,
                allow_reconnect,
            } => {
                assert_eq!(error.as_deref(), Some("bye"));
                assert!(allow_reconnect);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_types_and_fields_are_ignored() {
        assert!(matches!(
            decode(r#"{"type":2,"invocationId":"1","item":5}"#).unwrap(),
            HubMessage::Ignored
        ));
        assert!(matches!(
            decode(r#"{"type":99}"#).unwrap(),
            HubMessage::Ignored
        ));
        assert!(matches!(
            decode(r#"{"type":6,"extra":{"nested":[1,2]}}"#).unwrap(),
            HubMessage::Ping
        ));
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "[]",
            "null",
            "{\"type\":\"x\"}",
            "{\"type\":1}",
            "{\"type\":3}",
            "\u{0}",
        ] {
            assert!(
                matches!(decode(bad), Err(CodecError::Malformed(_))),
                "{bad:?} should be malformed"
            );
        }
    }

    #[test]
    fn handshake_ok_and_refused() {
        assert_eq!(decode_handshake("{}"), Ok(()));
        assert_eq!(
            decode_handshake(r#"{"error":"nope"}"#),
            Err(CodecError::Refused("nope".into()))
        );
        for e in [
            CodecError::Refused("x".into()),
            CodecError::Malformed("y".into()),
        ] {
            assert!(e.to_string().contains("hub"), "{e}");
        }
        assert!(matches!(
            decode_handshake("nope"),
            Err(CodecError::Malformed(_))
        ));
    }

    #[test]
    fn encodes_invocations() {
        assert_eq!(
            invocation(
                Some(3),
                "SendMessage",
                &[Arg::Id(12), Arg::Text("hi \"x\"")]
            ),
            "{\"type\":1,\"invocationId\":\"3\",\"target\":\"SendMessage\",\"arguments\":[12,\"hi \\\"x\\\"\"]}\u{1e}"
        );
        assert_eq!(
            invocation(None, "Typing", &[Arg::Id(5)]),
            "{\"type\":1,\"target\":\"Typing\",\"arguments\":[5]}\u{1e}"
        );
        assert!(HANDSHAKE.ends_with(RS) && PING.ends_with(RS));
    }
}
