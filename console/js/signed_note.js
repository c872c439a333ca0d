// The audit log's signed checkpoints, checked in the browser exactly as
// src/governance/checkpoint.cc checks them on the server: a C2SP checkpoint
// (c2sp.org/tlog-checkpoint) inside a C2SP signed note (c2sp.org/signed-note)
// with Ed25519 signatures:
//
//   <origin>\n<size>\n<base64 root>\n\n— <key name> <base64(key id || signature)>\n
//
// A signature only says the key holder signed this text; which log the
// checkpoint is for is its origin line, so that must be the log the caller
// expects too (one key may sign for several logs).
//
// The signed message is the text up to and including the newline before the
// blank line. A verifier key is "<name>+<hex key id>+<base64(0x01 || public
// key)>", and the key id is the first 4 bytes of SHA-256(name || "\n" || 0x01
// || public key). Needs crypto.subtle.
import { verifyEd25519 } from './ed25519.js';

const SIGNATURE_PREFIX = '\u2014 '; // "— " (em dash, space) starts every signature line
const ALG_ED25519 = 0x01;

// Why a note does not verify; the console labels each as t('audit.sig_' + reason).
export const FAILURES = ['malformed_key', 'key_id_mismatch', 'malformed_note', 'no_signature', 'bad_signature', 'malformed_checkpoint', 'origin'];

class NoteError extends Error {
  constructor(reason) { super(reason); this.reason = reason; }
}

const utf8 = (s) => new TextEncoder().encode(s);
const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

// Standard base64 with padding to bytes, or null.
function unbase64(s) {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

// As the C++ ValidKeyName: not empty, no '+', no space or control characters.
const validKeyName = (name) => /^[^\x00-\x20+]+$/.test(name);

async function keyId(name, publicKey) {
  const material = new Uint8Array([...utf8(name), 0x0a, ALG_ED25519, ...publicKey]);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', material)).slice(0, 4);
}

// A verifier key's parts {name, id, publicKey}; throws NoteError
// 'malformed_key' or 'key_id_mismatch'. The base64 part may itself contain
// '+', so only the first two split.
export async function parseVerifierKey(text) {
  if (typeof text !== 'string') throw new NoteError('malformed_key');
  const p1 = text.indexOf('+');
  const p2 = p1 < 0 ? -1 : text.indexOf('+', p1 + 1);
  if (p2 < 0) throw new NoteError('malformed_key');
  const name = text.slice(0, p1);
  const hexId = text.slice(p1 + 1, p2);
  const key = unbase64(text.slice(p2 + 1));
  if (!validKeyName(name) || !/^[0-9a-f]{8}$/.test(hexId) || !key || key.length !== 33 || key[0] !== ALG_ED25519) {
    throw new NoteError('malformed_key');
  }
  const publicKey = key.slice(1);
  const id = await keyId(name, publicKey);
  if (hex(id) !== hexId) throw new NoteError('key_id_mismatch');
  return { name, id, publicKey };
}

// The note's text before the signatures, when one of its signature lines is
// by `key` (same name and key id) and verifies. Other signers' lines are
// skipped, as cosignatures may be present.
async function verifyNote(note, key) {
  const split = typeof note === 'string' ? note.indexOf('\n\n') : -1;
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('malformed_note');
  const body = note.slice(0, split + 1);
  const signatures = note.slice(split + 2); // each line ends with '\n'
  const lines = signatures ? signatures.slice(0, -1).split('\n') : [];
  let sawOurKey = false;
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError('malformed_note');
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) throw new NoteError('malformed_note');
    const blob = unbase64(rest.slice(space + 1));
    if (rest.slice(0, space) !== key.name || !blob || blob.length !== 68 || hex(blob.subarray(0, 4)) !== hex(key.id)) continue;
    sawOurKey = true;
    if (await verifyEd25519(key.publicKey, utf8(body), blob.subarray(4))) return body;
  }
  throw new NoteError(sawOurKey ? 'bad_signature' : 'no_signature');
}

// The checkpoint's first three lines: origin, size (decimal, no leading
// zeros) and the base64 root hash of 32 bytes.
function parseCheckpoint(body) {
  const [origin, size, root] = body.split('\n');
  const rootBytes = root === undefined ? null : unbase64(root);
  if (!/^(0|[1-9][0-9]{0,19})$/.test(size || '') || !rootBytes || rootBytes.length !== 32) {
    throw new NoteError('malformed_checkpoint');
  }
  return { origin, size: BigInt(size), rootHex: hex(rootBytes) };
}

// {ok: true, checkpoint: {origin, size (BigInt), rootHex}} when `note` carries
// a signature by `verifierKey` that verifies and its origin line is `origin`,
// else {ok: false, reason} with a reason from FAILURES ('origin': a genuine
// signature, but for another log). Without `origin` the key's name is
// expected, as C2SP tlog-checkpoint recommends (the log's key name SHOULD be
// its origin); a caller whose log names them differently passes its origin.
// Never throws for bad input; needs crypto.subtle.
export async function verifyCheckpoint(note, verifierKey, origin) {
  try {
    const key = await parseVerifierKey(verifierKey);
    const checkpoint = parseCheckpoint(await verifyNote(note, key));
    if (checkpoint.origin !== (origin === undefined ? key.name : origin)) throw new NoteError('origin');
    return { ok: true, checkpoint };
  } catch (e) {
    if (e instanceof NoteError) return { ok: false, reason: e.reason };
    throw e;
  }
}

// null when `text` is a well-formed verifier key, else the reason it is not.
export async function verifierKeyProblem(text) {
  try { await parseVerifierKey(text); return null; } catch (e) {
    if (e instanceof NoteError) return e.reason;
    throw e;
  }
}
