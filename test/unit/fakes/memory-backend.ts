// An in-memory RoomBackend, faithful to the Firestore one where the call's decisions
// depend on it, for unit tests of those decisions in milliseconds. Not used by any
// test that claims to test signaling or rules: those run on the real emulator.
//
// Same as Firestore (src/signaling/firestore.ts + firestore.rules):
// - join is one transaction: a fresh seat of the same uid is retaken (new session),
//   stale seats (older than the presence timeout + slack) are freed, a third fresh
//   person gets 'full', the waiting person's pre-offer is consumed by the joiner;
// - listeners get every change in write order, after a network delay, and the room
//   listener gets an initial snapshot (null once the room is gone);
// - the writer's own room listener sees its write first (latency compensation);
// - only seat holders may write outboxes; each uid has one outbox, replaced whole.
// Different, on purpose: no offline queue (a write while `offline` rejects, as the
// "urgent" path does), no server timestamps estimate (one clock for all), no
// permission-denied listener deaths (listeners simply keep listening).

import type { JoinHooks, JoinResult, Outbox, PreOffer, RoomBackend, RoomView, Unsubscribe } from '../../../src/call/backend.ts';
import { mayFreeSeat } from '../../../src/call/backend.ts';

/** One-way delay between a client and the server. */
const LATENCY_MS = 20;

interface StoredRoom {
  seats: Map<string, { session: string; seenMs: number }>;
  offer: PreOffer | null;
  outboxes: Map<string, Outbox>;
}

type RoomListener = { uid: string; roomId: string; cb: (room: RoomView | null) => void };
type InboxListener = { uid: string; roomId: string; cb: (box: Outbox) => void };

export class MemoryServer {
  readonly rooms = new Map<string, StoredRoom>();
  private roomListeners = new Set<RoomListener>();
  private inboxListeners = new Set<InboxListener>();
  /** Every write, in order, for assertions about cost. */
  readonly writes: { uid: string; kind: string }[] = [];

  client(uid: string): MemoryBackend {
    return new MemoryBackend(this, uid);
  }

  /**
   * The backend lost everything (a restarted emulator): rooms and outboxes gone. `silently`:
   * listeners are not told (a listener that reconnects later than the next heartbeat).
   */
  wipe({ silently = false } = {}): void {
    const ids = [...this.rooms.keys()];
    this.rooms.clear();
    if (!silently) for (const id of ids) this.notifyRoom(id, null);
  }

  view(roomId: string): RoomView | null {
    const r = this.rooms.get(roomId);
    if (!r) return null;
    return { seats: [...r.seats].map(([uid, s]) => ({ uid, ...s })), offer: r.offer, live: true };
  }

  later(fn: () => void, ms = LATENCY_MS): void {
    setTimeout(fn, ms);
  }

  notifyRoom(roomId: string, writer: string | null): void {
    const view = this.view(roomId);
    for (const l of this.roomListeners) {
      if (l.roomId !== roomId) continue;
      // The writer sees its own write at once; everyone else a round trip later.
      this.later(() => this.roomListeners.has(l) && l.cb(view && structuredClone(view)), l.uid === writer ? 0 : LATENCY_MS);
    }
  }

  notifyInbox(roomId: string, box: Outbox): void {
    for (const l of this.inboxListeners) {
      if (l.roomId === roomId && l.uid === box.to) this.later(() => this.inboxListeners.has(l) && l.cb(structuredClone(box)));
    }
  }

  listenRoom(l: RoomListener): Unsubscribe {
    this.roomListeners.add(l);
    const view = this.view(l.roomId);
    this.later(() => this.roomListeners.has(l) && l.cb(view && structuredClone(view)));
    return () => this.roomListeners.delete(l);
  }

  listenInbox(l: InboxListener): Unsubscribe {
    this.inboxListeners.add(l);
    const boxes = [...(this.rooms.get(l.roomId)?.outboxes.values() ?? [])].filter((b) => b.to === l.uid);
    this.later(() => boxes.forEach((b) => this.inboxListeners.has(l) && l.cb(structuredClone(b))));
    return () => this.inboxListeners.delete(l);
  }
}

export class MemoryBackend implements RoomBackend {
  /** While true, every request fails as it would offline, and room views are not live. */
  private offline = false;
  private readonly rooms = new Map<(room: RoomView | null) => void, string>();

  constructor(
    private readonly server: MemoryServer,
    readonly uid: string,
  ) {}

  now(): number {
    return Date.now();
  }

  private async roundTrip<T>(work: () => T): Promise<T> {
    if (this.offline) throw Object.assign(new Error('offline'), { code: 'unavailable' });
    await new Promise((r) => setTimeout(r, LATENCY_MS));
    const result = work();
    await new Promise((r) => setTimeout(r, LATENCY_MS));
    return result;
  }

  private write(kind: string): void {
    this.server.writes.push({ uid: this.uid, kind });
  }

  /**
   * As the Firestore transaction: a read (one round trip), after which `hooks.offer` makes the
   * pre-offer of a room it creates, or `hooks.answer` hears of the pre-offer it consumes, then
   * the commit (another). The server decides atomically: a room created meanwhile by someone
   * else turns the creation into a join, as the transaction's retry would.
   */
  async join(roomId: string, session: string, hooks: JoinHooks = {}): Promise<JoinResult> {
    if (this.offline) throw Object.assign(new Error('offline'), { code: 'unavailable' });
    await new Promise((r) => setTimeout(r, LATENCY_MS));
    const preOffer = !this.server.rooms.has(roomId) && hooks.offer ? await hooks.offer() : null;
    const result = this.joinOnServer(roomId, session, preOffer);
    await new Promise((r) => setTimeout(r, LATENCY_MS));
    if (result.kind === 'joined' && result.offer) {
      const offer = result.offer;
      // The answer the caller hands back goes out with the commit (here: once it is made;
      // the seat was already decided at the read).
      const answer = await hooks.answer?.(offer, result.room.seats.find((s) => s.uid === offer.uid)!);
      if (answer && this.server.rooms.get(roomId)?.seats.get(this.uid)?.session === session) {
        this.storeOutbox(roomId, answer, 'outbox with the seat');
        result.answerWithSeat = true;
      }
    }
    await new Promise((r) => setTimeout(r, 2 * LATENCY_MS));
    return result;
  }

