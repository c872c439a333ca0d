// Documents: collections, uploads (drag and drop, classification and ACL
// groups chosen per upload, per-file progress from the ingestion job),
// the document list, search, details, summaries and deletion.
// Endpoints: /api/v1/collections, /api/v1/collections/{id}/documents,
// /api/v1/jobs/{id}, /api/v1/documents, /api/v1/search, /api/v1/summarize.
import { api, stream, upload } from '../api.js';
import { h, clear, badge, LEVELS, toast, modal, field, select, fmtTime, fmtBytes, submitting } from '../dom.js';
import { t } from '../i18n.js';
import { highlight } from './assistant.js';

export async function render(root, { me, route }) {
  const levels = LEVELS.slice(0, LEVELS.indexOf(me.clearance) + 1);
  const manage = ['owner', 'admin'].includes(me.role);
  const state = { collection: '', timers: new Set() };
  const collections = h('ul', { class: 'coll-list' });
  const docs = h('div', { class: 'doc-table' });
  const detail = h('aside', { class: 'detail', hidden: true });
  const progress = h('ul', { class: 'upload-progress', 'aria-live': 'polite' });
  const level = select(levels, levels[0], { name: 'classification' });
  const acl = h('input', { name: 'acl', placeholder: t('documents.acl_placeholder') });
  const files = h('input', { type: 'file', multiple: true, class: 'sr-only', id: 'file-input', tabindex: '-1', 'aria-label': t('documents.drop'), onchange: () => sendFiles(files.files) });
  const drop = h('div', { class: 'dropzone', tabindex: '0', role: 'button', 'aria-label': t('documents.drop'),
    onclick: () => files.click(), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); files.click(); } } },
  h('strong', {}, t('documents.drop')), h('span', { class: 'muted' }, t('documents.formats')));
  for (const ev of ['dragenter', 'dragover']) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); sendFiles(e.dataTransfer.files); });
  const query = h('input', { type: 'search', placeholder: t('documents.search_placeholder'), 'aria-label': t('documents.search') });
  const results = h('div', { class: 'results' });

  const newCollection = manage ? h('form', {
    class: 'inline-form',
    onsubmit: submitting(async (f, form) => {
      const id = f.id.value.trim();
      await api('POST', '/api/v1/collections', { id, name: f.name.value.trim() || id });
      form.reset();
      state.collection = id;
      loadCollections();
    }),
  }, h('input', { name: 'id', required: true, placeholder: t('documents.collection_id'), 'aria-label': t('documents.collection_id'), pattern: '[a-z0-9][a-z0-9_-]*' }),
  h('input', { name: 'name', placeholder: t('documents.collection_name'), 'aria-label': t('documents.collection_name') }),
  h('button', { type: 'submit' }, t('documents.create_collection'))) : null;

  clear(root, h('div', { class: 'documents' },
    h('aside', { class: 'collections' }, h('h2', {}, t('documents.collections')), collections, newCollection),
    h('section', { class: 'doc-main' },
      h('div', { class: 'upload-box' },
        h('h2', {}, t('documents.upload')),
        h('div', { class: 'upload-options' }, field(t('documents.classification'), level), field(t('documents.acl'), acl, t('documents.acl_hint'))),
        drop, files, progress),
      h('form', { class: 'search-bar', onsubmit: (e) => { e.preventDefault(); search(); } }, query, h('button', { type: 'submit' }, t('documents.search'))),
      results, docs),
    detail));

  async function loadCollections() {
    const r = await api('GET', '/api/v1/collections');
    if (!state.collection && r.data.length) state.collection = r.data[0].id;
    clear(collections, r.data.length ? r.data.map((c) => h('li', {},
      h('button', { type: 'button', class: c.id === state.collection ? 'active' : '', 'aria-pressed': String(c.id === state.collection),
        onclick: () => { state.collection = c.id; loadCollections(); } }, c.name || c.id)))
      : h('li', { class: 'muted' }, t('documents.no_collections')));
    drop.classList.toggle('disabled', !state.collection);
    loadDocuments();
  }

  // The collection's documents a page at a time (the API lists at most
  // 1,000 per request); "Load more" follows the page's cursor.
  async function loadDocuments(after) {
    if (!state.collection) { clear(docs); return; }
    const collection = state.collection;
    const q = new URLSearchParams({ collection, limit: '100' });
    if (after) q.set('after', after);
    const r = await api('GET', '/api/v1/documents?' + q);
    if (collection !== state.collection) return;  // another collection was opened meanwhile
    const rows = r.data.map((d) => h('tr', {},
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => openDocument(d.id) }, d.title || d.source_name), h('div', { class: 'muted small' }, d.source_name)),
      h('td', {}, d.format), h('td', {}, badge(d.classification), d.acl.length ? h('div', { class: 'small' }, d.acl.join(', ')) : null),
      h('td', {}, d.pages || '—'), h('td', {}, fmtTime(d.created_at)),
      h('td', {}, h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'link', onclick: () => summarise(d) }, t('documents.summarise')),
        h('button', { type: 'button', class: 'link danger', onclick: () => remove(d) }, t('delete'))))));
    const more = r.has_more ? h('button', { type: 'button', class: 'more', onclick: async (e) => {
      const button = e.currentTarget;
      button.disabled = true;
      try { await loadDocuments(r.next_after); button.remove(); } catch (err) { button.disabled = false; toast(err.message, 'error'); }
    } }, t('documents.more')) : null;
    const body = after && docs.querySelector('tbody');
    if (body) {
      body.append(...rows);
      if (more) docs.append(more);
      return;
    }
    clear(docs, rows.length ? h('table', {},
      h('thead', {}, h('tr', {}, [t('documents.title'), t('documents.format'), t('documents.classification'), t('documents.pages'), t('documents.added'), ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows))
      : h('p', { class: 'muted' }, t('documents.empty')), more);
  }

  async function sendFiles(list) {
    if (!state.collection) return toast(t('documents.pick_collection'), 'error');
    if (!list || !list.length) return;
    const form = new FormData();
    form.append('classification', level.value);
    if (acl.value.trim()) form.append('acl', acl.value.trim());
    const rows = new Map();
    for (const f of list) {
      form.append('file', f, f.name);
      const bar = h('progress', { max: 100, value: 0 });
      const status = h('span', { class: 'status' }, t('documents.uploading'));
      const li = h('li', {}, h('span', { class: 'name' }, f.name), bar, status);
      rows.set(f.name, { li, bar, status });
      progress.append(li);
    }
    files.value = '';
    try {
      const job = await upload('/api/v1/collections/' + encodeURIComponent(state.collection) + '/documents?async=true', form,
        (p) => { for (const r of rows.values()) r.bar.value = Math.round(p * 50); });
      follow(job.id, rows);
    } catch (e) {
      for (const r of rows.values()) { r.status.textContent = e.message; r.li.classList.add('failed'); }
    }
  }

  // Polls the ingestion job until every file has an outcome.
  function follow(jobId, rows) {
    const tick = async () => {
      state.timers.delete(timer);
      let job;
      try { job = await api('GET', '/api/v1/jobs/' + encodeURIComponent(jobId)); } catch { return; }
      for (const f of job.files) {
        const r = rows.get(f.name);
        if (!r) continue;
        const done = ['added', 'duplicate', 'failed'].includes(f.status);
        r.bar.value = done ? 100 : f.status === 'running' ? 75 : 50;
        r.status.textContent = t('documents.file_' + f.status) + (f.error ? ': ' + f.error : '');
        r.li.className = f.status;
      }
      if (job.status === 'queued' || job.status === 'running') {
        timer = setTimeout(tick, 400);
        state.timers.add(timer);
      } else {
        toast(t('documents.job_done', { added: job.counts.added, failed: job.counts.failed }), job.counts.failed ? 'error' : 'info');
        loadCollections();
      }
    };
    let timer = setTimeout(tick, 200);
    state.timers.add(timer);
  }

  async function search() {
    const q = query.value.trim();
    if (!q) { clear(results); return; }
    const body = { query: q, top_k: 8 };
    if (state.collection) body.collection = state.collection;
    const r = await api('POST', '/api/v1/search', body);
    clear(results, h('h2', {}, t('documents.results', { n: r.data.length })), r.data.map((hit) => h('div', { class: 'hit' },
      h('div', {}, h('button', { type: 'button', class: 'link', onclick: () => openDocument(hit.document_id) }, hit.title || hit.source_name), ' ', badge(hit.classification),
        hit.page ? h('span', { class: 'muted small' }, ' ', t('page', { n: hit.page })) : null, hit.heading_path ? h('span', { class: 'muted small' }, ' · ', hit.heading_path) : null),
      h('p', { class: 'snippet' }, highlight(hit.text.length > 400 ? hit.text.slice(0, 400) + '…' : hit.text, q)))));
  }

  // The document's details and its text; `cited` (a passage's first
  // character) is highlighted and scrolled to when a citation led here.
  async function openDocument(id, cited = null) {
    let d, text;
    try {
      [d, text] = await Promise.all([api('GET', '/api/v1/documents/' + encodeURIComponent(id)),
        api('GET', '/api/v1/documents/' + encodeURIComponent(id) + '/passages')]);
    } catch (e) { return toast(e.message, 'error'); }
    detail.hidden = false;
    const rows = [['documents.title', d.title], ['documents.source', d.source_name], ['documents.collection', d.collection], ['documents.format', d.format],
      ['documents.language', d.language], ['documents.pages', d.pages], ['documents.chunks', d.chunks], ['documents.size', fmtBytes(d.size_bytes)],
      ['documents.version', d.version], ['documents.ocr_pages', d.ocr_pages], ['documents.hash', d.content_hash], ['documents.added', fmtTime(d.created_at)]];
    clear(detail, h('div', { class: 'passage-head' }, h('h2', {}, d.title || d.source_name),
      h('button', { type: 'button', class: 'icon', 'aria-label': t('close'), onclick: () => { detail.hidden = true; } }, '×')),
    h('p', {}, badge(d.classification), d.acl.length ? ' ' + t('documents.groups') + ': ' + d.acl.join(', ') : ''),
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, t(k)), h('dd', {}, String(v ?? ''))])),
    h('div', { class: 'row-actions' },
      h('button', { type: 'button', onclick: () => summarise(d) }, t('documents.summarise')),
      h('button', { type: 'button', class: 'danger', onclick: () => remove(d) }, t('delete'))),
    h('details', { class: 'doc-text', open: cited !== null }, h('summary', {}, t('documents.text'), text.truncated ? ' ' + t('documents.text_truncated') : ''),
      text.data.map((p) => h('div', { class: 'doc-passage' + (p.char_start === cited ? ' passage-cited' : ''), dataset: { start: p.char_start } },
        h('div', { class: 'muted small' }, p.page ? t('page', { n: p.page }) : '', p.heading_path ? ' · ' + p.heading_path : ''), h('p', {}, p.text)))));
    const target = detail.querySelector('.passage-cited');
    if (target) target.scrollIntoView({ block: 'center' });
  }

  async function summarise(d) {
    const out = h('div', { class: 'summary', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('documents.summarising')));
    const bar = h('progress', { max: 1, value: 0 });
    const controller = new AbortController();
    const pending = modal(t('documents.summary_of', { title: d.title || d.source_name }), h('div', {}, bar, out),
      [{ label: t('close'), value: true }]).then(() => controller.abort());
    try {
      await stream('/api/v1/summarize', { document_id: d.id }, (ev) => {
        if (ev.object === 'summary.progress') { bar.max = ev.total; bar.value = ev.done; } else if (ev.object === 'summary') {
          bar.value = bar.max;
          clear(out, h('p', {}, badge(ev.classification)), ev.key_points.length
            ? h('ul', {}, ev.key_points.map((p) => h('li', {}, p.text, ' ', p.citations.map((n) => h('span', { class: 'chip inline' }, n)))))
            : h('p', { class: 'no-answer' }, t('documents.no_points')));
        }
      }, { signal: controller.signal });
    } catch (e) { if (e.name !== 'AbortError') clear(out, h('p', { class: 'error' }, e.message)); }
    return pending;
  }

  async function remove(d) {
    const ok = await modal(t('documents.delete_title'), h('div', {}, h('p', {}, t('documents.delete_confirm', { title: d.title || d.source_name })), h('p', { class: 'muted' }, t('documents.delete_audit'))),
      [{ label: t('cancel'), value: false }, { label: t('delete'), value: true, kind: 'danger' }]);
    if (!ok) return;
    try {
      await api('DELETE', '/api/v1/documents/' + encodeURIComponent(d.id));
      toast(t('documents.deleted'));
      detail.hidden = true;
      loadCollections();
    } catch (e) { toast(e.message, 'error'); }
  }

  await loadCollections();
  const [, wanted, at] = route.match(/^#\/documents\/([^/]+)(?:\/(\d+))?$/) || [];
  if (wanted) openDocument(decodeURIComponent(wanted), at === undefined ? null : Number(at));
  return () => { for (const x of state.timers) clearTimeout(x); };
}
