// End-to-end test in a real browser (issue 3, item 8).
//
//   node staticdir_e2e.mjs /path/to/wsexec
//
// Starts wsexec on 127.0.0.1 with --staticdir=<temp dir> and
// examples/bash/greeter.sh, opens the temp dir's index.html in headless
// Chromium (the system browser, driven by playwright-core), types a name,
// clicks Send and waits for "Hello, NAME!" to appear in the page. Then, if
// the binary supports --devconsole, loads the dev console at an endpoint URL
// and does the same there.
//
// Modes (printed as "MODE: ..."):
//   staticdir      the page is served by wsexec --staticdir (the real test)
//   file-fallback  wsexec refused --staticdir as "not supported yet": the page
//                  is loaded from file:// and told the ws:// URL in its
//                  #ws= fragment. Set WSEXEC_BROWSER_REQUIRE_STATICDIR=1 to
//                  make this mode a failure instead.
//
// Exit status: 0 pass, 1 fail, 77 skipped (no chromium or no node_modules;
// ctest's SKIP_RETURN_CODE).
//
// Environment: CHROMIUM (default /usr/bin/chromium), WSEXEC_BROWSER_PORTS
// (a range "LO-HI" to pick free ports from, default 18700-18799).

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PASS = 0, FAIL = 1, SKIP = 77;
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const greeter = join(repo, 'examples', 'bash', 'greeter.sh');
const devconsoleSource = join(repo, 'src', 'devconsole.html');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];  // playwright adds its own throw-away --user-data-dir
const WAIT_MS = 10000;  // bound on every wait for the page or the server

const log = (...a) => console.log('[browser_e2e]', ...a);
class Skip extends Error {}
class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };

// ---------------------------------------------------------------- ports

function portRange() {
  const m = /^(\d+)-(\d+)$/.exec(process.env.WSEXEC_BROWSER_PORTS || '18700-18799');
  if (!m) fail('WSEXEC_BROWSER_PORTS must look like 18700-18799');
  return [Number(m[1]), Number(m[2])];
}

function canBind(port) {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => res(true)));
  });
}

const triedPorts = new Set();
async function freePort() {
  const [lo, hi] = portRange();
  const n = hi - lo + 1;
  const start = Math.floor(Math.random() * n);
  for (let i = 0; i < n; i++) {
    const p = lo + ((start + i) % n);
    if (triedPorts.has(p)) continue;
    triedPorts.add(p);
    if (await canBind(p)) return p;
  }
  fail(`no free port in ${lo}-${hi}`);
}

function connects(port) {
  return new Promise((res) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- server

const servers = new Set();

// Starts wsexec with `options` plus the greeter. Resolves to
// { child, port, output() } once the port accepts connections, or to
// { refused: text } when wsexec exits first (e.g. "not supported yet").
async function startServer(binary, options) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = [`--port=${port}`, '--address=127.0.0.1', ...options, greeter];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => { text += d; });
    child.stderr.on('data', (d) => { text += d; });
    let exited = null;
    child.once('exit', (code, signal) => { exited = { code, signal }; servers.delete(child); });
    child.once('error', (e) => { exited = { code: null, error: e }; });
    servers.add(child);
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      if (exited) break;
      if (await connects(port)) {
        if (exited) break;
        log(`started pid ${child.pid}: ${binary} ${args.join(' ')}`);
        return { child, port, output: () => text };
      }
      await sleep(50);
    }
    if (!exited) { await stopServer(child); fail(`wsexec did not listen on ${port} within ${WAIT_MS} ms:\n${text}`); }
    if (exited.error) fail(`cannot run ${binary}: ${exited.error.message}`);
    await sleep(20);  // let the pipes drain
    if (/address already in use|bind/i.test(text)) { log(`port ${port} was taken, retrying`); continue; }
    return { refused: text.trim() || `exit code ${exited.code}` };
  }
  fail('could not start wsexec on a free port after 5 attempts');
}

async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  log(`stopping pid ${child.pid}`);
  child.kill('SIGTERM');
  const t = setTimeout(() => { log(`pid ${child.pid} ignored SIGTERM, sending SIGKILL`); child.kill('SIGKILL'); }, 3000);
  await gone;
  clearTimeout(t);
}

async function stopAll() { for (const c of [...servers]) await stopServer(c); }

