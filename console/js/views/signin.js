// Sign-in: tenant, user and password (a session that expires), or an API
// key for service users and the first administrator (the bootstrap key).
import { signIn } from '../api.js';
import { h, clear, field } from '../dom.js';
import { t } from '../i18n.js';

export function renderSignIn(root, { reason, languagePicker, onSignedIn }) {
  let mode = 'password';
  const error = h('p', { class: 'error', role: 'alert' });
  const tenant = h('input', { name: 'tenant', autocomplete: 'organization', placeholder: 'default' });
  const username = h('input', { name: 'username', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const key = h('input', { name: 'key', type: 'password', autocomplete: 'off', required: true });
  const fields = h('div');
  const submit = h('button', { type: 'submit', class: 'primary' }, t('signin.submit'));
  const tabs = h('div', { class: 'tabs', role: 'tablist' });

  function draw() {
    clear(tabs, ['password', 'key'].map((m) => h('button', {
      type: 'button', role: 'tab', 'aria-selected': String(m === mode), class: m === mode ? 'active' : '',
      onclick: () => { mode = m; draw(); },
    }, t('signin.with_' + m))));
    clear(fields, mode === 'password'
      ? [field(t('signin.tenant'), tenant, t('signin.tenant_hint')), field(t('signin.username'), username), field(t('signin.password'), password)]
      : [field(t('signin.key'), key, t('signin.key_hint'))]);
  }

  const form = h('form', {
    class: 'signin-card',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      submit.disabled = true;
      try {
        const me = mode === 'password'
          ? await signIn({ tenant: tenant.value.trim(), username: username.value.trim(), password: password.value })
          : await signIn({ key: key.value.trim() });
        password.value = '';
        key.value = '';
        onSignedIn(me);
      } catch (err) {
        error.textContent = err.status === 401 ? t('signin.failed') : err.message;
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h1', {}, h('img', { src: '/console/favicon.svg', alt: '' }), 'daulat'),
  h('p', { class: 'muted' }, t('signin.tagline')),
  reason === 'expired' ? h('p', { class: 'notice' }, t('session.expired')) : null,
  tabs, fields, error, submit);
  draw();
  clear(root, h('div', { class: 'signin' }, h('div', { class: 'signin-lang' }, languagePicker()), form));
  (mode === 'password' ? username : key).focus();
}
