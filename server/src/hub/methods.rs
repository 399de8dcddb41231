//! Hub methods: argument binding as strict as ASP.NET Core in documented mode, then the section
//! functions that do the work.

use serde_json::{json, Value};

use super::connection::Connection;
use crate::auth::Principal;
use crate::compat::Compat;
use crate::error::ApiError;
use crate::json::value_i64;
use crate::messages::{
    append_staff_message, mark_read, staff_typing, MediaUpload, NewMessage, AUTHOR_OPERATOR,
};
use crate::store::Store;

impl Connection {
    /// Run a hub method: its result (`None` for a void method), or the completion error text.
    /// Documented mode has only the two documented methods and binds arguments as strictly as
    /// ASP.NET Core does; full mode adds ours and an optional `clientMessageId` third argument.
    pub(super) async fn invoke(
        &mut self,
        target: &str,
        args: Vec<Value>,
        out: &mut Vec<String>,
    ) -> Result<Option<Value>, String> {
        let who = self.who;
        let store = self.state.store.clone();
        let compat = self.state.config.compat;
        // SignalR matches method names case-insensitively.
        let method = target.to_ascii_lowercase();
        let send = matches!(method.as_str(), "sendmessage" | "sendmediamessage");
        if compat.documented() && !send {
            return Err(format!("Unknown hub method '{target}'"));
        }
        // ASP.NET Core refuses a wrong argument count or type before the method runs.
        let bind_failure = || format!("Failed to invoke '{target}' due to an error on the server.");
        let arg_i64 = |i: usize, name: &str| -> Result<i64, String> {
            args.get(i).and_then(value_i64).ok_or_else(|| {
                if compat.documented() {
                    bind_failure()
                } else {
                    format!("Argument {i} ({name}) of '{target}' must be an integer.")
                }
            })
        };
        if send {
            let expects = match compat {
                Compat::Documented => "2",
                Compat::Full => "2 or 3",
            };
            if !(2..=if compat.documented() { 2 } else { 3 }).contains(&args.len()) {
                tracing::info!(
                    "Failed to bind arguments of '{target}': Invocation provides {} argument(s) but target expects {expects}.",
                    args.len()
                );
                return Err(bind_failure());
            }
        }
        match method.as_str() {
            "sendmessage" => {
                let chat_id = arg_i64(0, "chatId")?;
                let text = match args.get(1) {
                    Some(Value::String(t)) => Some(t.clone()),
                    _ if compat.documented() => return Err(bind_failure()),
                    _ => None,
                };
                let client_id = args.get(2).and_then(Value::as_str).map(str::to_string);
                let m = NewMessage::new(text, AUTHOR_OPERATOR, None, client_id).map_err(err)?;
                store_staff_message(&store, compat, who, chat_id, m).await
            }
            "sendmediamessage" => {
                let chat_id = arg_i64(0, "chatId")?;
                let media: MediaUpload = args
                    .get(1)
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .ok_or_else(|| {
                        if compat.documented() {
                            bind_failure()
                        } else {
                            "Argument 1 of 'SendMediaMessage' must be {Name, Format, DataBase64, Type}."
                                .to_string()
                        }
                    })?;
                let text = args
                    .get(1)
                    .and_then(|v| v.get("Text").or_else(|| v.get("text")))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                let client_id = args.get(2).and_then(Value::as_str).map(str::to_string);
                let m =
                    NewMessage::new(text, AUTHOR_OPERATOR, Some(media), client_id).map_err(err)?;
                store_staff_message(&store, compat, who, chat_id, m).await
            }
            "typing" => {
                let chat_id = arg_i64(0, "chatId")?;
                store
                    .write(move |tx| staff_typing(tx, &who, chat_id))
                    .await
                    .map_err(err)?;
                Ok(Some(Value::Null))
            }
            "markread" => {
                let chat_id = arg_i64(0, "chatId")?;
                let last = arg_i64(1, "lastMessageId")?;
                let unread = store
                    .write(move |tx| mark_read(tx, &who, chat_id, last))
                    .await
                    .map_err(err)?;
                Ok(Some(json!({ "chatId": chat_id, "countUnread": unread })))
            }
            "resume" => {
                let after = match args.first() {
                    None | Some(Value::Null) => 0,
                    Some(v) => value_i64(v)
                        .ok_or("Argument 0 (lastEventId) of 'Resume' must be an integer.")?,
                };
                let replayed = self.resume(after, out).await.map_err(err)?;
                Ok(Some(
                    json!({ "replayed": replayed, "lastEventId": self.last_sent }),
                ))
            }
            _ => Err(format!("Unknown hub method '{target}'")),
        }
    }
}

/// Stores an operator's text or media message. Full mode answers with the stored message;
/// documented mode with nothing, like the hosted hub's `Task` methods.
async fn store_staff_message(
    store: &Store,
    compat: Compat,
    who: Principal,
    chat_id: i64,
    m: NewMessage,
) -> Result<Option<Value>, String> {
    let msg = store
        .write(move |tx| append_staff_message(tx, &who, chat_id, m))
        .await
        .map_err(err)?;
    Ok((!compat.documented()).then(|| crate::messages::to_value(&msg)))
}

fn err(e: ApiError) -> String {
    e.to_string()
}
