// The outbox channel: how one peer connection's descriptions and candidates reach the
// other person (one document per sender, rooms/{id}/peers/{uid}, see docs/DATA-MODEL.md),
// and which parts of the other person's outbox are new to us.
//
// An outbox always holds the sender's *whole* current state toward one recipient: the
// latest description (numbered by `descN`) and every candidate of the current ICE
// generation. A write replaces the previous one, so a reader that missed snapshots
// loses nothing, and writes stay flat in the number of candidates.

import type { Outbox, Seat } from './backend.ts';
import type { SignalMessage } from './peer.ts';

/** Candidates and descriptions within this window go out in one write. */
export const OUTBOX_BATCH_MS = 8;

/** Who an outbox is for: a person's page and, once known, their peer connection. */
export interface Address {
  uid: string;
  session: string;
  /** Their pc this continues, or null while we offer to a pc not known yet. */
  pc: string | null;
}

export type OutboxWrite = Omit<Outbox, 'uid'>;

/** How much of an outbox went out in another write: its description number and candidate count. */
export interface HandedOut {
  descN: number;
  candidates: number;
}

/** Only the other person's current page, writing to our current page, counts. */
export function isCurrent(box: Outbox | undefined, from: Seat, mySession: string): box is Outbox {
  return !!box && box.session === from.session && box.toSession === mySession;
}

/** An offer to a pc of ours they don't know yet: they start a fresh connection. */
export function isFreshOffer(box: Outbox): boolean {
  return box.description?.type === 'offer' && box.toPc === '';
}

/** Our side of one peer connection's outbox: what it holds, and when it is written. */
export class OutboxSender {
  descN = 0;
  description: RTCSessionDescriptionInit | null = null;
  candidates: RTCIceCandidateInit[] = [];
  /** How many of our candidates went out inside a published pre-offer's SDP. */
  publishedCandidates = 0;
  /** The description that went out as the published pre-offer (0: none). */
  publishedDescN = 0;
  private writes = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private to: Address | null = null;
  /** Waiting for our first description (whenDescribed). */
  private describedWaiters: (() => void)[] = [];

  constructor(
    private readonly session: string,
    private readonly pc: string,
    private readonly write: (box: OutboxWrite, urgent: boolean) => void,
  ) {}

  /** Addresses the outbox (a pre-offer has nobody to write to until someone answers it). */
  address(to: Address): void {
    this.to = to;
    // Candidates gathered after the pre-offer was published still need to reach them;
    // the rest are in the SDP they already have. An answer made before we could address
    // it (while our seat was being committed) goes now.
    if (this.candidates.length > this.publishedCandidates || this.descN > this.publishedDescN) this.schedule();
  }

  /** Resolves once the connection has made a description (an answer being prepared). */
  whenDescribed(): Promise<void> {
    if (this.description) return Promise.resolve();
    return new Promise((resolve) => this.describedWaiters.push(resolve));
  }

  /** What a write to `to` would carry now, without writing it (see writtenWithSeat). */
  snapshot(to: Address): OutboxWrite {
    return {
      session: this.session,
      pc: this.pc,
      to: to.uid,
      toSession: to.session,
      toPc: to.pc ?? '',
      descN: this.descN,
      description: this.description,
      candidates: [...this.candidates],
    };
  }

  /**
   * A snapshot went out with another write (the answer committed with our seat): what it
   * carried is not written again, and the next write is an ordinary one.
   */
  writtenWithSeat(sent: HandedOut): void {
    this.writes += 1;
    this.handedOut(sent);
  }

  /** What `sent` covers reached the other person another way (a pre-offer in the room, an answer with the seat). */
  handedOut(sent: HandedOut): void {
    this.publishedDescN = Math.max(this.publishedDescN, sent.descN);
    this.publishedCandidates = Math.max(this.publishedCandidates, sent.candidates);
  }

  /** A description or candidate our peer connection produced. */
  add(m: SignalMessage): void {
    if (m.description) {
      this.descN += 1;
      this.description = m.description;
      this.describedWaiters.splice(0).forEach((resolve) => resolve());
    }
    if (m.candidate) {
      const ufrag = m.candidate.usernameFragment;
      // After an ICE restart only the new generation's candidates matter.
      if (ufrag && this.candidates.some((c) => c.usernameFragment && c.usernameFragment !== ufrag)) {
        this.candidates = this.candidates.filter((c) => c.usernameFragment === ufrag);
      }
      this.candidates.push(m.candidate);
    }
    // Unaddressed, it waits: a pre-offer is published whole once gathering settles.
    if (this.to) this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const to = this.to;
      if (!to) return;
      // The first write of a connection that answers is what the other person is waiting for.
      const urgent = this.writes === 0 && this.description?.type === 'answer';
      this.writes += 1;
      this.write(this.snapshot(to), urgent);
    }, OUTBOX_BATCH_MS);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.to = null;
  }
}

/** What of the other person's outbox we have applied, so each part is applied once. */
export class InboxReceiver {
  private descN = 0;
  private readonly candidates = new Set<string>();

  /** Their description `n` was already applied another way (the pre-offer we answered). */
  skipDescription(n: number): void {
    this.descN = Math.max(this.descN, n);
  }

  /** The messages in `box` that are new to us, in the order to apply them. */
  take(box: Outbox): SignalMessage[] {
    const out: SignalMessage[] = [];
    if (box.description && box.descN > this.descN) {
      this.descN = box.descN;
      out.push({ description: box.description });
      // Candidates seen before this description may have been refused (those of an offer
      // we ignored in a collision carry the same ICE credentials as the answer that
      // follows it): the box holds only the current generation's, so offer them all again.
      this.candidates.clear();
    }
    for (const c of box.candidates) {
      const key = `${c.usernameFragment ?? ''}|${c.candidate}`;
      if (this.candidates.has(key)) continue;
      this.candidates.add(key);
      out.push({ candidate: c });
    }
    return out;
  }
}
