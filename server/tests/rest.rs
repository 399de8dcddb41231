//! REST endpoints over real loopback HTTP, each test with a fresh database.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn integrator_flow_and_company_endpoints() {
    let srv = Server::start();
    // Bad credentials.
    let bad = login(&srv, json!({"login":"demo","password":"x"})).await;
    assert_error(&bad, 401, "invalid_credentials");
    let bad = login(&srv, json!({"login":"nobody","password":"demo"})).await;
    assert_error(&bad, 401, "invalid_credentials");
    // Lenient casing.
    let (s, _) = login(&srv, json!({"Login":"demo","Password":"demo"})).await;
    assert_eq!(s, 200);

    let company = company_token(&srv, "demo", "demo").await;
    let (s, orgs) = get(&srv, "/api/company/organization", &company).await;
    assert_eq!(s, 200);
    assert_eq!(orgs, json!([{"id": 1, "name": "Demo Support"}]));

    let (s, ops) = get(&srv, "/api/operator?organizationId=1", &company).await;
    assert_eq!(s, 200);
    assert_eq!(
        ops,
        json!([
            {"id": 1, "name": "Olena", "status": 0, "organization": {"id": 1, "name": "Demo Support"}},
            {"id": 2, "name": "Mark", "status": 0, "organization": {"id": 1, "name": "Demo Support"}},
        ])
    );
    assert_error(
        &get(&srv, "/api/operator?organizationId=x", &company).await,
        400,
        "bad_request",
    );
    // An empty value is no filter, as in the chat list: the company's operators, all of them.
    let (s, all) = get(&srv, "/api/operator?organizationId=", &company).await;
    assert_eq!(s, 200);
    assert_eq!(all, get(&srv, "/api/operator", &company).await.1);
    assert!(all.as_array().unwrap().len() >= 2);

    // Synchronize creates, and a repeat returns the same operator.
    let (s, created) = synchronize(
        &srv,
        &company,
        json!([{"organizationId": 1, "name": "Alex"}]),
    )
    .await;
    assert_eq!(s, 200);
    let alex = created[0]["id"].as_i64().unwrap();
    assert_eq!(created, json!([{"id": alex, "name": "Alex", "status": 0}]));
    let (_, again) = synchronize(
        &srv,
        &company,
        json!([{"organizationId": "1", "name": "Alex"}]),
    )
    .await;
    assert_eq!(again[0]["id"], alex);
    assert_error(
        &synchronize(
            &srv,
            &company,
            json!([{"organizationId": 2, "name": "Eve"}]),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &synchronize(&srv, &company, json!([{"organizationId": 1, "name": ""}])).await,
        400,
        "bad_request",
    );
    assert_error(
        &synchronize(&srv, &company, json!({"organizationId": 1})).await,
        400,
        "bad_request",
    );

    // Operator status: 200 with an empty body; then the operator cannot get a token.
    let (s, body) = operator_status(&srv, &company, alex, 1).await;
    assert_eq!((s.as_u16(), body), (200, Value::String(String::new())));
    assert_error(
        &operator_status(&srv, &company, alex, 9).await,
        400,
        "bad_request",
    );
    assert_error(
        &operator_status(&srv, &company, 3, 1).await,
        404,
        "not_found",
    );
    assert_error(
        &request_operator_token(&srv, &company, json!({"id": alex})).await,
        400,
        "bad_request",
    );

    // Operator token and validation.
    let op = operator_token(&srv, &company, 1).await;
    let (s, v) = validate_token(&srv, &company, &op).await;
    assert_eq!(s, 200);
    assert_eq!(v["isValid"], true);
    assert_eq!(v["operatorId"], 1);
    assert_eq!(v["clientId"], 1);
    assert_eq!(v["error"], Value::Null);
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'));
    let (_, v) = validate_token(&srv, &company, "garbage").await;
    assert_eq!(v, json!({"isValid": false, "error": "Invalid token"}));
    let (_, v) = validate_token(&srv, &company, &company).await;
    assert_eq!(v["isValid"], false);
}

#[tokio::test]
async fn operator_token_24_hour_rule() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let at = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
    let get_token = |body: Value| request_operator_token(&srv, &company, body);
    let (s, _) = get_token(json!({"id": 1, "expiresAt": at(24)})).await;
    assert_eq!(s, 200, "exactly 24 h is allowed");
    let r = get_token(json!({"id": 1, "expiresAt": at(25)})).await;
    assert_error(&r, 400, "bad_request");
    let r = get_token(json!({"id": 1, "expiresAt": at(-1)})).await;
    assert_error(&r, 400, "bad_request");
    let r = get_token(json!({"id": 1, "expiresAt": "soon"})).await;
    assert_error(&r, 400, "bad_request");
    let r = get_token(json!({"id": 999, "expiresAt": at(1)})).await;
    assert_error(&r, 404, "not_found");
    // Another company's operator is "not found".
    let r = get_token(json!({"id": 3, "expiresAt": at(1)})).await;
    assert_error(&r, 404, "not_found");
    // Lenient: the id as a string, no expiry (means 24 h).
    let (s, t) = get_token(json!({"id": "2"})).await;
    assert_eq!(s, 200);
    let (_, v) = validate_token(&srv, &company, t).await;
    assert_eq!(v["operatorId"], 2);
}

