// The call's decisions, in milliseconds: pairing, pre-offers, reloads, stale seats, a
// lost backend, ICE-restart roles and the phase shown. Firestore is replaced by an
// in-memory backend with the same ordering and staleness semantics, and
// RTCPeerConnection by a small negotiation model (test/unit/fakes/): the browser
// suites prove the real parts; these prove the decisions, under fake timers.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Call, type CallPhase } from '../../src/call/call.ts';
import { HEARTBEAT_MS, PRESENCE_TIMEOUT_MS } from '../../src/call/backend.ts';
import { ANSWER_WITH_SEAT_WAIT_MS } from '../../src/call/head-start.ts';
import { POLITE_RESTART_AFTER_MS } from '../../src/call/recovery.ts';
import { FakeNetwork, type FakeLink } from './fakes/fake-peer.ts';
import { MemoryServer, type MemoryBackend } from './fakes/memory-backend.ts';

const ROOM = 'room-1';

interface Person {
  name: string;
  backend: MemoryBackend;
  call: Call;
  phases: CallPhase[];
  errors: unknown[];
  links: FakeLink[];
}

let server: MemoryServer;
let net: FakeNetwork;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  server = new MemoryServer();
  net = new FakeNetwork();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A person's page: a Call over the in-memory backend, with uid `uid`. */
function page(name: string, uid: string, backend = server.client(uid), { answerDelayMs = 0 } = {}): Person {
  const p: Person = { name, backend, phases: [], errors: [], links: [], call: null as unknown as Call };
  p.call = new Call(backend, {
    roomId: ROOM,
    stream: {} as MediaStream,
    rtcConfig: {},
    onPhase: (phase) => p.phases.push(phase),
    onRemoteStream: () => {},
    fail: (e) => p.errors.push(e),
    createLink: (o) => {
      // `answerDelayMs`: what a connection that answers makes comes that much later (a slow phone).
      const send: typeof o.send = (m) => (answerDelayMs && o.offer ? void setTimeout(() => o.send(m), answerDelayMs) : o.send(m));
      const link = net.factory({ ...o, send }) as FakeLink;
      p.links.push(link);
      return link;
    },
  });
  return p;
}

const phase = (p: Person) => p.call.current.kind;

/** Awaits `work`, letting fake time run meanwhile (the backend's round trips need it). */
async function run<T>(work: Promise<T>, what: string): Promise<T> {
  let done = false;
  const out = work.finally(() => (done = true));
  for (let t = 0; !done; t += 5) {
    if (t > 10_000) throw new Error(`${what} never finished`);
    await vi.advanceTimersByTimeAsync(5);
  }
  return out;
}
const join = (p: Person) => run(p.call.start(), `${p.name}'s join`);
const openLink = (p: Person) => p.links.filter((l) => !l.closed);
const wait = (ms: number) => vi.advanceTimersByTimeAsync(ms);

async function until(check: () => boolean, within = 30_000, step = 10): Promise<void> {
  for (let t = 0; t < within; t += step) {
    if (check()) return;
    await wait(step);
  }
  throw new Error(`condition not met within ${within} ms of fake time`);
}

async function callOf(a = page('Ana', 'uid-a'), b = page('Ben', 'uid-b'), gap = 2_000): Promise<[Person, Person]> {
  expect(await join(a)).toBe('joined');
  await wait(gap);
  expect(await join(b)).toBe('joined');
  await until(() => phase(a) === 'connected' && phase(b) === 'connected');
  return [a, b];
}

