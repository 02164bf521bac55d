// The head start: what is made before it is needed, so the first picture comes sooner.
//
// - The pre-offer: alone in a room, our offer waits in the room document; whoever joins reads it
//   inside the join and answers at once. Creating the room, the room is created with it.
// - The answer with the seat: joining a room with a pre-offer, the answer is made while our
//   seat commits, and the two reach the waiting person in one write.
//
// One meaning per name: a connection is *held* while its outbox waits for our seat (nothing is
// written before the room says the seat is ours); what went out in the room document or the
// join is *handed out* (connection.ts), and the outbox never writes it again.

import type { PreOffer, Seat } from './backend.ts';
import type { Connection } from './connection.ts';
import type { OutboxWrite } from './outbox.ts';
import type { PairingHost, Trigger } from './pairing.ts';

/** How long the pre-offer waits for ICE gathering before it is published anyway. */
const PRE_OFFER_GATHER_MS = 1_000;
/**
 * The same, for a pre-offer the room is created with: the creation waits for it. Host
 * candidates come within milliseconds; later ones (a STUN or relay server's) follow through
 * the outbox once someone answers.
 */
const OFFER_WITH_ROOM_GATHER_MS = 150;
/**
 * How long the join may hold its commit for the answer to the pre-offer it read, so the
 * seat and the answer reach the waiting person in one write. Making an answer takes
 * 10-150 ms on a phone (more on a loaded machine); past this, the seat goes alone and the
 * answer follows in its own write.
 */
export const ANSWER_WITH_SEAT_WAIT_MS = 1_500;

/** What a new connection is made with (pairing.ts makes it). */
export interface ConnectArgs {
  peer: Seat | null;
  peerPc: string | null;
  offer?: RTCSessionDescriptionInit;
  held?: boolean;
}

/** The one slot of pairing.ts: its current connection, and how to replace it. */
export interface Slot {
  readonly host: PairingHost;
  current(): Connection | null;
  connect(args: ConnectArgs): Connection;
  drop(): void;
  reconcile(why: Trigger): void;
}

export class HeadStart {
  constructor(private readonly slot: Slot) {}

  /**
   * The join has read the waiting person's pre-offer and is committing our seat: make the
   * answer meanwhile, and send it once answerPreOffer() confirms the same offer.
   */
  prepareAnswer(offer: PreOffer, peer: Seat): Promise<OutboxWrite | null> {
    const c = this.slot.current();
    if (c && !c.held) return Promise.resolve(null); // never in place of a real connection
    // A retried transaction that read the same offer gets the same answer.
    const held = this.holdsAnswerTo(offer) ? c! : this.replaceWithHeld(offer, peer);
    return held.heldAnswer(ANSWER_WITH_SEAT_WAIT_MS);
  }

  private replaceWithHeld(offer: PreOffer, peer: Seat): Connection {
    this.slot.drop();
    const c = this.slot.connect({ peer, peerPc: offer.pc, offer: { type: 'offer', sdp: offer.sdp }, held: true });
    c.answered(1);
    return c;
  }

  private holdsAnswerTo(offer: PreOffer): boolean {
    const c = this.slot.current();
    return !!c?.held && c.peerPc === offer.pc && c.peerSession === offer.session;
  }

  /**
   * The join found no room and is creating it: make our pre-offer meanwhile, for the room to
   * be created with (then nobody can find the room before the offer). A retried transaction
   * gets the offer as it stands then.
   */
  async prepareOffer(): Promise<PreOffer | null> {
    let c = this.slot.current();
    if (c && !(c.held && c.peerUid === null)) return null; // never in place of a real connection
    c ??= this.slot.connect({ peer: null, peerPc: null, held: true });
    await c.gathered(OFFER_WITH_ROOM_GATHER_MS);
    return this.preOfferOf(c);
  }

  /** `c`'s offer as a pre-offer to store, while it is still our unanswered connection. */
  private preOfferOf(c: Connection): PreOffer | null {
    const sdp = this.slot.current() === c && !c.peerUid ? c.preOffer() : null;
    return sdp ? { uid: this.slot.host.uid, session: this.slot.host.session(), pc: c.id, sdp } : null;
  }

  /** The room was created with the pre-offer prepareOffer handed out last. */
  offerWentWithRoom(): void {
    const c = this.slot.current();
    if (c?.held && c.peerUid === null) c.published();
  }

  /** A prepared answer or pre-offer the join did not use (full, or it read something else) is dropped. */
  dropHeld(): void {
    if (this.slot.current()?.held) this.slot.drop();
  }

  /** The waiting person's pre-offer, handed to us by the join: answer it at once. */
  answerPreOffer(offer: PreOffer, answerWithSeat = false): void {
    if (this.holdsAnswerTo(offer)) return this.slot.current()!.release(answerWithSeat);
    this.dropHeld();
    const peer = this.slot.host.room()?.seats.find((s) => s.uid === offer.uid);
    if (!peer || peer.session !== offer.session) return;
    // The pre-offer is their first description: their outbox repeats it, and answering it
    // twice would cost a write and a renegotiation.
    this.slot.connect({ peer, peerPc: offer.pc, offer: { type: 'offer', sdp: offer.sdp } }).answered(1);
  }

  /** Alone: a pre-offer for whoever comes next, published once it is made and gathered a little. */
  createPreOffer(): void {
    const { host } = this.slot;
    const c = this.slot.connect({ peer: null, peerPc: null });
    // Gathering is waited for once the offer is made, however long that takes (a slow phone).
    void c
      .described()
      .then(() => c.gathered(PRE_OFFER_GATHER_MS))
      .then(async () => {
        const offer = this.preOfferOf(c);
        if (!offer) return;
        await host.backend.publishOffer(host.roomId, offer);
        c.published();
        this.slot.reconcile('pre-offer-out');
      })
      // Refused after the connection was dropped (we left, and the room went with us): not a failure.
      .catch((e) => this.slot.current() === c && host.fail(e, 'publishing the offer'));
  }
}
