//! Saved replies: the integrator's list (a JSON list of `{shortcut, title, text}`), what `/` at
//! the start of the composer finds in it, and a reply's `{client}` and `{operator}` filled in.

use crate::json::Raw;
use crate::state::State;
use serde::Deserialize;

/// The most the list shows at once. It does not scroll: the composer is a text box, not a
/// combobox, so a scrolling list would be a region the keyboard cannot reach (arrows move within
/// what is shown); typing more narrows it.
pub const SHOWN: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reply {
    /// What follows `/` to find it (written with or without the `/`).
    #[serde(default)]
    pub shortcut: String,
    #[serde(default)]
    pub title: String,
    pub text: String,
}

/// The list from its JSON text. Items that are not replies (no `text`, wrong types) are skipped;
/// `None` when the text is not a JSON list, or nothing in it is a reply.
pub fn parse(json: &str) -> Option<Vec<Reply>> {
    from_items(crate::json::from_str(json)?)
}

/// [`parse`] for a list already read (`setReplies`' argument).
pub fn from_items(items: Vec<Raw>) -> Option<Vec<Reply>> {
    let replies: Vec<Reply> = items
        .iter()
        .filter_map(Raw::decode::<Reply>)
        .filter(|r| !r.text.trim().is_empty())
        .map(|mut r| {
            r.shortcut = r.shortcut.trim().trim_start_matches('/').to_owned();
            r.title = r.title.trim().to_owned();
            if r.title.is_empty() {
                r.title.clone_from(&r.shortcut);
            }
            r
        })
        .collect();
    (items.is_empty() || !replies.is_empty()).then_some(replies)
}

/// What the operator is looking for: the composer's text after a `/` that starts it, while it is
/// one line. `None` when the list should be closed.
pub fn query(composer: &str) -> Option<&str> {
    let q = composer.strip_prefix('/')?;
    (!q.bytes().any(|b| b == b'\n')).then_some(q)
}

/// Where `needle` starts in `hay`, by bytes (a plain loop: `str::find`'s searcher is large in
/// the wasm, and these texts are short).
pub fn position(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..].starts_with(n))
}

/// The replies `q` finds, as indices into `all`: shortcuts starting with it first, then those whose
/// shortcut, title or text contains it; each in the list's order, at most [`SHOWN`]. `lower` puts
/// text in lower case (in the browser, the engine's `toLowerCase`: Unicode tables in the wasm would
/// cost more than the whole feature).
pub fn find(all: &[Reply], q: &str, lower: &dyn Fn(&str) -> String) -> Vec<usize> {
    let q = lower(q.trim());
    let mut first = Vec::new();
    let mut rest = Vec::new();
    for (i, r) in all.iter().enumerate() {
        let key = lower(&r.shortcut);
        if key.starts_with(&q) {
            first.push(i);
        } else if [&key, &lower(&r.title), &lower(&r.text)]
            .iter()
            .any(|s| position(s, &q).is_some())
        {
            rest.push(i);
        }
    }
    first.extend(rest);
    first.truncate(SHOWN);
    first
}

/// `text` with `{client}` and `{operator}` filled in where they are known. An unknown one stays as
/// written, for the operator to see and replace before sending.
pub fn fill(text: &str, client: Option<&str>, operator: Option<&str>) -> String {
    let mut args = Vec::with_capacity(2);
    if let Some(c) = client {
        args.push(("client", c));
    }
    if let Some(o) = operator {
        args.push(("operator", o));
    }
    crate::text::fill(text, &args)
}

/// The open chat's customer by name (never the phone: a greeting does not name a number).
pub fn client(state: &State) -> Option<&str> {
    let chat = state.chat(state.open?)?;
    let name = chat.client.as_ref()?.name.as_deref()?.trim();
    (!name.is_empty()).then_some(name)
}

