// Administration (owner, admin): tenants, users, roles and clearances, API
// keys (a new key is shown once), quotas, the policy editor with server-side
// validation, and usage over time.
// Endpoints: /api/v1/tenants, /api/v1/users, /api/v1/keys, /api/v1/policy, /api/v1/usage.
import { api } from '../api.js';
import { h, clear, badge, LEVELS, toast, modal, field, select, fmtTime, submitting } from '../dom.js';
import { t } from '../i18n.js';
import { usageChart } from './usage_chart.js';

const ROLES = ['owner', 'admin', 'member', 'auditor', 'service'];
const SCOPES = ['models', 'inference', 'documents.read', 'documents', 'collections', 'policy.read', 'policy', 'identity', 'tenants', 'audit', 'usage'];

export async function render(root, { me, route }) {
  const tabs = [['users', 'admin.users'], ['keys', 'admin.keys'], ['policy', 'admin.policy'], ['usage', 'admin.usage']];
  if (me.role === 'owner' && me.tenant === 'default') tabs.unshift(['tenants', 'admin.tenants']);
  const wanted = (route.match(/^#\/admin\/(\w+)/) || [])[1];
  let active = tabs.some(([id]) => id === wanted) ? wanted : tabs[0][0];
  const panel = h('section', { class: 'tab-panel', role: 'tabpanel' });
  const bar = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('nav.admin') });
  const roles = me.role === 'owner' ? ROLES : ROLES.filter((r) => r !== 'owner');
  const levels = LEVELS.slice(0, LEVELS.indexOf(me.clearance) + 1);

  function draw() {
    clear(bar, tabs.map(([id, label]) => h('button', { type: 'button', role: 'tab', 'aria-selected': String(id === active), class: id === active ? 'active' : '',
      onclick: () => { active = id; history.replaceState(null, '', '#/admin/' + id); draw(); } }, t(label))));
    const views = { tenants, users, keys, policy, usage };
    clear(panel, h('p', { class: 'muted' }, t('loading')));
    views[active]().catch((e) => clear(panel, h('p', { class: 'error' }, e.message)));
  }
  clear(root, h('h1', {}, t('nav.admin')), bar, panel);
  draw();

  async function tenants() {
    const r = await api('GET', '/api/v1/tenants');
    const form = h('form', {
      class: 'card-form',
      onsubmit: submitting(async (f) => {
        const created = await api('POST', '/api/v1/tenants', { id: f.id.value.trim(), name: f.name.value.trim(), requests_per_minute: Number(f.rpm.value || 0), tokens_per_day: Number(f.tpd.value || 0) });
        await showSecret(t('admin.tenant_created', { id: created.id || f.id.value }), created.owner_key && created.owner_key.key);
        draw();
      }),
    }, h('h2', {}, t('admin.new_tenant')),
    h('div', { class: 'grid2' }, field(t('admin.tenant_id'), h('input', { name: 'id', required: true, pattern: '[a-z0-9][a-z0-9_-]{0,63}' })), field(t('admin.name'), h('input', { name: 'name', required: true })),
      field(t('admin.rpm'), h('input', { name: 'rpm', type: 'number', min: 0, value: 0 }), t('admin.zero_unlimited')), field(t('admin.tpd'), h('input', { name: 'tpd', type: 'number', min: 0, value: 0 }), t('admin.zero_unlimited'))),
    h('button', { type: 'submit', class: 'primary' }, t('admin.create')));
    clear(panel, table([t('admin.tenant_id'), t('admin.name'), t('admin.rpm'), t('admin.tpd'), t('admin.created')],
      r.data.map((x) => [x.id, x.name, quota(x.requests_per_minute), quota(x.tokens_per_day), fmtTime(x.created_at)])), form);
  }

  async function users() {
    const r = await api('GET', '/api/v1/users');
    const form = h('form', {
      class: 'card-form',
      onsubmit: submitting(async (f) => {
        await api('POST', '/api/v1/users', { username: f.username.value.trim(), password: f.password.value, role: f.role.value, clearance: f.clearance.value, groups: groups(f.groups.value) });
        toast(t('admin.user_created'));
        draw();
      }),
    }, h('h2', {}, t('admin.new_user')),
    h('div', { class: 'grid2' }, field(t('signin.username'), h('input', { name: 'username', required: true, autocomplete: 'off' })),
      field(t('signin.password'), h('input', { name: 'password', type: 'password', required: true, minlength: 12, autocomplete: 'new-password' }), t('admin.password_hint')),
      field(t('admin.role'), select(roles, 'member', { name: 'role' })), field(t('admin.clearance'), select(levels, 'TERBUKA', { name: 'clearance' })),
      field(t('admin.groups'), h('input', { name: 'groups', placeholder: 'kewangan, hr' }))),
    h('button', { type: 'submit', class: 'primary' }, t('admin.create')));
    clear(panel, pagedTable([t('signin.username'), t('admin.role'), t('admin.clearance'), t('admin.groups'), t('admin.status'), ''],
      r, '/api/v1/users', (u) => [u.username, t('role.' + u.role), badge(u.clearance), u.groups.join(', '), u.disabled ? t('admin.disabled') : t('admin.active'),
        h('button', { type: 'button', class: 'link', onclick: () => editUser(u) }, t('edit'))]), form);
  }

  async function editUser(u) {
    const role = select(roles, u.role);
    const clearance = select(levels, u.clearance);
    const grp = h('input', { value: u.groups.join(', ') });
    const disabled = h('input', { type: 'checkbox', checked: u.disabled });
    const password = h('input', { type: 'password', autocomplete: 'new-password', minlength: 12 });
    const ok = await modal(t('admin.edit_user', { name: u.username }), h('div', { class: 'grid2' }, field(t('admin.role'), role), field(t('admin.clearance'), clearance),
      field(t('admin.groups'), grp), field(t('admin.new_password'), password, t('admin.password_keep')), h('label', { class: 'check' }, disabled, ' ', t('admin.disabled'))),
    [{ label: t('cancel'), value: false }, { label: t('save'), value: true, kind: 'primary' }]);
    if (!ok) return;
    const body = { role: role.value, clearance: clearance.value, groups: groups(grp.value), disabled: disabled.checked };
    if (password.value) body.password = password.value;
    try { await api('PATCH', '/api/v1/users/' + encodeURIComponent(u.username), body); toast(t('saved')); draw(); } catch (e) { toast(e.message, 'error'); }
  }

  async function keys() {
    const r = await api('GET', '/api/v1/keys');
    const scopeBoxes = SCOPES.map((s) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'scope', value: s }), ' ', s));
    const form = h('form', {
      class: 'card-form',
      onsubmit: submitting(async (f) => {
        const body = { name: f.name.value.trim(), role: f.role.value, clearance: f.clearance.value, groups: groups(f.groups.value) };
        const scopes = scopeBoxes.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value);
        if (scopes.length) body.scopes = scopes;
        if (f.days.value) body.expires_in_days = Number(f.days.value);
        if (f.rpm.value) body.requests_per_minute = Number(f.rpm.value);
        if (f.tpd.value) body.tokens_per_day = Number(f.tpd.value);
        const k = await api('POST', '/api/v1/keys', body);
        await showSecret(t('admin.key_created', { name: k.name }), k.key);
        draw();
      }),
    }, h('h2', {}, t('admin.new_key')),
    h('div', { class: 'grid2' }, field(t('admin.name'), h('input', { name: 'name', required: true })), field(t('admin.role'), select(roles, 'service', { name: 'role' })),
      field(t('admin.clearance'), select(levels, 'TERBUKA', { name: 'clearance' })), field(t('admin.groups'), h('input', { name: 'groups' })),
      field(t('admin.expires_days'), h('input', { name: 'days', type: 'number', min: 1, max: 3650 })),
      field(t('admin.rpm'), h('input', { name: 'rpm', type: 'number', min: 0 }), t('admin.zero_unlimited')), field(t('admin.tpd'), h('input', { name: 'tpd', type: 'number', min: 0 }), t('admin.zero_unlimited'))),
    h('fieldset', { class: 'scopes' }, h('legend', {}, t('admin.scopes'), ' ', h('small', { class: 'muted' }, t('admin.scopes_hint'))), scopeBoxes),
    h('button', { type: 'submit', class: 'primary' }, t('admin.create_key')));
    clear(panel, pagedTable([t('admin.name'), t('admin.prefix'), t('admin.role'), t('admin.clearance'), t('admin.quota'), t('admin.expires'), t('admin.status'), ''],
      r, '/api/v1/keys', (k) => [k.name, h('code', {}, k.prefix), t('role.' + k.role), badge(k.clearance), quota(k.requests_per_minute) + ' / ' + quota(k.tokens_per_day),
        k.expires_at ? fmtTime(k.expires_at) : '—', k.revoked_at ? t('admin.revoked') : t('admin.active'),
        k.revoked_at ? '' : h('span', {}, h('button', { type: 'button', class: 'link', onclick: () => editQuota(k) }, t('admin.quota')), ' ',
          h('button', { type: 'button', class: 'link danger', onclick: () => revoke(k) }, t('admin.revoke')))]), form);
  }

  async function editQuota(k) {
    const rpm = h('input', { type: 'number', min: 0, value: k.requests_per_minute });
    const tpd = h('input', { type: 'number', min: 0, value: k.tokens_per_day });
    const ok = await modal(t('admin.quota_for', { name: k.name }), h('div', { class: 'grid2' }, field(t('admin.rpm'), rpm, t('admin.zero_unlimited')), field(t('admin.tpd'), tpd, t('admin.zero_unlimited'))),
      [{ label: t('cancel'), value: false }, { label: t('save'), value: true, kind: 'primary' }]);
    if (!ok) return;
    try { await api('PATCH', '/api/v1/keys/' + encodeURIComponent(k.id), { requests_per_minute: Number(rpm.value), tokens_per_day: Number(tpd.value) }); toast(t('saved')); draw(); } catch (e) { toast(e.message, 'error'); }
  }

  async function revoke(k) {
    const ok = await modal(t('admin.revoke'), h('p', {}, t('admin.revoke_confirm', { name: k.name })), [{ label: t('cancel'), value: false }, { label: t('admin.revoke'), value: true, kind: 'danger' }]);
    if (!ok) return;
    try { await api('DELETE', '/api/v1/keys/' + encodeURIComponent(k.id)); toast(t('admin.revoked')); draw(); } catch (e) { toast(e.message, 'error'); }
  }

  async function policy() {
    const [current, versions] = await Promise.all([api('GET', '/api/v1/policy'), api('GET', '/api/v1/policy/versions')]);
    const editable = Object.assign({}, current);
    for (const k of ['version', 'updated_by', 'updated_at']) delete editable[k];
    const editor = h('textarea', { class: 'code', rows: 22, spellcheck: 'false', 'aria-label': t('admin.policy') }, JSON.stringify(editable, null, 2));
    const result = h('p', { role: 'status' });
    const parse = () => {
      try { return JSON.parse(editor.value); } catch (e) { result.className = 'error'; result.textContent = t('admin.policy_not_json', { error: e.message }); return null; }
    };
    const check = async (save) => {
      const body = parse();
      if (!body) return;
      try {
        const r = await api('PUT', '/api/v1/policy' + (save ? '' : '?dry_run=true'), body);
        result.className = 'ok';
        result.textContent = save ? t('admin.policy_saved', { v: r.version }) : t('admin.policy_valid');
        if (save) draw();
      } catch (e) { result.className = 'error'; result.textContent = e.message; }
    };
    clear(panel, h('p', { class: 'muted' }, t('admin.policy_hint', { v: current.version })), editor,
      h('div', { class: 'row-actions' }, h('button', { type: 'button', onclick: () => check(false) }, t('admin.validate')),
        h('button', { type: 'button', class: 'primary', onclick: () => check(true) }, t('save'))), result,
      h('h2', {}, t('admin.policy_versions')),
      table([t('admin.version'), t('admin.author'), t('admin.created')], versions.data.map((v) => [v.version, v.updated_by || '', fmtTime(v.updated_at)])));
  }

  async function usage() {
    const group = select([['model', t('admin.by_model')], ['key', t('admin.by_key')]], 'model', { 'aria-label': t('admin.group_by') });
    const days = select([['7', t('admin.days', { n: 7 })], ['30', t('admin.days', { n: 30 })], ['90', t('admin.days', { n: 90 })]], '30', { 'aria-label': t('admin.period') });
    const out = h('div');
    // The operator tenant's owners read every tenant's usage; others their own.
    let tenant = null;
    if (me.role === 'owner' && me.tenant === 'default') {
      const list = await api('GET', '/api/v1/tenants');
      tenant = select(list.data.map((x) => [x.id, x.name + ' (' + x.id + ')']), me.tenant, { 'aria-label': t('admin.tenant') });
    }
    const load = async () => {
      const from = new Date(Date.now() - (Number(days.value) - 1) * 86400000).toISOString().slice(0, 10);
      const which = tenant ? '&tenant=' + encodeURIComponent(tenant.value) : '';
      const r = await api('GET', '/api/v1/usage?group_by=day,' + group.value + '&from=' + from + which);
      const totals = await api('GET', '/api/v1/usage?group_by=' + group.value + '&from=' + from + which);
      clear(out, usageChart(r.data, group.value, from, Number(days.value)),
        table([group.value === 'model' ? t('admin.model') : t('admin.key'), t('admin.requests'), t('admin.prompt_tokens'), t('admin.completion_tokens'), t('admin.total_tokens')],
          totals.data.map((x) => [x[group.value] || '—', x.requests, x.prompt_tokens, x.completion_tokens, x.total_tokens])));
    };
    for (const control of [group, days, tenant]) if (control) control.addEventListener('change', load);
    clear(panel, h('div', { class: 'row-actions' }, tenant ? h('label', {}, t('admin.tenant'), ' ', tenant) : null,
      h('label', {}, t('admin.group_by'), ' ', group), h('label', {}, t('admin.period'), ' ', days)), out);
    await load();
  }
}

