// Injects the widget on the strict-CSP page, as www/demo.js does: fetch a token, then add the script tag.
const res = await fetch('/api/chathub/token');
const { token } = await res.json();
const script = document.createElement('script');
script.type = 'module';
script.id = 'operator-chat-panel-script';
script.src = '/operator-chat-panel/widget-script.js';
script.setAttribute('token', token);
script.setAttribute('api', location.origin);
script.setAttribute('open', '');
document.head.appendChild(script);
