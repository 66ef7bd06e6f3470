// The console's entry: silent sign-in, the header (organization switcher,
// language switch, account menu), the navigation and the routes.
import { render } from '../vendor/preact.mjs';
import { useEffect, useRef, useState } from '../vendor/hooks.mjs';
import { html } from './html.js';
import { t, setLanguage, preferredLanguage, currentLanguage, languages } from './i18n.js';
import * as API from './api.js';
import { Link, match, navigate, useLocation } from './router.js';
import { ErrorNotice, Loading, label } from './ui.js';
import { Session, useSession } from './session.js';
import { LanguageSwitch } from './lang.js';
import { SignIn } from './pages/signin.js';
import { Projects, ProjectPage } from './pages/projects.js';
import { Templates, TemplatePage, TemplateNew } from './pages/templates.js';
import { PromptEditor } from './pages/prompts.js';
import { Generate } from './pages/generate.js';
import { Jobs, JobPage } from './pages/jobs.js';
import { Providers } from './pages/providers.js';
import { Audit } from './pages/audit.js';
import { Assets } from './pages/assets.js';
import { Storyboards, StoryboardPage } from './pages/storyboards.js';

const orgKey = 'rf.org';

const routes = [
  ['/projects', Projects],
  ['/projects/:id', ProjectPage],
  ['/templates', Templates],
  ['/templates/new', TemplateNew],
  ['/templates/:id', TemplatePage],
  ['/prompts/new', PromptEditor],
  ['/prompts/:id', PromptEditor],
  ['/generate', Generate],
  ['/jobs', Jobs],
  ['/jobs/:id', JobPage],
  ['/assets', Assets],
  ['/storyboards', Storyboards],
  ['/storyboards/:id', StoryboardPage],
  ['/providers', Providers],
  ['/audit', Audit],
];

const nav = [
  ['/projects', 'nav.projects'],
  ['/generate', 'nav.generate'],
  ['/jobs', 'nav.jobs'],
  ['/storyboards', 'nav.storyboards'],
  ['/templates', 'nav.templates'],
  ['/assets', 'nav.assets'],
  ['/providers', 'nav.providers'],
  ['/audit', 'nav.audit', 'admin'],
];

