// Unit test of the pure parts of src/http/client.js (the browser client
// library) in plain Node, no browser: the retry schedule, Retry-After, the
// URLs of the two transports and of a resume. The transports themselves are
// tested in Chromium (fallback_e2e.mjs).
//
//   node client_js_unit.mjs
//
// Exit status: 0 pass, 1 fail.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(resolve(here, '..', '..', 'src', 'http', 'client.js'), 'utf8');
const context = vm.createContext({ URL, EventTarget, Event, atob, TextEncoder, Blob });
vm.runInContext(source, context);
const { backoffDelay, retryAfterMs, endpointUrls, resumeUrl } = context.WsexecSocket.internals;

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
};

let failed = 0;
for (const [name, test] of Object.entries(tests)) {
  try {
    test();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${e.message}`);
  }
}
console.log(`${Object.keys(tests).length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
