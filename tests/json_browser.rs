//! Browser tests of the wasm JSON door (`JSON.parse` + the crate's own deserializer and writer):
//! the crate's real types, lenient reading, and wrong input answered with `None`, never a panic.
#![cfg(target_arch = "wasm32")]

use std::collections::HashMap;

use operator_chat_panel::codec::{decode, HubMessage};
use operator_chat_panel::json::{self, Raw};
use operator_chat_panel::model::{Chat, ChatPage, Message, MessagePage};
use operator_chat_panel::state::Saved;
use serde::Deserialize;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const HOSTILE: &str = "a\"b\\c\nd\r\te\u{1}f\u{2028}g\u{2029}</script>ü🎉'`${x}";

const MESSAGE: &str = r#"{"id":7,"chatId":3,"message":"hi","author":1,
    "media":{"name":"a.png","format":"png","url":"https://x/a.png","type":2},
    "status":3,"createdAt":"2024-05-01T10:00:00Z","clientMessageId":"c-1"}"#;

#[wasm_bindgen_test]
fn a_message_reads_every_field() {
    let m: Message = json::from_str(MESSAGE).unwrap();
    assert_eq!((m.id, m.chat_id, m.author, m.status), (7, 3, 1, 3));
    assert_eq!(m.message.as_deref(), Some("hi"));
    assert_eq!(m.created_at, "2024-05-01T10:00:00Z");
    assert_eq!(m.client_message_id.as_deref(), Some("c-1"));
    let media = m.media.unwrap();
    assert_eq!(media.name.as_deref(), Some("a.png"));
    assert_eq!(media.url.as_deref(), Some("https://x/a.png"));
    assert_eq!(media.kind, 2);
}

#[wasm_bindgen_test]
fn a_message_round_trips_through_to_string() {
    let m: Message = json::from_str(MESSAGE).unwrap();
    let hostile = Message {
        message: Some(HOSTILE.into()),
        client_message_id: None,
        ..m.clone()
    };
    for m in [m, hostile, Message::default()] {
        let text = json::to_string(&m).unwrap();
        assert_eq!(json::from_str::<Message>(&text), Some(m), "{text}");
    }
}

#[wasm_bindgen_test]
fn to_string_writes_what_json_stringify_would_read() {
    let m = Message {
        id: 9_007_199_254_740_991,
        message: Some(HOSTILE.into()),
        ..Message::default()
    };
    let text = json::to_string(&m).unwrap();
    let back = js_sys::JSON::parse(&text).unwrap();
    let get = |k: &str| js_sys::Reflect::get(&back, &k.into()).unwrap();
    assert_eq!(get("id").as_f64(), Some(9_007_199_254_740_991.0));
    assert_eq!(get("message").as_string().as_deref(), Some(HOSTILE));
    assert!(get("media").is_null());
    assert!(get("clientMessageId").is_null());
    assert_eq!(json::to_string(&-12i64).as_deref(), Some("-12"));
    assert_eq!(json::to_string(&1.5f64).as_deref(), Some("1.5"));
    assert_eq!(json::to_string(&f64::NAN).as_deref(), Some("null"));
    assert_eq!(json::to_string(&(true, ())).as_deref(), Some("[true,null]"));
    let map = HashMap::from([(5u32, "x")]);
    assert_eq!(json::to_string(&map).as_deref(), Some(r#"{"5":"x"}"#));
    assert_eq!(json::to_string(&HashMap::from([((), 1)])), None);
}

#[wasm_bindgen_test]
fn a_chat_page_reads_nested_chats_and_defaults_the_rest() {
    let page: ChatPage = json::from_str(&format!(
        r#"{{"total":2,"extra":{{"deep":[1,{{"x":null}}]}},"items":[
            {{"id":1,"theme":"T","chatStatus":2,"countUnread":4,"source":1,
              "operator":{{"id":5,"name":"Op"}},"client":{{"name":"Ann","phone":null}},
              "lastMessage":{MESSAGE},"updatedAt":"u"}},
            {{"id":2}}]}}"#
    ))
    .unwrap();
    assert_eq!(page.total, 2);
    let [full, bare]: [Chat; 2] = page.items.try_into().unwrap();
    assert_eq!((full.id, full.chat_status, full.count_unread), (1, 2, 4));
    assert_eq!(full.source, Some(1));
    assert_eq!(full.operator.unwrap().name.as_deref(), Some("Op"));
    let client = full.client.unwrap();
    assert_eq!((client.name.as_deref(), client.phone), (Some("Ann"), None));
    assert_eq!(full.last_message.unwrap().id, 7);
    assert_eq!(full.updated_at.as_deref(), Some("u"));
    assert_eq!(
        bare,
        Chat {
            id: 2,
            ..Chat::default()
        }
    );
}

