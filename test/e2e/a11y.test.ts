// The accessibility audit (issue 10): axe-core on every screen a person can meet, failing
// on any serious or critical violation; the call at 360 px wide and at 200 % zoom; reduced
// motion. Results per screen go to test-results/axe.json (and the log).
import { afterAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from '@playwright/test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BASE_URL,
  bothFlowing,
  browserSuiteBlocker,
  joinRoom,
  newPerson,
  openApp,
  screenshot,
  sharedBrowser,
  startCall,
  uniqueRoom,
  waitForState,
} from './support.ts';
import { axeAudit, type AxeViolation } from './controls-support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`accessibility tests skipped: ${blocker}`);

const results: Record<string, { violations: AxeViolation[]; passes: number; incomplete: number }> = {};

async function audit(page: Page, screen: string): Promise<void> {
  const r = await axeAudit(page);
  results[screen] = r;
  const summary = r.violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`).join(', ') || 'none';
  console.log(`[axe] ${screen}: ${r.passes} rules passed, violations: ${summary}`);
  const blocking = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking, `${screen}: ${JSON.stringify(blocking, null, 1)}`).toEqual([]);
}

afterAll(() => {
  const dir = fileURLToPath(new URL('../../test-results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}axe.json`, JSON.stringify(results, null, 2));
});

async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller), { timeout: 20_000 }).toBe(true);
}

