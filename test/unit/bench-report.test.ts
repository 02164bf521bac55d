// The bench's summary and printed table (scripts/bench/report.mjs) on made-up samples: the
// figures come from the browsers only in `npm run bench`; this checks the arithmetic and that
// the table renders (a syntax slip in it once went unnoticed until a bench run).
import { describe, expect, it } from 'vitest';
import * as reportModule from '../../scripts/bench/report.mjs';

// The report is plain JavaScript whose shapes grow as it does: read loosely here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const { summarize, summarizeCpu, table, cpuOnlyTable } = reportModule as {
  summarize: (...a: unknown[]) => any;
  summarizeCpu: (...a: unknown[]) => any;
  table: (...a: unknown[]) => string;
  cpuOnlyTable: (...a: unknown[]) => string;
};

const call = (ana: number, ben: number, extra: Record<string, unknown> = {}) => ({
  ok: true,
  ana: { firstFrame: ana, localCandidates: 2, pcs: 1, remoteOffer: null, localAnswer: 5 },
  ben: { firstFrame: ben, localCandidates: 2, pcs: 1, remoteOffer: 10, localAnswer: 20, requests: {} },
  firestore: {
    client: { writes: 5, reads: 3 },
    afterJoin: { writes: 2, reads: 1 },
    wire: { writes: 5 },
    emulator: { outboxes: [{ writtenOnce: true, description: 'answer' }] },
  },
  ...extra,
});
const failed = (why: string, extra: Record<string, unknown> = {}) => ({ ok: false, failure: why, ...extra });
const bytes = { raw: 1, gzip: 1, brotli: 1 };
const sizes = { prePrompt: { js: bytes, css: bytes, html: bytes, all: bytes }, total: { js: bytes, all: bytes } };
const meta = {
  date: 'today',
  machine: { cpus: 2, cpuModel: 'test', loadDuringRun: { p50: 1, max: 2 } },
  chromium: '1',
  versions: { firebase: '1', firebaseTools: '1' },
  source: { ref: 'test', commit: 'abc', dirty: false, fingerprint: 'x' },
};

function report(early: unknown[], relay: unknown = undefined) {
  const raw = {
    calls: [call(300, 320), call(320, 340), call(310, 330)],
    // Floor: offerer 280, answerer 290, both p50 290.
    floor: [0, 1, 2].map(() => ({ ok: true, offerer: 280, answerer: 290 })),
    early,
    rejoins: [],
    recoveries: [],
    moreCandidates: { interfaces: 0, calls: [] },
    complete: null,
    load: [],
    options: {},
    relay,
  };
  const s = summarize(raw, { sizes, budgets: { prePromptJsGzip: 30_000, totalJsGzip: 200_000 }, heartbeatMs: 60_000, presenceTimeoutMs: 120_000 });
  return { s, text: table(s, meta) };
}

