// The web console in Debian's chromium, driven by playwright-core, against a
// live `daulat serve` with the demo model. Screenshots of each main page go
// to test-output/console/ (DAULAT_TEST_OUTPUT overrides).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, stopServer, seed, launchBrowser, openPage, signIn, shot, call, PASSWORD, NOTICE } from './harness.mjs';

let server, seeded, browser;
const pages = [];

before(async () => {
  server = await startServer();
  seeded = await seed(server.base);
  browser = await launchBrowser();
});

after(async () => {
  for (const p of pages) await p.context.close().catch(() => {});
  if (browser) await browser.close();
  if (server) await stopServer(server);
});

async function open(opts) {
  const p = await openPage(browser, server.base, opts);
  pages.push(p);
  return p;
}

// No request may leave the server's origin (no CDN, no fonts, no telemetry),
// and the page may not log errors.
function assertClean({ requests, errors }) {
  const origin = new URL(server.base).origin;
  const foreign = requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:'));
  assert.deepEqual(foreign, [], 'requests to another origin');
  assert.deepEqual(errors.filter((e) => !/status of 4\d\d/.test(e)), [], 'page errors');
}

// WCAG AA contrast for every visible text: 4.5:1, or 3:1 for large text.
async function assertContrast(page) {
  const poor = await page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      if (!el.offsetParent && !el.closest('dialog[open]')) continue;
      if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
      const st = getComputedStyle(el);
      if (st.visibility === 'hidden' || Number(st.opacity) < 0.9 || el.closest('[disabled], svg, option')) continue;
      const [l1, l2] = [lum(rgb(st.color)), lum(background(el))].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const large = parseFloat(st.fontSize) >= 24 || (parseFloat(st.fontSize) >= 18.66 && Number(st.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
    }
    return out;
  });
  assert.deepEqual(poor, []);
}

// Every form control has an accessible name (a label, aria-label or title).
async function assertLabelled(page) {
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((el) => el.offsetParent !== null || el.closest('dialog[open]'))
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.title && !(el.textContent || '').trim() && !el.placeholder)
    .map((el) => el.outerHTML.slice(0, 120)));
  assert.deepEqual(unnamed, []);
}

test('the console is served from the binary behind a same-origin CSP, compressed and cacheable', async () => {
  const res = await fetch(server.base + '/', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(res.status, 200);
  const csp = res.headers.get('content-security-policy');
  for (const d of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), csp);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const etag = res.headers.get('etag');
  const again = await fetch(server.base + '/', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await fetch(server.base + '/console/nope.js')).status, 404);
  assert.equal((await fetch(server.base + '/console/js/app.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
});

test('sign-in: a wrong password is refused, sign-out ends the session, an expired session returns to sign-in', async () => {
  const p = await open();
  const { page } = p;
  await page.getByLabel('Organisation (tenant)').fill('kementerian');
  await page.getByLabel('User name').fill('ravi');
  await page.getByLabel(/^Password$/).fill('salah-sama-sekali');
  await page.getByLabel(/^Password$/).press('Enter');
  await page.getByRole('alert').filter({ hasText: 'Sign-in failed' }).waitFor();
  await shot(page, 'signin');
  await signIn(page, 'ravi');
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('daulat.session')).token);
  assert.equal((await call(server.base, 'GET', '/api/v1/me', token)).authenticated, true);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const after = await fetch(server.base + '/api/v1/me', { headers: { Authorization: 'Bearer ' + token } });
  assert.equal(after.status, 401, 'the signed-out session token no longer works');
  await signIn(page, 'ravi');
  await page.evaluate(() => { const s = JSON.parse(sessionStorage.getItem('daulat.session')); s.expires_at = 1; sessionStorage.setItem('daulat.session', JSON.stringify(s)); });
  await page.reload();
  await page.getByText('Your session has ended').waitFor();
  assertClean(p);
});

