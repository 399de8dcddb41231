//! Fuzz-style tests over the wire: mutated request bodies and hub frames never cause a server
//! error or a crash; every refusal carries the error body.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{json, Value};

fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 2 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::from(rng.random::<bool>()),
        2 => Value::from(rng.random::<i64>()),
        3 => Value::from(rng.random::<f64>() * 1e6),
        4 => Value::from(
            (0..rng.random_range(0..12))
                .map(|_| rng.random::<char>())
                .collect::<String>(),
        ),
        5 => Value::from(
            (0..rng.random_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect::<Vec<_>>(),
        ),
        _ => {
            let keys = [
                "id",
                "status",
                "text",
                "textMessage",
                "organizationId",
                "client",
                "media",
                "token",
                "name",
            ];
            let mut m = serde_json::Map::new();
            for _ in 0..rng.random_range(0..4) {
                m.insert(
                    keys[rng.random_range(0..keys.len())].to_string(),
                    random_value(rng, depth + 1),
                );
            }
            Value::Object(m)
        }
    }
}

/// Change one field's value, drop one, truncate the text or flip a byte.
fn mutate(rng: &mut StdRng, template: &Value) -> Vec<u8> {
    let mut v = template.clone();
    match rng.random_range(0..5) {
        0 => {
            if let Some(obj) = v.as_object_mut() {
                let keys: Vec<String> = obj.keys().cloned().collect();
                if !keys.is_empty() {
                    let k = &keys[rng.random_range(0..keys.len())];
                    obj.insert(k.clone(), random_value(rng, 0));
                }
            }
            v.to_string().into_bytes()
        }
        1 => {
            if let Some(obj) = v.as_object_mut() {
                let keys: Vec<String> = obj.keys().cloned().collect();
                if !keys.is_empty() {
                    obj.remove(&keys[rng.random_range(0..keys.len())]);
                }
            }
            v.to_string().into_bytes()
        }
        2 => {
            let s = v.to_string().into_bytes();
            s[..rng.random_range(0..=s.len())].to_vec()
        }
        3 => {
            let mut s = v.to_string().into_bytes();
            if !s.is_empty() {
                let i = rng.random_range(0..s.len());
                s[i] = rng.random();
            }
            s
        }
        _ => random_value(rng, 0).to_string().into_bytes(),
    }
}

#[tokio::test]
async fn mutated_request_bodies_never_cause_a_server_error() {
    let srv = Server::start_args(&["--dev", "--jwt-secret", SECRET, "--rate-limit", "100000"]);
    let company = company_token(&srv, "demo", "demo").await;
    let templates: Vec<(Method, &str, &str, Value)> = vec![
        (
            Method::POST,
            "/api/company/get-token",
            "",
            json!({"login": "demo", "password": "demo"}),
        ),
        (
            Method::POST,
            "/api/operator/get-token",
            &company,
            json!({"id": 1, "expiresAt": "2030-01-01T00:00:00Z"}),
        ),
        (
            Method::POST,
            "/api/operator/validate-token",
            &company,
            json!({"token": DEV}),
        ),
        (
            Method::POST,
            "/api/operator/synchronize",
            &company,
            json!([{"organizationId": 1, "name": "Fuzz"}]),
        ),
        (
            Method::POST,
            "/api/operator/status",
            &company,
            json!({"id": 2, "status": 0}),
        ),
        (
            Method::PUT,
            "/api/chat/status",
            DEV,
            json!({"id": 2, "status": 1}),
        ),
        (
            Method::POST,
            "/api/chat/2/message",
            DEV,
            json!({"textMessage": "x", "author": 0, "media": null, "clientMessageId": "c"}),
        ),
        (
            Method::POST,
            "/api/channel/inbound",
            &company,
            json!({"organizationId": 1, "source": 0, "client": {"name": "F", "phone": "+1"}, "text": "hi"}),
        ),
    ];
    let client = http();
    let mut rng = StdRng::seed_from_u64(0x5eed);
    for round in 0..400 {
        let (method, path, token, template) = &templates[round % templates.len()];
        let body = mutate(&mut rng, template);
        let mut req = client
            .request(method.clone(), format!("{}{path}", srv.url))
            .body(body.clone());
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("server answers");
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(
            status.as_u16() < 500,
            "{path} {} -> {status} {text}",
            String::from_utf8_lossy(&body)
        );
        if status.is_client_error() {
            let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: {text}"));
            assert!(v["code"].is_string() && v["error"].is_string(), "{v}");
        }
    }
    // Query strings too.
    for _ in 0..100 {
        let junk: String = (0..rng.random_range(0..30))
            .map(|_| rng.random_range(b'!'..=b'~') as char)
            .collect();
        for path in [
            "/api/chat/chats?",
            "/api/chat/2/messages?",
            "/api/channel/outbound?",
            "/api/operator?",
        ] {
            let res = client
                .get(format!("{}{path}{junk}", srv.url))
                .bearer_auth(if path.contains("chat/") {
                    DEV
                } else {
                    &company
                })
                .send()
                .await;
            if let Ok(res) = res {
                assert!(
                    res.status().as_u16() < 500,
                    "{path}{junk} -> {}",
                    res.status()
                );
            }
        }
    }
}

#[tokio::test]
async fn mutated_hub_frames_never_crash_the_server() {
    // Reconnecting after every close would otherwise hit the per-token rate limit.
    let srv = Server::start_args(&["--dev", "--jwt-secret", SECRET, "--rate-limit", "100000"]);
    let templates = [
        json!({"type": 1, "invocationId": "1", "target": "SendMessage", "arguments": [2, "hi", "cm"]}),
        json!({"type": 1, "invocationId": "2", "target": "MarkRead", "arguments": [2, 10]}),
        json!({"type": 1, "invocationId": "3", "target": "Resume", "arguments": [0]}),
        json!({"type": 1, "invocationId": "4", "target": "Typing", "arguments": [2]}),
        json!({"type": 1, "invocationId": "5", "target": "SendMediaMessage", "arguments": [2, {"Name": "a", "DataBase64": "aGk="}]}),
        json!({"type": 4, "invocationId": "6", "target": "Stream", "arguments": []}),
        json!({"type": 6}),
    ];
    let mut rng = StdRng::seed_from_u64(0xf00d);
    let mut hub = Hub::connect(&srv, DEV).await;
    for round in 0..300 {
        let bytes = mutate(&mut rng, &templates[round % templates.len()]);
        let mut frame = String::from_utf8_lossy(&bytes).replace('\u{1e}', "");
        frame.push('\u{1e}');
        hub.send_raw(&frame).await;
        // Either an answer, a close, or nothing (fire-and-forget); a closed socket is replaced.
        let answer = hub.next_within(std::time::Duration::from_millis(200)).await;
        let closed = match answer {
            None => true,
            Some(v) => v["type"] == 7,
        };
        if closed && round % 7 != 6 {
            hub = Hub::connect(&srv, DEV).await;
        }
    }
    // Still serving.
    let r = hub.invoke("SendMessage", json!([2, "survived"])).await;
    assert_eq!(r["result"]["message"], "survived", "{r}");
}
