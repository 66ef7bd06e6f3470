// Providers: status, capabilities, prices and current use as the chosen
// organization sees them, and the organization's own keys for admins.
import { html } from '../html.js';
import { useState } from '../../vendor/hooks.mjs';
import { t, formatCents, formatDate } from '../i18n.js';
import * as API from '../api.js';
import { useSession } from '../session.js';
import {
  Async, Empty, ErrorNotice, Notice, Progress, atLeast, fieldError, label, useAsync, useBusy,
} from '../ui.js';

export function Providers() {
  const { org } = useSession();
  const list = useAsync(() => API.get(`/api/v1/providers${API.query({ org_id: org?.id })}`),
    [org?.id]);
  const admin = org && atLeast(org.role, 'admin');
  return html`<section>
    <h1>${t('providers.title')}</h1>
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('providers.empty')}</${Empty}>`
      : html`<div class="stack">${data.items.map((p) => html`<${Provider} p=${p} />`)}</div>`)}
    </${Async}>
    ${admin && html`<${Accounts} org=${org} providers=${list.data?.items || []}
      onChange=${list.reload} />`}
  </section>`;
}

function Provider({ p }) {
  const caps = p.capabilities || {};
  const use = p.limits.concurrency ? p.limits.in_use / p.limits.concurrency : 0;
  return html`<article class="card stack" data-testid="provider">
    <div class="row">
      <h2>${p.name}</h2>
      <span class=${`badge ${p.circuit}`}>${label('circuit', p.circuit)}</span>
      <span class="badge">${label('account', p.account)}</span>
      ${!p.configured && html`<span class="badge bad">${t('providers.not_configured')}</span>`}
    </div>
    <dl class="kv small">
      <dt>${t('providers.last_result')}</dt>
      <dd>${p.last_result || t('providers.none')}${p.last_call_at
        ? ` · ${formatDate(p.last_call_at)}` : ''}</dd>
      <dt>${t('providers.in_use')}</dt>
      <dd><${Progress} value=${use} label=${t('providers.in_use')} />
        ${t('providers.slots', { used: p.limits.in_use, max: p.limits.concurrency })}</dd>
      <dt>${t('providers.rate')}</dt>
      <dd>${t('providers.per_minute', { n: p.limits.rate_per_minute })}</dd>
      <dt>${t('providers.kinds')}</dt>
      <dd>${(caps.kinds || []).map((k) => label('kind', k)).join(', ')}</dd>
    </dl>
    <div class="table-wrap"><table>
      <thead><tr><th>${t('providers.model')}</th><th>${t('generate.duration')}</th>
        <th>${t('generate.resolution')}</th><th>${t('generate.aspect')}</th>
        <th>${t('providers.audio')}</th></tr></thead>
      <tbody>${(caps.models || []).map((m) => html`<tr>
        <td><strong>${m.name || m.id}</strong><div class="muted small mono">${m.id}</div></td>
        <td>${m.durations && m.durations.length ? m.durations.join(', ')
          : t('providers.range', { min: m.min_duration || 1, max: m.max_duration || 60 })}</td>
        <td>${(m.resolutions || []).join(', ')}</td>
        <td>${(m.aspect_ratios || []).join(', ')}</td>
        <td>${m.audio ? t('common.yes') : t('common.no')}</td>
      </tr>`)}</tbody>
    </table></div>
    <${Prices} price=${caps.price || {}} />
  </article>`;
}

function Prices({ price }) {
  const order = ['720p', '1080p', '2k', '4k', '*'];
  const rank = (x) => (order.includes(x) ? order.indexOf(x) : order.length);
  const tiers = [...new Set([...Object.keys(price.per_second_cents || {}),
    ...Object.keys(price.per_image_cents || {})])].sort((a, b) => rank(a) - rank(b));
  if (tiers.length === 0) return html`<p class="muted small">${t('providers.no_prices')}</p>`;
  const cell = (m, k) => (m && k in m ? formatCents(m[k]) : '');
  return html`<div class="table-wrap"><table>
    <thead><tr><th>${t('providers.price')}</th>
      ${tiers.map((x) => html`<th>${x}</th>`)}</tr></thead>
    <tbody>
      <tr><td>${t('providers.per_second')}</td>
        ${tiers.map((x) => html`<td>${cell(price.per_second_cents, x)}</td>`)}</tr>
      <tr><td>${t('providers.per_image')}</td>
        ${tiers.map((x) => html`<td>${cell(price.per_image_cents, x)}</td>`)}</tr>
    </tbody>
  </table></div>`;
}

function Accounts({ org, providers, onChange }) {
  const base = `/api/v1/organizations/${org.id}/provider-accounts`;
  const list = useAsync(() => API.get(base), [org.id]);
  const [provider, setProvider] = useState(providers[0]?.name || '');
  const [name, setName] = useState('');
  const [secret, setSecret] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, run } = useBusy();
  const chosen = provider || providers[0]?.name || '';
  const submit = (e) => {
    e.preventDefault();
    setDone(false);
    run(async () => {
      await API.post(base, { provider: chosen, name: name.trim(), secret });
      // The secret is write-only: forget it as soon as the server has it.
      setSecret('');
      setName('');
      setDone(true);
      list.reload();
      onChange();
    });
  };
  const remove = (a) => run(async () => {
    if (!window.confirm(t('accounts.confirm_delete', { name: a.name }))) return;
    await API.del(`${base}/${a.id}`);
    list.reload();
    onChange();
  });
  return html`<section>
    <h2>${t('accounts.title')}</h2>
    <p class="muted">${t('accounts.lead')}</p>
    <${ErrorNotice} error=${error} />
    ${done && html`<${Notice}>${t('accounts.saved')}</${Notice}>`}
    <form class="card stack" onSubmit=${submit} autocomplete="off">
      <div class="two">
        <label>${t('accounts.provider')}
          <select value=${chosen} onChange=${(e) => setProvider(e.currentTarget.value)}>
            ${providers.map((p) => html`<option value=${p.name}>${p.name}</option>`)}
          </select>
        </label>
        <label>${t('accounts.name')}
          <input required maxlength="100" value=${name}
            onInput=${(e) => setName(e.currentTarget.value)} />
          <span class="field-error">${fieldError(error, 'name')}</span>
        </label>
      </div>
      <label>${t('accounts.secret')}
        <input type="password" required autocomplete="new-password" value=${secret}
          onInput=${(e) => setSecret(e.currentTarget.value)} />
        <span class="hint">${t('accounts.secret_hint')}</span>
        <span class="field-error">${fieldError(error, 'secret')}</span>
      </label>
      <div class="row end"><button class="primary" type="submit"
        disabled=${busy || !chosen || !secret || !name.trim()}>${t('accounts.save')}</button></div>
    </form>
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('accounts.empty')}</${Empty}>`
      : html`<div class="table-wrap"><table>
        <thead><tr><th>${t('accounts.provider')}</th><th>${t('accounts.name')}</th>
          <th>${t('accounts.status')}</th><th>${t('accounts.last_used')}</th><th></th></tr></thead>
        <tbody>${data.items.map((a) => html`<tr>
          <td>${a.provider}</td><td>${a.name}</td><td><span class="badge">${a.status}</span></td>
          <td class="small">${formatDate(a.last_used_at) || t('providers.none')}</td>
          <td class="right"><button type="button" class="small danger" disabled=${busy}
            onClick=${() => remove(a)}>${t('common.delete')}</button></td>
        </tr>`)}</tbody>
      </table></div>`)}
    </${Async}>
  </section>`;
}
