// The browser client library (/.wsexec/client.js, docs/fallback.md) in
// headless Chromium, in one of nine settings (FALLBACK_SCENARIO):
//
//   websocket  page and endpoint on wsexec itself: client.js opens a
//              WebSocket and echoes 100 messages (works without --sse).
//   hostile    an nginx in front that drops Upgrade and buffers responses:
//              the WebSocket fails, client.js falls back to SSE + POST and
//              still echoes 100 messages in order.
//   h2         an nginx with TLS and HTTP/2 toward the browser: the stream
//              and the POSTs are h2 (Performance API) and share one
//              connection (nginx's $connection in its access log).
//   resume     the hostile nginx is killed mid-stream and started again:
//              the page re-attaches (--resumems) and gets every message of
//              a counting program exactly once, in order.
//   wsresume   a TCP proxy (here, in the test) that passes WebSockets is
//              killed mid-stream and started again: the page resumes over
//              a new WebSocket (subprotocol wsexec.v1, --resumems) and gets
//              every message of the counting program exactly once, in order.
//   stall      a proxy (here, in the test) that holds every WebSocket
//              upgrade without answering: after openTimeoutMs client.js
//              gives up on it and echoes the 100 messages over SSE.
//   reconnect  a program that greets and exits, with reconnect: true: the
//              page gets a fresh session each time, after growing waits,
//              until close() stops it (no --sse needed).
//   haproxy    HAProxy with TLS and HTTP/2 (docs/fallback.md's configuration):
//              a WebSocket gets through; with transports: ['sse'] the same
//              100 messages go over h2 streams.
//   examples   examples/html/greeter.html, opened from disk, loads client.js
//              from the wsexec its URL names and greets through it.
//
//   FALLBACK_SCENARIO=hostile node fallback_e2e.mjs /path/to/wsexec
//
// Every process is started here (fallback_fronts.mjs), on 127.0.0.1 and
// free ports, and ended by its PID. Exit status: 0 pass, 1 fail, 77 skipped (no playwright-core, or
// no nginx/openssl for the scenarios that need them). A wsexec without
// --sse FAILS the fallback scenarios, saying so: the feature is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Failure, freePort, haproxyPath, makeCertificate, nginxPath, start, startHaproxy, startNginx,
         startStallingProxy, startTcpProxy, waitListening } from './fallback_fronts.mjs';

const PASS = 0, FAIL = 1, SKIP = 77;
const scenario = process.env.FALLBACK_SCENARIO || 'websocket';
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 20000;
const MESSAGES = 100;
const COUNT_TO = 200; // the resume scenario's program prints 1..200
const log = (...a) => console.log(`[fallback_e2e ${scenario}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


// The page: client.js from the server, and two functions the test calls.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>client.js test page</title>
<script src="/.wsexec/client.js"></script>
<script>
  const endpoint = location.origin.replace(/^http/, 'ws') + '/endpoint';
  // Sends n messages at once (client.js must keep their order) and resolves
  // with what came back and how the session ended.
  window.echo = (n, options) => new Promise((resolve) => {
    const sock = new WsexecSocket(endpoint, options);
    const received = [];
    let errors = 0; // a refused POST (any answer but 204, 404 or 429) is one
    sock.onopen = () => { for (let i = 1; i <= n; i++) sock.send('message ' + i); };
    sock.onmessage = (e) => received.push(e.data);
    sock.onerror = () => { errors++; };
    sock.onclose = (e) => resolve({ transport: sock.transport, received, errors, code: e.code, reason: e.reason });
  });
  // With reconnect: true, records each open and close (with the time) until
  // n sessions have opened, then calls close().
  window.reconnects = (n) => new Promise((resolve) => {
    const sock = new WsexecSocket(endpoint, { reconnect: true, backoffMs: 200 });
    const events = [];
    sock.onopen = () => { events.push({ type: 'open', at: Date.now() }); };
    sock.onclose = (e) => {
      events.push({ type: 'close', at: Date.now(), code: e.code, reason: e.reason });
      if (events.filter((x) => x.type === 'open').length === n) {
        sock.close();
        setTimeout(() => resolve(events), 2000); // the next session was due within 1.6 s
      }
    };
  });
  // Collects a program's output into window.counted until it ends.
  window.count = () => new Promise((resolve) => {
    const sock = new WsexecSocket(endpoint);
    window.counted = [];
    sock.onmessage = (e) => window.counted.push(e.data);
    sock.onclose = (e) => resolve({ transport: sock.transport, received: window.counted, code: e.code, reason: e.reason });
  });
</script>
`;

// Reads n lines, echoes each, then ends (exit 0): the session closes on
// its own, so the stream's request completes and reaches resource timing.
const ECHO_PROGRAM = ['sh', '-c', `i=0; while [ $i -lt ${MESSAGES} ] && IFS= read -r line; do echo "$line"; i=$((i+1)); done`];
const COUNT_PROGRAM = ['sh', '-c', `i=1; while [ $i -le ${COUNT_TO} ]; do echo $i; i=$((i+1)); sleep 0.02; done`];


// The counting program's 1..COUNT_TO, each once and in order, then its exit.
// nginx's access log, once `ready` says it holds what the test looks for, or
// after 5 s. nginx writes a request's line when the request ends, and the
// event stream ends as the page sees its close: the line can land a moment
// after the page's result, more so on a loaded machine.
async function accessLogOnce(dir, ready) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = readFileSync(join(dir, 'access.log'), 'utf8');
    if (ready(text) || Date.now() > deadline) return text;
    await sleep(100);
  }
}

