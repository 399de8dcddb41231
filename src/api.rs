//! REST calls to the ChatHub API over gloo-net. Each request carries its own abort signal, aborted
//! when the request's future is dropped, so an unmounted panel leaves no request behind.

use crate::json;
use crate::model::{ChatPage, MessagePage, Negotiated};
use crate::state::{ChatQuery, CHATS_PER_PAGE};
use crate::tasks::AbortOnDrop;
use crate::text::num;
use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use wasm_bindgen_futures::JsFuture;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiError {
    /// 401: the token is missing, invalid or expired.
    Unauthorized,
    /// 403: the token is valid but this operator may not (inactive, deleted, wrong kind).
    Forbidden,
    /// 404: the object is gone (or belongs to another company).
    NotFound,
    Status(u16),
    /// The network failed, or the request was aborted.
    Network,
    /// The body was not what the API documents.
    Body,
}

/// Where and as whom the panel calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// REST base, without a trailing slash.
    pub base: String,
    /// The hub's base URL (negotiate lives under it).
    pub hub: String,
    pub token: String,
}

/// A REST call the panel makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Chats(ChatQuery),
    /// The newest page of a chat, or the page before message `before`.
    Messages {
        chat_id: u64,
        before: Option<u64>,
    },
    /// The newest page of a chat, to see which of the panel's sends it holds.
    Verify(u64),
    Status {
        chat_id: u64,
        status: u8,
    },
    /// A media message's bytes, for an object URL.
    Media {
        message_id: u64,
        url: String,
    },
}

/// What a call answered.
pub enum Reply {
    Chats(ChatPage),
    Messages(MessagePage),
    Done,
    Blob(web_sys::Blob),
}

/// `PUT /api/chat/status`'s body.
#[derive(Serialize)]
struct StatusBody {
    id: u64,
    status: u8,
}

/// The API's own paths only: a message must not send the token elsewhere.
pub fn api_path(url: &str) -> Option<&str> {
    (url.starts_with('/') && !url.starts_with("//")).then_some(url)
}

/// What to read from a successful response.
#[derive(Clone, Copy)]
enum Want {
    Text,
    Blob,
    Nothing,
}

/// A successful response's body, as [`Want`] asked.
enum Body {
    Text(String),
    Blob(web_sys::Blob),
    Nothing,
}

impl Body {
    /// The text, decoded into `T`.
    fn json<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        match self {
            Body::Text(text) => json::from_str(&text).ok_or(ApiError::Body),
            _ => Err(ApiError::Body),
        }
    }
}

/// The first chat-list page the loader asked for while the glue and the wasm loaded
/// (www/widget-script.js): its response, and the controller that cancels it.
pub struct Early {
    pub response: js_sys::Promise,
    /// Dropping it (the panel did not want the page) cancels the request.
    pub abort: AbortOnDrop,
}

/// Sends a request under its own abort signal, checks the status and reads the body. Every REST
/// call goes through this one async flow; building the request and decoding the answer stay
/// synchronous around it. Dropping the future aborts the request, body included.
async fn fetch(
    builder: RequestBuilder,
    body: Option<String>,
    want: Want,
) -> Result<Body, ApiError> {
    let abort = AbortOnDrop::new().ok_or(ApiError::Network)?;
    let builder = builder.abort_signal(Some(&abort.signal()));
    let request = match body {
        Some(body) => builder.body(body),
        None => builder.build(),
    };
    let response = request
        .map_err(|_| ApiError::Body)?
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    read(response, want).await
}

/// The loader's early request, if it asked for `url`; `None` when it asked for something else
/// (then it is cancelled and the caller asks itself). Dropping the future cancels it too.
async fn adopt(early: Early, url: String) -> Option<Result<Body, ApiError>> {
    let Early {
        response,
        abort: _abort,
    } = early;
    let raw: web_sys::Response = match JsFuture::from(response).await {
        Ok(raw) => raw.into(),
        Err(_) => return Some(Err(ApiError::Network)),
    };
    if raw.url() != url {
        return None;
    }
    Some(read(raw.into(), Want::Text).await)
}

/// Checks a response's status, then reads its body as `want` says.
async fn read(response: gloo_net::http::Response, want: Want) -> Result<Body, ApiError> {
    match response.status() {
        200..=299 => {}
        401 => return Err(ApiError::Unauthorized),
        403 => return Err(ApiError::Forbidden),
        404 => return Err(ApiError::NotFound),
        s => return Err(ApiError::Status(s)),
    }
    Ok(match want {
        Want::Text => Body::Text(response.text().await.map_err(|_| ApiError::Network)?),
        Want::Blob => {
            let raw: web_sys::Response = response.into();
            let blob = JsFuture::from(raw.blob().map_err(|_| ApiError::Body)?)
                .await
                .map_err(|_| ApiError::Network)?;
            Body::Blob(blob.into())
        }
        Want::Nothing => Body::Nothing,
    })
}

