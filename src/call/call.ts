// The call in one room: which peer connection talks to whom, and what state the
// person is in. Inputs are the room document and the other person's outbox;
// `reconcile()` turns the latest of both into actions. It is safe to run it any
// number of times: every decision compares session and pc ids, so stale
// snapshots and messages from an earlier session are dropped, not applied.

import { createPeerLink, type PeerLink, type SignalMessage } from './peer.ts';
import {
  HEARTBEAT_MS,
  PRESENCE_TIMEOUT_MS,
  type Outbox,
  type PreOffer,
  type RoomBackend,
  type RoomView,
  type Seat,
  type Unsubscribe,
} from './backend.ts';

export type CallPhase =
  /** Alone in the room. `peerLeft` when someone was here and left. */
  | { kind: 'waiting'; peerLeft: boolean }
  /** The other person is here; media is being set up. */
  | { kind: 'connecting' }
  | { kind: 'connected' }
  /**
   * Media stopped flowing; trying to get it back. `offline`: we can't reach the
   * signaling server either (our network is down). `peerAway`: we can, so the
   * other person's page is gone or their network is down.
   */
  | { kind: 'reconnecting'; peerAway: boolean; offline: boolean }
  /** Three's a crowd: no seat for us. */
  | { kind: 'full' }
  /** We left, or lost our seat. */
  | { kind: 'ended'; reason: 'left' | 'seat-lost' | 'room-gone' };

export interface CallOptions {
  roomId: string;
  stream: MediaStream;
  rtcConfig: RTCConfiguration;
  onPhase: (phase: CallPhase) => void;
  onRemoteStream: (stream: MediaStream | null) => void;
  /** Each new peer connection of the call, with its data channel (src/call/channel.ts). */
  onPeer?: (pc: RTCPeerConnection, channel: RTCDataChannel) => void;
  /** Unexpected failures; the call tries to carry on. */
  fail: (error: unknown, context: string) => void;
  /** Called once per connection with ms from join() to connected (for diagnostics). */
  onConnectedAfter?: (ms: number) => void;
}

/** How long the pre-offer waits for ICE gathering before it is published anyway. */
const PRE_OFFER_GATHER_MS = 1_000;
/** Candidates and descriptions within this window go out in one write. */
const OUTBOX_BATCH_MS = 8;
/** How often seats are checked for staleness between snapshots. */
const PRESENCE_CHECK_MS = 5_000;
/** A "disconnected" connection gets this long to come back by itself before an ICE restart. */
const DISCONNECTED_GRACE_MS = 2_500;
/** While the connection stays down, ICE is restarted this often. */
const ICE_RETRY_MS = 5_000;
/**
 * The polite side restarts ICE only once the connection has been down this long: the
 * impolite side restarts first, and the polite side answers. Two restarts that cross
 * resolve (perfect negotiation), but the rollback they cost left media crawling at a few
 * frames a second on the polite side in the bench's repeated network cuts.
 */
const POLITE_RESTART_AFTER_MS = 12_000;
/** Catch-up heartbeats (our seat looks old to others) are at least this far apart. */
const CATCH_UP_BEAT_MS = 10_000;
/**
 * A seat this close to the presence timeout when we look at it means we were away (page
 * frozen, throttled or offline) long enough that the other person may have given up on
 * us: start over as a reload would. The margin covers the two sides' clock estimates.
 */
const START_OVER_AFTER_MS = PRESENCE_TIMEOUT_MS - 15_000;

