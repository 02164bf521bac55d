// The call in one room: our seat (join, leave, take it back), the listeners on the
// room and our inbox, and the phase shown. Which peer connection talks to whom is
// pairing.ts; how one connection works, connection.ts (outbox.ts, recovery.ts); what
// the person is shown when, phase.ts; heartbeats and staleness, presence.ts.

import type { RoomBackend, RoomView, Unsubscribe } from './backend.ts';
import type { LinkFactory } from './connection.ts';
import { newId, Pairing, type Trigger } from './pairing.ts';
import type { PeerLink } from './peer.ts';
import { derivePhase, samePhase, type CallPhase } from './phase.ts';
import { Presence } from './presence.ts';

export type { CallPhase } from './phase.ts';

export interface CallOptions {
  roomId: string;
  stream: MediaStream;
  rtcConfig: RTCConfiguration;
  onPhase: (phase: CallPhase) => void;
  onRemoteStream: (stream: MediaStream | null) => void;
  /** Unexpected failures; the call tries to carry on. */
  fail: (error: unknown, context: string) => void;
  /** Called once per connection with ms from start() to connected (for diagnostics). */
  onConnectedAfter?: (ms: number) => void;
  /** The peer connection talking to the other person now (null: none), e.g. for a data channel. */
  onLink?: (link: PeerLink | null) => void;
  /** Renewed ICE servers before an ICE restart (relay credentials expire). */
  refreshRtcConfig?: () => Promise<RTCConfiguration | null>;
  /** Makes peer connections; tests pass a fake. */
  createLink?: LinkFactory;
}


export class Call {
  /** This page's session in the room; a new one when the call starts over. */
  private session = newId();
  private room: RoomView | null = null;
  private readonly pairing: Pairing;
  private unsubs: Unsubscribe[] = [];
  private inboxUnsub: Unsubscribe | null = null;
  private readonly presence: Presence;
  private rejoining = false;
  private phase: CallPhase = { kind: 'waiting', peerLeft: false };
  private ended = false;
  private startedAt = 0;

  constructor(
    private readonly backend: RoomBackend,
    private readonly options: CallOptions,
  ) {
    this.presence = new Presence({
      heartbeat: () => backend.heartbeat(options.roomId, this.session),
      // The heartbeat found our seat (or the room) gone, maybe before any listener said so
      // (a restarted signaling store): a fresh join decides, and ends the call only if full.
      lost: () => void this.takeSeatAgain('seat-lost'),
      tick: () => this.reconcile('tick'),
      now: () => backend.now(),
      fail: (e) => options.fail(e, 'refreshing presence'),
    });
    this.pairing = new Pairing({
      uid: backend.uid,
      roomId: options.roomId,
      backend,
      stream: options.stream,
      rtcConfig: options.rtcConfig,
      createLink: options.createLink,
      refreshRtcConfig: options.refreshRtcConfig,
      session: () => this.session,
      room: () => this.room,
      isStale: (seat) => this.presence.isStale(seat),
      changed: () => this.updatePhase(),
      onRemoteStream: (s) => options.onRemoteStream(s),
      onLink: (link) => options.onLink?.(link),
      onConnected: () => options.onConnectedAfter?.(performance.now() - this.startedAt),
      fail: options.fail,
    });
  }

  get uid(): string {
    return this.backend.uid;
  }

  get current(): CallPhase {
    return this.phase;
  }

  /** Joins the room. Resolves 'full' when there is no seat (nothing else happens then). */
  async start(): Promise<'joined' | 'full'> {
    const { roomId } = this.options;
    this.startedAt = performance.now();
    let joining = true;
    // The answer (or, creating the room, our pre-offer) is made while our seat commits, and
    // goes out with it.
    const result = await this.backend.join(roomId, this.session, {
      answer: (offer, from) => (joining && !this.ended ? this.pairing.prepareAnswer(offer, from) : undefined),
      offer: () => (joining && !this.ended ? this.pairing.prepareOffer() : Promise.resolve(null)),
    });
    joining = false;
    // Stopped while the seat was committing (the app gave up waiting): nothing starts.
    if (this.ended) return result.kind;
    if (result.kind === 'full') {
      this.pairing.dropHeld();
      this.setPhase({ kind: 'full' });
      return 'full';
    }
    this.room = result.room;
    if (result.offer) this.pairing.answerPreOffer(result.offer, result.answerWithSeat ?? false);
    else if (result.offerWithRoom) this.pairing.offerWentWithRoom();
    else this.pairing.dropHeld();
    this.unsubs.push(this.backend.watchRoom(roomId, (room) => this.onRoom(room), (e) => this.options.fail(e, 'watching the room')));
    this.subscribeInbox();
    this.presence.start();
    this.reconcile('joined');
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
    this.presence.stop();
    this.pairing.drop();
  }

