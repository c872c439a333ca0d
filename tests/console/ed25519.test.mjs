// The console's own Ed25519 verifier (console/js/ed25519.js), signed-note
// checker (console/js/signed_note.js) and record proof checker
// (console/js/audit_proof.js), in Node: RFC 8032's test vectors, the
// tampering each must catch, notes signed by the C++ signer
// (src/governance/checkpoint.cc) and by node:crypto in the same format, and
// records and proofs written by the C++ audit log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyEd25519 } from '../../console/js/ed25519.js';
import { verifyCheckpoint, verifierKeyProblem, FAILURES } from '../../console/js/signed_note.js';
import { canonicalJson, recordLeafHash, verifyInclusion, checkRecordProof } from '../../console/js/audit_proof.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BINARY = process.env.DAULAT_BINARY || path.join(REPO, 'build', 'src', 'cli', 'daulat');
const bytes = (hex) => Uint8Array.from(Buffer.from(hex, 'hex'));
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

// RFC 8032 section 7.1, TEST 1, 2 and 3: secret key, public key, message, signature.
const VECTORS = [
  ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
  ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
  ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', 'af82',
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'],
].map(([secret, publicKey, message, signature]) => ({ secret, publicKey: bytes(publicKey), message: bytes(message), signature: bytes(signature) }));

function flip(b, bit) {
  const out = Uint8Array.from(b);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

// An Ed25519 private key from RFC 8032's 32-byte secret (PKCS #8 wrapping).
const privateKey = (secretHex) => createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(secretHex, 'hex')]), format: 'der', type: 'pkcs8' });
const rawPublic = (key) => createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12);

test('RFC 8032 7.1 vectors 1, 2 and 3 verify (and were typed in right)', async () => {
  for (const v of VECTORS) {
    const key = privateKey(v.secret);
    assert.deepEqual(new Uint8Array(rawPublic(key)), v.publicKey);
    assert.deepEqual(new Uint8Array(sign(null, v.message, key)), v.signature);
    assert.equal(await verifyEd25519(v.publicKey, v.message, v.signature), true);
  }
});

test('one flipped bit of message, signature or key fails', async () => {
  for (const v of VECTORS) {
    const longer = Uint8Array.from([...v.message, 0]);
    assert.equal(await verifyEd25519(v.publicKey, longer, v.signature), false, 'message with a byte more');
    for (let bit = 0; bit < v.message.length * 8; bit += 3) assert.equal(await verifyEd25519(v.publicKey, flip(v.message, bit), v.signature), false, `message bit ${bit}`);
    for (const bit of [0, 100, 255, 256, 300, 500, 511]) assert.equal(await verifyEd25519(v.publicKey, v.message, flip(v.signature, bit)), false, `signature bit ${bit}`);
    for (const bit of [0, 77, 200, 254, 255]) assert.equal(await verifyEd25519(flip(v.publicKey, bit), v.message, v.signature), false, `key bit ${bit}`);
  }
});

test('S >= L fails, even when S - L would verify', async () => {
  const v = VECTORS[1];
  const s = v.signature.subarray(32).reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
  for (const big of [s + L, L]) {
    const sig = Uint8Array.from(v.signature);
    let n = big;
    for (let i = 32; i < 64; i++, n >>= 8n) sig[i] = Number(n & 0xffn);
    assert.equal(await verifyEd25519(v.publicKey, v.message, sig), false);
  }
});

test('a small-order key fails, though [S]B - [k]A = R holds for every message', async () => {
  // A = R = the identity and S = 0: a verifier without the small-order check
  // (libsodium has it) would accept this "signature" of anything.
  const identity = bytes('01' + '00'.repeat(31));
  const signature = Uint8Array.from([...identity, ...new Uint8Array(32)]);
  for (const message of [new Uint8Array(0), bytes('72')]) assert.equal(await verifyEd25519(identity, message, signature), false);
});

test('keys that do not decode, small-order keys and wrong sizes fail', async () => {
  const v = VECTORS[0];
  const p = bytes('ed' + 'ff'.repeat(30) + '7f'); // y = P: not canonical
  const identity = bytes('01' + '00'.repeat(31)); // small order
  for (const key of [p, identity, v.publicKey.subarray(1)]) assert.equal(await verifyEd25519(key, v.message, v.signature), false);
  assert.equal(await verifyEd25519(v.publicKey, v.message, v.signature.subarray(1)), false);
  assert.equal(await verifyEd25519(v.publicKey, 'not bytes', v.signature), false);
});

// --- signed notes -------------------------------------------------------