async function httpGet(url) {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), WAIT_MS);
  try {
    const r = await fetch(url, { signal: ctl.signal });
    return { status: r.status, type: r.headers.get('content-type') || '', body: await r.text() };
  } finally { clearTimeout(t); }
}

// ---------------------------------------------------------------- the page

// A minimal app page: connects to ws(s)://<this host>/greet, or to the URL in
// a #ws= fragment when opened from file://. Shows replies with textContent.
const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>wsexec browser e2e</title></head>
<body>
<p>status: <span id="status">connecting</span></p>
<label for="name">Name</label> <input id="name"> <button id="send" type="button">Send</button>
<ul id="replies"></ul>
<script>
(function () {  // not global: window.status is a legacy built-in
  var h = location.hash, url;
  if (h.indexOf('#ws=') === 0) url = decodeURIComponent(h.slice(4));
  else url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/greet';
  var ws = new WebSocket(url);
  var status = document.getElementById('status');
  ws.onopen = function () { status.textContent = 'open'; };
  ws.onclose = function (e) { status.textContent = 'closed ' + e.code; };
  ws.onmessage = function (e) {
    var li = document.createElement('li');
    li.textContent = e.data;
    document.getElementById('replies').appendChild(li);
  };
  document.getElementById('send').onclick = function () {
    var n = document.getElementById('name');
    ws.send(n.value);
    n.value = '';
  };
})();
</script>
</body></html>
`;

// ---------------------------------------------------------------- checks

// Waits until an element matching selector has exactly the text expected
// (or starts with it, when prefix).
async function waitForText(page, selector, expected, what, prefix = false) {
  try {
    await page.waitForFunction(
      ([sel, want, pre]) => [...document.querySelectorAll(sel)]
        .some((e) => (pre ? e.textContent.startsWith(want) : e.textContent === want)),
      [selector, expected, prefix], { timeout: WAIT_MS });
  } catch {
    const seen = await page.$$eval(selector, (es) => es.map((e) => e.textContent)).catch(() => []);
    fail(`${what}: "${expected}" did not appear in ${selector} within ${WAIT_MS} ms; saw ${JSON.stringify(seen)}`);
  }
  log(`ok: ${what}: page shows ${JSON.stringify(expected)}`);
}

function watchPage(page, label) {
  page.on('pageerror', (e) => log(`${label}: page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') log(`${label}: console: ${m.text()}`); });
}