#[tokio::test]
async fn token_expiry_tampering_and_kind() {
    let srv = Server::start();
    let now = chrono::Utc::now().timestamp();
    let claims = |iat: i64, exp: i64| json!({"sub": "operator:1", "kind": "operator", "cid": 1, "org": 1, "op": 1, "iat": iat, "exp": exp});

    // No token, garbage, expired, tampered, wrong secret, over 24 h, another company's claims.
    assert_error(
        &call(&srv, Method::GET, "/api/chat/chats", None, None).await,
        401,
        "missing_token",
    );
    assert_error(
        &get(&srv, "/api/chat/chats", "garbage").await,
        401,
        "invalid_token",
    );
    let expired = forge(claims(now - 100, now - 10));
    assert_error(
        &get(&srv, "/api/chat/chats", &expired).await,
        401,
        "token_expired",
    );
    let (_, v) = validate_token(&srv, DEV, &expired).await;
    assert_eq!(v, json!({"isValid": false, "error": "Token expired"}));
    let good = forge(claims(now, now + 600));
    assert_eq!(get(&srv, "/api/chat/chats", &good).await.0, 200);
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    // Same signature, payload claiming operator 3 of company 2.
    use base64::Engine;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        json!({"sub": "operator:3", "kind": "operator", "cid": 2, "org": 2, "op": 3, "iat": now, "exp": now + 600}).to_string(),
    );
    assert_error(
        &get(&srv, "/api/chat/chats", &parts.join(".")).await,
        401,
        "invalid_token",
    );
    let other_secret = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims(now, now + 600),
        &jsonwebtoken::EncodingKey::from_secret(b"not the secret"),
    )
    .unwrap();
    assert_error(
        &get(&srv, "/api/chat/chats", &other_secret).await,
        401,
        "invalid_token",
    );
    let overlong = forge(claims(now, now + 48 * 3600));
    assert_error(
        &get(&srv, "/api/chat/chats", &overlong).await,
        401,
        "invalid_token",
    );
    // Claims that do not match the store (operator 1 is not in org 2).
    let mismatched = forge(
        json!({"sub": "x", "kind": "operator", "cid": 2, "org": 2, "op": 1, "iat": now, "exp": now + 600}),
    );
    assert_error(
        &get(&srv, "/api/chat/chats", &mismatched).await,
        401,
        "invalid_token",
    );
    // Operator tokens on company endpoints.
    assert_error(
        &get(&srv, "/api/company/organization", &good).await,
        403,
        "wrong_token_kind",
    );
    assert_error(
        &get(&srv, "/api/operator?organizationId=1", DEV).await,
        403,
        "wrong_token_kind",
    );
    assert_error(
        &request_operator_token(&srv, DEV, json!({"id": 1})).await,
        403,
        "wrong_token_kind",
    );
    assert_error(
        &post(&srv, "/api/channel/inbound", DEV, json!({})).await,
        403,
        "wrong_token_kind",
    );
    // An inactive operator's token stops working.
    let company = company_token(&srv, "demo", "demo").await;
    let mark = operator_token(&srv, &company, 2).await;
    assert_eq!(get(&srv, "/api/chat/chats", &mark).await.0, 200);
    operator_status(&srv, &company, 2, 1).await;
    assert_error(&get(&srv, "/api/chat/chats", &mark).await, 403, "forbidden");
    operator_status(&srv, &company, 2, 2).await;
    assert_error(
        &get(&srv, "/api/chat/chats", &mark).await,
        401,
        "invalid_token",
    );
}

#[tokio::test]
async fn dev_conveniences() {
    let srv = Server::start();
    let (s, v) = call(&srv, Method::GET, "/api/chathub/token", None, None).await;
    assert_eq!(s, 200);
    let token = v["token"].as_str().unwrap();
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiresAt"].as_str().unwrap()).unwrap();
    let left = exp.timestamp() - chrono::Utc::now().timestamp();
    assert!((23 * 3600..=24 * 3600).contains(&left), "{left}");
    let (_, chats) = get(&srv, "/api/chat/chats", token).await;
    assert!(chats["total"].as_i64().unwrap() >= 4);
    assert_eq!(get(&srv, "/api/chat/chats", DEV).await.1, chats);
    let (s, v) = call(&srv, Method::GET, "/api/debug/connections", None, None).await;
    assert_eq!((s.as_u16(), v), (200, json!({"hub": 0})));

    // Without --dev: nothing seeded, no dev token, no literal token.
    let plain = Server::start_args(&["--jwt-secret", SECRET]);
    assert_error(
        &call(&plain, Method::GET, "/api/chathub/token", None, None).await,
        404,
        "not_found",
    );
    assert_error(
        &get(&plain, "/api/chat/chats", DEV).await,
        401,
        "invalid_token",
    );
    assert_error(
        &call(&plain, Method::GET, "/api/debug/connections", None, None).await,
        404,
        "not_found",
    );
    let r = login(&plain, json!({"login":"demo","password":"demo"})).await;
    assert_error(&r, 401, "invalid_credentials");
}

