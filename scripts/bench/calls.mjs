// Real calls between two headless Chromium pages through the emulators: setup,
// rejoin after a reload, and one complete call for the Firestore bill.
//
// Ana opens the room and waits; Ben joins. All times are on the pages' shared clock
// (performance.timeOrigin + performance.now(), one machine) and are measured from the
// outside: the Join click event, and requestVideoFrameCallback on the remote <video>.
import { waitForState as waitFor, seen } from '../drive/people.mjs';
import { newPerson, nextRemoteFrame, readBench } from './browser.mjs';

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpuBetween, cpuSnapshot } from './cpu.mjs';
import { countWritesOnTheWire, roomState, waitForPreOffer } from './firestore-cost.mjs';

const waitForState = (page, pattern, timeout = READY_TIMEOUT_MS) => waitFor(page, pattern, timeout);

/** A call that shows no remote frame on a side within this long after the click counts as failed. */
export const FRAME_TIMEOUT_MS = 20_000;
const READY_TIMEOUT_MS = 30_000;
/** How long Ana's pre-offer may take to reach the room before Ben joins anyway (the fallback path). */
const PRE_OFFER_TIMEOUT_MS = 15_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function roomInput(page) {
  return page.getByRole('textbox', { name: /room/i });
}

/**
 * Opens the app for one person and resolves when it is idle at the room prompt:
 * prompt visible, Firebase loaded and signed in (the Auth emulator answered), the
 * service worker installed (its precache download is done). A real person takes
 * seconds to type a name; the bench makes sure nothing of the page load is left
 * running when the clock starts.
 */
export async function openIdle(person) {
  const { page } = person;
  const signedIn = page.waitForResponse((r) => r.url().includes('/accounts:lookup'), { timeout: READY_TIMEOUT_MS }).catch(() => null);
  await page.goto('/');
  await roomInput(page).waitFor({ state: 'visible', timeout: READY_TIMEOUT_MS });
  const lookup = await signedIn;
  await page.evaluate(() => navigator.serviceWorker?.ready.then(() => true)).catch(() => false);
  return { signedIn: lookup !== null };
}

/** A pc's milestones relative to `t0`. */
function milestones(pcs, t0) {
  const rel = (t) => (typeof t === 'number' ? t - t0 : null);
  // The pc that carried the call: the first one that connected (else the last one made).
  const pc = pcs.find((p) => p.states.some(([s]) => s === 'connected')) ?? pcs[pcs.length - 1];
  if (!pc) return null;
  const connected = pc.states.find(([s]) => s === 'connected')?.[1];
  return {
    pcs: pcs.length,
    created: rel(pc.createdAt),
    remoteOffer: rel(pc.srd.find((d) => d.type === 'offer')?.at),
    remoteAnswer: rel(pc.srd.find((d) => d.type === 'answer')?.at),
    localAnswer: rel(pc.sld.find((d) => d.type === 'answer')?.at),
    localOffer: rel(pc.sld.find((d) => d.type === 'offer')?.at),
    gathered: rel(pc.gatheredAt),
    connected: rel(connected),
    iceConnected: rel(pc.ice?.find(([s]) => s === 'connected' || s === 'completed')?.[1]),
    localCandidates: pc.local.length,
    remoteCandidates: pc.remote,
    // More than one means the same connection was negotiated again (a repeated offer or answer).
    remoteOffers: pc.srd.filter((d) => d.type === 'offer').length,
    secondRemoteOffer: rel(pc.srd.filter((d) => d.type === 'offer')[1]?.at),
    localAnswers: pc.sld.filter((d) => d.type === 'answer').length,
  };
}

/** Firestore requests after `t0` (resource timing, same clock): the join transaction and the first write. */
function requests(net, t0) {
  const after = net.filter((e) => e.start >= t0).sort((a, b) => a.start - b.start);
  const span = (e) => (e ? { start: e.start - t0, end: e.end - t0 } : null);
  const write = after.filter((e) => e.path.includes('/Write/channel'));
  return {
    txGet: span(after.find((e) => e.path.endsWith('/documents:batchGet'))),
    txCommit: span(after.find((e) => e.path.endsWith('/documents:commit'))),
    // The Write stream opens with a handshake POST (no SID) before its first write (a POST with SID).
    writeStreamOpen: span(write.find((e) => !e.sid)),
    firstStreamWrite: span(write.find((e) => e.sid && e.type !== 'xmlhttp')),
  };
}

