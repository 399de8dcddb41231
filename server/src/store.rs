//! SQLite store: one writer connection behind a mutex, used by one writer thread that commits the
//! writes waiting for it together (group commit: one fsync per batch), and a small pool of
//! read-only connections beside it (WAL: readers neither wait for a write nor block it) used from
//! blocking threads;
//! schema migrations; the hub event log. Events are written in the same transaction as the change
//! they describe and are broadcast while the writer lock is still held, so live delivery order
//! equals event-id order. An event is a hub target and its JSON arguments; how it goes on the wire
//! is the hub's business (it frames each event once, [`HubEvent::frame`]).
//!
//! Live events travel on one broadcast channel per organization and one per company (for company
//! tokens), so a connection wakes only for what it is entitled to: with 1,000 operators across 10
//! organizations, an event wakes 100 connections, not 1,000.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use rusqlite::{Connection, OptionalExtension, Savepoint};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::compat::Compat;
use crate::error::{ApiError, ApiResult};

/// Schema versions, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE companies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL
);
CREATE TABLE operators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    status INTEGER NOT NULL DEFAULT 0,
    photo TEXT
);
CREATE TABLE chats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    theme TEXT NOT NULL DEFAULT '',
    operator_id INTEGER REFERENCES operators(id),
    status INTEGER NOT NULL DEFAULT 0,
    source INTEGER NOT NULL DEFAULT 0,
    client_name TEXT NOT NULL DEFAULT '',
    client_phone TEXT NOT NULL DEFAULT '',
    tg_user_id INTEGER,
    read_upto INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chats_org_updated ON chats(organization_id, deleted, updated_at);
CREATE INDEX chats_org_phone ON chats(organization_id, client_phone);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL REFERENCES chats(id),
    author INTEGER NOT NULL,
    text TEXT NOT NULL,
    status INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    client_message_id TEXT,
    media_name TEXT,
    media_format TEXT,
    media_type INTEGER,
    media_size INTEGER
);
CREATE INDEX messages_chat ON messages(chat_id, id);
CREATE UNIQUE INDEX messages_client_id ON messages(chat_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
CREATE TABLE media (message_id INTEGER PRIMARY KEY REFERENCES messages(id), data BLOB NOT NULL);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    company_id INTEGER NOT NULL,
    organization_id INTEGER NOT NULL,
    target TEXT NOT NULL,
    args TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_org ON events(organization_id, id);
"#,
    // Typing is logged for its event id only: never replayed, so only the newest is kept (Tx::emit).
    r#"
DELETE FROM events WHERE target = 'Typing';
CREATE INDEX events_typing ON events(id) WHERE target = 'Typing';
"#,
    // Who wrote an operator message (NULL for customers, system messages and company-token sends).
    r#"
ALTER TABLE messages ADD COLUMN operator_id INTEGER REFERENCES operators(id);
"#,
];

/// The one event the log does not keep (see [`Tx::emit`]).
const TYPING: &str = "Typing";

/// One logged hub event: the method clients receive and its arguments, for whoever is entitled
/// to the organization.
#[derive(Debug)]
pub struct HubEvent {
    pub id: i64,
    pub company_id: i64,
    pub organization_id: i64,
    pub target: String,
    pub args: Vec<Value>,
    /// The event's hub frame, built by the first connection that sends it and shared by the rest
    /// (the compat mode is server-wide, so every connection sends the same bytes).
    pub frame: OnceLock<String>,
}

impl HubEvent {
    pub fn new(
        id: i64,
        company_id: i64,
        organization_id: i64,
        target: String,
        args: Vec<Value>,
    ) -> HubEvent {
        HubEvent {
            id,
            company_id,
            organization_id,
            target,
            args,
            frame: OnceLock::new(),
        }
    }

    /// The frame `make` builds for this event, built once.
    pub fn frame(&self, make: impl FnOnce(&HubEvent) -> String) -> &str {
        self.frame.get_or_init(|| make(self))
    }
}

/// A write transaction that can also log hub events: one write's savepoint inside the writer's
/// current batch (see [`Store::write`]).
pub struct Tx<'a> {
    pub tx: Savepoint<'a>,
    pending: Vec<HubEvent>,
    compat: Compat,
}

