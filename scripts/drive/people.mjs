// One page-driving layer for the browser tests (test/e2e) and the bench (scripts/bench):
// browsers, people (one private browser context each, so one identity each), joining,
// waiting on what the app shows, frames decoded, failure reports. Chromium is driven
// by Playwright, Firefox ESR by puppeteer-core over WebDriver BiDi; a scenario is
// written once and runs in either.
//
// The app is read only through what it shows anyway: accessible roles and names, and
// <main class="app" data-screen data-phase>. Page-side probes: ./probes.mjs.
import { chromium } from '@playwright/test';
import puppeteer from 'puppeteer-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, chromiumArgs } from '../chromium.mjs';
import { FIREFOX, firefoxPrefs } from '../firefox.mjs';
import { installProbes } from './probes.mjs';

export const BASE_URL = process.env.DUET_BASE_URL ?? 'http://127.0.0.1:5000';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** @typedef {'chromium' | 'firefox'} Engine */
/**
 * @typedef {object} LaunchOptions
 * @property {boolean} [fakeDevices] Chromium: false starts it without camera or microphone
 * @property {number} [cameras] Chromium: how many fake cameras
 * @property {'small' | 'hd'} [camera] Chromium: the fake camera's picture (scripts/chromium.mjs)
 * @property {boolean} [autoplayBlocked] Firefox: autoplay policy "allowed-muted" (see scripts/firefox.mjs)
 */
/**
 * @typedef {object} PersonOptions
 * @property {boolean} [grant] Chromium: grant camera and microphone (default true)
 * @property {{ width: number, height: number }} [viewport] default: a phone, 390x844
 * @property {boolean} [isMobile]
 * @property {boolean} [hasTouch]
 * @property {number} [deviceScaleFactor]
 * @property {string} [userAgent]
 * @property {boolean} [watch] the page reports what it shows on the console (see probes.mjs)
 * @property {boolean} [serviceWorkers] false: block them (Chromium)
 * @property {'reduce' | 'no-preference'} [reducedMotion] Chromium: prefers-reduced-motion
 * @property {string} [label] prefix for the page's console lines
 * @property {string} [baseURL] Chromium: where the app is served (default BASE_URL; the bench's other build)
 */

/**
 * A browser of either engine. Chromium: one process, a private context per person.
 * Firefox: one process per person (its first tab), started by newPerson. A page in a
 * background tab or an unfocused window of Firefox waits for focus before it gets the
 * camera, and its frames and timers are held back; two people are two browsers anyway.
 */
export class Browser {
  /** @param {Engine} engine @param {any} native Playwright Browser (Chromium), null (Firefox) @param {LaunchOptions} [options] */
  constructor(engine, native, options = {}) {
    this.engine = engine;
    this.native = native;
    this.options = options;
    /** Firefox processes started for people, closed with this Browser. */
    this.processes = new Set();
  }