  /** The route of what this person sends (media/outgoing.ts): the current connection's sender of that kind. */
  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    await this.pairing.replaceTrack(kind, track);
  }

  /**
   * The page is in front again after being hidden or frozen (a phone's screen off):
   * timers were throttled or stopped meanwhile, so catch up now: presence, the room,
   * and the connection.
   */
  wake(): void {
    if (this.ended) return;
    this.reconcile('wake');
    this.restartIce();
  }

  /** Relay credentials came after the call started without them (see Connection.relayArrived). */
  relayArrived(config: RTCConfiguration): void {
    if (!this.ended) this.pairing.relayArrived(config);
  }

  /** Asks for an ICE restart now if the connection is down. */
  restartIce(): void {
    this.pairing.restartIce();
  }

  /**
   * Our network changed (came back, or changed kind: wifi to cellular): the path in use may
   * be gone and the other side cannot know, so ICE restarts from here at once.
   */
  networkChanged(): void {
    if (!this.ended) this.pairing.networkChanged();
  }

  private end(reason: 'seat-lost' | 'room-gone'): void {
    if (this.ended) return;
    this.stop();
    this.setPhase({ kind: 'ended', reason });
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
        this.pairing.receive(box);
        this.reconcile('inbox');
      },
      (e) => {
        this.inboxUnsub = null;
        if ((e as { code?: string }).code !== 'permission-denied') this.options.fail(e, 'receiving signaling');
      },
    );
  }

  private onRoom(room: RoomView | null): void {
    if (this.ended) return;
    if (!room || !room.seats.some((s) => s.uid === this.uid)) {
      // Our seat is gone: the room was deleted (the other person left while we were
      // away, or the signaling store lost it), or we were away longer than the presence
      // timeout and someone took the seat. Take a seat again if there is one; media that
      // still flows keeps flowing meanwhile.
      void this.takeSeatAgain(room ? 'seat-lost' : 'room-gone');
      return;
    }
    const backOnline = room.live && this.room?.live === false;
    this.room = room;
    if (room.live) this.subscribeInbox();
    this.reconcile('room');
    // Our signaling was cut off and is back: restart now if the connection is down (a restart
    // this side owes goes out now too, see Recovery.attempt).
    if (backOnline) this.restartIce();
  }

  /**
   * Takes a seat again: our seat or the room vanished (`onRoom`), or we come back after so
   * long that the other person may have given up on us (`newSession`): then we come back
   * exactly as a reload does, with a new session in the same seat, so both sides set up a
   * fresh connection instead of waiting on a dead one.
   */
  private async takeSeatAgain(reason: 'seat-lost' | 'room-gone', { newSession = false } = {}): Promise<void> {
    if (this.rejoining) return;
    this.rejoining = true;
    try {
      if (newSession) {
        this.pairing.drop();
        this.session = newId();
      }
      const result = await this.backend.join(this.options.roomId, this.session);
      if (this.ended) return;
      if (result.kind === 'full') return this.end(reason);
      // The room as the join read it, with our seat as the join wrote it.
      const room = result.room.seats.length ? result.room : this.room;
      const now = this.backend.now();
      if (room) this.room = { ...room, seats: room.seats.map((s) => (s.uid === this.uid ? { ...s, session: this.session, seenMs: now } : s)) };
      if (result.offer) {
        this.pairing.drop();
        this.pairing.answerPreOffer(result.offer);
      }
      this.reconcile('seat-again');
    } catch (e) {
      // Offline, most likely: the next room snapshot or tick tries again.
      this.options.fail(e, 'taking the seat again');
    } finally {
      this.rejoining = false;
    }
  }

  /** Decides again what connection exists and what is shown; `why` is one of pairing.ts's Trigger list. */
  private reconcile(why: Trigger): void {
    if (this.ended || !this.room) return;
    if (this.presence.checkOwnSeat(this.room.seats.find((s) => s.uid === this.uid)) === 'start-over') {
      void this.takeSeatAgain('seat-lost', { newSession: true });
      return;
    }
    this.pairing.reconcile(why);
  }

  private updatePhase(): void {
    if (this.ended) return;
    const other = this.pairing.other();
    const next = derivePhase({
      previous: this.phase,
      otherHere: !!other && !this.presence.isStale(other),
      hadPeer: this.pairing.hadPeer,
      live: this.room?.live !== false,
      connection: this.pairing.connection(),
    });
    if (next) this.setPhase(next);
  }

  private setPhase(phase: CallPhase): void {
    if (samePhase(phase, this.phase)) return;
    this.phase = phase;
    this.options.onPhase(phase);
  }
}