#[wasm_bindgen_test]
fn a_message_page_reads_items_and_has_more() {
    let page: MessagePage =
        json::from_str(&format!(r#"{{"items":[{MESSAGE},{{}}],"hasMore":true}}"#)).unwrap();
    assert!(page.has_more);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[1], Message::default());
    let empty: MessagePage = json::from_str("{}").unwrap();
    assert!(!empty.has_more && empty.items.is_empty());
}

#[wasm_bindgen_test]
fn null_is_none_and_missing_fields_default() {
    let m: Message =
        json::from_str(r#"{"id":1,"message":null,"media":null,"createdAt":"x","bogus":[{}]}"#)
            .unwrap();
    assert_eq!(m.message, None);
    assert_eq!(m.media, None);
    assert_eq!((m.chat_id, m.author), (0, 0));
    assert_eq!(json::from_str::<Option<u64>>("null"), Some(None));
    assert_eq!(json::from_str::<Option<u64>>("3"), Some(Some(3)));
}

#[wasm_bindgen_test]
fn wrong_types_are_none_not_a_panic() {
    for bad in [
        r#"{"id":"1"}"#,
        r#"{"id":true}"#,
        r#"{"message":5}"#,
        r#"{"media":"x"}"#,
        r#"{"media":[1]}"#,
        r#"{"createdAt":{}}"#,
        r#"{"author":256}"#,
        r#"{"status":-1}"#,
        "[]",
        "\"text\"",
        "42",
        "null",
        "{nope",
        "",
    ] {
        assert_eq!(json::from_str::<Message>(bad), None, "{bad}");
    }
    assert!(json::from_str::<ChatPage>(r#"{"items":{}}"#).is_none());
    assert!(json::from_str::<ChatPage>(r#"{"items":[1]}"#).is_none());
    assert!(json::from_str::<MessagePage>(r#"{"hasMore":"yes"}"#).is_none());
    assert!(json::from_str::<Vec<u8>>(r#"{"0":1}"#).is_none());
    assert!(json::from_str::<HashMap<String, String>>("[\"a\"]").is_none());
}

#[wasm_bindgen_test]
fn numbers_that_are_not_exact_whole_u64s_are_none() {
    for bad in [
        "1.5",
        "-1",
        "-0.5",
        "1e300",
        "9007199254740992",
        "18446744073709551615",
        "18446744073709551616",
    ] {
        assert_eq!(json::from_str::<u64>(bad), None, "{bad}");
        assert!(
            json::from_str::<Message>(&format!(r#"{{"id":{bad}}}"#)).is_none(),
            "{bad}"
        );
    }
    assert_eq!(
        json::from_str::<u64>("9007199254740991"),
        Some(9_007_199_254_740_991)
    );
    assert_eq!(json::from_str::<u64>("2.0"), Some(2));
    assert_eq!(
        json::from_str::<i64>("-9007199254740991"),
        Some(-9_007_199_254_740_991)
    );
    assert_eq!(json::from_str::<i64>("-9007199254740992"), None);
    assert_eq!(json::from_str::<u8>("255"), Some(255));
    assert_eq!(json::from_str::<u16>("65536"), None);
    assert_eq!(json::from_str::<u32>("4294967296"), None);
    assert_eq!(json::from_str::<f64>("1.5"), Some(1.5));
    assert_eq!(json::from_str::<f64>("3"), Some(3.0));
}

#[wasm_bindgen_test]
fn hostile_strings_survive_both_ways() {
    let lit = json::string(HOSTILE);
    assert_eq!(json::from_str::<String>(&lit).as_deref(), Some(HOSTILE));
    let text = json::to_string(&HOSTILE).unwrap();
    assert_eq!(json::from_str::<String>(&text).as_deref(), Some(HOSTILE));
    let map: HashMap<String, String> =
        json::from_str(&format!("{{{lit}:{lit},\"k\":\"v\"}}")).unwrap();
    assert_eq!(map.get(HOSTILE).map(String::as_str), Some(HOSTILE));
    assert_eq!(map.get("k").map(String::as_str), Some("v"));
    assert_eq!(map.len(), 2);
    assert!(json::from_str::<HashMap<String, String>>(r#"{"k":1}"#).is_none());
}

#[wasm_bindgen_test]
fn hub_frames_keep_arguments_raw_until_decoded() {
    let frame = format!(
        r#"{{"type":1,"target":"ReceiveMessage","arguments":[{MESSAGE},{{"eventId":7}},"x",null,12],"extra":1}}"#
    );
    let HubMessage::Invocation {
        invocation_id,
        target,
        arguments,
    } = decode(&frame).unwrap()
    else {
        panic!("not an invocation");
    };
    assert_eq!((invocation_id, target.as_str()), (None, "ReceiveMessage"));
    assert_eq!(arguments.len(), 5);
    assert_eq!(arguments[0].decode::<Message>().unwrap().id, 7);
    // A raw value decodes again, and as another type.
    assert_eq!(arguments[0].decode::<Message>().unwrap().chat_id, 3);
    assert_eq!(arguments[0].decode::<u64>(), None);
    assert_eq!(
        arguments[1]
            .decode::<operator_chat_panel::model::EventMeta>()
            .unwrap()
            .event_id,
        7
    );
    assert_eq!(arguments[2].decode::<String>().as_deref(), Some("x"));
    assert_eq!(arguments[3].decode::<Option<u64>>(), Some(None));
    assert_eq!(arguments[4].decode::<u64>(), Some(12));
    let cloned = arguments[4].clone();
    drop(arguments);
    assert_eq!(cloned.decode::<u8>(), Some(12));

    let HubMessage::Completion { result, error, .. } = decode(&format!(
        r#"{{"type":3,"invocationId":"4","result":{MESSAGE}}}"#
    ))
    .unwrap() else {
        panic!("not a completion");
    };
    assert_eq!(result.unwrap().decode::<Message>().unwrap().id, 7);
    assert_eq!(error, None);
    let HubMessage::Completion { result, .. } =
        decode(r#"{"type":3,"invocationId":"4","result":null}"#).unwrap()
    else {
        panic!("not a completion");
    };
    assert!(result.is_none());
    assert!(matches!(decode(r#"{"type":6}"#), Ok(HubMessage::Ping)));
    assert!(decode(r#"{"type":1,"arguments":{}}"#).is_err());
    assert!(decode(r#"{"type":"1"}"#).is_err());
    assert!(decode("[1]").is_err());
}

#[wasm_bindgen_test]
fn structs_are_read_by_field_name_in_any_key_order() {
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Strict {
        first_id: u64,
        note: Option<String>,
        #[serde(default)]
        flag: bool,
        #[serde(skip)]
        skipped: u8,
        last: String,
    }
    let s: Strict = json::from_str(r#"{"last":"z","extra":[1],"skipped":9,"firstId":2}"#).unwrap();
    let want = Strict {
        first_id: 2,
        note: None,
        flag: false,
        skipped: 0,
        last: "z".into(),
    };
    assert_eq!(s, want);
    // A required field missing or null, or a struct given as an array, is an error.
    assert!(json::from_str::<Strict>(r#"{"last":"z"}"#).is_none());
    assert!(json::from_str::<Strict>(r#"{"firstId":2,"last":null}"#).is_none());
    assert!(json::from_str::<Strict>(r#"[2,null,false,"z"]"#).is_none());
}

#[wasm_bindgen_test]
fn raw_outside_json_from_str_is_an_error_not_a_panic() {
    #[derive(Deserialize)]
    struct Holder {
        #[allow(dead_code)]
        raw: Raw,
    }
    let value = serde::de::value::UnitDeserializer::<serde::de::value::Error>::new();
    assert!(Raw::deserialize(value).is_err());
    assert!(json::from_str::<Holder>(r#"{"raw":[1,2]}"#).is_some());
    // A missing Raw is an error, as it is with serde_json.
    assert!(json::from_str::<Holder>("{}").is_none());
}

#[wasm_bindgen_test]
fn saved_state_round_trips() {
    let outbox = json::from_str(&format!(
        r#"[{{"chatId":3,"text":{},"clientMessageId":"c-1","failed":true}},
            {{"chatId":4,"text":"","clientMessageId":"c-2"}}]"#,
        json::string(HOSTILE)
    ))
    .unwrap();
    let saved = Saved {
        open: Some(3),
        draft: HOSTILE.into(),
        outbox,
    };
    let text = json::to_string(&saved).unwrap();
    assert_eq!(
        json::from_str::<Saved>(&text),
        Some(saved.clone()),
        "{text}"
    );
    assert!(saved.outbox[0].failed && !saved.outbox[1].failed);
    let empty = json::to_string(&Saved::default()).unwrap();
    assert_eq!(json::from_str::<Saved>(&empty), Some(Saved::default()));
    assert_eq!(json::from_str::<Saved>("{}"), Some(Saved::default()));
    assert_eq!(json::from_str::<Saved>(r#"{"open":-1}"#), None);
}

#[wasm_bindgen_test]
fn many_decodes_do_not_leak_js_values() {
    // Every JsValue the deserializer takes must go back to wasm-bindgen's heap: a leak shows up as
    // a growing externref table.
    let frame = format!(r#"{{"type":1,"target":"T","arguments":[{MESSAGE},1,"x"]}}"#);
    let run = || {
        for _ in 0..200 {
            let HubMessage::Invocation { arguments, .. } = decode(&frame).unwrap() else {
                unreachable!()
            };
            assert!(arguments[0].decode::<Message>().is_some());
            assert!(arguments[1].decode::<String>().is_none());
            assert!(json::from_str::<Message>(r#"{"id":"bad","media":{"name":1}}"#).is_none());
        }
    };
    run();
    let before = table_size();
    run();
    assert_eq!(table_size(), before);
}

/// The size of wasm-bindgen's externref table, where live JsValues sit.
fn table_size() -> u32 {
    let exports = wasm_bindgen::exports();
    let table = js_sys::Reflect::get(&exports, &"__wbindgen_externrefs".into()).unwrap();
    js_sys::Reflect::get(&table, &"length".into())
        .unwrap()
        .as_f64()
        .unwrap() as u32
}
