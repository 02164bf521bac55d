// Pairing: which peer connection exists and whom it talks to. Given the room (seats,
// pre-offer) and the other person's outbox, `reconcile()` keeps exactly one connection
// to the other person's current page: a pre-offer while alone, the pre-offer bound to
// whoever answered it, a fresh connection for a new page, nothing stale. Every decision
// compares session and pc ids, so it is safe to run any number of times.

import type { Outbox, PreOffer, RoomBackend, RoomView, Seat } from './backend.ts';
import { Connection, type LinkFactory } from './connection.ts';
import { HeadStart, type ConnectArgs } from './head-start.ts';
import { isCurrent, isFreshOffer, type OutboxWrite } from './outbox.ts';
import type { PeerLink } from './peer.ts';
import type { ConnectionFacts } from './phase.ts';

/**
 * Every event that makes the call decide again (`reconcile`), named in this one list:
 * - `joined`: our seat is committed (the call starts);
 * - `room`: the room document changed (seats, pre-offer, live or only cached);
 * - `inbox`: the other person's outbox changed;
 * - `tick`: the presence clock moved (a seat may have gone stale);
 * - `seat-again`: we took a seat again (ours or the room had vanished);
 * - `wake`: the page is in front again after being hidden or frozen;
 * - `connection`: the current connection's state or health changed, while not connected;
 * - `pre-offer-out`: our pre-offer is in the room document;
 * - `their-new-page`: their outbox is a fresh offer from a new page, so ours is finished.
 */
export type Trigger = 'joined' | 'room' | 'inbox' | 'tick' | 'seat-again' | 'wake' | 'connection' | 'pre-offer-out' | 'their-new-page';

export function newId(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 20);
}

/** What pairing needs from the call around it. */
export interface PairingHost {
  readonly uid: string;
  readonly roomId: string;
  readonly backend: RoomBackend;
  readonly stream: MediaStream;
  readonly rtcConfig: RTCConfiguration;
  readonly createLink?: LinkFactory | undefined;
  readonly refreshRtcConfig?: (() => Promise<RTCConfiguration | null>) | undefined;
  session(): string;
  room(): RoomView | null;
  isStale(seat: Seat): boolean;
  /** The connection, or what we know about the other person, changed: show it. */
  changed(): void;
  onRemoteStream(stream: MediaStream | null): void;
  onLink(link: PeerLink | null): void;
  onConnected(): void;
  fail(error: unknown, context: string): void;
}

export class Pairing {
  private conn: Connection | null = null;
  /** Someone was here earlier in this call. */
  hadPeer = false;
  private readonly inbox = new Map<string, Outbox>();
  private lastRemote: MediaStream | null = null;

  /** What new connections start with: the host's, or the relay that came late (relayArrived). */
  private rtcConfig: RTCConfiguration;
  private readonly headStart: HeadStart;

  constructor(private readonly host: PairingHost) {
    this.rtcConfig = host.rtcConfig;
    this.headStart = new HeadStart({
      host,
      current: () => this.conn,
      connect: (args) => this.connect(args),
      drop: () => this.drop(),
      reconcile: (why) => this.reconcile(why),
    });
  }

  /** Relay credentials came after the call started without them: new connections get them, the current one may restart with them. */
  relayArrived(config: RTCConfiguration): void {
    this.rtcConfig = config;
    this.conn?.relayArrived(config);
  }

  /** The other person's outbox changed. */
  receive(box: Outbox): void {
    this.inbox.set(box.uid, box);
  }

