//! chathub-server: the reference ChatHub API (REST + SignalR JSON hub) over SQLite.

pub mod app;
pub mod auth;
pub mod channel;
pub mod chats;
pub mod cli;
pub mod compat;
pub mod error;
pub mod hub;
pub mod json;
pub mod messages;
pub mod mint;
pub mod operators;
pub mod organizations;
pub mod seed;
pub mod state;
pub mod static_files;
pub mod store;

use axum::serve::ListenerExt;
use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use tokio::sync::watch;

use crate::cli::ServeArgs;
use crate::store::{meta_get, meta_set, Store};

/// After a shutdown signal, connections get this long to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The signing secret: from the flag/env, else generated once and kept in the database so tokens
/// survive a restart.
fn jwt_secret(store: &Store, configured: Option<&str>) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = configured.filter(|s| !s.is_empty()) {
        return Ok(s.as_bytes().to_vec());
    }
    store.blocking(|c| {
        if let Some(s) = meta_get(c, "jwt_secret")? {
            return Ok(s.into_bytes());
        }
        let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        meta_set(c, "jwt_secret", &s)?;
        Ok(s.into_bytes())
    })
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.db, args.event_buffer, args.compat)
        .with_context(|| format!("opening database {}", args.db.display()))?;
    let secret = jwt_secret(&store, args.jwt_secret.as_deref())?;
    if args.dev {
        let started = std::time::Instant::now();
        if store.blocking(seed::seed)? {
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "seeded demo data"
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let addr = listener.local_addr()?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = state::AppState::new(store, auth::Jwt::new(&secret), args, shutdown_rx);

    // Keyed rate-limit state grows with distinct tokens; drop idle ones now and then.
    let limiter = state.limiter.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });

    tokio::spawn(prune_events(
        state.store.clone(),
        Duration::from_secs(state.config.event_retention_secs),
    ));

    let hub = state.hub.clone();
    let router = app::router(state);
    // The one line on stdout: tests and scripts parse it for the real port.
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, "listening");

    let mut rx = shutdown_tx.subscribe();
    let server = async move {
        // Nagle's algorithm off: a hub event is a small write right after another (an invocation's
        // completion, the previous event), and with Nagle on it waits for the client's delayed ACK,
        // up to 40 ms on Linux, before it leaves.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY");
            }
        });
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.changed().await;
            })
            .await?;
        // Each hub connection sends its Close on the same signal; returning now would drop them
        // mid-send.
        hub.all_closed().await;
        anyhow::Ok(())
    };
    let signal = async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        r = server => r?,
        _ = signal => tracing::warn!("connections still open after the grace period"),
    }
    Ok(())
}

/// Keeps the event log to its retention: a few times per retention period, at most hourly.
async fn prune_events(store: Store, retention: Duration) {
    let every = (retention / 4).clamp(Duration::from_secs(1), Duration::from_secs(3600));
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let cutoff = store::now_millis() - retention.as_millis() as i64;
        loop {
            match store.write(move |tx| store::prune_events(tx, cutoff)).await {
                Ok(0) => break,
                Ok(n) => tracing::debug!(events = n, "pruned the event log"),
                Err(e) => {
                    tracing::warn!(error = %e, "pruning the event log");
                    break;
                }
            }
        }
    }
}

/// `chathub-server add-company`: prints `{"companyId": N, "organizationId": M}`.
pub fn add_company(args: cli::AddCompanyArgs) -> anyhow::Result<()> {
    if args.login.trim().is_empty()
        || args.password.is_empty()
        || args.organization.trim().is_empty()
    {
        anyhow::bail!("--login, --password and --organization must not be empty");
    }
    let store = Store::open(&args.db, 1, compat::Compat::Full)
        .with_context(|| format!("opening database {}", args.db.display()))?;
    let hash = auth::hash_password(&args.password)?;
    let name = args.name.unwrap_or_else(|| args.login.clone());
    let (company, org) = store.blocking(|c| {
        let tx = c.transaction()?;
        let taken = tx
            .query_row(
                "SELECT 1 FROM companies WHERE login = ?1",
                [&args.login],
                |_| Ok(()),
            )
            .is_ok();
        if taken {
            anyhow::bail!("a company with login {:?} already exists", args.login);
        }
        tx.execute(
            "INSERT INTO companies (login, password_hash, name) VALUES (?1, ?2, ?3)",
            rusqlite::params![args.login, hash, name],
        )?;
        let company = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO organizations (company_id, name) VALUES (?1, ?2)",
            rusqlite::params![company, args.organization.trim()],
        )?;
        let org = tx.last_insert_rowid();
        tx.commit()?;
        Ok((company, org))
    })?;
    println!(
        "{}",
        serde_json::json!({ "companyId": company, "organizationId": org })
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
