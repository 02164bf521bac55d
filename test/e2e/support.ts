// Shared parts of the browser tests: real Debian Chromium (Playwright) and Firefox ESR
// (puppeteer-core) with fake camera and microphone, pages served by the Hosting
// emulator, signaling through the Firestore emulator. Nothing here is mocked; helpers
// wait on real signals (accessible roles, connection state, decoded frames), never on
// fixed sleeps. The page-driving layer itself is scripts/drive/ (shared with the bench).

import { chromium, type Browser as PlaywrightBrowser } from '@playwright/test';
import { afterAll, beforeAll, expect } from 'vitest';
import { CHROMIUM, chromiumArgs } from '../../scripts/chromium.mjs';
import { firefoxBlocker } from '../../scripts/firefox.mjs';
import { installProbes } from '../../scripts/drive/probes.mjs';
import {
  Browser,
  Person,
  asPerson,
  bothFlowing,
  joinRoom,
  launch,
  uniqueRoom,
  waitForState,
  type Engine,
  type LaunchOptions,
  type PersonOptions,
} from '../../scripts/drive/people.mjs';
import { roomDocId } from './room-id.ts';

export {
  BASE_URL,
  SCREENSHOTS,
  alertText,
  diagnose,
  expectRemoteVideoFlowing,
  explained,
  firstFrames,
  remoteHasLiveAudio,
  seen,
  settled,
  stateOf,
  statusText,
  videoBackAfter,
  waitUntil,
} from '../../scripts/drive/people.mjs';
export { Browser, Person, asPerson, bothFlowing, joinRoom, launch, uniqueRoom, waitForState, firefoxBlocker, CHROMIUM, chromiumArgs };
export type { Engine, LaunchOptions, PersonOptions };

/** Why the browser suite cannot run here, or null when it can. */
export function browserSuiteBlocker(): string | null {
  if (!process.env.FIRESTORE_EMULATOR_HOST) return 'no emulators running (run it through `npm test`, which starts them)';
  return null;
}

/** Why the Firefox scenarios cannot run here, or null when they can. */
export function firefoxSuiteBlocker(): string | null {
  const b = browserSuiteBlocker() ?? firefoxBlocker();
  if (b) return b;
  // Firefox gathers no ICE candidates without a default route: it needs the test namespace.
  if (process.env.DUET_NETNS !== '1') return 'not in the test network namespace (needs root; `npm test` makes one), and Firefox needs its default route';
  return null;
}

export function launchChromium(options: LaunchOptions = {}): Promise<PlaywrightBrowser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs(options) });
}

const asBrowser = (b: PlaywrightBrowser | Browser): Browser => (b instanceof Browser ? b : new Browser('chromium', b));

/** A person in Chromium: its Playwright page and context. */
export type ChromiumPerson = Person & { page: import('@playwright/test').Page; context: import('@playwright/test').BrowserContext };

/** A new person: a fresh context (own storage, so own identity) of `browser`, camera and microphone granted. */
export function newPerson(browser: PlaywrightBrowser, options?: PersonOptions): Promise<ChromiumPerson>;
export function newPerson(browser: Browser, options?: PersonOptions): Promise<Person>;
export function newPerson(browser: PlaywrightBrowser | Browser, options: PersonOptions = {}): Promise<Person> {
  return asBrowser(browser).newPerson(options);
}

/** Installs the test probes (scripts/drive/probes.mjs) in a Playwright context made elsewhere. */
export async function trackPeerConnections(context: import('@playwright/test').BrowserContext, { emptyIceServers = true } = {}): Promise<void> {
  await context.addInitScript(installProbes, { emptyIceServers, watch: false });
}

export function roomInput(page: import('@playwright/test').Page) {
  return page.getByRole('textbox', { name: /room/i });
}

/** Opens the app (camera and microphone granted, the prompt follows). */
export async function openApp(x: Person | import('@playwright/test').Page, path = '/'): Promise<void> {
  await asPerson(x).goto(path);
}

export async function screenshot(x: Person | import('@playwright/test').Page, name: string): Promise<string> {
  return asPerson(x).screenshot(name);
}

