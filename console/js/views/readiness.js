// Readiness (STAR assessment): the tenant's assessments, a step-by-step
// questionnaire (one pillar per step, then the facts the obligations read),
// and the report: score, tier, radar, gates, gaps, roadmap, a generated
// narrative marked as such, and HTML/PDF downloads.
// Endpoints: /api/v1/assessments (framework, create, answers, score, versions, report, narrative).
import { api } from '../api.js';
import { h, clear, toast, field, download, fmtTime, submitting } from '../dom.js';
import { t, language } from '../i18n.js';

const NS = 'http://www.w3.org/2000/svg';

export async function render(root, { me, route }) {
  const canEdit = ['owner', 'admin'].includes(me.role);
  const framework = await api('GET', '/api/v1/assessments/framework?language=' + language());
  const wanted = (route.match(/^#\/readiness\/(asm_[a-z0-9]+)/) || [])[1];
  if (wanted) return openAssessment(wanted);
  return showList();

  async function showList() {
    const list = await api('GET', '/api/v1/assessments');
    const form = canEdit ? h('form', {
      class: 'card-form',
      onsubmit: submitting(async (f) => {
        const a = await api('POST', '/api/v1/assessments', { title: f.title.value.trim(), organisation: f.organisation.value.trim() });
        location.hash = '#/readiness/' + a.id;
      }),
    }, h('h2', {}, t('readiness.new')),
    h('div', { class: 'grid2' }, field(t('readiness.organisation'), h('input', { name: 'organisation', required: true, maxlength: 200 })),
      field(t('readiness.title'), h('input', { name: 'title', required: true, maxlength: 200 }))),
    h('p', { class: 'muted small' }, t('readiness.evidence_hint')),
    h('button', { type: 'submit', class: 'primary' }, t('readiness.start'))) : null;
    clear(root, h('h1', {}, t('nav.readiness')), h('p', { class: 'muted' }, framework.title + ' (' + framework.id + '@' + framework.version + ')'),
      list.data.length ? h('table', {}, h('thead', {}, h('tr', {}, [t('readiness.organisation'), t('readiness.title'), t('readiness.latest'), t('readiness.tier'), t('readiness.versions'), ''].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, list.data.map((a) => h('tr', {},
          h('td', {}, h('a', { href: '#/readiness/' + a.id }, a.organisation)), h('td', {}, a.title),
          h('td', {}, a.latest ? String(a.latest.overall) : '—'), h('td', {}, a.latest ? tierTitle(a.latest.tier) : '—'),
          h('td', {}, String(a.versions)), h('td', {}, fmtTime(a.updated_at))))))
        : h('p', { class: 'muted' }, t('readiness.none')), form);
  }

  function tierTitle(id) { return (framework.tiers.find((x) => x.id === id) || { title: id }).title; }

  async function openAssessment(id) {
    const a = await api('GET', '/api/v1/assessments/' + id);
    const versions = await api('GET', '/api/v1/assessments/' + id + '/versions');
    const steps = framework.pillars.map((p) => ({ kind: 'pillar', pillar: p })).concat([{ kind: 'facts' }]);
    let step = 0;
    const body = h('div');
    const stepper = h('ol', { class: 'stepper', 'aria-label': t('readiness.steps') });
    clear(root, h('p', {}, h('a', { href: '#/readiness' }, '← ' + t('nav.readiness'))),
      h('h1', {}, a.organisation, ' · ', a.title), stepper, body);
    if (versions.data.length && !canEdit) return showReport(id);

    function drawStepper() {
      clear(stepper, steps.map((s, i) => h('li', { class: i === step ? 'active' : '' },
        h('button', { type: 'button', class: 'link', 'aria-current': i === step ? 'step' : null, onclick: () => { step = i; drawStep(); } },
          s.kind === 'pillar' ? s.pillar.title : t('readiness.facts')))),
      h('li', {}, h('button', { type: 'button', class: 'link', disabled: !versions.data.length, onclick: () => showReport(id) }, t('readiness.report'))));
    }

    function drawStep() {
      drawStepper();
      const s = steps[step];
      const answers = a.answers.answers || {};
      const controls = [];
      let content;
      if (s.kind === 'pillar') {
        content = s.pillar.dimensions.flatMap((d) => d.questions.map((q) => {
          const cur = answers[q.id] || {};
          const reason = h('input', { name: q.id + '.reason', value: cur.reason || '', placeholder: t('readiness.reason_placeholder'), 'aria-label': t('readiness.reason'), disabled: !canEdit });
          const reasonBox = h('div', { class: 'reason', hidden: !(cur.evidence && cur.level && cur.level !== cur.evidence.level) }, field(t('readiness.reason'), reason));
          const radios = q.levels.map((text, i) => h('label', { class: 'level-choice' },
            h('input', { type: 'radio', name: q.id, value: String(i + 1), checked: cur.level === i + 1, disabled: !canEdit,
              onchange: () => { reasonBox.hidden = !(cur.evidence && Number(i + 1) !== cur.evidence.level); } }),
            h('strong', {}, String(i + 1), ' · ', framework.levels[i]), ' ', text));
          controls.push({ q, cur, reason });
          return h('fieldset', { class: 'question' }, h('legend', {}, q.text),
            cur.evidence ? h('p', { class: 'evidence small' }, t('readiness.evidence', { signal: cur.evidence.signal, value: JSON.stringify(cur.evidence.observed), level: cur.evidence.level })) : null,
            radios, reasonBox);
        }));
      } else {
        const facts = a.answers.facts || {};
        content = framework.facts.map((f) => {
          const input = f.type === 'boolean'
            ? h('select', { name: f.id, disabled: !canEdit }, h('option', { value: '' }, '—'), h('option', { value: 'true', selected: facts[f.id] === true }, t('yes')), h('option', { value: 'false', selected: facts[f.id] === false }, t('no')))
            : h('input', { name: f.id, type: 'number', min: 0, step: f.type === 'integer' ? 1 : 'any', value: facts[f.id] ?? '', disabled: !canEdit });
          controls.push({ fact: f, input });
          return field(f.text, input);
        });
      }
      const save = async (next) => {
        const patch = { answers: {}, facts: {} };
        for (const c of controls) {
          if (c.q) {
            const picked = body.querySelector(`input[name="${CSS.escape(c.q.id)}"]:checked`);
            if (!picked) continue;
            const level = Number(picked.value);
            if (level === c.cur.level && c.cur.source === 'evidence') continue;
            patch.answers[c.q.id] = c.reason.value.trim() ? { level, reason: c.reason.value.trim() } : level;
          } else {
            const v = c.input.value;
            patch.facts[c.fact.id] = v === '' ? null : c.fact.type === 'boolean' ? v === 'true' : Number(v);
          }
        }
        try {
          Object.assign(a, await api('PATCH', '/api/v1/assessments/' + id + '/answers', patch));
          if (next === 'score') {
            await api('POST', '/api/v1/assessments/' + id + '/score', { language: language() });
            versions.data.push({});
            return showReport(id);
          }
          step = Math.min(steps.length - 1, step + next);
          drawStep();
          window.scrollTo(0, 0);
        } catch (err) { toast(err.message, 'error'); }
      };
      clear(body, h('h2', {}, s.kind === 'pillar' ? s.pillar.title : t('readiness.facts_title')),
        s.kind === 'facts' ? h('p', { class: 'muted' }, t('readiness.facts_hint')) : null,
        h('form', { class: 'questionnaire', onsubmit: (e) => e.preventDefault() }, content),
        canEdit ? h('div', { class: 'row-actions' },
          step > 0 ? h('button', { type: 'button', onclick: () => save(-1) }, t('readiness.back')) : null,
          step < steps.length - 1 ? h('button', { type: 'button', class: 'primary', onclick: () => save(1) }, t('readiness.next')) : null,
          h('button', { type: 'button', class: step === steps.length - 1 ? 'primary' : '', onclick: () => save('score') }, t('readiness.score'))) : null);
    }

    async function showReport(aid) {
      drawStepper();
      const r = await api('GET', '/api/v1/assessments/' + aid + '/report?language=' + language());
      const narrative = h('div', { class: 'narrative' });
      const drawNarrative = (n) => clear(narrative, n ? h('div', { class: 'generated', role: 'note' },
        h('p', { class: 'small' }, h('strong', {}, t('readiness.generated', { model: n.model }))), h('p', {}, n.text)) : null);
      drawNarrative(r.narrative);
      const before = new Map(((r.baseline && r.baseline.pillars) || []).map((p) => [p.id, p.score]));
      clear(body, h('section', { class: 'report', 'aria-label': t('readiness.report') },
        h('div', { class: 'report-head' },
          h('div', {}, h('div', { class: 'big-score' }, String(r.overall), h('small', {}, ' / 100')), h('p', {}, t('readiness.tier'), ': ', h('strong', {}, r.tier.title)),
            h('p', { class: 'muted small' }, t('readiness.version', { n: r.version }), r.baseline ? ' · ' + t('readiness.compared', { n: r.baseline.version, overall: r.baseline.overall }) : ''),
            r.blocked_stages.length ? h('p', { class: 'error' }, t('readiness.blocked', { stages: r.blocked_stages.map((s) => (framework.stages.find((x) => x.id === s) || { title: s }).title).join(', ') })) : h('p', { class: 'ok' }, t('readiness.not_blocked'))),
          radar(r.pillars, r.baseline && r.baseline.pillars)),
        h('h2', {}, t('readiness.pillars')),
        h('table', {}, h('tbody', {}, r.pillars.map((p) => h('tr', {}, h('td', {}, p.title), h('td', {}, h('meter', { min: 0, max: 100, value: p.score, 'aria-label': p.title }), ' ', String(p.score)),
          h('td', {}, before.has(p.id) ? (p.score - before.get(p.id) >= 0 ? '+' : '') + (p.score - before.get(p.id)).toFixed(1) : ''), h('td', { class: 'small muted' }, p.answered + '/' + p.total))))),
        h('h2', {}, t('readiness.gates')),
        h('ul', { class: 'gates' }, r.gates.map((g) => h('li', { class: 'gate-' + g.status }, h('strong', {}, t('readiness.gate_' + g.status)), ' ', g.title,
          g.status !== 'met' ? h('div', { class: 'small' }, g.text, h('br'), h('em', {}, g.action)) : null))),
        h('h2', {}, t('readiness.roadmap')),
        r.roadmap.map((s) => h('div', { class: 'stage' }, h('h3', {}, s.title),
          s.actions.length ? h('ol', {}, s.actions.map((x) => h('li', {}, x.kind === 'gate' ? h('strong', { class: 'error' }, '[' + t('readiness.required') + '] ') : null, x.text,
            x.kind === 'gap' ? h('span', { class: 'muted small' }, ` (${x.id}: ${Math.max(x.from, 1)} → ${x.to})`) : null)))
            : h('p', { class: 'muted' }, t('readiness.nothing')))),
        h('h2', {}, t('readiness.gaps')),
        h('ol', { class: 'gaps' }, r.gaps.slice(0, 10).map((g) => h('li', {}, g.pillar_title, ': ', g.text, h('span', { class: 'muted small' }, ' ', t('readiness.level_to', { from: g.level || '—', to: g.target }))))),
        narrative,
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', onclick: () => fetchFile('html') }, t('readiness.download_html')),
          h('button', { type: 'button', onclick: () => fetchFile('pdf') }, t('readiness.download_pdf')),
          canEdit ? h('button', { type: 'button', onclick: async (e) => {
            e.target.disabled = true;
            try { drawNarrative(await api('POST', '/api/v1/assessments/' + aid + '/narrative', { language: language() })); } catch (err) { toast(err.message, 'error'); } finally { e.target.disabled = false; }
          } }, t('readiness.narrate')) : null)));

      async function fetchFile(format) {
        try {
          const res = await api('GET', `/api/v1/assessments/${aid}/report?format=${format}&language=${language()}`, undefined, { raw: true });
          download(`daulat-assessment-${aid}-v${r.version}.${format}`, await res.blob());
        } catch (err) { toast(err.message, 'error'); }
      }
    }

    drawStep();
  }
}

// Pillar scores as a radar (filled) over the baseline (dashed), inline SVG.
function radar(pillars, baseline) {
  const cx = 170, cy = 150, r = 100, n = pillars.length;
  const pt = (i, v) => { const a = -Math.PI / 2 + (2 * Math.PI * i) / n; return [cx + r * (v / 100) * Math.cos(a), cy + r * (v / 100) * Math.sin(a)]; };
  const poly = (vals, cls) => { const el = document.createElementNS(NS, 'polygon'); el.setAttribute('points', vals.map((v, i) => pt(i, v).join(',')).join(' ')); el.setAttribute('class', cls); return el; };
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 340 300');
  svg.setAttribute('class', 'radar');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('readiness.radar'));
  for (const ring of [25, 50, 75, 100]) svg.append(poly(pillars.map(() => ring), 'ring'));
  pillars.forEach((p, i) => {
    const [x, y] = pt(i, 118);
    const label = document.createElementNS(NS, 'text');
    label.setAttribute('x', x);
    label.setAttribute('y', y + 4);
    label.setAttribute('text-anchor', Math.abs(x - cx) < 10 ? 'middle' : x < cx ? 'end' : 'start');
    label.textContent = p.title.split(' ')[0] + ' ' + p.score;
    svg.append(label);
  });
  if (baseline && baseline.length === n) svg.append(poly(baseline.map((p) => p.score), 'baseline'));
  svg.append(poly(pillars.map((p) => p.score), 'current'));
  return svg;
}
