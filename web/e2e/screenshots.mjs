// Writes screenshots of the console's main pages in both languages to
// docs/screenshots/, 1280 px wide (and one page at 390 px, as on a phone),
// against the real binary with the simulator. Run by scripts/screenshots.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { admin, launchBrowser, root, signIn, startServer, watch } from './harness.mjs';

const out = join(root, 'docs', 'screenshots');

async function login(base) {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(admin),
  });
  return (await res.json()).access_token;
}

async function call(base, token, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

/** seed makes a project with a prompt, a version, a finished job and a storyboard. */
async function seed(base) {
  const token = await login(base);
  const me = await call(base, token, 'GET', '/api/v1/users/me');
  const org = me.organizations[0].id;
  const project = await call(base, token, 'POST', '/api/v1/projects', { org_id: org,
    name: '春季新品发布 Spring launch', description: '15 s vertical teasers for the new tea range.' });
  await call(base, token, 'POST', '/api/v1/projects', { org_id: org,
    name: 'City travel shorts', description: 'Weekend trips, one city per episode.' });
  await call(base, token, 'POST', '/api/v1/prompts', { project_id: project.id,
    title: 'Tea garden at dawn', body: 'Morning mist over a terraced tea garden, a picker in '
      + 'a straw hat, slow crane up, soft golden light, 35 mm film grain.' });
  await call(base, token, 'POST', '/api/v1/projects/' + project.id + '/versions',
    { name: 'First cut', note: 'Before the client review.' });
  const job = await call(base, token, 'POST', '/api/v1/jobs', {
    project_id: project.id, duration: 3, resolution: '720p', aspect_ratio: '16:9',
    variants: [
      { provider: 'sim', prompt: 'Morning mist over a terraced tea garden, slow crane up' },
      { provider: 'sim', prompt: '清晨薄雾笼罩的梯田茶园，镜头缓缓上升，暖金色光线' },
    ],
  });
  for (let i = 0; i < 120; i++) {
    const j = await call(base, token, 'GET', `/api/v1/jobs/${job.id}`);
    if (['succeeded', 'failed', 'canceled'].includes(j.status)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const board = await call(base, token, 'POST', '/api/v1/storyboards', {
    project_id: project.id, style: '电影感',
    script: '第一场 日 外 茶园\n林晓（白衬衫，短发）沿着梯田走来，晨雾未散。\n'
      + '林晓：（轻声）就是这里。\n特写：她指尖拂过嫩绿的茶芽。\n\n'
      + '第二场 黄昏 内 茶室\n林晓为客人斟茶，热气升起。\n客人：这茶有春天的味道。',
  });
  return { project, job, board };
}

async function shoot(page, name, { full = false } = {}) {
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: full });
  console.log(`wrote docs/screenshots/${name}.png`);
}

async function pages(base, lang, seeded) {
  const browser = await launchBrowser({ locale: lang === 'zh-CN' ? 'zh-CN' : 'en-US' });
  const page = await browser.newPage();
  const problems = await watch(page);
  await page.goto(`${base}/login`);
  await page.locator('form input[type=email]').waitFor();
  await shoot(page, `signin-${lang}`);
  await signIn(page, base);
  await shoot(page, `projects-${lang}`);
  await page.goto(`${base}/projects/${seeded.project.id}?tab=versions`);
  await page.locator('table').waitFor();
  await shoot(page, `project-${lang}`);
  await page.goto(`${base}/templates`);
  await page.locator('article').first().waitFor();
  await shoot(page, `templates-${lang}`);
  const template = lang === 'zh-CN' ? 'ad-brand-warm-story-zh' : 'ad-coffee-morning-en';
  await page.goto(`${base}/templates/${template}`);
  await page.waitForTimeout(200);
  await page.locator('form input').first().waitFor();
  const inputs = page.locator('form.card input');
  for (let i = 0; i < await inputs.count(); i++) {
    const el = inputs.nth(i);
    if (!(await el.inputValue())) await el.fill(await el.getAttribute('placeholder') || 'x');
  }
  await page.getByTestId('preview').waitFor();
  await page.waitForTimeout(600);
  await shoot(page, `template-${lang}`);
  await page.goto(`${base}/generate?project=${seeded.project.id}`);
  await page.locator('textarea[name=prompt]').fill(lang === 'zh-CN'
    ? '雨夜霓虹街头，女主角回眸，慢镜头推近' : 'Rainy neon street at night, she looks back, slow push in');
  await page.locator('input[name=duration]').fill('6');
  await shoot(page, `generate-${lang}`, { full: true });
  await page.goto(`${base}/jobs/${seeded.job.id}`);
  await page.getByTestId('output-video').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll('video')]
    .every((v) => v.readyState >= 2));
  await page.getByTestId('play').click();
  await page.waitForTimeout(1200);
  await page.getByTestId('play').click();
  await shoot(page, `job-${lang}`, { full: true });
  await page.goto(`${base}/providers`);
  await page.getByTestId('provider').first().waitFor();
  await shoot(page, `providers-${lang}`, { full: true });
  await page.goto(`${base}/storyboards/${seeded.board.id}`);
  await page.getByTestId('shot').first().waitFor();
  await shoot(page, `storyboard-${lang}`);
  await page.goto(`${base}/assets?project=${seeded.project.id}`);
  await page.locator('article').first().waitFor();
  await shoot(page, `assets-${lang}`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/jobs/${seeded.job.id}`);
  await page.getByTestId('output-video').first().waitFor();
  await shoot(page, `phone-job-${lang}`);
  await browser.close();
  if (problems.length) throw new Error(`the console reported problems:\n${problems.join('\n')}`);
}

const server = await startServer();
try {
  mkdirSync(out, { recursive: true });
  const seeded = await seed(server.url);
  for (const lang of ['en', 'zh-CN']) await pages(server.url, lang, seeded);
} finally {
  await server.stop();
}