#[tokio::test]
async fn chat_list_shape_filters_and_paging() {
    let srv = Server::start();
    let (s, list) = get(&srv, "/api/chat/chats", DEV).await;
    assert_eq!(s, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(list["total"].as_i64().unwrap() as usize, items.len());
    for item in items {
        for key in [
            "id",
            "theme",
            "operator",
            "chatStatus",
            "countUnread",
            "source",
            "client",
            "lastMessage",
            "updatedAt",
        ] {
            assert!(item.get(key).is_some(), "{key} missing in {item}");
        }
        assert!(item["client"]["name"].is_string() && item["client"]["phone"].is_string());
    }
    let updated: Vec<&str> = items
        .iter()
        .map(|i| i["updatedAt"].as_str().unwrap())
        .collect();
    let mut sorted = updated.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(updated, sorted, "newest activity first");
    // The history chat is there, with its last message.
    let history = items
        .iter()
        .find(|i| i["client"]["phone"] == "+380000010000")
        .unwrap();
    assert_eq!(history["client"]["name"], "History Load");
    assert_eq!(history["lastMessage"]["message"], "History message 10000");

    let count = |v: &Value| v["items"].as_array().unwrap().len();
    let (_, p1) = get(&srv, "/api/chat/chats?page=1&per_page=2", DEV).await;
    let (_, p2) = get(&srv, "/api/chat/chats?page=2&per_page=2", DEV).await;
    assert_eq!((count(&p1), count(&p2)), (2, 2));
    assert_eq!(p1["total"], list["total"]);
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    let (_, v) = get(&srv, "/api/chat/chats?search=iryna", DEV).await;
    assert_eq!(v["items"][0]["client"]["name"], "Iryna Kovalenko");
    assert_eq!(v["total"], 1);
    let (_, v) = get(&srv, "/api/chat/chats?search=%25", DEV).await;
    assert_eq!(v["total"], 0, "LIKE wildcards are literal");
    let (_, v) = get(&srv, "/api/chat/chats?source=2", DEV).await;
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["source"] == 2));
    let (_, v) = get(&srv, "/api/chat/chats?status=4", DEV).await;
    assert_eq!(v["total"], 1);
    let (_, v) = get(&srv, "/api/chat/chats?phone=%2B380931234567", DEV).await;
    assert_eq!(v["items"][0]["client"]["name"], "Dmytro Shevchenko");
    let (_, v) = get(&srv, "/api/chat/chats?operatorId=2", DEV).await;
    assert!(v["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["operator"]["id"] == 2));
    let (_, v) = get(&srv, "/api/chat/chats?organizationId=1", DEV).await;
    assert_eq!(v["total"], list["total"]);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, v) = get(
        &srv,
        &format!("/api/chat/chats?date=2020-01-01&date={today}"),
        DEV,
    )
    .await;
    assert!(v["total"].as_i64().unwrap() >= 1);
    let (_, v) = get(&srv, "/api/chat/chats?date=2020-01-01", DEV).await;
    assert_eq!(v["total"], 0);
    // Telegram user ids come from the channel.
    let company = company_token(&srv, "demo", "demo").await;
    let body = json!({"organizationId": 1, "source": 2, "client": {"name": "Tg", "phone": "+1555", "tgUserId": 4242}, "text": "hi"});
    post(&srv, "/api/channel/inbound", &company, body).await;
    let (_, v) = get(&srv, "/api/chat/chats?tg_user_id=4242", DEV).await;
    assert_eq!(v["items"][0]["client"]["phone"], "+1555");
    // The company sees its chats too.
    let (_, v) = get(&srv, "/api/chat/chats?tg_user_id=4242", &company).await;
    assert_eq!(v["total"], 1);

    for bad in [
        "page=0",
        "per_page=x",
        "source=abc",
        "date=yesterday",
        "organizationId=2",
    ] {
        let r = get(&srv, &format!("/api/chat/chats?{bad}"), DEV).await;
        assert!(r.0 == 400 || r.0 == 404, "{bad}: {:?}", r);
        assert!(r.1["code"].is_string());
    }
}

