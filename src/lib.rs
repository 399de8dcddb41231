//! The ChatHub operator chat panel.
//!
//! Pure core, no browser, tested with `cargo test`:
//! - [`json`]: JSON through serde (serde-wasm-bindgen in the browser, serde_json natively);
//! - [`codec`]: the SignalR JSON hub protocol;
//! - [`model`]: the API's objects;
//! - [`state`]: the panel as data, changed only by `update(state, msg) -> effects`;
//! - [`window`]: which slice of a long thread is drawn;
//! - [`backoff`]: the reconnect policy;
//! - [`media`]: attachments as the hub takes them;
//! - [`token`]: reading a token's expiry and operator before connecting;
//! - [`i18n`]: every visible string;
//! - [`keys`]: the keyboard shortcuts, as a table;
//! - [`replies`]: saved replies: the list, what `/` finds, placeholders filled;
//! - [`text`]: small number and string helpers.
//!
//! Browser shell, tested with `wasm_bindgen_test`:
//! - [`mount`]: the loader's entry points, one panel per script element;
//! - [`panel`]: one panel, owning everything it starts; its hub link (`panel/link`) and saved
//!   replies (`panel/replies`) in modules of their own;
//! - [`tasks`]: async tasks owned by what started them, aborted on drop;
//! - [`api`] and [`socket`]: the REST calls and the hub's WebSocket (gloo-net);
//! - [`view`] and [`dom`]: the shadow-root DOM;
//! - [`alert`]: the generated chime and opt-in desktop notifications.

pub mod backoff;
pub mod codec;
pub mod i18n;
pub mod json;
pub mod keys;
pub mod media;
pub mod model;
pub mod replies;
pub mod state;
pub mod text;
pub mod token;
pub mod window;

pub mod alert;
pub mod api;
pub mod dom;
pub mod mount;
pub mod panel;
pub mod socket;
pub mod tasks;
pub mod view;

/// The wasm's allocator: talc, smaller than std's dlmalloc for a single-threaded wasm.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
