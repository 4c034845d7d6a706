// The --pty --devconsole terminal page in a real browser (issue 14).
//
//   node terminal_e2e.mjs /path/to/wsexec
//
// Starts `wsexec --pty --devconsole bash --norc --noprofile` on 127.0.0.1
// (no rc files: the prompt and aliases are the same on every machine),
// loads the endpoint's URL in headless Chromium, and checks, reading the
// terminal's buffer (xterm 3 draws on a canvas, so the page's text does not
// hold what is on screen):
//   - the page is served whole, with nothing loaded from elsewhere;
//   - the program starts at the size the page asked for (`stty size`);
//   - typing `echo $((6*7))` + Enter prints 42;
//   - resizing the window resizes the terminal (`stty size` again);
//   - `exit` closes the connection and the page says so.
//
// Exit status: 0 pass, 1 fail, 77 skipped (no chromium or playwright-core).
// Environment: CHROMIUM (default /usr/bin/chromium), WSEXEC_TERMINAL_PORTS
// (a range "LO-HI" to pick a free port from, default 18800-18899: apart
// from staticdir_e2e.mjs's, so ctest -j can run both).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const PASS = 0, FAIL = 1, SKIP = 77;
const here = dirname(fileURLToPath(import.meta.url));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const WAIT_MS = 10000;  // bound on every wait for the page or the server