/**
 * One call on a fresh room: Ana joins and waits until her pre-offer is in the room,
 * Ben (idle at the prompt) presses Join; the clock runs from his click to the first
 * remote frame on each side.
 * `benAfterWaitingMs` (the early-arrival rows): Ben presses Join this many ms after Ana's
 * waiting screen shows, whether her pre-offer is out or not. `baseURL`: where both pages load
 * the app (default: the Hosting emulator; the --against build is served beside it).
 */
export async function setupCall(browser, { room, keepOpen = false, benAfterWaitingMs = null, baseURL }) {
  const [ana, ben] = await Promise.all([newPerson(browser, { baseURL }), newPerson(browser, { baseURL })]);
  const wire = { ana: countWritesOnTheWire(ana.page), ben: countWritesOnTheWire(ben.page) };
  const result = { room, ok: false };
  // Why Ben's join made from his look at the room fell back to its transaction, if it did (the app says so).
  ben.page.on('console', (m) => {
    const why = /join as seen did not go through \(([^)]*)\)/.exec(m.text());
    if (why) result.joinFellBack = why[1];
  });
  // Where the bench's own time goes (ms of wall clock), to keep the whole run short.
  const spent = {};
  const lap = (() => {
    let last = Date.now();
    return (name) => {
      spent[name] = Date.now() - last;
      last = Date.now();
    };
  })();
  result.spent = spent;
  try {
    const [, benIdle] = await Promise.all([
      (async () => {
        await openIdle(ana);
        await roomInput(ana.page).fill(room);
        await ana.page.getByRole('button', { name: 'Join' }).click();
        await waitForState(ana.page, /call:waiting/);
        result.anaWaitingAt = Date.now();
        if (benAfterWaitingMs === null) result.preOffer = (await waitForPreOffer(room, PRE_OFFER_TIMEOUT_MS)) !== null;
      })(),
      openIdle(ben).then(async (r) => {
        await roomInput(ben.page).fill(room);
        return r;
      }),
    ]);
    lap('open, Ana joins, pre-offer');
    result.benSignedInBeforeJoin = benIdle.signedIn;
    // Without a pre-offer in the room Ben still joins: that measures the fallback (direct negotiation).
    if (benAfterWaitingMs === null && !result.preOffer) result.note = `Ana's pre-offer was not in the room after ${PRE_OFFER_TIMEOUT_MS} ms (${await seen(ana.page)})`;
    const before = benAfterWaitingMs === null ? { ana: (await readBench(ana.page)).metrics, ben: (await readBench(ben.page)).metrics } : null;

    if (benAfterWaitingMs !== null) {
      await sleep(Math.max(0, result.anaWaitingAt + benAfterWaitingMs - Date.now()));
      result.gapMs = Date.now() - result.anaWaitingAt;
    }
    const cpuBefore = process.env.DUET_BENCH_CPU ? { at: Date.now(), snap: cpuSnapshot() } : null;
    // DUET_BENCH_PROFILE=dir: a CPU profile of Ben's page from the click to the frames.
    const profiler = process.env.DUET_BENCH_PROFILE ? await ben.page.context().newCDPSession(ben.page) : null;
    if (profiler) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.setSamplingInterval', { interval: 200 });
      await profiler.send('Profiler.start');
    }
    await ben.page.getByRole('button', { name: 'Join' }).click();
    const [fa, fb] = await Promise.all([
      nextRemoteFrame(ana.page, { after: 0, timeoutMs: FRAME_TIMEOUT_MS }),
      nextRemoteFrame(ben.page, { after: 0, timeoutMs: FRAME_TIMEOUT_MS }),
    ]);
    if (profiler) {
      const { profile } = await profiler.send('Profiler.stop');
      mkdirSync(process.env.DUET_BENCH_PROFILE, { recursive: true });
      writeFileSync(`${process.env.DUET_BENCH_PROFILE}/${room}.cpuprofile`, JSON.stringify(profile));
    }
    if (cpuBefore) result.cpu = { wallMs: Date.now() - cpuBefore.at, byKind: cpuBetween(cpuBefore.snap, cpuSnapshot()) };
    lap('click to frames');
    // Let late candidates and acknowledgements land before counting.
    await sleep(300);
    const [a, b] = await Promise.all([readBench(ana.page), readBench(ben.page)]);
    const t0 = b.joinClickAt;
    result.t0 = t0;
    result.ana = { firstFrame: fa ? fa.presented - t0 : null, frame: fa, ...milestones(a.pcs, t0), state: a.state };
    result.ben = { firstFrame: fb ? fb.presented - t0 : null, frame: fb, ...milestones(b.pcs, t0), requests: requests(b.net, t0), state: b.state };
    // The answer's way out: the first commit carrying Ben's outbox after his click.
    const tasks = (list) => list.filter(([at, d]) => at + d >= t0).map(([at, d]) => [Math.round(at - t0), d]);
    result.longTasks = { ana: tasks(a.longTasks ?? []), ben: tasks(b.longTasks ?? []) };
    const sent = b.marks.find(([w, at]) => w === 'outbox commit sent' && at >= t0);
    result.answerTransit = { commitSent: sent ? sent[1] - t0 : null };
    result.firestore = {
      // Everything both pages counted so far (create + pre-offer + join + connect) ...
      client: { writes: a.metrics.writes + b.metrics.writes, reads: a.metrics.reads + b.metrics.reads },
      // ... and only what Ben's Join caused.
      afterJoin: before && {
        writes: a.metrics.writes + b.metrics.writes - before.ana.writes - before.ben.writes,
        reads: a.metrics.reads + b.metrics.reads - before.ana.reads - before.ben.reads,
      },
      wire: { writes: wire.ana.writes + wire.ben.writes },
      emulator: await roomState(room),
    };
    result.ok = !!(fa && fb);
    if (!result.ok) result.failure = `no remote frame within ${FRAME_TIMEOUT_MS} ms: Ana ${fa ? 'ok' : await seen(ana.page)}; Ben ${fb ? 'ok' : await seen(ben.page)}`;
  } catch (e) {
    result.failure = `${e.message.split('\n')[0]} | Ana: ${await seen(ana.page)} | Ben: ${await seen(ben.page)}`;
  }
  lap('count');
  if (keepOpen && result.ok) return { result, ana, ben, wire };
  await Promise.all([ana.context.close(), ben.context.close()]);
  lap('close');
  return { result };
}

