//! Test harness: the real binary on a free loopback port with a fresh SQLite file, plus small
//! HTTP and hub clients.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub const SECRET: &str = "integration-test-secret";
pub const RS: char = '\u{1e}';
pub const DEV: &str = "test-token-for-development";

pub struct Server {
    pub url: String,
    child: Child,
    dir: PathBuf,
    // Keeps the directory alive for the server's lifetime (and restarts).
    _tmp: Option<tempfile::TempDir>,
    args: Vec<String>,
}

impl Server {
    /// `--dev` with a fixed JWT secret, so tests can forge tokens.
    pub fn start() -> Server {
        Server::start_args(&["--dev", "--jwt-secret", SECRET])
    }

    /// [`Server::start`] in `--compat documented` mode.
    pub fn start_documented() -> Server {
        Server::start_args(&["--dev", "--jwt-secret", SECRET, "--compat", "documented"])
    }

    pub fn start_args(args: &[&str]) -> Server {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (child, url) = spawn(&dir, &args);
        Server {
            url,
            child,
            dir,
            _tmp: Some(tmp),
            args,
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.join("chathub.db")
    }

    /// The data directory: `dist/` and `www/` in it are served.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Everything the server logged so far (stderr, at debug level).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// Kill the process (no graceful shutdown) and start again on the same database.
    pub fn restart(&mut self, args: Option<&[&str]>) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(a) = args {
            self.args = a.iter().map(|s| s.to_string()).collect();
        }
        let (child, url) = spawn(&self.dir, &self.args);
        self.child = child;
        self.url = url;
    }

