// wsexec's browser client, served by every wsexec at /.wsexec/client.js.
//
//   <script src="/.wsexec/client.js"></script>
//   const sock = new WsexecSocket('/greet');       // ws://, wss://, http(s):// or a path
//   sock.onmessage = (e) => console.log(e.data);
//   sock.onopen = () => sock.send('world');
//
// A WsexecSocket behaves like a browser WebSocket (onopen, onmessage,
// onclose with code and reason, onerror, send, close, readyState, url,
// binaryType, bufferedAmount, addEventListener). It tries a WebSocket first;
// when the upgrade fails, or does not open within `openTimeoutMs` (a proxy
// that holds it), it falls back to the server's SSE transport (`wsexec
// --sse`): an EventSource for the program's output, one POST per message for
// its input. When that stream breaks and the server keeps sessions
// (--resumems), it re-attaches to the same program and misses nothing.
// Over a WebSocket it offers the subprotocol wsexec.v1: a server that keeps
// sessions picks it, and a connection that drops without a close frame is
// resumed over a new WebSocket (or over SSE when the upgrade now fails).
// With `reconnect: true` a session that ends without close() being called
// is followed by a fresh one, after an exponential backoff with jitter.
// docs/fallback.md describes it all; the wire format is docs/sse-protocol.md.
// No dependencies and no build step: this file is what the browser runs.
(function (global) {
  'use strict';

  const CONNECTING = 0, OPEN = 1, CLOSING = 2, CLOSED = 3;

  const DEFAULTS = {
    transports: ['websocket', 'sse'], // tried in this order for each session
    openTimeoutMs: 5000,  // a WebSocket not open by then counts as failed
    reconnect: false,     // start a fresh session after one ends on its own
    backoffMs: 500,       // first wait before a retry; doubled each time
    maxBackoffMs: 30000,  // the longest wait between two retries
    protocols: undefined, // WebSocket subprotocols
    withCredentials: false, // EventSource: send cookies cross-origin
  };
  // A connection that stayed up this long resets the backoff: the next
  // failure is a new incident, not the next step of an old one.
  const STABLE_MS = 10000;
  // After a POST's 404 the stream usually brings the program's own close
  // (code and reason) a moment later; wait that long for it.
  const CLOSE_EVENT_GRACE_MS = 1000;
  // WebSocket resume (docs/sse-protocol.md): offered besides the page's own
  // protocols; the server answers with it only when it keeps sessions.
  const RESUME_PROTOCOL = 'wsexec.v1';

  // --- Pure helpers (tests/browser/client_js_unit.mjs tests them) ---------

  // The wait before retry number `attempt` (0, 1, 2 ...): doubling from
  // base up to max, then a random part of it (half to all), so clients that
  // lost the same server do not come back in one wave.
  function backoffDelay(attempt, base, max, random) {
    const ceiling = Math.min(max, base * Math.pow(2, attempt));
    return Math.round(ceiling / 2 + (ceiling / 2) * random());
  }

  // Retry-After in seconds (RFC 9110 section 10.2.3; the date form is not
  // worth the code here) -> ms, or the fallback when absent or unreadable.
  function retryAfterMs(header, fallback) {
    if (header === null || header === undefined || !/^\s*\d+\s*$/.test(header)) return fallback;
    return Number(header) * 1000;
  }

  // The endpoint as the two transports name it: ws(s):// for the WebSocket,
  // http(s):// for the EventSource and the POSTs.
  function endpointUrls(url, base) {
    const parsed = new URL(url, base);
    const secure = parsed.protocol === 'wss:' || parsed.protocol === 'https:';
    if (!/^(wss?|https?):$/.test(parsed.protocol)) {
      throw new SyntaxError("WsexecSocket: the URL's scheme must be ws, wss, http or https: " + url);
    }
    parsed.hash = '';
    parsed.protocol = secure ? 'wss:' : 'ws:';
    const ws = parsed.href;
    parsed.protocol = secure ? 'https:' : 'http:';
    return { ws: ws, http: parsed.href };
  }

  // Where to re-attach to a session: the server's POST URL (the endpoint
  // with ?wsexec_session=T) plus the last event id in the query, because a
  // new EventSource cannot set a Last-Event-ID header.
  function resumeUrl(postUrl, lastEventId) {
    const parsed = new URL(postUrl);
    parsed.searchParams.set('wsexec_last_event_id', String(lastEventId));
    return parsed.href;
  }

  // The page's protocols (undefined, one string or a list) plus ours, last:
  // a server that does not know it picks one of the page's, or none.
  function offeredProtocols(protocols) {
    const list = protocols === undefined ? [] : [].concat(protocols);
    if (!list.includes(RESUME_PROTOCOL)) list.push(RESUME_PROTOCOL);
    return list;
  }

  function base64ToBytes(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function byteLength(data) {
    if (typeof data === 'string') return new TextEncoder().encode(data).length;
    if (data instanceof Blob) return data.size;
    return data.byteLength;
  }

  function makeEvent(type, fields) {
    if (type === 'close' && typeof CloseEvent === 'function') return new CloseEvent(type, fields);
    if (type === 'message' && typeof MessageEvent === 'function') return new MessageEvent(type, fields);
    return Object.assign(new Event(type), fields);
  }

  // --- The socket ------------------------------------------------------------

  class WsexecSocket extends EventTarget {
    constructor(url, options) {
      super();
      const base = typeof location !== 'undefined' ? location.href : undefined;
      this._urls = endpointUrls(url, base);
      this._options = Object.assign({}, DEFAULTS, options || {});
      this.url = this._urls.ws;
      this.readyState = CONNECTING;
      this._binaryType = 'blob';
      this.protocol = '';
      this.extensions = '';
      this.transport = null; // 'websocket' or 'sse' once open
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      this._attempt = 0;     // failures in a row, for the backoff
      this._closedByUser = false;
      this._startSession();
    }

    // Pages set it right after construction, while the WebSocket already
    // exists: it must reach that WebSocket too.
    get binaryType() { return this._binaryType; }
    set binaryType(type) {
      this._binaryType = type;
      if (this._ws) this._ws.binaryType = type;
    }

    get bufferedAmount() {
      if (this._ws) return this._ws.bufferedAmount;
      return this._sse ? this._sse.queuedBytes : 0;
    }

    send(data) {
      if (this.readyState === CONNECTING) {
        throw new DOMException('WsexecSocket is still connecting', 'InvalidStateError');
      }
      if (this.readyState !== OPEN) return; // a WebSocket drops it silently too
      if (this._ws && this._ws.readyState === WebSocket.OPEN) this._ws.send(data);
      else if (this._wsSession) this._wsQueue.push(data); // sent once resumed
      else this._queuePost(data);
    }

    close(code, reason) {
      // Between two sessions of `reconnect` the socket is CLOSED with the
      // next one due: close() cancels it.
      this._closedByUser = true;
      clearTimeout(this._retryTimer);
      if (this.readyState === CLOSING || this.readyState === CLOSED) return;
      if (this._ws && this._ws.readyState === WebSocket.OPEN && this.readyState === OPEN) {
        this.readyState = CLOSING;
        this._ws.close(code, reason); // its close event finishes the job
        return;
      }
      // Still connecting: abandon every attempt, as a WebSocket reports it
      // (1006). Open over SSE: the program ends when the server sees the
      // stream go (after --resumems); the page hears at once.
      const wasOpen = this.readyState === OPEN;
      this._finish(wasOpen ? (code === undefined ? 1005 : code) : 1006, wasOpen ? reason || '' : '', wasOpen);
    }

    // --- one session: WebSocket first, then SSE ---

    _startSession() {
      this.readyState = CONNECTING;
      this._lastEventId = 0;
      this._wsSession = null;      // {wsUrl, postUrl, resumeMs} of a wsexec.v1 session
      this._awaitingSession = false; // its first message is the session's JSON
      this._wsQueue = [];          // sent while a wsexec.v1 session is between connections
      this._tryTransport(0);
    }

    _tryTransport(index) {
      const transports = this._options.transports;
      if (index >= transports.length) {
        this._sessionFailed(1006, 'no transport could connect');
        return;
      }
      if (transports[index] === 'websocket') this._openWebSocket(() => this._tryTransport(index + 1));
      else if (transports[index] === 'sse') this._openEventStream(null, () => this._tryTransport(index + 1));
      else throw new SyntaxError('WsexecSocket: unknown transport ' + transports[index]);
    }

    // `resume`: null for a new session, else {deadline} to re-attach to the
    // wsexec.v1 session after the last message counted. `plain`: offer only
    // the page's protocols (a server that does not resume refused ours).
    _openWebSocket(fallBack, resume, plain) {
      let ws;
      try {
        ws = resume ? new WebSocket(resumeUrl(this._wsSession.wsUrl, this._lastEventId), [RESUME_PROTOCOL])
           : plain ? new WebSocket(this._urls.ws, this._options.protocols)
           : new WebSocket(this._urls.ws, offeredProtocols(this._options.protocols));
      } catch (e) {
        fallBack();
        return;
      }
      let opened = false;
      const giveUp = () => {
        if (opened || this._ws !== ws) return;
        this._ws = null;
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        ws.close();
        fallBack();
      };
      this._ws = ws;
      ws.binaryType = this._binaryType;
      const stall = setTimeout(giveUp, this._options.openTimeoutMs);
      ws.onopen = () => {
        clearTimeout(stall);
        opened = true;
        if (resume) { this._resumedWebSocket(ws); return; }
        this._awaitingSession = ws.protocol === RESUME_PROTOCOL;
        this.protocol = this._awaitingSession ? '' : ws.protocol; // ours, not the page's
        this.extensions = ws.extensions;
        if (!this._awaitingSession) this._opened('websocket'); // else at the session's JSON
      };
      ws.onmessage = (e) => this._onWebSocketMessage(e.data);
      ws.onerror = () => { if (opened) this._emit(makeEvent('error', {})); };
      ws.onclose = (e) => {
        clearTimeout(stall);
        if (!opened && !resume && !plain && this._ws === ws) {
          // Chromium fails an upgrade whose answer names no protocol when
          // the request offered some, which is how a server that does not
          // resume (no --resumems, an older wsexec, websocketd) answers an
          // offer of wsexec.v1 alone: once more without it, at once. (A
          // held upgrade, openTimeoutMs, is not retried: see giveUp.)
          this._ws = null;
          ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
          this._openWebSocket(fallBack, null, true);
          return;
        }
        if (!opened) { giveUp(); return; } // the upgrade failed: next transport
        this._ws = null;
        // Gone without a close frame (1006): the server keeps the session.
        if (this._wsSession && e.code === 1006 && !this._closedByUser) { this._webSocketBroken(resume); return; }
        this._sessionEnded(e.code, e.reason, e.wasClean);
      };
    }

    // --- wsexec.v1: a WebSocket session that survives its connection ---

    _onWebSocketMessage(data) {
      if (this._awaitingSession) {
        this._awaitingSession = false;
        const session = JSON.parse(data);
        this._wsSession = {
          wsUrl: new URL(session.post, this._urls.ws).href,
          postUrl: new URL(session.post, this._urls.http).href,
          resumeMs: Number(session.resume_ms) || 0,
        };
        this._lastEventId = 0;
        this._opened('websocket');
        return;
      }
      if (!this._wsSession) { this._deliver(data, ''); return; }
      // Message n after the session's JSON is event n (the SSE id).
      this._lastEventId++;
      this._deliver(data, String(this._lastEventId));
    }

    _resumedWebSocket(ws) {
      this._attempt = 0;
      const queued = this._wsQueue;
      this._wsQueue = [];
      for (const data of queued) ws.send(data);
    }

    // Try again until the server's resume window has passed.
    _webSocketBroken(resume) {
      const session = this._wsSession;
      const deadline = resume ? resume.deadline : Date.now() + session.resumeMs;
      const wait = backoffDelay(this._attempt++, this._options.backoffMs, this._options.maxBackoffMs, Math.random);
      if (Date.now() + wait > deadline) {
        this._sessionEnded(1006, 'connection lost for longer than the server keeps sessions', false);
        return;
      }
      const next = { deadline: deadline };
      this._retryTimer = setTimeout(() => this._openWebSocket(() => this._webSocketResumeFailed(next), next), wait);
    }

    // The resuming upgrade failed, and the browser does not say whether the
    // server answered 404 (the session is gone) or the network or a proxy
    // failed. An SSE resume tells them apart (a refused stream ends the
    // session; a broken one is retried until the deadline), and carries on
    // the same session should WebSockets no longer get through.
    _webSocketResumeFailed(resume) {
      this._ws = null;
      if (!this._options.transports.includes('sse')) { this._webSocketBroken(resume); return; }
      const session = this._wsSession;
      this._wsSession = null;
      const sse = { queue: [], queuedBytes: 0, posting: false, postUrl: session.postUrl, resumeMs: session.resumeMs };
      this._sse = sse;
      for (const data of this._wsQueue) {
        const size = byteLength(data);
        sse.queue.push({ data: data, size: size, attempt: 0 });
        sse.queuedBytes += size;
      }
      this._wsQueue = [];
      this._openEventStream({ postUrl: session.postUrl, deadline: resume.deadline }, () => {});
    }

    // `resume`: null for a new session, else {postUrl, deadline} to
    // re-attach to a live one.
    _openEventStream(resume, fallBack) {
      const url = resume ? resumeUrl(resume.postUrl, this._lastEventId) : this._urls.http;
      const es = new EventSource(url, { withCredentials: this._options.withCredentials });
      const sse = this._sse || { queue: [], queuedBytes: 0, posting: false };
      sse.source = es;
      this._sse = sse;
      let attached = !!resume;
      es.addEventListener('session', (e) => {
        const session = JSON.parse(e.data);
        sse.postUrl = new URL(session.post, this._urls.http).href;
        sse.resumeMs = Number(session.resume_ms) || 0;
        attached = true;
        if (this.readyState === CONNECTING) this._opened('sse');
      });
      es.onopen = () => {
        if (resume) { this._attempt = 0; this._pumpPosts(); }
      };
      es.onmessage = (e) => this._deliverEvent(e, e.data);
      es.addEventListener('binary', (e) => {
        const bytes = base64ToBytes(e.data);
        this._deliverEvent(e, this._binaryType === 'arraybuffer' ? bytes.buffer : new Blob([bytes]));
      });
      es.addEventListener('close', (e) => {
        const end = JSON.parse(e.data);
        this._dropStream();
        this._sessionEnded(end.code, end.reason, true);
      });
      es.onerror = () => {
        if (this._sse !== sse || sse.source !== es) return;
        // CLOSED: the server answered, but not with a stream (404, 403,
        // 429...; EventSource hides the status). CONNECTING: the network
        // failed and EventSource would retry the same URL, which without
        // the token would start a new program: we retry ourselves.
        const refused = es.readyState === EventSource.CLOSED;
        this._dropStream();
        if (!attached) { this._sse = null; fallBack(); return; }
        if (refused && resume) { this._sessionEnded(1006, 'session lost: the server no longer holds it', false); return; }
        this._streamBroken(resume);
      };
    }

    _dropStream() {
      if (this._sse && this._sse.source) {
        this._sse.source.close();
        this._sse.source = null;
      }
    }

    // The stream broke while the session may still live: try to re-attach
    // until the server's resume window (resume_ms) has passed.
    _streamBroken(resume) {
      const sse = this._sse;
      if (!sse.resumeMs) {
        this._sessionEnded(1006, 'connection lost (the server does not keep sessions: --resumems)', false);
        return;
      }
      const deadline = resume ? resume.deadline : Date.now() + sse.resumeMs;
      const wait = backoffDelay(this._attempt++, this._options.backoffMs, this._options.maxBackoffMs, Math.random);
      if (Date.now() + wait > deadline) {
        this._sessionEnded(1006, 'connection lost for longer than the server keeps sessions', false);
        return;
      }
      this._retryTimer = setTimeout(() => {
        this._openEventStream({ postUrl: sse.postUrl, deadline: deadline }, () => {});
      }, wait);
    }

    // --- messages ---

    _deliverEvent(e, data) {
      // A resumed stream starts after the last id we saw; a repeat (should a
      // server send one) is dropped, so each message arrives once.
      const id = Number(e.lastEventId);
      if (e.lastEventId !== '' && id <= this._lastEventId) return;
      if (e.lastEventId !== '') this._lastEventId = id;
      this._deliver(data, e.lastEventId);
    }

    _deliver(data, lastEventId) {
      if (this.readyState !== OPEN) return;
      this._emit(makeEvent('message', { data: data, origin: new URL(this.url).origin, lastEventId: lastEventId || '' }));
    }

    _queuePost(data) {
      const sse = this._sse;
      const size = byteLength(data);
      sse.queue.push({ data: data, size: size, attempt: 0 });
      sse.queuedBytes += size;
      this._pumpPosts();
    }

    // One POST at a time, so the program reads the messages in the order
    // send() was called (the server delivers in order of arrival).
    async _pumpPosts() {
      const sse = this._sse;
      if (!sse || sse.posting || !sse.source || sse.queue.length === 0) return;
      sse.posting = true;
      const item = sse.queue[0];
      const binary = typeof item.data !== 'string';
      let retryIn = null;
      try {
        const response = await fetch(sse.postUrl, {
          method: 'POST',
          body: item.data,
          headers: { 'Content-Type': binary ? 'application/octet-stream' : 'text/plain;charset=utf-8' },
          credentials: this._options.withCredentials ? 'include' : 'same-origin',
        });
        if (response.status === 429) {
          retryIn = retryAfterMs(response.headers.get('Retry-After'),
            backoffDelay(item.attempt, this._options.backoffMs, this._options.maxBackoffMs, Math.random));
        } else if (response.status === 404) {
          sse.posting = false;
          this._postRefused('session ended (a POST was answered 404)');
          return;
        } else if (!response.ok) {
          // 413 (too big), 415 (text vs --binary): this message is refused,
          // the session goes on, as a WebSocket server ignores such a
          // message. The page hears of it through onerror.
          this._emit(makeEvent('error', { message: 'message refused: HTTP ' + response.status }));
        }
      } catch (e) {
        // The network failed (a proxy restarting): the stream breaks too and
        // its resume restarts this pump; until then, wait and retry. The
        // message may have arrived before the failure, and then arrives
        // twice: POSTs carry no sequence number (docs/fallback.md).
        retryIn = backoffDelay(item.attempt, this._options.backoffMs, this._options.maxBackoffMs, Math.random);
      }
      sse.posting = false;
      if (this._sse !== sse) return;
      if (retryIn === null) {
        sse.queue.shift();
        sse.queuedBytes -= item.size;
        this._pumpPosts();
      } else {
        item.attempt++;
        this._postTimer = setTimeout(() => this._pumpPosts(), retryIn);
      }
    }

    // A POST the server will never take: the session is over. Its own close
    // event usually follows on the stream; give it a moment to say why.
    _postRefused(reason) {
      const sse = this._sse;
      sse.queue = [];
      sse.queuedBytes = 0;
      setTimeout(() => {
        if (this._sse === sse && this.readyState === OPEN) {
          this._dropStream();
          this._sessionEnded(1006, reason, false);
        }
      }, CLOSE_EVENT_GRACE_MS);
    }

    // --- state changes ---

    _opened(transport) {
      this.transport = transport;
      this.readyState = OPEN;
      clearTimeout(this._stableTimer);
      this._stableTimer = setTimeout(() => { this._attempt = 0; }, STABLE_MS);
      this._emit(makeEvent('open', {}));
    }

    _sessionFailed(code, reason) {
      this._emit(makeEvent('error', {}));
      this._sessionEnded(code, reason, false);
    }

    _sessionEnded(code, reason, wasClean) {
      clearTimeout(this._stableTimer);
      if (this._closedByUser || !this._options.reconnect) {
        this._finish(code, reason, wasClean);
        return;
      }
      // Tell the page this session ended, then start the next one.
      this._finish(code, reason, wasClean);
      const wait = backoffDelay(this._attempt++, this._options.backoffMs, this._options.maxBackoffMs, Math.random);
      this._retryTimer = setTimeout(() => {
        if (!this._closedByUser) this._startSession();
      }, wait);
    }

    _finish(code, reason, wasClean) {
      clearTimeout(this._retryTimer);
      clearTimeout(this._postTimer);
      clearTimeout(this._stableTimer);
      this._dropStream();
      this._sse = null;
      this._wsSession = null;
      this._wsQueue = [];
      if (this._ws) {
        const ws = this._ws;
        this._ws = null;
        ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
        if (ws.readyState !== WebSocket.CLOSED) ws.close();
      }
      if (this.readyState === CLOSED) return;
      this.readyState = CLOSED;
      this._emit(makeEvent('close', { code: code, reason: reason, wasClean: wasClean }));
    }

    _emit(event) {
      const handler = this['on' + event.type];
      if (typeof handler === 'function') handler.call(this, event);
      this.dispatchEvent(event);
    }
  }

  Object.assign(WsexecSocket, { CONNECTING, OPEN, CLOSING, CLOSED });
  Object.assign(WsexecSocket.prototype, { CONNECTING, OPEN, CLOSING, CLOSED });
  WsexecSocket.internals = { backoffDelay, retryAfterMs, endpointUrls, resumeUrl, offeredProtocols };
  global.WsexecSocket = WsexecSocket;
})(typeof window !== 'undefined' ? window : globalThis);
