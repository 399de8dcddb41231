//! The SignalR hub over a real WebSocket: negotiate, handshake, invocations, events, tenancy,
//! malformed input, keep-alive and Resume.

mod common;

use std::time::Duration;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// How long a connection must stay silent before we conclude nothing more is coming.
const QUIET: Duration = Duration::from_millis(1000);

#[tokio::test]
async fn negotiate_and_connect_rules() {
    let srv = Server::start();
    let (s, neg) = call(
        &srv,
        Method::POST,
        "/chathub/negotiate?negotiateVersion=1",
        Some(DEV),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(neg["negotiateVersion"], 1);
    assert!(neg["connectionId"].is_string() && neg["connectionToken"].is_string());
    assert_eq!(
        neg["availableTransports"],
        json!([{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}])
    );
    // Token in the query string works for negotiate too; none or a bad one is 401.
    let (s, _) = call(
        &srv,
        Method::POST,
        &format!("/chathub/negotiate?negotiateVersion=1&access_token={DEV}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_error(
        &call(
            &srv,
            Method::POST,
            "/chathub/negotiate?negotiateVersion=1",
            None,
            None,
        )
        .await,
        401,
        "missing_token",
    );
    assert_error(
        &call(&srv, Method::POST, "/chathub/negotiate", Some("bad"), None).await,
        401,
        "invalid_token",
    );

    // A connection token is good once; unknown ids are refused before the upgrade.
    let id = neg["connectionToken"].as_str().unwrap();
    let url = format!("{}/chathub?id={id}&access_token={DEV}", srv.ws_url());
    let mut hub = Hub::open(&url).await.expect("first use");
    hub.handshake().await;
    assert!(Hub::open(&url).await.is_err(), "second use");
    assert!(Hub::open(&format!(
        "{}/chathub?id=nope&access_token={DEV}",
        srv.ws_url()
    ))
    .await
    .is_err());
    assert!(
        Hub::open(&format!("{}/chathub?access_token=bad", srv.ws_url()))
            .await
            .is_err()
    );
    assert!(Hub::open(&format!("{}/chathub", srv.ws_url()))
        .await
        .is_err());
    // Skipping negotiate is allowed.
    let mut direct = Hub::open(&format!("{}/chathub?access_token={DEV}", srv.ws_url()))
        .await
        .unwrap();
    direct.handshake().await;

    let (_, v) = call(&srv, Method::GET, "/api/debug/connections", None, None).await;
    assert_eq!(v, json!({"hub": 2}));
    hub.close().await;
    direct.close().await;
    // The count drops once the server notices the close.
    let mut open = 2;
    for _ in 0..100 {
        open = call(&srv, Method::GET, "/api/debug/connections", None, None)
            .await
            .1["hub"]
            .as_i64()
            .unwrap();
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(open, 0);

    // A protocol other than json gets a handshake error.
    let mut mp = Hub::open(&format!("{}/chathub?access_token={DEV}", srv.ws_url()))
        .await
        .unwrap();
    mp.send_raw("{\"protocol\":\"messagepack\",\"version\":1}\u{1e}")
        .await;
    let resp = mp.next_raw().await.unwrap();
    assert!(resp["error"].as_str().unwrap().contains("messagepack"));
    assert!(
        mp.next_raw().await.is_none(),
        "closed after a handshake error"
    );
}

#[tokio::test]
async fn send_message_completion_and_broadcast() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let mark = operator_token(&srv, &company, 2).await;
    let mut olena = Hub::connect(&srv, DEV).await;
    let mut other = Hub::connect(&srv, &mark).await;
    let chat = inbound_chat(&srv, &company, 1, "+380661230000", "Hello").await;

    // New client: ChatCreated, ReceiveMessage, UnreadChanged, in event-id order, to both operators.
    for hub in [&mut olena, &mut other] {
        let created = hub.event("ChatCreated").await;
        let received = hub.event("ReceiveMessage").await;
        let unread = hub.event("UnreadChanged").await;
        assert_eq!(created["arguments"][0]["id"], chat);
        assert_eq!(created["arguments"][0]["client"]["phone"], "+380661230000");
        assert_eq!(received["arguments"][0]["message"], "Hello");
        assert_eq!(
            unread["arguments"].as_array().unwrap()[..2],
            [json!(chat), json!(1)]
        );
        assert!(
            event_id(&created) < event_id(&received) && event_id(&received) < event_id(&unread)
        );
    }

    // SendMessage: the completion carries the stored message; everyone (sender too) gets the event.
    let done = olena
        .invoke("SendMessage", json!([chat, "Hi, how can I help?"]))
        .await;
    let stored = &done["result"];
    assert!(done.get("error").is_none(), "{done}");
    assert_eq!(
        (stored["author"].clone(), stored["chatId"].clone()),
        (json!(0), json!(chat))
    );
    assert!(stored["id"].is_i64() && stored["createdAt"].as_str().unwrap().ends_with('Z'));
    for hub in [&mut olena, &mut other] {
        let ev = hub.event("ReceiveMessage").await;
        assert_eq!(ev["arguments"][0], *stored);
        assert_eq!(ev["arguments"].as_array().unwrap().len(), 2);
    }
    let status = olena.event("ChatStatusChanged").await;
    assert_eq!(
        status["arguments"].as_array().unwrap()[..2],
        [json!(chat), json!(1)]
    );

    // Idempotent: the same clientMessageId gives the same message and one event.
    let a = olena
        .invoke("SendMessage", json!([chat, "Once", "cmid-1"]))
        .await;
    let b = olena
        .invoke("SendMessage", json!([chat, "Once", "cmid-1"]))
        .await;
    assert_eq!(a["result"], b["result"]);
    let events = other.drain_events(QUIET).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e["target"] == "ReceiveMessage")
            .count(),
        1
    );
    olena.drain_events(QUIET).await;

    // Fire-and-forget (no invocationId) and several records in one frame.
    olena
        .send_raw(&format!(
            "{}\u{1e}{}\u{1e}",
            json!({"type": 1, "target": "SendMessage", "arguments": [chat, "one"]}),
            json!({"type": 1, "invocationId": "x2", "target": "sendmessage", "arguments": [chat.to_string(), "two"]})
        ))
        .await;
    let mut texts = Vec::new();
    let mut completions = Vec::new();
    while texts.len() < 2 || completions.is_empty() {
        let v = olena.next().await.expect("message");
        match v["type"].as_i64() {
            Some(1) if v["target"] == "ReceiveMessage" => {
                texts.push(v["arguments"][0]["message"].clone())
            }
            Some(3) => completions.push(v),
            _ => {}
        }
    }
    assert_eq!(texts, vec![json!("one"), json!("two")]);
    assert_eq!(completions.len(), 1);
    assert_eq!(completions[0]["invocationId"], "x2");

    // Errors are completions; the connection stays usable.
    let e = olena.invoke("NoSuchMethod", json!([])).await;
    assert_eq!(e["error"], "Unknown hub method 'NoSuchMethod'");
    let e = olena.invoke("SendMessage", json!([999999, "x"])).await;
    assert_eq!(e["error"], "chat not found");
    let e = olena.invoke("SendMessage", json!(["abc", "x"])).await;
    assert!(e["error"].as_str().unwrap().contains("integer"));
    let e = olena
        .invoke("SendMessage", json!([chat, "a".repeat(4097)]))
        .await;
    assert!(e["error"].as_str().unwrap().contains("4096"));
    let ok = olena
        .invoke("SendMessage", json!([chat, "still open"]))
        .await;
    assert_eq!(ok["result"]["message"], "still open");
}

