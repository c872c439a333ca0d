// Ed25519 signature verification (RFC 8032 section 5.1.7) with BigInt
// arithmetic and WebCrypto's SHA-512, so the console can check the audit
// log's signed checkpoints itself instead of trusting the server that sent
// them. Verification only: it handles no secrets, so nothing here needs to be
// constant-time. Needs crypto.subtle (browsers on HTTPS or localhost; Node 20).
//
// It gives the answers libsodium's crypto_sign_verify_detached (the server's
// signer and verifier, src/governance/checkpoint.cc) gives: S must be below
// the group order, A and R must be canonical encodings of points that are not
// of small order, and the check is cofactorless, [S]B - [k]A encoding to
// exactly the bytes of R.

const P = 2n ** 255n - 19n;                                     // the field's prime
const L = 2n ** 252n + 27742317777372353535851937790883648493n; // the base point's order
const mod = (a, m = P) => ((a % m) + m) % m;

// a^e mod P, square and multiply.
function pow(a, e) {
  let r = 1n;
  for (a = mod(a); e > 0n; e >>= 1n, a = (a * a) % P) if (e & 1n) r = (r * a) % P;
  return r;
}
const inv = (a) => pow(a, P - 2n); // Fermat: P is prime

const D = mod(-121665n * inv(121666n)); // the curve is -x^2 + y^2 = 1 + d x^2 y^2
const SQRT_M1 = pow(2n, (P - 1n) / 4n); // a square root of -1 mod P

// Points in extended coordinates: x = X/Z, y = Y/Z, x*y = T/Z.
const IDENTITY = { X: 0n, Y: 1n, Z: 1n, T: 0n };

// RFC 8032 5.1.4 addition. It is complete on this curve (d is not a square),
// so it also doubles and takes the identity.
function add(p, q) {
  const a = mod((p.Y - p.X) * (q.Y - q.X));
  const b = mod((p.Y + p.X) * (q.Y + q.X));
  const c = mod(2n * D * p.T * q.T);
  const d = mod(2n * p.Z * q.Z);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return { X: mod(e * f), Y: mod(g * h), Z: mod(f * g), T: mod(e * h) };
}
const negate = (p) => ({ X: mod(-p.X), Y: p.Y, Z: p.Z, T: mod(-p.T) });

// [n]p, double and add from the lowest bit (n >= 0; public inputs only).
function multiply(n, p) {
  let r = IDENTITY;
  for (let q = p; n > 0n; n >>= 1n, q = add(q, q)) if (n & 1n) r = add(r, q);
  return r;
}

// A small-order point times the cofactor 8 is the identity (X = 0, Y = Z).
function isSmallOrder(p) {
  const q = multiply(8n, p);
  return q.X === 0n && q.Y === q.Z;
}

// The point with this y whose x has the parity `sign` (RFC 8032 5.1.3 steps
// 2-4), or null when there is none.
function recover(y, sign) {
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n)); // a candidate root of u/v
  const vxx = mod(v * x * x);
  if (vxx !== u) {
    if (vxx !== mod(-u)) return null; // u/v is not a square: no such point
    x = mod(x * SQRT_M1);
  }
  if (x === 0n && sign === 1n) return null; // -0 is not a canonical encoding
  if ((x & 1n) !== sign) x = P - x;
  return { X: x, Y: y, Z: 1n, T: mod(x * y) };
}

const littleEndian = (bytes) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);

// 32 bytes to a point, or null when they are not a canonical encoding (y >= P) or no point.
function decode(bytes) {
  const n = littleEndian(bytes);
  const y = n & ((1n << 255n) - 1n);
  return y < P ? recover(y, n >> 255n) : null;
}

// A point to its 32 canonical bytes: y, with x's parity in the top bit.
function encode(p) {
  const z = inv(p.Z);
  let n = mod(p.Y * z) | ((mod(p.X * z) & 1n) << 255n);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

const BASE = recover(mod(4n * inv(5n)), 0n); // B: y = 4/5, x even

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) { out.set(x, at); at += x.length; }
  return out;
}

// True when signature64 is publicKey32's Ed25519 signature of message (all
// Uint8Array). False for a wrong signature and for inputs of the wrong size,
// a key or R that does not decode or has small order, and S >= L (the same
// signature written another way). Rejects only through its result: it throws
// only when crypto.subtle is missing.
export async function verifyEd25519(publicKey32, message, signature64) {
  const bytes = (x, n) => x instanceof Uint8Array && (n === undefined || x.length === n);
  if (!bytes(publicKey32, 32) || !bytes(message) || !bytes(signature64, 64)) return false;
  const rBytes = signature64.subarray(0, 32);
  const A = decode(publicKey32);
  const R = decode(rBytes);
  if (!A || !R || isSmallOrder(A) || isSmallOrder(R)) return false;
  const S = littleEndian(signature64.subarray(32));
  if (S >= L) return false;
  const digest = await globalThis.crypto.subtle.digest('SHA-512', concat(rBytes, publicKey32, message));
  const k = littleEndian(new Uint8Array(digest)) % L;
  const check = encode(add(multiply(S, BASE), multiply(k, negate(A))));
  return check.every((b, i) => b === rBytes[i]);
}