#[tokio::test]
async fn message_history_paging_on_both_paths() {
    let srv = Server::start();
    let (_, list) = get(&srv, "/api/chat/chats?phone=%2B380000010000", DEV).await;
    let chat = list["items"][0]["id"].as_i64().unwrap();
    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect()
    };

    let (s, newest) = get(&srv, &format!("/api/chat/{chat}/messages"), DEV).await;
    assert_eq!(s, 200);
    assert_eq!(newest["items"].as_array().unwrap().len(), 50);
    assert_eq!(newest["hasMore"], true);
    let newest_ids = ids(&newest);
    assert!(newest_ids.windows(2).all(|w| w[0] < w[1]), "ascending");
    let (_, alt) = get(&srv, &format!("/api/chat/chats/{chat}/messages"), DEV).await;
    assert_eq!(alt, newest, "both paths agree");

    // Walk the whole history backwards with limit=200: every message once.
    let mut seen = Vec::new();
    let mut before = None::<i64>;
    loop {
        let q = match before {
            Some(b) => format!("/api/chat/{chat}/messages?before={b}&limit=200"),
            None => format!("/api/chat/{chat}/messages?limit=200"),
        };
        let (_, page) = get(&srv, &q, DEV).await;
        let page_ids = ids(&page);
        assert!(page_ids.len() <= 200);
        seen.splice(0..0, page_ids.iter().copied());
        before = page_ids.first().copied();
        if page["hasMore"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 10_000);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    // after= catches up oldest-first; limit above 200 is clamped; bad values are 400.
    let (_, after) = get(
        &srv,
        &format!("/api/chat/{chat}/messages?after={}&limit=3", seen[100]),
        DEV,
    )
    .await;
    assert_eq!(ids(&after), seen[101..104].to_vec());
    assert_eq!(after["hasMore"], true);
    let (_, tail) = get(
        &srv,
        &format!("/api/chat/{chat}/messages?after={}", seen[9_998]),
        DEV,
    )
    .await;
    assert_eq!(
        (ids(&tail), tail["hasMore"].clone()),
        (vec![seen[9_999]], json!(false))
    );
    let (_, big) = get(&srv, &format!("/api/chat/{chat}/messages?limit=5000"), DEV).await;
    assert_eq!(big["items"].as_array().unwrap().len(), 200);
    assert_error(
        &get(&srv, &format!("/api/chat/{chat}/messages?limit=0"), DEV).await,
        400,
        "bad_request",
    );
    assert_error(
        &get(&srv, &format!("/api/chat/{chat}/messages?before=abc"), DEV).await,
        400,
        "bad_request",
    );
    assert_error(
        &get(&srv, "/api/chat/999999/messages", DEV).await,
        404,
        "not_found",
    );
    assert_error(
        &get(&srv, "/api/chat/abc/messages", DEV).await,
        400,
        "bad_request",
    );
    let m = &newest["items"][0];
    for key in [
        "id",
        "chatId",
        "message",
        "author",
        "media",
        "status",
        "createdAt",
        "clientMessageId",
    ] {
        assert!(m.get(key).is_some(), "{key} missing in {m}");
    }
}

#[tokio::test]
async fn send_status_delete_and_limits() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let sent = inbound(&srv, &company, 1, "+380501112200", "Hi there").await;
    let chat = sent["chatId"].as_i64().unwrap();
    assert_eq!(sent["message"]["author"], 1);
    assert_eq!(sent["message"]["message"], "Hi there");

    // Operator send: author 0, assigns the chat, opens it.
    let (s, m) = send_message(
        &srv,
        chat,
        DEV,
        json!({"textMessage": "Hello", "author": 0, "media": null}),
    )
    .await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(
        (
            m["author"].clone(),
            m["chatId"].clone(),
            m["message"].clone()
        ),
        (json!(0), json!(chat), json!("Hello"))
    );
    let created = m["createdAt"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok()
            && created.ends_with('Z')
            && created.len() == 24,
        "{created}"
    );
    let (_, list) = get(&srv, "/api/chat/chats?phone=%2B380501112200", DEV).await;
    let item = &list["items"][0];
    assert_eq!(
        (item["chatStatus"].clone(), item["operator"]["name"].clone()),
        (json!(1), json!("Olena"))
    );
    assert_eq!(item["lastMessage"]["id"], m["id"]);

    // Idempotent send.
    let body = json!({"textMessage": "Once", "clientMessageId": "3c0f7a5e-1"});
    let (_, a) = send_message(&srv, chat, DEV, body.clone()).await;
    let (_, b) = send_message(&srv, chat, DEV, body).await;
    assert_eq!(a, b);
    assert_eq!(a["clientMessageId"], "3c0f7a5e-1");
    let (_, page) = get(&srv, &format!("/api/chat/{chat}/messages"), DEV).await;
    assert_eq!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["message"] == "Once")
            .count(),
        1
    );

    // System messages are allowed, customer-authored ones are not.
    let (s, sys) = send_message(&srv, chat, DEV, json!({"textMessage": "Note", "author": 2})).await;
    assert_eq!((s.as_u16(), sys["author"].clone()), (200, json!(2)));
    assert_error(
        &send_message(&srv, chat, DEV, json!({"textMessage": "x", "author": 1})).await,
        400,
        "bad_request",
    );

    // Limits and bad input.
    let long = "я".repeat(4096);
    assert_eq!(
        send_message(&srv, chat, DEV, json!({"textMessage": long}))
            .await
            .0,
        200
    );
    let too_long = "a".repeat(4097);
    assert_error(
        &send_message(&srv, chat, DEV, json!({"textMessage": too_long})).await,
        400,
        "bad_request",
    );
    assert_error(
        &send_message(&srv, chat, DEV, json!({"textMessage": "  "})).await,
        400,
        "bad_request",
    );
    assert_error(
        &send_message(&srv, chat, DEV, json!({"textMessage": 5})).await,
        400,
        "bad_request",
    );
    assert_error(
        &send_message(&srv, 999999, DEV, json!({"textMessage": "x"})).await,
        404,
        "not_found",
    );
    let raw = http()
        .post(format!("{}/api/chat/{chat}/message", srv.url))
        .bearer_auth(DEV)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let v: Value = raw.json().await.unwrap();
    assert_eq!(v["code"], "bad_request");
    // Ordinary bodies are capped at 64 KiB.
    let huge = json!([{"organizationId": 1, "name": "a".repeat(70_000)}]);
    assert_error(
        &synchronize(&srv, &company, huge).await,
        413,
        "payload_too_large",
    );
    let long_inbound = json!({"organizationId": 1, "client": {"name": "x", "phone": "1"}, "text": "a".repeat(70_000)});
    assert_error(
        &post(&srv, "/api/channel/inbound", &company, long_inbound).await,
        400,
        "bad_request",
    );
    let huge_status = json!({"id": chat, "status": 1, "pad": "a".repeat(70_000)});
    assert_error(
        &chat_status(&srv, DEV, huge_status).await,
        413,
        "payload_too_large",
    );

    // Chat status.
    let (s, body) = chat_status(&srv, DEV, json!({"id": chat, "status": 4})).await;
    assert_eq!((s.as_u16(), body), (200, json!("")));
    let (_, list) = get(&srv, "/api/chat/chats?phone=%2B380501112200", DEV).await;
    assert_eq!(list["items"][0]["chatStatus"], 4);
    assert_error(
        &chat_status(&srv, DEV, json!({"id": chat, "status": 7})).await,
        400,
        "bad_request",
    );
    assert_error(
        &chat_status(&srv, DEV, json!({"id": 999999, "status": 1})).await,
        404,
        "not_found",
    );
    // A customer writing again reopens it as New.
    inbound(&srv, &company, 1, "+380501112200", "Me again").await;
    let (_, list) = get(&srv, "/api/chat/chats?phone=%2B380501112200", DEV).await;
    assert_eq!(
        (
            list["items"][0]["id"].clone(),
            list["items"][0]["chatStatus"].clone()
        ),
        (json!(chat), json!(0))
    );

    // Delete: gone from the list and from every chat endpoint; a new message opens a new chat.
    let (s, _) = delete_chat(&srv, chat, DEV).await;
    assert_eq!(s, 200);
    let (_, list) = get(&srv, "/api/chat/chats?phone=%2B380501112200", DEV).await;
    assert_eq!(list["total"], 0);
    assert_error(
        &get(&srv, &format!("/api/chat/{chat}/messages"), DEV).await,
        404,
        "not_found",
    );
    assert_error(&delete_chat(&srv, chat, DEV).await, 404, "not_found");
    let again = inbound(&srv, &company, 1, "+380501112200", "New start").await;
    assert_ne!(again["chatId"], json!(chat));

    // Unknown API paths answer with the error body.
    assert_error(&get(&srv, "/api/nope", DEV).await, 404, "not_found");
}

