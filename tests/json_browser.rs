//! Browser tests of the wasm JSON door (`JSON.parse`/`JSON.stringify` with serde-wasm-bindgen):
//! the crate's real types, lenient reading, and wrong input answered with `None`, never a panic.
#![cfg(target_arch = "wasm32")]

use operator_chat_panel::codec::{decode, HubMessage};
use operator_chat_panel::json::{self, Raw};
use operator_chat_panel::model::{Chat, ChatPage, Message, MessagePage};
use operator_chat_panel::state::{update, Draft, Msg, Phase, Saved, State};
use serde::{Deserialize, Serialize};
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
fn a_message_event_detail_is_the_servers_object() {
    let v: Raw = json::from_str(MESSAGE).unwrap();
    let js = v.to_js();
    let get = |k: &str| js_sys::Reflect::get(&js, &k.into()).unwrap();
    assert_eq!(get("id").as_f64(), Some(7.0));
    assert_eq!(get("clientMessageId").as_string().as_deref(), Some("c-1"));
    let media = get("media");
    assert_eq!(
        js_sys::Reflect::get(&media, &"name".into())
            .unwrap()
            .as_string()
            .as_deref(),
        Some("a.png")
    );
}

#[wasm_bindgen_test]
fn to_string_writes_what_json_parse_reads() {
    #[derive(Serialize)]
    struct Out<'a> {
        id: u64,
        message: &'a str,
        flag: bool,
        list: (&'a str, Option<u8>),
    }
    let text = json::to_string(&Out {
        id: 9_007_199_254_740_991,
        message: HOSTILE,
        flag: false,
        list: (HOSTILE, None),
    });
    let back = js_sys::JSON::parse(&text).unwrap();
    let get = |k: &str| js_sys::Reflect::get(&back, &k.into()).unwrap();
    assert_eq!(get("id").as_f64(), Some(9_007_199_254_740_991.0));
    assert_eq!(get("message").as_string().as_deref(), Some(HOSTILE));
    assert_eq!(get("flag").as_bool(), Some(false));
    let list: js_sys::Array = get("list").into();
    assert_eq!(list.get(0).as_string().as_deref(), Some(HOSTILE));
    assert!(list.get(1).is_null());
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
    let [full, bare]: [Chat; 2] = page.items.try_into().unwrap();
    assert_eq!((full.id, full.chat_status, full.count_unread), (1, 2, 4));
    assert_eq!(full.source, Some(1));
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
    assert_eq!(json::from_str::<u64>("null"), None);
}

#[wasm_bindgen_test]
fn wrong_types_are_none_not_a_panic() {
    for bad in [
        r#"{"id":"1"}"#,
        r#"{"id":true}"#,
        r#"{"message":5}"#,
        r#"{"media":"x"}"#,
        r#"{"createdAt":{}}"#,
        r#"{"author":256}"#,
        r#"{"status":-1}"#,
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
    assert_eq!(json::from_str::<u8>("255"), Some(255));
    assert_eq!(json::from_str::<u8>("256"), None);
    assert_eq!(json::from_str::<u32>("4294967296"), None);
}

#[wasm_bindgen_test]
fn hostile_strings_survive_both_ways() {
    let lit = json::to_string(HOSTILE);
    assert_eq!(json::from_str::<String>(&lit).as_deref(), Some(HOSTILE));
    let map: std::collections::BTreeMap<String, Option<String>> =
        json::from_str(&format!("{{{lit}:{lit},\"k\":\"v\",\"n\":null}}")).unwrap();
    assert_eq!(map[HOSTILE].as_deref(), Some(HOSTILE));
    assert_eq!(map["k"].as_deref(), Some("v"));
    assert_eq!(map["n"], None);
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
    assert_eq!(arguments[3].decode::<String>(), None);
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
fn required_fields_refuse_when_missing() {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Strict {
        first_id: u64,
        note: Option<String>,
    }
    let s: Strict = json::from_str(r#"{"note":"z","extra":[1],"firstId":2}"#).unwrap();
    assert_eq!((s.first_id, s.note.as_deref()), (2, Some("z")));
    assert!(json::from_str::<Strict>(r#"{"note":"z"}"#).is_none());
    assert!(json::from_str::<Strict>(r#"{"firstId":null}"#).is_none());
    assert!(json::from_str::<Strict>(r#"{"firstId":1,"note":[]}"#).is_none());
    assert!(json::from_str::<Strict>(r#"[2,"z"]"#).is_none());
}

#[wasm_bindgen_test]
fn saved_state_round_trips() {
    let outbox = json::from_str(&format!(
        r#"[{{"chatId":3,"text":{},"clientMessageId":"c-1","phase":"failed"}},
            {{"chatId":4,"text":"","clientMessageId":"c-2",
              "media":{{"name":{},"format":"png","dataBase64":"AA==","kind":1}}}}]"#,
        json::to_string(HOSTILE),
        json::to_string(HOSTILE)
    ))
    .unwrap();
    let saved = Saved {
        open: Some(3),
        drafts: vec![Draft {
            chat_id: 3,
            text: HOSTILE.into(),
        }],
        outbox,
        draft: String::new(),
    };
    let mut state = State::default();
    update(&mut state, Msg::Restore(saved.clone()));
    let text = state.saved_json().unwrap();
    assert_eq!(
        json::from_str::<Saved>(&text),
        Some(saved.clone()),
        "{text}"
    );
    assert_eq!(saved.outbox[0].phase, Phase::Failed);
    assert_eq!(saved.outbox[1].phase, Phase::Waiting);
    assert_eq!(saved.outbox[1].media.as_ref().unwrap().name, HOSTILE);
    assert_eq!(State::default().saved_json(), None);
    assert_eq!(json::from_str::<Saved>("{}"), Some(Saved::default()));
    assert_eq!(json::from_str::<Saved>(r#"{"open":-1}"#), None);
    assert_eq!(
        json::from_str::<Saved>(r#"{"outbox":[{"text":"no chat"}]}"#),
        None
    );
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
