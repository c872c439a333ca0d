// Audit (auditor, admin, owner): search and filter the tenant's audit log,
// an entry's details with its inclusion proof and the signed checkpoint's
// signature (both checked again here in the browser, the proof from the very
// record shown), "verify chain" with the signed checkpoint (its signature
// also checked here), and export.
// Endpoints: /api/v1/audit, /api/v1/audit/{seq}, /api/v1/audit/verify, /api/v1/audit/export.
import { api } from '../api.js';
import { h, clear, badge, toast, download, fmtTime, submitting } from '../dom.js';
import { t } from '../i18n.js';
import { verifyCheckpoint, verifierKeyProblem } from '../signed_note.js';
import { checkRecordProof } from '../audit_proof.js';

// The verifier key the user trusts, kept in this browser: the server's own
// report of its key proves nothing if the server is the one lying.
const PINNED_KEY = 'daulat.audit.verifier_key';

// The origin line of the audit log's checkpoints (AuditLog::Open's default in
// src/governance/audit_log.h). A checkpoint with any other origin, even one
// signed by the pinned key, is about another log. It is not the key's name
// ('daulat-audit', src/cli/audit_store.cc), so it is given here.
const AUDIT_ORIGIN = 'daulat/audit';

export async function render(root) {
  const action = h('input', { name: 'action', list: 'audit-actions', placeholder: 'login_failed', 'aria-label': t('audit.action') });
  const actor = h('input', { name: 'actor', placeholder: 'user:siti', 'aria-label': t('audit.actor') });
  const text = h('input', { type: 'search', name: 'q', placeholder: t('audit.contains'), 'aria-label': t('audit.contains') });
  const rows = h('tbody');
  const more = h('button', { type: 'button', hidden: true, onclick: () => load(false) }, t('audit.more'));
  const detail = h('aside', { class: 'detail', hidden: true, 'aria-live': 'polite' });
  const verifyOut = h('div', { class: 'verify', 'aria-live': 'polite' });
  const actions = ['login', 'login_failed', 'logout', 'inference', 'stream_opened', 'document_added', 'document_deleted', 'search', 'ask', 'key_created', 'key_revoked',
    'user_created', 'user_updated', 'policy_changed', 'tenant_created', 'audit_verified', 'audit_exported'];
  let cursor = -1;

  clear(root, h('div', { class: 'audit' }, h('section', {},
    h('h1', {}, t('nav.audit')),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', class: 'primary', onclick: verify }, t('audit.verify')),
      h('button', { type: 'button', onclick: exportAll }, t('audit.export'))),
    verifyOut,
    h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(true); } },
      h('datalist', { id: 'audit-actions' }, actions.map((a) => h('option', { value: a }))),
      action, actor, text, h('button', { type: 'submit' }, t('audit.filter'))),
    h('table', { class: 'audit-table' }, h('thead', {}, h('tr', {}, ['#', t('audit.time'), t('audit.actor'), t('audit.action'), t('audit.resource'), t('audit.decision'), t('audit.level')].map((x) => h('th', { scope: 'col' }, x)))), rows),
    more), detail));

  async function load(reset) {
    if (reset) { cursor = -1; clear(rows); }
    const q = new URLSearchParams({ limit: '100', after: String(cursor) });
    if (action.value.trim()) q.set('action', action.value.trim());
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    const r = await api('GET', '/api/v1/audit?' + q);
    const needle = text.value.trim().toLowerCase();
    for (const rec of r.data) {
      if (needle && !JSON.stringify(rec).toLowerCase().includes(needle)) continue;
      rows.append(h('tr', { class: rec.decision === 'deny' ? 'deny' : '' },
        h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => open(rec.seq) }, rec.seq)),
        h('td', {}, fmtTime(rec.time)), h('td', {}, rec.actor), h('td', {}, rec.action), h('td', {}, rec.resource || ''),
        h('td', {}, rec.decision), h('td', {}, rec.classification ? badge(rec.classification) : '')));
    }
    more.hidden = r.data.length < 100;
    cursor = r.next_after;
    if (!rows.children.length) rows.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, t('empty'))));
  }

  async function open(seq) {
    detail.hidden = false;
    clear(detail, h('p', { class: 'muted' }, t('loading')));
    const p = await api('GET', '/api/v1/audit/' + seq);
    const local = await checkProof(p, seq);
    const signature = h('div', { class: 'signature', 'aria-live': 'polite' });
    clear(detail, h('div', { class: 'passage-head' }, h('h2', {}, t('audit.entry', { n: seq })),
      h('button', { type: 'button', class: 'icon', 'aria-label': t('close'), onclick: () => { detail.hidden = true; } }, '×')),
    h('pre', { class: 'code' }, JSON.stringify(p.record, null, 2)),
    h('h3', {}, t('audit.proof')),
    h('p', { class: p.proof_verified ? 'ok' : 'error' }, p.proof_verified ? t('audit.proof_ok_server', { size: p.checkpoint.tree_size }) : t('audit.proof_bad')),
    h('p', { class: PROOF_CLASS[local.state], role: 'status' }, proofText(local, seq)),
    h('dl', { class: 'facts' }, h('dt', {}, t('audit.leaf_hash')), h('dd', { class: 'mono' }, p.leaf_hash), h('dt', {}, t('audit.root')), h('dd', { class: 'mono' }, p.checkpoint.root)),
    h('ol', { class: 'proof mono' }, p.inclusion_proof.map((x) => h('li', {}, x))),
    h('h3', {}, t('audit.checkpoint')), signature, h('pre', { class: 'code' }, p.checkpoint.note));
    await showSignature(signature, p);
  }

  // The checkpoint's signature, checked here with the pinned key (or, with
  // none pinned, the key the server reports, said plainly), and the form
  // that pins a key.
  async function showSignature(box, p) {
    const pinned = localStorage.getItem(PINNED_KEY) || '';
    const s = await checkSignature(p.checkpoint.note, p.checkpoint.verifier_key, pinned, { size: p.checkpoint.tree_size, root: p.checkpoint.root });
    const input = h('input', { name: 'verifier_key', class: 'mono', value: pinned, placeholder: 'daulat-audit+1a2b3c4d+AQ…', 'aria-label': t('audit.pin_label'), autocomplete: 'off', spellcheck: 'false' });
    const pin = async (key) => {
      if (key) localStorage.setItem(PINNED_KEY, key); else localStorage.removeItem(PINNED_KEY);
      toast(key ? t('audit.pinned') : t('audit.unpinned'));
      await showSignature(box, p);
    };
    clear(box, h('p', { class: SIGNATURE_CLASS[s.state], role: 'status' }, signatureText(s)),
      h('p', { class: 'small' }, t('audit.server_key'), ' ', h('code', {}, p.checkpoint.verifier_key)),
      h('p', { class: 'small' }, t('audit.pinned_key'), ' ', pinned ? h('code', {}, pinned) : h('span', { class: 'muted' }, t('audit.pinned_none'))),
      s.state === 'unavailable' ? null : h('form', {
        class: 'inline-form',
        onsubmit: submitting(async () => {
          const key = input.value.trim();
          const problem = key ? await verifierKeyProblem(key) : null;
          if (problem) throw new Error(t('audit.pin_invalid', { reason: t('audit.sig_' + problem) }));
          await pin(key);
        }),
      }, input, h('p', { class: 'small hint' }, t('audit.pin_hint')),
      h('div', { class: 'row-actions' }, h('button', { type: 'submit' }, t('audit.pin_save')),
        pinned ? h('button', { type: 'button', onclick: () => pin('') }, t('audit.pin_forget')) : null)));
  }

  // The server's verdict on the whole chain is its own word; what this
  // browser can check is the checkpoint it just signed: its signature (with
  // the pinned key, or else the server's, said plainly) and that the server
  // did not claim to verify fewer records than that checkpoint holds.
  async function verify() {
    clear(verifyOut, h('p', { class: 'muted' }, t('audit.verifying')));
    try {
      const v = await api('GET', '/api/v1/audit/verify');
      const pinned = localStorage.getItem(PINNED_KEY) || '';
      const s = await checkSignature(v.checkpoint, v.verifier_key, pinned, null);
      const short = v.ok && s.size !== undefined && !(Number(v.records) >= Number(s.size));
      clear(verifyOut, h('p', { class: !v.ok ? 'error big' : s.state === 'failed' || short ? 'warn big' : 'ok big', role: 'status' }, v.ok ? t('audit.chain_ok', { records: v.records, checkpoints: v.checkpoints }) : t('audit.chain_bad', { error: v.error })),
        h('p', { class: SIGNATURE_CLASS[s.state] }, signatureText(s)),
        short ? h('p', { class: 'error' }, t('audit.chain_short', { records: v.records, size: s.size })) : null,
        h('details', { open: true }, h('summary', {}, t('audit.signed_checkpoint')), h('pre', { class: 'code' }, v.checkpoint),
          h('p', { class: 'small' }, t('audit.verifier_key'), ' ', h('code', {}, v.verifier_key)),
          h('p', { class: 'small' }, t('audit.pinned_key'), ' ', pinned ? h('code', {}, pinned) : h('span', { class: 'muted' }, t('audit.pinned_none')))));
    } catch (e) { clear(verifyOut, h('p', { class: 'error' }, e.message)); }
  }

  async function exportAll() {
    try {
      const res = await api('GET', '/api/v1/audit/export', undefined, { raw: true });
      download('daulat-audit-' + new Date().toISOString().slice(0, 10) + '.jsonl', await res.blob());
      toast(t('audit.exported'));
    } catch (e) { toast(e.message, 'error'); }
  }

  await load(true);
}