interface Binding {
  link: PeerLink;
  /** Who this pc talks to; null while it is a pre-offer nobody has answered. */
  peerUid: string | null;
  peerSession: string | null;
  peerPc: string | null;
  /** Our descriptions and candidates, as the outbox carries them. */
  descN: number;
  description: RTCSessionDescriptionInit | null;
  candidates: RTCIceCandidateInit[];
  /** What we have applied from the other side. */
  appliedDescN: number;
  appliedCandidates: Set<string>;
  preOfferPublished: boolean;
  /** How many of our candidates went out inside the pre-offer's SDP. */
  publishedCandidates: number;
  /** Outbox writes made for this binding. */
  writes: number;
  everConnected: boolean;
  state: RTCPeerConnectionState;
  flushTimer: ReturnType<typeof setTimeout> | null;
  restartTimer: ReturnType<typeof setInterval> | null;
  /** When the connection went down (performance.now()), or 0 while it is up. */
  downSince: number;
}

export function newId(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 20);
}

export class Call {
  /** This page's session in the room; a new one when the call starts over. */
  private session = newId();
  private room: RoomView | null = null;
  private readonly inbox = new Map<string, Outbox>();
  private binding: Binding | null = null;
  private unsubs: Unsubscribe[] = [];
  private inboxUnsub: Unsubscribe | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private rejoining = false;
  private phase: CallPhase = { kind: 'waiting', peerLeft: false };
  private hadPeer = false;
  private ended = false;
  private joinedAt = 0;
  private lastRemote: MediaStream | null = null;
  private lastBeatAt = 0;

  constructor(
    private readonly backend: RoomBackend,
    private readonly options: CallOptions,
  ) {}

  get uid(): string {
    return this.backend.uid;
  }

  /** Joins the room. Resolves 'full' when there is no seat (nothing else happens then). */
  async start(): Promise<'joined' | 'full'> {
    const { roomId } = this.options;
    this.joinedAt = performance.now();
    const result = await this.backend.join(roomId, this.session);
    if (result.kind === 'full') {
      this.setPhase({ kind: 'full' });
      return 'full';
    }
    this.room = result.room;
    if (result.offer) this.answerPreOffer(result.offer);
    this.unsubs.push(
      this.backend.watchRoom(
        roomId,
        (room) => this.onRoom(room),
        (e) => this.options.fail(e, 'watching the room'),
      ),
    );
    this.subscribeInbox();
    this.heartbeatTimer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    // Presence is judged by time as well as by snapshots: a silent seat goes stale.
    this.tickTimer = setInterval(() => this.reconcile(), PRESENCE_CHECK_MS);
    this.reconcile();
    return 'joined';
  }

  /** Leaves for good: frees the seat. */
  async leave(): Promise<void> {
    if (this.ended) return;
    this.stop();
    this.setPhase({ kind: 'ended', reason: 'left' });
    await this.backend.leave(this.options.roomId);
  }

  /** Stops everything locally without touching the seat (page going away). */
  stop(): void {
    this.ended = true;
    this.unsubs.forEach((u) => u());
    this.unsubs = [];
    this.inboxUnsub?.();
    this.inboxUnsub = null;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.dropBinding();
  }

  /** Swaps the outgoing camera track without renegotiating. */
  async replaceVideoTrack(track: MediaStreamTrack): Promise<void> {
    await this.binding?.link.replaceVideoTrack(track);
  }

  /**
   * The page is in front again after being hidden or frozen (a phone's screen off):
   * timers were throttled or stopped meanwhile, so catch up now rather than at the
   * next tick: presence, the room, and the connection.
   */
  wake(): void {
    if (this.ended) return;
    this.reconcile();
    this.restartIce();
  }

  /** Asks for an ICE restart now if the connection is down (e.g. the network came back). */
  restartIce(): void {
    const b = this.binding;
    if (b) this.recover(b);
  }

  /**
   * Listens for the other person's outbox. The rules let only participants listen, so
   * the listener dies if our seat (or the whole room) vanishes; it is started again
   * once we hold a seat again.
   */
  private subscribeInbox(): void {
    if (this.inboxUnsub || this.ended) return;
    this.inboxUnsub = this.backend.watchInbox(
      this.options.roomId,
      (box) => {
        this.inbox.set(box.uid, box);
        this.reconcile();
      },
      (e) => {
        this.inboxUnsub = null;
        if ((e as { code?: string }).code !== 'permission-denied') this.options.fail(e, 'receiving signaling');
      },
    );
  }

