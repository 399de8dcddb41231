//! Builders the tests of every file in `state` share: a live session, hub frames, pages. One copy,
//! so that a change to the wire format is made once.

use super::*;
use crate::codec;
use crate::json;

/// Every extension the reference server announces.
pub(super) fn full() -> Extensions {
    Extensions {
        client_message_id: true,
        typing: true,
        mark_read: true,
        resume: true,
    }
}

/// A live session with a server that offers `ext`, the operator looking at the panel.
pub(super) fn connected_to(ext: Extensions) -> State {
    let mut s = State::default();
    update(&mut s, Msg::Looking(true));
    update(&mut s, Msg::Negotiated(ext));
    update(&mut s, Msg::SocketOpened { now: 0 });
    let fx = update(
        &mut s,
        Msg::Frame {
            text: "{}\u{1e}".into(),
            now: 1,
        },
    );
    assert_eq!(fx, vec![Effect::LoadChats(ChatQuery::first())]);
    assert_eq!(s.conn, Conn::Connected);
    s
}

pub(super) fn connected() -> State {
    connected_to(full())
}

pub(super) fn msg(id: u64, chat: u64, author: u8, at: &str) -> String {
    format!(
        r#"{{"id":{id},"chatId":{chat},"message":"m{id}","author":{author},"status":1,"createdAt":"{at}"}}"#
    )
}

pub(super) fn chats(json: &str) -> ChatPage {
    json::from_str(json).unwrap()
}

pub(super) fn event(target: &str, arg: &str, event_id: u64) -> String {
    format!(
        r#"{{"type":1,"target":"{target}","arguments":[{arg},{{"eventId":{event_id}}}]}}{}"#,
        codec::RS
    )
}

pub(super) fn open_chat(s: &mut State, id: u64) {
    update(
        s,
        Msg::ChatsLoaded(
            ChatQuery::first(),
            chats(&format!(r#"{{"items":[{{"id":{id}}}]}}"#)),
        ),
    );
    update(s, Msg::Open(id));
}

pub(super) fn reconnect(s: &mut State) -> Vec<Effect> {
    update(s, Msg::SocketClosed);
    update(s, Msg::SocketOpened { now: 100 });
    update(
        s,
        Msg::Frame {
            text: "{}\u{1e}".into(),
            now: 101,
        },
    )
}

pub(super) fn page(items: &[String], has_more: bool) -> MessagePage {
    json::from_str(&format!(
        r#"{{"items":[{}],"hasMore":{has_more}}}"#,
        items.join(",")
    ))
    .unwrap()
}

pub(super) fn chat_json(id: u64, status: u8, name: &str, at: &str) -> String {
    format!(
        r#"{{"id":{id},"chatStatus":{status},"client":{{"name":"{name}","phone":"+3805000{id}"}},"lastMessage":{}}}"#,
        msg(id * 100, id, 1, at)
    )
}

pub(super) fn visible(s: &State) -> Vec<u64> {
    s.visible_chats().map(|c| c.id).collect()
}

/// The hub records of the sends in `fx`: (target, arguments JSON).
pub(super) fn sends(fx: &[Effect], target: &str) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(f) if f.contains(&format!("\"target\":\"{target}\"")) => {
                let args = f.split("\"arguments\":").nth(1)?;
                Some(args.trim_end_matches(['\u{1e}', '}']).to_owned())
            }
            _ => None,
        })
        .collect()
}

pub(super) fn send(s: &mut State, chat_id: u64, text: &str, cmid: &str) -> Vec<Effect> {
    update(
        s,
        Msg::Send {
            chat_id,
            text: text.into(),
            client_message_id: cmid.into(),
            now: 5,
        },
    )
}

pub(super) fn frame(s: &mut State, text: String) -> Vec<Effect> {
    update(s, Msg::Frame { text, now: 10 })
}

pub(super) fn two_chats(s: &mut State) {
    update(
        s,
        Msg::ChatsLoaded(
            ChatQuery::first(),
            chats(r#"{"items":[{"id":7},{"id":8}]}"#),
        ),
    );
}

/// A documented hub, with "one" and "two" sent and unanswered when the session is lost.
pub(super) fn lost_two_sends() -> State {
    let mut s = connected_to(Extensions::default());
    open_chat(&mut s, 7);
    send(&mut s, 7, "one", "c1");
    send(&mut s, 7, "two", "c2");
    update(&mut s, Msg::SocketClosed);
    send(&mut s, 7, "three", "c3");
    s
}
