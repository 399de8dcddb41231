// Helpers for end-to-end scenarios that put the panel on a page: the widget's script element, tokens,
// waiting for conditions, and reading the panel's shadow DOM.
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';
import { launch, openPage, inPanel } from './browser.mjs';

export const SRC = '/operator-chat-panel/widget-script.js';
export const ID = 'operator-chat-panel-script';
export const HOST = `#${ID}-host`;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs in the page (it is shipped there as source, so it must stay self-contained): creates the widget's
 * script element, and appends it to `document[parent]` when `parent` ("head" or "body") is given.
 * `attrs` adds attributes (lang, theme, sound, position, container...); a value of `true` sets an empty
 * attribute, `false`/null/undefined leaves it out. `record` lists events to push into
 * `window.__chathubEvents` from the moment the element exists.
 */
export function makeWidgetScript({ id, src, token, api, open = false, attrs = {}, record = [], parent }) {
  const s = document.createElement('script');
  s.type = 'module';
  s.id = id;
  s.src = src;
  if (token != null) s.setAttribute('token', token);
  if (api != null) s.setAttribute('api', api);
  if (open) s.setAttribute('open', '');
  for (const [k, v] of Object.entries(attrs)) {
    if (v === true) s.setAttribute(k, '');
    else if (v !== false && v != null) s.setAttribute(k, String(v));
  }
  if (record.length) {
    if (!window.__chathubEvents) Object.defineProperty(window, '__chathubEvents', { value: [], enumerable: false });
    for (const name of record) {
      s.addEventListener(name, (e) => window.__chathubEvents.push({ type: e.type, id, detail: e.detail ?? null }));
    }
  }
  if (parent) document[parent].appendChild(s);
  return s;
}

/**
 * Makes `window.__widgetScript(opts)` (= makeWidgetScript with this page's defaults for id and src)
 * available in every document the page loads, for scenarios that create script elements inside one
 * `page.evaluate`. Call before `page.goto`.
 */
export function installScriptFactory(page) {
  return page.addInitScript(`Object.defineProperty(window, '__widgetScript', { enumerable: false,
    value: (o) => (${makeWidgetScript})({ id: ${JSON.stringify(ID)}, src: ${JSON.stringify(SRC)}, ...o }) });`);
}

/** Appends a widget script element to `parent` (head or body); resolves once it is in the document. */
export async function inject(page, { id = ID, token, api, parent = 'head', open = true, attrs = {}, record = [] }) {
  const o = { id, token, api, parent, open, attrs, record, src: SRC };
  await page.evaluate(`void (${makeWidgetScript})(${JSON.stringify(o)})`);
}

/** Runs `fn(srv, browser)` with a server and a browser of its own, always closing both. */
export async function withServer(fn, serverOpts) {
  const srv = await startServer(serverOpts);
  const browser = await launch();
  try { await fn(srv, browser); } finally { await browser.close(); await srv.stop(); }
}

/** Polls `probe` until `ok(value)` or `ms` elapse; returns the last value (the caller asserts on it). */
export async function until(probe, ok, ms = 10000, every = 50) {
  const end = Date.now() + ms;
  let v = await probe();
  while (!ok(v) && Date.now() < end) { await sleep(every); v = await probe(); }
  return v;
}

/** The dev operator's token (operator 1, Olena, organization 1). */
export async function devToken(url) {
  const r = await fetch(`${url}/api/chathub/token`);
  assert.equal(r.status, 200);
  return (await r.json()).token;
}

/** An operator token minted through the company API (the provider's backend flow). */
export async function operatorToken(url, company, id) {
  const r = await fetch(`${url}/api/operator/get-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${company}` },
    body: JSON.stringify({ id, expiresAt: new Date(Date.now() + 3600_000).toISOString() }),
  });
  if (!r.ok) throw new Error(`operator get-token ${r.status}: ${await r.text()}`);
  const t = await r.text();
  return t.startsWith('"') ? JSON.parse(t) : t;
}

/** GET a JSON API path with a bearer token. */
export async function api(url, token, path) {
  const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`GET ${path} ${r.status}: ${await r.text()}`);
  return r.json();
}

/** All chats the token may see (every page). */
export async function allChats(url, token, query = {}) {
  const out = [];
  for (let page = 1; ; page++) {
    const q = new URLSearchParams({ ...query, page, per_page: 100 });
    const body = await api(url, token, `/api/chat/chats?${q}`);
    const items = body.items || body.chats || body.data || [];
    out.push(...items);
    if (items.length < 100) return out;
  }
}

/** A blank same-origin host page (with `window.__widgetScript` installed). */
export async function blankPage(browser, srv, { viewport, initScripts = [] } = {}) {
  const { page, errors } = await openPage(browser, undefined, viewport ? { viewport } : undefined);
  for (const s of initScripts) await page.addInitScript(s);
  await installScriptFactory(page);
  await page.goto(`${srv.url}/blank.html`);
  return { page, errors };
}

/** Waits for `.conn[data-state=connected]` in the panel (`attached`: a collapsed panel hides it). */
export const connected = (page, host = HOST, timeout = 20000) =>
  inPanel(page, '.conn', host).and(page.locator('[data-state=connected]')).waitFor({ state: 'attached', timeout });

/**
 * A blank page with a panel on it, connected. `open` starts it expanded. Returns the page, its error list
 * and a locator factory `$` for the panel's shadow DOM.
 */
export async function panelPage(browser, srv, { token, open = true, attrs = {}, record = [], viewport, id = ID } = {}) {
  const { page, errors } = await blankPage(browser, srv, { viewport });
  await inject(page, { id, token: token ?? await devToken(srv.url), api: srv.url, open, attrs, record });
  const host = `#${id}-host`;
  await connected(page, host);
  return { page, errors, host, $: (css) => inPanel(page, css, host) };
}

/** Events recorded through `record` (see makeWidgetScript), optionally of one type. */
export const events = (page, type) =>
  page.evaluate((type) => (window.__chathubEvents || []).filter((e) => !type || e.type === type), type);

/** The chat list button for a chat id. */
export const chatButton = ($, chatId) => $(`button.chat[data-chat="${chatId}"]`);

/** Opens a chat from the list (clicks its button) and waits until it is the open one. */
export async function openChat($, chatId) {
  const b = chatButton($, chatId);
  await b.waitFor({ timeout: 15000 });
  await b.click();
  await $(`button.chat[data-chat="${chatId}"][aria-current=true]`).waitFor({ state: 'attached', timeout: 10000 });
  await $('.messages .msg').first().waitFor({ state: 'attached', timeout: 15000 });
}

/** The innermost focused element through open shadow roots, described for assertions. */
export const focused = (page) => page.evaluate(() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el) return null;
  const inShadow = el.getRootNode() instanceof ShadowRoot;
  return {
    tag: el.tagName.toLowerCase(),
    cls: typeof el.className === 'string' ? el.className : '',
    chat: el.getAttribute('data-chat'),
    inShadow,
    inPanel: inShadow && !!el.closest('section.panel'),
    inSide: inShadow && !!el.closest('.side'),
    inThread: inShadow && !!el.closest('.thread'),
    type: el.getAttribute('type'),
  };
});

/** A 2x2 PNG (red, green, blue, white) for attachments. */
export const PNG_2X2 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64');