/**
 * Reloads one side of a connected call and times, from the reload, the first frame
 * on the reloaded page and the first frame of a *new* remote stream on the other page.
 */
export async function rejoinAfterReload({ ana, ben }, who) {
  const reloaded = who === 'ana' ? ana : ben;
  const stayed = who === 'ana' ? ben : ana;
  const result = { reloaded: who, ok: false };
  try {
    const stayedSrc = (await readBench(stayed.page)).src;
    const t0 = await reloaded.page.evaluate(() => performance.timeOrigin + performance.now());
    await reloaded.page.reload({ waitUntil: 'commit' });
    const [fr, fs] = await Promise.all([
      nextRemoteFrame(reloaded.page, { after: t0, timeoutMs: FRAME_TIMEOUT_MS }),
      nextRemoteFrame(stayed.page, { after: t0, minSrc: stayedSrc, timeoutMs: FRAME_TIMEOUT_MS }),
    ]);
    result.reloadedSide = fr ? fr.presented - t0 : null;
    result.otherSide = fs ? fs.presented - t0 : null;
    result.ok = !!(fr && fs);
    if (!result.ok) result.failure = `reloaded ${fr ? 'ok' : await seen(reloaded.page)}; other ${fs ? 'ok' : await seen(stayed.page)}`;
  } catch (e) {
    result.failure = e.message.split('\n')[0];
  }
  return result;
}

