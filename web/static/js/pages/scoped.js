// A page about one project of the current organization, chosen in its
// header and kept in the URL (?project=), as Assets and Storyboards are.
import { html } from '../html.js';
import { t } from '../i18n.js';
import * as API from '../api.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';
import { Async, Empty, atLeast, projectRole, useAsync } from '../ui.js';

// ProjectPage renders the heading and project picker, then calls body with
// the chosen project's id and whether the user may edit it.
export function ProjectPage({ query, path, title, body }) {
  const { org, orgs } = useSession();
  const projects = useAsync(() => API.get(`/api/v1/projects${API.query({ org_id: org?.id,
    limit: 200 })}`), [org?.id]);
  const items = projects.data?.items || [];
  const projectID = query.get('project') || items[0]?.id || '';
  const project = items.find((p) => p.id === projectID);
  return html`<section>
    <div class="head">
      <h1>${title}</h1>
      ${items.length > 0 && html`<label class="inline">${t('common.project')}
        <select value=${projectID} onChange=${(e) => navigate(
          `${path}?project=${e.currentTarget.value}`, { replace: true })}>
          ${items.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
        </select>
      </label>`}
    </div>
    <${Async} state=${projects}>${() => (!projectID
      ? html`<${Empty}>${t('generate.no_projects')}</${Empty}>`
      : body(projectID, atLeast(projectRole(project, orgs), 'editor')))}
    </${Async}>
  </section>`;
}
