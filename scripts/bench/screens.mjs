// CPU per screen (issue 26): what Chromium spends, in all its processes, while the app only
// shows something: the room prompt with your own camera behind it, the waiting screen, a call.
// Each is set beside a bare counterpart that does the same media work with no app around it:
//
//   bare camera page  one page, getUserMedia as the app asks (1280x720 and sound), one
//                     full-screen <video>: the counterpart of the prompt and the waiting screen
//   bare call         the floor's two pages (scripts/bench/floor.mjs), connected: of a call
//
// Same browser, flags, camera and page size for all; in every round, in this order: bare
// camera page, prompt, waiting screen, bare call, call; so the machine's load falls on both
// sides alike. CPU: user + system time of every process descended from the bench's own
// (its Chromium, not another engineer's on the same machine; Playwright's launch() gives no
// pid), over `seconds`, as CPU-seconds per second (1.0 = one core busy). Each window starts
// `settle` ms after the screen is reached (entrance transitions, the call's first-frames size).
//
// DUET_BENCH_CPU_CSS='{"label": "css", ...}': also measures the three screens with that CSS
// added to the app's pages, one more set of rows per label, to find which rule costs what. A
// label may instead name { "css": "...", "init": "..." }: `init`, a script run in the app's
// pages before their own (e.g. one that makes getStats answer nothing, to price the polling).
import { loadavg } from 'node:os';
import { waitForState } from '../drive/people.mjs';
import { newPerson, nextRemoteFrame } from './browser.mjs';
import { FRAME_TIMEOUT_MS, openIdle, roomInput } from './calls.mjs';
import { cpuSnapshot, descendantsOf } from './cpu.mjs';
import { floorPair, mediaConstraints } from './floor.mjs';

const BARE_PATH = '/bench-camera.html';
const BARE_HTML = `<!doctype html>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Duet bench: a bare camera page</title>
<style>
  html, body { margin: 0; height: 100%; background: #000; }
  video { position: fixed; inset: 0; width: 100%; height: 100%; object-fit: cover; }
</style>
<video data-testid="local-video" muted playsinline autoplay></video>
<script>
  window.bare = {
    async media(constraints) {
      document.querySelector('video').srcObject = await navigator.mediaDevices.getUserMedia(constraints);
    },
  };
</script>
`;

/** Timing for the Duet rows. */
const SETTLE_MS = { screen: 3_000, call: 5_000 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round2 = (x) => Math.round(x * 100) / 100;

/**
 * Runs in every measured page: counts, per page, what runs on its main thread that a still
 * screen would not need (timer and animation-frame callbacks, getStats calls).
 */
function countActivity() {
  const A = { timers: 0, frames: 0, getStats: 0 };
  Object.defineProperty(window, '__benchActivity', { value: A });
  const counted = (fn, key) => (typeof fn === 'function' ? (...a) => (A[key]++, fn(...a)) : fn);
  const { setTimeout: st, setInterval: si, requestAnimationFrame: raf } = window;
  window.setTimeout = (fn, ...rest) => st(counted(fn, 'timers'), ...rest);
  window.setInterval = (fn, ...rest) => si(counted(fn, 'timers'), ...rest);
  window.requestAnimationFrame = (fn) => raf(counted(fn, 'frames'));
  const getStats = window.RTCPeerConnection?.prototype.getStats;
  if (getStats) {
    window.RTCPeerConnection.prototype.getStats = function (...a) {
      A.getStats++;
      return getStats.apply(this, a);
    };
  }
}

async function measuredPerson(browser, variant = null) {
  const person = await newPerson(browser);
  await person.context.addInitScript(countActivity);
  if (variant?.init) await person.context.addInitScript({ content: variant.init });
  return person;
}

const activity = (page) =>
  page.evaluate(() => ({ ...window.__benchActivity, animations: document.getAnimations().filter((a) => a.playState === 'running').length }));

/** CPU of the bench's processes (all Chromium's) over `seconds`, with what the pages did meanwhile. */
async function measure(pages, seconds) {
  const self = String(process.pid);
  const before = descendantsOf(cpuSnapshot(), self);
  const a0 = await Promise.all(pages.map(activity));
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const after = descendantsOf(cpuSnapshot(), self);
  const wallMs = Date.now() - t0;
  const a1 = await Promise.all(pages.map(activity));
  const byKind = {};
  let ms = 0;
  for (const [pid, p] of after) {
    const d = p.ms - (before.get(pid)?.ms ?? 0);
    if (d <= 0) continue;
    ms += d;
    byKind[p.kind] = (byKind[p.kind] ?? 0) + d;
  }
  const perS = (x) => Math.round((x / wallMs) * 1000 * 100) / 100;
  const sum = (key, list) => list.reduce((n, a) => n + a[key], 0);
  return {
    wallMs,
    cpu: Math.round((ms / wallMs) * 1000) / 1000,
    byKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, Math.round((v / wallMs) * 1000) / 1000])),
    // Per second, summed over the pages: callbacks run and getStats calls.
    timers: perS(sum('timers', a1) - sum('timers', a0)),
    frames: perS(sum('frames', a1) - sum('frames', a0)),
    getStats: perS(sum('getStats', a1) - sum('getStats', a0)),
    animations: sum('animations', a1),
  };
}

async function bareCamera(browser, seconds) {
  const p = await measuredPerson(browser);
  try {
    await p.context.route(`**${BARE_PATH}`, (route) => route.fulfill({ contentType: 'text/html', body: BARE_HTML }));
    await p.page.goto(BARE_PATH);
    await p.page.evaluate((c) => window.bare.media(c), mediaConstraints());
    await localVideoPlaying(p.page);
    await sleep(SETTLE_MS.screen);
    return await measure([p.page], seconds);
  } finally {
    await p.context.close();
  }
}

