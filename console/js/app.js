// The console shell: sign-in, navigation by role, language switch, and a
// hash router (#/assistant, #/documents, ...) so the server serves one page.
import { api, session, sessionExpired, signOut } from './api.js';
import { h, clear, badge, toast } from './dom.js';
import { t, LANGUAGES, language, setLanguage, onLanguageChange } from './i18n.js';
import { renderSignIn } from './views/signin.js';

const ROOT = document.getElementById('app');

// What each page needs from the caller's role (the server enforces the same).
const PAGES = [
  { id: 'assistant', label: 'nav.assistant', roles: ['owner', 'admin', 'member', 'service'], load: () => import('./views/assistant.js') },
  { id: 'documents', label: 'nav.documents', roles: ['owner', 'admin', 'member', 'service'], load: () => import('./views/documents.js') },
  { id: 'models', label: 'nav.models', roles: ['owner', 'admin', 'member', 'service', 'auditor'], load: () => import('./views/models.js') },
  { id: 'admin', label: 'nav.admin', roles: ['owner', 'admin'], load: () => import('./views/admin.js') },
  { id: 'audit', label: 'nav.audit', roles: ['owner', 'admin', 'auditor'], load: () => import('./views/audit.js') },
  { id: 'readiness', label: 'nav.readiness', roles: ['owner', 'admin', 'auditor'], load: () => import('./views/readiness.js') },
];

let me = null;
let cleanup = null;
let signOutReason = '';

function allowedPages() {
  return PAGES.filter((p) => me && p.roles.includes(me.role));
}

function currentPage() {
  const id = (location.hash.match(/^#\/([a-z]+)/) || [])[1];
  const pages = allowedPages();
  return pages.find((p) => p.id === id) || pages[0];
}

function languagePicker() {
  return h('label', { class: 'lang' }, h('span', { class: 'sr-only' }, t('language')),
    h('select', { 'aria-label': t('language'), onchange: (e) => setLanguage(e.target.value) },
      LANGUAGES.map((l) => h('option', { value: l.code, selected: l.code === language() }, l.name))));
}

function header(active) {
  return h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/' + allowedPages()[0].id }, h('img', { src: '/console/favicon.svg', alt: '' }), 'daulat'),
    h('nav', { 'aria-label': t('nav.main') },
      allowedPages().map((p) => h('a', { href: '#/' + p.id, class: p.id === active.id ? 'active' : '', 'aria-current': p.id === active.id ? 'page' : null }, t(p.label)))),
    h('div', { class: 'who' },
      h('span', { class: 'subject', title: me.tenant }, me.subject.replace(/^user:/, ''), ' · ', t('role.' + me.role)),
      badge(me.clearance),
      languagePicker(),
      h('button', { type: 'button', class: 'link', onclick: async () => { await signOut(); showSignIn(''); } }, t('signout'))));
}

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  if (!me) return;
  const page = currentPage();
  if (!location.hash.startsWith('#/' + page.id)) history.replaceState(null, '', '#/' + page.id);
  const main = h('main', { id: 'main', tabindex: '-1' });
  clear(ROOT, h('a', { class: 'skip', href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } }, t('skip')), header(page), main);
  document.title = t(page.label) + ' · daulat';
  try {
    const mod = await page.load();
    cleanup = (await mod.render(main, { me, route: location.hash })) || null;
  } catch (e) {
    clear(main, h('p', { class: 'error' }, e.message));
  }
}

function showSignIn(reason) {
  me = null;
  if (cleanup) { cleanup(); cleanup = null; }
  document.title = t('signin.title') + ' · daulat';
  renderSignIn(ROOT, { reason, languagePicker, onSignedIn: (who) => { me = who; route(); } });
}

window.addEventListener('hashchange', () => { if (me) route(); });
window.addEventListener('daulat:signed-out', (e) => {
  signOutReason = e.detail.reason;
  if (me) { toast(t('session.expired'), 'error'); showSignIn(signOutReason); }
});
onLanguageChange(() => (me ? route() : showSignIn(signOutReason)));

async function start() {
  const s = session();
  if (!s || sessionExpired(s)) return showSignIn(s ? 'expired' : '');
  try {
    const who = await api('GET', '/api/v1/me');
    if (!who.authenticated) return showSignIn('');
    me = who;
    route();
  } catch {
    showSignIn('expired');
  }
}

start();
