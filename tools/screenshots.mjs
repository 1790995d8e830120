// Screenshots for docs/: the real app on the demo fleet, in headless Chromium, at 1440x900 in both themes and at
// 390 px wide. It prints each file and says when a page scrolls sideways. From the repository root, after
// `dotnet build Dashboard.sln`, with the Node that Playwright ships in tests/Dashboard.Tests' build output:
//   dotnet src/Dashboard/bin/Debug/net10.0/Wrangler.Dashboard.dll --urls http://127.0.0.1:5077 \
//     --Wrangler:Database=/tmp/shots.db --Wrangler:Auth:Admin:Name=buildduty --Wrangler:Auth:Admin:Password=<password> \
//     --Wrangler:Auth:BootstrapToken=<16+ characters> &
//   tests/Dashboard.Tests/bin/Debug/net10.0/.playwright/node/linux-x64/node tools/screenshots.mjs \
//     http://127.0.0.1:5077 buildduty <password> <token> docs
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require(path.resolve('tests/Dashboard.Tests/bin/Debug/net10.0/.playwright/package'));
const [base, user, password, token, out] = process.argv.slice(2);

async function api(method, url, body) {
  const r = await fetch(base + url, {
    method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
  return r.status === 204 ? null : r.json();
}

// A campaign under way, so its page shows steps, the timeline and live output.
// A second run reuses the campaign the first one started.
const masters = (await api('GET', '/api/v1/masters')).filter(m => m.enabled && m.role === 'tests').slice(0, 4).map(m => m.name);
let campaign = (await api('GET', '/api/v1/campaigns')).find(c => c.state === 'running');
if (!campaign) {
  campaign = await api('POST', '/api/v1/campaigns', { kind: 'gracefulRestart', selector: { names: masters }, reason: 'screenshots for docs/' });
  await api('POST', `/api/v1/campaigns/${campaign.id}/approve`, {});
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const shots = [
  ['fleet', '/'], ['campaign', `/campaigns/${campaign.id}`], ['workers', '/workers'], ['master', `/masters/${masters[0]}`],
  ['production', '/production'], ['schedules', '/schedules'], ['campaign-new', '/campaigns/new'], ['admin', '/admin'],
];
const modes = [
  ['light', { width: 1440, height: 900 }, 'light'], ['dark', { width: 1440, height: 900 }, 'dark'], ['phone', { width: 390, height: 844 }, 'light'],
];
for (const [mode, viewport, scheme] of modes) {
  const context = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(base + '/login');
  await page.fill('#name', user);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(u => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
  for (const [name, url] of shots) {
    await page.goto(base + url);
    await page.waitForSelector('#wr-interactive[data-interactive=true]', { state: 'attached' });
    await page.waitForTimeout(name === 'campaign' ? 4000 : 1500);
    const file = path.join(out, `${name}-${mode}.png`);
    await page.screenshot({ path: file, fullPage: mode === 'phone' && name !== 'workers' });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    console.log(`${file}${wide ? '  (scrolls sideways!)' : ''}`);
  }
  await context.close();
}
await browser.close();