/** The Hosting emulator behind a port of our own, where a new sw.js can be "deployed" (as in pwa.test.ts). */
async function hostingProxy() {
  const deployed = new Map<string, string>();
  const server = createServer((req, res) => {
    void (async () => {
      const upstream = await fetch(new URL(req.url ?? '/', BASE_URL), { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } });
      const headers = Object.fromEntries([...upstream.headers].filter(([k]) => !/^(content-length|content-encoding|transfer-encoding|connection|keep-alive|etag|last-modified)$/i.test(k)));
      const body = deployed.get(new URL(req.url ?? '/', 'http://x').pathname) ?? Buffer.from(await upstream.arrayBuffer());
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
    deploy: (path: string, body: string) => deployed.set(path, body),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every control of the call bar lies inside the viewport, and nothing scrolls sideways. */
async function fitsWidth(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    if (document.documentElement.scrollWidth > innerWidth) problems.push(`page is ${document.documentElement.scrollWidth}px wide in ${innerWidth}px`);
    for (const b of document.querySelectorAll<HTMLElement>('.controls button:not([hidden])')) {
      const r = b.getBoundingClientRect();
      if (r.left < 0 || r.right > innerWidth || r.bottom > innerHeight || r.width < 24) problems.push(`${b.textContent?.trim()} at ${Math.round(r.left)}-${Math.round(r.right)} of ${innerWidth}`);
    }
    return problems;
  });
}

describe.skipIf(blocker)('accessibility of every screen (axe-core, WCAG 2.2 AA)', { timeout: 240_000 }, () => {
  const browser = sharedBrowser();
  const close: BrowserContext[] = [];
  afterAll(async () => {
    await Promise.all(close.map((c) => c.close()));
  });

  it('room prompt, empty-name error, camera error', async () => {
    const { context, page } = await newPerson(browser());
    close.push(context);
    await openApp(page);
    await waitForState(page, /naming/);
    await audit(page, 'room prompt');
    await page.getByRole('button', { name: 'Join' }).click();
    await expect.poll(() => page.getByRole('alert').isVisible()).toBe(true);
    await audit(page, 'empty-name error');

    const denied = await newPerson(browser(), { grant: false });
    close.push(denied.context);
    await openApp(denied.page);
    await waitForState(denied.page, /media-error/);
    await audit(denied.page, 'camera error');
  });

  it('waiting, in call, chat open, call details open, room full', async () => {
    const { room, ana, ben, close: end } = await startCall(browser(), 'audit', { ben: { viewport: { width: 1280, height: 800 } } });
    try {
      await audit(ana.page, 'in call (phone)');
      await audit(ben.page, 'in call (desktop)');
      await ana.page.getByRole('button', { name: 'Mute', exact: true }).click();
      await ana.page.getByRole('button', { name: 'Camera off', exact: true }).click();
      await expect.poll(() => ben.page.getByTestId('remote-status').textContent()).toBe('muted, camera off');
      await audit(ben.page, 'in call, other person muted with camera off');
      await ben.page.getByRole('button', { name: 'Chat', exact: true }).click();
      await ben.page.getByRole('textbox', { name: 'Message' }).fill('Hello https://example.com');
      await ben.page.getByRole('button', { name: 'Send' }).click();
      await expect.poll(() => ana.page.getByRole('button', { name: /^Chat, 1 unread message$/ }).count()).toBe(1);
      await audit(ana.page, 'in call, unread message');
      await audit(ben.page, 'chat open (desktop)');
      await ana.page.getByRole('button', { name: /^Chat/ }).click();
      await audit(ana.page, 'chat open (phone)');
      await ana.page.getByRole('button', { name: 'Call details' }).click();
      await audit(ana.page, 'call details open (phone)');

      const cat = await newPerson(browser());
      close.push(cat.context);
      await openApp(cat.page);
      await joinRoom(cat.page, room);
      await expect.poll(() => cat.page.getByRole('alert').textContent(), { timeout: 20_000 }).toMatch(/is full/);
      await audit(cat.page, 'room full');
    } finally {
      await end();
    }
    const alone = await newPerson(browser());
    close.push(alone.context);
    await openApp(alone.page);
    await joinRoom(alone.page, uniqueRoom('audit waiting'));
    await waitForState(alone.page, /call:waiting/);
    await audit(alone.page, 'waiting');
  });

  it('offline and update offered', async () => {
    const { context, page } = await newPerson(browser());
    close.push(context);
    await openApp(page);
    await waitForState(page, /naming/);
    await waitForServiceWorker(page);
    await context.setOffline(true);
    await page.goto(`/?room=${encodeURIComponent(uniqueRoom('audit offline'))}`);
    await waitForState(page, /offline/);
    await audit(page, 'offline');
    await context.setOffline(false);

    const hosting = await hostingProxy();
    const other = await newPerson(browser());
    close.push(other.context);
    try {
      await other.page.goto(`${hosting.origin}/`);
      await waitForState(other.page, /naming/);
      await waitForServiceWorker(other.page);
      const current = await (await fetch(`${hosting.origin}/sw.js`)).text();
      hosting.deploy('/sw.js', current.replace(/(\{url:"index\.html",revision:")[0-9a-f]+"/, `$1a11y-${Date.now().toString(36)}"`));
      await other.page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
      await expect.poll(() => other.page.getByText('A new version of Duet is ready.').isVisible(), { timeout: 20_000 }).toBe(true);
      await audit(other.page, 'update offered');
    } finally {
      await hosting.close();
    }
  });

  it('the call fits 360 px wide and 200 % zoom, with chat open, and honours reduced motion', async () => {
    const room = uniqueRoom('narrow');
    const narrow = await newPerson(browser(), { viewport: { width: 360, height: 740 } });
    // 1280x800 at 200 % zoom is a 640x400 CSS viewport with twice the pixels.
    const zoomed = await newPerson(browser(), { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2, reducedMotion: 'reduce' });
    close.push(narrow.context, zoomed.context);
    const zoomPage = zoomed.page;
    await openApp(narrow.page);
    await joinRoom(narrow.page, room);
    await waitForState(narrow.page, /call:waiting/);
    await openApp(zoomPage);
    await joinRoom(zoomPage, room);
    await bothFlowing(narrow.page, zoomPage);
    expect(await fitsWidth(narrow.page)).toEqual([]);
    expect(await fitsWidth(zoomPage)).toEqual([]);
    await narrow.page.getByRole('button', { name: 'Chat', exact: true }).click();
    await zoomPage.getByRole('button', { name: 'Chat', exact: true }).click();
    expect(await fitsWidth(narrow.page)).toEqual([]);
    await audit(narrow.page, 'chat open at 360 px');
    await audit(zoomPage, 'chat open at 200 % zoom');
    await screenshot(narrow.page, 'phone-360-chat-open');
    await screenshot(zoomPage, 'desktop-200pct-chat-open');
    // Reduced motion: nothing animates.
    const moving = await zoomPage.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running').length);
    expect(moving).toBe(0);
  });
});