#[tokio::test]
async fn media_messages() {
    use base64::Engine;
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let chat = inbound_chat(&srv, &company, 1, "+380501112201", "Photo?").await;
    let bytes: Vec<u8> = (0..=255u8).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let body = json!({"textMessage": "", "media": {"name": "a.jpg", "format": "image/jpeg", "dataBase64": b64, "type": 1}});
    let (s, m) = send_message(&srv, chat, DEV, body).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["media"]["name"], "a.jpg");
    assert_eq!(m["media"]["format"], "image/jpeg");
    assert_eq!(m["media"]["type"], 1);
    assert_eq!(m["media"]["size"], 256);
    let url = m["media"]["url"].as_str().unwrap();
    let res = http()
        .get(format!("{}{url}", srv.url))
        .bearer_auth(DEV)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);
    // Another tenant cannot fetch it.
    let other = company_token(&srv, "demo2", "demo2").await;
    let res = http()
        .get(format!("{}{url}", srv.url))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Media may be bigger than ordinary bodies, up to its own cap; PascalCase is accepted.
    let big = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 1024 * 1024]);
    let body = json!({"media": {"Name": "b.bin", "Format": "application/octet-stream", "DataBase64": big, "Type": 3}});
    assert_eq!(send_message(&srv, chat, DEV, body).await.0, 200);
    let too_big = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 5 * 1024 * 1024 + 1]);
    let body =
        json!({"media": {"name": "c.bin", "format": "x/y", "dataBase64": too_big, "type": 3}});
    assert_error(
        &send_message(&srv, chat, DEV, body).await,
        413,
        "payload_too_large",
    );
    let body = json!({"media": {"name": "d.bin", "format": "x/y", "dataBase64": "!!!", "type": 3}});
    assert_error(
        &send_message(&srv, chat, DEV, body).await,
        400,
        "bad_request",
    );
}

