//! The SignalR JSON hub protocol: records separated by 0x1E, the handshake and message types
//! (see dotnet/aspnetcore `src/SignalR/docs/specs/HubProtocol.md`). Pure code, never panics on input.

use serde_json::{json, Map, Value};

pub const RS: char = '\u{1e}';

pub const INVOCATION: i64 = 1;
pub const STREAM_ITEM: i64 = 2;
pub const COMPLETION: i64 = 3;
pub const STREAM_INVOCATION: i64 = 4;
pub const CANCEL_INVOCATION: i64 = 5;
pub const PING: i64 = 6;
pub const CLOSE: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("message is not valid JSON: {0}")]
    Json(String),
    #[error("message is not a JSON object")]
    NotObject,
    #[error("missing or invalid 'type' field")]
    MissingType,
    #[error("invocation without a string 'target'")]
    MissingTarget,
    #[error("'arguments' must be an array")]
    BadArguments,
    #[error("'invocationId' must be a string")]
    BadInvocationId,
    #[error("message exceeds the maximum size of {0} bytes")]
    TooLarge(usize),
    #[error("frame is not valid UTF-8")]
    NotUtf8,
    #[error("unsupported protocol '{0}': only 'json' version 1 is supported")]
    UnsupportedProtocol(String),
}

/// Collects partial frames and yields complete records. A frame may hold several records, and a
/// record may be split across frames.
#[derive(Debug)]
pub struct FrameBuffer {
    buf: String,
    max: usize,
}

impl FrameBuffer {
    pub fn new(max: usize) -> Self {
        FrameBuffer {
            buf: String::new(),
            max,
        }
    }

    pub fn push(&mut self, data: &str) -> Result<Vec<String>, ProtocolError> {
        self.buf.push_str(data);
        let mut out = Vec::new();
        while let Some(pos) = self.buf.find(RS) {
            let record: String = self.buf[..pos].to_string();
            self.buf.drain(..pos + RS.len_utf8());
            out.push(record);
        }
        if self.buf.len() > self.max {
            return Err(ProtocolError::TooLarge(self.max));
        }
        Ok(out)
    }

