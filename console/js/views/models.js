// Models: the registry (manifest and model card of each model: origin,
// licence, checksum, highest classification, where it runs) and a
// playground for chat completions with parameters.
// Endpoints: /api/v1/models, /v1/chat/completions.
import { api, stream } from '../api.js';
import { h, clear, badge, field, fmtBytes, fmtTime, toast } from '../dom.js';
import { t } from '../i18n.js';

export async function render(root, { me }) {
  const r = await api('GET', '/api/v1/models');
  const card = h('section', { class: 'model-card', 'aria-live': 'polite' });
  const canInfer = me.role !== 'auditor';
  clear(root, h('div', { class: 'models' },
    h('section', {}, h('h1', {}, t('models.title')),
      h('table', {}, h('thead', {}, h('tr', {}, [t('models.name'), t('models.runs_on'), t('models.max_classification'), t('models.capabilities')].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, r.data.map((m) => h('tr', {},
          h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => showCard(m) }, m.id)),
          h('td', {}, m.backend === 'local' ? t('models.local') : m.backend + ' (' + (m.jurisdiction || '?') + ')'),
          h('td', {}, badge(m.max_classification)), h('td', {}, (m.capabilities || []).join(', '))))))),
    card,
    canInfer ? playground(r.data.filter((m) => (m.capabilities || []).includes('chat'))) : null));
  if (r.data.length) showCard(r.data[0]);

  function showCard(m) {
    const facts = m.backend === 'local'
      ? [['models.origin', m.origin], ['models.upstream', m.upstream], ['models.licence', m.licence], ['models.sha256', m.sha256],
        ['models.size', fmtBytes(m.size_bytes)], ['models.architecture', m.architecture], ['models.quantisation', m.quantisation],
        ['models.context', m.context_length], ['models.file', m.file], ['models.loaded', fmtTime(m.loaded_at)]]
      : [['models.backend', m.backend], ['models.runs_on', m.runs_on], ['models.jurisdiction', m.jurisdiction]];
    clear(card, h('h2', {}, m.id, ' ', badge(m.max_classification)),
      h('p', { class: 'muted' }, m.backend === 'local' ? t('models.local_hint') : t('models.remote_hint')),
      h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, t(k)), h('dd', { class: k === 'models.sha256' ? 'mono' : '' }, String(v ?? ''))])),
      h('h3', {}, t('models.card')), h('p', { class: 'model-card-text' }, m.model_card || t('models.no_card')));
  }
}

function playground(models) {
  const model = h('select', { name: 'model' }, models.map((m) => h('option', { value: m.id }, m.id)));
  const system = h('textarea', { rows: 2, name: 'system' });
  const prompt = h('textarea', { rows: 3, name: 'prompt', required: true });
  const temperature = h('input', { type: 'number', min: 0, max: 2, step: 0.1, value: 0.7, name: 'temperature' });
  const topP = h('input', { type: 'number', min: 0, max: 1, step: 0.05, value: 1, name: 'top_p' });
  const maxTokens = h('input', { type: 'number', min: 1, max: 8192, value: 256, name: 'max_tokens' });
  const seed = h('input', { type: 'number', name: 'seed', placeholder: t('models.seed_random') });
  const output = h('pre', { class: 'playground-output', 'aria-live': 'polite' });
  const usage = h('p', { class: 'muted small' });
  const run = h('button', { type: 'submit', class: 'primary' }, t('models.run'));
  const stop = h('button', { type: 'button', class: 'danger', hidden: true }, t('assistant.stop'));
  let controller = null;
  stop.addEventListener('click', () => controller && controller.abort());
  return h('section', { class: 'playground' }, h('h2', {}, t('models.playground')),
    h('form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const messages = [];
        if (system.value.trim()) messages.push({ role: 'system', content: system.value });
        messages.push({ role: 'user', content: prompt.value });
        const body = { model: model.value, messages, temperature: Number(temperature.value), top_p: Number(topP.value), max_tokens: Number(maxTokens.value), stream_options: { include_usage: true } };
        if (seed.value !== '') body.seed = Number(seed.value);
        clear(output);
        usage.textContent = '';
        controller = new AbortController();
        run.hidden = true; stop.hidden = false;
        try {
          await stream('/v1/chat/completions', body, (ev) => {
            const delta = ev.choices && ev.choices[0] && ev.choices[0].delta;
            if (delta && delta.content) output.append(delta.content);
            if (ev.usage) usage.textContent = t('models.usage', { prompt: ev.usage.prompt_tokens, completion: ev.usage.completion_tokens });
          }, { signal: controller.signal });
        } catch (err) {
          if (err.name !== 'AbortError') toast(err.message, 'error');
        } finally { run.hidden = false; stop.hidden = true; controller = null; }
      },
    },
    h('div', { class: 'grid2' }, field(t('models.model'), model), field(t('models.temperature'), temperature), field(t('models.top_p'), topP),
      field(t('models.max_tokens'), maxTokens), field(t('models.seed'), seed)),
    field(t('models.system'), system), field(t('models.prompt'), prompt), h('div', {}, run, ' ', stop)),
    output, usage);
}
