//! The reference server under an office's load: a benchmark, not a test (`./build.sh bench` runs it
//! through `tests/bench/run.mjs`).
//!
//! It starts a release `chathub-server` on a fresh database in a temporary folder, creates N companies
//! with one organization each (`add-company`), their operators (`/api/operator/synchronize`) and a
//! token for each (`/api/operator/get-token`), and opens one hub connection per operator (the JSON
//! protocol over tokio-tungstenite, as the server's tests speak it). Then customers post through
//! `POST /api/channel/inbound` at a fixed rate for a bounded time (open loop: one request per tick,
//! whether or not the last one answered), and afterwards as fast as a few closed-loop posters can (the
//! write rate the store sustains with every connection still listening).
//!
//! Each customer text carries its organization and the client's clock at the POST's start, so every
//! connection measures the fan-out latency on one clock and checks that it only hears its own
//! organization (`ReceiveMessage` by the text, `ChatCreated` by `organizationId`, `UnreadChanged` by the
//! chat the POST answered with). It prints one JSON object; the exit status is 1 if any event reached
//! an operator of another organization.
//!
//! The database lives in a temporary folder (`TMPDIR`, else /tmp): `TMPDIR=/dev/shm` takes the disk's
//! fsync out of the figures.
//!
//! ```text
//! cargo build --release -p chathub-server --bin chathub-server --example loadbench
//! target/release/examples/loadbench --server target/release/chathub-server
//! ```

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
struct Opts {
    /// The chathub-server binary (a release build).
    #[arg(long)]
    server: PathBuf,
    /// Hub connections, one operator each, spread evenly over the organizations.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Organizations (each its own company, as `add-company` creates them).
    #[arg(long, default_value_t = 10)]
    orgs: usize,
    /// Customer messages per second through the channel API.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Seconds of customer traffic at that rate.
    #[arg(long, default_value_t = 25)]
    secs: u64,
    /// Customers (phones) per organization; each one's first message opens a chat.
    #[arg(long, default_value_t = 20)]
    customers: usize,
    /// Seconds of closed-loop posting afterwards (the write rate); 0 skips it.
    #[arg(long, default_value_t = 5)]
    burst_secs: u64,
    /// Closed-loop posters in that phase.
    #[arg(long, default_value_t = 16)]
    burst_posters: usize,
}

const HANDSHAKE: &str = "{\"protocol\":\"json\",\"version\":1}\u{1e}";
const PING: &str = "{\"type\":6}\u{1e}";
const PASSWORD: &str = "bench-password";

static START: OnceLock<Instant> = OnceLock::new();

/// Microseconds on the one clock every task of this process shares.
fn now_us() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_micros() as u64
}

/// What one hub connection heard.
#[derive(Default)]
struct Heard {
    /// Fan-out latency (µs) of each of its organization's messages of the paced phase.
    latency_us: Vec<u32>,
    /// Messages of the closed-loop phase.
    burst: u64,
    /// Events of another organization.
    wrong: u64,
    /// Chats named by `UnreadChanged`, checked against the chats the POSTs answered with.
    unread_chats: Vec<i64>,
    chat_created: u64,
    closed_by_server: bool,
    /// The listener's organization.
    org: i64,
}

struct Operator {
    org: i64,
    token: String,
}

struct Org {
    id: i64,
    company_token: String,
}