  private async beat(): Promise<void> {
    this.lastBeatAt = performance.now();
    try {
      const status = await this.backend.heartbeat(this.options.roomId, this.session);
      if (status === 'lost' && !this.ended) {
        this.stop();
        this.setPhase({ kind: 'ended', reason: 'seat-lost' });
      }
    } catch (e) {
      // Offline: the SDK queues the write; presence catches up when the network returns.
      this.options.fail(e, 'refreshing presence');
    }
  }

  private onRoom(room: RoomView | null): void {
    if (this.ended) return;
    if (!room || !room.seats.some((s) => s.uid === this.uid)) {
      // Our seat is gone: the room was deleted (the other person left while we
      // were away, or the signaling store lost it), or we were away longer than the
      // presence timeout and someone took the seat. Take a seat again if there is
      // one; media that still flows keeps flowing meanwhile.
      void this.takeSeatAgain(room ? 'seat-lost' : 'room-gone');
      return;
    }
    const backOnline = room.live && this.room?.live === false;
    this.room = room;
    if (room.live) this.subscribeInbox();
    this.reconcile();
    if (backOnline && this.binding) this.recover(this.binding);
  }

  /**
   * Takes a seat again: our seat or the room vanished (`onRoom`), or we come back after so
   * long that the other person may have given up on us and closed their side of the
   * connection (`newSession`): then we come back exactly as a reload does, with a new
   * session in the same seat, so both sides set up a fresh connection instead of waiting
   * on a dead one. Media that still flows keeps flowing meanwhile otherwise.
   */
  private async takeSeatAgain(reason: 'seat-lost' | 'room-gone', { newSession = false } = {}): Promise<void> {
    if (this.rejoining) return;
    this.rejoining = true;
    try {
      if (newSession) {
        this.dropBinding();
        this.session = newId();
      }
      const result = await this.backend.join(this.options.roomId, this.session);
      if (this.ended) return;
      if (result.kind === 'full') {
        this.stop();
        this.setPhase({ kind: 'ended', reason });
        return;
      }
      // The room as the join read it, with our seat as the join wrote it.
      const room = result.room.seats.length ? result.room : this.room;
      const now = this.backend.now();
      if (room) this.room = { ...room, seats: room.seats.map((s) => (s.uid === this.uid ? { ...s, session: this.session, seenMs: now } : s)) };
      if (result.offer) {
        this.dropBinding();
        this.answerPreOffer(result.offer);
      }
      this.reconcile();
    } catch (e) {
      // Offline, most likely: the next room snapshot or tick tries again.
      this.options.fail(e, 'taking the seat again');
    } finally {
      this.rejoining = false;
    }
  }

  private other(): Seat | null {
    return this.room?.seats.find((s) => s.uid !== this.uid) ?? null;
  }

  private isStale(seat: Seat): boolean {
    return this.backend.now() - seat.seenMs > PRESENCE_TIMEOUT_MS;
  }

  /** The polite side yields in offer collisions; a stable choice for the pair. */
  private politeTowards(peerUid: string): boolean {
    return this.uid > peerUid;
  }