test('documents: upload by file chooser and by drag and drop with per-file outcomes, open, delete with confirmation', async () => {
  const p = await open();
  const { page } = p;
  await signIn(page, 'aminah');
  await page.getByRole('link', { name: 'Documents' }).click();
  await page.getByText('Lesen Perniagaan').first().waitFor();
  await page.getByLabel('Classification').selectOption('TERHAD');
  await page.getByLabel('Groups allowed (optional)').fill('kewangan');
  await page.locator('#file-input').setInputFiles([
    { name: 'elaun.md', mimeType: 'text/markdown', buffer: Buffer.from('# Elaun Perjalanan\n\nElaun harian pegawai ialah RM120 sehari.\n') },
    { name: 'rosak.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 1, 2, 3, 255]) },
  ]);
  await page.locator('.upload-progress li.added').filter({ hasText: 'elaun.md' }).waitFor({ timeout: 60000 });
  await page.locator('.upload-progress li.failed').filter({ hasText: 'rosak.bin' }).waitFor();
  // Drag and drop: a real drop event carrying a file.
  const dt = await page.evaluateHandle(() => {
    const d = new DataTransfer();
    d.items.add(new File(['# Cuti Umum\n\nCuti umum negeri diumumkan oleh kerajaan negeri.\n'], 'cuti.md', { type: 'text/markdown' }));
    return d;
  });
  await page.locator('.dropzone').dispatchEvent('drop', { dataTransfer: dt });
  await page.locator('.upload-progress li.added').filter({ hasText: 'cuti.md' }).waitFor({ timeout: 60000 });
  const row = page.locator('tr').filter({ hasText: 'Elaun Perjalanan' });
  await row.waitFor();
  assert.match(await row.innerText(), /TERHAD/);
  await row.getByRole('button', { name: 'Elaun Perjalanan' }).click();
  await page.locator('.detail').getByText('kewangan').waitFor();
  await shot(page, 'documents');
  await page.getByRole('searchbox').fill('elaun harian');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.locator('.hit mark').first().waitFor();
  await page.locator('tr').filter({ hasText: 'Elaun Perjalanan' }).getByRole('button', { name: 'Summarise' }).click();
  const summary = page.getByRole('dialog');
  await summary.locator('.summary .badge, .summary .error').first().waitFor({ timeout: 120000 });
  assert.match(await summary.innerText(), /TERHAD/);
  await summary.getByRole('button', { name: 'Close' }).click();
  const cuti = page.locator('tr').filter({ hasText: 'Cuti Umum' });
  await cuti.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('audit log').waitFor();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await page.getByText('Deleted. The audit log records it.').waitFor();
  await cuti.waitFor({ state: 'detached' });
  const audit = await call(server.base, 'GET', '/api/v1/audit?action=document_deleted', seeded.owner);
  assert.equal(audit.data.length, 1);
  await assertLabelled(page);
  await assertContrast(page);
  assertClean(p);
});

test('documents: a collection larger than one page lists 100 and loads the rest on request, each once', async () => {
  // Listed after 'pekeliling', so the other tests still open that one first.
  await call(server.base, 'POST', '/api/v1/collections', seeded.owner, { id: 'surat-lama', name: 'Surat lama' });
  for (const [from, to] of [[0, 60], [60, 105]]) {  // an upload holds at most 64 parts
    const form = new FormData();
    form.append('classification', 'TERBUKA');
    for (let i = from; i < to; ++i) form.append('file', new Blob([`# Surat ${i}\n\nSurat lama nombor ${i}.\n`]), `surat-${i}.md`);
    const job = await call(server.base, 'POST', '/api/v1/collections/surat-lama/documents', seeded.owner, form);
    for (let done = false; !done;) {
      const state = await call(server.base, 'GET', '/api/v1/jobs/' + job.id, seeded.owner);
      assert.equal(state.counts.failed, 0);
      done = !['queued', 'running'].includes(state.status);
      if (!done) await new Promise((r) => setTimeout(r, 300));
    }
  }
  const p = await open();
  const { page } = p;
  await signIn(page, 'aminah');
  await page.getByRole('link', { name: 'Documents' }).click();
  await page.getByRole('button', { name: 'Surat lama' }).click();
  const rows = page.locator('.documents tbody tr, table tbody tr').filter({ hasText: 'surat-' });
  await page.getByRole('button', { name: 'Load more' }).waitFor();
  assert.equal(await rows.count(), 100);
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.getByText('surat-0.md', { exact: true }).waitFor();
  await rows.nth(104).waitFor();  // the page's rows arrive together but may render one by one
  assert.equal(await rows.count(), 105);
  const names = await rows.locator('.muted.small').allInnerTexts();
  assert.equal(new Set(names).size, 105);
  assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0);
  assertClean(p);
});