  private joinOnServer(roomId: string, session: string, preOffer: PreOffer | null): JoinResult {
    {
      const { server, uid } = this;
      const now = this.now();
      let room = server.rooms.get(roomId);
      if (!room) {
        room = { seats: new Map([[uid, { session, seenMs: now }]]), offer: preOffer, outboxes: new Map() };
        server.rooms.set(roomId, room);
        this.write(preOffer ? 'join with the offer' : 'join');
        server.notifyRoom(roomId, uid);
        return { kind: 'joined', offer: null, room: { seats: [], offer: null, live: true }, offerWithRoom: !!preOffer };
      }
      const before = server.view(roomId)!;
      if (room.seats.has(uid)) {
        room.seats.set(uid, { session, seenMs: now });
        this.write('join');
        server.notifyRoom(roomId, uid);
        return { kind: 'joined', offer: null, room: before };
      }
      const fresh = before.seats.filter((s) => !mayFreeSeat(s, now));
      if (fresh.length >= 2) return { kind: 'full' };
      for (const s of before.seats) if (!fresh.includes(s)) room.seats.delete(s.uid);
      room.seats.set(uid, { session, seenMs: now });
      const o = room.offer;
      const offer = o && fresh.some((s) => s.uid === o.uid && s.session === o.session) ? o : null;
      room.offer = null;
      this.write('join');
      server.notifyRoom(roomId, uid);
      return { kind: 'joined', offer, room: { seats: fresh, offer: null, live: true } };
    }
  }

  /** Going offline or back online: room listeners get a snapshot saying so (as Firestore's metadata changes do). */
  setOffline(offline: boolean): void {
    this.offline = offline;
    for (const [cb, roomId] of this.rooms) {
      const view = this.server.view(roomId);
      if (view) this.server.later(() => this.rooms.has(cb) && cb({ ...structuredClone(view), live: !offline }), 0);
    }
  }

  watchRoom(roomId: string, onRoom: (room: RoomView | null) => void): Unsubscribe {
    this.rooms.set(onRoom, roomId);
    const stop = this.server.listenRoom({
      uid: this.uid,
      roomId,
      cb: (room) => {
        if (this.offline) return; // nothing new arrives from the server
        onRoom(room);
      },
    });
    return () => {
      this.rooms.delete(onRoom);
      stop();
    };
  }

  watchInbox(roomId: string, onOutbox: (box: Outbox) => void): Unsubscribe {
    return this.server.listenInbox({ uid: this.uid, roomId, cb: (box) => !this.offline && onOutbox(box) });
  }

  writeOutbox(roomId: string, box: Omit<Outbox, 'uid'>): Promise<void> {
    return this.roundTrip(() => {
      const room = this.server.rooms.get(roomId);
      if (!room?.seats.has(this.uid)) throw Object.assign(new Error('no seat'), { code: 'permission-denied' });
      this.storeOutbox(roomId, box, 'outbox');
    });
  }

  /** Replaces this user's outbox on the server (a seat holder's) and tells the addressee. */
  private storeOutbox(roomId: string, box: Omit<Outbox, 'uid'>, kind: string): void {
    const full: Outbox = { ...structuredClone(box), uid: this.uid };
    this.server.rooms.get(roomId)!.outboxes.set(this.uid, full);
    this.write(kind);
    this.server.notifyInbox(roomId, full);
  }

  publishOffer(roomId: string, offer: PreOffer): Promise<void> {
    return this.roundTrip(() => {
      const room = this.server.rooms.get(roomId);
      if (!room) throw Object.assign(new Error('no room'), { code: 'not-found' });
      room.offer = offer;
      this.write('offer');
      this.server.notifyRoom(roomId, this.uid);
    });
  }

  clearOffer(roomId: string): Promise<void> {
    return this.roundTrip(() => {
      const room = this.server.rooms.get(roomId);
      if (!room) return;
      room.offer = null;
      this.write('offer');
      this.server.notifyRoom(roomId, this.uid);
    });
  }

  heartbeat(roomId: string, session: string): Promise<'ok' | 'lost'> {
    return this.roundTrip(() => {
      const seat = this.server.rooms.get(roomId)?.seats.get(this.uid);
      if (!seat) return 'lost' as const;
      seat.session = session;
      seat.seenMs = this.now();
      this.write('heartbeat');
      this.server.notifyRoom(roomId, this.uid);
      return 'ok' as const;
    });
  }

  leave(roomId: string): Promise<void> {
    return this.roundTrip(() => {
      const room = this.server.rooms.get(roomId);
      if (!room?.seats.has(this.uid)) return;
      const others = [...room.seats].filter(([uid, s]) => uid !== this.uid && !mayFreeSeat(s, this.now()));
      if (others.length === 0) this.server.rooms.delete(roomId);
      else {
        room.seats.delete(this.uid);
        room.outboxes.delete(this.uid);
      }
      this.write('leave');
      this.server.notifyRoom(roomId, this.uid);
    });
  }
}