describe('bench report', () => {
  it('compares setup with the floor of the same run: difference, ratio, and the issue 13 targets', () => {
    const { s, text } = report([]);
    expect(s.setup.both.p50).toBe(330);
    expect(s.setup.overFloor.p50).toBe(40);
    expect(text).toMatch(/Duet: both see each other\s+330\s+340\s+340\s+×1\.14\s+×1\.17/);
    const byName = Object.fromEntries(s.targets.map((t: { name: string; met: boolean }) => [t.name, t.met]));
    expect(byName['both see each other, p50 over the floor (ms)']).toBe(true);
    // No early-arrival calls measured: that target is not met by default.
    expect(byName['early arrival, worst gap p50 over floor (ms)']).toBe(false);
  });

  it('gives each early-arrival gap its own row, its failures, and judges the worst gap', () => {
    const early = [
      { ...call(400, 420), gap: 0, gapMs: 3 },
      { ...call(380, 390), gap: 0, gapMs: 2 },
      { ...call(500, 520), gap: 300, gapMs: 305 },
      failed('no remote frame', { gap: 300, gapMs: 301 }),
    ];
    const { s, text } = report(early);
    expect(s.early.map((e: { gap: number }) => e.gap)).toEqual([0, 300]);
    expect(s.early[0].both.p50).toBe(390);
    expect(s.early[1].failures).toBe(1);
    expect(text).toContain('Both see each other, Ben at +300 ms');
    expect(text).toContain('! failed early-arrival call (+300 ms): no remote frame');
    const worst = s.targets.find((t: { name: string }) => t.name.startsWith('early arrival'));
    expect(worst.measured).toBe(520 - 290);
    expect(worst.met).toBe(false);
  });

  it('prints the relay row: direct and relayed setup side by side, failures counted, selected pairs tallied', () => {
    const direct = [3300, 3400, 3500].map((setupMs) => ({ ok: true, setupMs, pair: 'srflx-srflx' }));
    const relayed = [{ ok: true, setupMs: 3600, pair: 'relay-prflx' }, { ok: false, failure: 'timed out' }, { ok: true, setupMs: 3800, pair: 'relay-prflx' }];
    const { s, text } = report([], { direct, relayed, worldUpMs: 30_000 });
    expect(s.relay.direct.setup.p50).toBe(3400);
    expect(s.relay.relayed.failures).toBe(1);
    expect(text).toMatch(/Direct \(cone NATs\): both see each other\s+3\s+0\s+3400/);
    expect(text).toMatch(/Through the TURN relay \(symmetric NATs\)\s+3\s+1\s+3\d\d\d/);
    expect(text).toContain('relayed relay-prflx ×2');
  });

  it('prints what one relayed call sends, when the bench measured it, and nothing when it did not', () => {
    const calls = [{ ok: true, setupMs: 3400, pair: 'relay-prflx' }];
    const t = (sent: number) => ({ sentBps: sent, receivedBps: 700_000, video: '1280x720@20' });
    const { text } = report([], { direct: calls, relayed: calls, worldUpMs: 30_000, relayedThroughput: { ana: t(650_400), ben: t(701_000) } });
    expect(text).toContain('one relayed call, 10 s after a 20 s ramp-up: Ana sends 650 kbit/s (1280x720@20), receives 700 kbit/s; Ben sends 701 kbit/s');
    expect(report([], { direct: calls, relayed: calls, worldUpMs: 30_000 }).text).not.toContain('ramp-up');
    expect(report([], { skipped: 'needs root' }).text).toContain('skipped (needs root)');
  });

  it('--against: the other build\'s calls get their own row, and the difference its bootstrap interval', () => {
    const raw = {
      // This build 300-340 ms, the other 500-540: interleaved as the bench runs them.
      calls: [0, 1, 2, 3, 4, 5].flatMap((i) => [
        call(300 + i * 8, 300 + i * 8, { arm: 'A', answerTransit: { commitSent: 100 } }),
        call(500 + i * 8, 500 + i * 8, { arm: 'B', answerTransit: { commitSent: 250 } }),
      ]),
      floor: [0, 1, 2].map(() => ({ ok: true, offerer: 280, answerer: 290 })),
      early: [],
      rejoins: [],
      recoveries: [],
      moreCandidates: { interfaces: 0, calls: [] },
      complete: null,
      load: [],
      options: { against: 'main (abc1234)' },
    };
    const s = summarize(raw, { sizes, budgets: { prePromptJsGzip: 30_000, totalJsGzip: 200_000 }, heartbeatMs: 60_000, presenceTimeoutMs: 120_000 });
    // The main rows hold this build's calls only.
    expect(s.setup.calls).toBe(6);
    expect(s.setup.both.p50).toBe(316);
    expect(s.setup.against.calls).toBe(6);
    expect(s.setup.against.both.p50).toBe(516);
    expect(s.setup.against.difference.p50).toBe(-200);
    expect(s.setup.against.difference.high).toBeLessThan(0);
    expect(s.setup.against.timeline.this.answerCommitSent).toBe(100);
    expect(s.setup.against.timeline.other.answerCommitSent).toBe(250);
    const text = table(s, meta);
    expect(text).toMatch(/Against main \(abc1234\)/);
    expect(text).toMatch(/both see each other p50: -200 ms \(95 % bootstrap interval -2\d\d … -1\d\d\)/);
  });

  it('CPU per screen: each screen over its bare counterpart of the same rounds, per round and overall, with the issue 26 targets', () => {
    const w = (cpu: number) => ({ cpu, byKind: { 'chromium gpu process': cpu / 2 }, timers: 1, frames: 0, getStats: 0.5, animations: 0 });
    const round = (bareCamera: number, prompt: number, waiting: number, bareCall: number, call: number, still: number, load: number[]) => ({
      bareCamera: w(bareCamera),
      bareCall: w(bareCall),
      app: { '': { prompt: w(prompt), waiting: w(waiting), call: w(call) }, still: { prompt: w(still), waiting: w(still), call: { failure: 'the call did not connect' } } },
      load,
    });
    const raw = { seconds: 15, variants: ['still'], rounds: [round(0.2, 0.5, 0.24, 1.0, 1.1, 0.2, [1.2, 1.4]), round(0.2, 0.7, 0.28, 1.0, 1.1, 0.22, [1.4, 0.9])] };
    const cpu = summarizeCpu(raw);
    expect(cpu.app.prompt.mean).toBe(0.6);
    expect(cpu.app.prompt.ratio).toBe(3);
    expect(cpu.app.prompt.perRound).toEqual([2.5, 3.5]);
    expect(cpu.app.waiting.ratio).toBe(1.3);
    expect(cpu.app.call.ratio).toBe(1.1);
    expect(cpu.variants[0].prompt.ratio).toBe(1.05);
    expect(cpu.variants[0].call.failures).toEqual(['the call did not connect', 'the call did not connect']);
    expect(cpu.load).toEqual({ min: 0.9, max: 1.4 });
    const text = cpuOnlyTable(cpu, meta);
    expect(text).toContain('load average 0.9–1.4 over these rounds');
    expect(text).toMatch(/MISSED CPU: prompt \/ bare camera page +target ≤ ×1\.3 +measured 3/);
    expect(text).toMatch(/met {4}CPU: waiting screen \/ bare camera page +target ≤ ×1\.3 +measured 1\.3/);
    expect(text).toMatch(/met {4}CPU: call \/ bare call +target ≤ ×1\.15 +measured 1\.1/);
  });

  it('the bootstrap interval holds 0 when the two arms are drawn from the same values', async () => {
    const { medianDifference } = (await import('../../scripts/bench/stats.mjs')) as { medianDifference: (a: number[], b: number[]) => { diff: number; low: number; high: number } };
    const same = [310, 290, 450, 330, 305, 370, 298, 512, 340, 325];
    const d = medianDifference(same, [...same].reverse());
    expect(d.diff).toBe(0);
    expect(d.low).toBeLessThan(0);
    expect(d.high).toBeGreaterThan(0);
  });
});
