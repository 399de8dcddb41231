//! The CLI subcommands: `mint-token` against a running server, `add-company` on a database.

mod common;

use std::process::Command;

use common::*;
use serde_json::json;

fn mint(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chathub-server"))
        .arg("mint-token")
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .expect("run mint-token")
}

#[tokio::test]
async fn mints_a_validated_operator_token() {
    let srv = Server::start();
    let url = srv.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        mint(&[
            "--api",
            &url,
            "--login",
            "demo",
            "--password",
            "demo",
            "--operator",
            "2",
            "--hours",
            "2",
        ])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(
        !stderr.contains(&token),
        "the token is printed once, on stdout"
    );
    let company = company_token(&srv, "demo", "demo").await;
    let (_, v) = post(
        &srv,
        "/api/operator/validate-token",
        &company,
        json!({"token": token}),
    )
    .await;
    assert_eq!(v["isValid"], true);
    assert_eq!(v["operatorId"], 2);
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiresAt"].as_str().unwrap()).unwrap();
    let left = exp.timestamp() - chrono::Utc::now().timestamp();
    assert!((3000..=7200).contains(&left), "{left}");
    // The token works for chat operations.
    assert_eq!(get(&srv, "/api/chat/chats", &token).await.0, 200);

    // Defaults: the first organization and its first active operator, 24 h.
    let url = srv.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        mint(&["--api", &url, "--login", "demo2", "--password", "demo2"])
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let (_, v) = post(
        &srv,
        "/api/operator/validate-token",
        &company,
        json!({"token": token}),
    )
    .await;
    assert_eq!(v["operatorId"], 3);
}

#[tokio::test]
async fn names_the_step_that_fails() {
    let srv = Server::start();
    let url = srv.url.clone();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--password".into(), "wrong".into()], "step 1/5"),
        (
            vec![
                "--password".into(),
                "demo".into(),
                "--organization".into(),
                "2".into(),
            ],
            "step 2/5",
        ),
        (
            vec![
                "--password".into(),
                "demo".into(),
                "--operator".into(),
                "3".into(),
            ],
            "step 3/5",
        ),
        (
            vec![
                "--password".into(),
                "demo".into(),
                "--hours".into(),
                "25".into(),
            ],
            "--hours",
        ),
    ];
    for (extra, expected) in cases {
        let url = url.clone();
        let out = tokio::task::spawn_blocking(move || {
            let mut args = vec!["--api".to_string(), url, "--login".into(), "demo".into()];
            args.extend(extra);
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            mint(&refs)
        })
        .await
        .unwrap();
        assert!(!out.status.success());
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(expected),
            "expected {expected:?} in {stderr}"
        );
    }
    // Nothing listening.
    let out = tokio::task::spawn_blocking(|| {
        mint(&[
            "--api",
            "http://127.0.0.1:9",
            "--login",
            "demo",
            "--password",
            "demo",
        ])
    })
    .await
    .unwrap();
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
    let (_, ops) = post(
        &srv,
        "/api/operator/synchronize",
        &company,
        json!([{"organizationId": org, "name": "Ivy"}]),
    )
    .await;
    assert_eq!(ops[0]["name"], "Ivy");
    let url = srv.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        mint(&["--api", &url, "--login", "acme", "--password", "s3cret"])
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let chat = inbound(&srv, &company, org, "+4400", "hello acme").await["chatId"]
        .as_i64()
        .unwrap();
    let (s, page) = get(&srv, &format!("/api/chat/{chat}/messages"), &token).await;
    assert_eq!(s, 200);
    assert_eq!(page["items"][0]["message"], "hello acme");
}
