// Helpers for the in-call scenarios (test/e2e/controls.test.ts): browsers with a fake
// screen to share or two fake cameras, reading what the other person is shown, and the
// axe-core accessibility audit.
import { chromium, type Browser, type Page } from '@playwright/test';
import { afterAll, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { CHROMIUM, chromiumArgs, settled } from './support.ts';

/**
 * Chromium whose getDisplayMedia works headless: `--use-fake-ui-for-media-stream` accepts
 * the picker, and `display-media-type=browser` makes the "screen" a capture of the page's
 * own tab (so it has the page's size, not the fake camera's). `cameras`: fake cameras.
 */
export function launchForControls({ cameras = 1, screen = false } = {}): Promise<Browser> {
  const options = [cameras > 1 ? `device-count=${cameras}` : '', screen ? 'display-media-type=browser' : ''].filter(Boolean).join(',');
  const args = chromiumArgs({ cameras }).map((a) =>
    a.startsWith('--use-fake-device-for-media-stream') ? `--use-fake-device-for-media-stream${options ? `=${options}` : ''}` : a,
  );
  if (screen) args.push('--use-fake-ui-for-media-stream');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

export function sharedControlsBrowser(options: { cameras?: number; screen?: boolean } = {}): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchForControls(options);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser is not started yet');
    return browser;
  };
}

/** What the page shows about the other person's controls (data-testid="remote-status"). */
export function remoteStatus(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector('[data-testid="remote-status"]')?.textContent ?? '');
}

/** Polls (every 10 ms, in the page) until the remote status matches; resolves with the ms it took from `since` (Date.now()). */
export async function remoteStatusWithin(page: Page, pattern: RegExp, since: number, timeout = 10_000): Promise<number> {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('[data-testid="remote-status"]')?.textContent ?? ''),
    pattern.source,
    { polling: 10, timeout },
  );
  return Date.now() - since;
}

/**
 * Clicks `name` on `from` and measures, with the pages' own clocks (one machine, one
 * clock), the ms from the click event until `to`'s remote status matches `pattern`:
 * the time the change takes to reach the other person, without the test driver's delays.
 */
export async function clickUntilRemoteStatus(from: Page, name: string, to: Page, pattern: RegExp, timeout = 10_000): Promise<number> {
  await to.evaluate((source) => {
    const w = window as unknown as { __seenAt?: number };
    delete w.__seenAt;
    const el = document.querySelector('[data-testid="remote-status"]')!;
    const check = () => {
      if (w.__seenAt === undefined && new RegExp(source).test(el.textContent ?? '')) w.__seenAt = performance.timeOrigin + performance.now();
    };
    new MutationObserver(check).observe(el, { childList: true, characterData: true, subtree: true });
  }, pattern.source);
  await from.evaluate(() => {
    const w = window as unknown as { __clickedAt?: number };
    delete w.__clickedAt;
    document.addEventListener('click', () => (w.__clickedAt ??= performance.timeOrigin + performance.now()), { capture: true, once: true });
  });
  await from.getByRole('button', { name, exact: true }).click();
  await to.waitForFunction(() => (window as unknown as { __seenAt?: number }).__seenAt !== undefined, null, { timeout });
  const seen = await to.evaluate(() => (window as unknown as { __seenAt: number }).__seenAt);
  const clicked = await from.evaluate(() => (window as unknown as { __clickedAt: number }).__clickedAt);
  return Math.round(seen - clicked);
}

/** Size and liveness of the remote picture as the receiver decodes it. */
export async function remoteFrameSize(page: Page): Promise<{ width: number; height: number; frames: number }> {
  return page.evaluate(async () => {
    const pcs = ((window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []).filter((p) => p.connectionState === 'connected');
    let out = { width: 0, height: 0, frames: 0 };
    for (const pc of pcs) {
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') out = { width: s.frameWidth ?? 0, height: s.frameHeight ?? 0, frames: s.framesDecoded ?? 0 };
      });
    }
    return out;
  });
}

/** How many RTCPeerConnections the page has made so far (a renegotiation away would add one). */
export function peerCount(page: Page): Promise<number> {
  return page.evaluate(() => ((window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []).length);
}

/** A desktop-sized person (the default person is a phone). */
export const desktop = { viewport: { width: 1280, height: 800 } };
/** The button of exactly that accessible name. */
export const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

/** The messages in the chat log, as text. */
export function chatTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll('[role="log"] .chat-text')].map((p) => p.textContent ?? ''));
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core (WCAG 2.0-2.2 A and AA rules) on the page as it is now. */
export async function axeAudit(page: Page): Promise<{ violations: AxeViolation[]; passes: number; incomplete: number }> {
  await settled(page); // the screen as it stays, not mid-fade
  // Evaluated through DevTools (as the test's own code), so the page's CSP does not block it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(`${axeSource}\n;void 0`);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[]; passes: unknown[]; incomplete: unknown[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] });
    return {
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) })),
      passes: r.passes.length,
      incomplete: r.incomplete.length,
    };
  });
}
