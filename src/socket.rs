//! The hub's WebSocket, owned: dropping a [`Socket`] detaches its handlers and closes it.

use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

pub enum SocketEvent {
    Open,
    Text(String),
    Closed,
}

pub struct Socket {
    ws: WebSocket,
    _open: Closure<dyn FnMut(Event)>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

impl Socket {
    pub fn open(url: &str, on: impl Fn(SocketEvent) + Clone + 'static) -> Result<Socket, JsValue> {
        let ws = WebSocket::new(url)?;
        let open = Closure::<dyn FnMut(Event)>::new({
            let on = on.clone();
            move |_| on(SocketEvent::Open)
        });
        let message = Closure::<dyn FnMut(MessageEvent)>::new({
            let on = on.clone();
            move |e: MessageEvent| {
                // The JSON protocol only uses text frames; binary ones are ignored.
                if let Some(text) = e.data().as_string() {
                    on(SocketEvent::Text(text));
                }
            }
        });
        let close = Closure::<dyn FnMut(CloseEvent)>::new(move |_| on(SocketEvent::Closed));
        ws.set_onopen(Some(open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        Ok(Socket {
            ws,
            _open: open,
            _message: message,
            _close: close,
        })
    }

    pub fn send(&self, record: &str) {
        // A send on a closing socket fails; the close event that follows starts the reconnect.
        let _ = self.ws.send_with_str(record);
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}
