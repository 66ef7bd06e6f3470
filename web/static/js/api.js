// The REST API client. The access token lives in this module's memory
// only; the refresh token is an HttpOnly cookie the script never sees, and
// refresh and logout prove themselves with the rf_csrf cookie copied into
// the X-CSRF-Token header (double submit). Nothing goes to localStorage.
import { SSEParser } from './sse.js';

let accessToken = '';
let expiresAt = 0;
let refreshTimer = 0;
let refreshing = null;
const listeners = new Set();

/** APIError carries an RFC 9457 problem: status, code, detail, errors. */
export class APIError extends Error {
  constructor(status, problem = {}) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || '';
    this.detail = problem.detail || '';
    this.title = problem.title || '';
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/** onSessionChange calls fn(signedIn) whenever the session starts or ends. */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function signedIn() {
  return accessToken !== '';
}

function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'rf_csrf') return decodeURIComponent(v.join('='));
  }
  return '';
}

function setSession(tokens) {
  const was = signedIn();
  accessToken = tokens.access_token;
  const ttl = Math.max(30, Number(tokens.expires_in) || 900);
  expiresAt = Date.now() + ttl * 1000;
  clearTimeout(refreshTimer);
  // Refresh a minute early, so requests rarely meet an expired token.
  refreshTimer = setTimeout(() => refresh(), Math.max(10, ttl - 60) * 1000);
  if (!was) for (const fn of listeners) fn(true);
}

function endSession() {
  const was = signedIn();
  accessToken = '';
  expiresAt = 0;
  clearTimeout(refreshTimer);
  if (was) for (const fn of listeners) fn(false);
}

async function problemOf(res) {
  let body = {};
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      body = await res.json();
    } catch {
      body = {};
    }
  }
  return new APIError(res.status, body);
}

export async function login(email, password) {
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw await problemOf(res);
  setSession(await res.json());
}

/**
 * refresh trades the cookie for a new access token; concurrent callers
 * share one request, because a refresh token works once and a second use
 * would revoke the whole session. Resolves to whether it worked.
 */
export function refresh() {
  if (!refreshing) {
    refreshing = doRefresh().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

// Tabs of the console share the refresh cookie. Were two of them to
// refresh at once, the second would present a token the first had just
// used, and the server would revoke the session; a Web Lock takes turns.
function doRefresh() {
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request('reelforge-refresh', refreshOnce);
  }
  return refreshOnce();
}

async function refreshOnce() {
  const csrf = csrfToken();
  if (!csrf) {
    endSession();
    return false;
  }
  try {
    const res = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'X-CSRF-Token': csrf },
      credentials: 'same-origin',
    });
    if (!res.ok) {
      endSession();
      return false;
    }
    setSession(await res.json());
    return true;
  } catch {
    // The network failed; keep the session and let the next call retry.
    return false;
  }
}

export async function logout() {
  try {
    await fetch('/api/v1/auth/logout', {
      method: 'POST',
      headers: { 'X-CSRF-Token': csrfToken() },
      credentials: 'same-origin',
    });
  } finally {
    endSession();
  }
}

async function freshToken() {
  if (accessToken && Date.now() > expiresAt - 5000) await refresh();
  return accessToken;
}

async function send(method, path, body, headers) {
  const token = await freshToken();
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined && body !== null) {
    h['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  return fetch(path, { method, headers: h, body: payload, credentials: 'same-origin' });
}

/**
 * api calls one route and returns its JSON (null for 204); an error answer
 * becomes an APIError. A 401 triggers one refresh and one retry.
 */
export async function api(method, path, body, headers = {}) {
  let res = await send(method, path, body, headers);
  if (res.status === 401 && accessToken) {
    if (await refresh()) res = await send(method, path, body, headers);
  }
  if (!res.ok) throw await problemOf(res);
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  return type.includes('json') ? res.json() : res.text();
}

export const get = (path) => api('GET', path);
export const post = (path, body, headers) => api('POST', path, body ?? undefined, headers);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

/** query builds ?a=b&c=d from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * streamEvents follows a job's Server-Sent Events with fetch() and the
 * bearer token, reconnecting with Last-Event-ID after a dropped connection
 * until the server's final `end` event or until signal aborts. onEvent gets
 * {id, event, data} with data parsed from JSON.
 */
export async function streamEvents(jobID, { onEvent, onState, signal }) {
  let lastID = '';
  let failures = 0;
  while (!signal.aborted) {
    let ended = false;
    try {
      const token = await freshToken();
      const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
      if (lastID) headers['Last-Event-ID'] = lastID;
      const res = await fetch(`/api/v1/jobs/${encodeURIComponent(jobID)}/events`,
        { headers, signal, credentials: 'same-origin' });
      if (res.status === 401 && (await refresh())) continue;
      if (!res.ok) throw await problemOf(res);
      onState?.('live');
      failures = 0;
      const parser = new SSEParser((ev) => {
        let data = ev.data;
        try {
          data = JSON.parse(ev.data);
        } catch {
          // Not JSON: passed on as text.
        }
        if (ev.event === 'end') ended = true;
        onEvent({ id: ev.id, event: ev.event, data });
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
        if (parser.lastEventId) lastID = parser.lastEventId;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof APIError && err.status !== 503 && err.status < 500) {
        onState?.('error', err);
        return;
      }
      failures++;
    }
    if (ended) {
      onState?.('ended');
      return;
    }
    onState?.('reconnecting');
    await new Promise((r) => setTimeout(r, Math.min(10000, 500 * 2 ** failures)));
  }
}

/**
 * upload sends a file as multipart/form-data with XMLHttpRequest, whose
 * upload events report progress (fetch has none). onProgress gets 0..1.
 */
export async function upload(projectID, file, onProgress) {
  const token = await freshToken();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/assets');
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = {};
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new APIError(xhr.status, body));
    });
    xhr.addEventListener('error', () => reject(new APIError(0, {})));
    const form = new FormData();
    form.append('project_id', projectID);
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
