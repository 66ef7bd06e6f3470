// Projects: the list with a create form, and one project's pages:
// settings, members and roles, prompts, versions and the change log.
import { html } from '../html.js';
import { useState } from '../../vendor/hooks.mjs';
import { t, formatDate } from '../i18n.js';
import * as API from '../api.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../session.js';
import {
  Async, Empty, ErrorNotice, Notice, atLeast, fieldError, label, projectRole, useAsync, useBusy,
} from '../ui.js';

export function Projects() {
  const { org, orgs } = useSession();
  const [q, setQ] = useState('');
  const list = useAsync(() => API.get(`/api/v1/projects${API.query({
    org_id: org?.id, q, limit: 100, sort: '-updated_at' })}`), [org?.id, q]);
  return html`<section>
    <div class="head">
      <h1>${t('projects.title')}</h1>
      <input type="search" aria-label=${t('projects.search')} placeholder=${t('projects.search')}
        value=${q} onInput=${(e) => setQ(e.currentTarget.value)} />
    </div>
    ${org && atLeast(org.role, 'editor') && html`<${CreateProject} org=${org} />`}
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('projects.empty')}</${Empty}>`
      : html`<div class="grid" data-testid="projects">
        ${data.items.map((p) => html`<article class="card stack">
          <h3><${Link} href=${`/projects/${p.id}`}>${p.name}</${Link}></h3>
          ${p.description && html`<p class="muted">${p.description}</p>`}
          <div class="row small muted">
            <span class="badge">${label('role', projectRole(p, orgs))}</span>
            <span>${t('common.updated', { when: formatDate(p.updated_at) })}</span>
          </div>
          <div class="row">
            <${Link} class="button small" href=${`/generate?project=${p.id}`}>
              ${t('projects.generate')}</${Link}>
            <${Link} class="button small" href=${`/projects/${p.id}`}>
              ${t('projects.open')}</${Link}>
          </div>
        </article>`)}
      </div>`)}
    </${Async}>
  </section>`;
}

function CreateProject({ org }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const { busy, error, run } = useBusy();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const p = await API.post('/api/v1/projects', { org_id: org.id, name: name.trim(),
        description: description.trim() });
      navigate(`/projects/${p.id}`);
    });
  };
  return html`<form class="card stack" onSubmit=${submit} aria-labelledby="new-project">
    <h2 id="new-project">${t('projects.new')}</h2>
    <${ErrorNotice} error=${error} />
    <div class="two">
      <label>${t('projects.name')}
        <input name="name" required maxlength="200" value=${name}
          onInput=${(e) => setName(e.currentTarget.value)} />
        <span class="field-error">${fieldError(error, 'name')}</span>
      </label>
      <label>${t('projects.description')}
        <input name="description" maxlength="5000" value=${description}
          onInput=${(e) => setDescription(e.currentTarget.value)} />
      </label>
    </div>
    <div class="row end">
      <button class="primary" type="submit" disabled=${busy || !name.trim()}>
        ${t('projects.create')}</button>
    </div>
  </form>`;
}

const tabs = ['prompts', 'members', 'versions', 'changes', 'settings'];

export function ProjectPage({ params, query }) {
  const tab = tabs.includes(query.get('tab')) ? query.get('tab') : 'prompts';
  const project = useAsync(() => API.get(`/api/v1/projects/${params.id}`), [params.id]);
  return html`<${Async} state=${project}>${(p) => html`<section>
    <div class="head">
      <div>
        <h1>${p.name}</h1>
        ${p.description && html`<p class="muted">${p.description}</p>`}
      </div>
      <div class="row">
        <${Link} class="button" href=${`/assets?project=${p.id}`}>${t('nav.assets')}</${Link}>
        <${Link} class="button" href=${`/jobs?project=${p.id}`}>${t('nav.jobs')}</${Link}>
        <${Link} class="button primary" href=${`/generate?project=${p.id}`}>
          ${t('projects.generate')}</${Link}>
      </div>
    </div>
    <nav class="tabs" aria-label=${t('project.sections')}>
      ${tabs.map((name) => html`<${Link} href=${`/projects/${p.id}?tab=${name}`}
        aria-current=${tab === name ? 'page' : undefined}>${t(`project.tab.${name}`)}</${Link}>`)}
    </nav>
    ${tab === 'prompts' && html`<${ProjectPrompts} project=${p} />`}
    ${tab === 'members' && html`<${Members} project=${p} />`}
    ${tab === 'versions' && html`<${Versions} project=${p} />`}
    ${tab === 'changes' && html`<${Changes} project=${p} />`}
    ${tab === 'settings' && html`<${Settings} project=${p} onSaved=${project.reload} />`}
  </section>`}</${Async}>`;
}

function ProjectPrompts({ project }) {
  const list = useAsync(() => API.get(`/api/v1/prompts${API.query({ project_id: project.id,
    limit: 100, sort: '-updated_at' })}`), [project.id]);
  const canEdit = atLeast(project.role, 'editor');
  return html`<div>
    <div class="row end">
      ${canEdit && html`<${Link} class="button primary"
        href=${`/prompts/new?project=${project.id}`}>
        ${t('prompts.new')}</${Link}>`}
    </div>
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('prompts.empty')}</${Empty}>`
      : html`<div class="table-wrap"><table>
        <thead><tr><th>${t('prompts.title_col')}</th><th>${t('prompts.body')}</th>
          <th>${t('common.updated_col')}</th><th></th></tr></thead>
        <tbody>${data.items.map((p) => html`<tr>
          <td><${Link} href=${`/prompts/${p.id}`}>${p.title}</${Link}></td>
          <td class="muted small">${p.body.length > 120 ? `${p.body.slice(0, 120)}…` : p.body}</td>
          <td class="small">${formatDate(p.updated_at)}</td>
          <td><${Link} class="button small"
            href=${`/generate?project=${project.id}&prompt=${p.id}`}>
            ${t('projects.generate')}</${Link}>
          </td>
        </tr>`)}</tbody>
      </table></div>`)}
    </${Async}>
  </div>`;
}

