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

function setState(state, detail) {
  $('state').textContent = state;
  $('state').className = 'pill ' + state;
  $('detail').textContent = detail;
  $('connect').disabled = state === 'connecting' || state === 'open';
  $('disconnect').disabled = !$('connect').disabled;
  onState(state);
}

function connect() {
  if (ws) ws.close();
  let sock;
  try {
    sock = new WebSocket($('url').value.trim());
  } catch (e) { // a malformed URL throws at once
    setState('closed', e.message);
    return;
  }
  ws = sock;
  onReset();
  setState('connecting', 'connecting to ' + sock.url);
  // Events of a socket that has since been replaced must not touch the page.
  sock.onopen = () => { if (sock === ws) setState('open', 'connected to ' + sock.url); };
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
