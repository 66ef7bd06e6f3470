// Static checks of the console's translations: no visible text is written
// into the html`` templates of components (it must come from t()), every
// key used exists in both catalogues, and both catalogues have the same
// keys with the same {placeholders}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './paths.mjs';

const staticDir = join(root, 'web', 'static');

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

// skipString returns the index just past the string literal opened at i.
function skipString(src, i) {
  const quote = src[i];
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === '\\') j++;
    else if (src[j] === quote) return j + 1;
  }
  throw new Error('unterminated string');
}

// skipExpression returns the index just past the } that closes the ${
// expression starting at i, skipping strings, nested templates and braces.
function skipExpression(src, i) {
  let depth = 1;
  let j = i;
  while (j < src.length) {
    const c = src[j];
    if (c === "'" || c === '"') j = skipString(src, j);
    else if (c === '`') j = readTemplate(src, j + 1).end;
    else if (c === '/' && src[j + 1] === '/') j = src.indexOf('\n', j);
    else {
      if (c === '{') depth++;
      if (c === '}' && --depth === 0) return j + 1;
      j++;
    }
  }
  throw new Error('unterminated expression');
}

// readTemplate reads a template literal whose text starts at i and returns
// its static text (expressions replaced by \u0000) and the end index.
function readTemplate(src, i) {
  let text = '';
  let j = i;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') {
      text += src[j + 1];
      j += 2;
    } else if (c === '`') {
      return { text, end: j + 1 };
    } else if (c === '$' && src[j + 1] === '{') {
      text += '\u0000';
      j = skipExpression(src, j + 2);
    } else {
      text += c;
      j++;
    }
  }
  throw new Error('unterminated template');
}

const wordy = /[A-Za-z\u3400-\u9fff\uf900-\ufaff]/;
const textAttributes = /\b(placeholder|title|aria-label|alt|label)\s*=\s*(["'])(.*?)\2/g;

/** hardCoded lists the visible strings written into html`` templates. */
export function hardCoded(src) {
  const found = [];
  for (const m of src.matchAll(/\bhtml`/g)) {
    const { text } = readTemplate(src, m.index + 5);
    const clean = text.replace(/<!--[\s\S]*?-->/g, '');
    for (const tag of clean.match(/<[^>]*>/g) || []) {
      for (const a of tag.matchAll(textAttributes)) {
        if (wordy.test(a[3])) found.push(`${a[1]}="${a[3]}"`);
      }
    }
    for (const part of clean.replace(/<[^>]*>/g, '\u0000').split('\u0000')) {
      if (wordy.test(part)) found.push(part.trim());
    }
  }
  return found;
}

const sources = walk(join(staticDir, 'js')).filter((p) => p.endsWith('.js'));
const catalogues = Object.fromEntries(['en', 'zh-CN'].map((l) => [l,
  JSON.parse(readFileSync(join(staticDir, 'i18n', `${l}.json`), 'utf8'))]));

test('the checker finds hard-coded text', () => {
  const sample = 'const a = html`<p>Hello ${x}</p><b title="Save it">${t(\'k\')}</b>`;\n'
    + 'const b = html`<div>${ok && html`<span>保存</span>`}</div>`;';
  assert.deepEqual(hardCoded(sample), ['title="Save it"', 'Hello', '保存']);
  assert.deepEqual(hardCoded('html`<p class="big">${t(\'a.b\')} · ${n}%</p>`'), []);
});

test('components write no visible text outside t()', () => {
  const problems = [];
  for (const file of sources) {
    for (const s of hardCoded(readFileSync(file, 'utf8'))) {
      problems.push(`${file.slice(staticDir.length + 1)}: ${s}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every key used exists in both catalogues', () => {
  const missing = [];
  for (const file of sources) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([^']+)'/g)) {
      for (const [lang, cat] of Object.entries(catalogues)) {
        if (!(m[1] in cat)) missing.push(`${lang}: ${m[1]}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

test('both catalogues have the same keys and placeholders', () => {
  const en = catalogues.en;
  const zh = catalogues['zh-CN'];
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  for (const k of Object.keys(en)) {
    assert.deepEqual(holes(zh[k]), holes(en[k]), `placeholders of ${k}`);
  }
});
