// The part of `npm run bench` that runs inside `firebase emulators:exec` (and, as
// root, inside a loopback-only network namespace): drives the browsers and writes
// the raw samples to the file named by DUET_BENCH_RAW. scripts/bench.mjs starts it
// and turns the samples into the table and bench/results.json.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { launch } from './browser.mjs';
import { completeCall, rejoinAfterReload, setupCall } from './calls.mjs';
import { floorCall } from './floor.mjs';
import { promptLoad } from './load.mjs';

const options = JSON.parse(process.env.DUET_BENCH_OPTIONS ?? '{}');
const rawPath = process.env.DUET_BENCH_RAW;
if (!rawPath) throw new Error('DUET_BENCH_RAW is not set: run `npm run bench`, not this file');

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const log = (s) => console.log(`[bench ${elapsed()}] ${s}`);
const runId = Date.now().toString(36);
const load = [];
const sampleLoad = setInterval(() => load.push(loadavg()[0]), 5_000);
const fmt = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)}`);

const raw = { options, startedAt: new Date(started).toISOString(), warmup: [], calls: [], rejoins: [], floor: [], moreCandidates: { interfaces: 0, calls: [] }, complete: null, load: [] };
const browser = await launch();
raw.chromium = browser.version();
log(`Chromium ${raw.chromium}; ${JSON.stringify(options)}`);

try {
  // The first operations after the emulators start are several times slower: warm up.
  for (let i = 0; i < options.warmup; i++) {
    const { result } = await setupCall(browser, { room: `bench-${runId}-warmup-${i}` });
    raw.warmup.push(result);
    log(`warm-up ${i + 1}/${options.warmup}: ${result.ok ? `Ana ${fmt(result.ana.firstFrame)} ms, Ben ${fmt(result.ben.firstFrame)} ms` : `failed: ${result.failure}`}`);
  }

  let failedInARow = 0;
  for (let i = 0; i < options.calls; i++) {
    if (failedInARow >= 5) {
      log(`5 calls in a row failed: skipping the other ${options.calls - i} (the app is broken, not slow)`);
      break;
    }
    // Rejoins ride on the first calls that connect (a failed call leaves nothing to reload).
    const rejoin = raw.rejoins.length < options.rejoins;
    const call = await setupCall(browser, { room: `bench-${runId}-call-${i}`, keepOpen: rejoin });
    const { result } = call;
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
    log(`call ${i + 1}/${options.calls}: ${line}`);
  }

  // Do setup writes grow with ICE candidates? Give every page more addresses to gather on:
  // a veth pair with a default route, inside the bench's own network namespace (never outside
  // it), as in /work/shared/ENVIRONMENT.md. Chromium then gathers on both ends besides loopback.
  if (options.moreCandidates > 0 && process.env.DUET_BENCH_NETNS === '1') {
    const ip = (...a) => {
      const r = spawnSync('ip', a, { encoding: 'utf8' });
      if (r.status !== 0) log(`ip ${a.join(' ')}: ${r.stderr.trim()}`);
    };
    ip('link', 'add', 'duetb0', 'type', 'veth', 'peer', 'name', 'duetb1');
    ip('addr', 'add', '10.77.0.1/24', 'dev', 'duetb0');
    ip('addr', 'add', '10.77.0.2/24', 'dev', 'duetb1');
    ip('link', 'set', 'duetb0', 'up');
    ip('link', 'set', 'duetb1', 'up');
    ip('route', 'add', 'default', 'via', '10.77.0.2', 'dev', 'duetb0');
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
      ip('link', 'del', 'duetb0'); // takes its peer and the default route with it
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
} finally {
  clearInterval(sampleLoad);
  raw.loadavg = load;
  raw.durationMs = Date.now() - started;
  writeFileSync(rawPath, JSON.stringify(raw));
  await browser.close();
}