/// Resident memory and CPU time (user + system, seconds) of a process, from /proc.
fn proc_stats(pid: u32) -> (u64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // USER_HZ is 100 on every Linux this runs on.
    (rss_kb, (ticks(11) + ticks(12)) / 100.0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// The integer after `key` in `s`.
fn int_after(s: &str, key: &str) -> Option<i64> {
    let rest = &s[s.find(key)? + key.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// One hub record (`...\x1e` stripped) as this connection hears it.
fn hear(record: &str, org: i64, heard: &mut Heard) {
    let Some(at) = record.find("\"target\":\"") else {
        return;
    };
    let rest = &record[at + 10..];
    let target = &rest[..rest.find('"').unwrap_or(0)];
    match target {
        "ReceiveMessage" => {
            // The text: lb|<org>|<phase>|<seq>|<t0 µs>
            let Some(at) = record.find("lb|") else {
                return;
            };
            let text = &record[at + 3..];
            let text = &text[..text.find('"').unwrap_or(text.len())];
            let f: Vec<u64> = text.split('|').filter_map(|x| x.parse().ok()).collect();
            let [from_org, phase, _seq, t0] = f[..] else {
                return;
            };
            if from_org as i64 != org {
                heard.wrong += 1;
            } else if phase == 0 {
                let lat = now_us().saturating_sub(t0);
                heard.latency_us.push(lat.min(u32::MAX as u64) as u32);
            } else {
                heard.burst += 1;
            }
        }
        "ChatCreated" => {
            if int_after(record, "\"organizationId\":") != Some(org) {
                heard.wrong += 1;
            }
            heard.chat_created += 1;
        }
        "UnreadChanged" => {
            if let Some(chat) = int_after(record, "\"arguments\":[") {
                heard.unread_chats.push(chat);
            }
        }
        _ => {}
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_hub(base_ws: &str, token: &str) -> anyhow::Result<Ws> {
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("{base_ws}/chathub?access_token={token}")).await?;
    ws.send(Message::text(HANDSHAKE)).await?;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) if t.as_str().starts_with("{}") => return Ok(ws),
            Some(Ok(Message::Text(t))) => anyhow::bail!("handshake: {}", t.as_str()),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => anyhow::bail!("closed during the handshake"),
        }
    }
}

async fn listen(ws: Ws, org: i64, mut stop: watch::Receiver<bool>) -> Heard {
    let (mut tx, mut rx) = ws.split();
    let mut heard = Heard {
        org,
        ..Heard::default()
    };
    // The server drops a client silent for 30 s.
    let mut ping = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            m = rx.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    for record in t.as_str().split('\u{1e}').filter(|r| !r.is_empty()) {
                        hear(record, org, &mut heard);
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    heard.closed_by_server = true;
                    break;
                }
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if tx.send(Message::text(PING)).await.is_err() {
                    heard.closed_by_server = true;
                    break;
                }
            }
            _ = stop.changed() => break,
        }
    }
    let _ = tx.close().await;
    heard
}