#[tokio::test]
async fn channel_inbound_and_outbound() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let first = inbound(&srv, &company, 1, "+380501234567", "Hi").await;
    let chat = first["chatId"].as_i64().unwrap();
    let second = inbound(&srv, &company, 1, "+380501234567", "Anyone?").await;
    assert_eq!(second["chatId"], chat, "same client, same chat");
    let (_, list) = get(&srv, "/api/chat/chats?phone=%2B380501234567", DEV).await;
    assert_eq!(list["items"][0]["countUnread"], 2);
    assert_eq!(list["items"][0]["theme"], "Hi");

    let out_path = |after: i64| {
        format!("/api/channel/outbound?organizationId=1&phone=%2B380501234567&after={after}")
    };
    let (s, out) = get(&srv, &out_path(0), &company).await;
    assert_eq!(
        (s.as_u16(), out),
        (200, json!({"chatId": chat, "items": []}))
    );
    let (_, r1) = send_message(&srv, chat, DEV, json!({"textMessage": "Reply 1"})).await;
    let (_, r2) = send_message(
        &srv,
        chat,
        DEV,
        json!({"textMessage": "Reply 2", "author": 2}),
    )
    .await;
    let (_, out) = get(&srv, &out_path(0), &company).await;
    let got: Vec<Value> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(got, vec![r1["id"].clone(), r2["id"].clone()]);
    assert!(
        out["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] == 1),
        "picked up = delivered"
    );
    let (_, out) = get(&srv, &out_path(r1["id"].as_i64().unwrap()), &company).await;
    assert_eq!(out["items"].as_array().unwrap().len(), 1);
    // Omitted `after` means 0; an unknown phone has no chat.
    let (_, out) = get(
        &srv,
        "/api/channel/outbound?organizationId=1&phone=%2B380501234567",
        &company,
    )
    .await;
    assert_eq!(out["items"].as_array().unwrap().len(), 2);
    let (_, out) = get(
        &srv,
        "/api/channel/outbound?organizationId=1&phone=%2B1000",
        &company,
    )
    .await;
    assert_eq!(out, json!({"chatId": null, "items": []}));

    // Bad input and tenancy.
    assert_error(
        &get(&srv, "/api/channel/outbound?organizationId=1", &company).await,
        400,
        "bad_request",
    );
    assert_error(
        &get(
            &srv,
            "/api/channel/outbound?organizationId=2&phone=1",
            &company,
        )
        .await,
        404,
        "not_found",
    );
    let bad = |body: Value| post(&srv, "/api/channel/inbound", &company, body);
    assert_error(
        &bad(json!({"organizationId": 1, "client": {"name": "A", "phone": ""}, "text": "x"})).await,
        400,
        "bad_request",
    );
    assert_error(
        &bad(json!({"organizationId": 1, "client": {"name": "A", "phone": "1"}})).await,
        400,
        "bad_request",
    );
    assert_error(
        &bad(json!({"organizationId": 1, "text": "x"})).await,
        400,
        "bad_request",
    );
    assert_error(
        &bad(json!({"organizationId": 2, "client": {"name": "A", "phone": "1"}, "text": "x"}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &bad(json!({"organizationId": 99, "client": {"name": "A", "phone": "1"}, "text": "x"}))
            .await,
        404,
        "not_found",
    );
    assert_error(&bad(json!([1, 2])).await, 400, "bad_request");
}

#[tokio::test]
async fn tenancy_attacks_answer_404() {
    let srv = Server::start();
    let a = company_token(&srv, "demo", "demo").await;
    let b = company_token(&srv, "demo2", "demo2").await;
    let op3 = operator_token(&srv, &b, 3).await;
    // Company A's chat; company B's chat.
    let chat_a = inbound_chat(&srv, &a, 1, "+10001", "secret A").await;
    let chat_b = inbound_chat(&srv, &b, 2, "+10002", "secret B").await;

    // B sees only its own.
    let (_, orgs) = get(&srv, "/api/company/organization", &b).await;
    assert_eq!(orgs, json!([{"id": 2, "name": "Other Co"}]));
    let (_, ops) = get(&srv, "/api/operator", &b).await;
    assert_eq!(
        ops.as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].clone())
            .collect::<Vec<_>>(),
        vec![json!(3)]
    );
    for token in [&b, &op3] {
        let (_, list) = get(&srv, "/api/chat/chats", token).await;
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["client"]["phone"] != "+10001"));
        assert!(!list.to_string().contains("secret A"));
        assert_error(
            &get(&srv, &format!("/api/chat/{chat_a}/messages"), token).await,
            404,
            "not_found",
        );
        assert_error(
            &get(&srv, &format!("/api/chat/chats/{chat_a}/messages"), token).await,
            404,
            "not_found",
        );
        assert_error(
            &send_message(&srv, chat_a, token, json!({"textMessage": "x"})).await,
            404,
            "not_found",
        );
        assert_error(
            &chat_status(&srv, token, json!({"id": chat_a, "status": 4})).await,
            404,
            "not_found",
        );
        assert_error(&delete_chat(&srv, chat_a, token).await, 404, "not_found");
        assert_error(
            &get(&srv, "/api/chat/chats?organizationId=1", token).await,
            404,
            "not_found",
        );
    }
    assert_error(
        &get(&srv, "/api/operator?organizationId=1", &b).await,
        404,
        "not_found",
    );
    assert_error(&operator_status(&srv, &b, 1, 1).await, 404, "not_found");
    assert_error(
        &post(
            &srv,
            "/api/channel/inbound",
            &b,
            json!({"organizationId": 1, "client": {"phone": "1"}, "text": "x"}),
        )
        .await,
        404,
        "not_found",
    );
    // And A cannot reach B's.
    assert_error(
        &get(&srv, &format!("/api/chat/{chat_b}/messages"), DEV).await,
        404,
        "not_found",
    );
    assert_error(
        &get(&srv, &format!("/api/chat/{chat_b}/messages"), &a).await,
        404,
        "not_found",
    );
    // Operator tokens on company endpoints are the wrong kind.
    assert_error(
        &get(&srv, "/api/company/organization", &op3).await,
        403,
        "wrong_token_kind",
    );
    assert_error(
        &synchronize(&srv, &op3, json!([])).await,
        403,
        "wrong_token_kind",
    );
    // The chat of A is intact.
    let (_, page) = get(&srv, &format!("/api/chat/{chat_a}/messages"), DEV).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // An operator of one organization cannot read another organization of the same company.
    let (_, synced) = synchronize(&srv, &a, json!([{"organizationId": 1, "name": "Zed"}])).await;
    let zed = operator_token(&srv, &a, synced[0]["id"].as_i64().unwrap()).await;
    assert_eq!(
        get(&srv, &format!("/api/chat/{chat_a}/messages"), &zed)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn rate_limit_per_token() {
    let srv = Server::start_args(&["--dev", "--jwt-secret", SECRET, "--rate-limit", "10"]);
    let client = http();
    let mut limited = 0;
    let futures: Vec<_> = (0..100)
        .map(|_| {
            client
                .get(format!("{}/api/chat/chats?per_page=1", srv.url))
                .bearer_auth(DEV)
                .send()
        })
        .collect();
    for res in futures_util::future::join_all(futures).await {
        let res = res.unwrap();
        if res.status() == 429 {
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["code"], "rate_limited");
            limited += 1;
        }
    }
    assert!(limited > 0, "100 requests at once exceed 10/s");
    // Another token has its own budget.
    let company = company_token(&srv, "demo", "demo").await;
    assert_eq!(
        get(&srv, "/api/company/organization", &company).await.0,
        200
    );
}