const SIGNATURE_CLASS = { pinned: 'ok', server: 'warn', failed: 'error', unavailable: 'muted' };
const PROOF_CLASS = { ok: 'ok', failed: 'error', unavailable: 'muted' };
const PROOF_FAILURE = { seq: 'audit.proof_bad_seq', record: 'audit.proof_bad_record', proof: 'audit.proof_bad_browser' };

function signatureText(s) {
  if (s.state === 'pinned') return t('audit.sig_ok_pinned', { size: s.size });
  if (s.state === 'server') return t('audit.sig_ok_server', { size: s.size });
  if (s.state === 'failed') return t('audit.sig_bad', { reason: t('audit.sig_' + s.reason, { origin: AUDIT_ORIGIN }) });
  return t('audit.sig_no_crypto');
}

function proofText(r, seq) {
  if (r.state === 'ok') return t('audit.proof_ok_browser');
  if (r.state === 'failed') return t(PROOF_FAILURE[r.reason], { n: seq });
  return t('audit.proof_no_crypto');
}

// A signed note checked in this browser: {state: 'pinned' | 'server', size}
// when it verifies under the pinned key (or, with none, the key the server
// reports), is a checkpoint of this log (AUDIT_ORIGIN) and, given `want`,
// signs the very size and root the inclusion proof was checked against;
// {state: 'failed', reason} otherwise; {state: 'unavailable'} without
// crypto.subtle.
async function checkSignature(note, serverKey, pinned, want) {
  if (!(window.crypto && crypto.subtle)) return { state: 'unavailable' };
  const v = await verifyCheckpoint(note, pinned || serverKey, AUDIT_ORIGIN);
  if (!v.ok) return { state: 'failed', reason: v.reason };
  const c = v.checkpoint;
  if (want && (String(c.size) !== String(want.size) || c.rootHex !== want.root)) return { state: 'failed', reason: 'mismatch' };
  return { state: pinned ? 'pinned' : 'server', size: String(c.size) };
}

// The inclusion proof checked with WebCrypto from the record shown, for the
// record asked for: {state: 'ok'}, {state: 'failed', reason} (see
// checkRecordProof), or {state: 'unavailable'} when the page has no
// crypto.subtle (plain HTTP to a host other than localhost).
async function checkProof(p, seq) {
  if (!(window.crypto && crypto.subtle)) return { state: 'unavailable' };
  const r = await checkRecordProof(p, seq);
  return r.ok ? { state: 'ok' } : { state: 'failed', reason: r.reason };
}
