// Every label and message of the console goes through t(key, params). A
// language is a module in /console/i18n exporting one flat dictionary; keys
// missing there fall back to English, so a partial translation still works.
// To add Chinese or Tamil: write i18n/zh.js or i18n/ta.js and list it below.
import en from '../i18n/en.js';
import ms from '../i18n/ms.js';

export const LANGUAGES = [
  { code: 'en', name: 'English', dict: en },
  { code: 'ms', name: 'Bahasa Melayu', dict: ms },
];

const STORE = 'daulat.language';
let current = pick(localStorage.getItem(STORE) || (navigator.language || '').slice(0, 2));
const listeners = new Set();

function pick(code) {
  return LANGUAGES.find((l) => l.code === code) || LANGUAGES[0];
}

export function language() { return current.code; }

export function setLanguage(code) {
  current = pick(code);
  localStorage.setItem(STORE, current.code);
  document.documentElement.lang = current.code;
  for (const fn of listeners) fn(current.code);
}

export function onLanguageChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

// "{n} files" with params {n: 3}; unknown keys show the key itself so a
// missing label is visible in review, not silently blank.
export function t(key, params) {
  let s = current.dict[key];
  if (s === undefined) s = en[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, p) => (params[p] !== undefined ? String(params[p]) : m));
  return s;
}

document.documentElement.lang = current.code;