impl<'a> std::ops::Deref for Tx<'a> {
    type Target = Savepoint<'a>;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl Tx<'_> {
    /// Log an event for everyone entitled to see the organization; it is broadcast after commit.
    /// An event the compat mode does not send is not logged either; then the id is `None`.
    pub fn emit(
        &mut self,
        company_id: i64,
        organization_id: i64,
        target: &str,
        args: Vec<Value>,
    ) -> ApiResult<Option<i64>> {
        if !self.compat.sends(target) {
            return Ok(None);
        }
        let args_json = serde_json::to_string(&args)
            .map_err(|e| ApiError::Internal(format!("event args: {e}")))?;
        self.tx.execute(
            "INSERT INTO events (company_id, organization_id, target, args, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![company_id, organization_id, target, args_json, now_millis()],
        )?;
        let id = self.tx.last_insert_rowid();
        if target == TYPING {
            // Typing is never replayed (`events_after`), so older ones would only grow the log, one per
            // keystroke. Ids stay monotonic: AUTOINCREMENT never reuses them.
            self.tx.execute(
                "DELETE FROM events WHERE target = 'Typing' AND id < ?1",
                [id],
            )?;
        }
        self.pending.push(HubEvent::new(
            id,
            company_id,
            organization_id,
            target.to_string(),
            args,
        ));
        Ok(Some(id))
    }
}

/// Read-only connections kept for reuse; more are opened when all are busy, and extras are closed.
const READERS_KEPT: usize = 4;

type Sender = broadcast::Sender<Arc<HubEvent>>;

/// Writes waiting for the writer thread at most this many to a transaction.
const MAX_BATCH: usize = 64;

/// One write: runs in its savepoint and says whether to keep it; the reply is called once the
/// batch's commit is known.
type Job = Box<dyn FnOnce(&mut Tx) -> (bool, Reply) + Send>;
type Reply = Box<dyn FnOnce(Result<(), String>) + Send>;

/// The writer thread: takes every write waiting, runs them in one transaction, commits once,
/// broadcasts their events in order under the writer lock, then answers each.
fn writer(conn: Arc<Mutex<Connection>>, bus: Arc<Bus>, compat: Compat, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
        let mut events = Vec::new();
        // Jobs not run (an error before their turn) are dropped: their callers get an error.
        let committed = (|| -> rusqlite::Result<()> {
            let mut txn = guard.transaction()?;
            for job in batch.drain(..) {
                let mut tx = Tx {
                    tx: txn.savepoint()?,
                    pending: Vec::new(),
                    compat,
                };
                // A panicking write loses only itself (its reply is dropped, its savepoint undone).
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut tx)));
                let Tx {
                    tx: sp, pending, ..
                } = tx;
                match run {
                    Ok((true, reply)) => {
                        sp.commit()?;
                        events.extend(pending);
                        replies.push(reply);
                    }
                    Ok((false, reply)) => {
                        drop(sp);
                        replies.push(reply);
                    }
                    Err(_) => drop(sp),
                }
            }
            txn.commit()
        })()
        .map_err(|e| e.to_string());
        if committed.is_ok() {
            for ev in events {
                bus.send(Arc::new(ev));
            }
        }
        drop(guard);
        for reply in replies {
            reply(committed.clone());
        }
    }
}

/// The live event channels: one per organization (its operators) and one per company (company
/// tokens), made on first subscription and dropped once nobody listens.
struct Bus {
    capacity: usize,
    orgs: Mutex<HashMap<i64, Sender>>,
    companies: Mutex<HashMap<i64, Sender>>,
}

impl Bus {
    fn subscribe(
        &self,
        company_id: i64,
        organization_id: Option<i64>,
    ) -> broadcast::Receiver<Arc<HubEvent>> {
        let (map, key) = match organization_id {
            Some(org) => (&self.orgs, org),
            None => (&self.companies, company_id),
        };
        let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key)
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe()
    }

    fn send(&self, ev: Arc<HubEvent>) {
        for (map, key) in [
            (&self.orgs, ev.organization_id),
            (&self.companies, ev.company_id),
        ] {
            let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(tx) = map.get(&key) {
                if tx.send(ev.clone()).is_err() {
                    // Nobody listens any more.
                    map.remove(&key);
                }
            }
        }
    }
}

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
    readers: Arc<Mutex<Vec<Connection>>>,
    bus: Arc<Bus>,
    jobs: mpsc::Sender<Job>,
}

