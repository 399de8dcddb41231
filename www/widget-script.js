// ChatHub operator chat panel loader. A module runs once per URL, so one MutationObserver keeps
// panels in step with matching script elements: added -> mount, removed -> unmount, token -> switch.
import init, { mount, unmount, tokenChanged } from './operator_chat_panel.js';

const MATCH = 'script[id^="operator-chat-panel-script"]';
const each = (node, fn) => {
  if (node.nodeType !== 1) return;
  if (node.matches(MATCH)) fn(node);
  node.querySelectorAll(MATCH).forEach(fn);
};

await init();
new MutationObserver((records) => {
  for (const r of records) {
    if (r.type === 'attributes') { if (r.target.matches(MATCH)) tokenChanged(r.target); continue; }
    r.removedNodes.forEach((n) => each(n, unmount));
    r.addedNodes.forEach((n) => each(n, (s) => s.isConnected && mount(s)));
  }
}).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['token'] });
document.querySelectorAll(MATCH).forEach(mount);
