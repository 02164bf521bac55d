// The part of `npm run bench` that runs inside `firebase emulators:exec` (and, as
// root, inside a loopback-only network namespace): drives the browsers and writes
// the raw samples to the file named by DUET_BENCH_RAW. scripts/bench.mjs starts it
// and turns the samples into the table and bench/results.json.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { diagnose, launch } from './browser.mjs';

/**
 * Ms from `t0` (absolute) until the receiver of the track the page's remote <video>
 * shows decodes a new frame (RTCRtpReceiver stats, framesDecoded), or null after 60 s;
 * polled every 10 ms. Not the element's totalVideoFrames nor its pixels: in headless
 * Chromium a <video> sometimes stops presenting frames while its track keeps decoding
 * (Ben's totalVideoFrames stuck at 9 for 70 s while framesDecoded grew by 1,200), which
 * reported healthy calls as frozen (see scripts/drive/probes.mjs, shownFrames).
 */
function framesAgain(page, t0) {
  return page.evaluate(
    (t0) =>
      new Promise((resolve) => {
        const decoded = async () => {
          const now = await window.__duetTest.shownFrames(); // scripts/drive/probes.mjs
          return typeof now === 'string' ? null : now.frames;
        };
        decoded().then((base) => {
          const poll = async () => {
            const frames = await decoded();
            const now = performance.timeOrigin + performance.now();
            if (frames !== null && (base === null || frames > base)) resolve(now - t0);
            else if (now - t0 > 60_000) resolve(null);
            else setTimeout(poll, 10);
          };
          poll();
        });
      }),
    t0,
  );
}
import { completeCall, rejoinAfterReload, setupCall } from './calls.mjs';
import { floorCall } from './floor.mjs';
import { serveBuild } from './against.mjs';
import { promptLoad } from './load.mjs';
import { screensCpu } from './screens.mjs';

