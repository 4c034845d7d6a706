// Unit test of src/http/client.js (the browser client library) in plain
// Node, no browser: its pure parts (the retry schedule, Retry-After, the
// URLs of the two transports and of a resume), then its transport logic
// against stand-ins for WebSocket, EventSource and fetch
// (client_js_fakes.mjs): the fallback, the POST queue, 429 and 404, resume.
// The real transports are tested in Chromium (fallback_e2e.mjs).
//
//   node client_js_unit.mjs
//
// Exit status: 0 pass, 1 fail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

import { makeBrowser } from './client_js_fakes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(resolve(here, '..', '..', 'src', 'http', 'client.js'), 'utf8');
const context = vm.createContext({ URL, EventTarget, Event, atob, TextEncoder, Blob });
vm.runInContext(source, context);
const { backoffDelay, retryAfterMs, endpointUrls, resumeUrl, offeredProtocols } = context.WsexecSocket.internals;

const tests = {
  'the backoff doubles from its base up to its ceiling'() {
    const top = () => 1; // the random part at its largest
    assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelay(n, 500, 3000, top)), [500, 1000, 2000, 3000]);
    assert.equal(backoffDelay(40, 500, 3000, top), 3000);
  },
  'the jitter keeps at least half of each wait'() {
    assert.equal(backoffDelay(2, 500, 30000, () => 0), 1000);
    assert.equal(backoffDelay(2, 500, 30000, () => 0.5), 1500);
  },
  'Retry-After in seconds is honoured, anything else falls back'() {
    assert.equal(retryAfterMs('1', 99), 1000);
    assert.equal(retryAfterMs(' 3 ', 99), 3000);
    assert.equal(retryAfterMs(null, 99), 99);
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', 99), 99);
    assert.equal(retryAfterMs('-1', 99), 99);
  },
  'a ws URL gives the http URL of the same endpoint, query kept, fragment dropped'() {
    const urls = endpointUrls('ws://h:8080/echo?a=1#x');
    assert.equal(urls.ws, 'ws://h:8080/echo?a=1');
    assert.equal(urls.http, 'http://h:8080/echo?a=1');
  },
  'https and wss are the secure pair'() {
    assert.equal(endpointUrls('https://h/e').ws, 'wss://h/e');
    assert.equal(endpointUrls('wss://h/e').http, 'https://h/e');
  },
  'a path is resolved against the page'() {
    const urls = endpointUrls('/greet?x=1', 'https://site.example/app/index.html');
    assert.equal(urls.ws, 'wss://site.example/greet?x=1');
    assert.equal(urls.http, 'https://site.example/greet?x=1');
  },
  'another scheme is refused with a SyntaxError naming it'() {
    assert.throws(() => endpointUrls('ftp://h/e'), (e) => e.name === 'SyntaxError' && /ftp:\/\/h\/e/.test(e.message));
  },
  'a resume asks for the session with the last id seen in the query'() {
    assert.equal(resumeUrl('http://h/e?wsexec_session=abc', 41),
                 'http://h/e?wsexec_session=abc&wsexec_last_event_id=41');
    assert.equal(resumeUrl('http://h/e?wsexec_session=abc&wsexec_last_event_id=3', 9),
                 'http://h/e?wsexec_session=abc&wsexec_last_event_id=9');
  },
  'wsexec.v1 is offered after the page\'s own protocols, once'() {
    assert.deepEqual([...offeredProtocols(undefined)], ['wsexec.v1']);
    assert.deepEqual([...offeredProtocols('chat')], ['chat', 'wsexec.v1']);
    assert.deepEqual([...offeredProtocols(['a', 'wsexec.v1'])], ['a', 'wsexec.v1']);
  },
};

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

// A WsexecSocket in a context of its own, with fake browser transports and
// short retry waits; `seen` is what the page was told.
function newSocket(options) {
  const browser = makeBrowser();
  const page = vm.createContext({ URL, EventTarget, Event, atob, TextEncoder, Blob, DOMException,
                                  setTimeout, clearTimeout, ...browser.globals });
  vm.runInContext(source, page);
  const sock = new page.WsexecSocket('ws://h:8080/echo?x=1', { backoffMs: 1, maxBackoffMs: 4, ...options });
  const seen = [];
  sock.onopen = () => seen.push('open');
  sock.onmessage = (e) => seen.push('message ' + e.data);
  sock.onclose = (e) => seen.push(`close ${e.code} ${e.reason}`);
  sock.onerror = () => seen.push('error');
  return { sock, browser, seen };
}

