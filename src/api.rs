//! REST calls to the ChatHub API. Every request carries the panel's abort signal, so an unmounted
//! panel leaves no request behind. One [`Call`] enum and one request path in two steps: the request,
//! then the body of a response that passed [`Api::body`]'s status check.

use crate::state::{ChatQuery, CHATS_PER_PAGE};
use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

#[derive(Debug)]
pub enum ApiError {
    /// 401: the token is missing, invalid or expired.
    Unauthorized,
    Status(u16),
    /// The network failed, or the request was aborted.
    Network,
    /// The body was not what the API documents.
    Body,
}

/// A request the panel makes.
#[derive(Debug, Clone)]
pub enum Call {
    /// SignalR negotiation, against the hub's base URL.
    Negotiate,
    Chats(ChatQuery),
    /// The newest page of a chat.
    History(u64),
    /// The newest page of a chat, to see which of the panel's sends it holds.
    Verify(u64),
    Older {
        chat_id: u64,
        before: u64,
    },
    Status {
        chat_id: u64,
        status: u8,
    },
    /// A media message's bytes, as a Blob.
    Media {
        message_id: u64,
        url: String,
    },
    /// A language's strings, beside the wasm: an absolute URL, fetched without the token.
    Locale(String),
}

pub struct Api {
    pub base: String,
    pub token: String,
    pub signal: AbortSignal,
}

fn push_num(out: &mut String, n: u64) {
    out.push_str(&crate::text::num(n));
}

impl Call {
    /// The path and query after the base URL.
    fn path(&self) -> String {
        let mut p = String::new();
        match self {
            Call::Negotiate => p.push_str("/negotiate?negotiateVersion=1"),
            Call::Chats(q) => {
                p.push_str("/api/chat/chats?per_page=");
                push_num(&mut p, CHATS_PER_PAGE.into());
                p.push_str("&page=");
                push_num(&mut p, q.page.into());
                if let Some(s) = q.status {
                    p.push_str("&status=");
                    push_num(&mut p, s.into());
                }
                if !q.search.is_empty() {
                    p.push_str("&search=");
                    p.push_str(&String::from(js_sys::encode_uri_component(&q.search)));
                }
            }
            Call::History(chat_id) | Call::Verify(chat_id) | Call::Older { chat_id, .. } => {
                p.push_str("/api/chat/chats/");
                push_num(&mut p, *chat_id);
                p.push_str("/messages?limit=50");
                if let Call::Older { before, .. } = self {
                    p.push_str("&before=");
                    push_num(&mut p, *before);
                }
            }
            Call::Status { .. } => p.push_str("/api/chat/status"),
            // Only the API's own paths: a message must not send the token elsewhere.
            Call::Media { url, .. } if url.starts_with('/') && !url.starts_with("//") => {
                p.push_str(url)
            }
            Call::Media { .. } => {}
            Call::Locale(url) => p.push_str(url),
        }
        p
    }
}

impl Api {
    /// Starts `call`: a promise of its `Response`.
    pub fn request(&self, call: &Call) -> Result<Promise, ApiError> {
        let path = call.path();
        if path.is_empty() {
            return Err(ApiError::Body);
        }
        let url = self.base.clone() + &path;
        // Plain fetch through web-sys (gloo-net's builder linked core::fmt and the http crate).
        let method = match call {
            Call::Negotiate => "POST",
            Call::Status { .. } => "PUT",
            _ => "GET",
        };
        let headers = js_sys::Object::new();
        let set = |k: &str, v: &str| js_sys::Reflect::set(&headers, &k.into(), &v.into());
        let mut body = JsValue::UNDEFINED;
        if !matches!(call, Call::Locale(_)) {
            let mut auth = String::from("Bearer ");
            auth.push_str(&self.token);
            let _ = set("Authorization", &auth);
        }
        if let Call::Status { chat_id, status } = call {
            let _ = set("Content-Type", "application/json");
            let json = crate::json::Obj::new()
                .num("id", *chat_id)
                .num("status", (*status).into())
                .end();
            body = json.into();
        }
        let init = crate::dom::object(&[
            ("method", &method.into()),
            ("signal", &self.signal),
            ("headers", &headers),
            ("body", &body),
        ]);
        Ok(crate::dom::window().fetch_with_str_and_init(&url, init.unchecked_ref()))
    }

    /// Checks a response's status and starts reading its body: a JS string, or a Blob for media.
    pub fn body(call: &Call, response: &JsValue) -> Result<Promise, ApiError> {
        // fetch resolves with a Response, and nothing else.
        let raw: &web_sys::Response = response.unchecked_ref();
        match crate::dom::number(raw, "status") as u16 {
            200..=299 => {}
            401 => return Err(ApiError::Unauthorized),
            s => return Err(ApiError::Status(s)),
        }
        match call {
            Call::Media { .. } => raw.blob(),
            _ => raw.text(),
        }
        .map_err(|_| ApiError::Body)
    }
}