#[tokio::test]
async fn events_reach_only_the_entitled() {
    let srv = Server::start();
    let a = company_token(&srv, "demo", "demo").await;
    let b = company_token(&srv, "demo2", "demo2").await;
    let op3 = operator_token(&srv, &b, 3).await;
    let mut org1 = Hub::connect(&srv, DEV).await;
    let mut org2 = Hub::connect(&srv, &op3).await;
    let mut company_b = Hub::connect(&srv, &b).await;

    let chat1 = inbound_chat(&srv, &a, 1, "+1001", "for org 1").await;
    let chat2 = inbound_chat(&srv, &b, 2, "+1002", "for org 2").await;
    let e1 = org1.drain_events(QUIET).await;
    let e2 = org2.drain_events(QUIET).await;
    let eb = company_b.drain_events(QUIET).await;
    let chats_of = |evs: &[Value]| -> Vec<i64> {
        evs.iter()
            .filter(|e| e["target"] == "ReceiveMessage")
            .map(|e| e["arguments"][0]["chatId"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(chats_of(&e1), vec![chat1]);
    assert_eq!(chats_of(&e2), vec![chat2]);
    assert_eq!(chats_of(&eb), vec![chat2]);
    assert!(!serde_json::to_string(&e2).unwrap().contains("for org 1"));

    // Hub methods are scoped too.
    let e = org2
        .invoke("SendMessage", json!([chat1, "intrusion"]))
        .await;
    assert_eq!(e["error"], "chat not found");
    let e = org2.invoke("MarkRead", json!([chat1, 1_000_000])).await;
    assert_eq!(e["error"], "chat not found");
    let e = org2.invoke("Typing", json!([chat1])).await;
    assert_eq!(e["error"], "chat not found");
    // Resume does not replay another tenant's events.
    let replay = org2.invoke("Resume", json!([0])).await;
    assert!(replay.get("error").is_none(), "{replay}");
    assert!(org1.drain_events(QUIET).await.is_empty());
}

#[tokio::test]
async fn typing_mark_read_status_and_media_events() {
    use base64::Engine;
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let mut hub = Hub::connect(&srv, DEV).await;
    inbound(&srv, &company, 1, "+1003", "one").await;
    let sent = inbound(&srv, &company, 1, "+1003", "two").await;
    let chat = sent["chatId"].as_i64().unwrap();
    hub.drain_events(QUIET).await;

    let r = hub.invoke("Typing", json!([chat])).await;
    assert_eq!(r["result"], Value::Null);
    let typing = hub.event("Typing").await;
    assert_eq!(typing["arguments"][0], chat);
    assert_eq!(typing["arguments"][1]["operator"]["name"], "Olena");

    // The customer's side types through the channel simulator.
    let customer_typing = |phone: &str| {
        post(
            &srv,
            "/api/channel/typing",
            &company,
            json!({"organizationId": 1, "phone": phone}),
        )
    };
    let r = customer_typing("+1003").await;
    assert_eq!(r.1["chatId"], chat);
    let typing = hub.event("Typing").await;
    assert_eq!(typing["arguments"][0], chat);
    assert_eq!(typing["arguments"][1]["author"], 1);
    assert_eq!(typing["arguments"][1]["client"]["phone"], "+1003");
    let r = customer_typing("+999").await;
    assert_error(&r, 404, "not_found");
    // Every Typing has a newer event id, but the log keeps only the newest: it is never replayed.
    let id = |e: &Value| e["arguments"][2]["eventId"].as_i64().unwrap();
    let mut last = id(&typing);
    for _ in 0..5 {
        customer_typing("+1003").await;
        let next = id(&hub.event("Typing").await);
        assert!(next > last, "event ids keep growing ({last} then {next})");
        last = next;
    }
    let db = rusqlite::Connection::open(srv.db()).unwrap();
    let logged: Vec<i64> = db
        .prepare("SELECT id FROM events WHERE target = 'Typing'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(logged, [last], "one Typing row, the newest");
    hub.drain_events(QUIET).await;

    let r = hub
        .invoke("MarkRead", json!([chat, sent["message"]["id"]]))
        .await;
    assert_eq!(r["result"]["countUnread"], 0);
    let evs = hub.drain_events(QUIET).await;
    let statuses: Vec<&Value> = evs
        .iter()
        .filter(|e| e["target"] == "MessageStatusChanged")
        .collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.iter().all(|e| e["arguments"][1] == 3));
    let unread = evs
        .iter()
        .find(|e| e["target"] == "UnreadChanged")
        .expect("UnreadChanged");
    assert_eq!(
        unread["arguments"].as_array().unwrap()[..2],
        [json!(chat), json!(0)]
    );
    let (_, list) = get(&srv, "/api/chat/chats?phone=%2B1003", DEV).await;
    assert_eq!(list["items"][0]["countUnread"], 0);
    assert_eq!(list["items"][0]["lastMessage"]["status"], 3);

    let (s, _) = chat_status(&srv, DEV, json!({"id": chat, "status": 3})).await;
    assert_eq!(s, 200);
    let ev = hub.event("ChatStatusChanged").await;
    assert_eq!(
        ev["arguments"].as_array().unwrap()[..2],
        [json!(chat), json!(3)]
    );

    let data = base64::engine::general_purpose::STANDARD.encode(b"hello");
    let r = hub
        .invoke("SendMediaMessage", json!([chat, {"Name": "hi.txt", "Format": "text/plain", "DataBase64": data, "Type": 4}]))
        .await;
    assert_eq!(r["result"]["media"]["name"], "hi.txt", "{r}");
    let ev = hub.event("ReceiveMediaMessage").await;
    assert_eq!(ev["arguments"][0]["id"], r["result"]["id"]);
    let e = hub
        .invoke("SendMediaMessage", json!([chat, "not media"]))
        .await;
    assert!(e["error"].is_string());

    // The customer picking up the replies turns them delivered.
    get(
        &srv,
        "/api/channel/outbound?organizationId=1&phone=%2B1003",
        &company,
    )
    .await;
    let ev = hub.event("MessageStatusChanged").await;
    assert_eq!(ev["arguments"][0], r["result"]["id"]);
    assert_eq!(ev["arguments"][1], 1);

    let (s, _) = delete_chat(&srv, chat, DEV).await;
    assert_eq!(s, 200);
    let ev = hub.event("ChatDeleted").await;
    assert_eq!(ev["arguments"][0], chat);
}

/// The server reads each socket a few KiB at a time; a hub message far larger than that (a 3 MiB
/// file, 4 MiB as base64) still arrives whole.
#[tokio::test]
async fn a_media_message_larger_than_the_read_buffer_arrives_whole() {
    use base64::Engine;
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let mut hub = Hub::connect(&srv, DEV).await;
    let chat = inbound_chat(&srv, &company, 1, "+1009", "big one").await;
    hub.drain_events(QUIET).await;
    let bytes: Vec<u8> = (0..3 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let r = hub
        .invoke("SendMediaMessage", json!([chat, {"Name": "big.bin", "Format": "application/octet-stream", "DataBase64": data, "Type": 4}]))
        .await;
    assert_eq!(r["result"]["media"]["name"], "big.bin", "{r}");
    let id = r["result"]["id"].as_i64().unwrap();
    let res = reqwest::Client::new()
        .get(format!("{}/api/chat/{chat}/media/{id}", srv.url))
        .bearer_auth(DEV)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap() == bytes);
    // The socket is still in step after it.
    let r = hub.invoke("SendMessage", json!([chat, "after"])).await;
    assert_eq!(r["result"]["message"], "after", "{r}");
}

#[tokio::test]
async fn malformed_frames_close_with_a_reason() {
    let srv = Server::start();
    for bad in [
        "{not json",
        "[1,2]",
        "{\"target\":\"x\"}",
        "{\"type\":1,\"arguments\":[]}",
        "{\"type\":1,\"target\":\"a\",\"arguments\":{}}",
    ] {
        let mut hub = Hub::connect(&srv, DEV).await;
        hub.send_raw(&format!("{bad}\u{1e}")).await;
        let close = hub.next().await.expect("close message");
        assert_eq!(close["type"], 7, "{bad}: {close}");
        assert!(
            close["error"].as_str().unwrap().contains("error"),
            "{close}"
        );
        assert!(hub.next_raw().await.is_none(), "socket closed after {bad}");
    }
    // Ping and unknown message types are fine.
    let mut hub = Hub::connect(&srv, DEV).await;
    hub.send_raw("{\"type\":6}\u{1e}{\"type\":42,\"x\":1}\u{1e}")
        .await;
    let r = hub.invoke("Resume", json!([null])).await;
    assert!(r.get("error").is_none());
    // A client Close message ends the connection.
    hub.send_raw("{\"type\":7}\u{1e}").await;
    let close = hub.next().await;
    assert!(close.is_none() || close.unwrap()["type"] == 7);
}

#[tokio::test]
async fn a_deactivated_operator_is_disconnected_at_once() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let mark = operator_token(&srv, &company, 2).await;
    let mut gone = Hub::connect(&srv, &mark).await;
    let mut stays = Hub::connect(&srv, DEV).await;

    let (s, _) = operator_status(&srv, &company, 2, 1).await;
    assert_eq!(s, 200);
    // Well before any ping or timeout: the close comes from the status change.
    let close = loop {
        let v = gone
            .next()
            .await
            .expect("a close message before the socket ends");
        if v["type"] == 7 {
            break v;
        }
    };
    assert_eq!(close["error"], "Operator is inactive", "{close}");
    assert_ne!(
        close["allowReconnect"], true,
        "no reconnect invited: {close}"
    );
    assert!(gone.next_raw().await.is_none(), "the socket closed");

    // Others stay connected and keep receiving events.
    let chat = inbound_chat(&srv, &company, 1, "+1077", "still here?").await;
    let ev = stays.event("ChatCreated").await;
    assert_eq!(ev["arguments"][0]["id"], chat);
    // Reactivated, the operator may connect again.
    let (s, _) = operator_status(&srv, &company, 2, 0).await;
    assert_eq!(s, 200);
    let mut back = Hub::connect(&srv, &mark).await;
    let r = back.invoke("Resume", json!([null])).await;
    assert!(r.get("error").is_none(), "{r}");
}

#[tokio::test]
async fn keep_alive_pings_and_client_timeout() {
    let srv = Server::start_args(&[
        "--dev",
        "--jwt-secret",
        SECRET,
        "--hub-ping-secs",
        "1",
        "--hub-timeout-secs",
        "3",
    ]);
    let mut hub = Hub::connect(&srv, DEV).await;
    // The server pings; a silent client is dropped with a close message.
    let first = hub.next_raw().await.expect("ping");
    assert_eq!(first, json!({"type": 6}));
    let mut saw_close = None;
    while let Some(v) = hub.next_raw().await {
        if v["type"] == 7 {
            saw_close = Some(v);
            break;
        }
    }
    let close = saw_close.expect("close after the timeout");
    assert!(
        close["error"].as_str().unwrap().contains("timeout"),
        "{close}"
    );

    // A client that keeps pinging stays connected past the timeout.
    let mut live = Hub::connect(&srv, DEV).await;
    for _ in 0..5 {
        live.send_raw("{\"type\":6}\u{1e}").await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    let r = live.invoke("SendMessage", json!([2, "alive"])).await;
    assert_eq!(r["result"]["message"], "alive");
}

#[tokio::test]
async fn a_resume_from_before_the_pruned_log_is_refused_and_a_later_one_replays() {
    let srv = Server::start_args(&[
        "--dev",
        "--jwt-secret",
        SECRET,
        "--event-retention-secs",
        "1",
    ]);
    let company = company_token(&srv, "demo", "demo").await;
    let mut first = Hub::connect(&srv, DEV).await;
    inbound(&srv, &company, 1, "+3001", "seen").await;
    let seen = first.drain_events(QUIET).await;
    let last_seen = seen.iter().map(event_id).max().expect("events");
    first.close().await;
    // Missed while away, then pruned: a replay from `last_seen` would skip it.
    inbound(&srv, &company, 1, "+3002", "missed").await;

    let mut back = Hub::connect(&srv, DEV).await;
    let mut refused = None;
    for _ in 0..40 {
        let r = back.invoke("Resume", json!([last_seen])).await;
        if r.get("error").is_some() {
            refused = Some(r);
            break;
        }
        // Still kept: the replay brought it, and the next try asks again from the same point.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let refused = refused.expect("the pruned range is refused once the prune has run");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("no longer kept"),
        "{refused}"
    );

    // What happens from now on is logged and replayable as before.
    inbound(&srv, &company, 1, "+3003", "after the prune").await;
    let live = back.drain_events(QUIET).await;
    let newest = live.iter().map(event_id).max().expect("a live event");
    back.close().await;
    let mut again = Hub::connect(&srv, DEV).await;
    let r = again.invoke("Resume", json!([newest])).await;
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(r["result"]["replayed"], 0);
    // The server kept serving throughout.
    let (status, _) = get(&srv, "/api/chat/chats?page=1", DEV).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn resume_after_disconnect_misses_nothing_and_repeats_nothing() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let mut first = Hub::connect(&srv, DEV).await;
    inbound(&srv, &company, 1, "+2001", "before").await;
    let seen = first.drain_events(QUIET).await;
    let last_seen = seen.iter().map(event_id).max().expect("events");
    first.close().await;

    // While disconnected: three customers write, one chat changes status.
    let mut missed_texts = Vec::new();
    for i in 0..3 {
        let text = format!("missed {i}");
        inbound(&srv, &company, 1, &format!("+200{}", i + 2), &text).await;
        missed_texts.push(text);
    }
    chat_status(&srv, DEV, json!({"id": 2, "status": 3})).await;
    // Company B's activity must not show up.
    let b = company_token(&srv, "demo2", "demo2").await;
    inbound(&srv, &b, 2, "+2999", "not yours").await;

    let mut second = Hub::connect(&srv, DEV).await;
    // A live event arrives before Resume is called: it must not be replayed again.
    inbound(&srv, &company, 1, "+2005", "live").await;
    tokio::time::sleep(QUIET).await;
    let r = second.invoke("Resume", json!([last_seen])).await;
    assert!(r.get("error").is_none(), "{r}");
    // And one more after Resume.
    inbound(&srv, &company, 1, "+2006", "after").await;
    let events = second.drain_events(QUIET).await;

    let mut ids: Vec<i64> = events.iter().map(event_id).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "no event twice: {events:?}");
    assert!(ids.iter().all(|id| *id > last_seen));
    let texts: Vec<&str> = events
        .iter()
        .filter(|e| e["target"] == "ReceiveMessage")
        .map(|e| e["arguments"][0]["message"].as_str().unwrap())
        .collect();
    for t in missed_texts
        .iter()
        .map(String::as_str)
        .chain(["live", "after"])
    {
        assert_eq!(
            texts.iter().filter(|x| **x == t).count(),
            1,
            "{t} exactly once in {texts:?}"
        );
    }
    assert!(!texts.contains(&"not yours") && !texts.contains(&"before"));
    assert!(events.iter().any(|e| e["target"] == "ChatStatusChanged"));
    // Every org-1 event after last_seen was delivered: the ids have no gaps except company B's.
    let all_after = second.invoke("Resume", json!([last_seen])).await;
    assert_eq!(
        all_after["result"]["replayed"], 0,
        "everything was already delivered on this connection"
    );
    assert!(second.drain_events(QUIET).await.is_empty());
    assert!(r["result"]["lastEventId"].as_i64().unwrap() > last_seen);

    // A brand-new connection resuming from the same point gets the full set once.
    let mut third = Hub::connect(&srv, DEV).await;
    let r = third.invoke("Resume", json!([last_seen])).await;
    let replayed = third.drain_events(QUIET).await;
    assert_eq!(
        r["result"]["replayed"].as_u64().unwrap() as usize,
        replayed.len()
    );
    let replay_ids: Vec<i64> = replayed.iter().map(event_id).collect();
    assert_eq!(replay_ids, ids, "same events, in order");
}

#[tokio::test]
async fn a_lagging_connection_catches_up_from_the_log() {
    // A tiny live buffer: one MarkRead of 40 messages overflows it.
    let srv = Server::start_args(&["--dev", "--jwt-secret", SECRET, "--event-buffer", "4"]);
    let company = company_token(&srv, "demo", "demo").await;
    let mut last = Value::Null;
    for i in 0..40 {
        last = inbound(&srv, &company, 1, "+3001", &format!("m{i}")).await;
    }
    let chat = last["chatId"].as_i64().unwrap();
    let mut hub = Hub::connect(&srv, DEV).await;
    let mut watcher = Hub::connect(&srv, DEV).await;
    let r = hub
        .invoke("MarkRead", json!([chat, last["message"]["id"]]))
        .await;
    assert_eq!(r["result"]["countUnread"], 0);
    for conn in [&mut hub, &mut watcher] {
        let events = conn.drain_events(QUIET).await;
        let ids: Vec<i64> = events.iter().map(event_id).collect();
        assert_eq!(events.len(), 41, "40 status changes and one UnreadChanged");
        assert!(
            ids.windows(2).all(|w| w[1] == w[0] + 1),
            "in order, none missing, none twice"
        );
        assert_eq!(events.last().unwrap()["target"], "UnreadChanged");
    }
    assert!(srv.log().contains("catching up"), "the lag path was taken");
}

/// `--compat documented` behaves as the hosted ASP.NET Core hub is documented to.
#[tokio::test]
async fn documented_mode_hub_is_the_hosted_one() {
    let srv = Server::start_documented();
    let company = company_token(&srv, "demo", "demo").await;
    let (s, neg) = negotiate(&srv, DEV).await;
    assert_eq!(s, 200);
    assert!(neg.get("chathubExtensions").is_none(), "{neg}");
    let mut hub = Hub::connect(&srv, DEV).await;

    // A new customer: ChatCreated and ReceiveMessage only, documented fields only, no eventId.
    let chat = inbound_chat(&srv, &company, 1, "+4001", "Hello").await;
    let evs = hub.drain_events(QUIET).await;
    let targets: Vec<&str> = evs.iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["ChatCreated", "ReceiveMessage"], "{evs:?}");
    assert_eq!(evs[0]["arguments"].as_array().unwrap().len(), 1);
    assert_eq!(keys(&evs[0]["arguments"][0]), sorted(DOCUMENTED_CHAT));
    assert_eq!(evs[0]["arguments"][0]["theme"], "Hello");
    assert_eq!(evs[1]["arguments"].as_array().unwrap().len(), 1);
    assert_eq!(keys(&evs[1]["arguments"][0]), sorted(DOCUMENTED_MESSAGE));

    // SendMessage with exactly two arguments: a void completion (no `result` key at all).
    hub.send_raw(&format!(
        "{}\u{1e}",
        json!({"type": 1, "invocationId": "s1", "target": "SendMessage", "arguments": [chat, "hi"]})
    ))
    .await;
    let msgs = hub.drain(QUIET).await;
    let done = msgs.iter().find(|m| m["type"] == 3).expect("completion");
    assert_eq!(*done, json!({"type": 3, "invocationId": "s1"}));
    let sent = msgs
        .iter()
        .find(|m| m["target"] == "ReceiveMessage")
        .expect("ReceiveMessage");
    assert_eq!(sent["arguments"].as_array().unwrap().len(), 1);
    assert_eq!(keys(&sent["arguments"][0]), sorted(DOCUMENTED_MESSAGE));
    assert_eq!(sent["arguments"][0]["message"], "hi");
    let status = msgs
        .iter()
        .find(|m| m["target"] == "ChatStatusChanged")
        .expect("ChatStatusChanged");
    assert_eq!(status["arguments"], json!([chat, 1]));

    // Strict binding: any other argument count fails, with ASP.NET Core's texts.
    for (method, args, n) in [
        ("SendMessage", json!([chat, "hi", "cmid-1"]), 3),
        ("SendMessage", json!([chat]), 1),
        (
            "SendMediaMessage",
            json!([chat, {"Name": "a.txt", "DataBase64": "aGk="}, "x"]),
            3,
        ),
    ] {
        let e = hub.invoke(method, args).await;
        assert_eq!(
            e,
            json!({"type": 3, "invocationId": e["invocationId"], "error": format!("Failed to invoke '{method}' due to an error on the server.")})
        );
        assert!(
            srv.log().contains(&format!(
                "Invocation provides {n} argument(s) but target expects 2."
            )),
            "{method}/{n} logged"
        );
    }
    // Our methods do not exist here.
    for method in ["Typing", "MarkRead", "Resume", "NoSuchMethod"] {
        let e = hub.invoke(method, json!([chat, 1])).await;
        assert_eq!(e["error"], format!("Unknown hub method '{method}'"));
        assert!(e.get("result").is_none());
    }
    // SendMediaMessage with two arguments works, and is void too.
    let r = hub
        .invoke(
            "SendMediaMessage",
            json!([chat, {"Name": "a.txt", "Format": "text/plain", "DataBase64": "aGk=", "Type": 4}]),
        )
        .await;
    assert_eq!(keys(&r), sorted(&["type", "invocationId"]), "{r}");
    let media = hub.event("ReceiveMediaMessage").await;
    assert_eq!(keys(&media["arguments"][0]), sorted(DOCUMENTED_MESSAGE));
    assert_eq!(media["arguments"][0]["media"]["name"], "a.txt");
    hub.drain(QUIET).await;

    // Fire-and-forget of an unknown or mis-bound method: no answer at all.
    hub.send_raw(&format!(
        "{}\u{1e}{}\u{1e}",
        json!({"type": 1, "target": "Typing", "arguments": [chat]}),
        json!({"type": 1, "target": "SendMessage", "arguments": [chat, "x", "y"]}),
    ))
    .await;
    assert!(hub.drain(QUIET).await.is_empty(), "nothing answers");

    // Events of ours are not sent: no Typing, UnreadChanged or ChatDeleted; the documented ones carry
    // no eventId.
    post(
        &srv,
        "/api/channel/typing",
        &company,
        json!({"organizationId": 1, "phone": "+4001"}),
    )
    .await;
    inbound(&srv, &company, 1, "+4001", "again").await;
    get(
        &srv,
        "/api/channel/outbound?organizationId=1&phone=%2B4001",
        &company,
    )
    .await;
    chat_status(&srv, DEV, json!({"id": chat, "status": 4})).await;
    let (s, _) = delete_chat(&srv, chat, DEV).await;
    assert_eq!(s, 200);
    let evs = hub.drain_events(QUIET).await;
    let targets: Vec<&str> = evs.iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert_eq!(
        targets,
        [
            "ReceiveMessage",
            "MessageStatusChanged",
            "MessageStatusChanged",
            "ChatStatusChanged"
        ],
        "{evs:?}"
    );
    assert_eq!(evs[1]["arguments"].as_array().unwrap().len(), 2);
    assert_eq!(evs[3]["arguments"], json!([chat, 4]));
    // The connection is still usable after every refusal.
    let e = hub.invoke("SendMessage", json!([chat, "deleted"])).await;
    assert_eq!(e["error"], "chat not found");
}

/// Full mode announces its extensions and they work, with the ASP.NET Core binding rule on the
/// argument count (2 or 3).
#[tokio::test]
async fn full_mode_extensions_and_message_operator() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let mark = operator_token(&srv, &company, 2).await;
    let (_, neg) = negotiate(&srv, &mark).await;
    assert_eq!(
        neg["chathubExtensions"],
        json!([
            "clientMessageId",
            "Typing",
            "MarkRead",
            "Resume",
            "eventId",
            "messageOperator",
            "chatFields",
            "ChatDeleted"
        ])
    );
    let mut hub = Hub::connect(&srv, &mark).await;
    let chat = inbound_chat(&srv, &company, 1, "+4101", "Hi").await;
    let customer = hub.event("ReceiveMessage").await;
    assert_eq!(customer["arguments"][0]["operator"], Value::Null);
    hub.drain(QUIET).await;

    // The completion result and the event both name the operator who wrote it.
    let done = hub.invoke("SendMessage", json!([chat, "From Mark"])).await;
    assert_eq!(done["result"]["operator"], json!({"id": 2, "name": "Mark"}));
    let ev = hub.event("ReceiveMessage").await;
    assert_eq!(ev["arguments"][0], done["result"]);
    assert!(event_id(&ev) > 0);
    let media = hub
        .invoke(
            "SendMediaMessage",
            json!([chat, {"Name": "a.txt", "DataBase64": "aGk="}, "media-1"]),
        )
        .await;
    assert_eq!(media["result"]["operator"]["name"], "Mark");
    assert_eq!(media["result"]["clientMessageId"], "media-1");
    let once = hub
        .invoke("SendMessage", json!([chat, "x", "cmid-9"]))
        .await;
    let twice = hub
        .invoke("SendMessage", json!([chat, "x", "cmid-9"]))
        .await;
    assert_eq!(once["result"], twice["result"]);
    for (args, n) in [(json!([chat]), 1), (json!([chat, "x", "c", "extra"]), 4)] {
        let e = hub.invoke("SendMessage", args).await;
        assert_eq!(
            e["error"],
            "Failed to invoke 'SendMessage' due to an error on the server."
        );
        assert!(srv.log().contains(&format!(
            "Invocation provides {n} argument(s) but target expects 2 or 3."
        )));
    }

    // History pages carry it; a company-token send has none.
    send_message(
        &srv,
        chat,
        &company,
        json!({"textMessage": "From the company"}),
    )
    .await;
    let (_, page) = get(&srv, &format!("/api/chat/{chat}/messages"), &mark).await;
    let by: Vec<(Value, Value)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["message"].clone(), m["operator"]["name"].clone()))
        .collect();
    assert!(by.contains(&(json!("From Mark"), json!("Mark"))), "{by:?}");
    assert!(
        by.contains(&(json!("From the company"), Value::Null)),
        "{by:?}"
    );
    assert!(by.contains(&(json!("Hi"), Value::Null)), "{by:?}");
}