  private reconcile(): void {
    if (this.ended || !this.room) return;
    const mine = this.room.seats.find((s) => s.uid === this.uid);
    const age = mine ? this.backend.now() - mine.seenMs : 0;
    if (age > START_OVER_AFTER_MS) {
      void this.takeSeatAgain('seat-lost', { newSession: true });
      return;
    }
    // Our seat looks older to others than the heartbeat allows (this page was frozen or
    // throttled in the background): refresh it now, before they give up on us.
    if (age > HEARTBEAT_MS + CATCH_UP_BEAT_MS && performance.now() - this.lastBeatAt > CATCH_UP_BEAT_MS) void this.beat();
    const other = this.other();
    const b = this.binding;

    if (!other || this.isStale(other)) {
      // Alone (or with a ghost): be ready for the next person with a pre-offer. A
      // connection that still carries media is kept while the other person's seat is
      // merely missing: the signaling store may have lost the room (a restarted
      // backend) and they are taking their seat back. Someone who really left closes
      // their side, and ours follows within a second or two.
      if (b && b.peerUid && !this.keptWhileSeatMissing(other, b)) this.dropBinding();
      if (!this.binding) this.createPreOffer();
      this.updatePhase();
      return;
    }
    this.hadPeer = true;

    const box = this.inbox.get(other.uid);
    // Only the other person's current page, writing to our current page, counts.
    const validBox = box && box.session === other.session && box.toSession === this.session ? box : null;

    if (b && b.peerSession === other.session) {
      if (validBox) this.deliver(b, validBox);
      this.updatePhase();
      return;
    }

    if (b && b.peerUid === null) {
      const offerStillUp = this.room.offer?.pc === b.link.id;
      if (!offerStillUp && b.preOfferPublished) {
        // Our pre-offer was consumed by whoever took the seat: expect their answer.
        if (validBox && validBox.toPc === b.link.id) {
          this.bind(b, other, validBox.pc);
          this.deliver(b, validBox);
        }
        this.updatePhase();
        return;
      }
      // They arrived without seeing our pre-offer: negotiate directly instead.
      if (offerStillUp) void this.backend.clearOffer(this.options.roomId).catch((e) => this.options.fail(e, 'clearing the offer'));
    }

    // A new person, or the same person on a new page: a fresh peer connection.
    if (validBox && validBox.description?.type === 'offer' && validBox.toPc === '') {
      this.dropBinding();
      const nb = this.makeBinding({ offer: validBox.description, peer: other, peerPc: validBox.pc });
      nb.appliedDescN = validBox.descN;
      this.deliver(nb, validBox);
    } else if (!this.politeTowards(other.uid)) {
      if (!b || b.peerSession !== other.session || b.peerUid === null) {
        this.dropBinding();
        this.makeBinding({ peer: other, peerPc: null });
      }
    } else if (b) {
      // Polite: wait for their offer; the old connection is of no use any more.
      this.dropBinding();
    }
    this.updatePhase();
  }

  /** A connection that still carries media outlives a missing seat (see reconcile). */
  private keptWhileSeatMissing(other: Seat | null, b: Binding): boolean {
    return other === null && b.peerUid !== null && b.state === 'connected';
  }

  private answerPreOffer(offer: PreOffer): void {
    const peer = this.room?.seats.find((s) => s.uid === offer.uid);
    if (!peer || peer.session !== offer.session) return;
    const b = this.makeBinding({ offer: { type: 'offer', sdp: offer.sdp }, peer, peerPc: offer.pc });
    // The pre-offer is their first description: their outbox repeats it, and answering it
    // twice would cost a write and a renegotiation.
    b.appliedDescN = 1;
  }

  private createPreOffer(): void {
    const b = this.makeBinding({ peer: null, peerPc: null });
    void b.link
      .gathered(PRE_OFFER_GATHER_MS)
      .then(async () => {
        if (this.binding !== b || b.peerUid || !b.link.pc.localDescription) return;
        await this.backend.publishOffer(this.options.roomId, {
          uid: this.uid,
          session: this.session,
          pc: b.link.id,
          sdp: b.link.pc.localDescription.sdp,
        });
        b.preOfferPublished = true;
        b.publishedCandidates = b.candidates.length;
        this.reconcile();
      })
      .catch((e) => this.options.fail(e, 'publishing the offer'));
  }

