// New generation: pick providers and models, resolution, aspect ratio,
// format and duration; combinations a model cannot do are disabled with
// the reason, and the estimate comes from the providers' price tables.
import { html } from '../html.js';
import { useEffect, useMemo, useState } from '../../vendor/hooks.mjs';
import { t, formatCents } from '../i18n.js';
import * as API from '../api.js';
import { navigate, Link } from '../router.js';
import { useSession } from '../session.js';
import {
  Async, Empty, ErrorNotice, Notice, atLeast, label, projectRole, useAsync, useBusy,
} from '../ui.js';
import { estimateCents, modelOf, problems } from '../pricing.js';
import { LintHints } from '../lint.js';

const resolutions = ['720p', '1080p', '2k', '4k'];
const aspects = ['16:9', '9:16', '1:1', '21:9'];
const formats = ['mp4', 'mov', 'gif'];
const kinds = ['text_to_video', 'image_to_video', 'text_to_image'];

export function Generate({ query }) {
  const { org } = useSession();
  const data = useAsync(async () => {
    const [providers, projects] = await Promise.all([
      API.get(`/api/v1/providers${API.query({ org_id: org?.id })}`),
      API.get(`/api/v1/projects${API.query({ org_id: org?.id, limit: 200 })}`),
    ]);
    let prompt = null;
    if (query.get('prompt')) prompt = await API.get(`/api/v1/prompts/${query.get('prompt')}`);
    return { providers: providers.items, projects: projects.items, prompt };
  }, [org?.id]);
  return html`<section>
    <h1>${t('generate.title')}</h1>
    <${Async} state=${data}>${(d) => (d.projects.length === 0
      ? html`<${Empty}>${t('generate.no_projects')}
          <p><${Link} href="/projects">${t('projects.new')}</${Link}></p></${Empty}>`
      : d.providers.length === 0
        ? html`<${Empty}>${t('generate.no_providers')}</${Empty}>`
        : html`<${Form} providers=${d.providers} projects=${d.projects} prompt=${d.prompt}
            initialProject=${query.get('project')} />`)}
    </${Async}>
  </section>`;
}

