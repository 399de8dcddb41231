//! The hub's WebSocket through gloo-net: one async flow per connection that writes what the panel
//! queues and hands every text frame to the panel, until either side closes.

use futures::channel::mpsc::UnboundedReceiver;
use futures::future::{select, Either};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, WebSocketError};
use std::pin::pin;

/// The socket URL: `http(s)://` becomes `ws(s)://`. Browsers cannot set headers on a WebSocket,
/// so the token travels in the query string, as the official client sends it.
pub fn url(hub: &str, connection_token: &str, token: &str) -> String {
    let base = match hub.strip_prefix("http") {
        Some(rest) => ["ws", rest].concat(),
        None => hub.to_owned(),
    };
    let id = String::from(js_sys::encode_uri_component(connection_token));
    let token = String::from(js_sys::encode_uri_component(token));
    [&base, "?id=", &id, "&access_token=", &token].concat()
}

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The browser would not open it (a malformed URL).
    Refused,
    /// The server or the network closed it.
    Closed,
}

/// Opens `url` and runs the connection: every record on `out` is written, every text frame goes to
/// `on_frame` (the JSON protocol uses text frames only; binary ones are ignored).
pub async fn run(
    url: &str,
    out: UnboundedReceiver<String>,
    mut on_frame: impl FnMut(String),
) -> Ended {
    let Ok(ws) = WebSocket::open(url) else {
        return Ended::Refused;
    };
    let (mut write, mut read) = ws.split();
    let writer = async move {
        let mut out = out.map(|record| Ok::<_, WebSocketError>(Message::Text(record)));
        let _ = write.send_all(&mut out).await;
    };
    let reader = async move {
        while let Some(Ok(frame)) = read.next().await {
            if let Message::Text(text) = frame {
                on_frame(text);
            }
        }
    };
    match select(pin!(writer), pin!(reader)).await {
        Either::Left(_) | Either::Right(_) => Ended::Closed,
    }
}