  private makeBinding(args: {
    peer: Seat | null;
    peerPc: string | null;
    offer?: RTCSessionDescriptionInit;
  }): Binding {
    const id = newId();
    const peerUid = args.peer?.uid ?? null;
    const b: Binding = {
      link: null as unknown as PeerLink,
      peerUid,
      peerSession: args.peer?.session ?? null,
      peerPc: args.peerPc,
      descN: 0,
      description: null,
      candidates: [],
      appliedDescN: 0,
      appliedCandidates: new Set(),
      preOfferPublished: false,
      publishedCandidates: 0,
      writes: 0,
      everConnected: false,
      state: 'new',
      flushTimer: null,
      restartTimer: null,
      downSince: 0,
    };
    b.link = createPeerLink({
      id,
      polite: peerUid ? this.politeTowards(peerUid) : false,
      stream: this.options.stream,
      rtcConfig: this.options.rtcConfig,
      ...(args.offer ? { offer: args.offer } : {}),
      send: (m) => this.onLocalMessage(b, m),
      onRemoteStream: (s) => {
        if (this.binding === b) {
          this.lastRemote = s;
          this.options.onRemoteStream(s);
        }
      },
      onConnectionState: (state) => this.onConnectionState(b, state),
      onChannel: (channel) => {
        if (this.binding === b) this.options.onPeer?.(b.link.pc, channel);
      },
      fail: (e) => this.options.fail(e, 'negotiating the connection'),
    });
    this.binding = b;
    return b;
  }

  private bind(b: Binding, peer: Seat, peerPc: string): void {
    b.link.setPolite(this.politeTowards(peer.uid));
    b.peerUid = peer.uid;
    b.peerSession = peer.session;
    b.peerPc = peerPc;
    // Candidates gathered after the pre-offer was published still need to reach them;
    // the rest are in the SDP they already have.
    if (b.candidates.length > b.publishedCandidates) this.scheduleFlush(b);
  }

  private onLocalMessage(b: Binding, m: SignalMessage): void {
    if (m.description) {
      b.descN += 1;
      b.description = m.description;
      // A pre-offer is published whole (with its candidates) once gathering settles.
      if (b.peerUid === null) return;
    }
    if (m.candidate) {
      const ufrag = m.candidate.usernameFragment;
      // After an ICE restart only the new generation's candidates matter.
      if (ufrag && b.candidates.some((c) => c.usernameFragment && c.usernameFragment !== ufrag)) {
        b.candidates = b.candidates.filter((c) => c.usernameFragment === ufrag);
      }
      b.candidates.push(m.candidate);
      if (b.peerUid === null) return;
    }
    this.scheduleFlush(b);
  }

  private scheduleFlush(b: Binding): void {
    if (b.flushTimer) return;
    b.flushTimer = setTimeout(() => {
      b.flushTimer = null;
      if (this.binding !== b || !b.peerUid || !b.peerSession) return;
      // The first write of a binding that answers is what the other person is waiting for.
      const urgent = b.writes === 0 && b.description?.type === 'answer';
      b.writes += 1;
      this.backend
        .writeOutbox(this.options.roomId, {
          session: this.session,
          pc: b.link.id,
          to: b.peerUid,
          toSession: b.peerSession,
          toPc: b.peerPc ?? '',
          descN: b.descN,
          description: b.description,
          candidates: b.candidates,
        }, urgent)
        .catch((e) => this.options.fail(e, 'sending signaling'));
    }, OUTBOX_BATCH_MS);
  }

