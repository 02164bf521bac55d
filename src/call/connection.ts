// One peer connection and whom it talks to: its PeerLink, its outbox (what we send),
// its inbox receiver (what we applied of theirs) and its recovery (restarts, health).
// The call decides which connection exists; this file makes one work.

import type { Outbox, Seat } from './backend.ts';
import { InboxReceiver, isFreshOffer, OutboxSender, type OutboxWrite, type HandedOut } from './outbox.ts';
import type { ConnectionFacts } from './phase.ts';
import { createPeerLink, type PeerLink, type PeerLinkOptions } from './peer.ts';
import { Pulse } from './pulse.ts';
import { DISCONNECTED_GRACE_MS, Recovery } from './recovery.ts';

/** An offer of ours unanswered this long is taken back when a restart is due (see canRestart). */
export const UNANSWERED_OFFER_MS = 4_000;

export type LinkFactory = (options: PeerLinkOptions) => PeerLink;

export interface ConnectionOptions {
  id: string;
  session: string;
  /** The person it talks to; null for a pre-offer nobody has answered yet. */
  peer: Seat | null;
  peerPc: string | null;
  /** Their offer to answer (their pre-offer, or a fresh offer in their outbox). */
  offer?: RTCSessionDescriptionInit;
  /** Answer now, but write nothing until release(): our seat is still being committed. */
  held?: boolean;
  polite: (peerUid: string) => boolean;
  stream: MediaStream;
  rtcConfig: RTCConfiguration;
  createLink?: LinkFactory;
  write: (box: OutboxWrite, urgent: boolean) => void;
  onRemoteStream: (stream: MediaStream) => void;
  /** Its state or health changed; the call re-derives what to do and show. */
  onChange: () => void;
  /** May an ICE restart go out now (the signaling server is reachable)? */
  online: () => boolean;
  /** Renewed ICE servers before a restart (relay credentials expire), or null to keep them. */
  refreshRtcConfig?: () => Promise<RTCConfiguration | null>;
  fail: (error: unknown) => void;
  /** Our network changed (a new address of ours, see PeerLinkOptions.onNewAddress). */
  onNetworkChange?: () => void;
}

/** How a connection is doing, for the phase shown. */
export type Health = Pick<ConnectionFacts, 'state' | 'everConnected' | 'noPath'>;

export class Connection {
  /** Its RTCPeerConnection and data channel, for the in-call features (read, not driven). */
  readonly link: PeerLink;
  private readonly outbox: OutboxSender;
  private readonly inbox = new InboxReceiver();
  private readonly recovery: Recovery;
  private readonly pulse: Pulse;
  /** Offers the other side sent on this connection (its pre-offer we answer counts). */
  private offersReceived: number;
  /** offersReceived when our current offer went out (see canRestart). */
  private offersAtOurOffer = 0;
  peerUid: string | null;
  peerSession: string | null;
  peerPc: string | null;
  /** Our pre-offer (this connection's first offer) is in the room document. */
  preOfferPublished = false;
  /** Its first connection was reported (firstConnected). */
  private reported = false;
  /** Made while our join commits; its outbox waits for release(). */
  held: boolean;
  private lateRelayTimer: ReturnType<typeof setTimeout> | undefined;
  /** Relay credentials that came after this connection started (relayArrived). */
  private lateRelay: RTCConfiguration | null = null;
  /**
   * What of our outbox went into the description last handed out (the answer for the join's
   * commit, heldAnswer; the pre-offer for the room, preOffer), so it is not written again.
   */
  private lastHandedOut: HandedOut | null = null;