    /// Send a signal (`TERM`, `INT`) to the server process, as a service manager or Ctrl+C would.
    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(ok.success(), "kill -{name}");
    }

    /// Wait for the process to end on its own; `None` if it is still running after [`WAIT`].
    pub async fn exited(&mut self) -> Option<std::process::ExitStatus> {
        for _ in 0..(WAIT.as_millis() / 50) {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    pub fn ws_url(&self) -> String {
        self.url.replacen("http://", "ws://", 1)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(dir: &Path, args: &[String]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chathub-server"))
        .args(["--addr", "127.0.0.1:0", "--db"])
        .arg(dir.join("chathub.db"))
        .arg("--dist")
        .arg(dir.join("dist"))
        .arg("--www")
        .arg(dir.join("www"))
        .args(args)
        .env("RUST_LOG", "chathub_server=debug,tower_http=debug")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("server.log")).expect("log file"))
        .spawn()
        .expect("spawn chathub-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read listening line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, url)
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// One request; the body is parsed as JSON when it is JSON.
pub async fn call(
    srv: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = http().request(method, format!("{}{}", srv.url, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

pub async fn get(srv: &Server, path: &str, token: &str) -> (StatusCode, Value) {
    call(srv, Method::GET, path, Some(token), None).await
}

pub async fn post(srv: &Server, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(srv, Method::POST, path, Some(token), Some(body)).await
}

pub async fn put(srv: &Server, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    call(srv, Method::PUT, path, Some(token), Some(body)).await
}

pub async fn delete(srv: &Server, path: &str, token: &str) -> (StatusCode, Value) {
    call(srv, Method::DELETE, path, Some(token), None).await
}

/// `POST /chathub/negotiate?negotiateVersion=1` with this token.
pub async fn negotiate(srv: &Server, token: &str) -> (StatusCode, Value) {
    call(
        srv,
        Method::POST,
        "/chathub/negotiate?negotiateVersion=1",
        Some(token),
        None,
    )
    .await
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

/// `names` as sorted strings, to compare with [`keys`].
pub fn sorted(names: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

pub const DOCUMENTED_CHAT: &[&str] = &["id", "theme", "operator", "chatStatus", "countUnread"];
pub const DOCUMENTED_MESSAGE: &[&str] = &[
    "id",
    "chatId",
    "message",
    "author",
    "media",
    "status",
    "createdAt",
];

/// `POST /api/company/get-token` with this body and no token.
pub async fn login(srv: &Server, body: Value) -> (StatusCode, Value) {
    call(
        srv,
        Method::POST,
        "/api/company/get-token",
        None,
        Some(body),
    )
    .await
}

/// `POST /api/operator/get-token` with this body.
pub async fn request_operator_token(
    srv: &Server,
    company: &str,
    body: Value,
) -> (StatusCode, Value) {
    post(srv, "/api/operator/get-token", company, body).await
}

/// `POST /api/operator/validate-token` for `token`.
pub async fn validate_token(
    srv: &Server,
    company: &str,
    token: impl serde::Serialize,
) -> (StatusCode, Value) {
    post(
        srv,
        "/api/operator/validate-token",
        company,
        json!({ "token": token }),
    )
    .await
}

/// `POST /api/operator/synchronize` with this body.
pub async fn synchronize(srv: &Server, company: &str, body: Value) -> (StatusCode, Value) {
    post(srv, "/api/operator/synchronize", company, body).await
}

/// `POST /api/operator/status` for operator `id`.
pub async fn operator_status(
    srv: &Server,
    company: &str,
    id: i64,
    status: i64,
) -> (StatusCode, Value) {
    post(
        srv,
        "/api/operator/status",
        company,
        json!({ "id": id, "status": status }),
    )
    .await
}

/// `POST /api/chat/{chat}/message` with this body.
pub async fn send_message(
    srv: &Server,
    chat: i64,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    post(srv, &format!("/api/chat/{chat}/message"), token, body).await
}

/// `PUT /api/chat/status` with this body.
pub async fn chat_status(srv: &Server, token: &str, body: Value) -> (StatusCode, Value) {
    put(srv, "/api/chat/status", token, body).await
}

/// `DELETE /api/chat/chats/{chat}`.
pub async fn delete_chat(srv: &Server, chat: i64, token: &str) -> (StatusCode, Value) {
    delete(srv, &format!("/api/chat/chats/{chat}"), token).await
}

/// Assert an error status and the `{"error","code"}` body.
#[track_caller]
pub fn assert_error(res: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(res.0.as_u16(), status, "body: {}", res.1);
    assert_eq!(res.1["code"], code, "body: {}", res.1);
    assert!(
        res.1["error"].as_str().is_some_and(|e| !e.is_empty()),
        "body: {}",
        res.1
    );
}

pub async fn company_token(srv: &Server, login: &str, password: &str) -> String {
    let (status, v) = self::login(srv, json!({ "login": login, "password": password })).await;
    assert_eq!(status, 200, "{v}");
    v.as_str().expect("token string").to_string()
}

pub async fn operator_token(srv: &Server, company: &str, operator: i64) -> String {
    let exp = chrono::Utc::now() + chrono::Duration::hours(1);
    let body = json!({ "id": operator, "expiresAt": exp.to_rfc3339() });
    let (status, v) = request_operator_token(srv, company, body).await;
    assert_eq!(status, 200, "{v}");
    v.as_str().expect("token string").to_string()
}

pub async fn inbound(srv: &Server, company: &str, org: i64, phone: &str, text: &str) -> Value {
    let (status, v) = post(
        srv,
        "/api/channel/inbound",
        company,
        json!({ "organizationId": org, "source": 2, "client": { "name": "Test Client", "phone": phone }, "text": text }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// [`inbound`], returning the chat id.
pub async fn inbound_chat(srv: &Server, company: &str, org: i64, phone: &str, text: &str) -> i64 {
    inbound(srv, company, org, phone, text).await["chatId"]
        .as_i64()
        .unwrap()
}

/// Sign arbitrary claims with the test secret.
pub fn forge(claims: Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encode")
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw hub client speaking the JSON protocol over tungstenite.
pub struct Hub {
    ws: Ws,
    pending: std::collections::VecDeque<Value>,
    next_id: u64,
    /// Text after the last separator of a frame.
    partial: String,
}

pub const WAIT: Duration = Duration::from_secs(10);

impl Hub {
    /// Negotiate, connect with `id` and `access_token`, handshake.
    pub async fn connect(srv: &Server, token: &str) -> Hub {
        let (status, neg) = call(
            srv,
            Method::POST,
            "/chathub/negotiate?negotiateVersion=1",
            Some(token),
            None,
        )
        .await;
        assert_eq!(status, 200, "{neg}");
        let id = neg["connectionToken"].as_str().expect("connectionToken");
        let url = format!("{}/chathub?id={id}&access_token={token}", srv.ws_url());
        let mut hub = Hub::open(&url).await.expect("ws connect");
        hub.handshake().await;
        hub
    }

    pub async fn open(url: &str) -> Result<Hub, tokio_tungstenite::tungstenite::Error> {
        let (ws, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Hub {
            ws,
            pending: Default::default(),
            next_id: 0,
            partial: String::new(),
        })
    }

    pub async fn handshake(&mut self) {
        self.send_raw(&format!("{{\"protocol\":\"json\",\"version\":1}}{RS}"))
            .await;
        let first = self.next_raw().await.expect("handshake response");
        assert_eq!(first, json!({}));
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(WsMessage::text(text)).await.expect("ws send");
    }

    /// Next hub message, or None when the socket closed or nothing arrived in time.
    pub async fn next_raw(&mut self) -> Option<Value> {
        self.next_within(WAIT).await
    }

    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            if let Some(v) = self.pending.pop_front() {
                return Some(v);
            }
            let msg = tokio::time::timeout(wait, self.ws.next()).await.ok()??;
            match msg.ok()? {
                WsMessage::Text(t) => {
                    self.partial.push_str(t.as_str());
                    while let Some(pos) = self.partial.find(RS) {
                        let rec: String = self.partial.drain(..pos + 1).collect();
                        let rec = &rec[..rec.len() - 1];
                        self.pending
                            .push_back(serde_json::from_str(rec).expect("server sent valid JSON"));
                    }
                }
                WsMessage::Close(_) => return None,
                _ => {}
            }
        }
    }

    /// Next message that is not a ping.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            let v = self.next_raw().await?;
            if v["type"] != 6 {
                return Some(v);
            }
        }
    }

    /// Next event invocation with this target, skipping others.
    pub async fn event(&mut self, target: &str) -> Value {
        loop {
            let v = self
                .next()
                .await
                .unwrap_or_else(|| panic!("no {target} event"));
            if v["type"] == 1 && v["target"] == target {
                return v;
            }
        }
    }

    /// Invoke and wait for the completion, keeping events that arrive meanwhile.
    pub async fn invoke(&mut self, target: &str, args: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id.to_string();
        let msg = json!({ "type": 1, "invocationId": id, "target": target, "arguments": args });
        self.send_raw(&format!("{msg}{RS}")).await;
        let mut held = Vec::new();
        let completion = loop {
            let v = self.next_raw().await.expect("completion");
            if v["type"] == 3 && v["invocationId"] == id.as_str() {
                break v;
            }
            held.push(v);
        };
        for v in held.into_iter().rev() {
            self.pending.push_front(v);
        }
        completion
    }

    /// Every message but pings currently queued or arriving within `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(v) = self.next_within(quiet).await {
            if v["type"] != 6 {
                out.push(v);
            }
        }
        out
    }

    /// Every event currently queued or arriving within `quiet`.
    pub async fn drain_events(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(v) = self.next_within(quiet).await {
            if v["type"] == 1 {
                out.push(v);
            }
        }
        out
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

pub fn event_id(ev: &Value) -> i64 {
    let args = ev["arguments"].as_array().expect("arguments");
    args.last()
        .and_then(|m| m["eventId"].as_i64())
        .expect("eventId last")
}
