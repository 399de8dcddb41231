// The provider's dynamic-injection pattern: fetch a token from your backend, then add the script tag.
const res = await fetch('/api/chathub/token');
const { token } = await res.json();
const script = document.createElement('script');
script.type = 'module';
script.id = 'operator-chat-panel-script';
script.src = '/operator-chat-panel/widget-script.js';
script.setAttribute('token', token);
script.setAttribute('api', location.origin);
script.setAttribute('open', '');
// Saved replies: type / at the start of a message.
script.setAttribute('replies', '/replies.json');
document.head.appendChild(script);
