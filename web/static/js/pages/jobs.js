// Jobs: the list with live status, and one job followed live through its
// Server-Sent Events, with its tasks' progress, the event log, cancel and
// retry, and the outputs side by side in synchronised players.
import { html } from '../html.js';
import { useEffect, useRef, useState } from '../../vendor/hooks.mjs';
import { t, formatCents, formatDate, formatTime } from '../i18n.js';
import * as API from '../api.js';
import { Link } from '../router.js';
import {
  Async, Empty, ErrorNotice, Loading, Progress, Status, atLeast, finalStatuses, label, useAsync,
  useBusy,
} from '../ui.js';
import { Pager } from './projects.js';

const statuses = ['queued', 'starting', 'processing', 'succeeded', 'failed', 'canceled'];

export function Jobs({ query }) {
  const project = query.get('project') || '';
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const limit = 25;
  const list = useAsync(() => API.get(`/api/v1/jobs${API.query({ project_id: project, status,
    limit, offset })}`), [project, status, offset]);
  const projects = useAsync(() => API.get('/api/v1/projects?limit=200'), []);
  const names = Object.fromEntries((projects.data?.items || []).map((p) => [p.id, p.name]));

  // Poll while a job on the page is still running.
  const running = (list.data?.items || []).some((j) => !finalStatuses.includes(j.status));
  useEffect(() => {
    if (!running) return undefined;
    const id = setInterval(list.reload, 2000);
    return () => clearInterval(id);
  }, [running]);

  return html`<section>
    <div class="head">
      <h1>${project && names[project] ? t('jobs.title_of', { name: names[project] })
        : t('jobs.title')}</h1>
      <div class="row">
        <label class="inline">${t('jobs.status')}
          <select value=${status} onChange=${(e) => {
            setStatus(e.currentTarget.value);
            setOffset(0);
          }}>
            <option value="">${t('jobs.any_status')}</option>
            ${statuses.map((s) => html`<option value=${s}>${label('status', s)}</option>`)}
          </select>
        </label>
        <${Link} class="button primary" href=${`/generate${project ? `?project=${project}` : ''}`}>
          ${t('nav.generate')}</${Link}>
      </div>
    </div>
    <${Async} state=${list}>${(data) => (data.items.length === 0
      ? html`<${Empty}>${t('jobs.empty')}</${Empty}>`
      : html`<div class="stack"><div class="table-wrap"><table data-testid="jobs">
        <thead><tr><th>${t('jobs.job')}</th><th>${t('common.project')}</th>
          <th>${t('jobs.status')}</th><th>${t('job.progress')}</th><th>${t('jobs.cost')}</th>
          <th>${t('common.created_col')}</th></tr></thead>
        <tbody>${data.items.map((j) => html`<tr>
          <td><${Link} href=${`/jobs/${j.id}`}>${summary(j)}</${Link}></td>
          <td class="small">${names[j.project_id] || ''}</td>
          <td><${Status} status=${j.status} /></td>
          <td><${Progress} value=${j.progress} /></td>
          <td class="small">${formatCents(j.actual_cost_cents || j.estimated_cost_cents)}</td>
          <td class="small">${formatDate(j.created_at)}</td>
        </tr>`)}</tbody>
      </table></div>
      <${Pager} total=${data.total} limit=${limit} offset=${offset} onOffset=${setOffset} />
      </div>`)}
    </${Async}>
  </section>`;
}

/** summary is a job's first prompt, shortened, or its id. */
function summary(job) {
  const v = job.request?.variants?.[0];
  const p = (v && v.prompt) || job.request?.prompt || '';
  if (!p) return job.id.slice(0, 8);
  return p.length > 60 ? `${p.slice(0, 60)}…` : p;
}

