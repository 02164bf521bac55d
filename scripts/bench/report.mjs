// Turns the raw samples of scripts/bench/run.mjs into the summary (bench/results.json)
// and the table printed at the end of `npm run bench`.
import { medianDifference, percentile, round, summary } from './stats.mjs';

export const TARGETS = {
  setupP50Ms: 220,
  setupP95Ms: 400,
  setupFailures: 0,
  setupWrites: 6,
  talkWritesPerMinute: 2,
  prePromptJsGzip: 30_000,
  // Issue 13: over the floor of the same run, both people seeing each other.
  overFloorP50Ms: 60,
  overFloorP95Ms: 150,
  earlyOverFloorP50Ms: 120,
  // Issue 26: Chromium's CPU on a screen over its bare counterpart's, same run.
  promptCpuRatio: 1.3,
  waitingCpuRatio: 1.3,
  callCpuRatio: 1.15,
};

const ok = (r) => r.ok;
const sub = (a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : null);
const rounded = (s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'n' ? v : round(v)]));

export function summarize(raw, { sizes, budgets, heartbeatMs, presenceTimeoutMs }) {
  // With --against, calls of the other build (arm B) are summarized on their own, below.
  const calls = raw.calls.filter((c) => (c.arm ?? 'A') === 'A');
  const good = calls.filter(ok);
  const both = good.map((c) => Math.max(c.ana.firstFrame, c.ben.firstFrame));
  const setup = {
    calls: calls.length,
    failures: calls.length - good.length,
    failureReasons: calls.filter((c) => !ok(c)).map((c) => c.failure),
    ana: rounded(summary(good.map((c) => c.ana.firstFrame))),
    ben: rounded(summary(good.map((c) => c.ben.firstFrame))),
    both: rounded(summary(both)),
    // Milestones (ms after Ben's click), p50 over the calls that connected.
    timeline: {
      benJoined: rounded(summary(good.map((c) => c.ben.created))),
      benAnswerReady: rounded(summary(good.map((c) => c.ben.localAnswer))),
      anaAppliedAnswer: rounded(summary(good.map((c) => c.ana.remoteAnswer))),
      answerTransit: rounded(summary(good.map((c) => sub(c.ana.remoteAnswer, c.ben.localAnswer)))),
      benConnected: rounded(summary(good.map((c) => c.ben.connected))),
      anaConnected: rounded(summary(good.map((c) => c.ana.connected))),
      benTxGetDone: rounded(summary(good.map((c) => c.ben.requests?.txGet?.end))),
      benTxCommitDone: rounded(summary(good.map((c) => c.ben.requests?.txCommit?.end))),
      benWriteStreamOpenStart: rounded(summary(good.map((c) => c.ben.requests?.writeStreamOpen?.start))),
      benWriteStreamOpenDone: rounded(summary(good.map((c) => c.ben.requests?.writeStreamOpen?.end))),
      benFirstWriteStart: rounded(summary(good.map((c) => c.ben.requests?.firstStreamWrite?.start))),
      benFirstWriteAcked: rounded(summary(good.map((c) => c.ben.requests?.firstStreamWrite?.end))),
      // Per call, then p50: spans of single requests and of the answer's trip out.
      benTxGetSpan: rounded(summary(good.map((c) => sub(c.ben.requests?.txGet?.end, c.ben.requests?.txGet?.start)))),
      benTxCommitSpan: rounded(summary(good.map((c) => sub(c.ben.requests?.txCommit?.end, c.ben.requests?.txCommit?.start)))),
      benStreamOpenToFirstWrite: rounded(summary(good.map((c) => sub(c.ben.requests?.firstStreamWrite?.start, c.ben.requests?.writeStreamOpen?.start)))),
      // The answer goes out in a commit (with the seat since issue 13; alone before, or when late).
      benAnswerCommitSent: rounded(summary(good.map((c) => c.answerTransit?.commitSent))),
      benAnswerReadyToSent: rounded(summary(good.map((c) => sub(c.answerTransit?.commitSent, c.ben.localAnswer)))),
      benSentToAnaApplied: rounded(summary(good.map((c) => sub(c.ana.remoteAnswer, c.answerTransit?.commitSent)))),
      anaAppliedToIceConnected: rounded(summary(good.map((c) => sub(c.ana.iceConnected, c.ana.remoteAnswer)))),
      anaAppliedToConnected: rounded(summary(good.map((c) => sub(c.ana.connected, c.ana.remoteAnswer)))),
      // When Ben applied Ana's offer a second time, relative to his connection (negative: before it).
      benSecondOfferVsConnected: rounded(summary(good.map((c) => sub(c.ben.secondRemoteOffer, c.ben.connected)))),
      connectedToFrameAna: rounded(summary(good.map((c) => sub(c.ana.firstFrame, c.ana.connected)))),
      connectedToFrameBen: rounded(summary(good.map((c) => sub(c.ben.firstFrame, c.ben.connected)))),
    },
    benRenegotiated: good.filter((c) => c.ben.remoteOffers > 1 || c.ben.localAnswers > 1).length,
    usedPreOffer: good.filter((c) => c.ben.remoteOffer !== null && c.ben.localAnswer !== null).length,
    // Ben's read-free join (from his look at the room) refused or failed, then made by the transaction.
    joinFellBack: calls.filter((c) => c.joinFellBack).map((c) => c.joinFellBack),
    peerConnections: { ana: summary(good.map((c) => c.ana.pcs)), ben: summary(good.map((c) => c.ben.pcs)) },
    candidates: {
      ana: summary(good.map((c) => c.ana.localCandidates)),
      ben: summary(good.map((c) => c.ben.localCandidates)),
    },
    firestore: {
      // create + pre-offer + join + connect, both pages, client counters
      writes: summary(good.map((c) => c.firestore.client.writes)),
      reads: summary(good.map((c) => c.firestore.client.reads)),
      writesAfterJoin: summary(good.map((c) => c.firestore.afterJoin.writes)),
      readsAfterJoin: summary(good.map((c) => c.firestore.afterJoin.reads)),
      wireWrites: summary(good.map((c) => c.firestore.wire.writes)),
      clientMatchesWire: good.filter((c) => c.firestore.client.writes === c.firestore.wire.writes).length,
      outboxesWrittenOnce: good.filter((c) => c.firestore.emulator.outboxes.every((o) => o.writtenOnce)).length,
      // Ana's outbox holding an offer again: her pre-offer, re-sent after Ben answered it.
      offerResent: good.filter((c) => c.firestore.emulator.outboxes.some((o) => o.description === 'offer')).length,
      // Ben's outbox (the answer) overwritten after its first write (createTime != updateTime).
      answerRewritten: good.filter((c) => c.firestore.emulator.outboxes.some((o) => o.description === 'answer' && !o.writtenOnce)).length,
      outboxes: summary(good.map((c) => c.firestore.emulator.outboxes.length)),
      byCandidates: groupWritesByCandidates(good),
    },
    benSignedInBeforeJoin: calls.filter((c) => c.benSignedInBeforeJoin).length,
    withoutPreOffer: calls.filter((c) => c.preOffer === false).length,
    notes: calls.filter((c) => c.note).map((c) => c.note),
    // Wall-clock time the bench spends per call, by step (p50, ms).
    benchTimePerCall: Object.fromEntries(
      ['open, Ana joins, pre-offer', 'click to frames', 'count', 'close'].map((k) => [k, round(percentile(calls.map((c) => c.spent?.[k]), 50))]),
    ),
  };

  const rj = raw.rejoins;
  const rjGood = rj.filter(ok);
  const rejoin = {
    samples: rj.length,
    failures: rj.length - rjGood.length,
    failureReasons: rj.filter((r) => !ok(r)).map((r) => r.failure),
    reloadedSide: rounded(summary(rjGood.map((r) => r.reloadedSide))),
    otherSide: rounded(summary(rjGood.map((r) => r.otherSide))),
    both: rounded(summary(rjGood.map((r) => Math.max(r.reloadedSide, r.otherSide)))),
  };

  const rc = raw.recoveries ?? [];
  const rcGood = rc.filter(ok);
  const recovery = {
    samples: rc.length,
    failures: rc.length - rcGood.length,
    failureReasons: rc.filter((r) => !ok(r)).map((r) => r.failure),
    cutMs: raw.options?.cutMs ?? null,
    ana: rounded(summary(rcGood.map((r) => r.ana))),
    ben: rounded(summary(rcGood.map((r) => r.ben))),
    both: rounded(summary(rcGood.map((r) => Math.max(r.ana, r.ben)))),
  };

  const fl = raw.floor;
  const flGood = fl.filter(ok);
  const floor = {
    calls: fl.length,
    failures: fl.length - flGood.length,
    offerer: rounded(summary(flGood.map((r) => r.offerer))),
    answerer: rounded(summary(flGood.map((r) => r.answerer))),
    both: rounded(summary(flGood.map((r) => Math.max(r.offerer, r.answerer)))),
  };

  const mc = (raw.moreCandidates?.calls ?? []).filter(ok);
  setup.moreCandidates = {
    interfaces: raw.moreCandidates?.interfaces ?? 0,
    calls: raw.moreCandidates?.calls.length ?? 0,
    failures: (raw.moreCandidates?.calls.length ?? 0) - mc.length,
    candidates: summary(mc.map((c) => c.ana.localCandidates + c.ben.localCandidates)),
    writes: summary(mc.map((c) => c.firestore.client.writes)),
    ana: rounded(summary(mc.map((c) => c.ana.firstFrame))),
    ben: rounded(summary(mc.map((c) => c.ben.firstFrame))),
  };

  // What signaling adds to the floor, side by side (p50 and p95 differences).
  setup.overFloor = {
    p50: sub(setup.both.p50, floor.both.p50),
    p95: sub(setup.both.p95, floor.both.p95),
  };

  // --against: the other build's calls, interleaved with these (same emulators, load and floor).
  const armB = raw.calls.filter((c) => c.arm === 'B');
  if (armB.length) {
    const goodB = armB.filter(ok);
    const bothOf = (cs) => cs.map((c) => Math.max(c.ana.firstFrame, c.ben.firstFrame));
    const bothB = rounded(summary(bothOf(goodB)));
    const readBeforeCommit = (c) => !!c.ben.requests?.txGet && c.ben.requests.txGet.start < (c.answerTransit?.commitSent ?? Infinity);
    const side = (cs) => ({
      answerCommitSent: round(percentile(cs.map((c) => c.answerTransit?.commitSent), 50)),
      anaAppliedAnswer: round(percentile(cs.map((c) => c.ana.remoteAnswer), 50)),
      readBeforeCommit: cs.filter(readBeforeCommit).length,
    });
    const diff = medianDifference(bothOf(goodB), bothOf(good));
    setup.against = {
      ref: raw.options?.against ?? 'B',
      calls: armB.length,
      failures: armB.length - goodB.length,
      failureReasons: armB.filter((c) => !ok(c)).map((c) => c.failure),
      ana: rounded(summary(goodB.map((c) => c.ana.firstFrame))),
      ben: rounded(summary(goodB.map((c) => c.ben.firstFrame))),
      both: bothB,
      overFloor: { p50: sub(bothB.p50, floor.both.p50), p95: sub(bothB.p95, floor.both.p95) },
      // Both see each other, p50 of this build minus p50 of the other, with its 95 % interval.
      difference: diff && { p50: round(diff.diff), low: round(diff.low), high: round(diff.high) },
      timeline: { this: side(good), other: side(goodB) },
    };
  }

  // Early arrival: one row per gap between Ana's waiting screen and Ben's click.
  const early = [...new Set((raw.early ?? []).map((c) => c.gap))].sort((a, b) => a - b).map((gap) => {
    const cs = raw.early.filter((c) => c.gap === gap);
    const g = cs.filter(ok);
    const both = rounded(summary(g.map((c) => Math.max(c.ana.firstFrame, c.ben.firstFrame))));
    return {
      gap,
      calls: cs.length,
      failures: cs.length - g.length,
      failureReasons: cs.filter((c) => !ok(c)).map((c) => c.failure),
      clickedAfterWaiting: rounded(summary(cs.map((c) => c.gapMs))),
      ana: rounded(summary(g.map((c) => c.ana.firstFrame))),
      ben: rounded(summary(g.map((c) => c.ben.firstFrame))),
      both,
      // Ben answered Ana's pre-offer (it was out when his join read the room) in this many calls.
      usedPreOffer: g.filter((c) => c.ben.remoteOffer !== null && c.ben.localAnswer !== null).length,
      overFloor: { p50: sub(both.p50, floor.both.p50), p95: sub(both.p95, floor.both.p95) },
    };
  });

  const cost = summarizeCost(raw.complete, heartbeatMs, presenceTimeoutMs);

  const throttled = raw.load.filter((r) => r.throttled && r.ok);
  const unthrottled = raw.load.filter((r) => !r.throttled && r.ok);
  const med = (rs, key) => round(percentile(rs.map((r) => r[key]), 50));
  const load = {
    sizes,
    budgets,
    throttled: {
      runs: throttled.length,
      prompt: med(throttled, 'prompt'),
      promptRuns: throttled.map((r) => round(r.prompt)),
      fcp: med(throttled, 'fcp'),
      transferBeforePrompt: med(throttled, 'transferBeforePrompt'),
      requestsBeforePrompt: med(throttled, 'requestsBeforePrompt'),
      firebaseLoaded: med(throttled, 'firebaseLoaded'),
      readyToJoin: med(throttled, 'readyToJoin'),
    },
    unthrottled: {
      runs: unthrottled.length,
      prompt: med(unthrottled, 'prompt'),
      readyToJoin: med(unthrottled, 'readyToJoin'),
    },
  };

  const setupWrites = cost?.setupWrites ?? setup.firestore.writes.max;
  const targets = [
    target('setup p50, each side (ms)', `≤ ${TARGETS.setupP50Ms}`, Math.max(setup.ana.p50 ?? Infinity, setup.ben.p50 ?? Infinity), (v) => v <= TARGETS.setupP50Ms),
    target('setup p95, each side (ms)', `≤ ${TARGETS.setupP95Ms}`, Math.max(setup.ana.p95 ?? Infinity, setup.ben.p95 ?? Infinity), (v) => v <= TARGETS.setupP95Ms),
    target(`failed calls (of ${setup.calls})`, `${TARGETS.setupFailures}`, setup.failures, (v) => v <= TARGETS.setupFailures),
    target('writes to set up a call (max)', `≤ ${TARGETS.setupWrites}`, Math.max(setupWrites ?? Infinity, setup.firestore.writes.max ?? Infinity), (v) => v <= TARGETS.setupWrites),
    // A talk shorter than one heartbeat interval sees no heartbeat: judge by the constants then.
    cost?.talk && cost.talk.talkedMs >= heartbeatMs
      ? target('writes per minute while talking', `≤ ${TARGETS.talkWritesPerMinute}`, cost.talk.writesPerMinute, (v) => v <= TARGETS.talkWritesPerMinute)
      : target('writes/min talking (from HEARTBEAT_MS; talk shortened)', `≤ ${TARGETS.talkWritesPerMinute}`, cost?.presenceFromConstants.writesPerMinute ?? null, (v) => v <= TARGETS.talkWritesPerMinute),
    target('pre-prompt JS, gzip (bytes)', `≤ ${TARGETS.prePromptJsGzip}`, sizes.prePrompt.js.gzip, (v) => v <= TARGETS.prePromptJsGzip),
  ];
  const earlyWorst = early.length ? Math.max(...early.map((e) => e.overFloor.p50 ?? Infinity)) : null;
  const earlyFailures = early.reduce((n, e) => n + e.failures, 0);
  targets.push(
    target('both see each other, p50 over the floor (ms)', `≤ ${TARGETS.overFloorP50Ms}`, setup.overFloor.p50, (v) => v <= TARGETS.overFloorP50Ms),
    target('both see each other, p95 over the floor (ms)', `≤ ${TARGETS.overFloorP95Ms}`, setup.overFloor.p95, (v) => v <= TARGETS.overFloorP95Ms),
    target('early arrival, worst gap p50 over floor (ms)', `≤ ${TARGETS.earlyOverFloorP50Ms}`, earlyWorst, (v) => v <= TARGETS.earlyOverFloorP50Ms),
    target(`failed early-arrival calls (of ${early.reduce((n, e) => n + e.calls, 0)})`, '0', early.length ? earlyFailures : null, (v) => v === 0),
  );
  // Through NATs (issue 14): direct (cone routers) against through the relay (symmetric), same run.
  const relayOf = (list) => ({
    calls: list.length,
    failures: list.filter((c) => !ok(c)).length,
    failureReasons: list.filter((c) => !ok(c)).map((c) => c.failure),
    setup: rounded(summary(list.filter(ok).map((c) => c.setupMs))),
    pairs: Object.entries(list.filter(ok).reduce((n, c) => ({ ...n, [c.pair]: (n[c.pair] ?? 0) + 1 }), {})).map(([k, v]) => `${k} ×${v}`).join(', '),
  });
  const relay = raw.relay?.direct ? { direct: relayOf(raw.relay.direct), relayed: relayOf(raw.relay.relayed), worldUpMs: raw.relay.worldUpMs, throughput: raw.relay.relayedThroughput ?? null } : raw.relay?.skipped ? { skipped: raw.relay.skipped } : null;
  const cpu = summarizeCpu(raw.cpu);
  targets.push(...cpuTargets(cpu));
  const handover = summarizeHandover(raw.handover);
  if (handover?.kinds) {
    const backs = handover.kinds.flatMap((k) => k.backs);
    const lost = handover.kinds.reduce((n, k) => n + k.lost, 0);
    targets.push(
      target('handover: video back, p50 of every kind (ms)', '≤ 3000', handover.kinds.length ? Math.max(...handover.kinds.map((k) => k.back.p50 ?? Infinity)) : null, (v) => v <= 3000),
      target('handover: video back, worst (ms)', '≤ 6000', backs.length ? Math.max(...backs) : null, (v) => v <= 6000),
      target(`handover: not back within 45 s (of ${backs.length + lost})`, '0', lost, (v) => v === 0),
    );
  }
  return { setup, early, rejoin, recovery, floor, cost, load, targets, relay, cpu, handover };
}