test('assistant: a streamed answer with its label, a citation that opens the passage, copy and a plain "no answer"', async () => {
  const p = await open();
  const { page } = p;
  await signIn(page, 'ravi');
  await page.getByLabel('Your question').fill('Berapakah yuran pemprosesan lesen perniagaan?');
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.locator('.msg-assistant').last();
  await answer.locator('.msg-actions button').first().waitFor({ timeout: 120000 });
  assert.match(await answer.locator('.banner').innerText(), /TERBUKA/);
  assert.match(await answer.locator('.answer-text').innerText(), /RM50/);
  await answer.locator('.citations .chip').first().click();
  const passage = page.locator('aside.passage');
  await passage.getByText('Lesen Perniagaan').first().waitFor();
  assert.ok((await passage.locator('blockquote').innerText()).includes(NOTICE.split('\n')[2].slice(0, 40)));
  assert.ok(await passage.locator('mark').count() > 0, 'the question\'s words are highlighted');
  await shot(page, 'assistant');
  // The passage's document opens with the cited passage marked.
  await passage.getByRole('link', { name: 'Open the document' }).click();
  await page.locator('.detail .doc-passage.passage-cited').filter({ hasText: 'RM50' }).waitFor();
  await page.goBack();
  await page.getByLabel('Your question').waitFor();
  await page.locator('.conv-list .conv').first().click();
  await page.locator('.msg-assistant .citations .chip').first().waitFor();
  await p.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
  await answer.getByRole('button', { name: 'Copy' }).click();
  await page.getByText('Copied to the clipboard.').waitFor();
  assert.match(await page.evaluate(() => navigator.clipboard.readText()), /RM50/);
  await answer.getByRole('button', { name: 'Retry' }).click();
  await page.locator('.msg-assistant').nth(1).locator('.msg-actions button').first().waitFor({ timeout: 120000 });
  assert.match(await page.locator('.msg-assistant').nth(1).locator('.answer-text').innerText(), /RM50/, 'retry asks again (answers are deterministic)');
  await page.getByLabel('Your question').fill('Siapakah juara piala dunia bola sepak tahun 1966?');
  await page.getByLabel('Your question').press('Enter');
  const refusal = page.locator('.msg-assistant').last();
  await refusal.locator('.no-answer').waitFor({ timeout: 120000 });
  assert.match(await refusal.innerText(), /No answer in your documents/);
  // The conversation is kept: reopening it shows both turns.
  await page.getByRole('button', { name: '+ New conversation' }).click();
  await page.locator('.conv-list .conv').first().click();
  await page.locator('.msg-assistant .no-answer').waitFor();
  assert.equal(await page.locator('.msg-assistant').count(), 3);
  await assertLabelled(page);
  await assertContrast(page);
  assertClean(p);
});

test('a member without clearance never sees the RAHSIA document: not listed, not found, not cited, not opened', async () => {
  const secretId = seeded.docs['pelan-siber.md'].id;
  const p = await open();
  const { page } = p;
  await signIn(page, 'ravi');
  await page.getByLabel('Your question').fill('Apakah kod operasi pelan keselamatan siber pusat data Cyberjaya?');
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.locator('.msg-assistant').last();
  await answer.locator('.msg-actions button').first().waitFor({ timeout: 120000 });
  assert.doesNotMatch(await answer.innerText(), /HARIMAU|Pelan Siber|RAHSIA/);
  await page.getByRole('link', { name: 'Documents' }).click();
  await page.getByText('Lesen Perniagaan').first().waitFor();
  await page.getByRole('searchbox').fill('pelan keselamatan siber HARIMAU Cyberjaya');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.locator('.results h2').waitFor();
  assert.doesNotMatch(await page.locator('main').innerText(), /HARIMAU|Pelan Siber/);
  await page.goto(server.base + '/#/documents/' + secretId);
  await page.locator('.toast-error').waitFor();
  assert.doesNotMatch(await page.locator('body').innerText(), /HARIMAU|Pelan Siber/);
  // The admin cleared to RAHSIA does see it: the filter, not a missing file, hid it.
  const admin = await open();
  await signIn(admin.page, 'aminah');
  await admin.page.getByRole('link', { name: 'Documents' }).click();
  await admin.page.getByText('Pelan Siber Rahsia').waitFor();
  assertClean(p);
  assertClean(admin);
});