function groups(text) {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function quota(n) {
  return n ? String(n) : '∞';
}

function table(head, rows) {
  if (!rows.length) return h('p', { class: 'muted' }, t('empty'));
  return h('table', {}, h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

// A listing the API pages (users, keys): the first page as a table, and
// "Load more" appending the next page (its cursor is the page's next_after).
function pagedTable(head, first, path, row) {
  const out = h('div', { class: 'paged' }, table(head, first.data.map(row)));
  const more = (page) => {
    if (!page.has_more) return;
    const button = h('button', { type: 'button', class: 'more', onclick: async () => {
      button.disabled = true;
      let next;
      try {
        next = await api('GET', path + '?after=' + encodeURIComponent(page.next_after));
      } catch (e) {
        button.disabled = false;
        toast(e.message, 'error');
        return;
      }
      button.remove();
      out.querySelector('tbody').append(...next.data.map((r) => h('tr', {}, row(r).map((c) => h('td', {}, c)))));
      more(next);
    } }, t('admin.more'));
    out.append(button);
  };
  more(first);
  return out;
}

// A secret (key) shown exactly once, with copy; it is never stored.
async function showSecret(title, secret) {
  const box = h('input', { class: 'mono secret', readonly: true, value: secret || '', 'aria-label': t('admin.key') });
  await modal(title, h('div', {}, h('p', { class: 'notice' }, t('admin.shown_once')), box,
    h('button', { type: 'button', onclick: async () => { box.select(); try { await navigator.clipboard.writeText(box.value); } catch { document.execCommand('copy'); } toast(t('copied')); } }, t('copy'))),
  [{ label: t('admin.stored_it'), value: true, kind: 'primary' }]);
}