function expectCount(result) {
  const expected = Array.from({ length: COUNT_TO }, (_, i) => String(i + 1));
  if (JSON.stringify(result.received) !== JSON.stringify(expected)) {
    const seen = new Map();
    for (const m of result.received) seen.set(m, (seen.get(m) || 0) + 1);
    const missing = expected.filter((m) => !seen.has(m));
    const repeated = [...seen].filter(([, n]) => n > 1).map(([m]) => m);
    throw new Failure(`not 1..${COUNT_TO} exactly once in order: ${result.received.length} messages, ` +
                      `missing ${JSON.stringify(missing.slice(0, 10))}, repeated ${JSON.stringify(repeated.slice(0, 10))}`);
  }
  if (result.code !== 1000 || result.reason !== 'exit 0') {
    throw new Failure(`the session should close 1000 "exit 0" after the resume, closed ${result.code} "${result.reason}"`);
  }
}

function expectEcho(result) {
  const expected = Array.from({ length: MESSAGES }, (_, i) => 'message ' + (i + 1));
  if (JSON.stringify(result.received) !== JSON.stringify(expected)) {
    throw new Failure(`the echoes are not messages 1..${MESSAGES} in order, once each: got ${result.received.length}: ` +
                      JSON.stringify(result.received.slice(0, 5)) + '...');
  }
  if (result.errors) throw new Failure(`${result.errors} error events: the server refused POSTs (see its log)`);
  if (result.code !== 1000 || result.reason !== 'exit 0') {
    throw new Failure(`the session should close 1000 "exit 0", closed ${result.code} "${result.reason}"`);
  }
}

