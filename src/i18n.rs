//! Every visible string goes through [`Strings::get`]. English is built in; other languages are JSON
//! files beside the wasm (`locales/<lang>.json`), fetched only when used, and fall back key by key.

use crate::text::split_once;

/// Languages shipped as JSON beside the wasm.
pub const SHIPPED: &[&str] = &[
    "sq", "es", "nl", "ko", "uk", "pt", "da", "bs", "hr", "mt", "ar",
];

/// Languages written right to left.
const RTL: &[&str] = &["ar"];

/// English, one `key=value` per line, in the same keys as the language files. Source names
/// (`source.N`) follow the ChatHub API's source numbers.
const EN: &str = "\
title=Chats
conn.connecting=Connecting…
conn.connected=Online
conn.reconnecting=Reconnecting…
conn.offline=Offline
conn.expired=Session expired
conn.invalid=Not signed in
notice.offline=You are offline. Messages you write are kept and sent when the connection is back.
notice.expired=Your session has expired. Chat is unavailable until the page gets a new token.
notice.invalid=Chat is unavailable: the sign-in token is not valid.
conn.refused=Access refused
notice.refused=Chat is unavailable: the server refused this operator (inactive or removed).
notice.deleted=The chat with {name} was deleted elsewhere.
notice.deleted_unsent=The chat with {name} was deleted elsewhere; its draft and unsent messages were discarded.
fallback.url=Contact us
open=Open chats
close=Close
retry=Retry
list.label=Chats
list.empty=No chats yet
thread.label=Messages
thread.empty=Select a chat to see its messages
composer.label=Message
composer.placeholder=Write a reply…
send=Send
state.sending=sending
state.sent=sent
state.delivered=delivered
state.read=read
state.failed=failed
status.0=New
status.1=Open
status.2=Waiting
status.3=On pause
status.4=Closed
status.label=Chat status
filter.label=Show chats
filter.all=All chats
search.label=Search chats
search.placeholder=Search by name or phone
source.0=Web
source.1=Viber Bot
source.2=Telegram
source.3=Viber
source.4=WhatsApp
source.5=Instagram
source.6=Facebook
source.7=SMS
day.today=Today
day.yesterday=Yesterday
author.0=You
author.1=Client
author.2=System
author.operator=Operator
assigned=Assigned to {name}
typing={name} is typing…
attach=Attach a file
attach.remove=Remove the attachment {name}
attach.added=Attached: {name} ({size})
attach.drop=Drop a file to attach it
size.b={n} B
size.kb={n} KB
size.mb={n} MB
size.point=.
media.image=Image
composer.left={n} characters left
composer.over={n} characters left: too long to send, the limit is {max}
dismiss=Dismiss notice
file.too_big=Files up to {max} MB can be sent; \"{name}\" is {size} MB
notify.enable=Turn on desktop notifications
notify.on=Desktop notifications are on
notify.blocked=Desktop notifications are blocked in this browser
notify.title=New message from {name}
history.loading=Loading earlier messages…
history.start=Beginning of the conversation
list.more=Loading more chats…
list.none=No chats match
back=Back to chats
unread={n} unread
sort.label=Order chats
sort.activity=Latest activity
sort.waiting=Longest waiting
wait.label=Waiting
wait.min={n} min
wait.hour={n} h
next=Next waiting customer
notice.none_waiting=No other customer is waiting.
notice.reopened=The chat with {name} was closed; your reply reopened it.
phone.copy=Copy phone number
notice.copied=Copied {name}
colleague.typing={name} is typing in this chat…
colleague.replied={name} just replied in this chat
thread.unread=New messages
thread.arrived=↓ {n} new
keys.title=Keyboard shortcuts
keys.general=General
keys.sheet=Show the keyboard shortcuts
keys.escape=Close the shortcuts, the saved replies or the panel
keys.filter=Filter chats by status
keys.sort=Change the order of the chats
keys.move=Move through the chats
keys.open=Open the chat
keys.down=Open the next chat in the list
keys.up=Open the previous chat in the list
keys.close=Close the chat and move on
keys.pause=Pause the chat and move on
keys.reopen=Reopen the chat
keys.latest=Jump to the newest message
keys.write=Go to the reply box
keys.retry=Retry the failed messages
keys.notify=Desktop notifications
keys.newline=New line
keys.replies=Saved replies: type / at the start of a message
keys.pick=Choose a saved reply and insert it
replies.label=Saved replies
notice.replies_failed=The saved replies could not be loaded.";

/// The English pairs, in order.
fn english() -> impl Iterator<Item = (&'static str, &'static str)> {
    let mut rest = EN;
    core::iter::from_fn(move || {
        let (line, more) = split_once(rest, b'\n').unwrap_or((rest, ""));
        rest = more;
        split_once(line, b'=')
    })
}

