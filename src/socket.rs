//! The hub's WebSocket through gloo-net: one async flow per connection that writes what the panel
//! queues and hands every text frame to the panel, until either side closes.

use futures::channel::mpsc::UnboundedReceiver;
use futures::future::{poll_fn, select, Either};
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State};

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
    mut out: UnboundedReceiver<String>,
    mut on_frame: impl FnMut(String),
) -> Ended {
    let Ok(mut ws) = WebSocket::open(url) else {
        return Ended::Refused;
    };
    loop {
        match select(out.next(), ws.next()).await {
            Either::Left((Some(record), _)) => {
                // Waits while the socket opens. One that is closing, or never opened, takes no
                // more: a write there only logs a console error in the host page.
                let _ = poll_fn(|cx| ws.poll_ready_unpin(cx)).await;
                if !matches!(ws.state(), State::Open)
                    || ws.start_send_unpin(Message::Text(record)).is_err()
                {
                    return Ended::Closed;
                }
            }
            Either::Right((Some(Ok(Message::Text(text))), _)) => on_frame(text),
            Either::Right((Some(Ok(Message::Bytes(_))), _)) => {}
            Either::Left((None, _)) | Either::Right((Some(Err(_)) | None, _)) => {
                return Ended::Closed
            }
        }
    }
}
