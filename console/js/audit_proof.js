// An audit record's inclusion proof, checked in the browser from the record
// the page shows, not from hashes the server hands over: the leaf hash is
// recomputed from the record itself, then followed up the RFC 9162 audit path
// to the root. What the server hashed (src/governance/audit_log.cc,
// CanonicalRecord; merkle_tree.cc, LeafHash) is SHA-256(0x00 || the record as
// canonical JSON). Needs crypto.subtle.

const utf8 = (s) => new TextEncoder().encode(s);
const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
const HASH_HEX = /^[0-9a-f]{64}$/;

// nlohmann::json keeps an object's keys in a std::map, ordered by their
// bytes; UTF-8 bytes sort as code points do, not as JavaScript's UTF-16 units.
function byUtf8(a, b) {
  const x = utf8(a), y = utf8(b);
  for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// The text the server hashed for this value: nlohmann::json's dump() with no
// indent, which is keys sorted by bytes, no spaces, integers in decimal and
// strings escaped as JSON.stringify escapes them (\" \\ \b \f \n \r \t, other
// control characters as lowercase \u00xx, all else as is). null for what it
// never writes the same way (fractions, integers JSON.parse has rounded past
// 2^53, undefined), so such a record fails rather than passes by chance.
export function canonicalJson(value) {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : null;
  if (typeof value !== 'object') return null;
  const parts = Array.isArray(value)
    ? value.map(canonicalJson)
    : Object.keys(value).sort(byUtf8).map((k) => { const v = canonicalJson(value[k]); return v === null ? null : JSON.stringify(k) + ':' + v; });
  if (parts.includes(null)) return null;
  return Array.isArray(value) ? '[' + parts.join(',') + ']' : '{' + parts.join(',') + '}';
}

async function sha256(...parts) {
  const all = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) { all.set(x, at); at += x.length; }
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', all));
}

// Hex SHA-256(0x00 || canonical record): the leaf hash the record must have,
// or null when the record cannot be written canonically.
export async function recordLeafHash(record) {
  const text = canonicalJson(record);
  return text === null ? null : hex(await sha256(new Uint8Array([0]), utf8(text)));
}

// A leaf index or tree size as BigInt: a non-negative integer (number or
// decimal string), else null.
function count(x) {
  if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) return BigInt(x);
  return typeof x === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(x) ? BigInt(x) : null;
}

// RFC 9162 2.1.3.2: does `proof` (hex hashes) lead from leaf `index`'s hash
// to `rootHex` in a tree of `size` leaves? False for any malformed input.
export async function verifyInclusion(leafHex, index, size, proof, rootHex) {
  let fn = count(index), sn = count(size);
  if (fn === null || sn === null || fn >= sn || !Array.isArray(proof) || ![leafHex, rootHex, ...proof].every((x) => HASH_HEX.test(x))) return false;
  const unhex = (s) => new Uint8Array(s.match(/../g).map((x) => parseInt(x, 16)));
  sn -= 1n;
  let r = unhex(leafHex);
  for (const x of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(new Uint8Array([1]), unhex(x), r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await sha256(new Uint8Array([1]), r, unhex(x));
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && hex(r) === rootHex;
}

// The reply of GET /api/v1/audit/{seq} checked for record `seq`, the one the
// user asked for: {ok: true} or {ok: false, reason}, the reason being
//   'seq'    the record shown is another record (its own seq differs),
//   'record' the record shown does not hash to the leaf hash the proof is for
//            (the server changed the record, or sent a hash of something else),
//   'proof'  the leaf does not lead to the checkpoint's root.
// The checkpoint's size and root are the server's word until its signed note
// is checked too (signed_note.js).
export async function checkRecordProof(p, seq) {
  const record = p && p.record;
  if (!record || typeof record !== 'object' || String(record.seq) !== String(seq)) return { ok: false, reason: 'seq' };
  const leaf = await recordLeafHash(record);
  if (leaf === null || leaf !== p.leaf_hash) return { ok: false, reason: 'record' };
  const c = p.checkpoint || {};
  const ok = await verifyInclusion(leaf, seq, c.tree_size, p.inclusion_proof, c.root);
  return ok ? { ok: true } : { ok: false, reason: 'proof' };
}