async function staticdirPart(binary, browser) {
  const dir = mkdtempSync(join(tmpdir(), 'wsexec-e2e-'));
  try {
    writeFileSync(join(dir, 'index.html'), INDEX_HTML);
    let server = await startServer(binary, [`--staticdir=${dir}`]);
    let pageUrl;
    if (server.refused) {
      if (!/not supported yet/i.test(server.refused)) fail(`wsexec refused --staticdir: ${server.refused}`);
      if (process.env.WSEXEC_BROWSER_REQUIRE_STATICDIR === '1') {
        fail(`WSEXEC_BROWSER_REQUIRE_STATICDIR=1 but wsexec refused --staticdir: ${server.refused}`);
      }
      const refusal = server.refused.split('\n').pop();
      server = await startServer(binary, []);
      if (server.refused) fail(`wsexec did not start: ${server.refused}`);
      pageUrl = pathToFileURL(join(dir, 'index.html')).href
        + '#ws=' + encodeURIComponent(`ws://127.0.0.1:${server.port}/greet`);
      log(`MODE: file-fallback (wsexec refused --staticdir: "${refusal}"; ` +
        'page loaded from file:// with the ws:// URL in its #ws= fragment)');
    } else {
      pageUrl = `http://127.0.0.1:${server.port}/`;
      log(`MODE: staticdir (page served by wsexec --staticdir=${dir} at ${pageUrl})`);
      const r = await httpGet(pageUrl);
      if (r.status !== 200) fail(`GET ${pageUrl} answered ${r.status}, not 200 (is --staticdir serving index.html?)`);
      if (r.body !== INDEX_HTML) fail(`GET ${pageUrl} did not return the index.html written to ${dir}`);
      if (!/^text\/html/i.test(r.type)) fail(`GET ${pageUrl}: Content-Type is "${r.type}", not text/html`);
      log('ok: GET / returns index.html as text/html');
    }

    const ctx = await browser.newContext();
    try {
      const page = await ctx.newPage();
      watchPage(page, 'app page');
      await page.goto(pageUrl, { timeout: WAIT_MS });
      await waitForText(page, '#status', 'open', 'app page connects');
      for (const name of ['Ada', 'Zoë & <b>Bob</b>']) {
        await page.fill('#name', name);
        await page.click('#send');
        await waitForText(page, '#replies li', `Hello, ${name}!`, 'app page reply');
      }
      if (await page.$('#replies b')) fail('a reply was parsed as markup');
    } finally { await ctx.close(); }
    await stopServer(server.child);
    if (server.child.exitCode === null && server.child.signalCode === null) fail('server still running');
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

async function devconsolePart(binary, browser) {
  const server = await startServer(binary, ['--devconsole']);
  if (server.refused) {
    if (/not supported yet/i.test(server.refused)) {
      log('SKIP devconsole part: wsexec says --devconsole is not supported yet');
      return;
    }
    fail(`wsexec refused --devconsole: ${server.refused}`);
  }
  const path = '/greet?lang=en&x=%3Cy%3E';
  const pageUrl = `http://127.0.0.1:${server.port}${path}`;
  log(`devconsole: loading ${pageUrl}`);
  const r = await httpGet(pageUrl);
  if (r.status !== 200) fail(`GET ${pageUrl} with --devconsole answered ${r.status}, not 200`);
  if (!/^text\/html/i.test(r.type)) fail(`devconsole Content-Type is "${r.type}", not text/html`);
  if (existsSync(devconsoleSource) && r.body !== readFileSync(devconsoleSource, 'utf8')) {
    fail('the devconsole page served differs from src/devconsole.html (nothing may be substituted into it)');
  }
  log('ok: devconsole page served verbatim as text/html');

  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    watchPage(page, 'devconsole');
    await page.goto(pageUrl, { timeout: WAIT_MS });
    await waitForText(page, '#status', 'Open', 'devconsole connects');
    await waitForText(page, '#url', `ws://127.0.0.1:${server.port}${path}`, 'devconsole targets its own URL');
    for (const name of ['Grace', '<img src=x onerror="document.title=1">']) {
      await page.fill('#msg', name);
      await page.press('#msg', 'Enter');
      await waitForText(page, '#log .entry.out .body', name, 'devconsole logs the sent message');
      await waitForText(page, '#log .entry.in .body', `Hello, ${name}!`, 'devconsole reply');
    }
    if (await page.$('#log img')) fail('a message was parsed as markup in the devconsole');
    await page.click('#disconnect');
    await waitForText(page, '#log .entry.close .body', 'Closed with code 1000 — normal closure', 'devconsole close event', true);
    await page.click('#reconnect');
    await waitForText(page, '#status', 'Open', 'devconsole reconnects');
    await page.click('#clear');
    if (await page.$$eval('#log .entry', (es) => es.length) !== 0) fail('Clear did not empty the log');
    log('ok: devconsole disconnect, reconnect and clear');
  } finally { await ctx.close(); }
  await stopServer(server.child);
}

// ---------------------------------------------------------------- main

async function main() {
  const binary = process.argv[2];
  if (!binary) { console.error('usage: node staticdir_e2e.mjs /path/to/wsexec'); return FAIL; }
  if (!existsSync(binary)) { console.error(`no such binary: ${binary}`); return FAIL; }
  if (!existsSync(chromiumPath)) throw new Skip(`no Chromium at ${chromiumPath} (apt-get install chromium)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Skip(`playwright-core is not installed (run npm ci in ${here}): ${e.message}`);
  }
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, timeout: 30000 });
  log(`browser: Chromium ${browser.version()}`);
  try {
    await staticdirPart(binary, browser);
    await devconsolePart(binary, browser);
  } finally {
    await browser.close();
  }
  return PASS;
}

const watchdog = setTimeout(async () => {
  console.error('[browser_e2e] FAIL: overall time limit (100 s) reached');
  await stopAll();
  process.exit(FAIL);
}, 100000);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => { await stopAll(); process.exit(FAIL); });
}

let status;
try {
  status = await main();
  if (status === PASS) log('PASS');
} catch (e) {
  if (e instanceof Skip) { log(`SKIP: ${e.message}`); status = SKIP; }
  else { console.error(`[browser_e2e] FAIL: ${e instanceof Failure ? e.message : e.stack || e}`); status = FAIL; }
}
await stopAll();
clearTimeout(watchdog);
process.exit(status);
