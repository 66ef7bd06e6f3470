// The organization's audit log, for its admins.
import { html } from '../html.js';
import { useState } from '../../vendor/hooks.mjs';
import { t, formatDate } from '../i18n.js';
import * as API from '../api.js';
import { useSession } from '../session.js';
import { Async, Empty, Notice, atLeast, label, useAsync } from '../ui.js';
import { Pager } from './projects.js';

export function Audit() {
  const { org } = useSession();
  const [action, setAction] = useState('');
  const [offset, setOffset] = useState(0);
  const limit = 50;
  const admin = org && atLeast(org.role, 'admin');
  const list = useAsync(() => (admin ? API.get(`/api/v1/audit${API.query({ org_id: org.id,
    action, limit, offset })}`) : Promise.resolve(null)), [org?.id, action, offset]);
  if (!admin) return html`<${Notice} kind="info">${t('audit.admins_only')}</${Notice}>`;
  return html`<section>
    <div class="head">
      <h1>${t('audit.title')}</h1>
      <input type="search" aria-label=${t('audit.filter')} placeholder=${t('audit.filter')}
        value=${action} onChange=${(e) => {
          setAction(e.currentTarget.value.trim());
          setOffset(0);
        }} />
    </div>
    <${Async} state=${list}>${(data) => (!data || data.items.length === 0
      ? html`<${Empty}>${t('audit.empty')}</${Empty}>`
      : html`<div class="stack"><div class="table-wrap"><table>
        <thead><tr><th>${t('changes.when')}</th><th>${t('audit.action')}</th>
          <th>${t('audit.actor')}</th><th>${t('audit.target')}</th><th>${t('audit.ip')}</th></tr>
        </thead>
        <tbody>${data.items.map((e) => html`<tr>
          <td class="small">${formatDate(e.created_at)}</td>
          <td><span class="badge">${label('action', e.action)}</span></td>
          <td class="small">${label('actor', e.actor_type)}
            <div class="muted mono">${e.actor_id.slice(0, 8)}</div></td>
          <td class="small">${e.target_type}
            <div class="muted mono">${e.target_id.slice(0, 8)}</div></td>
          <td class="small mono">${e.ip}</td>
        </tr>`)}</tbody>
      </table></div>
      <${Pager} total=${data.total} limit=${limit} offset=${offset} onOffset=${setOffset} />
      </div>`)}
    </${Async}>
  </section>`;
}
