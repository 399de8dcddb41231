// ChatHub operator chat panel loader. A module runs once per URL, so one MutationObserver keeps
// panels in step with matching script elements: added -> mount, removed -> unmount, token -> switch.
import init, * as w from './operator_chat_panel.js';

const MATCH = 'script[id^="operator-chat-panel-script"]';
const booted = init();
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
    const later = (fn) => booted.then(fn);
    return {
      open: () => later(() => w.setOpen(id, true)),
      close: () => later(() => w.setOpen(id, false)),
      toggle: () => later(() => w.setOpen(id, undefined)),
      destroy: () => later(() => w.destroy(id)),
      setToken: (token) => el()?.setAttribute('token', token),
      on(name, fn) {
        const target = el();
        const handler = (e) => fn(e.detail, e);
        target?.addEventListener(event(name), handler);
        return () => target?.removeEventListener(event(name), handler);
      },
      get ready() { return later(() => w.ready(id) ?? Promise.reject(new Error(`no panel ${id}`))); },
    };
  },
});

await booted;
new MutationObserver((records) => {
  for (const r of records) {
    if (r.type === 'attributes') { if (r.target.matches(MATCH)) w.tokenChanged(r.target); continue; }
    r.removedNodes.forEach((n) => each(n, w.unmount));
    r.addedNodes.forEach((n) => each(n, (s) => s.isConnected && w.mount(s)));
  }
}).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['token'] });
document.querySelectorAll(MATCH).forEach(w.mount);