/**
 * The CPU-per-screen rows (scripts/bench/screens.mjs): per screen, CPU-seconds per second in
 * each round, their mean, and the ratio to its bare counterpart's mean (and per round).
 */
/** The handover row (scripts/bench/handover.mjs): per kind of move, video back (ms after the new address) and how many never came back. */
export function summarizeHandover(raw) {
  if (!raw) return null;
  if (raw.skipped) return { skipped: raw.skipped };
  return {
    worldUpMs: raw.worldUpMs,
    kinds: raw.kinds.map((k) => {
      const backs = k.backMs.filter((v) => v !== null).map((v) => Math.max(0, v));
      return { home: k.home, gapMs: k.gapMs, rounds: k.backMs.length, lost: k.backMs.length - backs.length, backs, back: rounded(summary(backs)) };
    }),
  };
}

export function summarizeCpu(cpu) {
  if (!cpu?.rounds?.length) return null;
  const num = (x) => typeof x === 'number' && Number.isFinite(x);
  const mean = (xs) => (xs.filter(num).length ? xs.filter(num).reduce((a, b) => a + b, 0) / xs.filter(num).length : null);
  const row = (windows) => {
    const values = windows.map((w) => w?.cpu ?? null);
    const kinds = {};
    for (const w of windows) for (const [k, v] of Object.entries(w?.byKind ?? {})) (kinds[k] ??= []).push(v);
    return {
      values,
      mean: round(mean(values), 2),
      byKind: Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, round(mean(v), 2)])),
      getStatsPerS: round(mean(windows.map((w) => w?.getStats)), 2),
      timersPerS: round(mean(windows.map((w) => w?.timers)), 1),
      framesPerS: round(mean(windows.map((w) => w?.frames)), 1),
      animations: Math.max(0, ...windows.map((w) => w?.animations ?? 0)),
      failures: windows.filter((w) => !num(w?.cpu)).map((w) => w?.failure ?? 'not measured'),
    };
  };
  const bareCamera = row(cpu.rounds.map((r) => r.bareCamera));
  const bareCall = row(cpu.rounds.map((r) => r.bareCall));
  const ratioTo = (a, b) => (num(a.mean) && num(b.mean) && b.mean > 0 ? round(a.mean / b.mean, 2) : null);
  const perRound = (screen, name, bare) =>
    cpu.rounds.map((r) => (num(r.app[name]?.[screen]?.cpu) && num(r[bare]?.cpu) && r[bare].cpu > 0 ? round(r.app[name][screen].cpu / r[bare].cpu, 2) : null));
  const screens = ['', ...(cpu.variants ?? [])].map((name) => {
    const of = (screen, bare, bareRow) => {
      const x = row(cpu.rounds.map((r) => r.app[name]?.[screen]));
      return { ...x, ratio: ratioTo(x, bareRow), perRound: perRound(screen, name, bare) };
    };
    return { variant: name, prompt: of('prompt', 'bareCamera', bareCamera), waiting: of('waiting', 'bareCamera', bareCamera), call: of('call', 'bareCall', bareCall) };
  });
  const loads = cpu.rounds.flatMap((r) => r.load ?? []);
  return { seconds: cpu.seconds, rounds: cpu.rounds.length, load: loads.length ? { min: Math.min(...loads), max: Math.max(...loads) } : null, bareCamera, bareCall, app: screens[0], variants: screens.slice(1) };
}