/** Sum of both pages' client counters, wire counters, and the emulator's view, at one moment. */
async function costSnapshot(label, { ana, ben, wire, room }) {
  const [a, b] = await Promise.all([readBench(ana.page), readBench(ben.page)]);
  const m = (x) => x.metrics ?? { reads: 0, writes: 0 };
  return {
    label,
    at: Date.now(),
    client: {
      writes: m(a).writes + m(b).writes,
      reads: m(a).reads + m(b).reads,
      ana: m(a),
      ben: m(b),
    },
    wire: { writes: wire.ana.writes + wire.ben.writes, ana: wire.ana.writes, ben: wire.ben.writes },
    emulator: await roomState(room),
  };
}

/** Waits until both pages' write counters have not moved for `quietMs`. */
async function settle({ ana, ben, wire }, quietMs = 1_000, maxMs = 10_000) {
  const key = async () => {
    const [a, b] = await Promise.all([readBench(ana.page), readBench(ben.page)]);
    return JSON.stringify([a.metrics, b.metrics, wire.ana.writes, wire.ben.writes]);
  };
  const until = Date.now() + maxMs;
  let last = await key();
  let since = Date.now();
  while (Date.now() < until) {
    await sleep(100);
    const k = await key();
    if (k !== last) {
      last = k;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/**
 * One complete call for the Firestore bill: create (Ana joins and waits), join and
 * connect (Ben), `talkMs` of talking, then both leave (Ben first). Counters are read
 * after each phase, from both pages, and set beside what the emulator holds.
 */
export async function completeCall(browser, { room, talkMs }) {
  const [ana, ben] = await Promise.all([newPerson(browser), newPerson(browser)]);
  const wire = { ana: countWritesOnTheWire(ana.page), ben: countWritesOnTheWire(ben.page) };
  const ctx = { ana, ben, wire, room };
  const phases = [];
  const out = { room, talkMs, phases, ok: false };
  try {
    await Promise.all([openIdle(ana), openIdle(ben)]);
    phases.push(await costSnapshot('pages open (signed in)', ctx));

    await roomInput(ana.page).fill(room);
    await ana.page.getByRole('button', { name: 'Join' }).click();
    await waitForState(ana.page, /call:waiting/);
    if ((await waitForPreOffer(room, READY_TIMEOUT_MS)) === null) throw new Error('no pre-offer');
    await settle(ctx);
    phases.push(await costSnapshot('Ana created the room and published her pre-offer', ctx));

    await roomInput(ben.page).fill(room);
    await ben.page.getByRole('button', { name: 'Join' }).click();
    const [fa, fb] = await Promise.all([
      nextRemoteFrame(ana.page, { after: 0, timeoutMs: FRAME_TIMEOUT_MS }),
      nextRemoteFrame(ben.page, { after: 0, timeoutMs: FRAME_TIMEOUT_MS }),
    ]);
    if (!fa || !fb) throw new Error(`not connected: Ana ${await seen(ana.page)}; Ben ${await seen(ben.page)}`);
    await settle(ctx);
    phases.push(await costSnapshot('Ben joined; both see each other', ctx));

    const talkStart = Date.now();
    await sleep(talkMs);
    await settle(ctx, 500);
    phases.push({ ...(await costSnapshot(`talking for ${Math.round((Date.now() - talkStart) / 1000)} s`, ctx)), talkedMs: Date.now() - talkStart });

    await ben.page.getByRole('button', { name: 'Leave' }).click();
    await waitForState(ben.page, /naming/);
    await settle(ctx);
    phases.push(await costSnapshot('Ben left (Ana, alone again, publishes a new pre-offer)', ctx));

    await ana.page.getByRole('button', { name: 'Leave' }).click();
    await waitForState(ana.page, /naming/);
    await settle(ctx);
    phases.push(await costSnapshot('Ana left', ctx));
    out.ok = true;
  } catch (e) {
    out.failure = e.message.split('\n')[0];
  }
  await Promise.all([ana.context.close(), ben.context.close()]);
  return out;
}