const log = (...a) => console.log('[terminal_e2e]', ...a);
class Skip extends Error {}
class Failure extends Error {}
const fail = (msg) => { throw new Failure(msg); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- server

function canBind(port) {
  return new Promise((res) => {
    const s = net.createServer();
    s.once('error', () => res(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => res(true)));
  });
}

async function freePort() {
  const m = /^(\d+)-(\d+)$/.exec(process.env.WSEXEC_TERMINAL_PORTS || '18800-18899');
  if (!m) fail('WSEXEC_TERMINAL_PORTS must look like 18800-18899');
  const lo = Number(m[1]), n = Number(m[2]) - lo + 1;
  const start = Math.floor(Math.random() * n);
  for (let i = 0; i < n; i++) {
    const port = lo + ((start + i) % n);
    if (await canBind(port)) return port;
  }
  fail(`no free port in ${m[0]}`);
}

function connects(port) {
  return new Promise((res) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}

let server = null;  // the wsexec we started, stopped by its PID at the end

async function startServer(binary) {
  const port = await freePort();
  const args = [`--port=${port}`, '--address=127.0.0.1', '--pty', '--devconsole', 'bash', '--norc', '--noprofile'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  server = child;
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) fail(`wsexec exited (${child.exitCode}) before listening:\n${output}`);
    if (await connects(port)) {
      log(`started pid ${child.pid}: ${binary} ${args.join(' ')}`);
      return port;
    }
    await sleep(50);
  }
  fail(`wsexec did not listen on ${port} within ${WAIT_MS} ms:\n${output}`);
}

async function stopServer() {
  const child = server;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  log(`stopping pid ${child.pid}`);
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

// ---------------------------------------------------------------- the page

// Every line of the terminal's buffer (scrollback included), right-trimmed.
// xterm 3.8 has no public buffer API yet, so this reads its core's buffer.
function terminalLines(page) {
  return page.evaluate(() => {
    const buffer = window.term._core.buffer;
    const lines = [];
    for (let i = 0; i < buffer.lines.length; i++) lines.push(buffer.translateBufferLineToString(i, true));
    return lines;
  });
}

// Waits until a line of the terminal is exactly `expected`, `times` times.
async function waitForLine(page, expected, what, times = 1) {
  const deadline = Date.now() + WAIT_MS;
  let lines = [];
  while (Date.now() < deadline) {
    lines = await terminalLines(page);
    if (lines.filter((l) => l === expected).length >= times) {
      log(`ok: ${what}: the terminal shows ${JSON.stringify(expected)}`);
      return;
    }
    await sleep(100);
  }
  fail(`${what}: no line ${JSON.stringify(expected)} within ${WAIT_MS} ms; the terminal holds:\n` +
    lines.filter((l) => l !== '').join('\n'));
}

async function typeLine(page, text) {
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

const terminalSize = (page) => page.evaluate(() => ({ cols: window.term.cols, rows: window.term.rows }));

async function checkPage(port, browser) {
  const url = `http://127.0.0.1:${port}/shell`;
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200) fail(`GET ${url} answered ${response.status}`);
  if (!/^text\/html/.test(response.headers.get('content-type') || '')) fail('the page is not text/html');
  if (!body.includes('window.term = term')) fail('--pty --devconsole did not serve the terminal page');
  // Offline: the page must not load anything (script, style, font) from elsewhere.
  if (/<script[^>]*\bsrc=|<link\b|@import|url\(\s*['"]?https?:/i.test(body)) fail('the page loads a resource from elsewhere');
  log(`ok: GET ${url} serves the terminal page whole (${body.length} bytes)`);

  const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
  try {
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // A Content-Security-Policy refusal (an inline style or script blocked) shows here.
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`); });
    await page.goto(url, { timeout: WAIT_MS });
    await page.waitForFunction(() => /^connected/.test(document.getElementById('status').textContent),
      null, { timeout: WAIT_MS }).catch(() => fail(`the page did not connect; page errors: ${pageErrors}`));
    await page.click('#terminal');

    const first = await terminalSize(page);
    if (first.cols < 20 || first.rows < 5) fail(`the terminal was not fitted to the window: ${JSON.stringify(first)}`);
    await typeLine(page, 'stty size');
    await waitForLine(page, `${first.rows} ${first.cols}`, 'the program starts at the page\'s size');

    await typeLine(page, 'echo $((6*7))');
    await waitForLine(page, '42', 'echo $((6*7))');

    await page.setViewportSize({ width: 1100, height: 400 });
    await page.waitForFunction(([c, r]) => window.term.cols !== c && window.term.rows !== r,
      [first.cols, first.rows], { timeout: WAIT_MS }).catch(() => fail('the terminal did not follow the window'));
    const second = await terminalSize(page);
    if (!(second.cols > first.cols && second.rows < first.rows)) {
      fail(`a wider, lower window gave ${JSON.stringify(second)} after ${JSON.stringify(first)}`);
    }
    await typeLine(page, 'stty size');
    await waitForLine(page, `${second.rows} ${second.cols}`, 'the program follows a resized window');

    // The shell ending ends the connection, and the page says so.
    await typeLine(page, 'exit');
    await page.waitForFunction(() => /^closed \(/.test(document.getElementById('status').textContent),
      null, { timeout: WAIT_MS }).catch(() => fail('the page did not show that the shell ended'));
    log(`ok: exit: the page shows "${await page.textContent('#status')}"`);
    if (pageErrors.length) fail(`page errors: ${pageErrors.join('; ')}`);
  } finally { await context.close(); }
}

// ---------------------------------------------------------------- main

async function main() {
  const binary = process.argv[2];
  if (!binary || !existsSync(binary)) { console.error('usage: node terminal_e2e.mjs /path/to/wsexec'); return FAIL; }
  if (!existsSync(chromiumPath)) throw new Skip(`no Chromium at ${chromiumPath}`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Skip(`playwright-core is not installed (run npm ci in ${here}): ${e.message}`);
  }
  const port = await startServer(binary);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, timeout: 30000 });
  try {
    await checkPage(port, browser);
  } finally { await browser.close(); }
  return PASS;
}

const watchdog = setTimeout(async () => {
  console.error('[terminal_e2e] FAIL: overall time limit (100 s) reached');
  await stopServer();
  process.exit(FAIL);
}, 100000);

let status;
try {
  status = await main();
  if (status === PASS) log('PASS');
} catch (e) {
  if (e instanceof Skip) { log(`SKIP: ${e.message}`); status = SKIP; }
  else { console.error(`[terminal_e2e] FAIL: ${e instanceof Failure ? e.message : e.stack || e}`); status = FAIL; }
}
await stopServer();
clearTimeout(watchdog);
process.exit(status);
