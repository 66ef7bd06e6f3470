// Message catalogues and formatting. Every visible string of the console
// comes from i18n/<lang>.json through t(); the language is the one chosen
// in the header (remembered in localStorage), else the first of the
// browser's preferred languages that the console speaks.

export const languages = ['zh-CN', 'en'];
const storageKey = 'rf.lang';

let lang = 'en';
let messages = {};
const fallback = {};

/** preferredLanguage picks the saved choice, else the browser's. */
export function preferredLanguage() {
  let saved = '';
  try {
    saved = localStorage.getItem(storageKey) || '';
  } catch {
    // Storage may be disabled; the browser's languages decide then.
  }
  if (languages.includes(saved)) return saved;
  const wanted = navigator.languages && navigator.languages.length
    ? navigator.languages : [navigator.language || 'en'];
  for (const w of wanted) {
    const l = String(w).toLowerCase();
    if (l.startsWith('zh')) return 'zh-CN';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}

async function fetchCatalogue(name) {
  const res = await fetch(new URL(`../i18n/${name}.json`, import.meta.url));
  if (!res.ok) throw new Error(`catalogue ${name}: HTTP ${res.status}`);
  return res.json();
}

/** setLanguage loads a catalogue, makes it current and remembers it. */
export async function setLanguage(next, remember = false) {
  if (!languages.includes(next)) next = 'en';
  messages = await fetchCatalogue(next);
  if (!Object.keys(fallback).length && next !== 'en') {
    try {
      Object.assign(fallback, await fetchCatalogue('en'));
    } catch {
      // Missing English strings then show their keys.
    }
  }
  lang = next;
  document.documentElement.lang = next;
  if (remember) {
    try {
      localStorage.setItem(storageKey, next);
    } catch {
      // Not remembered; the choice still holds for this page.
    }
  }
  return next;
}

export function currentLanguage() {
  return lang;
}

/** t looks a key up and fills {name} placeholders from params. */
export function t(key, params) {
  let s = messages[key] ?? fallback[key] ?? key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  }
  return s;
}

/** has reports whether the catalogue knows a key (for optional labels). */
export function has(key) {
  return key in messages;
}

export function formatDate(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2) return '';
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function formatTime(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(d);
}

/** formatCents shows an amount of US cents as money. */
export function formatCents(cents) {
  const n = Number(cents) || 0;
  return new Intl.NumberFormat(lang, { style: 'currency', currency: 'USD' }).format(n / 100);
}

export function formatBytes(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Number(n) || 0;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatPercent(fraction) {
  const v = Math.max(0, Math.min(1, Number(fraction) || 0));
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 }).format(v);
}