/// A language file: a flat JSON object of strings, kept as pairs (a linear search over ~80 keys is
/// fast enough, and a map type would cost a second copy of its code in the wasm). A value of another
/// type refuses the file.
#[derive(Debug, Default, Clone)]
struct Table(Vec<(String, String)>);

impl Table {
    fn get(&self, key: &str) -> Option<&String> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    #[cfg(test)]
    fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }
}

impl<'de> serde::Deserialize<'de> for Table {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Table, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = Table;
            fn expecting(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Table, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(Table(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

#[derive(Debug, Default, Clone)]
pub struct Strings {
    lang: String,
    table: Table,
}

impl Strings {
    /// The language to use: the first of `lang` attribute, `<html lang>`, the browser's, that we ship;
    /// English otherwise. `pt-BR` matches `pt`.
    pub fn pick<'a>(candidates: impl IntoIterator<Item = &'a str>) -> &'static str {
        candidates
            .into_iter()
            .filter_map(|c| {
                let end = c.bytes().position(|b| b == b'-' || b == b'_');
                let base = c[..end.unwrap_or(c.len())].to_ascii_lowercase();
                SHIPPED.iter().chain(&["en"]).find(|s| **s == base).copied()
            })
            .next()
            .unwrap_or("en")
    }

    /// A language whose file has not arrived yet: English meanwhile, with the language's dates.
    pub fn new(lang: &str) -> Strings {
        Strings {
            lang: lang.into(),
            table: Table::default(),
        }
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
        english().find(|(k, _)| *k == key).map_or(key, |(_, v)| v)
    }

    /// [`Strings::get`] with each `{name}` replaced by its value from `args`, in one pass: values are
    /// not scanned again, and a placeholder without a value stays as it is.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        crate::text::fill(self.get(key), args)
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

    /// The `{placeholders}` of a string, sorted.
    fn placeholders(s: &str) -> Vec<&str> {
        let mut found: Vec<&str> = s
            .split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn english_keys_are_unique() {
        let mut keys: Vec<&str> = english().map(|(k, _)| k).collect();
        assert_eq!(
            keys.len(),
            EN.lines().count(),
            "a line of EN is not key=value"
        );
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), EN.lines().count(), "a key appears twice in EN");
    }

    #[test]
    fn every_shipped_locale_has_exactly_the_english_keys() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");
        for lang in SHIPPED {
            let path = format!("{dir}/{lang}.json");
            let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let table = Strings::from_json(lang, &json).table;
            assert!(
                !table.is_empty(),
                "{path} does not parse as a flat object of strings"
            );
            for (key, en) in english() {
                let value = table
                    .get(key)
                    .unwrap_or_else(|| panic!("{path}: missing {key:?}"));
                assert!(!value.trim().is_empty(), "{path}: {key:?} is empty");
                assert_eq!(
                    value.contains('…'),
                    en.contains('…'),
                    "{path}: {key:?} = {value:?} and {en:?} differ in the ellipsis"
                );
                assert_eq!(
                    placeholders(value),
                    placeholders(en),
                    "{path}: {key:?} = {value:?} changes the placeholders of {en:?}"
                );
            }
            let mut extra: Vec<&String> = table
                .keys()
                .filter(|k| !english().any(|(en, _)| en == k.as_str()))
                .collect();
            extra.sort();
            assert!(extra.is_empty(), "{path}: keys not in EN: {extra:?}");
        }
    }

    #[test]
    fn fill_replaces_placeholders_and_falls_back_to_english() {
        let en = Strings::default();
        assert_eq!(en.fill("typing", &[("name", "Ann")]), "Ann is typing…");
        assert_eq!(en.fill("unread", &[("n", "3")]), "3 unread");
        assert_eq!(en.fill("send", &[("name", "Ann")]), "Send");
        // Values are not scanned again; a placeholder without a value stays.
        assert_eq!(
            en.fill("typing", &[("name", "{n}"), ("n", "7")]),
            "{n} is typing…"
        );
        assert_eq!(en.fill("typing", &[]), "{name} is typing…");

        let uk = Strings::from_json("uk", r#"{"typing":"{name} пише…","x":"{a}{b} {c"}"#);
        assert_eq!(uk.fill("typing", &[("name", "Олена")]), "Олена пише…");
        assert_eq!(uk.fill("x", &[("a", "1"), ("b", "2")]), "12 {c");
        // Not in the table: the English string, then the key.
        assert_eq!(
            uk.fill("notify.title", &[("name", "Ann")]),
            "New message from Ann"
        );
        assert_eq!(uk.fill("no.such", &[("name", "Ann")]), "no.such");
    }

    #[test]
    fn arabic_is_right_to_left_and_korean_is_not() {
        assert!(Strings::from_json("ar", "{}").rtl());
        assert!(!Strings::from_json("ko", "{}").rtl());
        assert!(!Strings::default().rtl());
    }
}