async fn post_json(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut req = http.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if !status.is_success() {
        anyhow::bail!("{status}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The inbound counters shared by the posting tasks.
#[derive(Default)]
struct Posted {
    ok: AtomicU64,
    failed: AtomicU64,
    /// Response time of each POST (µs).
    times: Mutex<Vec<u32>>,
    /// chat id → organization, from the POST answers.
    chats: Mutex<HashMap<i64, i64>>,
}

async fn inbound(
    http: &reqwest::Client,
    base: &str,
    org: &Org,
    customer: usize,
    phase: u64,
    seq: u64,
    posted: &Posted,
) {
    let t0 = now_us();
    let body = json!({
        "organizationId": org.id,
        "source": 2,
        "client": { "name": format!("Customer {customer}"), "phone": format!("+3809{:03}{:05}", org.id, customer) },
        "text": format!("lb|{}|{phase}|{seq}|{t0}", org.id),
    });
    match post_json(
        http,
        format!("{base}/api/channel/inbound"),
        Some(&org.company_token),
        body,
    )
    .await
    {
        Ok(v) => {
            posted.ok.fetch_add(1, Ordering::Relaxed);
            posted
                .times
                .lock()
                .unwrap()
                .push((now_us() - t0).min(u32::MAX as u64) as u32);
            if let Some(chat) = v["chatId"].as_i64() {
                posted.chats.lock().unwrap().insert(chat, org.id);
            }
        }
        Err(e) => {
            if posted.failed.fetch_add(1, Ordering::Relaxed) < 3 {
                eprintln!("loadbench: inbound failed: {e}");
            }
        }
    }
}

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let wrong = rt.block_on(run(opts))?;
    std::process::exit(if wrong > 0 { 1 } else { 0 });
}

async fn run(opts: Opts) -> anyhow::Result<u64> {
    now_us();
    let tmp = tempfile::tempdir()?;
    let db = tmp.path().join("chathub.db");
    let orgs_n = opts.orgs.max(1);

    for i in 0..orgs_n {
        let ok = Command::new(&opts.server)
            .args(["add-company", "--db"])
            .arg(&db)
            .args([
                "--login",
                &format!("bench{i}"),
                "--password",
                PASSWORD,
                "--organization",
                &format!("Office {i}"),
            ])
            .stdout(Stdio::null())
            .status()?
            .success();
        anyhow::ensure!(ok, "add-company bench{i} failed");
    }

    let log = std::fs::File::create(tmp.path().join("server.log"))?;
    // The per-token rate limit (100/s) is raised so that the write phase measures the store, not the
    // limiter; the paced phase stays under it anyway (rate / orgs per company token).
    let mut child = Command::new(&opts.server)
        .args(["--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .arg("--dist")
        .arg(tmp.path())
        .arg("--www")
        .arg(tmp.path())
        .args(["--rate-limit", "1000000"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()?;
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().transpose()?.unwrap_or_default();
    let Some(base) = first.strip_prefix("listening on ").map(str::to_string) else {
        let _ = child.kill();
        anyhow::bail!("server did not start: {first:?}");
    };
    let result = drive(&opts, &base, pid, orgs_n).await;
    let _ = child.kill();
    let _ = child.wait();
    drop(lines);
    if result.is_err() {
        let log = std::fs::read_to_string(tmp.path().join("server.log")).unwrap_or_default();
        eprintln!(
            "server log (tail):\n{}",
            &log[log.len().saturating_sub(4000)..]
        );
    }
    result
}

async fn drive(opts: &Opts, base: &str, pid: u32, orgs_n: usize) -> anyhow::Result<u64> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let (rss_idle, _) = proc_stats(pid);

    // Companies, organizations, operators and their tokens, through the documented API.
    let expires = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let per_org = opts.connections.div_ceil(orgs_n);
    let mut orgs = Vec::new();
    let mut operators = Vec::new();
    for i in 0..orgs_n {
        let token = post_json(
            &http,
            format!("{base}/api/company/get-token"),
            None,
            json!({"login": format!("bench{i}"), "password": PASSWORD}),
        )
        .await?;
        let token = token.as_str().unwrap_or_default().to_string();
        let list: Value = http
            .get(format!("{base}/api/company/organization"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        let org_id = list[0]["id"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("no organization: {list}"))?;
        let count = per_org.min(opts.connections - operators.len());
        let body: Vec<Value> = (0..count)
            .map(|j| json!({"organizationId": org_id, "name": format!("Operator {j}")}))
            .collect();
        let created = post_json(
            &http,
            format!("{base}/api/operator/synchronize"),
            Some(&token),
            Value::Array(body),
        )
        .await?;
        let mut tokens = JoinSet::new();
        for op in created.as_array().cloned().unwrap_or_default() {
            let (http, url, token, expires) = (
                http.clone(),
                format!("{base}/api/operator/get-token"),
                token.clone(),
                expires.clone(),
            );
            tokens.spawn(async move {
                post_json(
                    &http,
                    url,
                    Some(&token),
                    json!({"id": op["id"], "expiresAt": expires}),
                )
                .await
            });
        }
        while let Some(t) = tokens.join_next().await {
            let t = t??;
            operators.push(Operator {
                org: org_id,
                token: t.as_str().unwrap_or_default().to_string(),
            });
        }
        orgs.push(Org {
            id: org_id,
            company_token: token,
        });
    }
    anyhow::ensure!(
        operators.len() == opts.connections,
        "{} operators of {}",
        operators.len(),
        opts.connections
    );
    let (rss_before, _) = proc_stats(pid);

    // One hub connection per operator, 50 opening at a time.
    let base_ws = base.replacen("http://", "ws://", 1);
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(50));
    let t_connect = Instant::now();
    let mut opening = JoinSet::new();
    for op in operators {
        let (gate, base_ws) = (gate.clone(), base_ws.clone());
        opening.spawn(async move {
            let _permit = gate.acquire_owned().await;
            open_hub(&base_ws, &op.token).await.map(|ws| (ws, op.org))
        });
    }
    let mut listeners = JoinSet::new();
    while let Some(ws) = opening.join_next().await {
        let (ws, org) = ws??;
        listeners.spawn(listen(ws, org, stop_rx.clone()));
    }
    let connect_secs = t_connect.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (rss_connected, _) = proc_stats(pid);

    // Paced phase: `rate` customer messages per second, round robin over organizations and customers.
    let posted = Arc::new(Posted::default());
    let orgs = Arc::new(orgs);
    let total = opts.rate as u64 * opts.secs;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / opts.rate.max(1) as f64));
    let (_, cpu0) = proc_stats(pid);
    let (_, self_cpu0) = proc_stats(std::process::id());
    let t_paced = Instant::now();
    let mut posting = JoinSet::new();
    for seq in 0..total {
        tick.tick().await;
        let (http, base, orgs, posted) =
            (http.clone(), base.to_string(), orgs.clone(), posted.clone());
        let customers = opts.customers.max(1);
        posting.spawn(async move {
            let o = seq as usize % orgs.len();
            let customer = (seq as usize / orgs.len()) % customers;
            inbound(&http, &base, &orgs[o], customer, 0, seq, &posted).await;
        });
    }
    while posting.join_next().await.is_some() {}
    let paced_secs = t_paced.elapsed().as_secs_f64();
    let (_, cpu1) = proc_stats(pid);
    let (_, self_cpu1) = proc_stats(std::process::id());
    let paced_ok = posted.ok.load(Ordering::Relaxed);
    let paced_failed = posted.failed.load(Ordering::Relaxed);
    let mut post_times = std::mem::take(&mut *posted.times.lock().unwrap());
    post_times.sort_unstable();
    // Let the last events reach everyone.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (rss_loaded, _) = proc_stats(pid);

    // Closed-loop phase: the write rate the store sustains with every connection listening.
    let mut burst_ok = 0;
    let mut burst_secs = 0.0;
    let mut burst_times = Vec::new();
    if opts.burst_secs > 0 {
        let before = posted.ok.load(Ordering::Relaxed);
        let until = Instant::now() + Duration::from_secs(opts.burst_secs);
        let t_burst = Instant::now();
        let mut posters = JoinSet::new();
        for w in 0..opts.burst_posters {
            let (http, base, orgs, posted) =
                (http.clone(), base.to_string(), orgs.clone(), posted.clone());
            let customers = opts.customers;
            posters.spawn(async move {
                let mut seq = 0u64;
                while Instant::now() < until {
                    let o = (w + seq as usize) % orgs.len();
                    inbound(
                        &http,
                        &base,
                        &orgs[o],
                        (seq as usize) % customers.max(1),
                        1,
                        seq,
                        &posted,
                    )
                    .await;
                    seq += 1;
                }
            });
        }
        while posters.join_next().await.is_some() {}
        burst_secs = t_burst.elapsed().as_secs_f64();
        burst_ok = posted.ok.load(Ordering::Relaxed) - before;
        burst_times = std::mem::take(&mut *posted.times.lock().unwrap());
        burst_times.sort_unstable();
        tokio::time::sleep(Duration::from_secs(2)).await;
    }

    let _ = stop_tx.send(true);
    let mut heard = Vec::new();
    while let Some(h) = listeners.join_next().await {
        heard.push(h?);
    }
    let chats = posted.chats.lock().unwrap().clone();
    let mut wrong = 0;
    let mut latencies = Vec::new();
    let mut dropped = 0;
    let mut burst_heard = 0;
    let mut chat_created = 0;
    for h in &mut heard {
        chat_created += h.chat_created;
        wrong += h.wrong;
        dropped += h.closed_by_server as u64;
        burst_heard += h.burst;
        latencies.append(&mut h.latency_us);
    }
    // UnreadChanged names a chat: it must be one of the listener's organization's.
    let mut unknown_chats = 0;
    for h in &heard {
        for chat in &h.unread_chats {
            match chats.get(chat) {
                Some(org) if *org == h.org => {}
                Some(_) => wrong += 1,
                None => unknown_chats += 1,
            }
        }
    }
    latencies.sort_unstable();
    let per_org_ops = opts.connections as u64 / orgs_n as u64;
    let expected = paced_ok * per_org_ops;
    Ok(report(Report {
        opts,
        connect_secs,
        rss: [rss_idle, rss_before, rss_connected, rss_loaded],
        paced_ok,
        paced_failed,
        paced_secs,
        post_times: &post_times,
        latencies: &latencies,
        expected,
        wrong,
        dropped,
        server_cpu: (cpu1 - cpu0) / paced_secs,
        client_cpu: (self_cpu1 - self_cpu0) / paced_secs,
        burst_ok,
        burst_secs,
        burst_times: &burst_times,
        burst_heard,
        unknown_chats,
        chat_created,
    }))
}

struct Report<'a> {
    opts: &'a Opts,
    connect_secs: f64,
    rss: [u64; 4],
    paced_ok: u64,
    paced_failed: u64,
    paced_secs: f64,
    post_times: &'a [u32],
    latencies: &'a [u32],
    expected: u64,
    wrong: u64,
    dropped: u64,
    server_cpu: f64,
    client_cpu: f64,
    burst_ok: u64,
    burst_secs: f64,
    burst_times: &'a [u32],
    burst_heard: u64,
    unknown_chats: u64,
    chat_created: u64,
}

fn report(r: Report) -> u64 {
    let [idle, before, connected, loaded] = r.rss;
    let out = json!({
        "connections": r.opts.connections,
        "organizations": r.opts.orgs,
        "rateTarget": r.opts.rate,
        "secs": r.opts.secs,
        "connectSecs": r.connect_secs,
        "rssKb": { "idle": idle, "beforeConnections": before, "connected": connected, "afterLoad": loaded },
        "rssPerConnectionKb": (connected as f64 - before as f64) / r.opts.connections.max(1) as f64,
        "posted": r.paced_ok,
        "postFailed": r.paced_failed,
        "postedPerSec": r.paced_ok as f64 / r.paced_secs,
        "postMs": { "p50": percentile(r.post_times, 0.5), "p99": percentile(r.post_times, 0.99) },
        "deliveriesExpected": r.expected,
        "delivered": r.latencies.len(),
        "wrongOrganization": r.wrong,
        "unreadChangedUnknownChat": r.unknown_chats,
        "chatCreatedHeard": r.chat_created,
        "droppedConnections": r.dropped,
        "fanoutMs": {
            "p50": percentile(r.latencies, 0.5),
            "p99": percentile(r.latencies, 0.99),
            "max": percentile(r.latencies, 1.0),
        },
        "serverCpuCores": r.server_cpu,
        "clientCpuCores": r.client_cpu,
        "writeBurst": {
            "posters": r.opts.burst_posters,
            "posted": r.burst_ok,
            "perSec": if r.burst_secs > 0.0 { r.burst_ok as f64 / r.burst_secs } else { 0.0 },
            "postMs": { "p50": percentile(r.burst_times, 0.5), "p99": percentile(r.burst_times, 0.99) },
            "delivered": r.burst_heard,
        },
    });
    println!("{out}");
    r.wrong
}