// Printed by `daulat audit export` (the C++ signer, libsodium) on a fresh data folder.
const CPP_NOTE = 'daulat/audit\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n\u2014 daulat-audit rm/AOYiEZ6A/6UAA7bFjz+vUzUOh/hm40J8YiiwFDmW5v2gpf+PBOpUrlcjg87RBIV8W/3plfe6J9rwYMaNcOskiiA4=\n';
const CPP_KEY = 'daulat-audit+ae6fc039+ATBli5EyDyh6S6QEt1MqsW0YcjAP9OzoEyKUZFbdnXfZ';
const EMPTY_ROOT = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'; // SHA-256 of nothing
const CPP_ORIGIN = 'daulat/audit'; // the C++ log's origin line; its key is named 'daulat-audit'

// A signer in the format of checkpoint.cc, with node:crypto.
function signer(name) {
  const { privateKey: key } = generateKeyPairSync('ed25519');
  const pub = rawPublic(key);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), Buffer.from([1]), pub])).digest().subarray(0, 4);
  return {
    verifierKey: `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([1]), pub]).toString('base64')}`,
    line: (body) => `\u2014 ${name} ${Buffer.concat([id, sign(null, Buffer.from(body), key)]).toString('base64')}\n`,
  };
}

const ROOT = Buffer.alloc(32, 0xab);
const ORIGIN = 'daulat.example.gov.my/audit';
const BODY = `${ORIGIN}\n42\n${ROOT.toString('base64')}\n`;

test('a note signed by the C++ signer verifies, and gives its checkpoint', async () => {
  const v = await verifyCheckpoint(CPP_NOTE, CPP_KEY, CPP_ORIGIN);
  assert.deepEqual(v, { ok: true, checkpoint: { origin: 'daulat/audit', size: 0n, rootHex: EMPTY_ROOT } });
  assert.deepEqual(await verifyCheckpoint(CPP_NOTE.replace('\n0\n', '\n1\n'), CPP_KEY, CPP_ORIGIN), { ok: false, reason: 'bad_signature' });
});