  /** @returns {Promise<string>} */
  async version() {
    if (this.engine === 'chromium') return this.native.version();
    const b = await launchFirefox(this.options);
    try {
      return (await b.version()).replace(/^firefox\//, '');
    } finally {
      await b.close();
    }
  }

  /** A new person: a fresh private context (own storage, so own identity), camera and microphone granted. */
  async newPerson(/** @type {PersonOptions} */ options = {}) {
    const viewport = options.viewport ?? { width: 390, height: 844 };
    const probes = { emptyIceServers: true, watch: !!options.watch };
    let person;
    if (this.engine === 'chromium') {
      const context = await this.native.newContext({
        baseURL: options.baseURL ?? BASE_URL,
        permissions: options.grant === false ? [] : ['camera', 'microphone'],
        viewport,
        ...(options.isMobile !== undefined ? { isMobile: options.isMobile } : {}),
        ...(options.hasTouch !== undefined ? { hasTouch: options.hasTouch } : {}),
        ...(options.deviceScaleFactor !== undefined ? { deviceScaleFactor: options.deviceScaleFactor } : {}),
        ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
        ...(options.serviceWorkers === false ? { serviceWorkers: 'block' } : {}),
        ...(options.reducedMotion ? { reducedMotion: options.reducedMotion } : {}),
      });
      await context.addInitScript(installProbes, probes);
      person = new Person('chromium', await context.newPage(), context);
      person.page.on('pageerror', (e) => console.log(`[${options.label ?? 'page'} error] ${e.message}`));
    } else {
      const process = await launchFirefox(this.options);
      this.processes.add(process);
      const [page] = await process.pages();
      const context = { close: async () => void (this.processes.delete(process), await process.close()) };
      await page.setViewport({ ...viewport, ...(options.deviceScaleFactor ? { deviceScaleFactor: options.deviceScaleFactor } : {}) });
      await page.evaluateOnNewDocument(installProbes, probes);
      person = new Person('firefox', page, context);
      page.on('pageerror', (e) => console.log(`[${options.label ?? 'firefox'} error] ${e.message}`));
    }
    person.page.on('console', (m) => {
      const text = m.text();
      if (text.startsWith('duet-watch ')) person.watched = JSON.parse(text.slice(11));
      else if (m.type() === 'error' || process.env.DUET_TEST_VERBOSE) console.log(`[${options.label ?? person.engine} ${m.type()}] ${text}`);
    });
    return person;
  }

  async close() {
    if (this.native) await this.native.close();
    await Promise.all([...this.processes].map((p) => p.close().catch(() => {})));
  }
}

function launchFirefox(/** @type {LaunchOptions} */ options) {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: firefoxPrefs(options),
    protocolTimeout: 120_000,
  });
}

/** @param {Engine} engine @param {LaunchOptions} [options] */
export async function launch(engine, options = {}) {
  if (engine === 'chromium') {
    return new Browser('chromium', await chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs(options) }));
  }
  return new Browser('firefox', null, options);
}

/** One person's page, in either engine. `page` and `context` are the driver's own objects. */
export class Person {
  /** @param {Engine} engine @param {any} page @param {any} context */
  constructor(engine, page, context) {
    this.engine = engine;
    /** @type {unknown} Playwright Page (Chromium) or Puppeteer Page (Firefox) */
    this.page = page;
    /** @type {unknown} */
    this.context = context;
    /** The last `duet-watch` report (pages opened with `watch`). */
    this.watched = /** @type {any} */ (null);
  }

  /**
   * Runs `fn(arg)` in the page. In Firefox this counts as a user gesture (see probes.mjs).
   * @template T, A
   * @param {(arg: A) => T | Promise<T>} fn @param {A} [arg] @returns {Promise<T>}
   */
  evaluate(fn, arg) {
    return /** @type {any} */ (this.page).evaluate(fn, arg);
  }

  /** Opens a path of the app (or a full URL, e.g. an invite link). */
  async goto(path = '/') {
    await this.page.goto(new URL(path, BASE_URL).href);
  }

  async reload() {
    await this.page.reload();
  }

  /** Types into the room-name field, as a person would. */
  async typeRoom(/** @type {string} */ name) {
    if (this.engine === 'chromium') return void (await this.page.getByRole('textbox', { name: /room/i }).fill(name));
    const field = await this.#firefoxControl('textbox', 'Room name');
    if (!field) throw new Error(`no room-name field: ${await seen(this)}`);
    await field.evaluate((el) => (el.value = ''));
    await field.type(name);
  }

  /** Clicks the button with this accessible name. */
  async press(/** @type {string} */ name) {
    if (this.engine === 'chromium') return void (await this.page.getByRole('button', { name, exact: true }).click());
    const button = await this.#firefoxControl('button', name);
    if (!button) throw new Error(`no button "${name}": ${await seen(this)}`);
    await button.click();
  }

