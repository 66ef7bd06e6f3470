// Lint hints for a prompt from POST /api/v1/prompts/lint, refreshed while
// the author types (debounced), in the console's language.
import { html } from './html.js';
import { useEffect, useState } from '../vendor/hooks.mjs';
import { t, currentLanguage } from './i18n.js';
import * as API from './api.js';
import { ErrorNotice, label } from './ui.js';

export function LintHints({ text, provider, orgID }) {
  const [findings, setFindings] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!text.trim()) {
      setFindings(null);
      return undefined;
    }
    let live = true;
    const timer = setTimeout(() => {
      setBusy(true);
      const body = { prompt: text };
      if (provider) body.provider = provider;
      if (orgID) body.org_id = orgID;
      API.post('/api/v1/prompts/lint', body).then((r) => {
        if (!live) return;
        setFindings(r.findings || []);
        setError(null);
      }, (err) => live && setError(err)).finally(() => live && setBusy(false));
    }, 400);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text, provider, orgID]);

  const zh = currentLanguage() === 'zh-CN';
  return html`<aside class="card stack lint" aria-live="polite" data-testid="lint">
    <div class="row">
      <h3>${t('lint.title')}</h3>
      ${busy && html`<span class="spinner" aria-hidden="true"></span>`}
    </div>
    <${ErrorNotice} error=${error} />
    ${findings === null && !error && html`<p class="muted small">${t('lint.idle')}</p>`}
    ${findings && findings.length === 0 && html`<p class="notice ok small">${t('lint.clean')}</p>`}
    ${findings && findings.length > 0 && html`<ul class="findings">
      ${findings.map((f) => html`<li class=${f.severity}>
        <span class=${`badge ${f.severity === 'error' ? 'bad' : f.severity === 'warning'
          ? 'processing' : 'queued'}`}>${label('severity', f.severity)}</span>
        <span>${(zh && f.message_zh) || f.message}</span>
        ${f.end > f.start && html`<code>${[...text].slice(f.start, f.end).join('')}</code>`}
        ${f.suggestion && html`<div class="small muted">
          ${t('lint.suggestion')}: ${f.suggestion}</div>`}
      </li>`)}
    </ul>`}
  </aside>`;
}
