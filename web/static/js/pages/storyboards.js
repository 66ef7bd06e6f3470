// Storyboards: a script becomes scenes and shots with a prompt for each;
// the shots can be edited, locked and re-phrased, and the whole board is
// rendered into one video (one job with a task per shot and an assembly).
import { html } from '../html.js';
import { useState } from '../../vendor/hooks.mjs';
import { t, formatDate } from '../i18n.js';
import * as API from '../api.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../session.js';
import {
  Async, Empty, ErrorNotice, Notice, atLeast, fieldError, label, projectRole, useAsync, useBusy,
} from '../ui.js';
import { ProjectPage } from './scoped.js';

const resolutions = ['720p', '1080p', '2k', '4k'];
const aspects = ['16:9', '9:16', '1:1', '21:9'];
const transitions = ['', 'fade', 'dissolve', 'wipeleft', 'slideleft'];
const subtitleModes = ['burn', 'soft', 'none'];

function useProviders(orgID) {
  return useAsync(() => API.get(`/api/v1/providers${API.query({ org_id: orgID })}`), [orgID]);
}

export function Storyboards({ query }) {
  return html`<${ProjectPage} query=${query} path="/storyboards"
    title=${t('storyboards.title')}
    body=${(projectID, canEdit) => html`<${ProjectStoryboards} key=${projectID}
      projectID=${projectID} canEdit=${canEdit} />`} />`;
}