function Form({ providers, projects, prompt, initialProject }) {
  const { org, orgs } = useSession();
  const canWrite = (p) => atLeast(projectRole(p, orgs), 'editor');
  const writable = projects.filter(canWrite);
  const [projectID, setProjectID] = useState(
    (prompt && prompt.project_id) || initialProject || writable[0]?.id || projects[0].id);
  const [text, setText] = useState(prompt ? prompt.body : '');
  const [negative, setNegative] = useState(prompt ? prompt.negative_prompt : '');
  const [kind, setKind] = useState('text_to_video');
  const [imageURL, setImageURL] = useState('');
  const [picked, setPicked] = useState(() => ({ [providers[0].name]:
    modelOf(providers[0].capabilities, '')?.id || '' }));
  const [resolution, setResolution] = useState('720p');
  const [aspect, setAspect] = useState('16:9');
  const [format, setFormat] = useState('mp4');
  const [duration, setDuration] = useState(5);
  const [key, setKey] = useState(() => newKey());
  const { busy, error, run } = useBusy();

  // A new request gets a new idempotency key; a retried click reuses it.
  useEffect(() => setKey(newKey()), [projectID, text, negative, kind, imageURL,
    JSON.stringify(picked), resolution, aspect, format, duration]);

  const settings = { kind, resolution, aspect_ratio: aspect, duration, prompt: text };
  const byName = Object.fromEntries(providers.map((p) => [p.name, p]));
  const chosen = Object.entries(picked).filter(([name]) => byName[name]);
  const issues = Object.fromEntries(providers.map((p) => [p.name,
    problems(p.capabilities, picked[p.name] || '', settings)]));

  // Why a value of one setting is not possible with the chosen models.
  const blockers = (field, value) => chosen
    .filter(([name, model]) => problems(byName[name].capabilities, model,
      { ...settings, [field]: value }).some((x) => x.key.includes(field === 'aspect_ratio'
      ? 'aspect' : field)))
    .map(([name]) => name);

  const estimate = useMemo(() => chosen.map(([name, model]) => ({ name, model,
    cents: estimateCents(byName[name].capabilities, model, settings) })),
  [JSON.stringify(chosen), kind, resolution, duration]);
  const total = estimate.reduce((s, e) => s + (e.cents || 0), 0);

  const invalid = chosen.some(([name]) => issues[name].length > 0);
  const reasonNotReady = chosen.length === 0 ? t('generate.pick_provider')
    : !text.trim() && kind !== 'image_to_video' ? t('generate.need_prompt')
      : kind === 'image_to_video' && !imageURL.trim() ? t('generate.need_image')
        : invalid ? t('generate.fix_invalid') : '';

  const toggle = (p) => {
    const next = { ...picked };
    if (p.name in next) delete next[p.name];
    else next[p.name] = modelOf(p.capabilities, '')?.id || '';
    setPicked(next);
  };

  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const variants = chosen.map(([name, model]) => {
        const v = { provider: name, model, prompt: text, kind };
        if (negative) v.negative_prompt = negative;
        if (kind === 'image_to_video') v.image_url = imageURL.trim();
        return v;
      });
      const body = { project_id: projectID, variants, resolution, aspect_ratio: aspect, format };
      if (kind !== 'text_to_image') body.duration = duration;
      const job = await API.post('/api/v1/jobs', body, { 'Idempotency-Key': key });
      navigate(`/jobs/${job.id}`);
    });
  };

  const choice = (name, values, value, setValue, field, display = (x) => x) => html`
    <fieldset>
      <legend>${t(`generate.${name}`)}</legend>
      <div class="options" role="radiogroup">
        ${values.map((v) => {
          const blocked = field ? blockers(field, v) : [];
          const reason = blocked.length
            ? t('generate.unsupported_by', { names: blocked.join(', ') }) : '';
          return html`<label class=${`option ${value === v ? 'on' : ''} ${blocked.length
            ? 'off' : ''}`} title=${reason}>
            <input type="radio" name=${name} value=${v} checked=${value === v}
              disabled=${blocked.length > 0} onChange=${() => setValue(v)} />
            ${display(v)}
            ${reason && html`<span class="hint">${reason}</span>`}
          </label>`;
        })}
      </div>
    </fieldset>`;

  return html`<form class="stack" onSubmit=${submit} data-testid="generate-form">
    <${ErrorNotice} error=${error} />
    <div class="card stack">
      <label>${t('common.project')}
        <select name="project" value=${projectID}
          onChange=${(e) => setProjectID(e.currentTarget.value)}>
          ${projects.map((p) => html`<option value=${p.id}
            disabled=${!canWrite(p)}>${p.name}</option>`)}
        </select>
      </label>
      ${choice('kind', kinds, kind, setKind, 'kind', (k) => label('kind', k))}
      <label>${t('generate.prompt')}
        <textarea name="prompt" rows="5" value=${text}
          onInput=${(e) => setText(e.currentTarget.value)}></textarea>
        ${prompt && html`<span class="hint">
          ${t('generate.from_prompt', { title: prompt.title })}</span>`}
      </label>
      <${LintHints} text=${text} provider=${chosen.length === 1 ? chosen[0][0] : ''}
        orgID=${org?.id} />
      <label>${t('prompts.negative')}
        <input value=${negative} onInput=${(e) => setNegative(e.currentTarget.value)} />
      </label>
      ${kind === 'image_to_video' && html`<label>${t('generate.image_url')}
        <input type="url" value=${imageURL} onInput=${(e) => setImageURL(e.currentTarget.value)} />
      </label>`}
    </div>

    <fieldset class="card stack">
      <legend>${t('generate.providers')}</legend>
      ${providers.map((p) => {
        const on = p.name in picked;
        const caps = p.capabilities || {};
        const why = issues[p.name];
        return html`<div class=${`option ${on ? 'on' : ''}`}>
          <label class="inline">
            <input type="checkbox" name="provider" value=${p.name} checked=${on}
              onChange=${() => toggle(p)} />
            <strong>${p.name}</strong>
          </label>
          <select aria-label=${t('generate.model_of', { name: p.name })} disabled=${!on}
            value=${picked[p.name] || ''}
            onChange=${(e) => setPicked({ ...picked, [p.name]: e.currentTarget.value })}>
            ${(caps.models || []).map((m) => html`<option value=${m.id}>
              ${m.name || m.id}</option>`)}
          </select>
          <span class=${`badge ${p.circuit}`}>${label('circuit', p.circuit)}</span>
          ${on && why.length > 0 && html`<span class="field-error" role="note">
            ${why.map((x) => t(x.key, x.params)).join(' ')}</span>`}
        </div>`;
      })}
    </fieldset>

    <div class="card stack">
      ${kind !== 'text_to_image' && html`<label>${t('generate.duration')}
        <input type="number" name="duration" min="1" max="60" value=${duration}
          onInput=${(e) => setDuration(Math.max(1, parseInt(e.currentTarget.value, 10) || 1))} />
      </label>`}
      ${choice('resolution', resolutions, resolution, setResolution, 'resolution')}
      ${choice('aspect', aspects, aspect, setAspect, 'aspect_ratio')}
      ${choice('format', formats, format, setFormat, '', (f) => f.toUpperCase())}
    </div>

    <div class="card row" aria-live="polite">
      <div class="stack">
        <span class="muted small">${t('generate.estimate')}</span>
        <span class="estimate" data-testid="estimate">${formatCents(total)}</span>
        <span class="small muted">${estimate.map((e) => (e.cents === null
          ? t('generate.no_price', { name: e.name })
          : t('generate.line', { name: e.name, cost: formatCents(e.cents) }))).join(' · ')}</span>
      </div>
      <span class="spacer"></span>
      ${reasonNotReady && html`<${Notice} kind="info">${reasonNotReady}</${Notice}>`}
      <button class="primary" type="submit" disabled=${busy || reasonNotReady !== ''}>
        ${busy ? t('generate.submitting') : t('generate.submit')}</button>
    </div>
  </form>`;
}

function newKey() {
  if (crypto.randomUUID) return `console-${crypto.randomUUID()}`;
  return `console-${Date.now()}-${Math.random().toString(16).slice(2)}`;
}
