//! The SignalR hub at `/chathub`. It speaks the protocol and calls the sections for the work:
//! `endpoints` (negotiate, the upgrade), `connection` (handshake, pings, timeout, the event
//! stream with `Resume`), `methods` (hub methods), `registry` (hub-wide bookkeeping) and
//! `protocol` (the pure frame codec).

mod connection;
mod endpoints;
mod methods;
pub mod protocol;
mod registry;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;
use endpoints::{connect, debug_connections, negotiate};
pub use registry::Hub;

/// Negotiate, the socket, and the `--dev` count of open sockets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chathub/negotiate", post(negotiate))
        .route("/chathub", get(connect))
        .route("/api/debug/connections", get(debug_connections))
}
