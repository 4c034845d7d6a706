// Stand-ins for the browser's WebSocket, EventSource and fetch, driven by
// the test (client_js_unit.mjs), so client.js's transport logic runs in
// plain Node: which requests it makes, in which order, and what the page is
// told. Only what client.js uses is here.
export function makeBrowser() {
  const browser = { sockets: [], sources: [], posts: [] };

  class FakeWebSocket {
    static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
    constructor(url, protocols) {
      this.url = url; this.protocols = protocols; this.readyState = 0; this.bufferedAmount = 0;
      this.protocol = ''; this.extensions = ''; this.sent = []; browser.sockets.push(this);
    }
    close() { this.readyState = 3; }
    send(data) { this.sent.push(data); }
    // The upgrade succeeded, the server choosing `protocol` ('' for none).
    open(protocol = '') { this.readyState = 1; this.protocol = protocol; this.onopen?.({}); }
    receive(data) { this.onmessage?.({ data }); }
    // The connection dropped without a close frame.
    drop() { this.readyState = 3; this.onclose?.({ code: 1006, reason: '', wasClean: false }); }
    // The server's close frame.
    closeFrame(code, reason) { this.readyState = 3; this.onclose?.({ code, reason, wasClean: true }); }
    // The upgrade refused (a proxy answered 404): error, then close 1006.
    refuse() { this.readyState = 3; this.onerror?.({}); this.onclose?.({ code: 1006, reason: '', wasClean: false }); }
  }

  class FakeEventSource {
    static CONNECTING = 0; static OPEN = 1; static CLOSED = 2;
    constructor(url) { this.url = url; this.readyState = 0; this.listeners = {}; this.closed = false; browser.sources.push(this); }
    addEventListener(type, listener) { (this.listeners[type] ||= []).push(listener); }
    close() { this.readyState = 2; this.closed = true; }
    open() { this.readyState = 1; this.onopen?.({}); }
    // An event as EventSource dispatches it: `message` to onmessage, the
    // others to their listeners.
    emit(type, data, id) {
      const event = { type, data: typeof data === 'string' ? data : JSON.stringify(data), lastEventId: id === undefined ? '' : String(id) };
      if (type === 'message') this.onmessage?.(event);
      for (const listener of this.listeners[type] || []) listener(event);
    }
    // The network failed: EventSource would reconnect (CONNECTING).
    drop() { this.readyState = 0; this.onerror?.({}); }
    // The server answered with something other than a stream (404...).
    refuse() { this.readyState = 2; this.onerror?.({}); }
  }

  // Each POST waits until the test answers it: post.answer(status, headers).
  function fakeFetch(url, init) {
    return new Promise((resolve, reject) => {
      browser.posts.push({
        url, body: init.body, method: init.method, contentType: init.headers['Content-Type'],
        answer: (status, headers = {}) => resolve({ status, ok: status >= 200 && status < 300,
          headers: { get: (name) => headers[name] ?? null } }),
        fail: () => reject(new TypeError('Failed to fetch')),
      });
    });
  }

  browser.globals = { WebSocket: FakeWebSocket, EventSource: FakeEventSource, fetch: fakeFetch };
  return browser;
}
