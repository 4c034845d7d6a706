// The connection plumbing of every example page: the URL field, Connect and
// Disconnect, the state pill and what a close code means. A page defines
// onReset(), onState(state) and onMessage(data) in its own script, loaded
// after this one, and calls connect().
const $ = (id) => document.getElementById(id);
// ws://<host of this page>:8080/ (localhost when opened from disk), or ?ws=URL.
const defaultUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') +
                   (location.hostname || 'localhost') + ':8080/';
$('url').value = new URLSearchParams(location.search).get('ws') || defaultUrl;

const CLOSE_MEANING = {
  1000: 'normal closure',
  1001: 'going away',
  1006: 'no close frame: server not running or unreachable, or websocketd ending after its program exited',
  1008: 'policy violation',
  1009: 'message too big',
  1011: 'server error (could the program be started?)',
};
let ws = null;
let attempt = 0; // the latest connect(): an older one that finishes late stands down

// The socket class for a URL: wsexec's client library from the server the
// URL names (/.wsexec/client.js, docs/fallback.md), which behaves like a
// WebSocket and falls back to SSE + POST when a proxy blocks WebSockets
// (wsexec --sse); the browser's WebSocket when that server has no such
// script (websocketd, or nothing listening yet: then asked again next time).
const socketClasses = new Map();
function socketClassFor(url) {
  const origin = new URL(url).origin.replace(/^ws/, 'http');
  if (!socketClasses.has(origin)) {
    socketClasses.set(origin, new Promise((resolve) => {
      const script = document.createElement('script');
      script.src = origin + '/.wsexec/client.js';
      script.onload = () => resolve(window.WsexecSocket || WebSocket);
      script.onerror = () => { socketClasses.delete(origin); resolve(WebSocket); };
      document.head.appendChild(script);
    }));
  }
  return socketClasses.get(origin);
}

function setState(state, detail) {
  $('state').textContent = state;
  $('state').className = 'pill ' + state;
  $('detail').textContent = detail;
  $('connect').disabled = state === 'connecting' || state === 'open';
  $('disconnect').disabled = !$('connect').disabled;
  onState(state);
}

async function connect() {
  if (ws) ws.close();
  ws = null;
  const mine = ++attempt;
  const url = $('url').value.trim();
  onReset();
  setState('connecting', 'connecting to ' + url);
  let sock;
  try {
    const Socket = await socketClassFor(url);
    if (mine !== attempt) return;
    sock = new Socket(url);
  } catch (e) { // a malformed URL throws at once
    setState('closed', e.message);
    return;
  }
  ws = sock;
  // Events of a socket that has since been replaced must not touch the page.
  sock.onopen = () => {
    const over = sock.transport === 'sse' ? ' (over SSE + POST: WebSockets are blocked on the way)' : '';
    if (sock === ws) setState('open', 'connected to ' + sock.url + over);
  };
  sock.onmessage = (ev) => { if (sock === ws) onMessage(ev.data); };
  sock.onclose = (ev) => {
    if (sock !== ws) return;
    ws = null;
    const meaning = CLOSE_MEANING[ev.code] ? ' (' + CLOSE_MEANING[ev.code] + ')' : '';
    setState('closed', 'close code ' + ev.code + meaning + (ev.reason ? ', reason: ' + ev.reason : ''));
  };
}
$('conn').addEventListener('submit', (e) => { e.preventDefault(); connect(); });
$('disconnect').addEventListener('click', () => ws && ws.close(1000));