const grantable = ['viewer', 'editor', 'admin'];

function Members({ project }) {
  const list = useAsync(() => API.get(`/api/v1/projects/${project.id}/members`), [project.id]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('editor');
  const { busy, error, run } = useBusy();
  const canManage = atLeast(project.role, 'admin');
  const base = `/api/v1/projects/${project.id}/members`;
  const add = (e) => {
    e.preventDefault();
    run(async () => {
      await API.post(base, { email: email.trim(), role });
      setEmail('');
      list.reload();
    });
  };
  const change = (m, next) => run(async () => {
    await API.patch(`${base}/${m.user_id}`, { role: next });
    list.reload();
  });
  const remove = (m) => run(async () => {
    if (!window.confirm(t('members.confirm_remove', { name: m.name || m.email }))) return;
    await API.del(`${base}/${m.user_id}`);
    list.reload();
  });
  return html`<div class="stack">
    <p class="muted">${t('members.lead')}</p>
    <${ErrorNotice} error=${error} />
    ${canManage && html`<form class="card row" onSubmit=${add}>
      <label>${t('members.email')}
        <input type="email" required value=${email}
          onInput=${(e) => setEmail(e.currentTarget.value)} />
      </label>
      <label>${t('members.role')}
        <select value=${role} onChange=${(e) => setRole(e.currentTarget.value)}>
          ${grantable.map((r) => html`<option value=${r}>${label('role', r)}</option>`)}
        </select>
      </label>
      <button class="primary" type="submit" disabled=${busy}>${t('members.add')}</button>
    </form>`}
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('members.empty')}</${Empty}>`
      : html`<div class="table-wrap"><table>
        <thead><tr><th>${t('members.name')}</th><th>${t('members.email')}</th>
          <th>${t('members.role')}</th><th></th></tr></thead>
        <tbody>${data.items.map((m) => html`<tr>
          <td>${m.name}</td><td>${m.email}</td>
          <td>${canManage && m.role !== 'owner'
            ? html`<select aria-label=${t('members.role')} value=${m.role} disabled=${busy}
                onChange=${(e) => change(m, e.currentTarget.value)}>
                ${grantable.map((r) => html`<option value=${r}>${label('role', r)}</option>`)}
              </select>`
            : label('role', m.role)}</td>
          <td class="right">${canManage && html`<button type="button" class="small danger"
            disabled=${busy} onClick=${() => remove(m)}>${t('members.remove')}</button>`}</td>
        </tr>`)}</tbody>
      </table></div>`)}
    </${Async}>
  </div>`;
}

function Versions({ project }) {
  const list = useAsync(() => API.get(`/api/v1/projects/${project.id}/versions?limit=100`),
    [project.id]);
  const [name, setName] = useState('');
  const [note, setNote] = useState('');
  const [done, setDone] = useState('');
  const { busy, error, run } = useBusy();
  const canEdit = atLeast(project.role, 'editor');
  const create = (e) => {
    e.preventDefault();
    run(async () => {
      await API.post(`/api/v1/projects/${project.id}/versions`, { name: name.trim(),
        note: note.trim() });
      setName('');
      setNote('');
      setDone(t('versions.saved'));
      list.reload();
    });
  };
  const restore = (v) => run(async () => {
    if (!window.confirm(t('versions.confirm_restore', { name: v.name }))) return;
    const r = await API.post(`/api/v1/projects/${project.id}/versions/${v.id}/restore`);
    setDone(t('versions.restored', { prompts: r.prompts, documents: r.documents }));
    list.reload();
  });
  return html`<div class="stack">
    <p class="muted">${t('versions.lead')}</p>
    <${ErrorNotice} error=${error} />
    ${done && html`<${Notice}>${done}</${Notice}>`}
    ${canEdit && html`<form class="card stack" onSubmit=${create}>
      <div class="two">
        <label>${t('versions.name')}
          <input required maxlength="200" value=${name}
            onInput=${(e) => setName(e.currentTarget.value)} />
        </label>
        <label>${t('versions.note')}
          <input maxlength="5000" value=${note} onInput=${(e) => setNote(e.currentTarget.value)} />
        </label>
      </div>
      <div class="row end"><button class="primary" type="submit" disabled=${busy || !name.trim()}>
        ${t('versions.create')}</button></div>
    </form>`}
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('versions.empty')}</${Empty}>`
      : html`<div class="table-wrap"><table>
        <thead><tr><th>${t('versions.name')}</th><th>${t('versions.note')}</th>
          <th>${t('common.created_col')}</th><th></th></tr></thead>
        <tbody>${data.items.map((v) => html`<tr>
          <td>${v.name}</td><td class="muted">${v.note}</td>
          <td class="small">${formatDate(v.created_at)}</td>
          <td class="right">${canEdit && html`<button type="button" class="small" disabled=${busy}
            onClick=${() => restore(v)}>${t('versions.restore')}</button>`}</td>
        </tr>`)}</tbody>
      </table></div>`)}
    </${Async}>
  </div>`;
}