  /** The current connection's sender of `kind` carries `track` (media/outgoing.ts's route). */
  async replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    await this.conn?.replaceTrack(kind, track);
  }

  /** An ICE restart now if the current connection is down. */
  restartIce(): void {
    this.conn?.restartIfDown();
  }

  /**
   * Our network changed: the signaling connection may be on the old address, and the current
   * connection restarts ICE from this side at once.
   */
  networkChanged(): void {
    this.host.backend.reconnect?.();
    this.conn?.networkChanged();
  }

  /** The current connection as the phase sees it (null: none). */
  connection(): ConnectionFacts | null {
    const c = this.conn;
    if (!c) return null;
    const other = this.other();
    return { ...c.health, toOther: !!other && c.talksTo(other), kept: other === null && c.carriesMedia };
  }

  other(): Seat | null {
    return this.host.room()?.seats.find((s) => s.uid !== this.host.uid) ?? null;
  }

  /** The polite side yields in offer collisions; a stable choice for the pair. */
  private politeTowards(peerUid: string): boolean {
    return this.host.uid > peerUid;
  }

  /**
   * Decides from the state alone: `why` names the caller (the Trigger list above) and is
   * never read, which is what makes it safe to run for any event, any number of times.
   */
  reconcile(_why: Trigger): void {
    const { host } = this;
    const room = host.room();
    if (!room) return;
    const other = this.other();
    const c = this.conn;

    if (!other || host.isStale(other)) {
      // Alone (or with a ghost): be ready for the next person with a pre-offer. A
      // connection that still carries media is kept while the other person's seat is
      // merely missing: the signaling store may have lost the room (a restarted
      // backend) and they are taking their seat back. Someone who really left closes
      // their side, and ours follows within a second or two.
      if (c && c.peerUid && !(other === null && c.carriesMedia)) this.drop();
      if (!this.conn) this.headStart.createPreOffer();
      return host.changed();
    }
    this.hadPeer = true;
    const box = this.inbox.get(other.uid);
    const current = isCurrent(box, other, host.session()) ? box : null;

    if (c && c.talksTo(other)) {
      if (current) this.deliver(c, current);
      return host.changed();
    }

    if (c && c.peerUid === null) {
      const offerStillUp = room.offer?.pc === c.id;
      if (!offerStillUp && c.preOfferPublished) {
        // Our pre-offer was consumed by whoever took the seat: expect their answer.
        if (current && current.toPc === c.id) {
          c.bind(other, current.pc);
          this.deliver(c, current);
        }
        return host.changed();
      }
      // They arrived without seeing our pre-offer: negotiate directly instead.
      if (offerStillUp) void host.backend.clearOffer(host.roomId).catch((e) => host.fail(e, 'clearing the offer'));
    }

    // A new person, or the same person on a new page: a fresh peer connection.
    if (current && isFreshOffer(current)) {
      this.drop();
      const fresh = this.connect({ peer: other, peerPc: current.pc, offer: current.description! });
      fresh.answered(current.descN);
      this.deliver(fresh, current);
    } else if (!this.politeTowards(other.uid)) {
      if (!c || !c.talksTo(other) || c.peerUid === null) {
        this.drop();
        this.connect({ peer: other, peerPc: null });
      }
    } else if (c) {
      // Polite: wait for their offer; the old connection is of no use any more.
      this.drop();
    }
    host.changed();
  }

  /** The head start (head-start.ts): the answer made while our seat commits, the pre-offer for the room. */
  prepareAnswer(offer: PreOffer, peer: Seat): Promise<OutboxWrite | null> {
    return this.headStart.prepareAnswer(offer, peer);
  }

  prepareOffer(): Promise<PreOffer | null> {
    return this.headStart.prepareOffer();
  }

  offerWentWithRoom(): void {
    this.headStart.offerWentWithRoom();
  }

  dropHeld(): void {
    this.headStart.dropHeld();
  }

  answerPreOffer(offer: PreOffer, answerWithSeat = false): void {
    this.headStart.answerPreOffer(offer, answerWithSeat);
  }

  /** Closes the current connection, if any. */
  drop(): void {
    const c = this.conn;
    if (!c) return;
    c.close();
    this.conn = null;
    this.host.onLink(null);
    if (this.lastRemote) {
      this.lastRemote = null;
      this.host.onRemoteStream(null);
    }
  }

  private deliver(c: Connection, box: Outbox): void {
    if (c.deliver(box) === 'restart') {
      this.drop();
      this.reconcile('their-new-page');
    }
  }

  private connect(args: ConnectArgs): Connection {
    const { host } = this;
    const c: Connection = new Connection({
      id: newId(),
      session: host.session(),
      ...args,
      polite: (uid) => this.politeTowards(uid),
      stream: host.stream,
      rtcConfig: this.rtcConfig,
      ...(host.createLink ? { createLink: host.createLink } : {}),
      ...(host.refreshRtcConfig ? { refreshRtcConfig: host.refreshRtcConfig } : {}),
      write: (box, urgent) => {
        if (this.conn !== c) return;
        host.backend.writeOutbox(host.roomId, box, urgent).catch((e) => host.fail(e, 'sending signaling'));
      },
      onRemoteStream: (s) => {
        if (this.conn !== c) return;
        this.lastRemote = s;
        host.onRemoteStream(s);
      },
      onChange: () => {
        if (this.conn !== c) return;
        if (c.health.state === 'connected') {
          if (c.firstConnected()) host.onConnected();
          return host.changed();
        }
        // Decisions kept while the connection was up (see reconcile) are taken now.
        this.reconcile('connection');
      },
      online: () => host.room()?.live === true,
      onNetworkChange: () => this.conn === c && this.networkChanged(),
      fail: (e) => host.fail(e, 'negotiating the connection'),
    });
    this.conn = c;
    host.onLink(c.link);
    return c;
  }
}