test('models: the registry with its manifest and model card, and the playground', async () => {
  const p = await open();
  const { page } = p;
  await signIn(page, 'ravi');
  await page.getByRole('link', { name: 'Models' }).click();
  const card = page.locator('.model-card');
  await card.getByText('gemma3-270m').first().waitFor();
  for (const s of ['Gemma Terms of Use', 'pypi:gemma3-270m', 'a5fd3b62230aa5ec', 'RAHSIA BESAR', 'demo model']) await card.getByText(s, { exact: false }).first().waitFor();
  await page.getByLabel('Message').fill('Ibu negara Malaysia ialah');
  await page.getByLabel('Max tokens').fill('8');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('.playground .small').filter({ hasText: 'completion tokens' }).waitFor({ timeout: 120000 });
  assert.ok((await page.locator('.playground-output').innerText()).length > 0);
  await shot(page, 'models');
  // Stop generation: the stream ends at once and the output stops growing.
  await page.getByLabel('Max tokens').fill('600');
  await page.getByLabel('Message').fill('Tulis sebuah cerita yang sangat panjang tentang Kuala Lumpur.');
  await page.getByRole('button', { name: 'Run' }).click();
  // Stopped as soon as it can be: waiting for text first raced the demo
  // model, which sometimes ends a short story (and the button) before.
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.getByRole('button', { name: 'Run' }).waitFor();
  const stopped = (await page.locator('.playground-output').innerText()).length;
  await page.waitForTimeout(1500);
  assert.equal((await page.locator('.playground-output').innerText()).length, stopped);
  assert.equal(await page.locator('.playground .small').innerText(), '', 'a stopped stream reports no final usage');
  await assertLabelled(page);
  await assertContrast(page);
  assertClean(p);
});

test('administration: an admin creates a user and an API key shown once, edits a policy draft, sees usage', async () => {
  const p = await open();
  const { page } = p;
  await signIn(page, 'aminah');
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('tab', { name: 'Users' }).waitFor();
  await page.getByLabel('User name').fill('siti');
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.locator('form').getByLabel('Clearance').selectOption('SULIT');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('td').filter({ hasText: /^siti$/ }).waitFor();
  await shot(page, 'admin-users');
  await page.getByRole('tab', { name: 'API keys' }).click();
  await page.getByLabel('Name').fill('sistem-aduan');
  await page.getByRole('button', { name: 'Create key' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('shown once').waitFor();
  const key = await dialog.getByLabel('API key').inputValue();
  assert.ok(key.length > 20);
  const me = await call(server.base, 'GET', '/api/v1/me', key);
  assert.equal(me.tenant, 'kementerian');
  await shot(page, 'admin-key-once');
  await dialog.getByRole('button', { name: 'I have stored it' }).click();
  await page.locator('td').filter({ hasText: /^sistem-aduan$/ }).waitFor();
  assert.ok(!(await page.locator('main').innerText()).includes(key), 'the key is never shown again');
  // A service user signs in with that key.
  const svc = await open();
  await svc.page.getByRole('tab', { name: 'API key' }).click();
  await svc.page.getByLabel('API key').fill(key);
  await svc.page.getByLabel('API key').press('Enter');
  await svc.page.locator('header.top').getByText('service').waitFor();
  assertClean(svc);
  await page.getByRole('tab', { name: 'Policy' }).click();
  const editor = page.getByLabel('Policy', { exact: true });
  await editor.waitFor();
  await editor.fill('{"levels": {"TERBUKA": {"models": ["gemma3-270m"], "pii_prompt": "sometimes"}}}');
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.locator('p.error').filter({ hasText: 'pii' }).waitFor();
  await editor.fill('{ not json');
  await page.getByRole('button', { name: 'Validate' }).click();
  await page.getByText('Not valid JSON').waitFor();
  await page.getByRole('tab', { name: 'Usage' }).click();
  await page.locator('svg.chart').waitFor();
  await shot(page, 'admin-usage');
  await assertLabelled(page);
  await assertContrast(page);
  assertClean(p);
});

// A well-formed verifier key (right key id) of a signer that is not the log's.
function strangerKey(name) {
  const pub = createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ format: 'der', type: 'spki' }).subarray(12);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), Buffer.from([1]), pub])).digest().subarray(0, 4);
  return `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([1]), pub]).toString('base64')}`;
}