function cpuTargets(cpu) {
  if (!cpu) return [];
  return [
    target('CPU: prompt / bare camera page', `≤ ×${TARGETS.promptCpuRatio}`, cpu.app.prompt.ratio, (v) => v <= TARGETS.promptCpuRatio),
    target('CPU: waiting screen / bare camera page', `≤ ×${TARGETS.waitingCpuRatio}`, cpu.app.waiting.ratio, (v) => v <= TARGETS.waitingCpuRatio),
    target('CPU: call / bare call', `≤ ×${TARGETS.callCpuRatio}`, cpu.app.call.ratio, (v) => v <= TARGETS.callCpuRatio),
  ];
}

/** The CPU-per-screen rows as printed (also alone, by `npm run bench -- --cpu`). */
export function cpuTable(cpu) {
  if (!cpu) return [];
  const out = [];
  const f2 = (x) => (typeof x === 'number' ? x.toFixed(2) : '—');
  const kinds = (r) => {
    const k = r.byKind;
    const renderer = k['chromium page renderer'] ?? 0;
    const gpu = k['chromium gpu process'] ?? 0;
    return `renderers ${f2(renderer)}, gpu ${f2(gpu)}, other ${f2(Math.max(0, (r.mean ?? 0) - renderer - gpu))}`;
  };
  const line = (label, r, bare) =>
    out.push(
      `  ${pad(label, 44)}${lpad(r.values.map(f2).join(' '), 16)}${lpad(f2(r.mean), 7)}${lpad(bare ? `×${f2(r.ratio)}` : '', 8)}` +
        `   ${kinds(r)}; ${bare ? `per round ${r.perRound.map((x) => (x === null ? '—' : `×${f2(x)}`)).join(' ')}; ` : ''}` +
        `getStats ${f2(r.getStatsPerS)}/s, timers ${r.timersPerS ?? '—'}/s, rAF ${r.framesPerS ?? '—'}/s, animations ${r.animations}` +
        (r.failures.length ? `; ! ${r.failures.join('; ')}` : ''),
    );
  out.push(`  ${pad(`CPU per screen (CPU-s/s, all Chromium, ${cpu.seconds} s windows)`, 44)}${lpad('rounds', 16)}${lpad('mean', 7)}${lpad('ratio', 8)}` + (cpu.load ? `   load average ${cpu.load.min}–${cpu.load.max} over these rounds` : ''));
  line('Bare camera page', cpu.bareCamera, false);
  line('Duet: room prompt (own camera behind it)', cpu.app.prompt, true);
  line('Duet: waiting for the other person', cpu.app.waiting, true);
  line('Bare call (the floor pages, connected)', cpu.bareCall, false);
  line('Duet: a call (two pages)', cpu.app.call, true);
  for (const v of cpu.variants) {
    line(`+ ${v.variant}: prompt`.slice(0, 43), v.prompt, true);
    line(`+ ${v.variant}: waiting`.slice(0, 43), v.waiting, true);
    line(`+ ${v.variant}: call`.slice(0, 43), v.call, true);
  }
  return out;
}