impl Store {
    /// `event_buffer`: live events held per connection before it has to catch up from the log;
    /// `compat`: which events are logged at all.
    pub fn open(path: &Path, event_buffer: usize, compat: Compat) -> anyhow::Result<Store> {
        let mut conn = Connection::open(path)?;
        // WAL + synchronous=FULL: a write is on disk before we answer, and readers do not block it.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        let conn = Arc::new(Mutex::new(conn));
        let bus = Arc::new(Bus {
            capacity: event_buffer.max(1),
            orgs: Mutex::default(),
            companies: Mutex::default(),
        });
        // The writer thread ends when the last clone of the store is dropped.
        let (jobs, queue) = mpsc::channel();
        let (c, b) = (conn.clone(), bus.clone());
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer(c, b, compat, queue))?;
        Ok(Store {
            conn,
            path: Arc::new(path.to_path_buf()),
            readers: Arc::default(),
            bus,
            jobs,
        })
    }

    fn open_reader(&self) -> ApiResult<Connection> {
        let conn = Connection::open(self.path.as_ref())?;
        // A read that tried to write would be a bug: make it an error, not a race with the writer.
        conn.pragma_update(None, "query_only", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    }

    /// Subscribe to the live events of an organization (an operator) or of a whole company
    /// (`organization_id` None), with the highest event id logged so far. Both happen under the
    /// writer lock, and events are broadcast under it too, so every event above the returned id
    /// arrives on the receiver and none at or below it does.
    pub async fn subscribe(
        &self,
        company_id: i64,
        organization_id: Option<i64>,
    ) -> ApiResult<(broadcast::Receiver<Arc<HubEvent>>, i64)> {
        let conn = self.conn.clone();
        let bus = self.bus.clone();
        tokio::task::spawn_blocking(move || {
            let guard = conn
                .lock()
                .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
            let rx = bus.subscribe(company_id, organization_id);
            let floor: i64 =
                guard.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?;
            Ok((rx, floor))
        })
        .await
        .map_err(|e| ApiError::Internal(format!("store task: {e}")))?
    }

    /// Run a read on a blocking thread, on a read-only connection of the pool, in one transaction
    /// (one consistent snapshot). Whatever a finished [`Store::write`] committed is visible.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = store
                .readers
                .lock()
                .map_err(|_| ApiError::Internal("reader pool poisoned".into()))?
                .pop();
            let mut conn = match pooled {
                Some(c) => c,
                None => store.open_reader()?,
            };
            let out = {
                let tx = conn.transaction()?;
                let out = f(&tx);
                // Ending a read transaction cannot lose anything; an error here is the caller's.
                let _ = tx.finish();
                out
            };
            if let Ok(mut pool) = store.readers.lock() {
                if pool.len() < READERS_KEPT {
                    pool.push(conn);
                }
            }
            out
        })
        .await
        .map_err(|e| ApiError::Internal(format!("store task: {e}")))?
    }

    /// Run a write on the writer thread and answer once it is committed, after its events are
    /// broadcast in order. Writes that queue up meanwhile share one transaction (group commit: one
    /// fsync for the batch), each in its own savepoint, so a failing write undoes only itself.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx) -> ApiResult<T> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel::<ApiResult<T>>();
        let job: Job = Box::new(move |tx: &mut Tx| {
            let out = f(tx);
            let ok = out.is_ok();
            let reply: Reply = Box::new(move |committed: Result<(), String>| {
                let _ = reply.send(match committed {
                    Ok(()) => out,
                    Err(e) => out.and(Err(ApiError::Internal(format!("commit: {e}")))),
                });
            });
            (ok, reply)
        });
        self.jobs
            .send(job)
            .map_err(|_| ApiError::Internal("store writer stopped".into()))?;
        answer
            .await
            .map_err(|_| ApiError::Internal("store write failed".into()))?
    }

    /// Synchronous access for start-up work (migrations, seeding, the secret).
    pub fn blocking<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| anyhow::anyhow!("store lock poisoned"))?;
        f(&mut guard)
    }
}

fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let done: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let done = usize::try_from(done).unwrap_or(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

pub fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `2026-11-21T10:00:00.000Z`
pub fn iso_millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The meta key holding the highest event id ever pruned: a Resume from below it may have gaps.
const PRUNED_THROUGH: &str = "events_pruned_through";
/// Events deleted per statement, so one prune never holds the writer for long.
const PRUNE_BATCH: i64 = 10_000;

/// Deletes up to [`PRUNE_BATCH`] of the events logged before `cutoff_ms` (oldest first) and
/// records the highest id deleted. Returns how many went; the caller repeats until none do.
pub fn prune_events(tx: &Tx, cutoff_ms: i64) -> ApiResult<usize> {
    // Ids and times rise together (one writer), so "before the cutoff" is a prefix of the ids.
    let last: Option<i64> = tx.query_row(
        "SELECT MAX(id) FROM (SELECT id FROM events WHERE created_at < ?1 ORDER BY id LIMIT ?2)",
        rusqlite::params![cutoff_ms, PRUNE_BATCH],
        |r| r.get(0),
    )?;
    let Some(last) = last else { return Ok(0) };
    let gone = tx.execute("DELETE FROM events WHERE id <= ?1", [last])?;
    let through = events_pruned_through(tx)?.max(last);
    meta_set(tx, PRUNED_THROUGH, &through.to_string())?;
    Ok(gone)
}

/// The highest event id pruned from the log (0 if none): every event after a higher id is kept.
pub fn events_pruned_through(conn: &Connection) -> ApiResult<i64> {
    Ok(meta_get(conn, PRUNED_THROUGH)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Events after `after` visible to a principal, oldest first (for Resume and lag recovery). Typing
/// is left out: it is stale by the time anyone replays it.
pub fn events_after(
    conn: &Connection,
    company_id: i64,
    organization_id: Option<i64>,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<HubEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, company_id, organization_id, target, args FROM events
         WHERE id > ?1 AND company_id = ?2 AND (?3 IS NULL OR organization_id = ?3)
           AND target != 'Typing'
         ORDER BY id LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        rusqlite::params![after, company_id, organization_id, limit],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (id, company_id, organization_id, target, args) = row?;
        let args: Vec<Value> = serde_json::from_str(&args)
            .map_err(|e| ApiError::Internal(format!("event {id} args: {e}")))?;
        out.push(HubEvent::new(id, company_id, organization_id, target, args));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), 1024, Compat::Full).unwrap();
        store
            .blocking(|c| {
                c.execute_batch(
                    "INSERT INTO companies (login, password_hash, name) VALUES ('c', 'x', 'c');
                     INSERT INTO organizations (company_id, name) VALUES (1, 'o');",
                )?;
                Ok(())
            })
            .unwrap();
        (dir, store)
    }

    /// Writes that share a batch commit together, but a failing one undoes only its own changes
    /// and events; every committed event arrives live, in id order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_in_a_batch_undoes_only_itself() {
        let (_dir, store) = store();
        let (mut rx, floor) = store.subscribe(1, Some(1)).await.unwrap();
        let mut writes = tokio::task::JoinSet::new();
        for i in 0..40i64 {
            let store = store.clone();
            writes.spawn(async move {
                store
                    .write(move |tx| {
                        tx.execute(
                            "INSERT INTO meta (key, value) VALUES (?1, 'v')",
                            [format!("k{i}")],
                        )?;
                        tx.emit(1, 1, "ChatDeleted", vec![Value::from(i)])?;
                        if i % 7 == 3 {
                            return Err(ApiError::bad("no"));
                        }
                        Ok(i)
                    })
                    .await
            });
        }
        let mut ok = 0;
        while let Some(r) = writes.join_next().await {
            match r.unwrap() {
                Ok(i) => {
                    assert_ne!(i % 7, 3);
                    ok += 1;
                }
                Err(e) => assert!(matches!(e, ApiError::BadRequest(_)), "{e:?}"),
            }
        }
        let failing = (0..40).filter(|i| i % 7 == 3).count();
        assert_eq!(ok, 40 - failing);
        let kept: Vec<String> = store
            .read(|c| {
                let mut s = c.prepare("SELECT key FROM meta WHERE key LIKE 'k%'")?;
                let keys = s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
                Ok(keys)
            })
            .await
            .unwrap();
        assert_eq!(kept.len(), ok);
        assert!(kept.iter().all(|k| k[1..].parse::<i64>().unwrap() % 7 != 3));
        let mut last = floor;
        for _ in 0..ok {
            let ev = rx.recv().await.unwrap();
            assert!(ev.id > last, "events in id order");
            last = ev.id;
            assert_ne!(ev.args[0].as_i64().unwrap() % 7, 3);
        }
        assert!(rx.try_recv().is_err(), "no event of a failed write");
    }

    /// Reads run on read-only connections: a write there is an error, not a race with the writer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_cannot_write() {
        let (_dir, store) = store();
        let r = store
            .read(|c| Ok(c.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')", [])?))
            .await;
        assert!(r.is_err());
    }

    /// An organization's events reach its subscribers and the company's, not another's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_travel_on_their_organizations_channel() {
        let (_dir, store) = store();
        let (mut org1, _) = store.subscribe(1, Some(1)).await.unwrap();
        let (mut org2, _) = store.subscribe(1, Some(2)).await.unwrap();
        let (mut company, _) = store.subscribe(1, None).await.unwrap();
        store
            .write(|tx| tx.emit(1, 1, "ChatDeleted", vec![Value::from(5)]))
            .await
            .unwrap();
        assert_eq!(org1.recv().await.unwrap().organization_id, 1);
        assert_eq!(company.recv().await.unwrap().organization_id, 1);
        assert!(org2.try_recv().is_err());
    }
}