async function bareCall(browser, seconds) {
  const { a, b, result } = await floorPair(browser, { initScript: countActivity });
  try {
    if (!result.ok) throw new Error(`the bare call did not connect: ${result.failure}`);
    await sleep(SETTLE_MS.call);
    return await measure([a.page, b.page], seconds);
  } finally {
    await Promise.all([a.context.close(), b.context.close()]);
  }
}

/** A variant's CSS, as a constructed stylesheet (the app's CSP refuses inline styles; CSSOM is not inline). */
function addCss(page, css) {
  return page.evaluate((css) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  }, css);
}

function localVideoPlaying(page) {
  return page.waitForFunction(
    () => {
      const v = document.querySelector('[data-testid="local-video"]');
      return !!v && v.videoWidth > 0 && !v.paused;
    },
    null,
    { timeout: 30_000 },
  );
}

/** The app at the prompt (camera on), then on the waiting screen: one window each. */
async function promptAndWaiting(browser, { room, seconds, variant }) {
  const p = await measuredPerson(browser, variant);
  try {
    await openIdle(p);
    if (variant?.css) await addCss(p.page, variant.css);
    await localVideoPlaying(p.page);
    await sleep(SETTLE_MS.screen);
    const prompt = await measure([p.page], seconds);
    await roomInput(p.page).fill(room);
    await p.page.getByRole('button', { name: 'Join' }).click();
    await waitForState(p.page, /call:waiting/);
    await sleep(SETTLE_MS.screen);
    const waiting = await measure([p.page], seconds);
    return { prompt, waiting };
  } finally {
    await p.context.close();
  }
}

/** Two people in a call through the app: one window once both see each other. */
async function appCall(browser, { room, seconds, variant }) {
  const [ana, ben] = await Promise.all([measuredPerson(browser, variant), measuredPerson(browser, variant)]);
  try {
    await Promise.all([openIdle(ana), openIdle(ben)]);
    if (variant?.css) await Promise.all([addCss(ana.page, variant.css), addCss(ben.page, variant.css)]);
    await roomInput(ana.page).fill(room);
    await ana.page.getByRole('button', { name: 'Join' }).click();
    await waitForState(ana.page, /call:waiting/);
    await roomInput(ben.page).fill(room);
    await ben.page.getByRole('button', { name: 'Join' }).click();
    const [fa, fb] = await Promise.all([
      nextRemoteFrame(ana.page, { after: 0, timeoutMs: FRAME_TIMEOUT_MS }),
      nextRemoteFrame(ben.page, { after: 0, timeoutMs: FRAME_TIMEOUT_MS }),
    ]);
    if (!fa || !fb) throw new Error('the call did not connect');
    await sleep(SETTLE_MS.call);
    return await measure([ana.page, ben.page], seconds);
  } finally {
    await Promise.all([ana.context.close(), ben.context.close()]);
  }
}

/**
 * `rounds` rounds of: bare camera page, prompt, waiting screen, bare call, call (and the
 * same three screens again per DUET_BENCH_CPU_CSS variant). Returns the raw windows:
 * { seconds, rounds: [{ bareCamera, bareCall, app: { [variant]: { prompt, waiting, call } } }] }.
 */
export async function screensCpu(browser, { rounds, seconds, runId, log }) {
  const asked = Object.entries(JSON.parse(process.env.DUET_BENCH_CPU_CSS || '{}'));
  const variants = { '': null, ...Object.fromEntries(asked.map(([k, v]) => [k, typeof v === 'string' ? { css: v } : v])) };
  const out = { seconds, variants: Object.keys(variants).filter(Boolean), rounds: [] };
  const fmt = (m) => (m?.cpu === undefined ? 'failed' : m.cpu.toFixed(2));
  const attempt = async (what, fn) => {
    try {
      return await fn();
    } catch (e) {
      log(`cpu: ${what} failed: ${e.message.split('\n')[0]}`);
      return { failure: e.message.split('\n')[0] };
    }
  };
  for (let r = 0; r < rounds; r++) {
    // The machine is shared: the 1-minute load average as each round starts and ends.
    const round = { app: {}, load: [round2(loadavg()[0])] };
    out.rounds.push(round);
    round.bareCamera = await attempt('bare camera page', () => bareCamera(browser, seconds));
    for (const [name, variant] of Object.entries(variants)) {
      const label = name || 'app';
      const pw = await attempt(`${label}: prompt/waiting`, () => promptAndWaiting(browser, { room: `bench-${runId}-cpu-${r}-${label.replace(/[^a-z0-9]+/gi, '-')}`, seconds, variant }));
      round.app[name] = { prompt: pw.prompt ?? pw, waiting: pw.waiting ?? pw };
    }
    round.bareCall = await attempt('bare call', () => bareCall(browser, seconds));
    for (const [name, variant] of Object.entries(variants)) {
      const label = name || 'app';
      round.app[name].call = await attempt(`${label}: call`, () => appCall(browser, { room: `bench-${runId}-cpu-call-${r}-${label.replace(/[^a-z0-9]+/gi, '-')}`, seconds, variant }));
    }
    round.load.push(round2(loadavg()[0]));
    const v = (name) => round.app[name];
    log(
      `cpu round ${r + 1}/${rounds} (load ${round.load.join(' → ')}; CPU-s/s): bare camera ${fmt(round.bareCamera)}, prompt ${fmt(v('').prompt)}, waiting ${fmt(v('').waiting)}; bare call ${fmt(round.bareCall)}, call ${fmt(v('').call)}` +
        out.variants.map((n) => `; ${n}: ${fmt(v(n).prompt)} / ${fmt(v(n).waiting)} / ${fmt(v(n).call)}`).join(''),
    );
  }
  return out;
}