test('audit: an auditor finds failed sign-ins, checks an entry\'s inclusion proof and signature, and verifies the chain', async () => {
  const p = await open();
  const { page } = p;
  await signIn(page, 'wong');
  assert.equal(await page.getByRole('link', { name: 'Assistant' }).count(), 0, 'auditors never read content');
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await page.getByText(/Chain verified: \d+ records/).waitFor({ timeout: 60000 });
  // The checkpoint the server just signed is checked here too; nothing pinned yet, so only under the server's key.
  const verified = page.locator('div.verify');
  await verified.locator('p.warn').filter({ hasText: 'only with the key this server itself reports' }).waitFor();
  await page.getByLabel('Action').fill('login_failed');
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.locator('.audit-table tbody tr').filter({ hasText: 'login_failed' }).first();
  await row.waitFor();
  assert.match(await row.innerText(), /user:ravi/);
  await row.getByRole('button').click();
  const detail = page.locator('aside.detail');
  await detail.getByText('Checked again in this browser').waitFor();
  // Nothing pinned: the signature verifies, but only under the server's own key, and it says so.
  await detail.locator('p.warn').filter({ hasText: 'only with the key this server itself reports' }).waitFor();
  // The key an auditor holds from installation (here read from the data folder) verifies it.
  const trusted = readFileSync(path.join(server.dir, 'data', 'audit', 'verifier.key'), 'utf8').trim();
  const keyInput = detail.getByLabel('Trusted verifier key');
  await keyInput.fill(trusted);
  await detail.getByRole('button', { name: 'Pin key' }).click();
  await detail.locator('p.ok').filter({ hasText: 'with your pinned verifier key' }).waitFor();
  await shot(page, 'audit');
  // Kept in the browser: opening the record again checks it against the pinned key, and so does verifying the chain.
  await row.getByRole('button').click();
  await detail.locator('p.ok').filter({ hasText: 'with your pinned verifier key' }).waitFor();
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await verified.locator('p.ok').filter({ hasText: 'with your pinned verifier key' }).waitFor({ timeout: 60000 });
  await verified.locator('code').filter({ hasText: trusted }).first().waitFor();
  // Text that is not a key is refused and nothing is pinned.
  await keyInput.fill('not a key');
  await detail.getByRole('button', { name: 'Pin key' }).click();
  await page.locator('.toasts').getByText('Not a verifier key').first().waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('daulat.audit.verifier_key')), trusted);
  // A well-formed key of another signer (same name, or another): the checkpoint fails under it.
  for (const name of ['daulat-audit', 'another-log']) {
    const stranger = strangerKey(name);
    await keyInput.fill(stranger);
    await detail.getByRole('button', { name: 'Pin key' }).click();
    await detail.locator('code').filter({ hasText: stranger }).waitFor();
    await detail.locator('p.error').filter({ hasText: 'Signature check FAILED: the note has no signature by this key' }).waitFor();
  }
  await shot(page, 'audit-wrong-key');
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await verified.locator('p.error').filter({ hasText: 'Signature check FAILED: the note has no signature by this key' }).waitFor({ timeout: 60000 });
  // Forgetting the pin goes back to the server's key, said plainly.
  await detail.getByRole('button', { name: 'Forget pinned key' }).click();
  await detail.locator('p.warn').filter({ hasText: 'only with the key this server itself reports' }).waitFor();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export (JSON lines)' }).click();
  assert.match((await download).suggestedFilename(), /^daulat-audit-.*\.jsonl$/);
  await assertLabelled(page);
  await assertContrast(page);
  assertClean(p);
});

// The log's own signing key (a test reads the data folder; an attacker who
// changed the server holds it too) signing a checkpoint for `origin`.
function logSigner() {
  const audit = path.join(server.dir, 'data', 'audit');
  const seed = readFileSync(path.join(audit, 'signing.seed'));
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const [name, id] = readFileSync(path.join(audit, 'verifier.key'), 'utf8').trim().split('+');
  return (origin, size, rootHex) => {
    const body = `${origin}\n${size}\n${Buffer.from(rootHex, 'hex').toString('base64')}\n`;
    return body + '\n\u2014 ' + name + ' ' + Buffer.concat([Buffer.from(id, 'hex'), sign(null, Buffer.from(body), key)]).toString('base64') + '\n';
  };
}

// Replies of GET /api/v1/audit/{seq} (or /api/v1/audit/verify) changed on their way to the page by `change`.
async function lie(page, verify, change) {
  await page.unroute('**/api/v1/audit/**');
  await page.route('**/api/v1/audit/**', async (route) => {
    const url = new URL(route.request().url());
    if (verify ? url.pathname !== '/api/v1/audit/verify' : !/^\/api\/v1\/audit\/\d+$/.test(url.pathname)) return route.fallback();
    const response = await route.fetch();
    await route.fulfill({ response, json: change(await response.json()) });
  });
}