    pub fn push_bytes(&mut self, data: &[u8]) -> Result<Vec<String>, ProtocolError> {
        let text = std::str::from_utf8(data).map_err(|_| ProtocolError::NotUtf8)?;
        self.push(text)
    }

    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// Parse the handshake request `{"protocol":"json","version":1}`.
pub fn parse_handshake(record: &str) -> Result<(), ProtocolError> {
    let v: Value = serde_json::from_str(record).map_err(|e| ProtocolError::Json(e.to_string()))?;
    let obj = v.as_object().ok_or(ProtocolError::NotObject)?;
    let protocol = obj.get("protocol").and_then(Value::as_str).unwrap_or("");
    let version = obj.get("version").and_then(Value::as_i64).unwrap_or(-1);
    if protocol != "json" || version != 1 {
        return Err(ProtocolError::UnsupportedProtocol(format!(
            "{protocol} v{version}"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq)]
pub enum HubMessage {
    Invocation {
        invocation_id: Option<String>,
        target: String,
        arguments: Vec<Value>,
    },
    StreamInvocation {
        invocation_id: Option<String>,
        target: String,
    },
    CancelInvocation,
    Ping,
    Close {
        error: Option<String>,
    },
    /// Completion, stream item, ack, sequence and unknown types: valid, nothing to do.
    Ignored,
}

pub fn parse_message(record: &str) -> Result<HubMessage, ProtocolError> {
    let v: Value = serde_json::from_str(record).map_err(|e| ProtocolError::Json(e.to_string()))?;
    let Value::Object(obj) = v else {
        return Err(ProtocolError::NotObject);
    };
    let ty = obj
        .get("type")
        .and_then(Value::as_i64)
        .ok_or(ProtocolError::MissingType)?;
    Ok(match ty {
        INVOCATION => HubMessage::Invocation {
            invocation_id: invocation_id(&obj)?,
            target: target(&obj)?,
            arguments: match obj.get("arguments") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a.clone(),
                Some(_) => return Err(ProtocolError::BadArguments),
            },
        },
        STREAM_INVOCATION => HubMessage::StreamInvocation {
            invocation_id: invocation_id(&obj)?,
            target: target(&obj)?,
        },
        CANCEL_INVOCATION => HubMessage::CancelInvocation,
        PING => HubMessage::Ping,
        CLOSE => HubMessage::Close {
            error: obj.get("error").and_then(Value::as_str).map(str::to_string),
        },
        _ => HubMessage::Ignored,
    })
}

fn invocation_id(obj: &Map<String, Value>) -> Result<Option<String>, ProtocolError> {
    match obj.get("invocationId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ProtocolError::BadInvocationId),
    }
}

fn target(obj: &Map<String, Value>) -> Result<String, ProtocolError> {
    obj.get("target")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(ProtocolError::MissingTarget)
}

fn frame(v: Value) -> String {
    let mut s = v.to_string();
    s.push(RS);
    s
}

pub fn handshake_ok() -> String {
    frame(json!({}))
}

pub fn handshake_error(error: &str) -> String {
    frame(json!({ "error": error }))
}

pub fn ping() -> String {
    frame(json!({ "type": PING }))
}

pub fn close(error: Option<&str>, allow_reconnect: bool) -> String {
    let mut obj = json!({ "type": CLOSE });
    if let Some(e) = error {
        obj["error"] = json!(e);
    }
    if allow_reconnect {
        obj["allowReconnect"] = json!(true);
    }
    frame(obj)
}

pub fn completion_result(invocation_id: &str, result: Value) -> String {
    frame(json!({ "type": COMPLETION, "invocationId": invocation_id, "result": result }))
}

/// The completion of a method that returns nothing (a C# `Task`): no `result` at all.
pub fn completion_void(invocation_id: &str) -> String {
    frame(json!({ "type": COMPLETION, "invocationId": invocation_id }))
}

pub fn completion_error(invocation_id: &str, error: &str) -> String {
    frame(json!({ "type": COMPLETION, "invocationId": invocation_id, "error": error }))
}

/// A server→client event invocation (the caller has added the event id, if the mode sends one).
pub fn event_frame(target: &str, args: Vec<Value>) -> String {
    frame(json!({ "type": INVOCATION, "target": target, "arguments": args }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_records_across_and_within_frames() {
        let mut b = FrameBuffer::new(1024);
        assert_eq!(
            b.push("{\"type\":6}\u{1e}{\"ty").unwrap(),
            vec!["{\"type\":6}"]
        );
        assert_eq!(b.push("pe\":6}\u{1e}").unwrap(), vec!["{\"type\":6}"]);
        assert_eq!(b.pending(), 0);
    }

    #[test]
    fn rejects_oversized_partial_record() {
        let mut b = FrameBuffer::new(8);
        assert_eq!(b.push("0123456789"), Err(ProtocolError::TooLarge(8)));
    }

    #[test]
    fn parses_invocation_and_ignores_unknown() {
        let m = parse_message(
            r#"{"type":1,"invocationId":"7","target":"SendMessage","arguments":[1,"hi"],"x":1}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            HubMessage::Invocation {
                invocation_id: Some("7".into()),
                target: "SendMessage".into(),
                arguments: vec![json!(1), json!("hi")],
            }
        );
        assert_eq!(
            parse_message(r#"{"type":99}"#).unwrap(),
            HubMessage::Ignored
        );
        assert_eq!(parse_message(r#"{"type":6}"#).unwrap(), HubMessage::Ping);
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert!(parse_message("{").is_err());
        assert_eq!(parse_message("[]"), Err(ProtocolError::NotObject));
        assert_eq!(parse_message("{}"), Err(ProtocolError::MissingType));
        assert_eq!(
            parse_message(r#"{"type":1}"#),
            Err(ProtocolError::MissingTarget)
        );
        assert_eq!(
            parse_message(r#"{"type":1,"target":"a","arguments":{}}"#),
            Err(ProtocolError::BadArguments)
        );
    }

    #[test]
    fn handshake() {
        assert!(parse_handshake(r#"{"protocol":"json","version":1}"#).is_ok());
        assert!(parse_handshake(r#"{"protocol":"messagepack","version":1}"#).is_err());
        assert!(parse_handshake("nope").is_err());
    }

    #[test]
    fn events_and_completions() {
        let f = event_frame(
            "ReceiveMessage",
            vec![json!({"id": 1}), json!({"eventId": 12})],
        );
        assert_eq!(
            f,
            "{\"arguments\":[{\"id\":1},{\"eventId\":12}],\"target\":\"ReceiveMessage\",\"type\":1}\u{1e}"
        );
        // A void method's completion has no `result` key, not even a null one.
        assert_eq!(
            completion_void("7"),
            "{\"invocationId\":\"7\",\"type\":3}\u{1e}"
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON; floats only when asked (serde_json does not round-trip every float exactly).
    fn arb_json_with(floats: bool) -> impl Strategy<Value = Value> {
        let float = any::<f64>().prop_map(move |f| {
            let f = if floats { f } else { f.trunc() % 1e15 };
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        });
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            float,
            ".{0,20}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("type".to_string()),
                        Just("target".to_string()),
                        Just("arguments".to_string()),
                        Just("invocationId".to_string()),
                        ".{0,8}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        arb_json_with(true)
    }

    proptest! {
        /// Records survive any split into frames, and come out in order.
        #[test]
        fn any_chunking_yields_the_same_records(
            records in prop::collection::vec("[^\u{1e}]{0,40}", 0..8),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        ) {
            let stream: String = records.iter().map(|r| format!("{r}{RS}")).collect();
            // Cut only at char boundaries: a WebSocket text frame is always valid UTF-8.
            let mut points: Vec<usize> = cuts
                .iter()
                .map(|i| {
                    let mut p = i.index(stream.len() + 1);
                    while !stream.is_char_boundary(p) {
                        p -= 1;
                    }
                    p
                })
                .collect();
            points.push(0);
            points.push(stream.len());
            points.sort();
            points.dedup();
            let mut buf = FrameBuffer::new(1 << 20);
            let mut got = Vec::new();
            for w in points.windows(2) {
                got.extend(buf.push(&stream[w[0]..w[1]]).unwrap());
            }
            prop_assert_eq!(got, records);
            prop_assert_eq!(buf.pending(), 0);
        }

        /// Arbitrary bytes never panic the buffer or the parser.
        #[test]
        fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
            let mut buf = FrameBuffer::new(128);
            if let Ok(records) = buf.push_bytes(&data) {
                for r in records {
                    let _ = parse_message(&r);
                    let _ = parse_handshake(&r);
                }
            }
        }

        /// Arbitrary JSON values parse to a message or a typed error, never a panic, and a valid
        /// invocation round-trips.
        #[test]
        fn arbitrary_json_never_panics(v in arb_json()) {
            let text = v.to_string();
            let _ = parse_message(&text);
            let _ = parse_handshake(&text);
        }

        #[test]
        fn invocations_round_trip(id in proptest::option::of("[a-z0-9]{1,8}"), target in ".{1,20}", args in prop::collection::vec(arb_json_with(false), 0..4)) {
            let mut obj = json!({"type": 1, "target": target, "arguments": args});
            if let Some(id) = &id {
                obj["invocationId"] = json!(id);
            }
            let parsed = parse_message(&obj.to_string()).unwrap();
            prop_assert_eq!(parsed, HubMessage::Invocation { invocation_id: id, target, arguments: args });
        }
    }
}