const options = JSON.parse(process.env.DUET_BENCH_OPTIONS ?? '{}');
/** Thrown to skip the rest of the run (--cpu measures only the screens). */
class Done extends Error {}
/** When Ben presses Join after Ana's waiting screen shows, in the early-arrival rows. */
const EARLY_GAPS_MS = [0, 100, 300];
const rawPath = process.env.DUET_BENCH_RAW;
if (!rawPath) throw new Error('DUET_BENCH_RAW is not set: run `npm run bench`, not this file');

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const log = (s) => console.log(`[bench ${elapsed()}] ${s}`);
const runId = Date.now().toString(36);
const load = [];
const sampleLoad = setInterval(() => load.push(loadavg()[0]), 5_000);
const fmt = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)}`);

const raw = { early: [], recoveries: [], options, startedAt: new Date(started).toISOString(), warmup: [], calls: [], rejoins: [], floor: [], moreCandidates: { interfaces: 0, calls: [] }, complete: null, load: [] };
const browser = await launch({ camera: options.camera });
// --against: the other build, served beside Hosting; its calls alternate with the working tree's.
const against = process.env.DUET_BENCH_AGAINST_DIST ? await serveBuild(process.env.DUET_BENCH_AGAINST_DIST) : null;
const arms = against ? [{ arm: 'A' }, { arm: 'B', baseURL: against.origin }] : [{ arm: 'A' }];
raw.chromium = await browser.version();
log(`Chromium ${raw.chromium}${options.cpuOnly ? ' (--cpu: CPU per screen only)' : `; ${JSON.stringify(options)}`}`);

try {
  // CPU per screen against the bare pages (issue 26), alone with --cpu, else first: a quiet browser.
  if (options.cpuRounds > 0) {
    log(`CPU per screen: ${options.cpuRounds} rounds of ${options.cpuSeconds} s windows`);
    raw.cpu = await screensCpu(browser, { rounds: options.cpuRounds, seconds: options.cpuSeconds, runId, log });
  }
  if (options.cpuOnly) throw new Done();

  // The first operations after the emulators start are several times slower: warm up.
  for (let i = 0; i < options.warmup; i++) {
    for (const { arm, baseURL } of arms) {
      const { result } = await setupCall(browser, { room: `bench-${runId}-warmup-${arm}-${i}`, baseURL });
      raw.warmup.push({ ...result, arm });
      log(`warm-up ${i + 1}/${options.warmup}${against ? ` (${arm})` : ''}: ${result.ok ? `Ana ${fmt(result.ana.firstFrame)} ms, Ben ${fmt(result.ben.firstFrame)} ms` : `failed: ${result.failure}`}`);
    }
  }

  let failedInARow = 0;
  // With --against, `calls` per build, alternating: A (working tree), B (the other), A, B...
  const total = options.calls * arms.length;
  for (let i = 0; i < total; i++) {
    if (failedInARow >= 5) {
      log(`5 calls in a row failed: skipping the other ${total - i} (the app is broken, not slow)`);
      break;
    }
    const { arm, baseURL } = arms[i % arms.length];
    // Rejoins ride on the first calls that connect (a failed call leaves nothing to reload).
    const rejoin = arm === 'A' && raw.rejoins.length < options.rejoins;
    const call = await setupCall(browser, { room: `bench-${runId}-call-${i}`, keepOpen: rejoin, baseURL });
    const { result } = call;
    result.arm = arm;
    raw.calls.push(result);
    failedInARow = result.ok ? 0 : failedInARow + 1;
    let line = result.ok ? `Ana ${fmt(result.ana.firstFrame)} ms, Ben ${fmt(result.ben.firstFrame)} ms` : `FAILED: ${result.failure}`;
    if (rejoin && call.ana) {
      // Alternate who reloads; the pair is still connected from the setup sample.
      const r = await rejoinAfterReload(call, raw.rejoins.length % 2 === 0 ? 'ben' : 'ana');
      raw.rejoins.push(r);
      line += r.ok ? `; ${r.reloaded} reloaded: ${fmt(r.reloadedSide)} / ${fmt(r.otherSide)} ms` : `; rejoin FAILED: ${r.failure}`;
      await Promise.all([call.ana.context.close(), call.ben.context.close()]);
    }
    log(`call ${i + 1}/${total}${against ? ` (${arm})` : ''}: ${line}`);
  }

  // Early arrival (issue 13): Ben presses Join 0, 100 or 300 ms after Ana's waiting screen
  // shows, before or while her pre-offer is published. Gaps interleaved, so load drifts
  // touch them alike.
  for (let i = 0; i < options.early; i++) {
    for (const gap of EARLY_GAPS_MS) {
      const { result } = await setupCall(browser, { room: `bench-${runId}-early-${gap}-${i}`, benAfterWaitingMs: gap });
      result.gap = gap;
      raw.early.push(result);
      log(`early ${gap} ms ${i + 1}/${options.early}: ${result.ok ? `Ana ${fmt(result.ana.firstFrame)} ms, Ben ${fmt(result.ben.firstFrame)} ms (clicked ${fmt(result.gapMs)} ms after her waiting screen)` : `FAILED: ${result.failure}`}`);
    }
  }

  // Do setup writes grow with ICE candidates? Give every page more addresses to gather on:
  // a second veth pair inside the bench's own network namespace (never outside it), beside
  // the one scripts/emulators.mjs makes with the default route. Chromium gathers on both ends.
  if (options.moreCandidates > 0 && process.env.DUET_NETNS === '1') {
    const ip = (...a) => {
      const r = spawnSync('ip', a, { encoding: 'utf8' });
      if (r.status !== 0) log(`ip ${a.join(' ')}: ${r.stderr.trim()}`);
    };
    ip('link', 'add', 'duetb0', 'type', 'veth', 'peer', 'name', 'duetb1');
    ip('addr', 'add', '10.77.0.1/24', 'dev', 'duetb0');
    ip('addr', 'add', '10.77.0.2/24', 'dev', 'duetb1');
    ip('link', 'set', 'duetb0', 'up');
    ip('link', 'set', 'duetb1', 'up');
    await new Promise((r) => setTimeout(r, 2_000)); // let Chromium notice the new interfaces
    raw.moreCandidates.interfaces = 2;
    try {
      for (let i = 0; i < options.moreCandidates; i++) {
        const { result } = await setupCall(browser, { room: `bench-${runId}-candidates-${i}` });
        raw.moreCandidates.calls.push(result);
        log(
          `more candidates ${i + 1}/${options.moreCandidates}: ` +
            (result.ok ? `${result.ana.localCandidates} + ${result.ben.localCandidates} candidates, ${result.firestore.client.writes} writes` : `FAILED: ${result.failure}`),
        );
      }
    } finally {
      ip('link', 'del', 'duetb0'); // takes its peer with it
    }
  }

  // Calls survive drops (issue 4): cut the whole network (loopback down, which takes the
  // emulators with it, as a phone in a tunnel loses everything), restore it, and time how long
  // until each side presents a new remote frame. Only inside the bench's own namespace.
  if (options.cuts > 0 && process.env.DUET_NETNS === '1') {
    const call = await setupCall(browser, { room: `bench-${runId}-cuts`, keepOpen: true });
    if (!call.result.ok || !call.ana) log(`network cuts skipped: the call did not connect (${call.result.failure})`);
    else {
      const lo = (state) => spawnSync('ip', ['link', 'set', 'lo', state]);
      try {
        for (let i = 0; i < options.cuts; i++) {
          if (raw.recoveries.length >= 2 && raw.recoveries.slice(-2).every((x) => !x.ok)) {
            log(`two cuts in a row did not recover: skipping the other ${options.cuts - i}`);
            break;
          }
          const r = { ok: false };
          try {
            lo('down');
            await new Promise((res) => setTimeout(res, options.cutMs));
            const t0 = await call.ana.page.evaluate(() => performance.timeOrigin + performance.now());
            lo('up');
            const [fa, fb] = await Promise.all([framesAgain(call.ana.page, t0), framesAgain(call.ben.page, t0)]);
            r.ana = fa;
            r.ben = fb;
            r.ok = !!(fa && fb);
            if (!r.ok) {
              r.failure = `no frames within 60 s (ana ${fa ? 'ok' : 'frozen'}, ben ${fb ? 'ok' : 'frozen'})`;
              r.diagnosis = { ana: await diagnose(call.ana.page), ben: await diagnose(call.ben.page) };
              log(`diagnosis: ${JSON.stringify(r.diagnosis)}`);
            }
          } catch (e) {
            r.failure = e.message.split('\n')[0];
          } finally {
            lo('up');
          }
          if (process.env.DUET_BENCH_DIAGNOSE) r.diagnosis ??= { ana: await diagnose(call.ana.page), ben: await diagnose(call.ben.page) };
          raw.recoveries.push(r);
          if (process.env.DUET_BENCH_DIAGNOSE) log(`diagnosis after cut ${i + 1}: ${JSON.stringify(r.diagnosis)}`);
          log(`network cut ${i + 1}/${options.cuts} (${options.cutMs / 1000} s): ${r.ok ? `frames again after ${fmt(r.ana)} / ${fmt(r.ben)} ms` : `FAILED: ${r.failure}`}`);
          await new Promise((res) => setTimeout(res, 3_000)); // let the call settle before the next cut
        }
      } finally {
        lo('up');
        await Promise.all([call.ana.context.close(), call.ben.context.close()]);
      }
    }
  }

  for (let i = 0; i < options.floor; i++) {
    const r = await floorCall(browser);
    raw.floor.push(r);
    if (!r.ok || i % 10 === 9 || i === options.floor - 1) log(`floor ${i + 1}/${options.floor}: ${r.ok ? `${fmt(r.offerer)} / ${fmt(r.answerer)} ms` : `FAILED: ${r.failure}`}`);
  }

  log(`complete call with ${options.talkMs / 1000} s of talking...`);
  raw.complete = await completeCall(browser, { room: `bench-${runId}-complete`, talkMs: options.talkMs });
  log(`complete call: ${raw.complete.ok ? raw.complete.phases.map((p) => `${p.client.writes}w/${p.client.reads}r`).join(' → ') : `FAILED: ${raw.complete.failure}`}`);

  for (let i = 0; i < options.loadRuns; i++) {
    for (const throttled of [true, false]) {
      if (!throttled && i >= options.unthrottledLoadRuns) continue;
      const r = await promptLoad(browser, { throttled });
      raw.load.push(r);
      log(`load ${throttled ? 'throttled' : 'unthrottled'} ${i + 1}: ${r.ok ? `prompt ${fmt(r.prompt)} ms, ready to join ${fmt(r.readyToJoin)} ms` : `FAILED: ${r.failure}`}`);
    }
  }
} catch (e) {
  if (!(e instanceof Done)) throw e;
} finally {
  clearInterval(sampleLoad);
  raw.loadavg = load;
  raw.durationMs = Date.now() - started;
  writeFileSync(rawPath, JSON.stringify(raw));
  await browser.close();
  await against?.close();
}
