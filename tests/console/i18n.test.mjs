// Every label the console uses exists in English, and Bahasa Melayu has
// exactly the English keys (no page half-translated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CONSOLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../console');
const load = async (lang) => (await import(path.join(CONSOLE, 'i18n', lang + '.js'))).default;

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.js') ? [path.join(dir, e.name)] : []);
}

test('Malay and English have the same keys, none empty', async () => {
  const en = await load('en');
  const ms = await load('ms');
  assert.deepEqual(Object.keys(ms).sort(), Object.keys(en).sort());
  for (const [k, v] of Object.entries(ms)) assert.ok(v.trim(), k);
  // Parameters survive translation.
  for (const k of Object.keys(en)) assert.deepEqual((ms[k].match(/\{\w+\}/g) || []).sort(), (en[k].match(/\{\w+\}/g) || []).sort(), k);
});

test('every key the code uses is defined', async () => {
  const en = await load('en');
  const used = new Set();
  for (const f of sources(path.join(CONSOLE, 'js'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\bt\('([a-z_.0-9]+)'(?!\s*\+)/g)) used.add(m[1]);
    for (const m of text.matchAll(/label: '([a-z_.]+)'/g)) used.add(m[1]);
    for (const m of text.matchAll(/\['([a-z]+\.[a-z_0-9]+)', /g)) used.add(m[1]);
  }
  const missing = [...used].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
  for (const prefix of ['role.', 'documents.file_', 'signin.with_']) assert.ok(Object.keys(en).some((k) => k.startsWith(prefix)), prefix);
});