  constructor(private readonly o: ConnectionOptions) {
    this.peerUid = o.peer?.uid ?? null;
    this.peerSession = o.peer?.session ?? null;
    this.peerPc = o.peerPc;
    this.outbox = new OutboxSender(o.session, o.id, o.write);
    this.held = o.held ?? false;
    this.offersReceived = o.offer ? 1 : 0;
    if (o.peer && !this.held) this.outbox.address({ uid: o.peer.uid, session: o.peer.session, pc: o.peerPc });
    this.recovery = new Recovery({
      canRestart: () => this.canRestart(),
      polite: () => this.peerUid !== null && o.polite(this.peerUid),
      negotiated: () => this.link.hasRemote(),
      restart: () => void this.restart(),
      offersReceived: () => this.offersReceived,
      changed: o.onChange,
    });
    this.pulse = new Pulse({
      silent: () => this.recovery.onSilent(),
      heard: () => this.recovery.onHeard(),
    });
    this.link = (o.createLink ?? createPeerLink)({
      id: o.id,
      polite: this.peerUid ? o.polite(this.peerUid) : false,
      stream: o.stream,
      rtcConfig: o.rtcConfig,
      ...(o.offer ? { offer: o.offer } : {}),
      send: (m) => {
        if (m.description?.type === 'offer') this.offersAtOurOffer = this.offersReceived;
        this.outbox.add(m);
      },
      onRemoteStream: o.onRemoteStream,
      onConnectionState: (state) => {
        this.recovery.onState(state);
        o.onChange();
      },
      onNewAddress: () => o.onNetworkChange?.(),
      fail: o.fail,
    });
    void this.link.beat.then((channel) => this.pulse.attach(channel));
    if (o.peer) this.recovery.watchPath();
  }

  get id(): string {
    return this.link.id;
  }

  /** Talks to the page holding `seat` now. */
  talksTo(seat: Seat): boolean {
    return this.peerSession === seat.session;
  }

  /** Someone answered our pre-offer: from now on it talks to them. */
  bind(peer: Seat, peerPc: string): void {
    // A pre-offer is made before anyone is there to be polite to; without this, both
    // sides may be impolite and ignore each other's restart offers for good.
    this.link.setPolite(this.o.polite(peer.uid));
    this.peerUid = peer.uid;
    this.peerSession = peer.session;
    this.peerPc = peerPc;
    this.outbox.address({ uid: peer.uid, session: peer.session, pc: peerPc });
    this.recovery.watchPath();
    if (!this.recovery.everConnected) this.restartWithLateRelaySoon();
  }