impl Api {
    /// Makes `call`: one path for every REST call, so the wasm holds one copy of the request flow.
    /// The request is built now; the future owns all it needs, so it can be started before its task.
    pub fn call(&self, call: &Call) -> impl Future<Output = Result<Reply, ApiError>> + 'static {
        let request = self.request(call);
        let call = call.clone();
        async move {
            let (builder, body, want) = request?;
            let got = fetch(builder, body, want).await?;
            Ok(match call {
                Call::Chats(_) => Reply::Chats(got.json()?),
                Call::Messages { .. } | Call::Verify(_) => Reply::Messages(got.json()?),
                Call::Status { .. } => Reply::Done,
                Call::Media { .. } => match got {
                    Body::Blob(blob) => Reply::Blob(blob),
                    _ => return Err(ApiError::Body),
                },
            })
        }
    }

    /// The chat list's `query` page, from the loader's early request when it asked for the same
    /// URL (the loader checks the token), else asked now.
    pub fn first_list(
        &self,
        query: &ChatQuery,
        early: Option<Early>,
    ) -> impl Future<Output = Result<Reply, ApiError>> + 'static {
        let url = [self.base.as_str(), &chats_path(query)].concat();
        let adopted = early.map(|early| adopt(early, url));
        let asked = self.call(&Call::Chats(query.clone()));
        async move {
            let early = match adopted {
                Some(early) => early.await,
                None => None,
            };
            match early {
                Some(got) => Ok(Reply::Chats(got?.json()?)),
                None => asked.await,
            }
        }
    }

    /// The request for `call`, its body, and what to read back.
    fn request(&self, call: &Call) -> Result<(RequestBuilder, Option<String>, Want), ApiError> {
        Ok(match call {
            Call::Chats(q) => (self.get(&chats_path(q)), None, Want::Text),
            Call::Messages { chat_id, before } => (
                self.get(&messages_path(*chat_id, *before)),
                None,
                Want::Text,
            ),
            Call::Verify(chat_id) => (self.get(&messages_path(*chat_id, None)), None, Want::Text),
            Call::Status { chat_id, status } => {
                let url = [&self.base, "/api/chat/status"].concat();
                let body = json::to_string(&StatusBody {
                    id: *chat_id,
                    status: *status,
                });
                let builder = self
                    .authorized(Request::put(&url))
                    .header("Content-Type", "application/json");
                (builder, Some(body), Want::Nothing)
            }
            Call::Media { url, .. } => {
                let path = api_path(url).ok_or(ApiError::Body)?;
                (self.get(path), None, Want::Blob)
            }
        })
    }

    fn authorized(&self, builder: RequestBuilder) -> RequestBuilder {
        builder.header("Authorization", &["Bearer ", &self.token].concat())
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.authorized(Request::get(&[&self.base, path].concat()))
    }

    /// SignalR negotiation, against the hub's URL.
    pub fn negotiate(&self) -> impl Future<Output = Result<Negotiated, ApiError>> + 'static {
        let url = [&self.hub, "/negotiate?negotiateVersion=1"].concat();
        let builder = self.authorized(Request::post(&url));
        async move { fetch(builder, None, Want::Text).await?.json() }
    }
}

fn chats_path(q: &ChatQuery) -> String {
    let mut path = ["/api/chat/chats?per_page=", &num(CHATS_PER_PAGE.into())].concat();
    path.push_str(&["&page=", &num(q.page.into())].concat());
    if let Some(s) = q.status {
        path.push_str(&["&status=", &num(s.into())].concat());
    }
    if !q.search.is_empty() {
        let search = String::from(js_sys::encode_uri_component(&q.search));
        path.push_str(&["&search=", &search].concat());
    }
    path
}

/// The newest page of a chat, or the page before message `before`.
fn messages_path(chat_id: u64, before: Option<u64>) -> String {
    let mut path = ["/api/chat/chats/", &num(chat_id), "/messages?limit=50"].concat();
    if let Some(before) = before {
        path.push_str(&["&before=", &num(before)].concat());
    }
    path
}

/// A text file that is not the API's (a language's strings beside the wasm, the host's saved
/// replies), fetched without the token.
pub async fn text(url: &str) -> Result<String, ApiError> {
    match fetch(Request::get(url), None, Want::Text).await? {
        Body::Text(text) => Ok(text),
        _ => Err(ApiError::Body),
    }
}

/// A language's strings beside the wasm.
pub use text as locale;