test('audit: a lying server is caught in the browser: a changed record, a checkpoint of another log, a chain verdict that does not add up', async () => {
  const p = await open();
  const { page } = p;
  await signIn(page, 'wong');
  await page.getByRole('link', { name: 'Audit' }).click();
  const trusted = readFileSync(path.join(server.dir, 'data', 'audit', 'verifier.key'), 'utf8').trim();
  await page.evaluate((k) => localStorage.setItem('daulat.audit.verifier_key', k), trusted);
  await page.getByLabel('Action').fill('login');
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.locator('.audit-table tbody tr').filter({ hasText: 'login' }).first();
  await row.waitFor();
  const detail = page.locator('aside.detail');
  const verified = page.locator('div.verify');

  // The record shown is changed; leaf, leaf hash, proof and checkpoint are genuine, and the server still says "proved".
  await lie(page, false, (r) => ({ ...r, record: { ...r.record, decision: r.record.decision === 'deny' ? 'allow' : 'deny' } }));
  await row.getByRole('button').click();
  await detail.locator('p.error').filter({ hasText: 'the record shown does not hash to the leaf hash the proof is for' }).waitFor();
  await detail.getByText('The server proved this record').waitFor();
  await detail.locator('p.ok').filter({ hasText: 'with your pinned verifier key' }).waitFor(); // the checkpoint itself is genuine
  await shot(page, 'audit-changed-record');

  // Another genuine record shown in place of the one asked for.
  await lie(page, false, (r) => ({ ...r, record: { ...r.record, seq: r.record.seq + 1 } }));
  await row.getByRole('button').click();
  await detail.locator('p.error').filter({ hasText: /the record shown is not record \d+/ }).waitFor();

  // A checkpoint with the same size and root, signed with the log's own key, but for another log.
  const signAs = logSigner();
  await lie(page, false, (r) => ({ ...r, checkpoint: { ...r.checkpoint, note: signAs('another.example/audit', r.checkpoint.tree_size, r.checkpoint.root) } }));
  await row.getByRole('button').click();
  await detail.getByText('Checked again in this browser').waitFor();
  await detail.locator('p.error').filter({ hasText: 'Signature check FAILED: the note is signed for another log: its origin line is not daulat/audit' }).waitFor();
  // The same note for this log's origin verifies: the origin was all that differed.
  await lie(page, false, (r) => ({ ...r, checkpoint: { ...r.checkpoint, note: signAs('daulat/audit', r.checkpoint.tree_size, r.checkpoint.root) } }));
  await row.getByRole('button').click();
  await detail.locator('p.ok').filter({ hasText: 'with your pinned verifier key' }).waitFor();

  // "Verify chain": the note the server just signed, for another log; then fewer records verified than it signed.
  await lie(page, true, (v) => {
    const [, size, root] = v.checkpoint.split('\n');
    return { ...v, checkpoint: signAs('another.example/audit', size, Buffer.from(root, 'base64').toString('hex')) };
  });
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await verified.locator('p.error').filter({ hasText: 'the note is signed for another log' }).waitFor({ timeout: 60000 });
  await verified.locator('p.warn.big').filter({ hasText: /Chain verified/ }).waitFor();
  await lie(page, true, (v) => ({ ...v, records: Number(v.checkpoint.split('\n')[1]) - 1 }));
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await verified.locator('p.error').filter({ hasText: /the server reports verifying \d+ records, fewer than the \d+ its own signed checkpoint holds/ }).waitFor({ timeout: 60000 });
  await verified.locator('p.ok').filter({ hasText: 'with your pinned verifier key' }).waitFor(); // the signature itself is genuine
  await verified.locator('p.warn.big').filter({ hasText: /Chain verified/ }).waitFor();
  await shot(page, 'audit-lying-chain');
  await page.unroute('**/api/v1/audit/**');
  await page.getByRole('button', { name: 'Verify chain' }).click();
  await verified.locator('p.ok').filter({ hasText: 'with your pinned verifier key' }).waitFor({ timeout: 60000 });
  assertClean(p);
});

test('audit, Bahasa Melayu: a changed record and a checkpoint of another log are refused in Malay', async () => {
  const p = await open({ language: 'ms' });
  const { page } = p;
  await signIn(page, 'wong');
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByLabel('Tindakan').fill('login');
  await page.getByRole('button', { name: 'Tapis' }).click();
  const row = page.locator('.audit-table tbody tr').filter({ hasText: 'login' }).first();
  await row.waitFor();
  const detail = page.locator('aside.detail');
  await lie(page, false, (r) => ({ ...r, record: { ...r.record, actor: 'user:orang-lain' } }));
  await row.getByRole('button').click();
  await detail.locator('p.error').filter({ hasText: 'rekod yang dipaparkan tidak menghasilkan cincangan daun yang dibuktikan' }).waitFor();
  const signAs = logSigner();
  await lie(page, false, (r) => ({ ...r, checkpoint: { ...r.checkpoint, note: signAs('another.example/audit', r.checkpoint.tree_size, r.checkpoint.root) } }));
  await row.getByRole('button').click();
  await detail.locator('p.error').filter({ hasText: 'nota ini ditandatangani untuk log lain' }).waitFor();
  assertClean(p);
});

