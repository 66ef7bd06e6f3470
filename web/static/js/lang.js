// The language switch of the header and of the sign-in page.
import { html } from './html.js';
import { t, languages } from './i18n.js';

export function LanguageSwitch({ lang, onLanguage }) {
  return html`<label class="inline">
    <span class="hide-phone">${t('header.language')}</span>
    <select data-testid="language" value=${lang}
      onChange=${(e) => onLanguage(e.currentTarget.value)}>
      ${languages.map((l) => html`<option value=${l}>${t(`lang.${l}`)}</option>`)}
    </select>
  </label>`;
}
