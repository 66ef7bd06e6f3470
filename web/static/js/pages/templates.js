// Templates: the library by category with search, one template's variables
// form with a live preview of the rendered prompt, and custom templates.
import { html } from '../html.js';
import { useEffect, useState } from '../../vendor/hooks.mjs';
import { t } from '../i18n.js';
import * as API from '../api.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../session.js';
import {
  Async, Empty, ErrorNotice, Loading, atLeast, fieldError, label, useAsync, useBusy,
} from '../ui.js';

export const categories = ['ad', 'short_drama', 'game', 'education', 'product', 'travel'];

export function Templates({ query }) {
  const { org } = useSession();
  const category = categories.includes(query.get('category')) ? query.get('category') : '';
  const [q, setQ] = useState('');
  const [lang, setLang] = useState('');
  const list = useAsync(() => API.get(`/api/v1/templates${API.query({ category, q, lang,
    limit: 200 })}`), [category, q, lang]);
  const href = (c) => (c ? `/templates?category=${c}` : '/templates');
  return html`<section>
    <div class="head">
      <h1>${t('templates.title')}</h1>
      ${org && atLeast(org.role, 'editor') && html`<${Link} class="button primary"
        href="/templates/new">${t('templates.new')}</${Link}>`}
    </div>
    <nav class="tabs" aria-label=${t('templates.categories')}>
      ${['', ...categories].map((c) => html`<${Link} href=${href(c)}
        aria-current=${category === c ? 'page' : undefined}>
        ${c ? label('category', c) : t('templates.all')}</${Link}>`)}
    </nav>
    <div class="row toolbar">
      <input type="search" aria-label=${t('templates.search')} placeholder=${t('templates.search')}
        value=${q} onInput=${(e) => setQ(e.currentTarget.value)} />
      <label class="inline">${t('templates.lang')}
        <select value=${lang} onChange=${(e) => setLang(e.currentTarget.value)}>
          <option value="">${t('templates.any_lang')}</option>
          <option value="zh-CN">${t('lang.zh-CN')}</option>
          <option value="en">${t('lang.en')}</option>
        </select>
      </label>
    </div>
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('templates.empty')}</${Empty}>`
      : html`<div class="grid">${data.items.map((tp) => html`<article class="card tpl">
        <div class="row small muted">
          <span class="badge">${label('category', tp.category)}</span>
          <span>${t(`lang.${tp.lang}`)}</span>
          ${!tp.builtin && html`<span class="badge queued">${t('templates.custom')}</span>`}
        </div>
        <h3><${Link} href=${`/templates/${encodeURIComponent(tp.id)}`}>${tp.title}</${Link}></h3>
        <p class="muted small">${tp.description}</p>
        <div class="tags">
          ${(tp.tags || []).map((x) => html`<span class="badge">${x}</span>`)}</div>
      </article>`)}</div>`)}
    </${Async}>
  </section>`;
}

/** useDebounced returns value once it has stayed the same for ms. */
function useDebounced(value, ms) {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = setTimeout(() => setV(value), ms);
    return () => clearTimeout(id);
  }, [JSON.stringify(value)]);
  return v;
}

export function TemplatePage({ params }) {
  const tpl = useAsync(() => API.get(`/api/v1/templates/${encodeURIComponent(params.id)}`),
    [params.id]);
  return html`<${Async} state=${tpl}>${(tp) => html`<${TemplateForm} tp=${tp} />`}</${Async}>`;
}

function TemplateForm({ tp }) {
  const { org } = useSession();
  const [values, setValues] = useState(() => Object.fromEntries(
    tp.variables.map((v) => [v.name, v.default || ''])));
  const debounced = useDebounced(values, 300);
  const [preview, setPreview] = useState(null);
  const [previewError, setPreviewError] = useState(null);
  const [rendering, setRendering] = useState(false);
  const [project, setProject] = useState('');
  const save = useBusy();
  const projects = useAsync(() => API.get(`/api/v1/projects${API.query({ org_id: org?.id,
    limit: 200 })}`), [org?.id]);

  // Variables without a value or a default would only earn a 422.
  const missing = tp.variables.filter((v) => !values[v.name] && !v.default).map((v) => v.name);
  useEffect(() => {
    let live = true;
    const vars = Object.fromEntries(Object.entries(debounced).filter(([, v]) => v !== ''));
    if (tp.variables.some((v) => !vars[v.name] && !v.default)) {
      setPreview(null);
      setPreviewError(null);
      return undefined;
    }
    setRendering(true);
    API.post(`/api/v1/templates/${encodeURIComponent(tp.id)}/render`, { variables: vars })
      .then((r) => {
        if (!live) return;
        setPreview(r);
        setPreviewError(null);
      }, (err) => live && setPreviewError(err))
      .finally(() => live && setRendering(false));
    return () => {
      live = false;
    };
  }, [JSON.stringify(debounced)]);

  const projectID = project || projects.data?.items?.[0]?.id || '';
  const saveAsPrompt = () => save.run(async () => {
    const r = await API.post(`/api/v1/templates/${encodeURIComponent(tp.id)}/render`,
      { variables: Object.fromEntries(Object.entries(values).filter(([, v]) => v !== '')) });
    const p = await API.post('/api/v1/prompts', { project_id: projectID, title: tp.title,
      body: r.prompt, negative_prompt: r.negative_prompt, template_ref: tp.slug,
      variables: Object.fromEntries(Object.entries(values).filter(([, v]) => v !== '')) });
    navigate(`/prompts/${p.id}`);
  });
  const remove = () => save.run(async () => {
    if (!window.confirm(t('templates.confirm_delete', { name: tp.title }))) return;
    await API.del(`/api/v1/templates/${encodeURIComponent(tp.id)}`);
    navigate('/templates');
  });

  return html`<section>
    <div class="head">
      <div>
        <h1>${tp.title}</h1>
        <p class="muted">${tp.description}</p>
      </div>
      <div class="row">
        <span class="badge">${label('category', tp.category)}</span>
        <span class="badge">${t(`lang.${tp.lang}`)}</span>
        ${!tp.builtin && org && atLeast(org.role, 'editor') && html`<button type="button"
          class="danger small" onClick=${remove}>${t('common.delete')}</button>`}
      </div>
    </div>
    <div class="two">
      <form class="card stack" onSubmit=${(e) => e.preventDefault()}>
        <h2>${t('templates.variables')}</h2>
        ${tp.variables.length === 0 && html`<p class="muted">${t('templates.no_variables')}</p>`}
        ${tp.variables.map((v) => html`<label>
          ${v.label}
          ${v.description && html`<span class="hint">${v.description}</span>`}
          <input name=${v.name} value=${values[v.name]} placeholder=${v.example}
            onInput=${(e) => setValues({ ...values, [v.name]: e.currentTarget.value })} />
          <span class="field-error">${fieldError(previewError, `variables.${v.name}`)}</span>
        </label>`)}
      </form>
      <div class="card stack" aria-live="polite">
        <div class="row">
          <h2>${t('templates.preview')}</h2>
          ${rendering && html`<span class="spinner" aria-hidden="true"></span>`}
        </div>
        ${previewError && previewError.status !== 422 && html`<${ErrorNotice}
          error=${previewError} />`}
        ${(missing.length > 0 || previewError?.status === 422) && html`<p class="notice info">
          ${t('templates.fill_all')}</p>`}
        ${missing.length === 0 && !preview && !previewError ? html`<${Loading} />`
          : missing.length === 0 && preview && html`
          <div class="preview" data-testid="preview">${preview.prompt}</div>
          ${preview.negative_prompt && html`<h3>${t('prompts.negative')}</h3>
            <div class="preview small">${preview.negative_prompt}</div>`}`}
        <h3>${t('templates.use')}</h3>
        <${ErrorNotice} error=${save.error} />
        ${projects.data && projects.data.items.length === 0
          ? html`<p class="muted">${t('templates.need_project')}</p>`
          : html`<div class="row">
            <label class="inline">${t('common.project')}
              <select value=${projectID} onChange=${(e) => setProject(e.currentTarget.value)}>
                ${(projects.data?.items || []).map((p) => html`<option value=${p.id}>
                  ${p.name}</option>`)}
              </select>
            </label>
            <button type="button" class="primary" disabled=${save.busy || !projectID}
              onClick=${saveAsPrompt}>${t('templates.save_prompt')}</button>
          </div>`}
      </div>
    </div>
    <details class="card">
      <summary>${t('templates.body')}</summary>
      <pre>${tp.body}</pre>
    </details>
  </section>`;
}

/** placeholders lists the {name} placeholders of a body; {{ is literal. */
function placeholders(body) {
  const names = [];
  const text = body.replaceAll('{{', '').replaceAll('}}', '');
  for (const m of text.matchAll(/\{([a-z][a-z0-9_]{0,39})\}/g)) {
    if (!names.includes(m[1])) names.push(m[1]);
  }
  return names;
}

export function TemplateNew() {
  const { org } = useSession();
  const [f, setF] = useState({ slug: '', category: 'ad', lang: 'zh-CN', title: '',
    description: '', body: '', negative_prompt: '', tags: '' });
  const [vars, setVars] = useState([]);
  const { busy, error, run } = useBusy();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const syncVars = (body) => {
    const names = placeholders(body);
    const kept = vars.filter((v) => names.includes(v.name));
    for (const n of names) {
      if (!kept.some((v) => v.name === n)) {
        kept.push({ name: n, label: n, default: '', example: '' });
      }
    }
    setVars(kept);
  };
  const setVar = (i, k, value) => setVars(vars.map((v, j) => (j === i
    ? { ...v, [k]: value } : v)));
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const tp = await API.post('/api/v1/templates', {
        org_id: org.id, slug: f.slug.trim(), category: f.category, lang: f.lang,
        title: f.title.trim(), description: f.description.trim(), body: f.body,
        negative_prompt: f.negative_prompt,
        variables: vars.map((v) => ({ name: v.name, label: v.label || v.name,
          default: v.default, example: v.example })),
        tags: f.tags.split(/[,，]/).map((x) => x.trim()).filter(Boolean),
      });
      navigate(`/templates/${encodeURIComponent(tp.id)}`);
    });
  };
  if (!org) return html`<${Empty}>${t('common.no_org')}</${Empty}>`;
  return html`<form class="stack" onSubmit=${submit}>
    <h1>${t('templates.new')}</h1>
    <${ErrorNotice} error=${error} />
    <div class="card stack">
      <div class="two">
        <label>${t('templates.title_field')}
          <input required maxlength="120" value=${f.title} onInput=${set('title')} />
          <span class="field-error">${fieldError(error, 'title')}</span>
        </label>
        <label>${t('templates.slug')}
          <input required maxlength="80" pattern="[a-z0-9]+(-[a-z0-9]+)*" value=${f.slug}
            onInput=${set('slug')} />
          <span class="hint">${t('templates.slug_hint')}</span>
          <span class="field-error">${fieldError(error, 'slug')}</span>
        </label>
        <label>${t('templates.category')}
          <select value=${f.category} onChange=${set('category')}>
            ${categories.map((c) => html`<option value=${c}>${label('category', c)}</option>`)}
          </select>
        </label>
        <label>${t('templates.lang')}
          <select value=${f.lang} onChange=${set('lang')}>
            <option value="zh-CN">${t('lang.zh-CN')}</option>
            <option value="en">${t('lang.en')}</option>
          </select>
        </label>
      </div>
      <label>${t('templates.description')}
        <input value=${f.description} onInput=${set('description')} />
      </label>
      <label>${t('templates.body')}
        <span class="hint">${t('templates.body_hint')}</span>
        <textarea required value=${f.body} onInput=${(e) => {
          set('body')(e);
          syncVars(e.currentTarget.value);
        }}></textarea>
        <span class="field-error">${fieldError(error, 'body')}</span>
      </label>
      <label>${t('prompts.negative')}
        <input value=${f.negative_prompt} onInput=${set('negative_prompt')} />
      </label>
      <label>${t('templates.tags')}
        <input value=${f.tags} onInput=${set('tags')} />
        <span class="hint">${t('templates.tags_hint')}</span>
      </label>
    </div>
    <fieldset class="card stack">
      <legend>${t('templates.variables')}</legend>
      ${vars.length === 0 && html`<p class="muted">${t('templates.vars_hint')}</p>`}
      ${vars.map((v, i) => html`<div class="two">
        <label>${t('templates.var_label', { name: v.name })}
          <input required maxlength="60" value=${v.label}
            onInput=${(e) => setVar(i, 'label', e.currentTarget.value)} />
        </label>
        <label>${t('templates.var_default')}
          <input value=${v.default}
            onInput=${(e) => setVar(i, 'default', e.currentTarget.value)} />
        </label>
      </div>`)}
    </fieldset>
    <div class="row end">
      <button class="primary" type="submit" disabled=${busy}>${t('templates.create')}</button>
    </div>
  </form>`;
}
