//! REST calls to the ChatHub API. Every request carries the panel's abort signal, so an unmounted
//! panel leaves no request behind.

use crate::model::{ChatPage, MessagePage};
use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
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

pub struct Api {
    pub base: String,
    pub token: String,
    pub signal: AbortSignal,
}

impl Api {
    fn auth(&self, req: RequestBuilder) -> RequestBuilder {
        req.header("Authorization", &format!("Bearer {}", self.token))
            .abort_signal(Some(&self.signal))
    }

    async fn json<T: DeserializeOwned>(&self, req: RequestBuilder) -> Result<T, ApiError> {
        let res = self.auth(req).send().await.map_err(|_| ApiError::Network)?;
        match res.status() {
            200..=299 => {}
            401 => return Err(ApiError::Unauthorized),
            s => return Err(ApiError::Status(s)),
        }
        let text = res.text().await.map_err(|_| ApiError::Network)?;
        crate::json::from_str(&text).ok_or(ApiError::Body)
    }

    pub async fn chats(&self) -> Result<ChatPage, ApiError> {
        self.json(Request::get(&format!(
            "{}/api/chat/chats?page=1&per_page=50",
            self.base
        )))
        .await
    }

    pub async fn messages(&self, chat_id: u64) -> Result<MessagePage, ApiError> {
        self.json(Request::get(&format!(
            "{}/api/chat/chats/{chat_id}/messages?limit=50",
            self.base
        )))
        .await
    }

    /// SignalR negotiation: the connection token for the WebSocket URL.
    pub async fn negotiate(&self) -> Result<String, ApiError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Negotiated {
            connection_token: Option<String>,
            connection_id: Option<String>,
        }
        let n: Negotiated = self
            .json(Request::post(&format!(
                "{}/negotiate?negotiateVersion=1",
                self.base
            )))
            .await?;
        n.connection_token.or(n.connection_id).ok_or(ApiError::Body)
    }
}
