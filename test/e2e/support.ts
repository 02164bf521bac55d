// Shared parts of the browser tests: real Debian Chromium with fake camera and
// microphone, pages served by the Hosting emulator, signaling through the
// Firestore emulator. Nothing here is mocked; helpers wait on real signals
// (accessible roles, connection state, decoded frames), never on fixed sleeps.

import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { afterAll, beforeAll, expect } from 'vitest';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, chromiumArgs } from '../../scripts/chromium.mjs';
import { roomDocId } from './room-id.ts';

export { CHROMIUM, chromiumArgs };

export const BASE_URL = process.env.DUET_BASE_URL ?? 'http://127.0.0.1:5000';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** Why the browser suite cannot run here, or null when it can. */
export function browserSuiteBlocker(): string | null {
  if (!process.env.FIRESTORE_EMULATOR_HOST) return 'no emulators running (run it through `npm test`, which starts them)';
  return null;
}


export interface LaunchOptions {
  /** false: start Chromium without fake capture devices (no camera, no microphone). */
  fakeDevices?: boolean;
  /** How many fake cameras (more than one shows the app's camera-switch button). */
  cameras?: number;
}

export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs(options) });
}

export interface PageOptions {
  /** Grant camera and microphone (default true). */
  grant?: boolean;
  viewport?: { width: number; height: number };
  isMobile?: boolean;
  hasTouch?: boolean;
}

/** A new person: a fresh browser context (own storage, so own identity). */
export async function newPerson(browser: Browser, options: PageOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    permissions: options.grant === false ? [] : ['camera', 'microphone'],
    viewport: options.viewport ?? { width: 390, height: 844 },
    ...(options.isMobile !== undefined ? { isMobile: options.isMobile } : {}),
    ...(options.hasTouch !== undefined ? { hasTouch: options.hasTouch } : {}),
  });
  await trackPeerConnections(context);
  // Loopback only: no STUN server to ask (and none reachable from the test namespace).
  await context.route('**/ice-servers.json', (route) =>
    route.fulfill({ contentType: 'application/json', body: '{"iceServers":[]}' }),
  );
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || process.env.DUET_TEST_VERBOSE) console.log(`[page ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));
  return { context, page };
}

let counter = 0;
/** A room name no other test uses. */
export function uniqueRoom(label: string): string {
  counter += 1;
  return `${label} ${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function roomInput(page: Page) {
  return page.getByRole('textbox', { name: /room/i });
}

/** Opens the app and waits for the room prompt (camera and microphone granted). */
export async function openApp(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
}

export async function joinRoom(page: Page, name: string): Promise<void> {
  await expect.poll(() => roomInput(page).isVisible(), { timeout: 30_000 }).toBe(true);
  await roomInput(page).fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
}

export async function statusText(page: Page): Promise<string> {
  return (await page.getByRole('status').textContent()) ?? '';
}

export async function alertText(page: Page): Promise<string> {
  const alert = page.getByRole('alert');
  return (await alert.isVisible()) ? ((await alert.textContent()) ?? '') : '';
}

/** Waits until the app's whole state (documentElement[data-duet], e.g. `call:connected`) matches `pattern`. */
export async function waitForState(page: Page, pattern: RegExp, timeout = 30_000): Promise<void> {
  // The state plus what the page says, so a failure shows what the person saw.
  const seen = () =>
    page.evaluate(() => {
      const say = (sel: string) => document.querySelector(sel)?.textContent?.trim() ?? '';
      return `${document.documentElement.dataset.duet ?? ''} | status: ${say('[role=status]')} | alert: ${say('[role=alert]')}`;
    });
  await expect.poll(seen, { timeout }).toMatch(new RegExp(`^(?:${pattern.source}) \\|`));
}

/**
 * Records every RTCPeerConnection the context's pages make, on `window.__pcs` (test
 * instrumentation only: the app's code is unchanged, the constructor is wrapped).
 */
export async function trackPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const Native = window.RTCPeerConnection;
    if (!Native) return;
    const all: RTCPeerConnection[] = ((window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = []);
    window.RTCPeerConnection = class extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        all.push(this);
      }
    } as typeof RTCPeerConnection;
  });
}

/**
 * Proves the remote video is live: the <video> shows a live track of an open peer
 * connection, that track's receiver keeps decoding frames (RTCRtpReceiver stats,
 * framesDecoded), and the element's media clock advances.
 *
 * Why not the element's own frame counter or its pixels: in headless Chromium the
 * <video> sometimes stops presenting frames while its track keeps decoding (bench: one
 * page's totalVideoFrames stuck at 9 for 70 s from the start of a call, while
 * framesDecoded grew by 1,200; in the 30 s network-cut test a canvas copy of the
 * element stayed the same picture for 60 s while both connections decoded 20 frames/s
 * each way). Pages without a compositor to drive them, not the call, were frozen.
 */