#[tokio::test]
async fn data_and_tokens_survive_a_restart() {
    // No --jwt-secret: the generated secret lives in the database.
    let mut srv = Server::start_args(&["--dev"]);
    let company = company_token(&srv, "demo", "demo").await;
    let op = operator_token(&srv, &company, 1).await;
    let sent = inbound(&srv, &company, 1, "+380509990000", "Before restart").await;
    let chat = sent["chatId"].as_i64().unwrap();
    let (_, reply) = send_message(
        &srv,
        chat,
        &op,
        json!({"textMessage": "Reply", "clientMessageId": "r-1"}),
    )
    .await;
    let (_, before) = get(&srv, "/api/chat/chats", &op).await;

    srv.restart(None);
    let (s, after) = get(&srv, "/api/chat/chats", &op).await;
    assert_eq!(s, 200, "the token is still valid");
    assert_eq!(after, before, "nothing re-seeded, nothing lost");
    let (_, page) = get(&srv, &format!("/api/chat/{chat}/messages"), &company).await;
    let texts: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, vec!["Before restart", "Reply"]);
    let (_, again) = send_message(
        &srv,
        chat,
        &op,
        json!({"textMessage": "Reply", "clientMessageId": "r-1"}),
    )
    .await;
    assert_eq!(again, reply, "idempotency survives too");

    // Without --dev the data is still there, only the conveniences are off.
    srv.restart(Some(&[]));
    assert_eq!(get(&srv, "/api/chat/chats", &op).await.1, after);
    assert_error(
        &get(&srv, "/api/chat/chats", DEV).await,
        401,
        "invalid_token",
    );
}

/// `--compat documented`: the chat list and messages carry only the documented fields, and a
/// `clientMessageId` is just an unknown field.
#[tokio::test]
async fn documented_mode_rest_shapes() {
    let srv = Server::start_documented();
    let company = company_token(&srv, "demo", "demo").await;
    let (s, list) = get(&srv, "/api/chat/chats", DEV).await;
    assert_eq!(s, 200);
    let items = list["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        assert_eq!(keys(item), sorted(DOCUMENTED_CHAT), "{item}");
        assert!(
            !item["theme"].as_str().unwrap().trim().is_empty(),
            "a chat's one label: {item}"
        );
    }
    let iryna = items
        .iter()
        .find(|i| i["theme"] == "Order #491")
        .expect("seeded chat");
    assert_eq!(keys(&iryna["operator"]), sorted(&["id", "name", "photo"]));
    // Search still works on the (undisplayed) client name.
    let (_, v) = get(&srv, "/api/chat/chats?search=iryna", DEV).await;
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["id"], iryna["id"]);

    let chat = iryna["id"].as_i64().unwrap();
    let (_, page) = get(&srv, &format!("/api/chat/chats/{chat}/messages"), DEV).await;
    assert_eq!(keys(&page), sorted(&["items", "hasMore"]));
    for m in page["items"].as_array().unwrap() {
        assert_eq!(keys(m), sorted(DOCUMENTED_MESSAGE), "{m}");
    }
    let body = json!({"textMessage": "Twice", "clientMessageId": "same-id"});
    let (s, a) = send_message(&srv, chat, DEV, body.clone()).await;
    assert_eq!(s, 200);
    assert_eq!(keys(&a), sorted(DOCUMENTED_MESSAGE), "{a}");
    let (_, b) = send_message(&srv, chat, DEV, body).await;
    assert_ne!(a["id"], b["id"], "no idempotency in documented mode");

    // A new chat whose first message is media only is labelled by the client's name.
    let (s, r) = post(
        &srv,
        "/api/channel/inbound",
        &company,
        json!({"organizationId": 1, "client": {"name": "Media Mila", "phone": "+5001"},
               "media": {"name": "a.jpg", "format": "image/jpeg", "dataBase64": "aGk=", "type": 1}}),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let (_, v) = get(&srv, "/api/chat/chats?phone=%2B5001", DEV).await;
    assert_eq!(v["items"][0]["theme"], "Media Mila");
}