function Changes({ project }) {
  const [offset, setOffset] = useState(0);
  const limit = 50;
  const list = useAsync(() => API.get(`/api/v1/projects/${project.id}/changes${API.query({
    limit, offset })}`), [project.id, offset]);
  return html`<${Async} state=${list}>${(data) => (data.items.length === 0
    ? html`<${Empty}>${t('changes.empty')}</${Empty}>`
    : html`<div class="stack"><div class="table-wrap"><table>
      <thead><tr><th>${t('changes.when')}</th><th>${t('changes.entity')}</th>
        <th>${t('changes.action')}</th><th>${t('changes.summary')}</th></tr></thead>
      <tbody>${data.items.map((c) => html`<tr>
        <td class="small">${formatDate(c.created_at)}</td>
        <td>${label('entity', c.entity)}</td>
        <td><span class="badge">${c.action}</span></td>
        <td>${c.summary}</td>
      </tr>`)}</tbody>
    </table></div>
    <${Pager} total=${data.total} limit=${limit} offset=${offset} onOffset=${setOffset} />
    </div>`)}</${Async}>`;
}

/** Pager moves through a paginated list. */
export function Pager({ total, limit, offset, onOffset }) {
  if (total <= limit) return null;
  return html`<div class="row end">
    <span class="muted small">${t('common.range', { from: offset + 1,
      to: Math.min(total, offset + limit), total })}</span>
    <button type="button" class="small" disabled=${offset === 0}
      onClick=${() => onOffset(Math.max(0, offset - limit))}>${t('common.previous')}</button>
    <button type="button" class="small" disabled=${offset + limit >= total}
      onClick=${() => onOffset(offset + limit)}>${t('common.next')}</button>
  </div>`;
}

function Settings({ project, onSaved }) {
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description || '');
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useBusy();
  const canEdit = atLeast(project.role, 'admin');
  const canDelete = project.role === 'owner';
  const save = (e) => {
    e.preventDefault();
    setSaved(false);
    run(async () => {
      await API.patch(`/api/v1/projects/${project.id}`, { name: name.trim(),
        description: description.trim() });
      setSaved(true);
      onSaved();
    });
  };
  const remove = () => run(async () => {
    if (!window.confirm(t('settings.confirm_delete', { name: project.name }))) return;
    await API.del(`/api/v1/projects/${project.id}`);
    navigate('/projects');
  });
  return html`<form class="card stack" onSubmit=${save}>
    <${ErrorNotice} error=${error} />
    ${saved && html`<${Notice}>${t('settings.saved')}</${Notice}>`}
    ${!canEdit && html`<${Notice} kind="info">${t('settings.readonly')}</${Notice}>`}
    <label>${t('projects.name')}
      <input required maxlength="200" value=${name} disabled=${!canEdit}
        onInput=${(e) => setName(e.currentTarget.value)} />
    </label>
    <label>${t('projects.description')}
      <textarea maxlength="5000" disabled=${!canEdit} value=${description}
        onInput=${(e) => setDescription(e.currentTarget.value)}></textarea>
    </label>
    <dl class="kv small">
      <dt>${t('settings.role')}</dt>
      <dd><span class="badge">${label('role', project.role)}</span></dd>
      <dt>${t('common.created_col')}</dt><dd>${formatDate(project.created_at)}</dd>
    </dl>
    <div class="row end">
      ${canDelete && html`<button type="button" class="danger" disabled=${busy}
        onClick=${remove}>${t('settings.delete')}</button>`}
      ${canEdit && html`<button class="primary" type="submit" disabled=${busy || !name.trim()}>
        ${t('common.save')}</button>`}
    </div>
  </form>`;
}
