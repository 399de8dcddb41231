//! The ChatHub operator chat panel.
//!
//! Pure core (no browser; `cargo test`): [`codec`] speaks SignalR, [`model`] reads the API's objects,
//! [`state`] is the panel as data with its `update` function.

pub mod codec;
pub mod model;
pub mod state;
