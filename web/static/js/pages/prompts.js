// The prompt editor: create or edit one prompt of a project.
import { html } from '../html.js';
import { useState } from '../../vendor/hooks.mjs';
import { t, formatDate } from '../i18n.js';
import * as API from '../api.js';
import { Link, navigate } from '../router.js';
import { Async, ErrorNotice, Notice, fieldError, useAsync, useBusy } from '../ui.js';
import { LintHints } from '../lint.js';
import { useSession } from '../session.js';

export function PromptEditor({ params, query }) {
  const id = params.id;
  const state = useAsync(async () => {
    if (id) return API.get(`/api/v1/prompts/${id}`);
    return { project_id: query.get('project') || '', title: '', body: '', negative_prompt: '',
      tags: [] };
  }, [id]);
  return html`<${Async} state=${state}>${(p) => html`<${Editor} key=${p.id || 'new'}
    prompt=${p} />`}</${Async}>`;
}

function Editor({ prompt }) {
  const { org } = useSession();
  const [title, setTitle] = useState(prompt.title);
  const [body, setBody] = useState(prompt.body);
  const [negative, setNegative] = useState(prompt.negative_prompt || '');
  const [tags, setTags] = useState((prompt.tags || []).join(', '));
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useBusy();
  const isNew = !prompt.id;
  const projects = useAsync(() => (isNew ? API.get('/api/v1/projects?limit=200')
    : Promise.resolve(null)), [isNew]);
  const [projectID, setProjectID] = useState(prompt.project_id);
  const chosen = projectID || projects.data?.items?.[0]?.id || '';

  const save = (e) => {
    e.preventDefault();
    setSaved(false);
    run(async () => {
      const fields = { title: title.trim(), body, negative_prompt: negative,
        tags: tags.split(/[,，]/).map((x) => x.trim()).filter(Boolean) };
      if (isNew) {
        const p = await API.post('/api/v1/prompts', { project_id: chosen, ...fields });
        navigate(`/prompts/${p.id}`, { replace: true });
      } else {
        await API.patch(`/api/v1/prompts/${prompt.id}`, fields);
        setSaved(true);
      }
    });
  };
  const remove = () => run(async () => {
    if (!window.confirm(t('prompts.confirm_delete', { name: prompt.title }))) return;
    await API.del(`/api/v1/prompts/${prompt.id}`);
    navigate(`/projects/${prompt.project_id}?tab=prompts`);
  });

  return html`<form class="stack" onSubmit=${save}>
    <div class="head">
      <h1>${isNew ? t('prompts.new') : t('prompts.edit')}</h1>
      ${!isNew && html`<div class="row">
        <${Link} class="button" href=${`/projects/${prompt.project_id}?tab=prompts`}>
          ${t('prompts.back')}</${Link}>
        <${Link} class="button"
          href=${`/generate?project=${prompt.project_id}&prompt=${prompt.id}`}>
          ${t('projects.generate')}</${Link}>
      </div>`}
    </div>
    <${ErrorNotice} error=${error} />
    ${saved && html`<${Notice}>${t('prompts.saved')}</${Notice}>`}
    <div class="card stack">
      ${isNew && html`<label>${t('common.project')}
        <select required value=${chosen} onChange=${(e) => setProjectID(e.currentTarget.value)}>
          ${(projects.data?.items || []).map((p) => html`<option value=${p.id}>
            ${p.name}</option>`)}
        </select>
      </label>`}
      <label>${t('prompts.title_col')}
        <input required maxlength="200" value=${title}
          onInput=${(e) => setTitle(e.currentTarget.value)} />
        <span class="field-error">${fieldError(error, 'title')}</span>
      </label>
      <label>${t('prompts.body')}
        <textarea required maxlength="20000" rows="10" value=${body}
          onInput=${(e) => setBody(e.currentTarget.value)}></textarea>
        <span class="hint">${t('prompts.chars', { n: [...body].length })}</span>
        <span class="field-error">${fieldError(error, 'body')}</span>
      </label>
      <label>${t('prompts.negative')}
        <textarea maxlength="5000" rows="3" value=${negative}
          onInput=${(e) => setNegative(e.currentTarget.value)}></textarea>
      </label>
      <label>${t('templates.tags')}
        <input value=${tags} onInput=${(e) => setTags(e.currentTarget.value)} />
        <span class="hint">${t('templates.tags_hint')}</span>
      </label>
      ${prompt.template_ref && html`<p class="small muted">${t('prompts.from_template')}
        <${Link} href=${`/templates/${encodeURIComponent(prompt.template_ref)}`}>
          ${prompt.template_ref}</${Link}></p>`}
      ${!isNew && html`<p class="small muted">${t('common.updated',
        { when: formatDate(prompt.updated_at) })}</p>`}
    </div>
    <${LintHints} text=${body} orgID=${org?.id} />
    <div class="row end">
      ${!isNew && html`<button type="button" class="danger" disabled=${busy} onClick=${remove}>
        ${t('common.delete')}</button>`}
      <button class="primary" type="submit" disabled=${busy || !title.trim() || !body.trim()
        || (isNew && !chosen)}>${t('common.save')}</button>
    </div>
  </form>`;
}
