// The customer's side of the demo, over the channel simulator. Texts are shown as text nodes only.
const $ = (id) => document.getElementById(id);
const auth = async () => {
  const r = await fetch('/api/company/get-token', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'demo', password: 'demo' }),
  });
  const t = await r.text();
  return t.startsWith('"') ? JSON.parse(t) : t;
};
// No top-level await: the listeners below must be in place before the page's load event, or an early
// Enter submits the form natively and reloads the page.
const tokenReady = auth();
const call = async (path, body) => fetch(path, {
  method: body ? 'POST' : 'GET',
  headers: { authorization: `Bearer ${await tokenReady}`, 'content-type': 'application/json' },
  body: body && JSON.stringify(body),
});
let after = 0;
let phone = $('phone').value;

function show(text, mine) {
  const li = document.createElement('li');
  li.textContent = text;
  if (mine) li.className = 'me';
  $('log').append(li);
}

$('phone').addEventListener('change', () => { phone = $('phone').value; after = 0; hasChat = false; $('log').replaceChildren(); });
$('say').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  $('text').value = '';
  const r = await call('/api/channel/inbound',
    { organizationId: 1, source: Number($('source').value), client: { name: $('name').value, phone }, text });
  if (r.ok) { hasChat = true; show(text, true); } else show(`Not sent (${r.status})`, true);
});
// Tell the operator the customer is typing, at most every 3 s, once there is a chat to type in.
let typedAt = 0;
let hasChat = false;
$('text').addEventListener('input', () => {
  if (!hasChat || Date.now() - typedAt < 3000 || !$('text').value.trim()) return;
  typedAt = Date.now();
  call('/api/channel/typing', { organizationId: 1, phone });
});
$('text').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('say').requestSubmit(); }
});

async function poll() {
  try {
    const q = new URLSearchParams({ organizationId: 1, phone, after });
    const r = await call(`/api/channel/outbound?${q}`);
    if (r.ok) {
      const { chatId, items } = await r.json();
      hasChat = chatId != null;
      for (const m of items) { show(m.message ?? m.media?.name ?? '', false); after = Math.max(after, m.id); }
    }
  } finally { setTimeout(poll, 1000); }
}
poll();
