//! Every visible string goes through [`Strings::get`]. English is built in; other languages are JSON
//! files beside the wasm (`locales/<lang>.json`), fetched only when used, and fall back key by key.

use std::collections::HashMap;

/// Languages shipped as JSON beside the wasm.
pub const SHIPPED: &[&str] = &[
    "sq", "es", "nl", "ko", "uk", "pt", "da", "bs", "hr", "mt", "ar",
];

/// Languages written right to left.
const RTL: &[&str] = &["ar"];

const EN: &[(&str, &str)] = &[
    ("title", "Chats"),
    ("conn.connecting", "Connecting…"),
    ("conn.connected", "Online"),
    ("conn.reconnecting", "Reconnecting…"),
    ("conn.offline", "Offline"),
    ("conn.expired", "Session expired"),
    ("conn.invalid", "Not signed in"),
    (
        "notice.offline",
        "You are offline. Messages you write are kept and sent when the connection is back.",
    ),
    (
        "notice.expired",
        "Your session has expired. Chat is unavailable until the page gets a new token.",
    ),
    (
        "notice.invalid",
        "Chat is unavailable: the sign-in token is not valid.",
    ),
    ("fallback.url", "Contact us"),
    ("open", "Open chats"),
    ("close", "Close"),
    ("retry", "Retry"),
    ("list.label", "Chats"),
    ("list.empty", "No chats yet"),
    ("thread.label", "Messages"),
    ("thread.empty", "Select a chat to see its messages"),
    ("composer.label", "Message"),
    ("composer.placeholder", "Write a reply…"),
    ("send", "Send"),
    ("state.sending", "sending"),
    ("state.sent", "sent"),
    ("state.delivered", "delivered"),
    ("state.read", "read"),
    ("state.failed", "failed"),
];

#[derive(Debug, Default, Clone)]
pub struct Strings {
    lang: String,
    table: HashMap<String, String>,
}

impl Strings {
    /// The language to use: the first of `lang` attribute, `<html lang>`, the browser's, that we ship;
    /// English otherwise. `pt-BR` matches `pt`.
    pub fn pick<'a>(candidates: impl IntoIterator<Item = &'a str>) -> &'static str {
        candidates
            .into_iter()
            .filter_map(|c| {
                let base = c.split(['-', '_']).next()?.to_ascii_lowercase();
                SHIPPED.iter().chain(&["en"]).find(|s| **s == base).copied()
            })
            .next()
            .unwrap_or("en")
    }

    /// A language's table from its JSON file; a broken file leaves English in place.
    pub fn from_json(lang: &str, json: &str) -> Strings {
        Strings {
            lang: lang.into(),
            table: crate::json::from_str(json).unwrap_or_default(),
        }
    }

    pub fn lang(&self) -> &str {
        if self.lang.is_empty() {
            "en"
        } else {
            &self.lang
        }
    }

    pub fn rtl(&self) -> bool {
        RTL.contains(&self.lang())
    }

    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        if let Some(s) = self.table.get(key) {
            return s;
        }
        EN.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap_or(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_first_shipped_language() {
        assert_eq!(Strings::pick(["", "pt-BR", "uk"]), "pt");
        assert_eq!(Strings::pick(["de", "AR"]), "ar");
        assert_eq!(Strings::pick(["de", "fr"]), "en");
        assert_eq!(Strings::pick(["en-GB", "uk"]), "en");
    }

    #[test]
    fn falls_back_to_english_then_the_key() {
        let uk = Strings::from_json("uk", r#"{"send":"Надіслати"}"#);
        assert_eq!(uk.get("send"), "Надіслати");
        assert_eq!(uk.get("title"), "Chats");
        assert_eq!(uk.get("no.such"), "no.such");
        assert!(!uk.rtl());
        assert!(Strings::from_json("ar", "{}").rtl());
        assert_eq!(Strings::default().lang(), "en");
        assert_eq!(Strings::from_json("uk", "{broken").get("send"), "Send");
    }
}