  /**
   * Firefox: the visible text field or button with this label, found in the page's DOM (its
   * <label>, aria-label or text). Not puppeteer's ::-p-aria, which asks Firefox for its
   * accessibility tree (likely starting its accessibility engine in the page's process): with
   * it a Join click took 10-22 s to arrive and each typed character ~0.5 s beside a call, and
   * the Firefox group took 323 s instead of 151 s (2026-11-30).
   */
  async #firefoxControl(/** @type {'textbox' | 'button'} */ role, /** @type {string} */ name) {
    const handle = await this.page.evaluateHandle(
      (role, name) => {
        const label = (/** @type {any} */ el) =>
          (el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '').trim().replace(/\s+/g, ' ');
        const all = [...document.querySelectorAll(role === 'button' ? 'button' : 'input:not([type]), input[type=text], textarea')];
        return all.find((el) => label(el) === name && el.checkVisibility()) ?? null;
      },
      role,
      name,
    );
    return handle.asElement();
  }

  /** Saves test-results/screenshots/<name>.png and returns its path. */
  async screenshot(/** @type {string} */ name) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const path = `${SCREENSHOTS}${name}.png`;
    // Not in Firefox: a script evaluated over BiDi counts as a tap there (see probes.mjs).
    if (this.engine === 'chromium') await settled(this.page);
    await this.page.screenshot({ path });
    return path;
  }

  close() {
    return this.context.close();
  }
}

/**
 * Resolves once the page's finite animations and transitions have run out (2 s at most), so a
 * screenshot or an audit sees the screen as it settles: a panel 100 ms into its 240 ms fade-in
 * is a contrast failure to axe. Loops (the waiting screen's breath) are not waited for.
 * Chromium pages only: in Firefox, evaluating a script over BiDi counts as a tap.
 * @param {{ evaluate: (fn: () => Promise<unknown>) => Promise<unknown> }} page a Playwright page
 */
export async function settled(page) {
  await page.evaluate(() =>
    Promise.race([
      Promise.all(document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished.catch(() => {}))),
      new Promise((resolve) => setTimeout(resolve, 2_000)),
    ]),
  );
}

const wrapped = new WeakMap();
/**
 * A Person for a Playwright page made elsewhere (tests that build their own context).
 * @param {Person | import('@playwright/test').Page} x
 * @returns {Person}
 */
export function asPerson(x) {
  if (x instanceof Person) return x;
  let p = wrapped.get(x);
  if (!p) wrapped.set(x, (p = new Person('chromium', x, x.context())));
  return p;
}

/** @typedef {Person | import('@playwright/test').Page} Driven */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns true; it returns anything else to say what it sees,
 * which the error reports on timeout.
 * @param {() => Promise<true | string> | true | string} check
 * @param {{ timeout?: number, interval?: number, what?: string }} [options]
 */