/// This operator's name as the session knows it: a chat assigned to them, or one of their
/// messages in the open thread (both carry the operator's name).
pub fn operator(state: &State) -> Option<&str> {
    let me = state.me?;
    let assigned = state.chats.iter().filter_map(|c| c.operator.as_ref());
    let wrote = state.thread.iter().filter_map(|m| m.operator.as_ref());
    assigned
        .chain(wrote)
        .filter(|o| o.id == me)
        .find_map(|o| o.name.as_deref().map(str::trim).filter(|n| !n.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Chat, Client, Message, Operator};

    fn find(all: &[Reply], q: &str) -> Vec<usize> {
        super::find(all, q, &|s| s.to_lowercase())
    }

    fn list() -> Vec<Reply> {
        parse(
            r#"[
              {"shortcut": "/hello", "title": "Greeting", "text": "Hello {client}, I am {operator}."},
              {"shortcut": "refund", "title": "Refund policy", "text": "Refunds take 5 days."},
              {"shortcut": "bye", "title": "Closing", "text": "Anything else about the refund?"},
              {"title": "Без ярлика", "text": "Привіт!"}
            ]"#,
        )
        .unwrap()
    }

    #[test]
    fn parses_a_list_and_skips_what_is_not_a_reply() {
        let all = list();
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].shortcut, "hello", "the leading / is dropped");
        assert_eq!(all[3].shortcut, "");
        let odd = parse(
            r#"[{"shortcut":"a","text":"A"},{"text":7},{"title":"no text"},3,{"shortcut":"b","text":"  "}]"#,
        );
        let odd = odd.unwrap();
        assert_eq!(odd.len(), 1);
        assert_eq!(odd[0].title, "a", "no title: the shortcut");
        assert_eq!(parse("[]"), Some(vec![]));
        for bad in [
            "",
            "{",
            "{\"shortcut\":\"a\",\"text\":\"b\"}",
            "\"x\"",
            "[1,2]",
            "<html>",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn slash_at_the_start_of_one_line_asks() {
        assert_eq!(query("/"), Some(""));
        assert_eq!(query("/ref"), Some("ref"));
        assert_eq!(query("/two words"), Some("two words"));
        assert_eq!(query("a /ref"), None);
        assert_eq!(query(" /ref"), None);
        assert_eq!(query("/ref\nmore"), None);
        assert_eq!(query(""), None);
    }

    #[test]
    fn shortcut_prefixes_first_then_anything_that_contains_it() {
        let all = list();
        assert_eq!(find(&all, ""), vec![0, 1, 2, 3]);
        assert_eq!(find(&all, "hel"), vec![0]);
        assert_eq!(find(&all, "REF"), vec![1, 2], "case does not matter");
        assert_eq!(find(&all, "refund"), vec![1, 2]);
        let two = parse(
            r#"[{"shortcut":"x","title":"Say thanks","text":"a"},{"shortcut":"thanks","text":"b"}]"#,
        );
        assert_eq!(
            find(&two.unwrap(), "thanks"),
            vec![1, 0],
            "the shortcut first"
        );
        assert_eq!(find(&all, "без"), vec![3], "any script, any case");
        assert_eq!(find(&all, "zzz"), Vec::<usize>::new());
        let many: Vec<Reply> = (0..100)
            .map(|i| Reply {
                shortcut: format!("s{i}"),
                title: String::new(),
                text: "t".into(),
            })
            .collect();
        assert_eq!(find(&many, "s").len(), SHOWN);
        assert_eq!(position("ab{client}", "{client}"), Some(2));
        assert_eq!(position("ab", "abc"), None);
        assert_eq!(position("", ""), Some(0));
    }

    #[test]
    fn fills_what_is_known_and_keeps_the_rest() {
        let text = "Hello {client}, I am {operator}. {other}";
        assert_eq!(
            fill(text, Some("Ann"), Some("Olena")),
            "Hello Ann, I am Olena. {other}"
        );
        assert_eq!(
            fill(text, None, Some("Olena")),
            "Hello {client}, I am Olena. {other}"
        );
        // A name is not scanned again.
        assert_eq!(
            fill("{client}", Some("{operator}"), Some("X")),
            "{operator}"
        );
    }

    #[test]
    fn names_come_from_the_open_chat_and_the_session() {
        let mut s = State::default();
        assert_eq!((client(&s), operator(&s)), (None, None));
        s.me = Some(1);
        let op = |id, name: &str| {
            Some(Operator {
                id,
                name: Some(name.into()),
            })
        };
        s.chats = vec![
            Chat {
                id: 5,
                client: Some(Client {
                    name: Some(" Ann ".into()),
                    phone: Some("+380".into()),
                }),
                operator: op(2, "Mark"),
                ..Chat::default()
            },
            Chat {
                id: 6,
                client: Some(Client {
                    name: None,
                    phone: Some("+381".into()),
                }),
                ..Chat::default()
            },
        ];
        assert_eq!(operator(&s), None, "Mark is not me");
        s.open = Some(5);
        assert_eq!(client(&s), Some("Ann"));
        s.thread = vec![Message {
            author: 0,
            operator: op(1, "Olena"),
            ..Message::default()
        }];
        assert_eq!(operator(&s), Some("Olena"));
        s.open = Some(6);
        assert_eq!(client(&s), None, "a phone is not a name");
        s.chats[1].operator = op(1, "Olena K.");
        assert_eq!(operator(&s), Some("Olena K."));
    }
}