test('Bahasa Melayu: every page switches, and the choice is remembered', async () => {
  const p = await open();
  const { page } = p;
  await signIn(page, 'aminah');
  await page.getByLabel('Language').selectOption('ms');
  for (const label of ['Pembantu', 'Dokumen', 'Model', 'Pentadbiran', 'Audit']) await page.getByRole('link', { name: label, exact: true }).waitFor();
  await page.getByRole('button', { name: 'Tanya' }).waitFor();
  await page.getByRole('link', { name: 'Dokumen' }).click();
  await page.getByText('Muat naik dokumen').waitFor();
  await page.getByRole('link', { name: 'Pentadbiran' }).click();
  await page.getByRole('tab', { name: 'Kunci API' }).waitFor();
  await shot(page, 'ms-admin');
  await page.reload();
  await page.getByRole('link', { name: 'Pembantu' }).waitFor();
  await page.getByRole('button', { name: 'Log keluar' }).click();
  await page.getByRole('button', { name: 'Log masuk' }).waitFor();
  await shot(page, 'ms-signin');
  assertClean(p);
});

test('readiness: an admin answers the questionnaire step by step, scores it and gets the report; an auditor reads it', async () => {
  const p = await open();
  const { page } = p;
  await signIn(page, 'aminah');
  await page.getByRole('link', { name: 'Readiness' }).click();
  await page.getByLabel('Organisation').fill('Kementerian Contoh');
  await page.getByLabel('Title').fill('Penilaian pertama');
  await page.getByRole('button', { name: 'Start the questionnaire' }).click();
  await page.getByRole('heading', { name: 'Strategy and leadership', level: 2 }).waitFor();
  const q = (id) => page.locator(`fieldset.question:has(input[name="${id}"])`);
  await q('strategy.vision').getByLabel(/^3 · Defined/).check();
  await q('strategy.sponsorship').getByLabel(/^2 · Developing/).check();
  await shot(page, 'readiness-questionnaire');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('heading', { name: 'Technology and infrastructure', level: 2 }).waitFor();
  // Governance: the platform's evidence is pre-filled; overriding it needs a reason.
  await page.getByRole('button', { name: 'Governance and risk' }).click();
  const policy = q('governance.policy');
  await policy.getByText('Platform evidence: policy_per_level = false (level 2)').waitFor();
  assert.ok(await policy.getByLabel(/^2 · Developing/).isChecked());
  await policy.getByLabel(/^4 · Managed/).check();
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.locator('.toast-error').filter({ hasText: 'needs a reason' }).waitFor();
  await policy.getByLabel('Why does your answer differ from the platform evidence?').fill('policy approved by the board, outside daulat');
  await page.getByRole('button', { name: 'Save and continue' }).click();
  await page.getByRole('heading', { name: 'Adoption and use cases', level: 2 }).waitFor();
  await page.getByRole('button', { name: 'Obligations' }).click();
  await page.getByLabel('About how many individuals').fill('50000');
  await page.getByLabel('Does it process sensitive personal data').selectOption('false');
  await page.getByLabel('Has a data protection officer been appointed').selectOption('false');
  await page.getByRole('button', { name: 'Save and score' }).click();
  const report = page.getByRole('region', { name: 'Report' });
  await report.locator('.big-score').waitFor();
  await report.getByText('NOT MET:').first().waitFor();
  await report.getByText('Data protection officer (PDPA)').waitFor();
  assert.ok(await report.locator('svg.radar polygon.current').count() === 1);
  await report.getByText('[required]').first().waitFor();
  await shot(page, 'readiness-report');
  const pdf = page.waitForEvent('download');
  await report.getByRole('button', { name: 'Download PDF' }).click();
  assert.match((await pdf).suggestedFilename(), /^daulat-assessment-asm_[0-9a-f]+-v1\.pdf$/);
  await report.getByRole('button', { name: 'Write a narrative (local model)' }).click();
  await report.getByText('Generated by the local model gemma3-270m').waitFor({ timeout: 120000 });
  await assertLabelled(page);
  await assertContrast(page);
  assertClean(p);
  // The auditor reads the report but cannot change anything.
  const a = await open();
  await signIn(a.page, 'wong');
  await a.page.getByRole('link', { name: 'Readiness' }).click();
  await a.page.getByRole('link', { name: 'Kementerian Contoh' }).click();
  await a.page.getByRole('region', { name: 'Report' }).locator('.big-score').waitFor();
  assert.equal(await a.page.getByRole('button', { name: 'Write a narrative (local model)' }).count(), 0);
  assert.equal(await a.page.getByRole('button', { name: 'Start the questionnaire' }).count(), 0);
  assertClean(a);
});