export async function waitUntil(check, { timeout = 30_000, interval = 100, what = 'condition' } = {}) {
  const until = Date.now() + timeout;
  let last = '';
  for (;;) {
    try {
      const r = await check();
      if (r === true) return;
      last = String(r);
    } catch (e) {
      last = `(${/** @type {Error} */ (e).message.split('\n')[0]})`;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last seen: ${last}`);
    await sleep(interval);
  }
}

/** The app's state as the UI writes it: `screen` or `screen:phase`, e.g. `call:connected`. */
export function stateOf(/** @type {Driven} */ x) {
  return asPerson(x).evaluate(() => {
    const app = document.querySelector('main.app');
    const screen = app?.dataset.screen ?? '';
    return app?.dataset.phase ? `${screen}:${app.dataset.phase}` : screen;
  });
}

/** What the person sees: the state, the status line and the alert, for waits and failure reports. */
export function seen(/** @type {Driven} */ x) {
  return asPerson(x)
    .evaluate(() => {
      const app = document.querySelector('main.app');
      const say = (sel) => {
        const el = document.querySelector(sel);
        return el && !el.closest('[hidden]') ? (el.textContent ?? '').trim().replace(/\s+/g, ' ') : '';
      };
      const state = `${app?.dataset.screen ?? ''}${app?.dataset.phase ? `:${app.dataset.phase}` : ''}`;
      return `${state} | status: ${say('[role=status]')} | alert: ${say('[role=alert]')}`;
    })
    .catch((e) => `(page unreadable: ${e.message.split('\n')[0]})`);
}

/** Waits until the app's state (see stateOf) matches `pattern` entirely. */
export async function waitForState(/** @type {Driven} */ x, /** @type {RegExp} */ pattern, timeout = 30_000) {
  const whole = new RegExp(`^(?:${pattern.source}) \\|`);
  await waitUntil(async () => {
    const s = await seen(x);
    return whole.test(s) || s;
  }, { timeout, interval: 50, what: `state ${pattern}` });
}

/** The status line's text ('' when hidden). */
export function statusText(/** @type {Driven} */ x) {
  return asPerson(x).evaluate(() => {
    const el = document.querySelector('[role=status]');
    return el && !el.hidden ? (el.textContent ?? '') : '';
  });
}

/** The alert's whole text ('' when hidden). */
export function alertText(/** @type {Driven} */ x) {
  return asPerson(x).evaluate(() => {
    const el = document.querySelector('[role=alert]');
    return el && !el.hidden ? (el.textContent ?? '') : '';
  });
}

/** Waits for the room prompt, types the name and presses Join. */
export async function joinRoom(/** @type {Driven} */ x, /** @type {string} */ name) {
  const p = asPerson(x);
  await waitUntil(async () => {
    const shown = await p.evaluate(() => {
      const form = document.querySelector('form.room-form');
      return !!form && !form.hidden && form.checkVisibility();
    });
    return shown || `no room prompt: ${await seen(p)}`;
  }, { timeout: 60_000, what: 'the room prompt' });
  await p.typeRoom(name);
  await p.press('Join');
}

/**
 * Waits until the remote video is live: it shows one live track of an open connection,
 * that track's receiver keeps decoding frames, the element plays and its clock advances.
 */
export async function expectRemoteVideoFlowing(/** @type {Driven} */ x, timeout = 20_000) {
  const p = asPerson(x);
  /** @type {{ frames: number, time: number } | undefined} */
  let first;
  await waitUntil(async () => {
    const now = await p.evaluate(() => window.__duetTest.shownFrames());
    if (typeof now === 'string') return now;
    first ??= now;
    const frames = now.frames - first.frames;
    if (frames > 5 && now.time > first.time && !now.paused) return true;
    return `${frames} new frames decoded, clock ${now.time > first.time ? 'moving' : 'still'}, ${now.paused ? 'paused' : 'playing'}`;
  }, { timeout, interval: 200, what: 'remote video decoding and playing' });
}

/** Both pages are in a connected call and decode and play each other's video. */
export async function bothFlowing(/** @type {Driven} */ a, /** @type {Driven} */ b, timeout = 30_000) {
  await waitForState(a, /call:connected/, timeout);
  await waitForState(b, /call:connected/, timeout);
  await expectRemoteVideoFlowing(a, timeout);
  await expectRemoteVideoFlowing(b, timeout);
}

/** Decoded frames of the remote video the page shows (a number; -1 while it shows none). */
const framesOf = (/** @type {Driven} */ x) =>
  asPerson(x).evaluate(async () => {
    const f = await window.__duetTest.shownFrames();
    return typeof f === 'string' ? -1 : f.frames;
  });

/**
 * Resolves with the time (Date.now()) a page's video came back after `since`: the first
 * sample after a stall (no new frame for 300 ms) in which 5 more frames were decoded than at
 * the stall. A page whose video never stalls within 2 s came back at `since`; null: not back
 * within `timeoutMs`.
 */
export async function videoBackAfter(/** @type {Driven} */ x, /** @type {number} */ since, /** @type {number} */ timeoutMs) {
  let last = await framesOf(x).catch(() => -1);
  let same = 0;
  let stalledAt = /** @type {number | null} */ (null);
  while (Date.now() < since + timeoutMs) {
    await new Promise((r) => setTimeout(r, 100));
    const now = await framesOf(x).catch(() => -1);
    same = now === last ? same + 1 : 0;
    last = now;
    if (stalledAt === null) {
      if (same >= 3) stalledAt = now;
      else if (Date.now() - since > 2_000) return since; // never stalled
      continue;
    }
    if (now < stalledAt) stalledAt = now; // a new connection's receiver counts from its own start
    if (now >= stalledAt + 5) return Date.now();
  }
  return null;
}

/** Whether the remote stream carries a live audio track. */
export function remoteHasLiveAudio(/** @type {Driven} */ x) {
  return asPerson(x).evaluate(() => {
    const v = document.querySelector('[data-testid="remote-video"]');
    const s = v?.srcObject;
    return s instanceof MediaStream && s.getAudioTracks().some((t) => t.readyState === 'live');
  });
}

/**
 * Bits per second the page's connected transport sends and receives over `ms`, and the
 * outgoing video as sent (size, frames per second, what limits it), from getStats.
 * @returns {Promise<{ sentBps: number, receivedBps: number, video: string }>}
 */
export function throughput(/** @type {Driven} */ x, /** @type {number} */ ms) {
  return asPerson(x).evaluate(async (ms) => {
    const pc = window.__duetTest.pcs.filter((p) => p.connectionState === 'connected').at(-1);
    if (!pc) throw new Error('no connected peer connection');
    const read = async () => {
      let sent = 0, received = 0, width = 0, height = 0, fps = 0, limit = '';
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'transport') { sent += s.bytesSent; received += s.bytesReceived; }
        if (s.type === 'outbound-rtp' && s.kind === 'video') { width = s.frameWidth ?? 0; height = s.frameHeight ?? 0; fps = s.framesPerSecond ?? 0; limit = s.qualityLimitationReason ?? ''; }
      });
      return { sent, received, width, height, fps, limit, at: performance.now() };
    };
    const a = await read();
    await new Promise((r) => setTimeout(r, ms));
    const b = await read();
    const s = (b.at - a.at) / 1000;
    return { sentBps: ((b.sent - a.sent) * 8) / s, receivedBps: ((b.received - a.received) * 8) / s, video: `${b.width}x${b.height}@${Math.round(b.fps)}${b.limit && b.limit !== 'none' ? ` (limited by ${b.limit})` : ''}` };
  }, ms);
}

/**
 * When the remote <video> first presented a frame of each stream it played (absolute
 * ms, comparable with Date.now() on this machine), from the probes.
 * @returns {Promise<{ stream: number, playingAt: number, frameAt: number | null }[]>}
 */
export function firstFrames(/** @type {Driven} */ x) {
  return asPerson(x).evaluate(() => JSON.parse(JSON.stringify(window.__duetTest.firstFrames)));
}

/** States, tracks and connection counters of a page, for failure reports. */
export function diagnose(/** @type {Driven} */ x) {
  return asPerson(x)
    .evaluate(() => window.__duetTest.diagnose())
    .catch((e) => ({ unreadable: e.message.split('\n')[0] }));
}

/** Runs `check`; when it fails, prints what each page's connections look like first. */
export async function explained(/** @type {Record<string, Driven>} */ pages, /** @type {() => Promise<void>} */ check) {
  try {
    await check();
  } catch (e) {
    for (const [name, page] of Object.entries(pages)) console.log(`${name}: ${JSON.stringify(await diagnose(page))}`);
    throw e;
  }
}

let counter = 0;
/** A room name no other test uses. */
export function uniqueRoom(/** @type {string} */ label) {
  counter += 1;
  return `${label} ${process.pid}-${Date.now().toString(36)}-${counter}`;
}