// A socket whose WebSocket was refused and whose stream gave its session.
function openOverSse(resumeMs = 5000, options = {}) {
  const t = newSocket(options);
  t.browser.sockets[0].refuse(); // offering wsexec.v1
  t.browser.sockets[1].refuse(); // once more without it
  const es = t.browser.sources[0];
  es.open();
  es.emit('session', { token: 'abc', post: '/echo?wsexec_session=abc', resume_ms: resumeMs }, 0);
  return { ...t, es };
}

Object.assign(tests, {
  async 'a refused upgrade falls back to an EventSource on the same endpoint, open at the session event'() {
    const { sock, browser, seen } = openOverSse();
    assert.equal(browser.sources[0].url, 'http://h:8080/echo?x=1');
    assert.deepEqual(seen, ['open']);
    assert.equal(sock.transport, 'sse');
    assert.equal(sock.readyState, 1);
  },
  async 'send() while connecting throws InvalidStateError, as a WebSocket does'() {
    const { sock } = newSocket();
    assert.throws(() => sock.send('x'), (e) => e.name === 'InvalidStateError');
  },
  async 'a WebSocket that does not open within openTimeoutMs is abandoned for SSE'() {
    const { browser } = newSocket({ openTimeoutMs: 20 });
    await tick(5);
    assert.equal(browser.sources.length, 0);
    await tick(40);
    assert.equal(browser.sockets[0].readyState, 3);
    assert.equal(browser.sources.length, 1);
  },
  async 'close() while connecting reports 1006 and starts nothing more'() {
    const { sock, browser, seen } = newSocket();
    sock.close();
    browser.sockets[0].refuse();
    await tick(5);
    assert.deepEqual(seen, ['close 1006 ']);
    assert.equal(browser.sources.length, 0);
  },
  async 'messages are POSTed one at a time, in order, to the session URL'() {
    const { sock, browser } = openOverSse();
    sock.send('a'); sock.send('b'); sock.send(new Uint8Array([1, 2]));
    await tick();
    assert.equal(browser.posts.length, 1);
    assert.equal(browser.posts[0].url, 'http://h:8080/echo?wsexec_session=abc');
    assert.equal(browser.posts[0].method, 'POST');
    assert.equal(browser.posts[0].body, 'a');
    assert.match(browser.posts[0].contentType, /^text\/plain/);
    assert.equal(sock.bufferedAmount, 4);
    browser.posts[0].answer(204);
    await tick();
    assert.equal(browser.posts.length, 2);
    assert.equal(browser.posts[1].body, 'b');
    browser.posts[1].answer(204);
    await tick();
    assert.equal(browser.posts[2].contentType, 'application/octet-stream');
    browser.posts[2].answer(204);
    await tick();
    assert.equal(sock.bufferedAmount, 0);
  },
  async 'a 429 is sent again after its Retry-After, and the queue goes on after it'() {
    const { sock, browser } = openOverSse();
    sock.send('a'); sock.send('b');
    await tick();
    browser.posts[0].answer(429, { 'Retry-After': '0' });
    await tick(5);
    assert.deepEqual(browser.posts.map((p) => p.body), ['a', 'a']);
    browser.posts[1].answer(204);
    await tick();
    assert.deepEqual(browser.posts.map((p) => p.body), ['a', 'a', 'b']);
  },
  async 'a refused message (413) is dropped with onerror and the session goes on'() {
    const { sock, browser, seen } = openOverSse();
    sock.send('big'); sock.send('small');
    await tick();
    browser.posts[0].answer(413);
    await tick();
    assert.deepEqual(seen, ['open', 'error']);
    assert.equal(browser.posts[1].body, 'small');
  },
  async 'a POST answered 404 ends the session with the close the stream then brings'() {
    const { sock, browser, es, seen } = openOverSse();
    sock.send('a');
    await tick();
    browser.posts[0].answer(404);
    await tick();
    es.emit('close', { code: 1000, reason: 'exit 0' }, 3);
    await tick(1100);
    assert.deepEqual(seen, ['open', 'close 1000 exit 0']);
  },
  async 'a POST answered 404 with no close on the stream ends the session 1006'() {
    const { sock, browser, seen } = openOverSse();
    sock.send('a');
    await tick();
    browser.posts[0].answer(404);
    await tick(1100);
    assert.equal(seen.length, 2);
    assert.match(seen[1], /^close 1006 session ended/);
    assert.equal(sock.readyState, 3);
  },
  async 'a broken stream is resumed with the token and the last id, and a repeat is dropped'() {
    const { browser, es, seen } = openOverSse();
    es.emit('message', 'one', 1);
    es.emit('message', 'two', 2);
    es.drop();
    assert.equal(es.closed, true); // EventSource must not retry without the token
    await tick(20);
    assert.equal(browser.sources.length, 2);
    const resumed = browser.sources[1];
    assert.equal(resumed.url, 'http://h:8080/echo?wsexec_session=abc&wsexec_last_event_id=2');
    resumed.open();
    resumed.emit('message', 'two', 2);
    resumed.emit('message', 'three', 3);
    assert.deepEqual(seen, ['open', 'message one', 'message two', 'message three']);
  },
  async 'messages sent while the stream is down are POSTed once it is back'() {
    const { sock, browser, es } = openOverSse();
    es.drop();
    sock.send('while down');
    await tick(20);
    browser.sources[1].open();
    await tick();
    assert.deepEqual(browser.posts.map((p) => p.body), ['while down']);
  },
  async 'a resume the server refuses ends the session 1006'() {
    const { browser, es, seen } = openOverSse();
    es.drop();
    await tick(20);
    browser.sources[1].refuse();
    assert.equal(seen.length, 2);
    assert.match(seen[1], /^close 1006 session lost/);
  },
  async 'without resume_ms a broken stream ends the session at once'() {
    const { browser, es, seen } = openOverSse(0);
    es.drop();
    await tick(20);
    assert.equal(browser.sources.length, 1);
    assert.match(seen[1], /^close 1006 connection lost/);
  },
  async 'binaryType set after construction reaches the WebSocket and the SSE binary events'() {
    const { sock, browser } = newSocket();
    sock.binaryType = 'arraybuffer';
    assert.equal(browser.sockets[0].binaryType, 'arraybuffer');
    browser.sockets[0].refuse();
    assert.equal(browser.sockets[1].binaryType, 'arraybuffer');
    browser.sockets[1].refuse();
    const es = browser.sources[0];
    es.emit('session', { token: 'abc', post: '/echo?wsexec_session=abc', resume_ms: 0 }, 0);
    const received = [];
    sock.onmessage = (e) => received.push(e.data);
    es.emit('binary', 'AAEC/w==', 1);
    assert.equal(Object.prototype.toString.call(received[0]), '[object ArrayBuffer]');
    assert.deepEqual([...new Uint8Array(received[0])], [0, 1, 2, 255]);
  },
  async 'the stream\'s close event gives the program\'s code and reason'() {
    const { es, seen, sock } = openOverSse();
    es.emit('close', { code: 1011, reason: 'could not start' }, 1);
    assert.deepEqual(seen, ['open', 'close 1011 could not start']);
    assert.equal(sock.readyState, 3);
  },
});

