// ChatHub operator chat panel loader. A module runs once per URL, so one MutationObserver keeps
// panels in step with matching script elements: added -> mount, removed -> unmount, token -> switch.
//
// Start-up is a chain of round trips, so nothing here waits for what it need not: the wasm is fetched
// at once, beside the glue (a static import would fetch the glue first and the wasm only after it),
// and handed to the glue as a Response promise, so the browser compiles it while it streams and keeps
// the compiled code in its cache for the next visit.
// The build writes the content-hashed names (tools/hash-assets.mjs); these plain ones are the unbuilt.
const ASSETS = { glue: './operator_chat_panel.js', wasm: './operator_chat_panel_bg.wasm', locales: {} }; // build: hashed names
const at = (path) => new URL(path, import.meta.url).href;

const MATCH = 'script[id^="operator-chat-panel-script"]';
// What the panel cannot run without. Where either is missing the wasm is never fetched: each script
// element reports `unsupported_browser` and its fallback contact is shown as plain text in the page.
const missing = typeof WebAssembly !== 'object' ? 'WebAssembly'
  : typeof Element.prototype.attachShadow !== 'function' ? 'shadow DOM' : null;
const UNSUPPORTED = { code: 'unsupported_browser', message: `unsupported browser: the chat panel needs ${missing}` };
const booted = missing ? null : boot();

function boot() {
  const wasm = fetch(at(ASSETS.wasm));
  return import(at(ASSETS.glue)).then(async (glue) => {
    await glue.default({ module_or_path: wasm });
    // Where each language's strings are, under their hashed names.
    glue.setLocales(Object.fromEntries(Object.entries(ASSETS.locales).map(([lang, path]) => [lang, at(path)])));
    return glue;
  });
}
const each = (node, fn) => {
  if (node.nodeType !== 1) return;
  if (node.matches(MATCH)) fn(node);
  node.querySelectorAll(MATCH).forEach(fn);
};
const event = (name) => (name.startsWith('chathub:') ? name : `chathub:${name}`);

// The one global. Methods work before the wasm has loaded; they wait for it.
window.ChatHub = Object.freeze({
  get(id = 'operator-chat-panel-script') {
    const el = () => document.getElementById(id);
    const later = (fn) => (booted ? booted.then(fn) : Promise.reject(UNSUPPORTED));
    return {
      open: () => later((w) => w.setOpen(id, true)),
      close: () => later((w) => w.setOpen(id, false)),
      toggle: () => later((w) => w.setOpen(id, undefined)),
      destroy: () => later((w) => w.destroy(id)),
      setToken: (token) => el()?.setAttribute('token', token),
      setReplies: (list) => later((w) => w.setReplies(id, list)),
      on(name, fn) {
        const target = el();
        const handler = (e) => fn(e.detail, e);
        target?.addEventListener(event(name), handler);
        return () => target?.removeEventListener(event(name), handler);
      },
      get ready() { return later((w) => w.ready(id) ?? Promise.reject(new Error(`no panel ${id}`))); },
    };
  },
});

/** The fallback contact, as light-DOM text beside the page's content, for a browser the panel cannot run in. */
const fallbacks = new Map();
function fallback(script) {
  if (fallbacks.has(script)) return;
  const box = document.createElement('p');
  box.id = `${script.id}-fallback`;
  box.setAttribute('role', 'status');
  box.append('Chat is not available in this browser.');
  const link = (href, text) => {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    box.append(' ', a);
  };
  const email = script.getAttribute('fallback-email');
  const url = script.getAttribute('fallback-url');
  if (email && !/[\n?]/.test(email)) link(`mailto:${email}`, email);
  if (url && /^https?:\/\//i.test(url.trim())) link(url, url);
  const selector = script.getAttribute('container');
  let place = null;
  try { place = selector && document.querySelector(selector); } catch { /* an invalid selector: float */ }
  (place || document.body || document.documentElement).append(box);
  fallbacks.set(script, box);
  script.dispatchEvent(new CustomEvent('chathub:error', { bubbles: true, detail: { ...UNSUPPORTED } }));
  window.dispatchEvent(new ErrorEvent('error', { message: UNSUPPORTED.message, error: new Error(UNSUPPORTED.message) }));
}
const unfallback = (script) => { fallbacks.get(script)?.remove(); fallbacks.delete(script); };
// The first chat-list page of each panel already in the page leaves now, beside the glue and the wasm,
// rather than after them: one round trip less before the first chat shows. The panel takes it if it
// would have asked for the same URL (api.rs `first_list`); any other way it is cancelled.
const DEFAULT_API = 'https://chatapi.smsbat.com'; // panel.rs DEFAULT_API
const FIRST_PAGE = '/api/chat/chats?per_page=50&page=1'; // api.rs chats_path(&ChatQuery::first())
const early = new Map();
function ask(script) {
  const token = script.getAttribute('token')?.trim();
  if (!token) return;
  const api = (script.getAttribute('api')?.trim() || DEFAULT_API).replace(/\/+$/, '');
  const abort = new AbortController();
  const response = fetch(api + FIRST_PAGE, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
  response.catch(() => {}); // cancelled or failed: the panel asks again itself
  early.set(script, { token, response, abort });
}
if (booted) document.querySelectorAll(MATCH).forEach(ask);
// Taken by the script's first mount, and only with the token it was asked with.
function take(script) {
  const e = early.get(script);
  early.delete(script);
  if (e?.token === script.getAttribute('token')?.trim()) return e;
  e?.abort.abort();
  return undefined;
}

const w = booted ? await booted : null;
const mount = missing ? fallback : (s) => { const e = take(s); w.mount(s, e?.response, e?.abort); };
const unmount = missing ? unfallback : (s) => w.unmount(s);

new MutationObserver((records) => {
  for (const r of records) {
    if (r.type === 'attributes') { if (booted && r.target.matches(MATCH)) w.tokenChanged(r.target); continue; }
    r.removedNodes.forEach((n) => each(n, unmount));
    r.addedNodes.forEach((n) => each(n, (s) => s.isConnected && mount(s)));
  }
}).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['token'] });
document.querySelectorAll(MATCH).forEach(mount);
