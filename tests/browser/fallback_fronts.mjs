// What fallback_e2e.mjs puts between the browser and wsexec, and how it
// starts processes: nginx (hostile, or TLS + HTTP/2), HAProxy, a proxy that
// holds upgrades, a throwaway certificate. Every process listens on
// 127.0.0.1 and a free port and is ended by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export const nginxPath = process.env.NGINX || '/usr/sbin/nginx';
export const haproxyPath = process.env.HAPROXY || '/usr/sbin/haproxy';
const WAIT_MS = 20000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Failure extends Error {}

export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once('error', rej);
    s.listen({ port: 0, host: '127.0.0.1' }, () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}
export function connects(port) {
  return new Promise((res) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}

// A child whose output is kept for the failure message; stop() ends it by
// its PID (SIGTERM, SIGKILL after 3 s) and waits for it.
export function start(name, command, args) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { name, child, output: '', exited: null };
  child.stdout.on('data', (d) => { proc.output += d; });
  child.stderr.on('data', (d) => { proc.output += d; });
  proc.done = new Promise((r) => child.once('exit', (code, signal) => { proc.exited = { code, signal }; r(); }));
  proc.stop = async (signal = 'SIGTERM') => {
    if (proc.exited) return;
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await proc.done;
    clearTimeout(killer);
  };
  return proc;
}

export async function waitListening(proc, port) {
  const deadline = Date.now() + WAIT_MS;
  while (!(await connects(port))) {
    if (proc.exited) {
      if (/unrecognised option|unknown option|unrecognized option/i.test(proc.output) && /--sse|--resume/.test(proc.output)) {
        throw new Failure('this wsexec has no --sse/--resumems: the server side of the fallback (issue 17, branch h-sse) ' +
                          `is not in this build, so the fallback cannot work.\n${proc.output}`);
      }
      throw new Failure(`${proc.name} exited (${JSON.stringify(proc.exited)}) before listening:\n${proc.output}`);
    }
    if (Date.now() > deadline) throw new Failure(`${proc.name} did not listen on ${port}:\n${proc.output}`);
    await sleep(50);
  }
}

// nginx as a hostile proxy: HTTP/1.1 upstream without the Upgrade and
// Connection headers (nginx never forwards hop-by-hop headers unless told),
// and response buffering left on (wsexec's X-Accel-Buffering: no must turn it
// off for the stream). With h2: TLS and HTTP/2 toward the browser.
// docs/fallback.md shows the same configuration.
function nginxConfig(dir, port, upstreamPort, h2) {
  const root = process.getuid && process.getuid() === 0 ? 'user root;\n' : '';
  const listen = h2
    ? `listen 127.0.0.1:${port} ssl http2;\n    ssl_certificate ${dir}/cert.pem;\n    ssl_certificate_key ${dir}/key.pem;`
    : `listen 127.0.0.1:${port};`;
  return `${root}daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  log_format conn '$connection $server_protocol $request_method $status $request_uri';
  access_log ${dir}/access.log conn;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    ${listen}
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 1h;
    }
  }
}
`;
}

// A TCP proxy that forwards every connection except those whose request
// asks for a WebSocket: those it holds open, silent, as some middleboxes do.
export function startStallingProxy(port, upstreamPort) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.once('data', (first) => {
      if (/^upgrade:\s*websocket/im.test(first.toString('latin1'))) return; // held: never answered
      const upstream = net.connect(upstreamPort, '127.0.0.1');
      sockets.add(upstream);
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => { client.destroy(); upstream.destroy(); };
      upstream.on('error', end).on('close', end);
      client.on('error', end).on('close', end);
    });
    client.on('error', () => client.destroy());
  });
  server.listen(port, '127.0.0.1');
  return { name: 'stalling proxy', output: '', stop: async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  } };
}

// A plain TCP proxy that passes everything, WebSockets included, and
// records the first line of each connection (`requests`). stop() destroys
// every connection at once: both ends see the line go without a close
// frame, as when a proxy or a network link dies.
export function startTcpProxy(port, upstreamPort, requests = []) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    client.once('data', (first) => requests.push(first.toString('latin1').split('\r\n')[0]));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); };
    upstream.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  server.listen(port, '127.0.0.1');
  return { name: 'tcp proxy', output: '', requests, stop: async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  } };
}

// docs/fallback.md's HAProxy configuration, on loopback and the test's
// certificate; -db keeps it in the foreground, to be ended by its PID.
export function startHaproxy(dir, port, upstreamPort) {
  writeFileSync(join(dir, 'site.pem'), readFileSync(join(dir, 'cert.pem'), 'utf8') + readFileSync(join(dir, 'key.pem'), 'utf8'));
  writeFileSync(join(dir, 'haproxy.cfg'), `defaults
  mode http
  timeout connect 5s
  timeout client 1m
  timeout server 1m
  timeout tunnel 1h

frontend web
  bind 127.0.0.1:${port} ssl crt ${dir}/site.pem alpn h2,http/1.1
  default_backend wsexec

backend wsexec
  server app 127.0.0.1:${upstreamPort}
`);
  return start('haproxy', haproxyPath, ['-db', '-f', join(dir, 'haproxy.cfg')]);
}

export function startNginx(dir, port, upstreamPort, h2) {
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, port, upstreamPort, h2));
  return start('nginx', nginxPath, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]);
}

export function makeCertificate(dir) {
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Failure(`openssl could not make the test certificate:\n${made.stderr}`);
}