function target(name, goal, measured, pass) {
  return { name, target: goal, measured, met: measured !== null && measured !== undefined && Number.isFinite(measured) ? pass(measured) : false };
}

/** Setup writes grouped by how many ICE candidates the two sides gathered: flat if batching works. */
function groupWritesByCandidates(calls) {
  const groups = new Map();
  for (const c of calls) {
    const n = (c.ana.localCandidates ?? 0) + (c.ben.localCandidates ?? 0);
    const g = groups.get(n) ?? [];
    g.push(c.firestore.client.writes);
    groups.set(n, g);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([candidates, writes]) => ({ candidates, calls: writes.length, writesMin: Math.min(...writes), writesMax: Math.max(...writes) }));
}

function summarizeCost(complete, heartbeatMs, presenceTimeoutMs) {
  if (!complete) return null;
  const phases = complete.phases.map((p, i) => {
    const prev = complete.phases[i - 1];
    const d = (get) => (prev ? get(p) - get(prev) : get(p));
    return {
      label: p.label,
      writes: d((x) => x.client.writes),
      reads: d((x) => x.client.reads),
      wireWrites: d((x) => x.wire.writes),
      total: { writes: p.client.writes, reads: p.client.reads, wireWrites: p.wire.writes },
      emulator: p.emulator,
      talkedMs: p.talkedMs,
    };
  });
  const find = (re) => phases.find((p) => re.test(p.label));
  const talk = find(/^talking/);
  const joined = find(/^Ben joined/);
  const last = phases[phases.length - 1];
  const heartbeatsPerMinute = 2 * (60_000 / heartbeatMs);
  return {
    ok: complete.ok,
    failure: complete.failure ?? null,
    phases,
    setupWrites: joined ? joined.total.writes : null,
    setupReads: joined ? joined.total.reads : null,
    talk: talk
      ? {
          talkedMs: talk.talkedMs,
          writes: talk.writes,
          reads: talk.reads,
          writesPerMinute: round((talk.writes * 60_000) / talk.talkedMs, 2),
          readsPerMinute: round((talk.reads * 60_000) / talk.talkedMs, 2),
        }
      : null,
    // From the constants in src/call/backend.ts: each of the two refreshes its seat every HEARTBEAT_MS.
    presenceFromConstants: { heartbeatMs, presenceTimeoutMs, writesPerMinute: heartbeatsPerMinute },
    total: last ? last.total : null,
    leftBehind: last ? last.emulator : null,
  };
}