  /** Applies whatever in their outbox is new to us. */
  private deliver(b: Binding, box: Outbox): void {
    if (b.peerPc === null) b.peerPc = box.pc;
    if (box.pc !== b.peerPc) {
      // Their new peer connection offers afresh: start over with it.
      if (box.description?.type === 'offer' && box.toPc === '') {
        this.dropBinding();
        this.reconcile();
      }
      return;
    }
    if (box.toPc !== '' && box.toPc !== b.link.id) return; // meant for an older pc of ours
    if (box.description && box.descN > b.appliedDescN) {
      b.appliedDescN = box.descN;
      b.link.receive({ description: box.description });
      // Candidates seen before this description may have been refused (those of an offer
      // we ignored in a collision carry the same ICE credentials as the answer that
      // follows it): the box holds only the current generation's, so offer them all again.
      b.appliedCandidates.clear();
    }
    for (const c of box.candidates) {
      const key = `${c.usernameFragment ?? ''}|${c.candidate}`;
      if (b.appliedCandidates.has(key)) continue;
      b.appliedCandidates.add(key);
      b.link.receive({ candidate: c });
    }
  }

  private onConnectionState(b: Binding, state: RTCPeerConnectionState): void {
    if (this.binding !== b) return;
    b.state = state;
    if (state === 'connected') {
      if (!b.everConnected) this.options.onConnectedAfter?.(performance.now() - this.joinedAt);
      b.everConnected = true;
      if (b.restartTimer) clearInterval(b.restartTimer);
      b.restartTimer = null;
      b.downSince = 0;
    } else if ((state === 'disconnected' || state === 'failed') && !b.restartTimer) {
      b.downSince = performance.now();
      // Often a blip that heals by itself within a couple of seconds. If not, restart
      // ICE, and keep restarting while the connection stays down: an interface that
      // disappeared and came back (network lost, Wi-Fi to mobile) yields new
      // candidates only to a fresh gathering. Neither browser recovers from
      // "failed" on its own.
      b.restartTimer = setInterval(() => this.recover(b), ICE_RETRY_MS);
      setTimeout(() => this.recover(b), DISCONNECTED_GRACE_MS);
    }
    // Decisions kept while the connection was up (see reconcile) are taken now.
    if (state !== 'connected') this.reconcile();
    else this.updatePhase();
  }

  private recover(b: Binding): void {
    if (this.binding !== b || b.state === 'connected' || !b.peerUid) return;
    // Offline: the offer could not leave, and a gathering would find nothing new. The
    // room snapshot that says we are back calls this again.
    if (!this.room?.live) return;
    if (this.politeTowards(b.peerUid) && performance.now() - b.downSince < POLITE_RESTART_AFTER_MS) return;
    // Don't pile restarts on a negotiation still waiting for its answer.
    if (b.link.pc.signalingState === 'stable') b.link.restartIce();
  }

  private dropBinding(): void {
    const b = this.binding;
    if (!b) return;
    if (b.flushTimer) clearTimeout(b.flushTimer);
    if (b.restartTimer) clearInterval(b.restartTimer);
    b.link.close();
    this.binding = null;
    if (this.lastRemote) {
      this.lastRemote = null;
      this.options.onRemoteStream(null);
    }
  }

  private updatePhase(): void {
    if (this.ended) return;
    const other = this.other();
    const b = this.binding;
    if (b && this.keptWhileSeatMissing(other, b)) return; // see reconcile
    if (!other || this.isStale(other)) {
      this.setPhase({ kind: 'waiting', peerLeft: this.hadPeer });
      return;
    }
    if (b && b.peerSession === other.session && b.state === 'connected') {
      this.setPhase({ kind: 'connected' });
      return;
    }
    const wasTalking = this.phase.kind === 'connected' || this.phase.kind === 'reconnecting';
    if (wasTalking || b?.everConnected) {
      const offline = !this.room?.live;
      const peerAway = !offline && (!b || b.peerSession !== other.session || b.state === 'failed' || b.state === 'closed');
      this.setPhase({ kind: 'reconnecting', peerAway, offline });
      return;
    }
    this.setPhase({ kind: 'connecting' });
  }

  private setPhase(phase: CallPhase): void {
    if (JSON.stringify(phase) === JSON.stringify(this.phase)) return;
    this.phase = phase;
    this.options.onPhase(phase);
  }

  /** For tests and diagnostics. */
  get current(): CallPhase {
    return this.phase;
  }
}