test('a note freshly signed by the built binary verifies', { skip: !existsSync(BINARY) && 'no daulat binary' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'daulat-note-'));
  try {
    const run = spawnSync(BINARY, ['--data-dir', dir, 'audit', 'export'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const first = JSON.parse(run.stdout.split('\n')[0]);
    const v = await verifyCheckpoint(first.note, first.verifier_key, CPP_ORIGIN);
    assert.equal(v.ok, true, v.reason);
    assert.equal(v.checkpoint.size, BigInt(first.tree_size));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a note signed in the C2SP format verifies, also among other signers\' lines', async () => {
  const ours = signer('daulat-audit');
  const other = signer('witness.example');
  const want = { ok: true, checkpoint: { origin: 'daulat.example.gov.my/audit', size: 42n, rootHex: ROOT.toString('hex') } };
  assert.deepEqual(await verifyCheckpoint(BODY + '\n' + ours.line(BODY), ours.verifierKey, ORIGIN), want);
  assert.deepEqual(await verifyCheckpoint(BODY + '\n' + other.line(BODY) + ours.line(BODY), ours.verifierKey, ORIGIN), want);
});

test('altered text, another key, a missing signature and malformed notes fail', async () => {
  const ours = signer('daulat-audit');
  const note = BODY + '\n' + ours.line(BODY);
  const fails = async (n, key, reason) => assert.deepEqual(await verifyCheckpoint(n, key, ORIGIN), { ok: false, reason }, reason);
  await fails(note.replace('\n42\n', '\n43\n'), ours.verifierKey, 'bad_signature');
  await fails(note.replace('daulat.example', 'daulat.exampl3'), ours.verifierKey, 'bad_signature');
  await fails(note, signer('daulat-audit').verifierKey, 'no_signature'); // same name, another key
  await fails(note, signer('someone-else').verifierKey, 'no_signature');
  await fails(BODY + '\n', ours.verifierKey, 'no_signature');
  await fails(BODY, ours.verifierKey, 'malformed_note'); // no blank line
  await fails(note.slice(0, -1), ours.verifierKey, 'malformed_note'); // no final newline
  await fails(BODY + '\n' + 'not a signature\n', ours.verifierKey, 'malformed_note');
  const notCheckpoint = 'daulat.example.gov.my/audit\n042\nxyz\n';
  await fails(notCheckpoint + '\n' + ours.line(notCheckpoint), ours.verifierKey, 'malformed_checkpoint');
});

test('a genuine signature for another log\'s origin fails with \'origin\'', async () => {
  const ours = signer('daulat-audit');
  const elsewhere = `other.example/audit\n42\n${ROOT.toString('base64')}\n`; // same key, size and root; another log
  const note = elsewhere + '\n' + ours.line(elsewhere);
  assert.equal((await verifyCheckpoint(note, ours.verifierKey, 'other.example/audit')).ok, true);
  assert.deepEqual(await verifyCheckpoint(note, ours.verifierKey, ORIGIN), { ok: false, reason: 'origin' });
  assert.deepEqual(await verifyCheckpoint(CPP_NOTE, CPP_KEY, 'daulat/audit2'), { ok: false, reason: 'origin' });
  assert.deepEqual(await verifyCheckpoint(CPP_NOTE, CPP_KEY, ''), { ok: false, reason: 'origin' });
  assert.deepEqual(await verifyCheckpoint(CPP_NOTE, CPP_KEY, null), { ok: false, reason: 'origin' });
  // The origin is only read from signed text: an altered origin is a bad signature first.
  assert.deepEqual(await verifyCheckpoint(note.replace('other.example', 'daulat.example.gov.my'), ours.verifierKey, ORIGIN), { ok: false, reason: 'bad_signature' });
});

test('with no origin given, the key\'s name is the expected origin (C2SP)', async () => {
  const named = signer('daulat.example.gov.my/audit');
  assert.equal((await verifyCheckpoint(BODY + '\n' + named.line(BODY), named.verifierKey)).ok, true);
  const ours = signer('daulat-audit');
  assert.deepEqual(await verifyCheckpoint(BODY + '\n' + ours.line(BODY), ours.verifierKey), { ok: false, reason: 'origin' });
  // The C++ log names its key 'daulat-audit' but its origin 'daulat/audit', so its notes need the origin given.
  assert.deepEqual(await verifyCheckpoint(CPP_NOTE, CPP_KEY), { ok: false, reason: 'origin' });
});

test('malformed verifier keys are refused', async () => {
  // The base64 key may hold '+' too: only the first two separate.
  const parts = (k) => { const [n, i] = k.split('+', 2); return [n, i, k.slice(n.length + i.length + 2)]; };
  const [name, id, key] = parts(CPP_KEY);
  const other = parts(signer('x').verifierKey)[2];
  assert.equal(await verifierKeyProblem(CPP_KEY), null);
  for (const bad of ['', 'daulat-audit', `${name}+${id}`, `${name}+${id}+${key}x`, `${name}+${id}+${key.slice(0, -4)}`,
    `${name}+${id.slice(1)}+${key}`, `bad name+${id}+${key}`, `${name}+${id}+${Buffer.from([2, ...Buffer.from(key, 'base64').subarray(1)]).toString('base64')}`]) {
    assert.equal(await verifierKeyProblem(bad), 'malformed_key', bad);
    assert.deepEqual(await verifyCheckpoint(CPP_NOTE, bad), { ok: false, reason: 'malformed_key' }, bad);
  }
  assert.equal(await verifierKeyProblem(`${name}+${id}+${other}`), 'key_id_mismatch');
  assert.equal(await verifierKeyProblem(`other-name+${id}+${key}`), 'key_id_mismatch');
});

test('every failure has a label in both languages', async () => {
  const en = (await import('../../console/i18n/en.js')).default;
  const ms = (await import('../../console/i18n/ms.js')).default;
  for (const reason of [...FAILURES, 'mismatch']) {
    assert.ok(en['audit.sig_' + reason], reason);
    assert.ok(ms['audit.sig_' + reason], reason);
  }
});

// --- audit records and their inclusion proofs ---------------------------

const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts.map((x) => Buffer.from(x)))).digest();
const leafOf = (text) => sha256([0], Buffer.from(text, 'utf8'));
const nodeOf = (l, r) => sha256([1], l, r);

// RFC 6962 2.1: the tree hash of leaf hashes `d` and leaf m's audit path.
function mth(d) {
  if (d.length === 1) return d[0];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return nodeOf(mth(d.slice(0, k)), mth(d.slice(k)));
}
function auditPath(m, d) {
  if (d.length === 1) return [];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m < k ? [...auditPath(m, d.slice(0, k)), mth(d.slice(k))] : [...auditPath(m - k, d.slice(k)), mth(d.slice(0, k))];
}

// Records as the C++ CanonicalRecord writes them (the strings of a record
// with every key; kept as text, since that is what was hashed).
const record = (seq, fields = {}) => JSON.stringify(Object.assign({ action: 'login_failed', actor: 'user:ravi', classification: '', content_hash: '', decision: 'deny',
  model: '', pii_counts: {}, reason: 'wrong password', resource: '', seq, tenant_id: 'kementerian', time: '2026-12-06T10:00:00.000Z' }, fields));