// ------------------------------------------------------------------ the printed table

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const ms = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)}`);
const kB = (b) => `${(b / 1000).toFixed(1)} kB`;

function header(meta) {
  return [
    '',
    `Duet bench — ${meta.date}, ${meta.machine.cpus} × ${meta.machine.cpuModel}, load average ${meta.machine.loadDuringRun.p50} (max ${meta.machine.loadDuringRun.max}) during the run`,
    `Chromium ${meta.chromium} (fake camera: ${meta.options?.camera === 'small' ? "the suites' 320x240 file" : 'built in, 1280x720'}), firebase ${meta.versions.firebase}, firebase-tools ${meta.versions.firebaseTools}, source: ${meta.source.ref} at ${meta.source.commit}${meta.source.dirty ? ' + uncommitted changes' : ''} (src fingerprint ${meta.source.fingerprint})`,
    '',
  ];
}

/** `npm run bench -- --cpu`: the header, the CPU-per-screen rows and their targets only. */
export function cpuOnlyTable(cpu, meta) {
  const out = [...header(meta), ...cpuTable(cpu), '', '  Targets (issue 26)'];
  for (const tg of cpuTargets(cpu)) out.push(`    ${tg.met ? 'met   ' : 'MISSED'} ${pad(tg.name, 40)} target ${pad(tg.target, 8)} measured ${tg.measured ?? '—'}`);
  out.push('');
  return out.join('\n');
}

export function table(summary, meta) {
  const { setup, rejoin, floor, cost, load, targets } = summary;
  const recovery = summary.recovery ?? { samples: 0, failureReasons: [] };
  const out = [];
  // `fl`: the floor row to compare with; its ratio is printed beside p50 and p95.
  const ratio = (x, f) => (typeof x === 'number' && typeof f === 'number' && f > 0 ? `×${(x / f).toFixed(2)}` : '');
  const row = (label, s, n = '', fail = '', fl = null) =>
    out.push(
      `  ${pad(label, 44)}${lpad(n, 4)}${lpad(fail, 6)}${lpad(ms(s.p50), 7)}${lpad(ms(s.p95), 7)}${lpad(ms(s.max), 7)}` +
        (fl ? `${lpad(ratio(s.p50, fl.p50), 9)}${lpad(ratio(s.p95, fl.p95), 9)}` : ''),
    );
  out.push(...header(meta));
  out.push(`  ${pad('Call setup: Join click → first remote frame (ms)', 44)}${lpad('n', 4)}${lpad('fail', 6)}${lpad('p50', 7)}${lpad('p95', 7)}${lpad('max', 7)}${lpad('p50/fl', 9)}${lpad('p95/fl', 9)}`);
  row('Duet: Ana (waiting, pre-offer published)', setup.ana, setup.calls, setup.failures, floor.offerer);
  row('Duet: Ben (pressed Join)', setup.ben, '', '', floor.answerer);
  row('Duet: both see each other', setup.both, '', '', floor.both);
  row('Floor (instant signaling): offerer', floor.offerer, floor.calls, floor.failures);
  row('Floor: answerer', floor.answerer);
  row('Floor: both', floor.both);
  out.push(`  ${pad('Signaling over the floor (both see each other)', 44)}${lpad('', 10)}${lpad(ms(setup.overFloor.p50), 7)}${lpad(ms(setup.overFloor.p95), 7)}`);
  const ab = setup.against;
  if (ab) {
    out.push(`  Against ${ab.ref}: its calls alternated with these, one by one`);
    row(`${ab.ref}: both see each other`.slice(0, 43), ab.both, ab.calls, ab.failures, floor.both);
    const d = ab.difference;
    const { this: a, other: b } = ab.timeline;
    out.push(
      `      over the floor p50 ${ms(ab.overFloor.p50)} / p95 ${ms(ab.overFloor.p95)} ms; this build − that one, both see each other p50: ` +
        (d ? `${d.p50 > 0 ? '+' : ''}${ms(d.p50)} ms (95 % bootstrap interval ${ms(d.low)} … ${ms(d.high)}${d.low <= 0 && d.high >= 0 ? ': not told apart' : ''})` : '—'),
    );
    out.push(
      `      p50 ms after Ben's click, this build / that one: his answer's commit sent ${ms(a.answerCommitSent)} / ${ms(b.answerCommitSent)}, ` +
        `Ana applies it ${ms(a.anaAppliedAnswer)} / ${ms(b.anaAppliedAnswer)}; calls that read the room before that commit ${a.readBeforeCommit} / ${b.readBeforeCommit}`,
    );
    out.push(...ab.failureReasons.map((r) => `  ! failed call (${ab.ref}): ${r}`));
  }
  const early = summary.early ?? [];
  if (early.length) {
    out.push(`  ${pad('Early arrival: Ben joins N ms after Ana waits', 44)}`);
    for (const e of early) {
      row(`Both see each other, Ben at +${e.gap} ms`, e.both, e.calls, e.failures, floor.both);
      out.push(`      over the floor p50 ${ms(e.overFloor.p50)} / p95 ${ms(e.overFloor.p95)} ms; Ben clicked ${ms(e.clickedAfterWaiting.p50)} ms after her waiting screen (p50); her pre-offer answered in ${e.usedPreOffer} of ${e.calls - e.failures}`);
    }
  }
  out.push(`  ${pad('Rejoin: reload → first remote frame (ms)', 44)}`);
  row('Reloaded page', rejoin.reloadedSide, rejoin.samples, rejoin.failures);
  row('The other page', rejoin.otherSide);
  if (recovery.samples) {
    out.push(`  ${pad(`Network cut ${recovery.cutMs / 1000} s: restored → first remote frame (ms)`, 44)}`);
    row('Ana', recovery.ana, recovery.samples, recovery.failures);
    row('Ben', recovery.ben);
    row('Both', recovery.both);
  }
  const relay = summary.relay;
  if (relay?.direct) {
    out.push(`  ${pad('Through two NAT routers (own world, same run)', 44)}`);
    row('Direct (cone NATs): both see each other', relay.direct.setup, relay.direct.calls, relay.direct.failures);
    row('Through the TURN relay (symmetric NATs)', relay.relayed.setup, relay.relayed.calls, relay.relayed.failures);
    out.push(`      selected pairs (Ben local-remote): direct ${relay.direct.pairs || '—'}; relayed ${relay.relayed.pairs || '—'}`);
    if (relay.throughput) {
      const k = (/** @type {number} */ n) => `${Math.round(n / 1000)} kbit/s`;
      const side = (/** @type {string} */ who, /** @type {{ sentBps: number, receivedBps: number, video: string }} */ t) => `${who} sends ${k(t.sentBps)} (${t.video}), receives ${k(t.receivedBps)}`;
      out.push(`      one relayed call, 10 s after a 20 s ramp-up: ${side('Ana', relay.throughput.ana)}; ${side('Ben', relay.throughput.ben)}`);
    }
  } else if (relay?.skipped) {
    out.push(`  Through NAT routers and a TURN relay: skipped (${relay.skipped})`);
  }
  const handover = summary.handover;
  if (handover?.kinds) {
    out.push(`  ${pad('Handover: new address → video back both ways', 44)}`);
    for (const k of handover.kinds) row(`Home ${k.home} moves, ${k.gapMs ? `${k.gapMs / 1000} s without a network` : 'at once'}`, k.back, k.rounds, k.lost);
  } else if (handover?.skipped) {
    out.push(`  Handover: skipped (${handover.skipped})`);
  }
  const t = setup.timeline;
  out.push('');
  out.push(
    `  Where setup time goes (p50, ms after Ben's click): Ben's connection made ${ms(t.benJoined.p50)}, his answer ready ${ms(t.benAnswerReady.p50)}, ` +
      `Ana applies it ${ms(t.anaAppliedAnswer.p50)} (Firestore transit ${ms(t.answerTransit.p50)}), connected Ben ${ms(t.benConnected.p50)} / Ana ${ms(t.anaConnected.p50)}, ` +
      `connected → first frame Ben ${ms(t.connectedToFrameBen.p50)} / Ana ${ms(t.connectedToFrameAna.p50)}`,
  );
  out.push(
    `  Ben's requests (p50, ms after click): transaction get done ${ms(t.benTxGetDone.p50)}, commit done ${ms(t.benTxCommitDone.p50)}; ` +
      `the commit carrying his answer sent ${ms(t.benAnswerCommitSent.p50)}; Write stream opened ${ms(t.benWriteStreamOpenStart.p50)}–${ms(t.benWriteStreamOpenDone.p50)}, first write sent ${ms(t.benFirstWriteStart.p50)}`,
  );
  out.push(
    `  Per call (p50, ms): transaction get ${ms(t.benTxGetSpan.p50)}, commit ${ms(t.benTxCommitSpan.p50)}; Write stream open → first write ${ms(t.benStreamOpenToFirstWrite.p50)}; ` +
      `answer ready → its commit sent ${ms(t.benAnswerReadyToSent.p50)}, sent → Ana applied it ${ms(t.benSentToAnaApplied.p50)}, ` +
      `Ana applied it → her ICE connected ${ms(t.anaAppliedToIceConnected.p50)} / connected ${ms(t.anaAppliedToConnected.p50)}` +
      (t.benSecondOfferVsConnected.n ? `; Ben's second negotiation ${ms(t.benSecondOfferVsConnected.p50)} ms after his connection (min ${ms(t.benSecondOfferVsConnected.min)})` : ''),
  );
  out.push(
    `  Pre-offer answered directly in ${setup.usedPreOffer} of ${setup.calls - setup.failures} calls; Ben negotiated the same connection twice in ${setup.benRenegotiated}; ` +
      `ICE candidates gathered per side p50: Ana ${setup.candidates.ana.p50}, Ben ${setup.candidates.ben.p50}`,
  );
  if (setup.joinFellBack?.length) out.push(`  ! Ben's join from his look at the room fell back to the transaction in ${setup.joinFellBack.length} call(s): ${setup.joinFellBack.join(', ')}`);
  if (setup.withoutPreOffer) out.push(`  ! in ${setup.withoutPreOffer} call(s) Ana's pre-offer was not in the room when Ben joined (fallback path measured): ${setup.notes.join('; ')}`);
  if (setup.failureReasons.length) out.push(...setup.failureReasons.map((r) => `  ! failed call: ${r}`));
  if (rejoin.failureReasons.length) out.push(...rejoin.failureReasons.map((r) => `  ! failed rejoin: ${r}`));
  if (recovery.failureReasons.length) out.push(...recovery.failureReasons.map((r) => `  ! failed recovery: ${r}`));
  for (const e of early) out.push(...e.failureReasons.map((r) => `  ! failed early-arrival call (+${e.gap} ms): ${r}`));

  out.push('');
  out.push('  Firestore per call (both people, counted from each page’s own requests and responses; wire = write operations in the requests the browser sent)');
  const f = setup.firestore;
  out.push(`    setup (create, pre-offer, join, connect), ${setup.calls - setup.failures} calls: writes p50 ${f.writes.p50} max ${f.writes.max} (wire p50 ${f.wireWrites.p50}, equal in ${f.clientMatchesWire}), reads p50 ${f.reads.p50} max ${f.reads.max}`);
  out.push(`    writes by candidates gathered (both sides): ${f.byCandidates.map((g) => `${g.candidates} → ${g.writesMin === g.writesMax ? g.writesMin : `${g.writesMin}-${g.writesMax}`} (${g.calls} calls)`).join(', ')}`);
  const mcs = setup.moreCandidates;
  if (mcs.calls) {
    out.push(
      `    with ${mcs.interfaces} extra network interfaces (${mcs.calls} calls, ${mcs.failures} failed): candidates p50 ${mcs.candidates.p50} (vs ${(setup.candidates.ana.p50 ?? 0) + (setup.candidates.ben.p50 ?? 0)}), ` +
        `writes p50 ${mcs.writes.p50} max ${mcs.writes.max}; setup p50 Ana ${ms(mcs.ana.p50)} / Ben ${ms(mcs.ben.p50)} ms`,
    );
  }
  const n = setup.calls - setup.failures;
  out.push(
    `    emulator after setup: ${f.outboxes.p50} outbox documents per call; Ana's outbox holds her offer again in ${f.offerResent} of ${n} calls; ` +
      `Ben's answer outbox was written more than once (updateTime ≠ createTime) in ${f.answerRewritten} of ${n}`,
  );
  if (cost) {
    out.push(`    one complete call${cost.ok ? '' : ` (FAILED: ${cost.failure})`}:`);
    for (const p of cost.phases) {
      const e = p.emulator;
      const held = e.room ? `room: ${e.room.seats} seat(s)${e.room.offer ? ', pre-offer' : ''}` : 'no room';
      out.push(`      ${pad(p.label, 58)} +${lpad(p.writes, 2)} writes (wire +${lpad(p.wireWrites, 2)}), +${lpad(p.reads, 2)} reads   emulator: ${held}, ${e.outboxes.length} outbox(es)`);
    }
    if (cost.total) out.push(`      ${pad('total', 58)} ${lpad(cost.total.writes, 3)} writes (wire ${cost.total.wireWrites}), ${lpad(cost.total.reads, 3)} reads`);
    if (cost.talk) {
      out.push(
        `    talking: ${cost.talk.writes} writes and ${cost.talk.reads} reads in ${(cost.talk.talkedMs / 1000).toFixed(0)} s = ${cost.talk.writesPerMinute} writes/min; ` +
          `from the constants (HEARTBEAT_MS ${cost.presenceFromConstants.heartbeatMs}, two people): ${cost.presenceFromConstants.writesPerMinute} writes/min`,
      );
    }
  }

  out.push('');
  const s = load.sizes;
  out.push(`  ${pad('Load (bytes)', 44)}${lpad('min', 10)}${lpad('gzip', 10)}${lpad('brotli', 10)}`);
  const size = (label, x) => out.push(`  ${pad(label, 44)}${lpad(x.raw, 10)}${lpad(x.gzip, 10)}${lpad(x.brotli, 10)}`);
  size('Before the room prompt: JS', s.prePrompt.js);
  size('Before the room prompt: CSS', s.prePrompt.css);
  size('Before the room prompt: HTML', s.prePrompt.html);
  size('Before the room prompt: all', s.prePrompt.all);
  size('Total: JS', s.total.js);
  size('Total: all', s.total.all);
  out.push(`  Budgets (budgets.json, gzip): pre-prompt JS ${kB(s.prePrompt.js.gzip)} of ${kB(load.budgets.prePromptJsGzip)}, total JS ${kB(s.total.js.gzip)} of ${kB(load.budgets.totalJsGzip)}`);
  const th = load.throttled;
  out.push(
    `  Time to the room prompt, throttled phone (CPU ×4, Slow 4G), median of ${th.runs}: ${ms(th.prompt)} ms (runs ${th.promptRuns.map(ms).join(', ')}); FCP ${ms(th.fcp)} ms; ` +
      `${th.requestsBeforePrompt} requests, ${th.transferBeforePrompt} bytes on the wire before it; Firebase loaded ${ms(th.firebaseLoaded)} ms, signed in (Join won't wait) ${ms(th.readyToJoin)} ms`,
  );
  out.push(`  Unthrottled, median of ${load.unthrottled.runs}: prompt ${ms(load.unthrottled.prompt)} ms, signed in ${ms(load.unthrottled.readyToJoin)} ms`);

  if (summary.cpu) out.push('', ...cpuTable(summary.cpu));

  out.push('');
  out.push('  Targets (issues 6, 13 and 26)');
  for (const tg of targets) out.push(`    ${tg.met ? 'met   ' : 'MISSED'} ${pad(tg.name, 40)} target ${pad(tg.target, 8)} measured ${tg.measured ?? '—'}`);
  out.push('');
  return out.join('\n');
}