export async function expectRemoteVideoFlowing(page: Page, timeout = 20_000): Promise<void> {
  const sample = () =>
    page.evaluate(async () => {
      const pcs = (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs;
      if (!pcs) return 'no peer connection tracking in this page (see trackPeerConnections)';
      const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]');
      const shown = v?.srcObject instanceof MediaStream ? v.srcObject.getVideoTracks().filter((t) => t.readyState === 'live') : [];
      if (!v || v.videoWidth === 0 || shown.length === 0) return 'no live remote video shown';
      // One picture: a stream that collected a second live video track would show the wrong one.
      if (shown.length > 1) return `the video holds ${shown.length} live video tracks`;
      for (const pc of pcs.filter((p) => p.connectionState !== 'closed')) {
        const receiver = pc.getReceivers().find((r) => shown.includes(r.track));
        if (!receiver) continue;
        let frames = 0;
        (await receiver.getStats()).forEach((s) => {
          if (s.type === 'inbound-rtp') frames = s.framesDecoded as number;
        });
        return { frames, time: v.currentTime };
      }
      return 'the video shows no track of an open connection';
    });
  let first: { frames: number; time: number } | undefined;
  await expect
    .poll(async () => {
      const now = await sample();
      if (typeof now === 'string') return now;
      first ??= now;
      const frames = now.frames - first.frames;
      return `${frames > 5 ? 'more than 5' : frames} new frames decoded, clock ${now.time > first.time ? 'moving' : 'still'}`;
    }, { timeout, interval: 200 })
    .toBe('more than 5 new frames decoded, clock moving');
}

/** Whether the remote stream carries a live audio track. */
export async function remoteHasLiveAudio(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]');
    const s = v?.srcObject as MediaStream | null;
    return !!s && s.getAudioTracks().some((t) => t.readyState === 'live');
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  await page.screenshot({ path });
  return path;
}

/** This page's anonymous uid, read from Firebase Auth's own IndexedDB store. */
export async function uidOf(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('firebaseLocalStorageDb');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('firebaseLocalStorage', 'readonly');
          const all = tx.objectStore('firebaseLocalStorage').getAll();
          all.onsuccess = () => {
            const entry = (all.result as { value?: { uid?: string } }[]).find((e) => e.value?.uid);
            if (entry?.value?.uid) resolve(entry.value.uid);
            else reject(new Error('no signed-in user in this page'));
          };
        };
      }),
  );
}

/** The Firestore emulator's REST API, as an administrator (rules do not apply). */
export async function emulatorRest(path: string, init: RequestInit = {}): Promise<Response> {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  const url = `http://${host}/v1/projects/demo-duet/databases/(default)/documents${path}`;
  return fetch(url, { ...init, headers: { Authorization: 'Bearer owner', 'Content-Type': 'application/json', ...init.headers } });
}

/** The Firestore path of a room, from the name people type (its id is a hash of the name). */
export function roomPath(name: string): string {
  return `/rooms/${roomDocId(name)}`;
}

/** Makes `uid`'s seat look last refreshed `ageMs` ago (time passing for it, as an administrator). */
export async function backdateSeat(room: string, uid: string, ageMs: number): Promise<void> {
  const field = `seats.\`${uid}\`.seen`;
  const seen = new Date(Date.now() - ageMs).toISOString();
  const res = await emulatorRest(`${roomPath(room)}?updateMask.fieldPaths=${encodeURIComponent(field)}`, {
    method: 'PATCH',
    body: JSON.stringify({ fields: { seats: { mapValue: { fields: { [uid]: { mapValue: { fields: { seen: { timestampValue: seen } } } } } } } } }),
  });
  expect(res.status).toBe(200);
}

/** How many seats the room document holds on the server (0 when it does not exist). */
export async function seatCount(room: string): Promise<number> {
  const r = await emulatorRest(roomPath(room));
  if (r.status !== 200) return 0;
  const doc = (await r.json()) as { fields?: { seats?: { mapValue?: { fields?: object } } } };
  return Object.keys(doc.fields?.seats?.mapValue?.fields ?? {}).length;
}

/** One Chromium shared by the tests of the describe block this is called in. */
export function sharedBrowser(options: LaunchOptions = {}): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium(options);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser is not started yet');
    return browser;
  };
}

export interface Person {
  context: BrowserContext;
  page: Page;
}

/**
 * Two people in a new room, talking: Ana creates it and waits, Ben joins, and both
 * decode each other's video. `prepare` runs on each page before it loads.
 */
export async function startCall(
  browser: Browser,
  label: string,
  options: { ana?: PageOptions; ben?: PageOptions; prepare?: (page: Page) => Promise<void> } = {},
): Promise<{ room: string; ana: Person; ben: Person; close: () => Promise<void> }> {
  const room = uniqueRoom(label);
  const ana = await newPerson(browser, options.ana);
  const ben = await newPerson(browser, options.ben);
  if (options.prepare) await Promise.all([options.prepare(ana.page), options.prepare(ben.page)]);
  await openApp(ana.page);
  await joinRoom(ana.page, room);
  await waitForState(ana.page, /call:waiting/);
  await openApp(ben.page);
  await joinRoom(ben.page, room);
  await bothFlowing(ana.page, ben.page);
  return { room, ana, ben, close: async () => void (await Promise.all([ana.context.close(), ben.context.close()])) };
}

/** Both pages are in a connected call and decode each other's video. */
export async function bothFlowing(a: Page, b: Page, timeout = 30_000): Promise<void> {
  await waitForState(a, /call:connected/, timeout);
  await waitForState(b, /call:connected/, timeout);
  await expectRemoteVideoFlowing(a, timeout);
  await expectRemoteVideoFlowing(b, timeout);
}
