// The sign-in page.
import { html } from '../html.js';
import { useState } from '../../vendor/hooks.mjs';
import { t } from '../i18n.js';
import * as API from '../api.js';
import { ErrorNotice, useBusy } from '../ui.js';
import { LanguageSwitch } from '../lang.js';

export function SignIn({ lang, onLanguage }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useBusy();
  const submit = (e) => {
    e.preventDefault();
    run(() => API.login(email.trim(), password));
  };
  return html`<div class="signin">
    <form class="card stack" onSubmit=${submit} aria-labelledby="signin-title">
      <h1 id="signin-title">
        <img src=${new URL('../../favicon.svg', import.meta.url).href} alt="" />
        ${t('signin.title')}
      </h1>
      <p class="muted">${t('signin.lead')}</p>
      <${ErrorNotice} error=${error} />
      <label>${t('signin.email')}
        <input type="email" name="email" autocomplete="username" required value=${email}
          onInput=${(e) => setEmail(e.currentTarget.value)} />
      </label>
      <label>${t('signin.password')}
        <input type="password" name="password" autocomplete="current-password" required
          value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
      </label>
      <button class="primary" type="submit" disabled=${busy}>
        ${busy ? t('signin.busy') : t('signin.submit')}
      </button>
      <div class="row end"><${LanguageSwitch} lang=${lang} onLanguage=${onLanguage} /></div>
    </form>
  </div>`;
}