// --- WebSocket resume (subprotocol wsexec.v1) ---

const SESSION = JSON.stringify({ token: 'abc', post: '/echo?wsexec_session=abc', resume_ms: 5000 });

// A socket open over a wsexec.v1 WebSocket that gave its session.
function openResumable(options = {}) {
  const t = newSocket(options);
  const ws = t.browser.sockets[0];
  ws.open('wsexec.v1');
  ws.receive(SESSION);
  return { ...t, ws };
}

Object.assign(tests, {
  async 'a wsexec.v1 WebSocket opens at its session message, which the page never sees'() {
    const { sock, browser, seen } = newSocket({ protocols: 'chat' });
    const ws = browser.sockets[0];
    assert.deepEqual([...ws.protocols], ['chat', 'wsexec.v1']);
    ws.open('wsexec.v1');
    assert.deepEqual(seen, []);
    ws.receive(SESSION);
    ws.receive('one');
    assert.deepEqual(seen, ['open', 'message one']);
    assert.equal(sock.protocol, '');
    assert.equal(sock.transport, 'websocket');
  },
  async 'a WebSocket dropped without a close frame is resumed after the last message counted'() {
    const { browser, ws, seen } = openResumable();
    ws.receive('one');
    ws.receive('two');
    ws.drop();
    await tick(20);
    assert.equal(browser.sockets.length, 2);
    const again = browser.sockets[1];
    assert.equal(again.url, 'ws://h:8080/echo?wsexec_session=abc&wsexec_last_event_id=2');
    assert.deepEqual([...again.protocols], ['wsexec.v1']);
    again.open('wsexec.v1');
    again.receive('three'); // no session message on a resume
    assert.deepEqual(seen, ['open', 'message one', 'message two', 'message three']);
    again.drop();
    await tick(20);
    assert.equal(browser.sockets[2].url, 'ws://h:8080/echo?wsexec_session=abc&wsexec_last_event_id=3');
  },
  async 'messages sent between two connections go out on the next, in order'() {
    const { sock, browser, ws } = openResumable();
    sock.send('before');
    ws.drop();
    sock.send('between 1');
    sock.send('between 2');
    await tick(20);
    const again = browser.sockets[1];
    sock.send('while connecting');
    again.open('wsexec.v1');
    sock.send('after');
    assert.deepEqual(ws.sent, ['before']);
    assert.deepEqual(again.sent, ['between 1', 'between 2', 'while connecting', 'after']);
  },
  async 'a resuming upgrade that fails goes on over SSE from the same id, messages kept'() {
    const { sock, browser, ws, seen } = openResumable();
    ws.receive('one');
    ws.drop();
    sock.send('queued');
    await tick(20);
    browser.sockets[1].refuse();
    assert.equal(browser.sources.length, 1);
    const es = browser.sources[0];
    assert.equal(es.url, 'http://h:8080/echo?wsexec_session=abc&wsexec_last_event_id=1');
    es.open();
    es.emit('message', 'two', 2);
    await tick();
    assert.deepEqual(seen, ['open', 'message one', 'message two']);
    assert.equal(browser.posts[0].url, 'http://h:8080/echo?wsexec_session=abc');
    assert.equal(browser.posts[0].body, 'queued');
    assert.equal(sock.transport, 'websocket'); // the page was never told otherwise
  },
  async 'an upgrade refused while offering wsexec.v1 is tried at once without it, then SSE'() {
    const { browser, seen, sock } = newSocket({ protocols: ['chat'] });
    browser.sockets[0].refuse();
    assert.equal(browser.sockets.length, 2);
    assert.deepEqual([...browser.sockets[1].protocols], ['chat']);
    assert.equal(browser.sources.length, 0);
    browser.sockets[1].open('chat');
    browser.sockets[1].receive('plain');
    assert.deepEqual(seen, ['open', 'message plain']);
    assert.equal(sock.protocol, 'chat');
    const second = newSocket();
    second.browser.sockets[0].refuse();
    second.browser.sockets[1].refuse();
    assert.equal(second.browser.sockets.length, 2);
    assert.equal(second.browser.sources.length, 1);
  },
  async 'a server\'s close frame ends a wsexec.v1 session: no resume'() {
    const { browser, ws, seen } = openResumable();
    ws.closeFrame(1000, 'exit 0');
    await tick(20);
    assert.equal(browser.sockets.length, 1);
    assert.deepEqual(seen, ['open', 'close 1000 exit 0']);
  },
  async 'a WebSocket without wsexec.v1 that drops ends 1006, as before'() {
    const { browser, seen } = newSocket();
    const ws = browser.sockets[0];
    ws.open('');
    ws.receive('plain');
    ws.drop();
    await tick(20);
    assert.equal(browser.sockets.length, 1);
    assert.equal(browser.sources.length, 0);
    assert.deepEqual(seen, ['open', 'message plain', 'close 1006 ']);
  },
  async 'close() between two connections ends the session and stops resuming'() {
    const { sock, browser, ws, seen } = openResumable();
    ws.drop();
    sock.close();
    await tick(20);
    assert.equal(browser.sockets.length, 1);
    assert.equal(seen.at(-1), 'close 1005 ');
  },
});

let failed = 0;
for (const [name, test] of Object.entries(tests)) {
  try {
    await test();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${e.message}`);
  }
}
console.log(`${Object.keys(tests).length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
