// How fast the console shows its assistant page on loopback, and how big its
// files are. Targets (issue 6): first meaningful paint of the assistant page
// < 1 s; all console assets < 500 KB compressed.
//
//   node bench/console/paint.mjs [--runs 7]
//
// Needs tests/console/node_modules (scripts/bootstrap) and a built daulat.
// Anchor, measured in the same run on the same server: the time chromium
// takes to show /api/openapi.json (one static document, no script) — the
// floor a page from this server cannot beat.
import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, stopServer, seed, launchBrowser, signIn } from '../../tests/console/harness.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;

function files(dir) {
  return readdirSync(dir).flatMap((n) => { const p = path.join(dir, n); return statSync(p).isDirectory() ? files(p) : [p]; });
}
const assets = files(path.join(REPO, 'console'));
const raw = assets.reduce((n, f) => n + statSync(f).size, 0);
const compressed = assets.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const server = await startServer();
const browser = await launchBrowser();
try {
  await seed(server.base);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.base + '/');
  await signIn(page, 'ravi');
  const anchor = [], fcp = [], ready = [];
  for (let i = 0; i < runs; i++) {
    await page.goto(server.base + '/api/openapi.json', { waitUntil: 'load' });
    anchor.push(await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd));
    // A fresh load of the assistant page, signed in (the session lives in the tab).
    await page.goto(server.base + '/#/assistant', { waitUntil: 'commit' });
    await page.locator('.composer textarea').waitFor();
    await page.locator('.chat-bar select option').first().waitFor({ state: 'attached' });
    ready.push(await page.evaluate(() => performance.now()));
    fcp.push(await page.evaluate(() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || NaN));
  }
  const a = median(anchor), f = median(fcp), r = median(ready);
  console.log(`console assets: ${assets.length} files, ${(raw / 1024).toFixed(1)} KB raw, ${(compressed / 1024).toFixed(1)} KB gzip (target < 500 KB: ${compressed < 500 * 1024 ? 'met' : 'MISSED'})`);
  console.log(`anchor  /api/openapi.json loaded:        ${a.toFixed(0)} ms (median of ${runs})`);
  console.log(`assistant first contentful paint:       ${f.toFixed(0)} ms  (${(f / a).toFixed(2)}x anchor)`);
  console.log(`assistant ready (composer + lists):     ${r.toFixed(0)} ms  (${(r / a).toFixed(2)}x anchor; target < 1000 ms: ${r < 1000 ? 'met' : 'MISSED'})`);
} finally {
  await browser.close();
  await stopServer(server);
}