/// Full mode: operator-authored messages name their operator everywhere; others have null.
#[tokio::test]
async fn messages_name_the_operator_who_wrote_them() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let mark = operator_token(&srv, &company, 2).await;
    let chat = inbound_chat(&srv, &company, 1, "+5101", "Question").await;
    let (_, by_mark) = send_message(&srv, chat, &mark, json!({"textMessage": "Mark here"})).await;
    assert_eq!(by_mark["operator"], json!({"id": 2, "name": "Mark"}));
    let (_, by_company) =
        send_message(&srv, chat, &company, json!({"textMessage": "The company"})).await;
    assert_eq!(by_company["operator"], Value::Null);
    let (_, system) = send_message(
        &srv,
        chat,
        &mark,
        json!({"textMessage": "System", "author": 2}),
    )
    .await;
    assert_eq!(system["operator"], Value::Null);
    // The idempotent repeat returns the same author.
    let body = json!({"textMessage": "Once", "clientMessageId": "c-1"});
    let (_, a) = send_message(&srv, chat, &mark, body.clone()).await;
    let (_, b) = send_message(&srv, chat, &mark, body).await;
    assert_eq!(a, b);
    assert_eq!(a["operator"]["name"], "Mark");

    let (_, page) = get(&srv, &format!("/api/chat/{chat}/messages"), DEV).await;
    let authors: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["operator"]["id"].clone())
        .collect();
    assert_eq!(
        authors,
        [Value::Null, json!(2), Value::Null, Value::Null, json!(2)]
    );
    let (_, list) = get(&srv, "/api/chat/chats?phone=%2B5101", DEV).await;
    assert_eq!(list["items"][0]["lastMessage"]["operator"]["name"], "Mark");
    // Seeded replies name the chat's operator.
    let (_, list) = get(&srv, "/api/chat/chats?search=Iryna", DEV).await;
    let seeded = list["items"][0]["id"].as_i64().unwrap();
    let (_, page) = get(&srv, &format!("/api/chat/{seeded}/messages"), DEV).await;
    let replies: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["author"] == 0)
        .collect();
    assert!(!replies.is_empty());
    assert!(replies.iter().all(|m| m["operator"]["name"] == "Olena"));
}

/// The channel never drops a customer's message over the display name: over-long names are cut at
/// 100 characters, control characters removed, and a warning logged (without the token).
#[tokio::test]
async fn channel_keeps_messages_with_odd_client_names() {
    for srv in [Server::start(), Server::start_documented()] {
        let company = company_token(&srv, "demo", "demo").await;
        let long = format!("{}\u{7}\n\u{1b}[31m{}", "Ї".repeat(60), "z".repeat(80));
        let (s, r) = post(
            &srv,
            "/api/channel/inbound",
            &company,
            json!({"organizationId": 1, "client": {"name": long, "phone": "+5201"}, "text": "Keep me"}),
        )
        .await;
        assert_eq!(s, 200, "{r}");
        let chat = r["chatId"].as_i64().unwrap();
        let (_, page) = get(&srv, &format!("/api/chat/{chat}/messages"), DEV).await;
        assert_eq!(page["items"][0]["message"], "Keep me");
        let db = rusqlite::Connection::open(srv.db()).unwrap();
        let name: String = db
            .query_row("SELECT client_name FROM chats WHERE id = ?1", [chat], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(name.chars().count(), 100);
        assert!(!name.chars().any(char::is_control), "{name:?}");
        assert_eq!(name, format!("{}[31m{}", "Ї".repeat(60), "z".repeat(36)));
        let log = srv.log();
        assert!(log.contains("stored cleaned"), "a warning is logged");
        assert!(!log.contains(&company), "no token in the log");

        // A name of exactly 100 characters is kept as it is, with no warning for it.
        let exact = "n".repeat(100);
        let r = post(
            &srv,
            "/api/channel/inbound",
            &company,
            json!({"organizationId": 1, "client": {"name": exact, "phone": "+5202"}, "text": "ok"}),
        )
        .await;
        let (_, v) = get(&srv, "/api/chat/chats?phone=%2B5202", &company).await;
        assert_eq!(r.0, 200);
        assert_eq!(v["total"], 1);
        assert_eq!(srv.log().matches("stored cleaned").count(), 1);
    }
}

/// `search` matches the client's name and phone, never what the customer wrote.
#[tokio::test]
async fn search_matches_name_and_phone_only() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let wanted = post(
        &srv,
        "/api/channel/inbound",
        &company,
        json!({"organizationId": 1, "client": {"name": "Customer 1", "phone": "+5301"}, "text": "Hello"}),
    )
    .await
    .1["chatId"]
        .clone();
    // Newer, and its first message (the theme) mentions "customer 1".
    post(
        &srv,
        "/api/channel/inbound",
        &company,
        json!({"organizationId": 1, "client": {"name": "Somebody", "phone": "+5302"}, "text": "Later customer 14 wrote"}),
    )
    .await;
    let (_, v) = get(&srv, "/api/chat/chats?search=Customer%201", DEV).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["id"], wanted);
    let (_, v) = get(&srv, "/api/chat/chats?search=5301", DEV).await;
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["id"], wanted);
    let (_, v) = get(&srv, "/api/chat/chats?search=Order", DEV).await;
    assert_eq!(v["total"], 0, "the theme is not searched");
    let (_, v) = get(&srv, "/api/chat/chats?search=wrote", DEV).await;
    assert_eq!(v["total"], 0, "message text is not searched");
}