/** This page's anonymous uid, read from Firebase Auth's own IndexedDB store. */
export async function uidOf(x: Person | import('@playwright/test').Page): Promise<string> {
  return asPerson(x).evaluate(
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

/**
 * The UDP ports a page's live connection receives on: every local candidate, not only the
 * selected pair's. The test namespace has two interfaces (loopback and the veth), and ICE moves
 * to another pair by itself when one port goes quiet, so dropping one port cuts nothing.
 */
export function mediaPorts(x: Person | import('@playwright/test').Page): Promise<number[]> {
  return asPerson(x).evaluate(async () => {
    const pc = window.__duetTest.pcs.filter((p) => p.connectionState === 'connected').at(-1)!;
    const ports = new Set<number>();
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'local-candidate' && s.protocol === 'udp') ports.add(s.port as number);
    });
    return [...ports];
  });
}

/** The Firestore path of a room, from the name people type (its id is a hash of the name). */
/**
 * Marks when the pages of `context` have seen the room `name` (read it with roomLookedAt): a copy
 * of the Firestore listen stream (a fetch stream, its WebChannel), read beside the SDK's, that
 * brought the room's document and then a target change after it (CURRENT on a first look, a
 * global snapshot on a later change): the SDK raises its snapshot on that. A tap on the
 * network, not a hook in the app.
 */
export async function watchRoomLook(context: import('@playwright/test').BrowserContext, name: string): Promise<void> {
  await context.addInitScript((docId) => {
    const w = window as unknown as { __roomLookedAt?: number };
    const nativeFetch = window.fetch;
    window.fetch = function (this: unknown, ...a: Parameters<typeof fetch>) {
      const answer = nativeFetch.apply(this, a);
      const url = a[0] instanceof Request ? a[0].url : String(a[0]);
      if (url.includes('/Listen/channel')) {
        void answer.then(async (r) => {
          const reader = r.clone().body?.getReader();
          const text = new TextDecoder();
          let tail = '';
          let named = false;
          for (;;) {
            const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
            if (done || w.__roomLookedAt !== undefined) return void reader?.cancel();
            tail = tail.slice(-docId.length) + text.decode(value, { stream: true });
            if (!named && tail.includes(docId)) (named = true), (tail = tail.slice(tail.indexOf(docId)));
            if (named && tail.includes('targetChange')) w.__roomLookedAt = performance.now();
          }
        }).catch(() => {});
      }
      return answer;
    } as typeof fetch;
  }, roomDocId(name));
}

/** When the page first saw the room watchRoomLook watches (performance.now()), or undefined. */
export function roomLookedAt(page: import('@playwright/test').Page): Promise<number | undefined> {
  return page.evaluate(() => (window as unknown as { __roomLookedAt?: number }).__roomLookedAt);
}

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

/** One Chromium (Playwright) shared by the tests of the describe block this is called in. */
export function sharedBrowser(options: LaunchOptions = {}): () => PlaywrightBrowser {
  let browser: PlaywrightBrowser | undefined;
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

/** One browser of `engine` shared by the tests of the describe block this is called in. */
export function sharedEngine(engine: Engine, options: LaunchOptions = {}): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launch(engine, options);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error(`${engine} is not started yet`);
    return browser;
  };
}

/**
 * Two people in a new room, talking: Ana creates it and waits, Ben joins, and both
 * decode each other's video. `ana` and `ben` may come from different browsers.
 */
export async function startCall(
  browser: PlaywrightBrowser,
  label: string,
  options?: { ana?: PersonOptions; ben?: PersonOptions },
): Promise<{ room: string; ana: ChromiumPerson; ben: ChromiumPerson; close: () => Promise<void> }>;
export async function startCall(
  browser: Browser,
  label: string,
  options?: { ana?: PersonOptions; ben?: PersonOptions; benBrowser?: Browser },
): Promise<{ room: string; ana: Person; ben: Person; close: () => Promise<void> }>;
export async function startCall(
  browser: PlaywrightBrowser | Browser,
  label: string,
  options: { ana?: PersonOptions; ben?: PersonOptions; benBrowser?: Browser } = {},
): Promise<{ room: string; ana: Person; ben: Person; close: () => Promise<void> }> {
  const room = uniqueRoom(label);
  const ana = await asBrowser(browser).newPerson(options.ana);
  const ben = await asBrowser(options.benBrowser ?? browser).newPerson(options.ben);
  await ana.goto('/');
  await joinRoom(ana, room);
  await waitForState(ana, /call:waiting/);
  await ben.goto('/');
  await joinRoom(ben, room);
  await bothFlowing(ana, ben);
  return { room, ana, ben, close: async () => void (await Promise.all([ana.close(), ben.close()])) };
}
