//! The SignalR JSON hub protocol, as pure data: records split on `0x1E`, the handshake and the
//! message types the panel uses. Arguments stay raw JSON until the caller knows their type.

use crate::json::{self, Value};

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

impl CodecError {
    /// The same text as `Display`, without linking `core::fmt` into the wasm.
    pub fn message(&self) -> String {
        let (head, why) = match self {
            CodecError::Malformed(why) => ("malformed hub message: ", why),
            CodecError::Refused(why) => ("hub refused the handshake: ", why),
        };
        crate::text::cat(&[head, why])
    }
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
        arguments: Vec<Value>,
    },
    Completion {
        invocation_id: String,
        result: Option<Value>,
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

fn malformed(why: &str) -> CodecError {
    CodecError::Malformed(why.into())
}

/// Reads the server's handshake answer: `{}` or `{"error": "..."}`.
pub fn decode_handshake(record: &str) -> Result<(), CodecError> {
    let not_object = || malformed("not a JSON object");
    let answer = Value::parse(record).ok_or_else(not_object)?;
    let mut f = answer.fields().ok_or_else(not_object)?;
    match f.get::<String>("error") {
        Some(why) => Err(CodecError::Refused(why)),
        None => Ok(()),
    }
}

pub fn decode(record: &str) -> Result<HubMessage, CodecError> {
    let not_hub = || malformed("not a hub message");
    let value = Value::parse(record).ok_or_else(not_hub)?;
    let mut f = value.fields().ok_or_else(not_hub)?;
    let kind: Option<u32> = f.get("type");
    let invocation_id: Option<String> = f.get("invocationId");
    let target: Option<String> = f.get("target");
    let arguments: Vec<Value> = f.or_default("arguments");
    let result: Option<Value> = f.get("result");
    let error: Option<String> = f.get("error");
    let allow_reconnect: bool = f.or_default("allowReconnect");
    let kind = f
        .done(kind)
        .ok_or_else(not_hub)?
        .ok_or_else(|| malformed("no type"))?;
    Ok(match kind {
        1 => HubMessage::Invocation {
            invocation_id,
            target: target.ok_or_else(|| malformed("invocation without target"))?,
            arguments,
        },
        3 => HubMessage::Completion {
            invocation_id: invocation_id
                .ok_or_else(|| malformed("completion without invocationId"))?,
            result,
            error,
        },
        6 => HubMessage::Ping,
        7 => HubMessage::Close {
            error,
            allow_reconnect,
        },
        _ => HubMessage::Ignored,
    })
}

/// Encodes an invocation. `args` are JSON texts; `id` None means fire and forget.
pub fn invocation(id: Option<u32>, target: &str, args: &[&str]) -> String {
    let head = json::Obj::new().raw("type", "1");
    let head = match id {
        Some(id) => head.str("invocationId", &crate::text::num(id.into())),
        None => head,
    };
    let mut out = head
        .str("target", target)
        .raw("arguments", &json::array(args))
        .end();
    out.push(RS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(e.message(), e.to_string());
        }
        assert!(matches!(
            decode_handshake("nope"),
            Err(CodecError::Malformed(_))
        ));
    }

    #[test]
    fn encodes_invocations() {
        assert_eq!(
            invocation(Some(3), "SendMessage", &["12", &json::string("hi \"x\"")]),
            "{\"type\":1,\"invocationId\":\"3\",\"target\":\"SendMessage\",\"arguments\":[12,\"hi \\\"x\\\"\"]}\u{1e}"
        );
        assert_eq!(
            invocation(None, "Typing", &["5"]),
            "{\"type\":1,\"target\":\"Typing\",\"arguments\":[5]}\u{1e}"
        );
        assert!(HANDSHAKE.ends_with(RS) && PING.ends_with(RS));
    }
}