function App() {
  const [lang, setLang] = useState(currentLanguage());
  const [phase, setPhase] = useState('starting'); // starting | out | in
  const [me, setMe] = useState(null);
  const [meError, setMeError] = useState(null);
  const [orgID, setOrgID] = useState(() => {
    try {
      return localStorage.getItem(orgKey) || '';
    } catch {
      return '';
    }
  });
  const loc = useLocation();

  const loadMe = async () => {
    try {
      setMe(await API.get('/api/v1/users/me'));
      setMeError(null);
    } catch (err) {
      setMeError(err);
    }
  };

  useEffect(() => {
    const off = API.onSessionChange((inNow) => {
      setPhase(inNow ? 'in' : 'out');
      if (inNow) loadMe();
      else setMe(null);
    });
    // Silent sign-in: the refresh cookie, if any, gives a new access token.
    API.refresh().then((ok) => {
      if (!ok) setPhase('out');
    });
    return off;
  }, []);

  const changeLanguage = async (next) => {
    await setLanguage(next, true);
    setLang(next);
  };

  if (phase === 'starting') return html`<${Loading} />`;
  if (phase === 'out') {
    if (loc.path !== '/login') {
      const back = loc.path === '/' ? '' : loc.path + window.location.search;
      navigate(`/login${back ? `?next=${encodeURIComponent(back)}` : ''}`, { replace: true });
    }
    return html`<${SignIn} lang=${lang} onLanguage=${changeLanguage} />`;
  }
  if (loc.path === '/login' || loc.path === '/') {
    const next = loc.query.get('next');
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/projects',
      { replace: true });
    return html`<${Loading} />`;
  }
  if (!me) {
    return meError ? html`<main><${ErrorNotice} error=${meError} /></main>` : html`<${Loading} />`;
  }

  const orgs = me.organizations || [];
  const org = orgs.find((o) => o.id === orgID) || orgs[0] || null;
  const chooseOrg = (id) => {
    setOrgID(id);
    try {
      localStorage.setItem(orgKey, id);
    } catch {
      // Not remembered across reloads.
    }
  };
  const session = { me, user: me.user, orgs, org, chooseOrg, reloadMe: loadMe, lang };

  let page = null;
  for (const [pattern, Page] of routes) {
    const params = match(pattern, loc.path);
    if (params) {
      page = html`<${Page} key=${pattern + JSON.stringify(params)} params=${params}
        query=${loc.query} />`;
      break;
    }
  }
  if (!page) {
    page = html`<div class="empty"><h1>${t('notfound.title')}</h1>
      <p>${t('notfound.text')}</p><${Link} href="/projects">${t('nav.projects')}</${Link}></div>`;
  }

  return html`<${Session.Provider} value=${session}>
    <a class="skip" href="#main">${t('nav.skip')}</a>
    <div class="shell">
      <${TopBar} lang=${lang} onLanguage=${changeLanguage} />
      <div class="body">
        <nav class="sidenav" aria-label=${t('nav.label')}>
          <ul>
            ${nav.filter(([, , role]) => !role || ['admin', 'owner'].includes(org?.role))
              .map(([href, key]) => html`<li><${Link} href=${href}
                aria-current=${loc.path === href || loc.path.startsWith(`${href}/`)
                  ? 'page' : undefined}>${t(key)}</${Link}></li>`)}
          </ul>
        </nav>
        <main id="main" tabindex="-1">${page}</main>
      </div>
    </div>
  </${Session.Provider}>`;
}

function TopBar({ lang, onLanguage }) {
  const { user, orgs, org, chooseOrg } = useSession();
  const [open, setOpen] = useState(false);
  const box = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    const close = (e) => {
      if (e.type === 'keydown' ? e.key === 'Escape' : !box.current?.contains(e.target)) {
        setOpen(false);
      }
    };
    document.addEventListener('click', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('click', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);
  const signOut = async () => {
    setOpen(false);
    await API.logout();
    navigate('/login', { replace: true });
  };
  return html`<header class="topbar">
    <${Link} class="brand" href="/projects">
      <img src=${new URL('../favicon.svg', import.meta.url).href} alt="" />
      <span>${t('app.name')}</span>
    </${Link}>
    <span class="spacer"></span>
    <label class="inline">
      <span class="hide-phone">${t('header.organization')}</span>
      <select data-testid="org" aria-label=${t('header.organization')} value=${org?.id || ''}
        onChange=${(e) => chooseOrg(e.currentTarget.value)}>
        ${orgs.map((o) => html`<option value=${o.id}>${o.personal
          ? t('header.personal', { name: o.name }) : o.name}</option>`)}
      </select>
    </label>
    <${LanguageSwitch} lang=${lang} onLanguage=${onLanguage} />
    <div class="menu" ref=${box}>
      <button type="button" aria-haspopup="true" aria-expanded=${open ? 'true' : 'false'}
        data-testid="account" onClick=${() => setOpen(!open)}>
        ${user.name || user.email}
      </button>
      ${open && html`<div class="menu-pop">
        <div class="who">
          <div><strong>${user.name}</strong></div>
          <div class="muted small">${user.email}</div>
          ${org && html`<div class="small">${t('header.role')}: ${label('role', org.role)}</div>`}
        </div>
        <button type="button" class="ghost" data-testid="signout" onClick=${signOut}>
          ${t('header.signout')}
        </button>
      </div>`}
    </div>
  </header>`;
}

async function start() {
  try {
    await setLanguage(preferredLanguage());
  } catch {
    await setLanguage('en');
  }
  const root = document.getElementById('app');
  root.textContent = '';
  render(html`<${App} />`, root);
}

start();