/// Deleting a chat tells the operators who could see it, with an event id; nobody else.
#[tokio::test]
async fn chat_deleted_reaches_the_chats_operators_only() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let b = company_token(&srv, "demo2", "demo2").await;
    let op3 = operator_token(&srv, &b, 3).await;
    let chat = inbound_chat(&srv, &company, 1, "+4201", "bye").await;
    let mut same_org = Hub::connect(&srv, DEV).await;
    let mut other = Hub::connect(&srv, &op3).await;
    let (s, _) = delete_chat(&srv, chat, &company).await;
    assert_eq!(s, 200);
    let ev = same_org.event("ChatDeleted").await;
    assert_eq!(ev["arguments"][0], chat);
    assert_eq!(ev["arguments"].as_array().unwrap().len(), 2);
    assert!(event_id(&ev) > 0);
    assert!(other.drain_events(QUIET).await.is_empty());
}

/// SIGTERM and SIGINT: every hub connection gets SignalR's Close with allowReconnect, then the
/// process exits cleanly.
#[tokio::test]
async fn shutdown_signals_close_every_connection() {
    for signal in ["TERM", "INT"] {
        for args in [&["--compat", "full"][..], &["--compat", "documented"][..]] {
            let mut all = vec!["--dev", "--jwt-secret", SECRET];
            all.extend_from_slice(args);
            let mut srv = Server::start_args(&all);
            let company = company_token(&srv, "demo", "demo").await;
            let mut hubs = vec![
                Hub::connect(&srv, DEV).await,
                Hub::connect(&srv, &company).await,
            ];
            srv.signal(signal);
            for hub in &mut hubs {
                let close = hub.next().await.expect("a close message");
                assert_eq!(
                    close,
                    json!({"type": 7, "error": "Server is shutting down.", "allowReconnect": true}),
                    "SIG{signal} {args:?}"
                );
                assert!(hub.next_raw().await.is_none(), "then the socket ends");
            }
            let status = srv.exited().await.expect("the server exits");
            assert!(status.success(), "SIG{signal}: {status}");
        }
    }
}

