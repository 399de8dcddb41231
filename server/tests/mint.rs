//! The CLI subcommands: `mint-token` against a running server, `add-company` on a database.

mod common;

use std::process::{Command, Output};

use common::*;
use serde_json::json;

/// Runs `mint-token` on a blocking thread.
async fn mint(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_chathub-server"))
            .arg("mint-token")
            .args(args)
            .env("RUST_LOG", "off")
            .output()
            .expect("run mint-token")
    })
    .await
    .unwrap()
}

/// The token `mint-token` printed on stdout.
fn minted(out: &Output) -> String {
    std::str::from_utf8(&out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn mints_a_validated_operator_token() {
    let srv = Server::start();
    let out = mint(&[
        "--api",
        &srv.url,
        "--login",
        "demo",
        "--password",
        "demo",
        "--operator",
        "2",
        "--hours",
        "2",
    ])
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let token = minted(&out);
    assert!(
        !stderr.contains(&token),
        "the token is printed once, on stdout"
    );
    let company = company_token(&srv, "demo", "demo").await;
    let (_, v) = validate_token(&srv, &company, &token).await;
    assert_eq!(v["isValid"], true);
    assert_eq!(v["operatorId"], 2);
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiresAt"].as_str().unwrap()).unwrap();
    let left = exp.timestamp() - chrono::Utc::now().timestamp();
    assert!((3000..=7200).contains(&left), "{left}");
    // The token works for chat operations.
    assert_eq!(get(&srv, "/api/chat/chats", &token).await.0, 200);

    // Defaults: the first organization and its first active operator, 24 h.
    let out = mint(&["--api", &srv.url, "--login", "demo2", "--password", "demo2"]).await;
    assert!(out.status.success());
    let token = minted(&out);
    let (_, v) = validate_token(&srv, &company, &token).await;
    assert_eq!(v["operatorId"], 3);
}

#[tokio::test]
async fn names_the_step_that_fails() {
    let srv = Server::start();
    let cases: [(&[&str], &str); 4] = [
        (&["--password", "wrong"], "step 1/5"),
        (&["--password", "demo", "--organization", "2"], "step 2/5"),
        (&["--password", "demo", "--operator", "3"], "step 3/5"),
        (&["--password", "demo", "--hours", "25"], "--hours"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["--api", srv.url.as_str(), "--login", "demo"];
        args.extend(extra);
        let out = mint(&args).await;
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(expected),
            "expected {expected:?} in {stderr}"
        );
    }
    // Nothing listening.
    let out = mint(&[
        "--api",
        "http://127.0.0.1:9",
        "--login",
        "demo",
        "--password",
        "demo",
    ])
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("step 1/5"));
}

#[tokio::test]
async fn add_company_then_the_whole_flow_without_dev() {
    let srv = Server::start_args(&["--jwt-secret", SECRET]);
    let db = srv.db();
    let run = |args: Vec<String>| {
        Command::new(env!("CARGO_BIN_EXE_chathub-server"))
            .arg("add-company")
            .args(args)
            .output()
            .expect("run add-company")
    };
    let args = vec![
        "--db".to_string(),
        db.display().to_string(),
        "--login".into(),
        "acme".into(),
        "--password".into(),
        "s3cret".into(),
        "--organization".into(),
        "Acme Help".into(),
    ];
    let out = tokio::task::spawn_blocking({
        let args = args.clone();
        move || run(args)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let org = ids["organizationId"].as_i64().unwrap();
    // The same login twice is refused.
    let again = tokio::task::spawn_blocking(move || run(args))
        .await
        .unwrap();
    assert!(!again.status.success());

    // The running server sees it at once: log in, add an operator, mint and use a token.
    let company = company_token(&srv, "acme", "s3cret").await;
    let (_, orgs) = get(&srv, "/api/company/organization", &company).await;
    assert_eq!(orgs, json!([{"id": org, "name": "Acme Help"}]));
    let (_, ops) = synchronize(
        &srv,
        &company,
        json!([{"organizationId": org, "name": "Ivy"}]),
    )
    .await;
    assert_eq!(ops[0]["name"], "Ivy");
    let out = mint(&["--api", &srv.url, "--login", "acme", "--password", "s3cret"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = minted(&out);
    let chat = inbound_chat(&srv, &company, org, "+4400", "hello acme").await;
    let (s, page) = get(&srv, &format!("/api/chat/{chat}/messages"), &token).await;
    assert_eq!(s, 200);
    assert_eq!(page["items"][0]["message"], "hello acme");
}
