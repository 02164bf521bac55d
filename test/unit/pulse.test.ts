// The link's pulse (src/call/pulse.ts) and the restart policy it feeds (src/call/recovery.ts),
// with fake timers and an in-memory channel pair standing in for the data channel (the NAT
// world's handover scenario, test/relay, proves them with real browsers and real networks).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BEAT_MS, Pulse, SILENT_AFTER_HIDDEN_MS, SILENT_AFTER_MS, type BeatChannel } from '../../src/call/pulse.ts';
import { DISCONNECTED_GRACE_MS, ICE_RETRY_MS, POLITE_RESTART_AFTER_MS, POLITE_SILENT_WAIT_MS, Recovery, type RecoveryHooks } from '../../src/call/recovery.ts';

/** Two ends of a channel; `wire.up = false` drops everything sent (a path that is gone). */
function channelPair() {
  const wire = { up: true, sent: 0 };
  class End implements BeatChannel {
    readyState: RTCDataChannelState = 'open';
    other!: End;
    private listeners = new Map<string, Set<(e: Event | MessageEvent) => void>>();
    send(data: string): void {
      wire.sent += 1;
      if (!wire.up) return;
      const to = this.other;
      queueMicrotask(() => to.emit('message', { data } as MessageEvent));
    }
    addEventListener(type: string, l: (e: Event | MessageEvent) => void): void {
      if (!this.listeners.has(type)) this.listeners.set(type, new Set());
      this.listeners.get(type)!.add(l);
    }
    removeEventListener(type: string, l: (e: Event | MessageEvent) => void): void {
      this.listeners.get(type)?.delete(l);
    }
    emit(type: string, e: Event | MessageEvent): void {
      for (const l of this.listeners.get(type) ?? []) l(e);
    }
  }
  const a = new End();
  const b = new End();
  a.other = b;
  b.other = a;
  return { a, b, wire };
}

beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'queueMicrotask'] }));
afterEach(() => vi.useRealTimers());

describe('the pulse', () => {
  function pair({ hiddenA = false, hiddenB = false } = {}) {
    const { a, b, wire } = channelPair();
    const log: string[] = [];
    const pa = new Pulse({ silent: () => log.push('a silent'), heard: () => log.push('a heard') }, () => hiddenA);
    const pb = new Pulse({ silent: () => log.push('b silent'), heard: () => log.push('b heard') }, () => hiddenB);
    pa.attach(a);
    pb.attach(b);
    return { pa, pb, wire, log };
  }

  it('stays quiet for as long as the path carries beats', async () => {
    const { pa, pb, log, wire } = pair();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(log).toEqual([]);
    expect(pa.silent || pb.silent).toBe(false);
    // Beats and their echoes: about 2 x 2 per BEAT_MS; a fake that sent nothing would pass the above.
    expect(wire.sent).toBeGreaterThan((4 * 30_000) / BEAT_MS - 10);
  });

  it('reports silence once, within SILENT_AFTER_MS plus a beat, and hearing again once', async () => {
    const { pa, log, wire } = pair();
    await vi.advanceTimersByTimeAsync(1_000);
    wire.up = false;
    await vi.advanceTimersByTimeAsync(SILENT_AFTER_MS - BEAT_MS);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * BEAT_MS);
    expect(log.sort()).toEqual(['a silent', 'b silent']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(log).toHaveLength(2);
    expect(pa.silent).toBe(true);
    wire.up = true;
    await vi.advanceTimersByTimeAsync(BEAT_MS + 1);
    expect(log.slice(2).sort()).toEqual(['a heard', 'b heard']);
    expect(pa.silent).toBe(false);
  });

  it('a hidden page (its timers once a second) is heard through its echoes, and waits longer itself', async () => {
    const { log, wire } = pair({ hiddenB: true });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(log).toEqual([]);
    wire.up = false;
    await vi.advanceTimersByTimeAsync(SILENT_AFTER_MS + BEAT_MS);
    expect(log).toEqual(['a silent']);
    await vi.advanceTimersByTimeAsync(SILENT_AFTER_HIDDEN_MS - SILENT_AFTER_MS);
    expect(log).toEqual(['a silent', 'b silent']);
  });

  it('stops beating when stopped or when its channel closes', async () => {
    const { pa, pb, wire } = pair();
    pa.stop();
    pb.stop();
    const before = wire.sent;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(wire.sent).toBe(before);
  });
});

describe('recovery', () => {
  function recovery({ polite = false, canRestart = true } = {}) {
    const state = { polite, canRestart, offers: 0, restarts: [] as number[] };
    const hooks: RecoveryHooks = {
      canRestart: () => state.canRestart,
      polite: () => state.polite,
      negotiated: () => true,
      restart: () => state.restarts.push(performance.now()),
      offersReceived: () => state.offers,
      changed: () => {},
    };
    const r = new Recovery(hooks);
    r.onState('connected');
    return { r, state };
  }

  it('a silent pulse restarts the impolite side at once, though the browser still says connected', () => {
    const { r, state } = recovery();
    r.onSilent();
    expect(state.restarts).toHaveLength(1);
  });

  it('the polite side waits POLITE_SILENT_WAIT_MS for an offer, and restarts only if none came', async () => {
    const { r, state } = recovery({ polite: true });
    r.onSilent();
    await vi.advanceTimersByTimeAsync(POLITE_SILENT_WAIT_MS - 1);
    expect(state.restarts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.restarts).toHaveLength(1);

    const other = recovery({ polite: true });
    other.r.onSilent();
    other.state.offers += 1; // the impolite side's restart arrived
    await vi.advanceTimersByTimeAsync(POLITE_SILENT_WAIT_MS);
    expect(other.state.restarts).toHaveLength(0);
  });

  it('a restart owed while signaling is out of reach goes out at the next chance, polite or not', async () => {
    const { r, state } = recovery({ polite: true, canRestart: false });
    r.attempt({ now: true });
    expect(state.restarts).toHaveLength(0);
    state.canRestart = true;
    r.attempt(); // e.g. the room is live again
    expect(state.restarts).toHaveLength(1);
    r.attempt();
    expect(state.restarts).toHaveLength(1); // owed once, paid once; connected, nothing else due
  });

  it('hearing again ends the episode: no retries while connected, the next silence counts anew', async () => {
    const { r, state } = recovery();
    r.onSilent();
    r.onHeard();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(state.restarts).toHaveLength(1);
    r.onSilent();
    expect(state.restarts).toHaveLength(2);
  });

  it('without the pulse, "disconnected" keeps its grace, and the polite side its longer wait', async () => {
    const impolite = recovery();
    const polite = recovery({ polite: true });
    const t0 = performance.now();
    for (const { r } of [impolite, polite]) r.onState('disconnected');
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS - 1);
    expect(impolite.state.restarts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(impolite.state.restarts).toHaveLength(1);
    expect(polite.state.restarts).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(POLITE_RESTART_AFTER_MS + ICE_RETRY_MS); // the first retry after it
    expect(polite.state.restarts.length).toBeGreaterThan(0);
    expect(polite.state.restarts[0]! - t0).toBeGreaterThanOrEqual(POLITE_RESTART_AFTER_MS);
  });
});