  /**
   * The held connection's answer, for the join to commit with our seat, once it is made;
   * null when it takes longer than `waitMs` (the seat goes without it, the answer after).
   */
  async heldAnswer(waitMs: number): Promise<OutboxWrite | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const made = await Promise.race([
      this.outbox.whenDescribed().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), waitMs))),
    ]);
    clearTimeout(timer);
    if (!made || !this.held || this.peerUid === null || this.peerSession === null) return null;
    const answer = this.outbox.snapshot({ uid: this.peerUid, session: this.peerSession, pc: this.peerPc });
    this.lastHandedOut = { descN: answer.descN, candidates: answer.candidates.length };
    return answer;
  }

  /**
   * Our seat is committed: what the held connection made goes out now, but for what went
   * out with the seat (`answerWithSeat`: the answer last handed to the join).
   */
  release(answerWithSeat = false): void {
    if (!this.held || this.peerUid === null || this.peerSession === null) return;
    this.held = false;
    if (answerWithSeat && this.lastHandedOut) this.outbox.writtenWithSeat(this.lastHandedOut);
    this.outbox.address({ uid: this.peerUid, session: this.peerSession, pc: this.peerPc });
  }

  /**
   * Our pre-offer as it stands (this connection's offer, with the candidates gathered so far),
   * to publish: null while the offer is not made yet.
   */
  preOffer(): string | null {
    const sdp = this.link.localSdp();
    // Counted now: what is gathered while the SDP is on its way is not in it.
    this.lastHandedOut = sdp ? { descN: this.outbox.descN, candidates: this.outbox.candidates.length } : null;
    return sdp;
  }

  /** The pre-offer last taken with preOffer() is in the room document. */
  published(): void {
    if (!this.lastHandedOut) return;
    this.held = false;
    this.preOfferPublished = true;
    this.outbox.handedOut(this.lastHandedOut);
  }

  /** Their description `descN` was applied as this connection's offer: don't apply it twice. */
  answered(descN: number): void {
    this.inbox.skipDescription(descN);
  }

  /**
   * Applies whatever in their outbox is new to us. 'restart': their new peer connection
   * offers afresh, so this one is finished.
   */
  deliver(box: Outbox): 'ok' | 'restart' {
    if (this.peerPc === null) this.peerPc = box.pc;
    if (box.pc !== this.peerPc) return isFreshOffer(box) ? 'restart' : 'ok';
    if (box.toPc !== '' && box.toPc !== this.link.id) return 'ok'; // meant for an older pc of ours
    for (const m of this.inbox.take(box)) {
      if (m.description?.type === 'offer') this.offersReceived += 1;
      this.link.receive(m);
    }
    return 'ok';
  }

  /** Connected now, or kept while the other person's seat is missing (see Call.reconcile). */
  get carriesMedia(): boolean {
    return this.peerUid !== null && this.recovery.state === 'connected';
  }

  /** As the phase shows it: a path the pulse no longer hears is down, whatever the browser says yet. */
  get health(): Health {
    const { state, everConnected, noPath, silent } = this.recovery;
    return { state: silent && state === 'connected' ? 'disconnected' : state, everConnected, noPath };
  }

  /** True once, the first time it is connected (for the setup time reported). */
  firstConnected(): boolean {
    if (this.reported || this.recovery.state !== 'connected') return false;
    this.reported = true;
    return true;
  }

  /** Its offer is made (with whatever was gathered by then). */
  described(): Promise<void> {
    return this.outbox.whenDescribed();
  }

  /** Resolves when ICE gathering completes or after `ms`. */
  gathered(ms: number): Promise<void> {
    return this.link.gathered(ms);
  }

  /** Puts `track` on its sender of that kind (media/outgoing.ts's one route). */
  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    return this.link.replaceTrack(kind, track);
  }

  /** Restarts ICE now if it is down and a restart may go out (the network came back). */
  restartIfDown(): void {
    this.recovery.attempt();
  }

  /**
   * Our network changed (the browser says so): the path in use may be gone, and the other
   * side cannot know. ICE restarts from here at once, up or down, if a restart may go out.
   */
  networkChanged(): void {
    this.recovery.attempt({ now: true });
  }

  private async restart(): Promise<void> {
    // Allowed while not stable only for an unanswered offer (canRestart): take it back.
    const takeBackOffer = !this.link.isStable();
    let config: RTCConfiguration | null = null;
    try {
      config = (await this.o.refreshRtcConfig?.()) ?? null;
    } catch (e) {
      this.o.fail(e); // keep the servers we have
    }
    this.link.restartIce(config ?? undefined, { takeBackOffer });
  }

  /**
   * Relay credentials came after this connection started without them (Join waits for them
   * 1 s at most; an invite link joins at once). If it has not connected within
   * DISCONNECTED_GRACE_MS, ICE restarts with them: behind a symmetric NAT a page without a
   * relay of its own may have no path, and a connection that never connected is otherwise
   * restarted only once the browser calls it failed (20 s and more in the relay suite).
   */
  relayArrived(config: RTCConfiguration): void {
    if (this.recovery.everConnected) return;
    this.lateRelay = config;
    this.restartWithLateRelaySoon();
  }

  /**
   * A pre-offer made without the relay, while alone, has nobody to restart towards when the
   * credentials come: the grace starts again when someone answers it (bind).
   */
  private restartWithLateRelaySoon(): void {
    const config = this.lateRelay;
    if (!config) return;
    clearTimeout(this.lateRelayTimer);
    this.lateRelayTimer = setTimeout(() => {
      if (!this.recovery.everConnected && this.canRestart()) this.link.restartIce(config);
    }, DISCONNECTED_GRACE_MS);
  }

  /**
   * A restart may go out now: signaling reachable, the other side known, nothing in flight,
   * or only an offer of ours that waited UNANSWERED_OFFER_MS in vain while the other side sent
   * offers of its own. The outbox holds one description, the latest: an answer replaced by a
   * newer offer before the other side read it left both sides waiting on each other for good
   * (seen once in 8 address changes in the NAT world, both 'have-local-offer', no restart
   * allowed). An offer to a page that is gone (a closed tab) is left alone: taking it back
   * and offering again every few seconds kept the browser from ever calling the connection
   * failed, and the other person was never told they had left.
   */
  private canRestart(): boolean {
    if (!this.o.online() || this.peerUid === null) return false;
    if (this.link.isStable()) return true;
    return this.link.offerWaitingMs() > UNANSWERED_OFFER_MS && this.offersReceived > this.offersAtOurOffer;
  }

  close(): void {
    clearTimeout(this.lateRelayTimer); // after this, relayArrived's check never runs
    this.outbox.close();
    this.pulse.stop();
    this.recovery.close();
    this.link.close();
  }
}
