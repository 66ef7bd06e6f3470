// Shared pieces of every page: loading, empty and error states, status
// badges, progress bars and a hook that loads data.
import { html } from './html.js';
import { useEffect, useState, useRef } from '../vendor/hooks.mjs';
import { t, formatPercent, has } from './i18n.js';
import { APIError } from './api.js';

export function Loading({ label }) {
  return html`<div class="loading" role="status" aria-live="polite">
    <span class="spinner" aria-hidden="true"></span>${label || t('state.loading')}
  </div>`;
}

export function Empty({ children }) {
  return html`<div class="empty">${children}</div>`;
}

/** ErrorNotice shows a problem's detail and the fields it names. */
export function ErrorNotice({ error }) {
  if (!error) return null;
  let text = t('error.generic');
  if (error instanceof APIError) {
    if (error.status === 0) text = t('error.network');
    else text = error.detail || error.title || t('error.status', { status: error.status });
  } else if (error instanceof TypeError) {
    text = t('error.network');
  }
  return html`<div class="notice error" role="alert">
    <div>${text}</div>
    ${error.errors && error.errors.length > 0 && html`<ul>
      ${error.errors.map((e) => html`<li><code>${e.field}</code>: ${e.message}</li>`)}
    </ul>`}
  </div>`;
}

export function Notice({ kind = 'ok', children }) {
  return html`<div class=${`notice ${kind}`} role="status">${children}</div>`;
}

/** label reads an optional catalogue entry, falling back to the raw value. */
export function label(prefix, value) {
  return has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value;
}

export function Status({ status }) {
  return html`<span class=${`badge ${status}`}>${label('status', status)}</span>`;
}

export function Progress({ value, label: name }) {
  const v = Math.max(0, Math.min(1, Number(value) || 0));
  const pct = Math.round(v * 100);
  return html`<div class="progress">
    <progress max="100" value=${pct} aria-label=${name || t('job.progress')}></progress>
    <span data-progress=${pct}>${formatPercent(v)}</span>
  </div>`;
}

/**
 * useAsync runs load() when deps change and exposes {data, error, loading,
 * reload}; the previous data stays visible while a reload runs.
 */
export function useAsync(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

/** Async renders loading, error or children(data) for a useAsync result. */
export function Async({ state, children }) {
  if (state.error && !state.data) return html`<${ErrorNotice} error=${state.error} />`;
  if (state.loading && !state.data) return html`<${Loading} />`;
  const notice = state.error && html`<${ErrorNotice} error=${state.error} />`;
  return html`${notice}${children(state.data)}`;
}

/** useBusy wraps an action: busy while it runs, its error kept for display. */
export function useBusy() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const mounted = useRef(true);
  useEffect(() => () => {
    mounted.current = false;
  }, []);
  const run = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      if (mounted.current) setError(err);
      return undefined;
    } finally {
      if (mounted.current) setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/** fieldError finds the server's message for one field of a 422. */
export function fieldError(error, field) {
  if (!(error instanceof APIError)) return '';
  const e = error.errors.find((x) => x.field === field);
  return e ? e.message : '';
}

export const roles = ['viewer', 'editor', 'admin', 'owner'];

/** atLeast compares roles in the order viewer < editor < admin < owner. */
export function atLeast(role, wanted) {
  return roles.indexOf(role) >= roles.indexOf(wanted);
}

export const finalStatuses = ['succeeded', 'failed', 'canceled'];

/**
 * projectRole is the caller's role in a project: the one the API states,
 * else their role in the project's organization (lists leave it out).
 */
export function projectRole(project, orgs) {
  if (!project) return 'viewer';
  return project.role || (orgs || []).find((o) => o.id === project.org_id)?.role || 'viewer';
}
