//! Static files with CORS and the right content types; tokens never reach the logs.

mod common;

use std::fs;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn static_files_content_types_and_cors() {
    let srv = Server::start();
    let panel = srv.dir().join("dist/operator-chat-panel");
    fs::create_dir_all(&panel).unwrap();
    fs::create_dir_all(srv.dir().join("www")).unwrap();
    fs::write(panel.join("widget-script.js"), "export {};").unwrap();
    fs::write(panel.join("glue.mjs"), "export {};").unwrap();
    fs::write(panel.join("panel_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    fs::write(panel.join("uk.json"), "{}").unwrap();
    fs::write(
        srv.dir().join("www/index.html"),
        "<!doctype html><title>demo</title>",
    )
    .unwrap();
    fs::write(
        srv.dir().join("www/customer.html"),
        "<!doctype html><title>customer</title>",
    )
    .unwrap();

    let client = http();
    let cases = [
        ("/operator-chat-panel/widget-script.js", "text/javascript"),
        ("/operator-chat-panel/glue.mjs", "text/javascript"),
        ("/operator-chat-panel/panel_bg.wasm", "application/wasm"),
        ("/operator-chat-panel/uk.json", "application/json"),
        ("/", "text/html"),
        ("/customer.html", "text/html"),
    ];
    for (path, ct) in cases {
        let res = client
            .get(format!("{}{path}", srv.url))
            .header("Origin", "https://host.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let got = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(got.starts_with(ct), "{path}: {got}");
        assert_eq!(res.headers()["access-control-allow-origin"], "*", "{path}");
    }
    let res = client
        .get(format!("{}/operator-chat-panel/missing.js", srv.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Preflight for an authorized JSON request from another origin.
    let res = client
        .request(Method::OPTIONS, format!("{}/api/chat/chats", srv.url))
        .header("Origin", "https://host.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("authorization") && allowed.contains("content-type"),
        "{allowed}"
    );
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    // Errors carry CORS too, so a browser can read them.
    let res = client
        .get(format!("{}/api/chat/chats", srv.url))
        .header("Origin", "https://host.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn tokens_never_reach_the_logs() {
    let srv = Server::start();
    let company = company_token(&srv, "demo", "demo").await;
    let operator = operator_token(&srv, &company, 1).await;
    // Tokens in headers, in query strings, in bodies, valid and invalid, over REST and the hub.
    get(&srv, "/api/chat/chats", &operator).await;
    get(&srv, "/api/chat/chats", "bogus-token-value-123").await;
    call(
        &srv,
        Method::GET,
        &format!("/api/chat/chats?access_token={operator}"),
        None,
        None,
    )
    .await;
    post(
        &srv,
        "/api/operator/validate-token",
        &company,
        json!({"token": operator}),
    )
    .await;
    let mut hub = Hub::connect(&srv, &operator).await;
    hub.invoke("SendMessage", json!([2, "logged?"])).await;
    hub.close().await;
    let _ = Hub::open(&format!(
        "{}/chathub?access_token=bogus-token-value-123",
        srv.ws_url()
    ))
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let log = srv.log();
    assert!(
        log.contains("/api/chat/chats"),
        "requests are logged: {log}"
    );
    for secret in [
        company.as_str(),
        operator.as_str(),
        "bogus-token-value-123",
        "access_token",
        "demo\"",
    ] {
        assert!(!log.contains(secret), "{secret} appears in the log");
    }
    // The JWT payload segment alone must not appear either.
    let payload = operator.split('.').nth(1).unwrap();
    assert!(!log.contains(payload));
}

/// Hashed files are cached for a year; the loader, which names them, is revalidated (ETag and
/// Last-Modified, answered with 304) so that a new release reaches operators.
#[tokio::test]
async fn hashed_files_are_immutable_and_the_loader_revalidates() {
    let srv = Server::start();
    let panel = srv.dir().join("dist/operator-chat-panel");
    fs::create_dir_all(panel.join("locales")).unwrap();
    fs::write(panel.join("widget-script.js"), "export {};").unwrap();
    fs::write(
        panel.join("operator_chat_panel.0123abcdef.js"),
        "export {};",
    )
    .unwrap();
    fs::write(
        panel.join("operator_chat_panel_bg.0123abcdef.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    fs::write(panel.join("locales/uk.0123abcdef.json"), "{}").unwrap();
    let client = http();
    let at = |p: &str| format!("{}/operator-chat-panel/{p}", srv.url);
    for p in [
        "operator_chat_panel.0123abcdef.js",
        "operator_chat_panel_bg.0123abcdef.wasm",
        "locales/uk.0123abcdef.json",
    ] {
        let res = client.get(at(p)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{p}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{p}"
        );
    }

    let res = client.get(at("widget-script.js")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cc = res.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(
        cc.contains("max-age=300") && !cc.contains("immutable"),
        "{cc}"
    );
    let etag = res.headers()["etag"].clone();
    let modified = res.headers()["last-modified"].clone();
    let res = client
        .get(at("widget-script.js"))
        .header("If-None-Match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304, "If-None-Match");
    assert_eq!(res.headers()["etag"], etag);
    let res = client
        .get(at("widget-script.js"))
        .header("If-Modified-Since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304, "If-Modified-Since");
    let res = client
        .get(at("widget-script.js"))
        .header("If-None-Match", "W/\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "a different ETag gets the file");

    // A missing file is not cached for a year.
    let res = client
        .get(at("operator_chat_panel.fedcba9876.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers().get("cache-control").is_none());
}