function ProjectStoryboards({ projectID, canEdit }) {
  const list = useAsync(() => API.get(`/api/v1/storyboards?project_id=${projectID}`),
    [projectID]);
  return html`<div class="stack">
    ${canEdit && html`<${NewStoryboard} projectID=${projectID} />`}
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('storyboards.empty')}</${Empty}>`
      : html`<div class="grid">${data.items.map((b) => html`<article class="card stack">
        <h3><${Link} href=${`/storyboards/${b.id}`}>${b.title || t('storyboards.untitled')}
          </${Link}></h3>
        <p class="small muted">${t('storyboards.counts', { scenes: b.storyboard.scenes.length,
          shots: b.storyboard.scenes.reduce((n, s) => n + s.shots.length, 0) })}</p>
        <p class="small muted">${t('common.updated', { when: formatDate(b.updated_at) })}</p>
      </article>`)}</div>`)}
    </${Async}>
  </div>`;
}

function NewStoryboard({ projectID }) {
  const { org } = useSession();
  const providers = useProviders(org?.id);
  const [script, setScript] = useState('');
  const [title, setTitle] = useState('');
  const [style, setStyle] = useState('');
  const [provider, setProvider] = useState('');
  const { busy, error, run } = useBusy();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { project_id: projectID, script };
      if (title.trim()) body.title = title.trim();
      if (style.trim()) body.style = style.trim();
      if (provider) body.provider = provider;
      const b = await API.post('/api/v1/storyboards', body);
      navigate(`/storyboards/${b.id}`);
    });
  };
  return html`<form class="card stack" onSubmit=${submit}>
    <h2>${t('storyboards.new')}</h2>
    <p class="muted small">${t('storyboards.lead')}</p>
    <${ErrorNotice} error=${error} />
    <label>${t('storyboards.script')}
      <textarea name="script" rows="10" required value=${script}
        onInput=${(e) => setScript(e.currentTarget.value)}></textarea>
      <span class="field-error">${fieldError(error, 'script')}</span>
    </label>
    <div class="two">
      <label>${t('storyboards.title_field')}
        <input maxlength="200" value=${title} onInput=${(e) => setTitle(e.currentTarget.value)} />
        <span class="hint">${t('storyboards.title_hint')}</span>
      </label>
      <label>${t('storyboards.style')}
        <input value=${style} onInput=${(e) => setStyle(e.currentTarget.value)} />
        <span class="hint">${t('storyboards.style_hint')}</span>
      </label>
      <label>${t('storyboards.provider')}
        <select value=${provider} onChange=${(e) => setProvider(e.currentTarget.value)}>
          <option value="">${t('storyboards.any_provider')}</option>
          ${(providers.data?.items || []).map((p) => html`<option value=${p.name}>
            ${p.name}</option>`)}
        </select>
      </label>
    </div>
    <div class="row end"><button class="primary" type="submit" disabled=${busy || !script.trim()}>
      ${busy ? t('storyboards.parsing') : t('storyboards.create')}</button></div>
  </form>`;
}

export function StoryboardPage({ params }) {
  const board = useAsync(() => API.get(`/api/v1/storyboards/${params.id}`), [params.id]);
  return html`<${Async} state=${board}>${(b) => html`<${Editor} key=${`${b.id}-${b.version}`}
    board=${b} onReload=${board.reload} />`}</${Async}>`;
}

function Editor({ board, onReload }) {
  const { org, orgs } = useSession();
  const providers = useProviders(org?.id);
  const project = useAsync(() => API.get(`/api/v1/projects/${board.project_id}`),
    [board.project_id]);
  const canEdit = atLeast(projectRole(project.data, orgs), 'editor');
  const [sb, setSB] = useState(board.storyboard);
  const [version, setVersion] = useState(board.version);
  const [title, setTitle] = useState(board.title);
  const [dirty, setDirty] = useState(false);
  const [resynth, setResynth] = useState(false);
  const [saved, setSaved] = useState(false);
  const save = useBusy();
  const names = (providers.data?.items || []).map((p) => p.name);

  const setShot = (si, hi, patch) => {
    setSB({ ...sb, scenes: sb.scenes.map((sc, i) => (i !== si ? sc : { ...sc,
      shots: sc.shots.map((sh, j) => (j !== hi ? sh : { ...sh, ...patch })) })) });
    setDirty(true);
    setSaved(false);
  };
  const submit = (e) => {
    e.preventDefault();
    save.run(async () => {
      const body = { version, storyboard: sb };
      if (title.trim()) body.title = title.trim();
      if (resynth) body.resynthesize = true;
      const r = await API.api('PUT', `/api/v1/storyboards/${board.id}`, body);
      setVersion(r.version);
      setSB(r.storyboard);
      setTitle(r.title);
      setResynth(false);
      setDirty(false);
      setSaved(true);
    });
  };
  const stale = save.error && save.error.status === 409;

  return html`<section class="stack">
    <div class="head">
      <div>
        <h1>${title || t('storyboards.untitled')}</h1>
        <p class="muted small">${t('storyboards.meta', { lang: t(`lang.${sb.language}`),
          version, when: formatDate(board.updated_at) })}</p>
      </div>
      <${Link} class="button" href=${`/storyboards?project=${board.project_id}`}>
        ${t('storyboards.back')}</${Link}>
    </div>
    ${sb.warnings.length > 0 && html`<details class="card">
      <summary>${t('storyboards.warnings', { n: sb.warnings.length })}</summary>
      <ul>${sb.warnings.map((w) => html`<li class="small">${w.line > 0
        ? t('storyboards.line', { n: w.line }) : ''} ${w.message}</li>`)}</ul>
    </details>`}
    ${sb.characters.length > 0 && html`<div class="card">
      <h2>${t('storyboards.cast')}</h2>
      <dl class="kv small">${sb.characters.map((c) => html`<dt>${c.name}</dt>
        <dd>${c.description || ''}</dd>`)}</dl>
    </div>`}
    <form class="stack" onSubmit=${submit}>
      ${saved && html`<${Notice}>${t('storyboards.saved')}</${Notice}>`}
      ${stale ? html`<div class="notice error" role="alert">${t('storyboards.stale')}
        <button type="button" class="small" onClick=${onReload}>${t('storyboards.reload')}</button>
      </div>` : html`<${ErrorNotice} error=${save.error} />`}
      ${canEdit && html`<label>${t('storyboards.title_field')}
        <input value=${title} onInput=${(e) => {
          setTitle(e.currentTarget.value);
          setDirty(true);
        }} />
      </label>`}
      ${sb.scenes.map((scene, si) => html`<fieldset class="card stack">
        <legend>${t('storyboards.scene', { n: scene.number })}
          ${scene.heading ? ` · ${scene.heading}` : ''}</legend>
        ${scene.shots.map((shot, hi) => html`<div class="shot" data-testid="shot">
          <div class="row">
            <strong>${t('storyboards.shot', { n: shot.number })}</strong>
            ${shot.characters.map((c) => html`<span class="badge">${c}</span>`)}
            ${shot.camera.map((c) => html`<span class="badge queued">${c}</span>`)}
          </div>
          ${shot.action && html`<p class="small">${shot.action}</p>`}
          ${shot.dialogue.map((l) => html`<p class="small muted">
            <strong>${l.character}</strong>
            ${l.parenthetical ? ` (${l.parenthetical})` : ''}: ${l.text}
          </p>`)}
          <label>${t('prompts.body')}
            <textarea rows="3" disabled=${!canEdit} value=${shot.prompt}
              name=${`shot-${si}-${hi}-prompt`}
              onInput=${(e) => setShot(si, hi, { prompt: e.currentTarget.value })}></textarea>
            <span class="field-error">${fieldError(save.error,
              `storyboard.scenes[${si}].shots[${hi}].prompt`)}</span>
          </label>
          <div class="row">
            <label class="inline">${t('generate.duration')}
              <input type="number" min="2" max="10" step="0.5" disabled=${!canEdit}
                value=${shot.duration_seconds}
                onInput=${(e) => setShot(si, hi, { duration_seconds:
                  Number(e.currentTarget.value) || 2 })} />
            </label>
            <label class="inline">${t('storyboards.provider')}
              <select disabled=${!canEdit} value=${shot.provider}
                onChange=${(e) => setShot(si, hi, { provider: e.currentTarget.value })}>
                <option value="">${t('storyboards.default_provider')}</option>
                ${names.map((n) => html`<option value=${n}>${n}</option>`)}
              </select>
            </label>
            <label class="inline">
              <input type="checkbox" disabled=${!canEdit} checked=${shot.locked}
                onChange=${(e) => setShot(si, hi, { locked: e.currentTarget.checked })} />
              ${t('storyboards.locked')}
            </label>
          </div>
          <span class="field-error">${fieldError(save.error,
            `storyboard.scenes[${si}].shots[${hi}].duration_seconds`)}</span>
        </div>`)}
      </fieldset>`)}
      ${canEdit && html`<div class="card row">
        <label class="inline">
          <input type="checkbox" checked=${resynth}
            onChange=${(e) => setResynth(e.currentTarget.checked)} />
          ${t('storyboards.resynthesize')}
        </label>
        <span class="spacer"></span>
        <button class="primary" type="submit" disabled=${save.busy || (!dirty && !resynth)}>
          ${t('storyboards.save')}</button>
      </div>`}
    </form>
    ${canEdit && html`<${Render} board=${board} providers=${names} dirty=${dirty} />`}
  </section>`;
}

function Render({ board, providers, dirty }) {
  const [o, setO] = useState({ provider: '', resolution: '720p', aspect_ratio: '16:9',
    format: 'mp4', transition: 'fade', subtitles: 'burn', watermark: '' });
  const { busy, error, run } = useBusy();
  const set = (k) => (e) => setO({ ...o, [k]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ''));
      const job = await API.post(`/api/v1/storyboards/${board.id}/render`, body);
      navigate(`/jobs/${job.id}`);
    });
  };
  const select = (k, values, show = (v) => v) => html`<label>${t(`storyboards.render.${k}`)}
    <select value=${o[k]} onChange=${set(k)}>
      ${values.map((v) => html`<option value=${v}>${show(v)}</option>`)}
    </select>
  </label>`;
  return html`<form class="card stack" onSubmit=${submit}>
    <h2>${t('storyboards.render_title')}</h2>
    ${dirty && html`<${Notice} kind="info">${t('storyboards.unsaved')}</${Notice}>`}
    <${ErrorNotice} error=${error} />
    <div class="two">
      ${select('provider', ['', ...providers], (v) => v || t('storyboards.shot_providers'))}
      ${select('resolution', resolutions)}
      ${select('aspect_ratio', aspects)}
      ${select('format', ['mp4', 'mov'], (v) => v.toUpperCase())}
      ${select('transition', transitions, (v) => (v ? label('transition', v)
        : t('storyboards.cut')))}
      ${select('subtitles', subtitleModes, (v) => label('subtitles', v))}
      <label>${t('storyboards.render.watermark')}
        <input value=${o.watermark} onInput=${set('watermark')} />
      </label>
    </div>
    <div class="row end"><button class="primary" type="submit" disabled=${busy || dirty}>
      ${t('storyboards.render')}</button></div>
  </form>`;
}