// A reply of GET /api/v1/audit/{seq} for record `seq` of a log holding `texts`.
function reply(texts, seq) {
  const leaves = texts.map(leafOf);
  return {
    checkpoint: { tree_size: texts.length, root: mth(leaves).toString('hex') },
    seq, record: JSON.parse(texts[seq]), leaf: texts[seq], leaf_hash: leaves[seq].toString('hex'),
    inclusion_proof: auditPath(seq, leaves).map((x) => x.toString('hex')),
  };
}

test('canonical JSON is the C++ CanonicalRecord text: sorted keys, no spaces, nlohmann\'s escapes', () => {
  // Printed by `daulat audit export` (nlohmann::json) for a user named with quotes, backslash, accents, an emoji and control characters.
  for (const text of [
    '{"action":"user_created","actor":"cli:root","classification":"","content_hash":"","decision":"allow","model":"","pii_counts":{},"reason":"created from the CLI","resource":"user:nur\u00e9\u{1F600}\\"\\\\","seq":4,"tenant_id":"kem","time":"2026-12-06T19:16:00.557Z"}',
    '{"action":"user_created","actor":"cli:root","classification":"","content_hash":"","decision":"allow","model":"","pii_counts":{},"reason":"created from the CLI","resource":"user:tab\\there\\u0001\\u001f\u007f\u2028","seq":5,"tenant_id":"kem","time":"2026-12-06T19:16:02.564Z"}',
  ]) assert.equal(canonicalJson(JSON.parse(text)), text);
  // Keys in any order come out sorted; nested objects too.
  assert.equal(canonicalJson({ seq: 7, pii_counts: { MYKAD: 2, EMAIL: 1 }, action: 'inference', b: [true, null, 'x\n'] }),
    '{"action":"inference","b":[true,null,"x\\n"],"pii_counts":{"EMAIL":1,"MYKAD":2},"seq":7}');
  // By UTF-8 bytes (code points), as std::map sorts them, not by UTF-16 units: U+FF21 before U+1F600.
  assert.equal(canonicalJson({ '\u{1F600}': 3, '\uFF21': 2, '\u00e9': 1, Z: 0 }), '{"Z":0,"\u00e9":1,"\uFF21":2,"\u{1F600}":3}');
  // What nlohmann would not write as JavaScript does: no canonical form.
  for (const odd of [1.5, 2 ** 53, -(2 ** 60), { a: 0.1 }, [undefined], { f: () => 0 }, undefined]) assert.equal(canonicalJson(odd), null, String(odd));
});

test('a record\'s leaf hash is SHA-256(0x00 || canonical record), as the C++ log hashed it', async () => {
  // Record 0 of a fresh log and its leaf hash, from `daulat audit export`.
  const text = '{"action":"tenant_created","actor":"cli:root","classification":"","content_hash":"","decision":"allow","model":"","pii_counts":{},"reason":"created from the CLI","resource":"tenant:kem","seq":0,"tenant_id":"kem","time":"2026-12-06T19:13:27.840Z"}';
  assert.equal(await recordLeafHash(JSON.parse(text)), 'fca10e58de0842a8f441372d71c04dc5faf1021f48d6b2c8f30add269357309e');
  // Key order in the reply does not matter; a changed field does.
  const shuffled = Object.fromEntries(Object.entries(JSON.parse(text)).reverse());
  assert.equal(await recordLeafHash(shuffled), 'fca10e58de0842a8f441372d71c04dc5faf1021f48d6b2c8f30add269357309e');
  assert.notEqual(await recordLeafHash({ ...shuffled, decision: 'deny' }), 'fca10e58de0842a8f441372d71c04dc5faf1021f48d6b2c8f30add269357309e');
  assert.equal(await recordLeafHash({ seq: 0.5 }), null);
});

test('every record of trees of 1 to 9 records proves its inclusion', async () => {
  for (let n = 1; n <= 9; n++) {
    const texts = Array.from({ length: n }, (_, i) => record(i));
    for (let i = 0; i < n; i++) assert.deepEqual(await checkRecordProof(reply(texts, i), i), { ok: true }, `${i} of ${n}`);
  }
});

