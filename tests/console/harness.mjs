// Starts a real `daulat serve` (the demo model from DAULAT_DATA_DIR, a fresh
// data folder of its own) and seeds one tenant through the documented API:
// an admin, a member cleared to TERHAD, an auditor, a collection with a
// TERBUKA notice and a RAHSIA plan. Also launches Debian's chromium.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OUTPUT = process.env.DAULAT_TEST_OUTPUT || path.join(REPO, 'test-output', 'console');
const BINARY = process.env.DAULAT_BINARY || path.join(REPO, 'build', 'src', 'cli', 'daulat');
const DATA = process.env.DAULAT_DATA_DIR || path.join(REPO, '.cache', 'test-data');
export const OPERATOR_KEY = 'console-test-' + randomBytes(16).toString('hex');
export const PASSWORD = 'kata-laluan-yang-panjang-1';

export const NOTICE = '# Lesen Perniagaan\n\nYuran pemprosesan lesen perniagaan ialah RM50. Permohonan dibuat dalam talian melalui portal majlis.\n';
export const SECRET = '# Pelan Siber Rahsia\n\nPelan keselamatan siber pusat data Cyberjaya: kod operasi HARIMAU-7.\n';

export async function startServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'daulat-console-'));
  const config = path.join(dir, 'daulat.toml');
  writeFileSync(config, `[server]\nhost = "127.0.0.1"\nport = 0\napi_key = "${OPERATOR_KEY}"\nshutdown_grace_seconds = 5\n\n` +
    '[[models]]\nname = "gemma3-270m"\nparallel = 2\ncontext_length = 4096\nthreads = 2\n');
  mkdirSync(path.join(dir, 'data'));
  const proc = spawn(BINARY, ['--data-dir', path.join(dir, 'data'), '--models-dir', path.join(DATA, 'models'), 'serve', '--config', config],
    { stdio: ['ignore', 'pipe', 'pipe'], env: Object.assign({}, process.env, { DAULAT_LOG_LEVEL: 'warn' }) });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const base = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    rl.on('line', (line) => { const m = line.match(/listening on (\S+)/); if (m) resolve(m[1]); });
    proc.on('exit', (code) => reject(new Error(`daulat serve exited ${code}: ${log}`)));
  });
  return { base, proc, dir, log: () => log };
}

export async function stopServer(server) {
  server.proc.kill('SIGTERM');
  await new Promise((resolve) => server.proc.on('exit', resolve));
}

export async function call(base, method, p, key, body) {
  const headers = key ? { Authorization: 'Bearer ' + key } : {};
  let payload = body;
  if (body && !(body instanceof FormData)) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(base + p, { method, headers, body: payload });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return json;
}

export async function seed(base) {
  const tenant = 'kementerian';
  const created = await call(base, 'POST', '/api/v1/tenants', OPERATOR_KEY, { id: tenant, name: 'Kementerian Contoh' });
  const owner = created.owner_key.key;
  for (const [username, role, clearance, groups] of [['aminah', 'admin', 'RAHSIA', ['kewangan']], ['ravi', 'member', 'TERHAD', []], ['wong', 'auditor', 'TERBUKA', []]])
    await call(base, 'POST', '/api/v1/users', owner, { username, password: PASSWORD, role, clearance, groups });
  await call(base, 'POST', '/api/v1/collections', owner, { id: 'pekeliling', name: 'Pekeliling' });
  const docs = {};
  for (const [name, text, level] of [['lesen.md', NOTICE, 'TERBUKA'], ['pelan-siber.md', SECRET, 'RAHSIA']]) {
    const form = new FormData();
    form.append('classification', level);
    form.append('file', new Blob([text]), name);
    docs[name] = await call(base, 'POST', '/api/v1/collections/pekeliling/documents', owner, form);
  }
  return { tenant, owner, docs };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A page that records every request it makes, so a test can prove none
// left the server's origin, and every console error.
export async function openPage(browser, base, { language = 'en' } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: language === 'ms' ? 'ms-MY' : 'en-GB' });
  const page = await context.newPage();
  const requests = [];
  const calls = [];
  const errors = [];
  page.on('request', (r) => { requests.push(r.url()); calls.push([r.method(), r.url()]); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.addInitScript((lang) => { if (!localStorage.getItem('daulat.language')) localStorage.setItem('daulat.language', lang); }, language);
  await page.goto(base + '/');
  return { page, context, requests, calls, errors };
}

export async function signIn(page, username, { tenant = 'kementerian', password = PASSWORD } = {}) {
  await page.getByLabel(/Organisation|Organisasi/).fill(tenant);
  await page.getByLabel(/User name|Nama pengguna/).fill(username);
  await page.getByLabel(/^(Password|Kata laluan)$/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|Log masuk)$/ }).click();
  await page.locator('header.top').waitFor();
}

export function shot(page, name) {
  mkdirSync(OUTPUT, { recursive: true });
  return page.screenshot({ path: path.join(OUTPUT, name + '.png'), fullPage: true });
}
