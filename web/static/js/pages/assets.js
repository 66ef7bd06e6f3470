// Assets of a project: drag-and-drop upload with progress, previews,
// signed downloads, and ZIP exports with extra renditions.
import { html } from '../html.js';
import { useState } from '../../vendor/hooks.mjs';
import { t, formatBytes, formatDate } from '../i18n.js';
import * as API from '../api.js';
import {
  Async, Empty, ErrorNotice, Notice, Progress, label, useAsync, useBusy,
} from '../ui.js';
import { Pager } from './projects.js';
import { ProjectPage } from './scoped.js';

const kinds = ['video', 'image', 'audio', 'subtitle', 'export'];
const tiers = ['720p', '1080p', '2k', '4k'];
const aspects = ['16:9', '9:16', '1:1', '21:9'];

export function Assets({ query }) {
  return html`<${ProjectPage} query=${query} path="/assets" title=${t('assets.title')}
    body=${(projectID, canEdit) => html`<${ProjectAssets} key=${projectID}
      projectID=${projectID} canEdit=${canEdit} />`} />`;
}

function ProjectAssets({ projectID, canEdit }) {
  const [kind, setKind] = useState('');
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState([]);
  const limit = 24;
  const list = useAsync(() => API.get(`/api/v1/assets${API.query({ project_id: projectID, kind,
    limit, offset })}`), [projectID, kind, offset]);
  const toggle = (id) => setSelected(selected.includes(id) ? selected.filter((x) => x !== id)
    : [...selected, id]);
  return html`<div class="stack">
    ${canEdit && html`<${Upload} projectID=${projectID} onDone=${list.reload} />`}
    <div class="row">
      <label class="inline">${t('assets.kind')}
        <select value=${kind} onChange=${(e) => {
          setKind(e.currentTarget.value);
          setOffset(0);
        }}>
          <option value="">${t('assets.any_kind')}</option>
          ${kinds.map((k) => html`<option value=${k}>${label('asset_kind', k)}</option>`)}
        </select>
      </label>
    </div>
    ${canEdit && html`<${Export} projectID=${projectID} selected=${selected}
      onDone=${() => {
        setSelected([]);
        list.reload();
      }} />`}
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('assets.empty')}</${Empty}>`
      : html`<div class="stack"><div class="grid">
        ${data.items.map((a) => html`<${AssetCard} a=${a} canEdit=${canEdit}
          checked=${selected.includes(a.id)} onToggle=${() => toggle(a.id)}
          onDeleted=${list.reload} />`)}
      </div>
      <${Pager} total=${data.total} limit=${limit} offset=${offset} onOffset=${setOffset} />
      </div>`)}
    </${Async}>
  </div>`;
}

function Upload({ projectID, onDone }) {
  const [over, setOver] = useState(false);
  const [uploads, setUploads] = useState([]);
  const update = (id, patch) => setUploads((list) => list.map((u) => (u.id === id
    ? { ...u, ...patch } : u)));
  const start = (files) => {
    for (const file of files) {
      const id = `${Date.now()}-${Math.random()}`;
      setUploads((list) => [...list, { id, name: file.name, size: file.size, progress: 0 }]);
      API.upload(projectID, file, (p) => update(id, { progress: p }))
        .then(() => {
          update(id, { progress: 1, done: true });
          onDone();
        }, (error) => update(id, { error }));
    }
  };
  const drop = (e) => {
    e.preventDefault();
    setOver(false);
    start([...e.dataTransfer.files]);
  };
  return html`<div class="stack">
    <div class=${`drop ${over ? 'over' : ''}`} onDragOver=${(e) => {
      e.preventDefault();
      setOver(true);
    }} onDragLeave=${() => setOver(false)} onDrop=${drop}>
      <p>${t('assets.drop')}</p>
      <label class="button">
        ${t('assets.choose')}
        <input type="file" multiple class="visually-hidden" data-testid="upload"
          onChange=${(e) => {
            start([...e.currentTarget.files]);
            e.currentTarget.value = '';
          }} />
      </label>
      <p class="hint">${t('assets.types')}</p>
    </div>
    ${uploads.map((u) => html`<div class="card small">
      <div class="row"><strong>${u.name}</strong><span class="muted">${formatBytes(u.size)}</span>
        ${u.done && html`<span class="badge succeeded">${t('assets.uploaded')}</span>`}</div>
      ${u.error ? html`<${ErrorNotice} error=${u.error} />`
        : html`<${Progress} value=${u.progress}
            label=${t('assets.upload_of', { name: u.name })} />`}
    </div>`)}
  </div>`;
}

function AssetCard({ a, canEdit, checked, onToggle, onDeleted }) {
  const { busy, error, run } = useBusy();
  const download = () => run(async () => {
    const fresh = await API.get(`/api/v1/assets/${a.id}`);
    window.location.assign(fresh.download_url || fresh.url);
  });
  const remove = () => run(async () => {
    if (!window.confirm(t('assets.confirm_delete', { name: a.name }))) return;
    await API.del(`/api/v1/assets/${a.id}`);
    onDeleted();
  });
  return html`<article class="card asset">
    ${a.kind === 'video' && a.url && html`<video class="thumb" src=${a.url} controls muted
      preload="metadata"></video>`}
    ${a.kind === 'image' && a.url && html`<img class="thumb" src=${a.url} alt=${a.name} />`}
    ${a.kind === 'audio' && a.url && html`<audio src=${a.url} controls preload="none"></audio>`}
    <div class="row">
      ${canEdit && html`<input type="checkbox" checked=${checked} onChange=${onToggle}
        aria-label=${t('assets.select', { name: a.name })} />`}
      <strong>${a.name}</strong>
    </div>
    <div class="row small muted">
      <span class="badge">${label('asset_kind', a.kind)}</span>
      <span>${formatBytes(a.size_bytes)}</span>
      ${a.width > 0 && html`<span>${a.width}×${a.height}</span>`}
      ${a.duration_ms > 0 && html`<span>${t('job.seconds',
        { n: (a.duration_ms / 1000).toFixed(1) })}</span>`}
    </div>
    <div class="small muted">${formatDate(a.created_at)}</div>
    <${ErrorNotice} error=${error} />
    <div class="row">
      <button type="button" class="small" disabled=${busy} onClick=${download}>
        ${t('common.download')}</button>
      ${canEdit && html`<button type="button" class="small danger" disabled=${busy}
        onClick=${remove}>${t('common.delete')}</button>`}
    </div>
  </article>`;
}

function Export({ projectID, selected, onDone }) {
  const [renditions, setRenditions] = useState([]);
  const [result, setResult] = useState(null);
  const { busy, error, run } = useBusy();
  const toggle = (tier, aspect) => {
    const has = renditions.some((r) => r.tier === tier && r.aspect === aspect);
    setRenditions(has ? renditions.filter((r) => !(r.tier === tier && r.aspect === aspect))
      : [...renditions, { tier, aspect, format: 'mp4' }].slice(0, 8));
  };
  const submit = (e) => {
    e.preventDefault();
    setResult(null);
    run(async () => {
      const zip = await API.post('/api/v1/exports', { project_id: projectID,
        asset_ids: selected, renditions });
      const fresh = await API.get(`/api/v1/assets/${zip.id}`);
      setResult(fresh);
      onDone();
    });
  };
  return html`<form class="card stack" onSubmit=${submit}>
    <h2>${t('assets.export')}</h2>
    <p class="muted small">${t('assets.export_lead', { n: selected.length })}</p>
    <fieldset>
      <legend>${t('assets.renditions')}</legend>
      <div class="options">
        ${tiers.flatMap((tier) => aspects.map((aspect) => {
          const on = renditions.some((r) => r.tier === tier && r.aspect === aspect);
          return html`<label class=${`option ${on ? 'on' : ''}`}>
            <input type="checkbox" checked=${on} onChange=${() => toggle(tier, aspect)} />
            ${tier} ${aspect}
          </label>`;
        }))}
      </div>
    </fieldset>
    <${ErrorNotice} error=${error} />
    ${busy && html`<div class="loading"><span class="spinner" aria-hidden="true"></span>
      ${t('assets.exporting')}</div>`}
    ${result && html`<${Notice}>${t('assets.exported')} <a
      href=${result.download_url || result.url}>${result.name}</a></${Notice}>`}
    <div class="row end"><button class="primary" type="submit"
      disabled=${busy || selected.length === 0}>${t('assets.export_zip')}</button></div>
  </form>`;
}
