// Tokens per day as stacked bars, one colour per series (model or key),
// drawn as inline SVG (no chart library, nothing fetched).
import { h } from '../dom.js';
import { t } from '../i18n.js';

const NS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1f6f8b', '#e09f3e', '#6a994e', '#9e2a2b', '#5f4b8b', '#2a9d8f', '#b56576', '#7f5539'];

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export function usageChart(rows, seriesField, from, days) {
  const dayList = [];
  const start = new Date(from + 'T00:00:00Z');
  for (let i = 0; i < days; i++) dayList.push(new Date(start.getTime() + i * 86400000).toISOString().slice(0, 10));
  const series = [...new Set(rows.map((r) => r[seriesField] || '—'))].sort();
  const byDay = new Map(dayList.map((d) => [d, new Map()]));
  for (const r of rows) {
    const m = byDay.get(r.day);
    if (m) m.set(r[seriesField] || '—', (m.get(r[seriesField] || '—') || 0) + r.total_tokens);
  }
  const max = Math.max(1, ...[...byDay.values()].map((m) => [...m.values()].reduce((a, b) => a + b, 0)));
  const W = 720, H = 220, left = 56, bottom = 24, top = 10;
  const bw = (W - left - 8) / days;
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'chart', 'aria-label': t('admin.chart_label') });
  for (const f of [0, 0.5, 1]) {
    const y = top + (H - top - bottom) * (1 - f);
    chart.append(svg('line', { x1: left, x2: W - 4, y1: y, y2: y, class: 'grid' }), svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, Math.round(max * f).toLocaleString()));
  }
  dayList.forEach((d, i) => {
    let y = H - bottom;
    const x = left + i * bw + 1;
    series.forEach((s, k) => {
      const v = byDay.get(d).get(s) || 0;
      if (!v) return;
      const hgt = (H - top - bottom) * (v / max);
      y -= hgt;
      chart.append(svg('rect', { x, y, width: Math.max(1, bw - 2), height: hgt, fill: COLOURS[k % COLOURS.length] }, svg('title', {}, `${d} · ${s}: ${v.toLocaleString()}`)));
    });
    if (i === 0 || i === days - 1 || (days <= 10) || i % Math.ceil(days / 6) === 0)
      chart.append(svg('text', { x: x + bw / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' }, d.slice(5)));
  });
  const legend = h('ul', { class: 'legend' }, series.map((s, k) => h('li', {}, h('span', { class: 'swatch', style: null, dataset: { colour: k % COLOURS.length } }), s)));
  return h('figure', { class: 'usage-chart' }, h('figcaption', {}, t('admin.tokens_per_day')), chart, series.length ? legend : h('p', { class: 'muted' }, t('admin.no_usage')));
}
