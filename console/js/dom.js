// Building blocks for views. Text always goes in as text nodes, never as HTML,
// so nothing a document, a model or a user wrote can run as script.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'multiple' || k === 'required') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// Classification labels, lowest first; each has a colour in app.css.
export const LEVELS = ['TERBUKA', 'TERHAD', 'SULIT', 'RAHSIA', 'RAHSIA BESAR'];
export function levelClass(level) {
  return 'level-' + String(level || 'TERBUKA').toLowerCase().replace(/\s+/g, '-');
}
export function badge(level) {
  return h('span', { class: 'badge ' + levelClass(level), title: level }, level || 'TERBUKA');
}

let toastBox;
export function toast(message, kind = 'info') {
  if (!toastBox) {
    toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastBox);
  }
  const t = h('div', { class: 'toast toast-' + kind }, message);
  toastBox.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

// An onsubmit handler: no page reload, the form's controls passed to `fn`,
// and any error it throws shown as a toast.
export function submitting(fn) {
  return async (e) => {
    e.preventDefault();
    try { await fn(e.target.elements, e.target); } catch (err) { toast(err.message, 'error'); }
  };
}

// A modal dialog (native <dialog>: focus is trapped and Escape closes it).
// `body` is a node; `buttons` [{label, value, kind}] resolve the promise.
export function modal(title, body, buttons) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: 'modal', 'aria-label': title });
    const row = h('div', { class: 'modal-actions' });
    for (const b of buttons) {
      row.append(h('button', { type: 'button', class: b.kind || '', onclick: () => { dlg.close(); resolve(b.value); } }, b.label));
    }
    dlg.append(h('h2', {}, title), body, row);
    dlg.addEventListener('cancel', () => resolve(undefined));
    dlg.addEventListener('close', () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
    const primary = row.querySelector('button.primary, button.danger') || row.querySelector('button');
    if (primary) primary.focus();
  });
}

export function fmtTime(unixOrIso) {
  if (unixOrIso === null || unixOrIso === undefined || unixOrIso === '') return '';
  const d = typeof unixOrIso === 'number' ? new Date(unixOrIso * 1000) : new Date(unixOrIso);
  return isNaN(d) ? String(unixOrIso) : d.toLocaleString();
}

export function fmtBytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + u[i];
}

// A labelled form field: <label> wraps the control so screen readers name it.
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control,
    hint ? h('small', { class: 'hint' }, hint) : null);
}

export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map((o) => {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: v === value }, label);
  }));
}

// Downloads a string or Blob as a file, without leaving the origin.
export function download(name, data, type = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