test('the record shown must be the record hashed: a record the server changed fails, though leaf and proof are genuine', async () => {
  const texts = Array.from({ length: 5 }, (_, i) => record(i, i === 3 ? { decision: 'deny', reason: 'clearance' } : {}));
  const honest = reply(texts, 3);
  // The server shows a record it changed, beside the genuine leaf text, leaf hash and proof.
  const lying = { ...honest, record: { ...honest.record, decision: 'allow' } };
  assert.equal(lying.leaf, honest.leaf);
  assert.deepEqual(await checkRecordProof(lying, 3), { ok: false, reason: 'record' });
  // ... and with a leaf hash made to match the changed record, the proof no longer leads to the root.
  const rehashed = { ...lying, leaf_hash: leafOf(canonicalJson(lying.record)).toString('hex') };
  assert.deepEqual(await checkRecordProof(rehashed, 3), { ok: false, reason: 'proof' });
  // A field added or one removed changes the hash too.
  assert.deepEqual(await checkRecordProof({ ...honest, record: { ...honest.record, note: 'x' } }, 3), { ok: false, reason: 'record' });
  const { reason, ...withoutReason } = honest.record;
  assert.equal(reason, 'clearance');
  assert.deepEqual(await checkRecordProof({ ...honest, record: withoutReason }, 3), { ok: false, reason: 'record' });
});

test('another genuine record, a tampered path, root or size, and malformed replies fail without throwing', async () => {
  const texts = Array.from({ length: 6 }, (_, i) => record(i));
  const p = reply(texts, 4);
  assert.deepEqual(await checkRecordProof(reply(texts, 2), 4), { ok: false, reason: 'seq' }, 'record 2, genuinely proved, shown for record 4');
  assert.deepEqual(await checkRecordProof(p, 2), { ok: false, reason: 'seq' });
  const flipped = p.inclusion_proof.map((x, i) => (i === 0 ? (x[0] === '0' ? '1' : '0') + x.slice(1) : x));
  for (const bad of [
    { ...p, inclusion_proof: flipped },
    { ...p, inclusion_proof: p.inclusion_proof.slice(1) },
    { ...p, inclusion_proof: [...p.inclusion_proof, p.inclusion_proof[0]] },
    { ...p, checkpoint: { ...p.checkpoint, root: p.leaf_hash } },
    { ...p, checkpoint: { ...p.checkpoint, tree_size: 7 } },
    { ...p, checkpoint: { ...p.checkpoint, tree_size: 4 } },
    { ...p, inclusion_proof: ['zz'] },
    { ...p, inclusion_proof: 'not a list' },
    { ...p, checkpoint: {} },
  ]) assert.deepEqual(await checkRecordProof(bad, 4), { ok: false, reason: 'proof' });
  for (const bad of [null, {}, { ...p, record: null }, { ...p, record: 'text' }]) assert.equal((await checkRecordProof(bad, 4)).ok, false);
  assert.equal(await verifyInclusion(p.leaf_hash, -1, 6, p.inclusion_proof, p.checkpoint.root), false);
  assert.equal(await verifyInclusion(p.leaf_hash, 1.5, 6, p.inclusion_proof, p.checkpoint.root), false);
  assert.equal(await verifyInclusion(p.leaf_hash, '4', '6', p.inclusion_proof, p.checkpoint.root), true);
});

test('records and proofs exported by the built binary verify from the records alone', { skip: !existsSync(BINARY) && 'no daulat binary' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'daulat-records-'));
  try {
    const cli = (args, env = {}) => {
      const run = spawnSync(BINARY, ['--data-dir', dir, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
      assert.equal(run.status, 0, run.stderr);
      return run.stdout;
    };
    cli(['tenants', 'create', 'kem', '--name', 'Kementerian']);
    // User names with what JSON must escape, and what it must not, end up in the records' "resource".
    for (const name of ['siti', 'nur\u00e9\u{1F600}"\\', 'tab\there\x01\x1f\x7f\u2028', 'ravi'])
      cli(['users', 'create', '--tenant', 'kem', name, '--role', 'member'], { DAULAT_PASSWORD: 'kata-laluan-yang-panjang-1' });
    const [head, ...lines] = cli(['audit', 'export', '--tenant', 'kem']).trim().split('\n').map((l) => JSON.parse(l));
    const note = await verifyCheckpoint(head.note, head.verifier_key, CPP_ORIGIN);
    assert.equal(note.ok, true, note.reason);
    assert.equal(lines.length, 5);
    for (const r of lines) {
      assert.equal(canonicalJson(JSON.parse(r.leaf)), r.leaf);
      const p = { checkpoint: { tree_size: head.tree_size, root: note.checkpoint.rootHex }, record: JSON.parse(r.leaf), leaf_hash: r.leaf_hash, inclusion_proof: r.inclusion_proof };
      assert.deepEqual(await checkRecordProof(p, r.seq), { ok: true }, r.leaf);
      assert.deepEqual(await checkRecordProof({ ...p, record: { ...p.record, actor: 'user:someone-else' } }, r.seq), { ok: false, reason: 'record' });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
