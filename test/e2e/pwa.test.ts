// Duet as an installed app (issue 5): Chromium agrees it is installable, Hosting
// sends the security and caching headers, a whole call runs under the
// Content-Security-Policy, the installed shell starts offline and carries on when
// the network returns, and a new version is offered but never forced.
import { describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BASE_URL,
  CHROMIUM,
  chromiumArgs,
  alertText,
  bothFlowing,
  browserSuiteBlocker,
  expectRemoteVideoFlowing,
  joinRoom,
  newPerson,
  openApp,
  screenshot,
  sharedBrowser,
  stateOf,
  uniqueRoom,
  waitForState,
  waitUntil,
} from './support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`browser tests skipped: ${blocker}`);

/** Waits until the service worker is installed (precache complete), active and controls the page. */
async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 20_000 }).toBe(true);
}

/** Every URL in the page's Cache Storage, by cache name. */
function cachedUrls(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(async () => {
    const out: Record<string, string[]> = {};
    for (const name of await caches.keys()) out[name] = (await (await caches.open(name)).keys()).map((r) => r.url);
    return out;
  });
}

/** Collects what the page reports about blocked content: CSP violation events and console complaints. */
async function watchPolicyViolations(context: BrowserContext, page: Page): Promise<() => Promise<string[]>> {
  const logged: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to|Permissions-Policy|Permissions Policy/i.test(m.text())) logged.push(`${m.type()}: ${m.text()}`);
  });
  await context.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __cspViolations: string[] }).__cspViolations = []);
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} blocked ${e.blockedURI}`));
  });
  return async () => [...logged, ...(await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []))];
}

/**
 * A second front door to the Hosting emulator (same files, same headers, on its own
 * port, so its own origin) where the test can deploy a new sw.js: the browser's own
 * update check then finds it, as after a real deployment. dist/, which other test
 * files use at the same time, is never touched. (Playwright's routing does not see
 * the browser's service-worker update fetch, so the new version has to come from a server.)
 */
async function startHostingProxy(): Promise<{ origin: string; deploy(path: string, body: string): void; close(): Promise<void> }> {
  const deployed = new Map<string, string>();
  const server = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(new URL(req.url ?? '/', BASE_URL), { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } });
      const headers = Object.fromEntries([...upstream.headers].filter(([k]) => !/^(content-length|content-encoding|transfer-encoding|connection|keep-alive|etag|last-modified)$/i.test(k)));
      const replacement = deployed.get(new URL(req.url ?? '/', 'http://x').pathname);
      const body = replacement ?? Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch((e: unknown) => {
      res.writeHead(502);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deploy: (path, body) => deployed.set(path, body),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(blocker)('Duet as an installed app', () => {
  const browser = sharedBrowser();

  it('Hosting sends the Content-Security-Policy, Permissions-Policy and a caching rule for each kind of file', async () => {
    const headers = async (path: string) => (await fetch(new URL(path, BASE_URL))).headers;
    const page = await headers('/');
    const csp = page.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("media-src 'self' blob: mediastream:");
    expect(csp).toMatch(/connect-src 'self' https:\/\/firestore\.googleapis\.com https:\/\/identitytoolkit\.googleapis\.com https:\/\/securetoken\.googleapis\.com/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.get('permissions-policy')).toMatch(/camera=\(self\), microphone=\(self\)/);
    expect(page.get('x-content-type-options')).toBe('nosniff');
    expect(page.get('cache-control')).toBe('no-cache');
    expect((await headers('/index.html')).get('cache-control')).toBe('no-cache');
    expect((await headers('/sw.js')).get('cache-control')).toBe('no-cache');

    const html = await (await fetch(new URL('/', BASE_URL))).text();
    const script = /<script type="module" src="(\/assets\/[^"]+)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    expect((await headers(script!)).get('cache-control')).toBe('public, max-age=31536000, immutable');

    const manifest = await headers('/manifest.webmanifest');
    expect(manifest.get('content-type')).toMatch(/^application\/manifest\+json/);
    expect(manifest.get('cache-control')).toMatch(/max-age=0/);
  });

  it('Chromium finds the app installable (Page.getInstallabilityErrors) and reads its manifest without errors', async () => {
    // Installability is not judged in incognito, and every plain new context is one.
    const profile = await mkdtemp(join(tmpdir(), 'duet-install-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      baseURL: BASE_URL,
      viewport: { width: 412, height: 839 },
      permissions: ['camera', 'microphone'],
      args: chromiumArgs(),
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await openApp(page);
      await waitForState(page, /naming/);
      await waitForServiceWorker(page);
      const cdp = await context.newCDPSession(page);
      const manifest = (await cdp.send('Page.getAppManifest')) as { url: string; errors: { message: string }[] };
      expect(manifest.url).toBe(new URL('/manifest.webmanifest', BASE_URL).href);
      expect(manifest.errors).toEqual([]);
      const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
      console.log(`installability: ${installabilityErrors.length === 0 ? 'no errors' : JSON.stringify(installabilityErrors)}`);
      expect(installabilityErrors).toEqual([]);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  });

  it("the manifest's icons and the page's touch icons load and have their declared pixel sizes", async () => {
    const { context, page } = await newPerson(browser());
    await openApp(page);
    const icons = await page.evaluate(async () => {
      const manifest = (await (await fetch('/manifest.webmanifest')).json()) as { icons: { src: string; sizes: string; type: string; purpose?: string }[] };
      const links = [...document.querySelectorAll<HTMLLinkElement>('link[rel="apple-touch-icon"], link[rel="icon"][sizes]')].map((l) => ({
        src: l.getAttribute('href')!,
        sizes: l.rel === 'apple-touch-icon' ? '180x180' : l.sizes.value,
        type: 'image/png',
        purpose: l.rel,
      }));
      return Promise.all(
        [...manifest.icons, ...links].map(async (icon) => {
          const response = await fetch(icon.src);
          const blob = await response.blob();
          const bitmap = await createImageBitmap(blob); // a real decode, not just a 200
          return { ...icon, status: response.status, contentType: blob.type, actual: `${bitmap.width}x${bitmap.height}` };
        }),
      );
    });
    expect(icons.map((i) => `${i.purpose ?? 'any'} ${i.sizes}`).sort()).toEqual(
      ['any 192x192', 'any 512x512', 'apple-touch-icon 180x180', 'icon 32x32', 'maskable 192x192', 'maskable 512x512'].sort(),
    );
    for (const icon of icons) {
      expect(icon.status, icon.src).toBe(200);
      expect(icon.contentType, icon.src).toBe(icon.type);
      expect(icon.actual, icon.src).toBe(icon.sizes);
    }
    await context.close();
  });

  it('a whole call runs under the Content-Security-Policy with nothing blocked, and no Firestore or Auth traffic is cached', async () => {
    const room = uniqueRoom('csp');
    const ana = await newPerson(browser());
    const ben = await newPerson(browser(), { viewport: { width: 1280, height: 800 } });
    const anaViolations = await watchPolicyViolations(ana.context, ana.page);
    const benViolations = await watchPolicyViolations(ben.context, ben.page);

    const response = await ana.page.goto('/');
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'"); // the policy is really in force
    await waitForState(ana.page, /naming/);
    // Controlled by the service worker, so Firestore and Auth requests pass through it.
    await waitForServiceWorker(ana.page);
    await joinRoom(ana.page, room);
    await waitForState(ana.page, /call:waiting/);
    await openApp(ben.page);
    await joinRoom(ben.page, room);
    await bothFlowing(ana.page, ben.page);
    await ana.page.getByRole('button', { name: 'Leave' }).click();
    await waitForState(ana.page, /naming/);

    expect(await anaViolations()).toEqual([]);
    expect(await benViolations()).toEqual([]);

    const cached = await cachedUrls(ana.page);
    const all = Object.values(cached).flat();
    expect(all.length).toBeGreaterThan(10); // the precache is there...
    const origin = new URL(BASE_URL).origin;
    // ...and holds only the app's own files: nothing from Firestore, Auth or the emulators.
    expect(all.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(all.filter((url) => /googleapis|identitytoolkit|securetoken|Firestore\/|:8080|:9099/.test(url))).toEqual([]);
    await Promise.all([ana.context.close(), ben.context.close()]);
  });

  it('opened offline, the installed app starts from its precache, says a call needs a connection, and joins by itself when the network is back', async () => {
    const room = uniqueRoom('offline');
    const { context, page } = await newPerson(browser());
    await openApp(page);
    await waitForState(page, /naming/);
    await waitForServiceWorker(page);

    await context.setOffline(true);
    // Opening an invite link with no network: the shell comes from the precache, not a browser error page.
    const response = await page.goto(`/?room=${encodeURIComponent(room)}`);
    expect(response?.fromServiceWorker()).toBe(true);
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    await waitForState(page, /offline/);
    expect(await alertText(page)).toMatch(/offline\. A call needs an internet connection/);
    await expect.poll(() => page.getByRole('alert').isVisible()).toBe(true);
    await screenshot(page, 'phone-offline');

    await context.setOffline(false);
    await waitForState(page, /call:waiting/);
    expect(await alertText(page)).toBe('');
    await context.close();
  });

  it('the call service out of reach while the network works: the person is told, and Duet joins by itself once it answers', async () => {
    const room = uniqueRoom('service');
    // No service worker, so the page's own requests are the ones routed here. Only the
    // database is cut (Auth, Hosting and the HEAD probe still answer): "service down", not offline.
    const { context, page } = await newPerson(browser(), { serviceWorkers: false });
    const database = /^http:\/\/(127\.0\.0\.1|localhost):8080\//;
    let refused = 0;
    await context.route(database, (route) => (refused++, route.abort('connectionrefused')));
    await openApp(page);
    await joinRoom(page, room);
    await waitUntil(async () => /can’t reach its call service/.test(await alertText(page)) || `alert: ${await alertText(page)}`, { timeout: 60_000, what: 'the call-service alert' });
    expect(await stateOf(page)).toMatch(/naming/);
    expect(refused).toBeGreaterThan(0);
    await screenshot(page, 'phone-service-down');
    await waitForState(page, /joining/, 20_000); // tried again by itself

    await context.unroute(database);
    await waitForState(page, /call:waiting/, 60_000); // no click: the retry is the app's own
    expect(await alertText(page)).toBe('');
    await context.close();
  });

  it('a new version is offered during a call, never forced, and takes over only when the person presses Reload', async () => {
    const room = uniqueRoom('update');
    const hosting = await startHostingProxy();
    const ana = await newPerson(browser());
    const ben = await newPerson(browser(), { viewport: { width: 1280, height: 800 } });
    try {
      await ana.page.goto(`${hosting.origin}/`);
      await waitForState(ana.page, /naming/);
      await waitForServiceWorker(ana.page);
      await joinRoom(ana.page, room);
      await waitForState(ana.page, /call:waiting/);
      await openApp(ben.page);
      await joinRoom(ben.page, room);
      await bothFlowing(ana.page, ben.page);

      // A new deployment: the service worker that a rebuild with a changed index.html
      // produces (the same worker with a new precache revision for the page).
      const current = await (await fetch(`${hosting.origin}/sw.js`)).text();
      const revision = `update-test-${Date.now().toString(36)}`;
      const next = current.replace(/(\{url:"index\.html",revision:")[0-9a-f]+"/, `$1${revision}"`);
      expect(next).not.toBe(current);
      hosting.deploy('/sw.js', next);
      await ana.page.evaluate(() => ((window as unknown as { __beforeUpdate: boolean }).__beforeUpdate = true));
      // What the browser does by itself on navigation, and the app hourly and when it is shown again.
      await ana.page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));

      const banner = ana.page.getByText('A new version of Duet is ready.');
      await expect.poll(() => banner.isVisible(), { timeout: 20_000 }).toBe(true);
      await screenshot(ana.page, 'phone-update-offered');
      // Offered, not forced: the new worker waits, the page is the same page, the call goes on.
      await expectRemoteVideoFlowing(ben.page);
      await expectRemoteVideoFlowing(ana.page);
      expect(
        await ana.page.evaluate(async () => {
          const reg = await navigator.serviceWorker.getRegistration();
          return {
            waiting: reg?.waiting?.state ?? null,
            samePage: (window as unknown as { __beforeUpdate?: boolean }).__beforeUpdate === true,
            state: `${document.querySelector<HTMLElement>('main.app')?.dataset.screen}:${document.querySelector<HTMLElement>('main.app')?.dataset.phase}`,
          };
        }),
      ).toEqual({ waiting: 'installed', samePage: true, state: 'call:connected' });

      // The person chooses to reload: the new worker takes over and the page reloads once.
      const reloaded = ana.page.waitForEvent('load');
      await ana.page.getByRole('button', { name: 'Reload' }).click();
      await reloaded;
      expect(await ana.page.evaluate(() => (window as unknown as { __beforeUpdate?: boolean }).__beforeUpdate ?? false)).toBe(false);
      await waitForServiceWorker(ana.page);
      const cached = Object.values(await cachedUrls(ana.page)).flat();
      expect(cached.some((url) => url.includes(`__WB_REVISION__=${revision}`))).toBe(true);
      expect(await ana.page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.waiting ?? null))).toBeNull();
      expect(await ana.page.getByText('A new version of Duet is ready.').isVisible()).toBe(false);
      // The reloaded page is back in the same room (the address keeps ?room=).
      await bothFlowing(ana.page, ben.page);
    } finally {
      await Promise.all([ana.context.close(), ben.context.close()]);
      await hosting.close();
    }
  });
});