describe('two people meet', { timeout: 15_000 }, () => {
  it('the joiner answers the waiting person’s pre-offer: one connection each, talking to each other', async () => {
    const [a, b] = await callOf();
    expect(openLink(a)).toHaveLength(1);
    expect(openLink(b)).toHaveLength(1);
    expect(openLink(a)[0]!.partner()).toBe(openLink(b)[0]);
    // Ben answered the pre-offer he got inside the join: no second offer/answer round.
    expect(openLink(b)[0]!.received.filter((m) => m.description)).toHaveLength(0);
    // Straight to connected: never a 'reconnecting' or 'no-path' on the way. ('connecting'
    // may not show at all: Ben's seat and his answer reach Ana in one write.)
    expect(a.phases.map((p) => p.kind).filter((k) => k !== 'connecting')).toEqual(['connected']);
    expect(b.phases.map((p) => p.kind).filter((k) => k !== 'connecting')).toEqual(['connected']);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('writes per setup stay flat: the room with the pre-offer, the join with the answer, one outbox write each way at most', async () => {
    await callOf();
    const kinds = server.writes.map((w) => `${w.uid}:${w.kind}`);
    expect(kinds.slice(0, 2)).toEqual(['uid-a:join with the offer', 'uid-b:join']);
    expect(kinds.filter((k) => k.endsWith(':offer'))).toHaveLength(0);
    expect(server.writes.length).toBeLessThanOrEqual(5);
  });

  it('the pre-offer’s connection becomes polite or impolite once someone answers it (both impolite deadlocked)', async () => {
    const [a, b] = await callOf(page('Ana', 'uid-z'), page('Ben', 'uid-a'));
    const [la, lb] = [openLink(a)[0]!, openLink(b)[0]!];
    expect(la.polite).not.toBe(lb.polite);
    expect(la.polite).toBe('uid-z' > 'uid-a');
  });

  it('the room is created with the pre-offer: someone who joins the moment it exists answers it (no direct offer)', async () => {
    const a = page('Ana', 'uid-a');
    const b = page('Ben', 'uid-b');
    await join(a);
    expect(server.rooms.get(ROOM)!.offer?.pc).toBe(a.links[0]!.id);
    await join(b); // at once
    await until(() => phase(a) === 'connected' && phase(b) === 'connected');
    // One connection each, ever: Ben answered the pre-offer, nobody offered afresh.
    expect(a.links).toHaveLength(1);
    expect(b.links).toHaveLength(1);
    expect(b.links[0]!.received.filter((m) => m.description)).toHaveLength(0);
  });

  it('a pre-offer not ready when the room is created follows in its own write', async () => {
    net.offerDelayMs = 1_000; // Ana's offer takes longer than the creation waits for it
    const a = page('Ana', 'uid-a');
    await join(a);
    net.offerDelayMs = 0;
    expect(server.rooms.get(ROOM)!.offer).toBeNull();
    await until(() => server.rooms.get(ROOM)!.offer !== null);
    expect(server.writes.map((w) => w.kind)).toEqual(['join', 'offer']);
    const b = page('Ben', 'uid-b');
    await join(b);
    await until(() => phase(a) === 'connected' && phase(b) === 'connected');
    // Ben answered the published pre-offer: nobody offered afresh.
    expect(b.links[0]!.received.filter((m) => m.description)).toHaveLength(0);
  });

  it('someone who arrives before the pre-offer is published still connects (direct offer), and the stale pre-offer is cleared', async () => {
    net.offerDelayMs = 1_000; // the room is created without it, and Ben comes at once
    const a = page('Ana', 'uid-a');
    const b = page('Ben', 'uid-b');
    await join(a);
    net.offerDelayMs = 0;
    await join(b);
    await until(() => phase(a) === 'connected' && phase(b) === 'connected');
    await until(() => server.rooms.get(ROOM)!.offer === null);
    expect(openLink(a)).toHaveLength(1);
    expect(openLink(b)).toHaveLength(1);
  });

  it('the joiner makes its answer while its seat commits, and commits it with the seat: one write, never before', async () => {
    const a = page('Ana', 'uid-a');
    const b = page('Ben', 'uid-b');
    await join(a);
    await wait(2_000); // Ana's pre-offer is out
    let seated = false;
    const started = b.call.start().then((r) => ((seated = true), r));
    await until(() => b.links.length === 1, 1_000, 1);
    // The answering connection exists before the join has committed.
    expect(seated).toBe(false);
    expect(await run(started, "Ben's join")).toBe('joined');
    await until(() => phase(a) === 'connected' && phase(b) === 'connected');
    // That same connection carries the call; its answer (and the candidate it had) went out
    // with the seat, and nothing was written again.
    expect(openLink(b)).toEqual([b.links[0]]);
    expect(server.writes.filter((w) => w.uid === 'uid-b').map((w) => w.kind)).toEqual(['join', 'outbox with the seat']);
  });

  it('an answer not made within ANSWER_WITH_SEAT_WAIT_MS lets the seat go alone; the answer follows in its own write', async () => {
    const a = page('Ana', 'uid-a');
    const b = page('Ben', 'uid-b', undefined, { answerDelayMs: ANSWER_WITH_SEAT_WAIT_MS + 1_000 });
    await join(a);
    await wait(2_000); // Ana's pre-offer is out
    const t0 = Date.now();
    expect(await join(b)).toBe('joined');
    // The join waited for the answer no longer than its bound.
    expect(Date.now() - t0).toBeLessThan(ANSWER_WITH_SEAT_WAIT_MS + 500);
    await until(() => phase(a) === 'connected' && phase(b) === 'connected');
    expect(openLink(b)).toEqual([b.links[0]]);
    expect(server.writes.filter((w) => w.uid === 'uid-b').map((w) => w.kind)).toEqual(['join', 'outbox']);
  });

  it('a third person is told the room is full and never touches the call', async () => {
    const [a, b] = await callOf();
    const c = page('Cy', 'uid-c');
    expect(await join(c)).toBe('full');
    expect(phase(c)).toBe('full');
    expect(c.links).toHaveLength(0);
    await wait(5_000);
    expect(phase(a)).toBe('connected');
    expect(phase(b)).toBe('connected');
  });
});

describe('people come back', () => {
  it('a Join given up while its seat commits starts nothing; the same person’s next Join takes that seat back and the call connects', async () => {
    const a = page('Ana', 'uid-a');
    const ben = server.client('uid-b');
    const late = page('Ben', 'uid-b', ben);
    const starting = late.call.start(); // the app gives up on it before the commit (JOIN_STEP_DEADLINE_MS)
    late.call.stop();
    expect(await run(starting, "Ben's abandoned join")).toBe('joined');
    await wait(1_000);
    expect(late.links.filter((l) => !l.closed)).toHaveLength(0); // no connection left open
    expect(late.phases).toEqual([]); // it never showed a phase
    expect((ben as unknown as { rooms: Map<unknown, string> }).rooms.size).toBe(0); // and left no room listener running
    expect(await join(a)).toBe('joined');
    const b = page('Ben', 'uid-b', ben); // the retry: same person, new Call
    expect(await join(b)).toBe('joined');
    await until(() => phase(a) === 'connected' && phase(b) === 'connected');
    expect(server.rooms.get(ROOM)?.seats.size).toBe(2);
  });

  it('a reload (same person, new page session) makes one fresh connection on both sides; the old page’s outbox is ignored', async () => {
    const [a, b] = await callOf();
    const before = openLink(a)[0]!;
    b.call.stop(); // the page goes away without leaving (reload)
    const b2 = page('Ben again', 'uid-b');
    expect(await join(b2)).toBe('joined');
    await until(() => phase(b2) === 'connected' && phase(a) === 'connected' && openLink(a)[0] !== before);
    expect(before.closed).toBe(true);
    expect(openLink(a)).toHaveLength(1);
    expect(openLink(a)[0]!.partner()).toBe(openLink(b2)[0]);
  });

  it('a page that stopped without leaving frees its seat after the presence timeout: the other waits, a newcomer gets the seat', async () => {
    const [a, b] = await callOf();
    b.call.stop();
    await wait(PRESENCE_TIMEOUT_MS + 10_000);
    expect(a.call.current).toEqual({ kind: 'waiting', peerLeft: true });
    const c = page('Cy', 'uid-c');
    expect(await join(c)).toBe('joined');
    await until(() => phase(a) === 'connected' && phase(c) === 'connected');
    expect(server.view(ROOM)!.seats.map((s) => s.uid).sort()).toEqual(['uid-a', 'uid-c']);
  });

  it('heartbeats keep a quiet call’s seats fresh: nobody is dropped after several presence timeouts', async () => {
    const [a, b] = await callOf();
    await wait(3 * PRESENCE_TIMEOUT_MS);
    expect(phase(a)).toBe('connected');
    expect(phase(b)).toBe('connected');
    expect(server.writes.filter((w) => w.kind === 'heartbeat').length).toBeGreaterThanOrEqual((2 * 3 * PRESENCE_TIMEOUT_MS) / HEARTBEAT_MS - 2);
  });

  it('a backend that loses every room mid-call: both take their seats back and the live connection is never dropped', async () => {
    const [a, b] = await callOf();
    const [la, lb] = [openLink(a)[0]!, openLink(b)[0]!];
    server.wipe();
    await until(() => server.view(ROOM)?.seats.length === 2, 10_000);
    await wait(10_000);
    expect(la.closed).toBe(false);
    expect(lb.closed).toBe(false);
    expect(phase(a)).toBe('connected');
    expect(phase(b)).toBe('connected');
  });

  it('a lost room found by a heartbeat before any listener tells: both take their seats back, the call goes on', async () => {
    const [a, b] = await callOf();
    const [la, lb] = [openLink(a)[0]!, openLink(b)[0]!];
    server.wipe({ silently: true });
    await until(() => server.view(ROOM)?.seats.length === 2, HEARTBEAT_MS + 10_000);
    await wait(10_000);
    expect(la.closed).toBe(false);
    expect(lb.closed).toBe(false);
    expect(phase(a)).toBe('connected');
    expect(phase(b)).toBe('connected');
  });

  it('leaving frees the seat at once and the other person is told, then waits for someone new', async () => {
    const [a, b] = await callOf();
    await run(b.call.leave(), 'leaving');
    await until(() => a.call.current.kind === 'waiting');
    expect(a.call.current).toEqual({ kind: 'waiting', peerLeft: true });
    expect(server.view(ROOM)!.seats.map((s) => s.uid)).toEqual(['uid-a']);
    // Ana is ready for the next person with a fresh pre-offer.
    await until(() => server.rooms.get(ROOM)!.offer !== null);
  });
});

describe('the network drops', () => {
  it('the impolite side restarts ICE first; the polite side waits its turn, and the call comes back without crossing offers', async () => {
    const [a, b] = await callOf();
    const links = [openLink(a)[0]!, openLink(b)[0]!];
    const impolite = links.find((l) => !l.polite)!;
    const polite = links.find((l) => l.polite)!;
    net.cut();
    await wait(9_000);
    expect(impolite.restarts).toBeGreaterThanOrEqual(1);
    expect(polite.restarts).toBe(0);
    net.restore();
    await until(() => phase(a) === 'connected' && phase(b) === 'connected');
    expect(polite.offersIgnored + impolite.offersIgnored).toBe(0);
  });

  it('after a long cut (both failed) the call recovers by a restart, with the same two connections', async () => {
    const [a, b] = await callOf();
    const links = [openLink(a)[0]!, openLink(b)[0]!];
    net.cut();
    await wait(POLITE_RESTART_AFTER_MS + 20_000);
    expect(a.call.current).toMatchObject({ kind: 'reconnecting' });
    net.restore();
    await until(() => phase(a) === 'connected' && phase(b) === 'connected', 15_000);
    expect([openLink(a)[0], openLink(b)[0]]).toEqual(links);
  });

  it('no ICE restart goes out while our signaling is offline; one goes out as soon as the room is live again', async () => {
    const [a, b] = await callOf(page('Ana', 'uid-a'), page('Ben', 'uid-z'));
    const la = openLink(a)[0]!;
    expect(la.polite).toBe(false); // Ana would restart first
    a.backend.setOffline(true);
    net.cut();
    await wait(POLITE_RESTART_AFTER_MS + 5_000);
    expect(la.restarts).toBe(0);
    expect(a.call.current).toMatchObject({ kind: 'reconnecting', offline: true });
    a.backend.setOffline(false);
    await wait(100);
    expect(la.restarts).toBe(1);
    net.restore();
    await until(() => phase(a) === 'connected' && phase(b) === 'connected', 15_000);
  });
});

describe('no path between the two networks', () => {
  it('both descriptions exchanged but never connected: the person is told after 12 s, not left on a spinner', async () => {
    net.up = false; // nothing gets through, as behind two symmetric NATs without a relay
    const a = page('Ana', 'uid-a');
    const b = page('Ben', 'uid-b');
    await join(a);
    await wait(2_000);
    await join(b);
    await wait(5_000);
    expect(phase(b)).toBe('connecting');
    await until(() => phase(a) === 'no-path' && phase(b) === 'no-path', 10_000);
    net.up = true;
    net.restore();
  });

  const relay: RTCConfiguration = { iceServers: [{ urls: 'turn:relay.example.org:3478', username: '1:uid-b', credential: 'c' }] };

  it('relay credentials that come after Join: a connection not connected 2.5 s later restarts ICE with them', async () => {
    net.up = false; // no path without a relay, as behind two symmetric NATs
    const a = page('Ana', 'uid-a');
    const b = page('Ben', 'uid-b');
    await join(a);
    await wait(2_000);
    await join(b);
    b.call.relayArrived(relay);
    await wait(2_400);
    expect(openLink(b)[0]!.restartConfigs).toEqual([]); // a direct path still has its chance
    net.up = true; // what the relay brings: a path (the fake network has no candidates)
    await wait(200);
    expect(openLink(b)[0]!.restartConfigs).toEqual([relay]);
    await until(() => phase(a) === 'connected' && phase(b) === 'connected', 5_000);
    expect(openLink(a)[0]!.restarts).toBe(0);
  });

  it('relay credentials that come while the first person waits alone: once someone answers and 2.5 s pass unconnected, she restarts with them', async () => {
    net.up = false;
    const a = page('Ana', 'uid-a');
    const b = page('Ben', 'uid-b');
    await join(a);
    a.call.relayArrived(relay); // her pre-offer went out without them; nobody to restart towards yet
    await wait(3_000);
    expect(openLink(a)[0]!.restartConfigs).toEqual([]);
    await join(b); // Ben answers the pre-offer: from here the grace runs
    await wait(2_300);
    expect(openLink(a)[0]!.restartConfigs).toEqual([]);
    net.up = true;
    await wait(400);
    expect(openLink(a)[0]!.restartConfigs).toEqual([relay]);
    await until(() => phase(a) === 'connected' && phase(b) === 'connected', 5_000);
  });

  it('relay credentials that come once the call is connected change nothing now (the next connection starts with them)', async () => {
    const [a, b] = await callOf();
    b.call.relayArrived(relay);
    await wait(5_000);
    expect(openLink(a)[0]!.restarts + openLink(b)[0]!.restarts).toBe(0);
    expect(phase(b)).toBe('connected');
  });
});
