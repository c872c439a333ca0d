// Lumin, the assistant: conversations, streamed answers grounded in the
// caller's documents, citations that open their passage, and the highest
// classification an answer used on a banner above it.
// Endpoints: /api/v1/conversations, /api/v1/ask, /api/v1/collections, /api/v1/models.
import { api, stream } from '../api.js';
import { h, clear, badge, levelClass, toast, select, modal } from '../dom.js';
import { t } from '../i18n.js';

export async function render(root) {
  const state = { conversation: null, busy: null, collections: [], models: [] };
  const list = h('ul', { class: 'conv-list', 'aria-label': t('assistant.conversations') });
  const messages = h('div', { class: 'messages', 'aria-live': 'polite' });
  const passage = h('aside', { class: 'passage', hidden: true, 'aria-label': t('assistant.passage') });
  const collection = h('select', { 'aria-label': t('assistant.collection') });
  const model = h('select', { 'aria-label': t('assistant.model') });
  const answerLanguage = select([['', t('assistant.lang_auto')], ['ms', 'Bahasa Melayu'], ['en', 'English']], '', { 'aria-label': t('assistant.answer_language') });
  const question = h('textarea', { rows: 2, placeholder: t('assistant.placeholder'), 'aria-label': t('assistant.question') });
  const send = h('button', { type: 'submit', class: 'primary' }, t('assistant.send'));
  const stop = h('button', { type: 'button', class: 'danger', hidden: true, onclick: () => state.busy && state.busy.abort() }, t('assistant.stop'));

  question.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); composer.requestSubmit(); }
  });
  const composer = h('form', {
    class: 'composer',
    onsubmit: (e) => { e.preventDefault(); const q = question.value.trim(); if (q && !state.busy) { question.value = ''; ask(q); } },
  }, question, h('div', { class: 'composer-actions' }, send, stop));

  clear(root, h('div', { class: 'assistant' },
    h('aside', { class: 'conversations' },
      h('button', { type: 'button', class: 'primary wide', onclick: () => openConversation(null) }, '+ ', t('assistant.new')),
      h('h2', { class: 'sr-only' }, t('assistant.conversations')), list),
    h('section', { class: 'chat', 'aria-label': t('nav.assistant') },
      h('div', { class: 'chat-bar' },
        h('label', {}, t('assistant.collection'), ' ', collection),
        h('label', {}, t('assistant.model'), ' ', model),
        h('label', {}, t('assistant.answer_language'), ' ', answerLanguage)),
      messages, composer),
    passage));

  function emptyState() {
    clear(messages, h('div', { class: 'empty' }, h('h2', {}, t('assistant.welcome')), h('p', { class: 'muted' }, t('assistant.welcome_hint'))));
  }

  async function loadLists() {
    const [cols, mods, convs] = await Promise.all([
      api('GET', '/api/v1/collections').catch(() => ({ data: [] })),
      api('GET', '/api/v1/models').catch(() => ({ data: [] })),
      api('GET', '/api/v1/conversations').catch(() => ({ data: [] })),
    ]);
    state.collections = cols.data;
    state.models = mods.data.filter((m) => (m.capabilities || []).includes('chat'));
    clear(collection, h('option', { value: '' }, t('assistant.all_collections')),
      state.collections.map((c) => h('option', { value: c.id }, c.name || c.id)));
    clear(model, h('option', { value: '' }, t('assistant.model_auto')),
      state.models.map((m) => h('option', { value: m.id }, m.id + ' (≤ ' + m.max_classification + ')')));
    drawConversations(convs.data);
  }

  function drawConversations(convs) {
    clear(list, convs.length ? convs.map((c) => h('li', { class: state.conversation === c.id ? 'active' : '' },
      h('button', { type: 'button', class: 'conv', onclick: () => openConversation(c.id) }, c.title || t('assistant.untitled')),
      h('button', { type: 'button', class: 'icon', title: t('assistant.delete_conversation'), 'aria-label': t('assistant.delete_conversation'), onclick: () => removeConversation(c) }, '×')))
      : h('li', { class: 'muted' }, t('assistant.no_conversations')));
  }

  async function refreshConversations() {
    const convs = await api('GET', '/api/v1/conversations').catch(() => ({ data: [] }));
    drawConversations(convs.data);
  }

  async function removeConversation(c) {
    const ok = await modal(t('assistant.delete_conversation'), h('p', {}, t('assistant.delete_conversation_confirm', { title: c.title || c.id })),
      [{ label: t('cancel'), value: false }, { label: t('delete'), value: true, kind: 'danger' }]);
    if (!ok) return;
    await api('DELETE', '/api/v1/conversations/' + encodeURIComponent(c.id));
    if (state.conversation === c.id) openConversation(null);
    refreshConversations();
  }

  async function openConversation(id) {
    state.conversation = id;
    passage.hidden = true;
    if (!id) { emptyState(); refreshConversations(); question.focus(); return; }
    const c = await api('GET', '/api/v1/conversations/' + encodeURIComponent(id));
    clear(messages);
    if (c.withheld) messages.append(h('p', { class: 'notice' }, t('assistant.withheld', { n: c.withheld })));
    for (const m of c.messages) {
      messages.append(questionBubble(m.question));
      const bubble = answerBubble(m.question);
      messages.append(bubble.el);
      bubble.finish(Object.assign({}, m, { answer: m.answer }));
    }
    messages.scrollTop = messages.scrollHeight;
    refreshConversations();
  }

  function questionBubble(text) {
    return h('div', { class: 'msg msg-user' }, h('div', { class: 'bubble' }, text));
  }

  // One answer: a banner with its label, the text (chips for [n]), its
  // citations, and copy/retry. `finish` draws the final answer object.
  function answerBubble(q) {
    const banner = h('div', { class: 'banner' }, t('assistant.classifying'));
    const text = h('div', { class: 'answer-text' });
    const cites = h('div', { class: 'citations' });
    const actions = h('div', { class: 'msg-actions' });
    const el = h('article', { class: 'msg msg-assistant', 'aria-label': t('assistant.answer') }, banner, text, cites, actions);
    return {
      el,
      delta(s) { text.append(s); messages.scrollTop = messages.scrollHeight; },
      fail(message) { clear(text, h('p', { class: 'error' }, message)); banner.remove(); },
      stopped() { text.append(h('p', { class: 'muted' }, t('assistant.stopped'))); banner.remove(); },
      finish(a) {
        const level = a.classification || 'TERBUKA';
        banner.className = 'banner ' + levelClass(level);
        clear(banner, h('span', {}, t('assistant.label')), ' ', h('strong', {}, level));
        banner.title = t('assistant.label_hint');
        if (a.no_answer) {
          clear(text, h('div', { class: 'no-answer', role: 'note' }, h('strong', {}, t('assistant.no_answer')), h('p', {}, a.answer)));
        } else {
          clear(text, withChips(a.answer, a.citations || [], (c) => openPassage(c, q)));
        }
        clear(cites, (a.citations || []).map((c) => h('button', {
          type: 'button', class: 'chip', onclick: () => openPassage(c, q),
          title: t('assistant.open_source'),
        }, h('span', { class: 'chip-n' }, c.n), ' ', c.title || c.document_id, c.page ? ' · ' + t('page', { n: c.page }) : '')));
        if ((a.injection_flags || []).length) cites.append(h('p', { class: 'notice' }, t('assistant.injection', { n: a.injection_flags.length })));
        if (a.citations_inferred) cites.append(h('p', { class: 'muted small' }, t('assistant.inferred')));
        clear(actions,
          h('button', { type: 'button', class: 'link', onclick: () => copy(a.answer) }, t('copy')),
          h('button', { type: 'button', class: 'link', onclick: () => !state.busy && ask(q) }, t('assistant.retry')));
      },
    };
  }

  async function ask(q) {
    if (!state.conversation) {
      const c = await api('POST', '/api/v1/conversations', { title: q.slice(0, 80) });
      state.conversation = c.id;
      clear(messages);
    }
    const emptyView = messages.querySelector('.empty');
    if (emptyView) emptyView.remove();
    messages.append(questionBubble(q));
    const bubble = answerBubble(q);
    messages.append(bubble.el);
    messages.scrollTop = messages.scrollHeight;
    const controller = new AbortController();
    state.busy = controller;
    send.hidden = true;
    stop.hidden = false;
    const body = { question: q, conversation_id: state.conversation };
    if (collection.value) body.collection = collection.value;
    if (model.value) body.model = model.value;
    if (answerLanguage.value) body.language = answerLanguage.value;
    try {
      let final = null;
      await stream('/api/v1/ask', body, (ev) => {
        if (ev.object === 'answer.delta') bubble.delta(ev.text);
        else if (ev.object === 'answer') final = ev;
      }, { signal: controller.signal });
      if (final) bubble.finish(final);
    } catch (e) {
      if (e.name === 'AbortError') bubble.stopped();
      else bubble.fail(e.message);
    } finally {
      state.busy = null;
      send.hidden = false;
      stop.hidden = true;
      refreshConversations();
      question.focus();
    }
  }

  async function openPassage(c, q) {
    passage.hidden = false;
    const close = h('button', { type: 'button', class: 'icon', 'aria-label': t('close'), onclick: () => { passage.hidden = true; } }, '×');
    clear(passage, h('div', { class: 'passage-head' }, h('h2', {}, t('assistant.source'), ' [', c.n, ']'), close),
      h('h3', {}, c.title || c.document_id),
      h('p', { class: 'meta' }, badge(c.classification), c.page ? ' ' + t('page', { n: c.page }) : '',
        c.heading_path ? ' · ' + c.heading_path : '', ' · ', t('assistant.chars', { from: c.char_start, to: c.char_end })),
      h('blockquote', { class: 'passage-text' }, highlight(c.text || '', q)),
      h('a', { href: '#/documents/' + encodeURIComponent(c.document_id) + '/' + c.char_start }, t('assistant.open_document')));
    close.focus();
  }

  loadLists().then(() => { emptyState(); });
  return () => { if (state.busy) state.busy.abort(); };
}

// The answer with each [n] turned into a button that opens source n.
function withChips(text, citations, open) {
  const out = h('div', { class: 'answer-body' });
  const byN = new Map(citations.map((c) => [c.n, c]));
  for (const para of String(text).split(/\n{2,}/)) {
    const p = h('p');
    let last = 0;
    for (const m of para.matchAll(/\[(\d+)\]/g)) {
      const c = byN.get(Number(m[1]));
      if (!c) continue;
      p.append(para.slice(last, m.index), h('button', { type: 'button', class: 'chip inline', onclick: () => open(c), title: c.title || '' }, m[1]));
      last = m.index + m[0].length;
    }
    p.append(para.slice(last));
    out.append(p);
  }
  return out;
}

// The passage with the question's words (3+ letters, any script) marked.
export function highlight(text, query) {
  const words = [...new Set(String(query || '').toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || [])];
  if (!words.length) return text;
  const re = new RegExp('(' + words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') + ')', 'giu');
  const out = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    out.push(text.slice(last, m.index), h('mark', {}, m[0]));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('copied'));
  } catch {
    const area = h('textarea', { class: 'sr-only' }, text);
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
    toast(t('copied'));
  }
}