export function JobPage({ params }) {
  const [job, setJob] = useState(null);
  const [tasks, setTasks] = useState(null);
  const [events, setEvents] = useState([]);
  const [stream, setStream] = useState('connecting');
  const [error, setError] = useState(null);
  const action = useBusy();
  const [project, setProject] = useState(null);
  const links = useRef({});
  // Bumped after a retry or a regeneration: a finished job's stream has
  // ended, and the job is live again.
  const [streamKey, setStreamKey] = useState(0);

  const load = async () => {
    try {
      const [j, ts] = await Promise.all([API.get(`/api/v1/jobs/${params.id}`),
        API.get(`/api/v1/jobs/${params.id}/tasks`)]);
      setJob(j);
      setTasks(ts.items);
      setError(null);
      return j;
    } catch (err) {
      setError(err);
      return null;
    }
  };

  useEffect(() => {
    const abort = new AbortController();
    let timer = 0;
    // Task updates arrive many per second; re-reading the tasks is batched.
    const reloadSoon = () => {
      clearTimeout(timer);
      timer = setTimeout(load, 250);
    };
    load().then((j) => {
      if (j) API.get(`/api/v1/projects/${j.project_id}`).then(setProject, () => {});
    });
    API.streamEvents(params.id, {
      signal: abort.signal,
      onState: (s, err) => {
        setStream(s);
        if (err) setError(err);
        if (s === 'ended') load();
      },
      onEvent: (ev) => {
        if (ev.event === 'end') return;
        const e = ev.data;
        if (!e || typeof e !== 'object') return;
        setEvents((list) => (list.some((x) => x.id === e.id) ? list : [...list, e]));
        if (e.type === 'task.progress' && e.task_id) {
          setTasks((ts) => ts && ts.map((x) => (x.id === e.task_id
            ? { ...x, progress: Math.max(x.progress, e.data.progress || 0),
              status: finalStatuses.includes(x.status) ? x.status : 'processing' } : x)));
        }
        if (e.type.startsWith('job.') && e.data && typeof e.data.progress === 'number') {
          const status = e.type.slice(4);
          setJob((j) => j && { ...j, progress: e.data.progress,
            status: statuses.includes(status) ? status : j.status,
            actual_cost_cents: e.data.actual_cost_cents ?? j.actual_cost_cents });
        }
        if (e.type !== 'task.progress') reloadSoon();
      },
    });
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [params.id, streamKey]);

  if (!job) return error ? html`<${ErrorNotice} error=${error} />` : html`<${Loading} />`;
  const canAct = !project || atLeast(project.role, 'editor');
  const isFinal = finalStatuses.includes(job.status);
  const req = job.request || {};
  const settings = [req.resolution, req.aspect_ratio, req.format,
    req.duration ? t('job.seconds', { n: req.duration }) : ''].filter(Boolean).join(' · ');
  const cancel = () => action.run(async () => {
    setJob(await API.post(`/api/v1/jobs/${job.id}/cancel`));
    load();
  });
  const regenerate = (task) => action.run(async () => {
    setJob(await API.post(`/api/v1/jobs/${job.id}/tasks/${task.id}/regenerate`));
    setStreamKey((n) => n + 1);
  });
  const retry = () => action.run(async () => {
    setJob(await API.post(`/api/v1/jobs/${job.id}/retry`));
    setStreamKey((n) => n + 1);
  });
  // Each read of the tasks signs new links; a player keeps its first one,
  // or a reload would restart every video.
  const outputs = (tasks || []).flatMap((task) => (task.assets || [])
    .filter((a) => a.kind === 'video' || a.kind === 'image')
    .map((a) => {
      if (!links.current[a.id]) links.current[a.id] = a.url;
      return { ...a, url: links.current[a.id], task };
    }));
  // An assembled storyboard's final cut leads the comparison.
  const videos = outputs.filter((a) => a.kind === 'video')
    .sort((a, b) => (b.task.kind === 'assemble') - (a.task.kind === 'assemble'));
  const images = outputs.filter((a) => a.kind === 'image' && !videos.some((v) => v.task.id
    === a.task.id));

  return html`<section>
    <div class="head">
      <div>
        <h1>${t('job.title')}</h1>
        <p class="muted small mono">${job.id}</p>
      </div>
      <div class="row">
        <span data-testid="job-status"><${Status} status=${job.status} /></span>
        <span class="badge" data-testid="stream">${t(`job.stream.${stream}`)}</span>
        ${canAct && !isFinal && html`<button type="button" class="danger" disabled=${action.busy}
          onClick=${cancel}>${t('job.cancel')}</button>`}
        ${canAct && job.status === 'failed' && html`<button type="button" disabled=${action.busy}
          onClick=${retry}>${t('job.retry')}</button>`}
      </div>
    </div>
    <${ErrorNotice} error=${error || action.error} />
    <div class="card stack">
      <div data-testid="job-progress"><${Progress} value=${job.progress} /></div>
      <dl class="kv small">
        <dt>${t('common.project')}</dt>
        <dd>${project ? html`<${Link} href=${`/projects/${project.id}`}>${project.name}</${Link}>`
          : ''}</dd>
        ${settings && html`<dt>${t('job.settings')}</dt><dd>${settings}</dd>`}
        <dt>${t('job.estimated')}</dt><dd>${formatCents(job.estimated_cost_cents)}</dd>
        <dt>${t('job.actual')}</dt><dd>${formatCents(job.actual_cost_cents)}</dd>
        <dt>${t('common.created_col')}</dt><dd>${formatDate(job.created_at)}</dd>
      </dl>
    </div>

    <h2>${t('job.tasks')}</h2>
    ${tasks === null ? html`<${Loading} />` : html`<div class="card tasks">
      ${tasks.map((task) => html`<div class="task" data-testid="task">
        <div>
          <strong>${task.kind === 'assemble' ? t('job.assembly') : task.provider}</strong>
          <span class="muted small">${task.model}</span>
          <span class="prompt muted small" title=${task.prompt}>${task.prompt}</span>
          ${task.error_message && html`<div class="field-error">${label('error_code',
            task.error_code)}: ${task.error_message}</div>`}
        </div>
        <div class="row">
          <${Status} status=${task.status} />
          ${canAct && job.kind === 'storyboard' && task.kind === 'generate'
            && finalStatuses.includes(task.status) && html`<button type="button" class="small"
            disabled=${action.busy} onClick=${() => regenerate(task)}>
            ${t('job.regenerate')}</button>`}
        </div>
        <${Progress} value=${task.progress} label=${t('job.task_progress', {
          name: task.provider })} />
      </div>`)}
    </div>`}

    <h2>${t('job.outputs')}</h2>
    ${videos.length === 0 && images.length === 0
      ? html`<${Empty}>${isFinal ? t('job.no_outputs') : t('job.waiting')}</${Empty}>`
      : html`<${Compare} videos=${videos} images=${images} />`}

    <h2>${t('job.events')}</h2>
    <div class="card events" aria-live="polite">
      ${events.length === 0 ? html`<p class="muted">${t('job.no_events')}</p>` : html`<ol>
        ${events.map((e) => html`<li class=${e.level}>
          <span class="muted">${formatTime(e.created_at)}</span>
          <code>${e.type}</code>
          <span>${e.message}</span>
        </li>`)}</ol>`}
    </div>
  </section>`;
}

/**
 * Compare shows the videos in a grid with one play/pause and seek control
 * for all of them: the first video leads, the others follow it and are
 * pulled back when they drift.
 */
function Compare({ videos, images }) {
  const refs = useRef([]);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState(0);
  const players = () => refs.current.filter(Boolean).slice(0, videos.length);

  const onLeaderTime = (e) => {
    const lead = e.currentTarget;
    setTime(lead.currentTime);
    for (const v of players().slice(1)) {
      if (Math.abs(v.currentTime - lead.currentTime) > 0.15
        && lead.currentTime <= (v.duration || Infinity)) v.currentTime = lead.currentTime;
    }
  };
  const onMeta = () => setDuration(Math.max(0, ...players().map((v) => v.duration || 0)));
  const toggle = async () => {
    const all = players();
    if (playing) {
      all.forEach((v) => v.pause());
      setPlaying(false);
      return;
    }
    const at = all[0]?.currentTime || 0;
    all.forEach((v) => {
      v.currentTime = Math.min(at, v.duration || at);
    });
    setPlaying(true);
    await Promise.all(all.map((v) => v.play().catch(() => {})));
  };
  const seek = (e) => {
    const to = Number(e.currentTarget.value);
    players().forEach((v) => {
      v.currentTime = Math.min(to, v.duration || to);
    });
    setTime(to);
  };
  const onEnded = () => {
    if (players().every((v) => v.ended || v.paused)) setPlaying(false);
  };

  return html`<div class="stack">
    ${videos.length > 0 && html`<div class="card sync" data-testid="sync">
      <button type="button" class="primary" data-testid="play" onClick=${toggle}
        aria-pressed=${playing ? 'true' : 'false'}>
        ${playing ? t('job.pause') : t('job.play')}</button>
      <input type="range" min="0" max=${duration || 0} step="0.01" value=${time}
        aria-label=${t('job.seek')} onInput=${seek} />
      <output>${time.toFixed(1)} / ${duration.toFixed(1)}</output>
    </div>`}
    <div class="players">
      ${videos.map((a, i) => html`<figure class="player" key=${a.id}>
        <video ref=${(el) => {
          refs.current[i] = el;
        }} src=${a.url} muted playsinline preload="auto" data-testid="output-video"
          onTimeUpdate=${i === 0 ? onLeaderTime : undefined} onLoadedMetadata=${onMeta}
          onEnded=${onEnded}></video>
        <figcaption class="cap" title=${a.task.prompt}>
          <span>${a.task.provider} · ${a.task.model} · ${a.width}×${a.height}</span>
          <a href=${a.url} download=${a.name}>${t('common.download')}</a>
        </figcaption>
      </figure>`)}
      ${images.map((a) => html`<figure class="player" key=${a.id}>
        <img src=${a.url} alt=${t('job.output_of', { name: a.task.provider })} />
        <figcaption class="cap"><span>${a.task.provider}</span>
          <a href=${a.url} download=${a.name}>${t('common.download')}</a></figcaption>
      </figure>`)}
    </div>
  </div>`;
}
