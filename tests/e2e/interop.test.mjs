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