async function main() {
  const binary = process.argv[2];
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    log(`SKIP: playwright-core is not installed: ${e.message}`);
    return SKIP;
  }
  const needsNginx = ['hostile', 'h2', 'resume'].includes(scenario);
  if (needsNginx && !existsSync(nginxPath)) { log(`SKIP: no nginx at ${nginxPath} (apt-get install nginx)`); return SKIP; }
  if (scenario === 'haproxy' && !existsSync(haproxyPath)) { log(`SKIP: no haproxy at ${haproxyPath}`); return SKIP; }
  if ((scenario === 'h2' || scenario === 'haproxy') && spawnSync('openssl', ['version']).status !== 0) { log('SKIP: no openssl'); return SKIP; }
  if (!['websocket', 'hostile', 'h2', 'resume', 'wsresume', 'stall', 'reconnect', 'haproxy', 'examples'].includes(scenario)) { log(`unknown FALLBACK_SCENARIO ${scenario}`); return FAIL; }

  const dir = mkdtempSync(join(tmpdir(), 'wsexec-fallback-'));
  writeFileSync(join(dir, 'index.html'), PAGE);
  const procs = [];
  let browser;
  try {
    const wsexecPort = await freePort();
    const options = [`--port=${wsexecPort}`, '--address=127.0.0.1', `--staticdir=${dir}`];
    if (needsNginx || ['stall', 'haproxy', 'wsresume'].includes(scenario)) options.push('--sse');
    if (scenario === 'resume' || scenario === 'wsresume') options.push('--resumems=10000');
    const program = { resume: COUNT_PROGRAM, wsresume: COUNT_PROGRAM, examples: [join(repo, 'examples', 'bash', 'greeter.sh')],
                      reconnect: ['sh', '-c', 'echo hello'] }[scenario] || ECHO_PROGRAM;
    const wsexec = start('wsexec', binary, [...options, ...program]);
    procs.push(wsexec);
    await waitListening(wsexec, wsexecPort);

    let pagePort = wsexecPort;
    let nginx;
    if (needsNginx) {
      if (scenario === 'h2') makeCertificate(dir);
      pagePort = await freePort();
      nginx = startNginx(dir, pagePort, wsexecPort, scenario === 'h2');
      procs.push(nginx);
      await waitListening(nginx, pagePort);
    }
    if (scenario === 'haproxy') {
      makeCertificate(dir);
      pagePort = await freePort();
      const haproxy = startHaproxy(dir, pagePort, wsexecPort);
      procs.push(haproxy);
      await waitListening(haproxy, pagePort);
    }
    if (scenario === 'stall') {
      pagePort = await freePort();
      procs.push(startStallingProxy(pagePort, wsexecPort));
    }
    let tcpProxy;
    const proxied = [];  // the first line of every connection through the TCP proxy
    if (scenario === 'wsresume') {
      pagePort = await freePort();
      tcpProxy = startTcpProxy(pagePort, wsexecPort, proxied);
      procs.push(tcpProxy);
    }
    const origin = `${['h2', 'haproxy'].includes(scenario) ? 'https' : 'http'}://127.0.0.1:${pagePort}`;

    browser = await chromium.launch({ executablePath: chromiumPath, timeout: 30000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--ignore-certificate-errors'] });
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    if (scenario === 'examples') {
      await page.goto(pathToFileURL(join(repo, 'examples', 'html', 'greeter.html')).href + `?ws=ws://127.0.0.1:${wsexecPort}/`);
      await page.waitForFunction(() => document.getElementById('state').textContent === 'open', null, { timeout: WAIT_MS });
      const socketClass = await page.evaluate(() => (typeof WsexecSocket === 'function' && ws instanceof WsexecSocket) ? 'WsexecSocket' : ws.constructor.name);
      if (socketClass !== 'WsexecSocket') throw new Failure(`the example page connected with ${socketClass}, not the client library`);
      await page.fill('#name', 'Ada');
      await page.click('#send');
      await page.waitForFunction(() => document.getElementById('chat').textContent.includes('Hello, Ada!'), null, { timeout: WAIT_MS });
      log('ok: greeter.html from disk loaded /.wsexec/client.js from wsexec and was greeted through it');
      return PASS;
    }
    await page.goto(origin + '/');

    if (scenario === 'haproxy') {
      for (const transports of [['websocket'], ['sse']]) {
        const result = await Promise.race([page.evaluate(([n, t]) => window.echo(n, { transports: t }), [MESSAGES, transports]),
                                           sleep(WAIT_MS).then(() => null)]);
        if (!result) throw new Failure(`the echo over ${transports} did not finish in time`);
        if (result.transport !== transports[0]) throw new Failure(`the transport was ${result.transport}, not ${transports[0]}`);
        expectEcho(result);
        log(`ok: ${MESSAGES} messages through HAProxy over ${result.transport}`);
      }
      const notH2 = await page.evaluate(() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('wsexec_session') && e.nextHopProtocol !== 'h2').length);
      const posts = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('wsexec_session')).length);
      if (posts < MESSAGES || notH2) throw new Failure(`${posts} POSTs in resource timing, ${notH2} of them not over h2`);
      log(`ok: the ${posts} POSTs went over h2`);
    } else if (scenario === 'reconnect') {
      const events = await Promise.race([page.evaluate(() => window.reconnects(4)), sleep(WAIT_MS).then(() => null)]);
      if (!events) throw new Failure('four sessions did not open in time');
      const kinds = events.map((e) => e.type).join(',');
      if (kinds !== 'open,close,open,close,open,close,open,close') throw new Failure(`sessions: ${kinds}`);
      const closes = events.filter((e) => e.type === 'close');
      if (!closes.slice(0, 3).every((e) => e.code === 1000 && e.reason === 'exit 0')) {
        throw new Failure(`each session should end 1000 "exit 0": ${JSON.stringify(closes)}`);
      }
      // backoffMs 200, doubled each time, at least half of it: >= 100, 200, 400 ms.
      const waits = [1, 3, 5].map((i) => events[i + 1].at - events[i].at);
      if (!(waits[0] >= 100 && waits[1] >= 200 && waits[2] >= 400)) throw new Failure(`the waits did not grow: ${waits}`);
      log(`ok: four sessions, each after a growing wait (${waits.join(', ')} ms), none after close()`);
    } else if (scenario === 'wsresume') {
      const finished = page.evaluate(() => window.count());
      await page.waitForFunction(() => window.counted && window.counted.length >= 40, null, { timeout: WAIT_MS });
      await tcpProxy.stop();  // every connection dropped, no close frame
      const cutAt = await page.evaluate(() => window.counted.length);
      log(`connection cut after ${cutAt} messages`);
      await sleep(500);
      procs.push(startTcpProxy(pagePort, wsexecPort, proxied));
      const result = await Promise.race([finished, sleep(WAIT_MS).then(() => null)]);
      if (!result) throw new Failure(`the count did not finish: ${await page.evaluate(() => window.counted.length)} messages`);
      if (result.transport !== 'websocket') throw new Failure(`the transport was ${result.transport}, not websocket`);
      expectCount(result);
      const resumes = proxied.filter((line) => /^GET \/endpoint\?wsexec_session=[0-9a-f]{32}&wsexec_last_event_id=\d+ /.test(line));
      if (!resumes.length) throw new Failure(`no WebSocket resume through the proxy: ${JSON.stringify(proxied)}`);
      if (proxied.some((line) => line.startsWith('POST'))) throw new Failure('the resume fell back to SSE');
      if (cutAt >= COUNT_TO) throw new Failure('the cut came after the last message: nothing was resumed');
      log(`ok: cut after ${cutAt}, resumed over WebSocket (${resumes[0]}), all ${COUNT_TO} messages once and in order, then 1000 "exit 0"`);
    } else if (scenario === 'resume') {
      const finished = page.evaluate(() => window.count());
      await page.waitForFunction(() => window.counted && window.counted.length >= 40, null, { timeout: WAIT_MS });
      // Kill the proxy (no master process: SIGKILL ends every connection at
      // once, as a crash or a network cut would), then bring it back.
      await nginx.stop('SIGKILL');
      const cutAt = await page.evaluate(() => window.counted.length);
      log(`connection cut after ${cutAt} messages`);
      await sleep(500);
      const again = startNginx(dir, pagePort, wsexecPort, false);
      procs.push(again);
      await waitListening(again, pagePort);
      const result = await Promise.race([finished, sleep(WAIT_MS).then(() => null)]);
      if (!result) throw new Failure(`the count did not finish: ${await page.evaluate(() => window.counted.length)} messages`);
      if (result.transport !== 'sse') throw new Failure(`the transport was ${result.transport}, not sse`);
      const expected = Array.from({ length: COUNT_TO }, (_, i) => String(i + 1));
      if (JSON.stringify(result.received) !== JSON.stringify(expected)) {
        const seen = new Map();
        for (const m of result.received) seen.set(m, (seen.get(m) || 0) + 1);
        const missing = expected.filter((m) => !seen.has(m));
        const repeated = [...seen].filter(([, n]) => n > 1).map(([m]) => m);
        throw new Failure(`not 1..${COUNT_TO} exactly once in order: ${result.received.length} messages, ` +
                          `missing ${JSON.stringify(missing.slice(0, 10))}, repeated ${JSON.stringify(repeated.slice(0, 10))}`);
      }
      if (result.code !== 1000 || result.reason !== 'exit 0') {
        throw new Failure(`the session should close 1000 "exit 0" after the resume, closed ${result.code} "${result.reason}"`);
      }
      const resumeLine = /GET \S+ \/endpoint\?wsexec_session=[^&\s]+&wsexec_last_event_id=\d+/;
      const access = await accessLogOnce(dir, (text) => resumeLine.test(text));
      if (!resumeLine.test(access)) throw new Failure(`the proxy saw no resume request:\n${access}`);
      if (cutAt >= COUNT_TO) throw new Failure('the cut came after the last message: nothing was resumed');
      log(`ok: cut after ${cutAt}, resumed, all ${COUNT_TO} messages once and in order, then 1000 "exit 0"`);
    } else {
      const started = Date.now();
      const result = await Promise.race([page.evaluate((n) => window.echo(n), MESSAGES),
                                         sleep(WAIT_MS).then(() => null)]);
      if (!result) throw new Failure('the echo did not finish in time');
      const wanted = scenario === 'websocket' ? 'websocket' : 'sse';
      if (result.transport !== wanted) throw new Failure(`the transport was ${result.transport}, not ${wanted}`);
      expectEcho(result);
      log(`ok: ${MESSAGES} messages echoed in order over ${result.transport}, then 1000 "exit 0"`);
      if (scenario === 'stall') {
        // client.js's default openTimeoutMs: the fallback came after it, not before.
        if (Date.now() - started < 5000) throw new Failure('the fallback came before the WebSocket had stalled for 5 s');
        log('ok: the held upgrade was abandoned after 5 s and the fallback took over');
      }
      if (scenario === 'hostile') {
        const access = readFileSync(join(dir, 'access.log'), 'utf8');
        if (!/ GET 404 \/endpoint$/m.test(access)) throw new Failure(`no refused WebSocket attempt in the proxy's log:\n${access}`);
        log('ok: the WebSocket upgrade was refused behind the proxy (404 in its log) and the fallback took over');
      }
      if (scenario === 'h2') {
        const hops = await page.evaluate(() => performance.getEntriesByType('resource')
          .filter((e) => e.name.includes('/endpoint'))
          .map((e) => ({ name: e.name, type: e.initiatorType, protocol: e.nextHopProtocol })));
        const stream = hops.filter((h) => !h.name.includes('wsexec_session'));
        const posts = hops.filter((h) => h.name.includes('wsexec_session'));
        if (stream.length < 1 || posts.length < MESSAGES) {
          throw new Failure(`resource timing lacks the stream or the POSTs: ${JSON.stringify(hops.slice(0, 5))} (${hops.length})`);
        }
        const notH2 = hops.filter((h) => h.protocol !== 'h2');
        if (notH2.length) throw new Failure(`not over h2: ${JSON.stringify(notH2.slice(0, 5))}`);
        log(`ok: the stream and ${posts.length} POSTs report nextHopProtocol h2`);
        // One connection: nginx numbers its connections ($connection).
        const h2Requests = (text) => text.trim().split('\n').map((l) => l.split(' '))
          .filter(([, proto, method, , uri]) => uri && uri.startsWith('/endpoint') && proto === 'HTTP/2.0' &&
                                                (method === 'GET' || method === 'POST'));
        const sse = h2Requests(await accessLogOnce(dir, (text) => h2Requests(text).length >= MESSAGES + 1));
        const connections = new Set(sse.map(([c]) => c));
        if (sse.length < MESSAGES + 1 || connections.size !== 1) {
          throw new Failure(`the stream and the POSTs should share one HTTP/2 connection: ${sse.length} requests ` +
                            `on connections ${JSON.stringify([...connections])}`);
        }
        log(`ok: the stream and the POSTs (${sse.length} requests) shared HTTP/2 connection ${[...connections][0]}`);
      }
    }
    if (consoleErrors.length) throw new Failure(`errors in the page: ${consoleErrors.join('; ')}`);
    return PASS;
  } catch (e) {
    const outputs = procs.map((p) => `--- ${p.name} output ---\n${p.output}`).join('\n');
    const nginxErrors = existsSync(join(dir, 'error.log')) ? `--- nginx error.log (tail) ---\n${readFileSync(join(dir, 'error.log'), 'utf8').split('\n').slice(-20).join('\n')}` : '';
    log(`FAIL: ${e instanceof Failure ? e.message : e.stack}\n${outputs}\n${nginxErrors}`);
    return FAIL;
  } finally {
    if (browser) await browser.close();
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Exit now: main() has stopped every process it started, and the losing side
// of each Promise.race (a sleep(WAIT_MS)) would otherwise hold node for up to
// 20 s more.
process.exit(await main());