/// A token that no longer stands for an active operator cannot negotiate: inactive 403, expired
/// or invalid 401.
#[tokio::test]
async fn negotiate_refuses_inactive_operators_and_bad_tokens() {
    for srv in [Server::start(), Server::start_documented()] {
        let company = company_token(&srv, "demo", "demo").await;
        let mark = operator_token(&srv, &company, 2).await;
        let mut hub = Hub::connect(&srv, &mark).await;
        operator_status(&srv, &company, 2, 1).await;
        let close = loop {
            let v = hub.next().await.expect("close");
            if v["type"] == 7 {
                break v;
            }
        };
        assert_eq!(close, json!({"type": 7, "error": "Operator is inactive"}));
        assert_error(&negotiate(&srv, &mark).await, 403, "forbidden");

        let now = chrono::Utc::now().timestamp();
        let expired = forge(
            json!({"sub": "operator:1", "kind": "operator", "cid": 1, "org": 1,
            "op": 1, "iat": now - 100, "exp": now - 10}),
        );
        assert_error(&negotiate(&srv, &expired).await, 401, "token_expired");
        assert_error(&negotiate(&srv, "not-a-jwt").await, 401, "invalid_token");
    }
}

#[tokio::test]
async fn a_flood_of_invocations_is_refused_past_the_rate_limit_and_the_connection_goes_on() {
    let srv = Server::start_args(&["--dev", "--jwt-secret", SECRET, "--rate-limit", "10"]);
    let mut hub = Hub::connect(&srv, DEV).await;
    // Fifty invocations in one frame: more than ten a second allows.
    let flood: String = (1..=50)
        .map(|i| {
            let msg = json!({"type": 1, "invocationId": format!("f{i}"), "target": "Typing", "arguments": [1]});
            format!("{msg}{RS}")
        })
        .collect();
    hub.send_raw(&flood).await;
    let mut answered = 0;
    let mut refused = 0;
    while answered < 50 {
        let v = hub.next().await.expect("a completion for every invocation");
        if v["type"] != 3 {
            continue;
        }
        answered += 1;
        if let Some(e) = v["error"].as_str() {
            assert!(e.contains("Too many invocations"), "{v}");
            refused += 1;
        }
    }
    assert!(refused > 0, "fifty at once exceed ten a second");
    assert!(refused < 50, "the budget's first ones ran");
    // Within the budget again, the same connection works.
    let mut sent = None;
    for _ in 0..20 {
        let r = hub
            .invoke("SendMessage", json!([2, "after the flood"]))
            .await;
        if r.get("error").is_none() {
            sent = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        sent.expect("sent once the budget refilled")["result"]["message"],
        "after the flood"
    );
}
