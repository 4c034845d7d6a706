// The chat room of a shared program in a real browser (issue 13): two pages
// of examples/html/room.html on one `wsexec --shared=addressed
// examples/python/room.py` see each other's messages, and a private
// message reaches only the one it names.
//
//   node shared_chat_e2e.mjs /path/to/wsexec
//
// Exit status: 0 pass, 1 fail, 77 skipped (no chromium or no node_modules).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PASS = 0, FAIL = 1, SKIP = 77;
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 10000;
const log = (...a) => console.log('[shared_chat_e2e]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen({ port: 0, host: '127.0.0.1' }, () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}
function connects(port) {
  return new Promise((res) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
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
  const port = await freePort();
  const room = join(repo, 'examples', 'python', 'room.py');
  const server = spawn(binary, [`--port=${port}`, '--address=127.0.0.1', '--shared=addressed', room],
                       { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (d) => { output += d; });
  server.stderr.on('data', (d) => { output += d; });
  const browser = await chromium.launch({ executablePath: chromiumPath, timeout: 30000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const deadline = Date.now() + WAIT_MS;
    while (!(await connects(port))) {
      if (Date.now() > deadline) throw new Error(`wsexec did not listen:\n${output}`);
      await sleep(50);
    }
    const url = pathToFileURL(join(repo, 'examples', 'html', 'room.html')).href +
                `?ws=ws://127.0.0.1:${port}/`;
    const [alice, bob] = [await browser.newPage(), await browser.newPage()];
    for (const page of [alice, bob]) {
      await page.goto(url);
      await page.waitForFunction(() => document.getElementById('me').textContent.startsWith('you are'),
                                 null, { timeout: WAIT_MS });
    }
    const say = async (page, text) => { await page.fill('#text', text); await page.click('#send'); };
    const shows = (page, text) => page.waitForFunction(
      (t) => [...document.querySelectorAll('#room div')].some((d) => d.textContent.includes(t)),
      text, { timeout: WAIT_MS });
    await say(alice, '/nick alice');
    await shows(bob, 'is now alice');
    await say(alice, 'hello from alice');
    await shows(bob, 'hello from alice');
    await say(bob, 'hi alice, bob here');
    await shows(alice, 'hi alice, bob here');
    log('ok: each page sees the other\'s messages');
    const carol = await browser.newPage();
    await carol.goto(url);
    await carol.waitForFunction(() => document.getElementById('me').textContent.startsWith('you are'),
                                null, { timeout: WAIT_MS });
    await say(bob, '/msg alice just for you');
    await shows(alice, 'just for you');
    await sleep(300);
    const leaked = await carol.evaluate(() => document.getElementById('room').textContent.includes('just for you'));
    if (leaked) throw new Error('a private message reached a third page');
    log('ok: a private message reaches only its recipient');
    return PASS;
  } catch (e) {
    log(`FAIL: ${e.message}\n--- server output ---\n${output}`);
    return FAIL;
  } finally {
    await browser.close();
    server.kill('SIGTERM');
  }
}

process.exitCode = await main();
