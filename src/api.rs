//! REST calls to the ChatHub API over gloo-net. Each request carries its own abort signal, aborted
//! when the request's future is dropped, so an unmounted panel leaves no request behind.

use crate::json;
use crate::model::{ChatPage, MessagePage, Negotiated};
use crate::state::{ChatQuery, CHATS_PER_PAGE};
use crate::tasks::AbortOnDrop;
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
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

impl Api {
    /// Makes `call`: one path for every REST call, so the wasm holds one copy of the request flow.
    pub async fn call(&self, call: &Call) -> Result<Reply, ApiError> {
        Ok(match call {
            Call::Chats(q) => Reply::Chats(self.chats(q).await?),
            Call::Messages { chat_id, before } => {
                Reply::Messages(self.messages(*chat_id, *before).await?)
            }
            Call::Verify(chat_id) => Reply::Messages(self.messages(*chat_id, None).await?),
            Call::Status { chat_id, status } => {
                self.set_status(*chat_id, *status).await?;
                Reply::Done
            }
            Call::Media { url, .. } => Reply::Blob(self.media(url).await?),
        })
    }

    fn authorized(&self, builder: RequestBuilder) -> RequestBuilder {
        builder.header("Authorization", &["Bearer ", &self.token].concat())
    }

    /// Sends a request (with `body`, if any) under `abort`'s signal and checks the status. The caller
    /// keeps `abort` until it has read the body: dropping it cancels the request, body included.
    async fn send(
        builder: RequestBuilder,
        body: Option<String>,
        abort: &AbortOnDrop,
    ) -> Result<Response, ApiError> {
        let builder = builder.abort_signal(Some(&abort.signal()));
        let sent = match body {
            Some(body) => builder.body(body).map_err(|_| ApiError::Body)?.send().await,
            None => builder.send().await,
        };
        let response = sent.map_err(|_| ApiError::Network)?;
        match response.status() {
            200..=299 => Ok(response),
            401 => Err(ApiError::Unauthorized),
            403 => Err(ApiError::Forbidden),
            404 => Err(ApiError::NotFound),
            s => Err(ApiError::Status(s)),
        }
    }

    async fn json<T: DeserializeOwned>(builder: RequestBuilder) -> Result<T, ApiError> {
        let abort = AbortOnDrop::new().ok_or(ApiError::Network)?;
        let text = Self::send(builder, None, &abort)
            .await?
            .text()
            .await
            .map_err(|_| ApiError::Network)?;
        json::from_str(&text).ok_or(ApiError::Body)
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.authorized(Request::get(&[&self.base, path].concat()))
    }

    /// SignalR negotiation, against the hub's URL.
    pub async fn negotiate(&self) -> Result<Negotiated, ApiError> {
        let url = [&self.hub, "/negotiate?negotiateVersion=1"].concat();
        Self::json(self.authorized(Request::post(&url))).await
    }

    pub async fn chats(&self, q: &ChatQuery) -> Result<ChatPage, ApiError> {
        let mut path = ["/api/chat/chats?per_page=", &CHATS_PER_PAGE.to_string()].concat();
        path.push_str(&["&page=", &q.page.to_string()].concat());
        if let Some(s) = q.status {
            path.push_str(&["&status=", &s.to_string()].concat());
        }
        if !q.search.is_empty() {
            let search = String::from(js_sys::encode_uri_component(&q.search));
            path.push_str(&["&search=", &search].concat());
        }
        Self::json(self.get(&path)).await
    }

    /// The newest page of a chat, or the page before message `before`.
    pub async fn messages(
        &self,
        chat_id: u64,
        before: Option<u64>,
    ) -> Result<MessagePage, ApiError> {
        let mut path = [
            "/api/chat/chats/",
            &chat_id.to_string(),
            "/messages?limit=50",
        ]
        .concat();
        if let Some(before) = before {
            path.push_str(&["&before=", &before.to_string()].concat());
        }
        Self::json(self.get(&path)).await
    }

    pub async fn set_status(&self, chat_id: u64, status: u8) -> Result<(), ApiError> {
        let url = [&self.base, "/api/chat/status"].concat();
        let body = json::to_string(&StatusBody {
            id: chat_id,
            status,
        });
        let builder = self
            .authorized(Request::put(&url))
            .header("Content-Type", "application/json");
        let abort = AbortOnDrop::new().ok_or(ApiError::Network)?;
        Self::send(builder, Some(body), &abort).await.map(|_| ())
    }

    /// A media message's bytes, as a Blob for an object URL.
    pub async fn media(&self, url: &str) -> Result<web_sys::Blob, ApiError> {
        let path = api_path(url).ok_or(ApiError::Body)?;
        let abort = AbortOnDrop::new().ok_or(ApiError::Network)?;
        let raw: web_sys::Response = Self::send(self.get(path), None, &abort).await?.into();
        let blob = JsFuture::from(raw.blob().map_err(|_| ApiError::Body)?)
            .await
            .map_err(|_| ApiError::Network)?;
        Ok(blob.into())
    }
}

/// A text file that is not the API's (a language's strings beside the wasm, the host's saved
/// replies), fetched without the token.
pub async fn text(url: &str) -> Result<String, ApiError> {
    let abort = AbortOnDrop::new().ok_or(ApiError::Network)?;
    Api::send(Request::get(url), None, &abort)
        .await?
        .text()
        .await
        .map_err(|_| ApiError::Network)
}

/// A language's strings beside the wasm.
pub use text as locale;
