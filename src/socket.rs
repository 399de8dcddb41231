//! The hub's WebSocket, owned: dropping a [`Socket`] removes its listeners and closes it.

use crate::dom::Listener;
use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

pub enum SocketEvent {
    Open,
    Text(String),
    Closed,
}

pub struct Socket {
    ws: WebSocket,
    _listeners: [Listener; 3],
}

impl Socket {
    pub fn open(url: &str, on: impl Fn(SocketEvent) + Clone + 'static) -> Result<Socket, JsValue> {
        let ws = WebSocket::new(url)?;
        let open = {
            let on = on.clone();
            move |_| on(SocketEvent::Open)
        };
        let message = {
            let on = on.clone();
            move |e: web_sys::Event| {
                // The JSON protocol only uses text frames; binary ones are ignored.
                if let Some(text) = crate::dom::get(&e, "data").as_string() {
                    on(SocketEvent::Text(text));
                }
            }
        };
        Ok(Socket {
            _listeners: [
                Listener::new(&ws, "open", open),
                Listener::new(&ws, "message", message),
                Listener::new(&ws, "close", move |_| on(SocketEvent::Closed)),
            ],
            ws,
        })
    }

    pub fn send(&self, record: &str) {
        // A send on a closing socket fails; the close event that follows starts the reconnect.
        let _ = self.ws.send_with_str(record);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // The listeners go with the struct, after this: the close event this causes is not heard.
        crate::dom::close(&self.ws);
    }
}
