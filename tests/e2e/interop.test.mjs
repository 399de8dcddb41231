// Interop: the official @microsoft/signalr client (under node) against chathub-server's hub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as signalR from '@microsoft/signalr';
import { startServer, companyToken, inbound, outbound } from './lib/server.mjs';

/** Resolves with the arguments of the first `target` event that satisfies `pred`. */
function nextEvent(conn, target, pred = () => true, ms = 10000) {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => { conn.off(target, handler); fail(new Error(`no ${target} within ${ms} ms`)); }, ms);
    function handler(...args) {
      if (!pred(...args)) return;
      clearTimeout(timer);
      conn.off(target, handler);
      ok(args);
    }
    conn.on(target, handler);
  });
}

async function operatorToken(url) {
  const r = await fetch(`${url}/api/chathub/token`);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.ok(body.token && body.expiresAt);
  return body.token;
}

/** The raw negotiate response, which the official client keeps to itself. */
async function negotiate(url, token) {
  const r = await fetch(`${url}/chathub/negotiate?negotiateVersion=1`, {
    method: 'POST', headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.status, 200);
  return r.json();
}

const EXTENSIONS = ['clientMessageId', 'Typing', 'MarkRead', 'Resume', 'eventId', 'messageOperator', 'chatFields', 'ChatDeleted'];
const DOCUMENTED_CHAT = ['chatStatus', 'countUnread', 'id', 'operator', 'theme'];
const DOCUMENTED_MESSAGE = ['author', 'chatId', 'createdAt', 'id', 'media', 'message', 'status'];
const keys = (o) => Object.keys(o).sort();

/** Resolves once the server's log matches `re`; rejects with the log after `ms`. */
async function logged(srv, re, ms = 10000) {
  for (const end = Date.now() + ms; !re.test(srv.log());) {
    if (Date.now() > end) assert.fail(`${re} not logged:\n${srv.log()}`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
}

function connect(url, token, options = {}, level = signalR.LogLevel.Error) {
  return new signalR.HubConnectionBuilder()
    .withUrl(`${url}/chathub`, { accessTokenFactory: () => token, ...options })
    .configureLogging(level)
    .build();
}

test('official SignalR client: negotiate, ReceiveMessage from the channel, SendMessage round trip', async () => {
  const srv = await startServer();
  const conn = connect(srv.url, await operatorToken(srv.url));
  try {
    await conn.start();
    assert.equal(conn.state, signalR.HubConnectionState.Connected);
    const company = await companyToken(srv.url);

    // A new customer writes: the chat is announced, then the message, each with an eventId.
    const created = nextEvent(conn, 'ChatCreated');
    const received = nextEvent(conn, 'ReceiveMessage', (m) => m.message === 'Hi from node');
    const sent = await inbound(srv.url, company, { name: 'Node Ann', phone: '+380507770001', text: 'Hi from node' });
    const [chat, chatMeta] = await created;
    assert.equal(chat.id, sent.chatId);
    assert.equal(chat.client.phone, '+380507770001');
    const [message, meta] = await received;
    assert.equal(message.id, sent.message.id);
    assert.equal(message.author, 1);
    assert.ok(meta.eventId > chatMeta.eventId, 'event ids increase');

    // The operator answers through the hub and gets the stored message back.
    const echoed = nextEvent(conn, 'ReceiveMessage', (m) => m.message === 'Hello from the hub');
    const stored = await conn.invoke('SendMessage', sent.chatId, 'Hello from the hub');
    assert.equal(stored.chatId, sent.chatId);
    assert.equal(stored.author, 0);
    assert.equal(typeof stored.id, 'number');
    assert.match(stored.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const [echo] = await echoed;
    assert.equal(echo.id, stored.id);

    // The reply reaches the customer's side of the channel.
    const out = await outbound(srv.url, company, { phone: '+380507770001' });
    assert.equal(out.chatId, sent.chatId);
    assert.deepEqual(out.items.map((m) => m.id), [stored.id]);

    // Idempotent send: the same clientMessageId returns the same message.
    const a = await conn.invoke('SendMessage', sent.chatId, 'once', 'node-cmid-1');
    const b = await conn.invoke('SendMessage', sent.chatId, 'once', 'node-cmid-1');
    assert.equal(a.id, b.id);

    // An unknown method is an error for that call only; the connection stays usable.
    await assert.rejects(conn.invoke('NoSuchMethod', 1), /Unknown hub method/);
    assert.equal(conn.state, signalR.HubConnectionState.Connected);
    const again = await conn.invoke('SendMessage', sent.chatId, 'still here');
    assert.equal(again.message, 'still here');
  } finally {
    await conn.stop();
    await srv.stop();
  }
});

test('official SignalR client: Resume replays what a reconnecting client missed, once', async () => {
  const srv = await startServer();
  const token = await operatorToken(srv.url);
  const company = await companyToken(srv.url);
  const first = connect(srv.url, token);
  let second;
  try {
    await first.start();
    const seen = nextEvent(first, 'ReceiveMessage', (m) => m.message === 'before');
    await inbound(srv.url, company, { phone: '+380507770002', text: 'before' });
    const [, { eventId: lastEventId }] = await seen;
    await first.stop();

    await inbound(srv.url, company, { phone: '+380507770002', text: 'while away' });
    second = connect(srv.url, token);
    const got = [];
    second.on('ReceiveMessage', (m, meta) => { got.push([m.message, meta.eventId]); });
    await second.start();
    const result = await second.invoke('Resume', lastEventId);
    assert.ok(result.replayed >= 1);
    const after = nextEvent(second, 'ReceiveMessage', (m) => m.message === 'after');
    await inbound(srv.url, company, { phone: '+380507770002', text: 'after' });
    await after;
    assert.deepEqual(got.map(([text]) => text), ['while away', 'after']);
    assert.ok(got[0][1] > lastEventId && got[1][1] > got[0][1]);
  } finally {
    await first.stop();
    if (second) await second.stop();
    await srv.stop();
  }
});

test('official SignalR client: skipNegotiation over WebSockets works too', async () => {
  const srv = await startServer();
  const conn = connect(srv.url, 'test-token-for-development', {
    skipNegotiation: true,
    transport: signalR.HttpTransportType.WebSockets,
  });
  try {
    await conn.start();
    const r = await fetch(`${srv.url}/api/chat/chats`, { headers: { authorization: 'Bearer test-token-for-development' } });
    const { items } = await r.json();
    const stored = await conn.invoke('SendMessage', items[0].id, 'direct');
    assert.equal(stored.message, 'direct');
  } finally {
    await conn.stop();
    await srv.stop();
  }
});

test('official SignalR client: a bad token fails to start', async () => {
  const srv = await startServer();
  const conn = connect(srv.url, 'not-a-token', {}, signalR.LogLevel.None);
  try {
    await assert.rejects(conn.start(), /401|Unauthorized/);
  } finally {
    await srv.stop();
  }
});

test('official SignalR client, full mode: the extensions are announced and work', async () => {
  const srv = await startServer({ args: ['--compat', 'full'] });
  const token = await operatorToken(srv.url);
  const conn = connect(srv.url, token);
  try {
    assert.deepEqual((await negotiate(srv.url, token)).chathubExtensions, EXTENSIONS);
    await conn.start();
    const company = await companyToken(srv.url);
    const created = nextEvent(conn, 'ChatCreated');
    const unread = nextEvent(conn, 'UnreadChanged');
    const sent = await inbound(srv.url, company, { name: 'Full Fay', phone: '+380507770011', text: 'Hi' });
    const [chat, meta] = await created;
    assert.ok(meta.eventId > 0);
    assert.equal(chat.client.name, 'Full Fay');
    assert.deepEqual((await unread).slice(0, 2), [sent.chatId, 1]);

    // messageOperator: the completion names who wrote it (the dev token is operator 1, Olena).
    const stored = await conn.invoke('SendMessage', sent.chatId, 'From Olena', 'full-cmid-1');
    assert.deepEqual(stored.operator, { id: 1, name: 'Olena' });
    assert.equal(stored.clientMessageId, 'full-cmid-1');

    // Typing and MarkRead exist; Typing comes back to the sender's connection too.
    const typing = nextEvent(conn, 'Typing');
    assert.equal(await conn.invoke('Typing', sent.chatId), null);
    const [typingChat, who] = await typing;
    assert.equal(typingChat, sent.chatId);
    assert.equal(who.operator.name, 'Olena');
    const read = await conn.invoke('MarkRead', sent.chatId, sent.message.id);
    assert.deepEqual(read, { chatId: sent.chatId, countUnread: 0 });

    // ChatDeleted, with its event id.
    const deleted = nextEvent(conn, 'ChatDeleted');
    const r = await fetch(`${srv.url}/api/chat/chats/${sent.chatId}`, {
      method: 'DELETE', headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(r.status, 200);
    const [deletedId, deletedMeta] = await deleted;
    assert.equal(deletedId, sent.chatId);
    assert.ok(deletedMeta.eventId > meta.eventId);

    // A fourth argument is refused as ASP.NET Core refuses it.
    await assert.rejects(conn.invoke('SendMessage', 1, 'x', 'y', 'z'),
      { message: "Failed to invoke 'SendMessage' due to an error on the server." });
    assert.equal(conn.state, signalR.HubConnectionState.Connected);
  } finally {
    await conn.stop();
    await srv.stop();
  }
});

test('official SignalR client, documented mode: only what the hosted hub documents', async () => {
  const srv = await startServer({ args: ['--compat', 'documented'], env: { RUST_LOG: 'chathub_server=info' } });
  const token = await operatorToken(srv.url);
  const conn = connect(srv.url, token);
  const seen = [];
  for (const target of ['Typing', 'UnreadChanged', 'ChatDeleted']) conn.on(target, () => seen.push(target));
  try {
    const neg = await negotiate(srv.url, token);
    assert.equal('chathubExtensions' in neg, false, JSON.stringify(neg));
    await conn.start();
    const company = await companyToken(srv.url);

    // Events carry the documented fields and no trailing {eventId} argument.
    const created = nextEvent(conn, 'ChatCreated');
    const received = nextEvent(conn, 'ReceiveMessage', (m) => m.message === 'Hi, documented');
    const sent = await inbound(srv.url, company, { name: 'Doc Dana', phone: '+380507770021', text: 'Hi, documented' });
    const chatArgs = await created;
    assert.equal(chatArgs.length, 1);
    assert.deepEqual(keys(chatArgs[0]), DOCUMENTED_CHAT);
    assert.equal(chatArgs[0].id, sent.chatId);
    const messageArgs = await received;
    assert.equal(messageArgs.length, 1);
    assert.deepEqual(keys(messageArgs[0]), DOCUMENTED_MESSAGE);

    // SendMessage(chatId, text) succeeds and returns nothing; the echo has no eventId either.
    const echoed = nextEvent(conn, 'ReceiveMessage', (m) => m.message === 'hi');
    const status = nextEvent(conn, 'ChatStatusChanged');
    const result = await conn.invoke('SendMessage', sent.chatId, 'hi');
    assert.equal(result, undefined);
    const echo = await echoed;
    assert.equal(echo.length, 1);
    assert.deepEqual(keys(echo[0]), DOCUMENTED_MESSAGE);
    assert.deepEqual(await status, [sent.chatId, 1]);

    // Strict binding and unknown methods, with the hosted hub's exact texts.
    await assert.rejects(conn.invoke('SendMessage', sent.chatId, 'hi', 'cmid-1'),
      { message: "Failed to invoke 'SendMessage' due to an error on the server." });
    // stderr is read asynchronously: wait for the line rather than racing it.
    await logged(srv, /Invocation provides 3 argument\(s\) but target expects 2\./);
    await assert.rejects(conn.invoke('Typing', 1), { message: "Unknown hub method 'Typing'" });
    await assert.rejects(conn.invoke('Resume', 0), { message: "Unknown hub method 'Resume'" });
    // Fire-and-forget of an unknown method: nothing comes back, the connection stays.
    await conn.send('MarkRead', sent.chatId, sent.message.id);
    assert.equal(conn.state, signalR.HubConnectionState.Connected);

    // Deleting the chat sends nothing of ours; the next documented event still arrives.
    const r = await fetch(`${srv.url}/api/chat/chats/${sent.chatId}`, {
      method: 'DELETE', headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(r.status, 200);
    const later = nextEvent(conn, 'ChatCreated');
    await inbound(srv.url, company, { phone: '+380507770022', text: 'later' });
    assert.equal((await later).length, 1);
    assert.deepEqual(seen, [], 'no Typing, UnreadChanged or ChatDeleted');
  } finally {
    await conn.stop();
    await srv.stop();
  }
});