test('keyboard only: sign in, skip to content, ask, open a citation and close it', async () => {
  const p = await open();
  const { page } = p;
  const focused = () => page.evaluate(() => { const e = document.activeElement; return `${e.tagName} ${e.getAttribute('aria-label') || e.textContent.trim().slice(0, 40)}`; });
  // The sign-in form starts on the user name; Enter in a field submits.
  await page.keyboard.type('ravi');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.type('kementerian');
  await page.keyboard.press('Enter');
  await page.locator('header.top').waitFor();
  await page.keyboard.press('Tab');
  assert.match(await focused(), /^A Skip to content/);
  await page.keyboard.press('Enter');
  assert.match(await focused(), /^MAIN/);
  const tabTo = async (pattern, most = 30) => {
    for (let i = 0; i < most; i++) {
      await page.keyboard.press('Tab');
      if (pattern.test(await focused())) return;
    }
    assert.fail(`never reached ${pattern} by Tab`);
  };
  await tabTo(/^TEXTAREA Your question/);
  await page.keyboard.type('Berapakah yuran pemprosesan lesen perniagaan?');
  await page.keyboard.press('Enter');
  await page.locator('.msg-assistant .msg-actions button').first().waitFor({ timeout: 120000 });
  await tabTo(/^BUTTON 1/);
  await page.keyboard.press('Enter');
  await page.locator('aside.passage blockquote').waitFor();
  assert.match(await focused(), /^BUTTON Close/);
  await page.keyboard.press('Enter');
  await page.locator('aside.passage').waitFor({ state: 'hidden' });
  assertClean(p);
});

test('assistant: stop ends an answer in progress', async () => {
  const p = await open();
  const { page, context } = p;
  await signIn(page, 'ravi');
  // A slow network keeps the answer in flight long enough to stop it.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 1500, downloadThroughput: -1, uploadThroughput: -1 });
  await page.getByLabel('Your question').fill('Bagaimanakah permohonan lesen perniagaan dibuat?');
  await page.getByRole('button', { name: 'Ask' }).click();
  await page.getByRole('button', { name: 'Stop' }).click();
  const answer = page.locator('.msg-assistant').last();
  await answer.getByText('Stopped.').waitFor();
  await page.getByRole('button', { name: 'Ask' }).waitFor();
  assert.equal(await answer.locator('.banner').count(), 0, 'a stopped answer claims no label');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  assertClean(p);
});

// The console has no private API: every call it made is in the OpenAPI document.
test('administration: more API keys than one page: the newest first, the rest on request, each once', async () => {
  for (let i = 0; i < 101; ++i) await call(server.base, 'POST', '/api/v1/keys', seeded.owner, { name: `massa-${i}` });
  const p = await open();
  const { page } = p;
  await signIn(page, 'aminah');
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('tab', { name: 'API keys' }).click();
  await page.locator('td').filter({ hasText: /^massa-100$/ }).waitFor();
  const names = page.locator('td').filter({ hasText: /^massa-\d+$/ });
  assert.equal(await names.count(), 100);
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.locator('td').filter({ hasText: /^massa-0$/ }).waitFor();
  const all = await names.allInnerTexts();
  assert.equal(all.length, 101);
  assert.equal(new Set(all).size, 101);
  assertClean(p);
});

test('every API call the console made is a documented endpoint', async () => {
  const doc = await (await fetch(server.base + '/api/openapi.json')).json();
  const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => [m.toUpperCase(), new RegExp('^' + p.replace(/\{[^}]+\}/g, '[^/]+') + '$')]));
  const made = new Set();
  for (const p of pages) {
    for (const [method, url] of p.calls) {
      const { pathname } = new URL(url);
      if (pathname.startsWith('/api/') || pathname.startsWith('/v1/')) made.add(method + ' ' + pathname);
    }
  }
  assert.ok(made.size >= 20, [...made].join(', '));
  const undocumented = [...made].filter((c) => { const [m, path] = c.split(' '); return !routes.some(([rm, re]) => rm === m && re.test(path)); });
  assert.deepEqual(undocumented, []);
});
