// Starts a real chathub-server on a free loopback port with a fresh SQLite file.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const BIN = process.env.CHATHUB_SERVER_BIN || join(ROOT, 'target/debug/chathub-server');

/**
 * @param {{dir?: string, addr?: string, www?: string, args?: string[], env?: Record<string, string>, bin?: string}} [opts]
 *   dir: reuse a data directory (to restart on the same database); addr: a fixed address; www: the
 *   demo pages' folder (default www/); bin: another server binary (the benchmarks' release build);
 *   args: extra flags (e.g. `['--compat', 'documented']`); env: extra environment (e.g. RUST_LOG).
 */
export async function startServer(opts = {}) {
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'chathub-e2e-'));
  const args = ['--addr', opts.addr || '127.0.0.1:0', '--db', join(dir, 'chathub.db'), '--dev',
    '--dist', join(ROOT, 'dist'), '--www', opts.www || join(ROOT, 'www'), ...(opts.args || [])];
  const child = spawn(opts.bin || BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn', ...(opts.env || {}) } });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${log}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[\d.]+:\d+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited ${code}:\n${log}`)); });
  });
  const exited = new Promise((ok) => child.on('exit', ok));
  return {
    url, dir, child,
    log: () => log,
    /** Stops the process; keeps the database unless `wipe`. */
    async stop({ wipe = !opts.dir } = {}) {
      if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await exited; }
      if (wipe) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A company token for the demo company (login demo / demo). */
export async function companyToken(url, login = 'demo', password = 'demo') {
  const r = await fetch(`${url}/api/company/get-token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, password }),
  });
  if (!r.ok) throw new Error(`get-token ${r.status}`);
  const t = await r.text();
  return t.startsWith('"') ? JSON.parse(t) : t;
}

/** A customer writes through the channel simulator. */
export async function inbound(url, token, { organizationId = 1, source = 0, name = 'Ann', phone = '+380501234567', text }) {
  const r = await fetch(`${url}/api/channel/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ organizationId, source, client: { name, phone }, text }),
  });
  if (!r.ok) throw new Error(`inbound ${r.status}: ${await r.text()}`);
  return r.json();
}

/** Operator replies that reached a customer. */
export async function outbound(url, token, { organizationId = 1, phone = '+380501234567', after = 0 } = {}) {
  const q = new URLSearchParams({ organizationId, phone, after });
  const r = await fetch(`${url}/api/channel/outbound?${q}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`outbound ${r.status}`);
  return r.json();
}

/** The customer is typing (the channel simulator's typing route). */
export async function typing(url, token, { organizationId = 1, phone = '+380501234567' } = {}) {
  const r = await fetch(`${url}/api/channel/typing`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ organizationId, phone }),
  });
  if (!r.ok) throw new Error(`typing ${r.status}: ${await r.text()}`);
  return r.json();
}
