//! Hub-wide bookkeeping shared by every connection: negotiated tokens waiting for their socket,
//! the count of open sockets, and the signal that an operator was revoked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Negotiated connection tokens not used within this time are forgotten.
const NEGOTIATE_TTL: Duration = Duration::from_secs(120);

pub struct Hub {
    pending: Mutex<HashMap<String, Instant>>,
    /// Open hub sockets; watched so that shutdown can wait for every Close to be sent.
    open: watch::Sender<usize>,
    /// Bumped when an operator is deactivated or deleted: every connection re-checks whom it serves.
    revoked: watch::Sender<u64>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            pending: Mutex::default(),
            open: watch::Sender::new(0),
            revoked: watch::Sender::new(0),
        }
    }
}

impl Hub {
    /// An operator may no longer act: its open connections close (it would otherwise keep
    /// receiving its organization's events until it reconnected).
    pub fn operator_revoked(&self) {
        self.revoked.send_modify(|n| *n += 1);
    }

    pub fn open_connections(&self) -> usize {
        *self.open.borrow()
    }

    /// Resolves once no hub socket is open. Upgraded sockets outlive axum's graceful shutdown, so
    /// the server waits here before its runtime (and every connection task) is dropped.
    pub async fn all_closed(&self) {
        let _ = self.open.subscribe().wait_for(|n| *n == 0).await;
    }

    /// Counts a socket as open until the guard drops.
    pub(super) fn opened(self: &Arc<Hub>) -> OpenGuard {
        self.open.send_modify(|n| *n += 1);
        OpenGuard(self.clone())
    }

    pub(super) fn revocations(&self) -> watch::Receiver<u64> {
        self.revoked.subscribe()
    }

    pub(super) fn remember(&self, token: String) {
        if let Ok(mut p) = self.pending.lock() {
            p.retain(|_, t| t.elapsed() < NEGOTIATE_TTL);
            p.insert(token, Instant::now());
        }
    }

    pub(super) fn take(&self, token: &str) -> bool {
        self.pending
            .lock()
            .map(|mut p| p.remove(token).is_some_and(|t| t.elapsed() < NEGOTIATE_TTL))
            .unwrap_or(false)
    }
}

/// Counts a live connection for `/api/debug/connections` until dropped.
pub(super) struct OpenGuard(Arc<Hub>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.send_modify(|n| *n = n.saturating_sub(1));
    }
}
