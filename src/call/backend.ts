// What the call needs from a signaling backend. The Firestore implementation
// lives in src/signaling/firestore.ts; the call logic never imports Firestore.

export interface Seat {
  uid: string;
  /** The page session holding the seat (new on every page load). */
  session: string;
  /** When the holder was last seen, in ms since the epoch (server clock). */
  seenMs: number;
}

/** The waiting person's ready offer, for whoever joins next. */
export interface PreOffer {
  uid: string;
  session: string;
  pc: string;
  sdp: string;
}

export interface RoomView {
  seats: Seat[];
  offer: PreOffer | null;
  /** False while this view comes from the local cache because the server is out of reach. */
  live: boolean;
}

/** One person's current signaling state toward the other (rooms/{id}/peers/{uid}). */
export interface Outbox {
  uid: string;
  session: string;
  pc: string;
  to: string;
  toSession: string;
  /** The recipient's pc this continues, or '' when offering to a new one. */
  toPc: string;
  descN: number;
  description: RTCSessionDescriptionInit | null;
  candidates: RTCIceCandidateInit[];
}

export type JoinResult =
  | { kind: 'full' }
  | {
      kind: 'joined';
      offer: PreOffer | null;
      room: RoomView;
      /** The answer `hooks.answer` handed back last was committed with the seat. */
      answerWithSeat?: boolean;
      /** The room was created with the pre-offer `hooks.offer` handed back last. */
      offerWithRoom?: boolean;
    };

/**
 * Hears of the pre-offer the join read, while the seat is being committed, and may hand back
 * the answer to commit with the seat (or null: the seat goes alone).
 */
export type OnPreOffer = (offer: PreOffer, from: Seat) => Promise<Omit<Outbox, 'uid'> | null> | void;

/** What the call makes while its join commits, to go out in the same write. */
export interface JoinHooks {
  /** The join found the waiting person's pre-offer: our answer to it. */
  answer?: OnPreOffer;
  /**
   * The join found no room and creates it: our pre-offer, for whoever comes next (null: the
   * room is created without one, and the pre-offer follows in its own write).
   */
  offer?: () => Promise<PreOffer | null>;
}

export type Unsubscribe = () => void;

/**
 * `roomId` everywhere below is the room's canonical name (parseRoomName().id): the backend
 * derives from it what it stores (src/signaling/crypto.ts), and never stores the name itself.
 */
export interface RoomBackend {
  readonly uid: string;
  /**
   * Takes (or retakes) a seat in one transaction, creating the room if needed.
   * `hooks.answer`: called as soon as the transaction has read the waiting person's
   * pre-offer, while the seat is still being committed, so the answer can be made meanwhile;
   * the answer it resolves with is written in the same commit as the seat (one write reaches
   * the waiting person with both). Only an offer that join() then resolves with is ours to
   * answer; the seat isn't ours before. `hooks.offer`: likewise when the room is missing: the
   * room is created with our pre-offer, so nobody can find it without one.
   */
  join(roomId: string, session: string, hooks?: JoinHooks): Promise<JoinResult>;
  /** The person is about to join this room (the name typed): get ready for it (optional). */
  prepare?(roomId: string): void;
  /** Calls back with every change of the room; null when it no longer exists. */
  watchRoom(roomId: string, onRoom: (room: RoomView | null) => void, onError: (e: unknown) => void): Unsubscribe;
  /** Calls back with every outbox addressed to this user. */
  watchInbox(roomId: string, onOutbox: (box: Outbox) => void, onError: (e: unknown) => void): Unsubscribe;
  /**
   * `urgent`: someone is waiting on this very write (the answer that completes a call
   * setup); send it on the quickest path even if it can't be queued offline.
   */
  writeOutbox(roomId: string, box: Omit<Outbox, 'uid'>, urgent?: boolean): Promise<void>;
  publishOffer(roomId: string, offer: PreOffer): Promise<void>;
  clearOffer(roomId: string): Promise<void>;
  /** Refreshes this user's seat; 'lost' when the seat is no longer theirs. */
  heartbeat(roomId: string, session: string): Promise<'ok' | 'lost'>;
  leave(roomId: string): Promise<void>;
  /** The server's clock, estimated. */
  now(): number;
  /** A Firebase ID token for this user, for the app's own Cloud Function (TURN credentials). */
  idToken?(): Promise<string>;
  /**
   * Our connection to the server may be dead without knowing it: the network under it changed
   * (a phone left its wifi), and a stream opened on the old address waits for a timeout that
   * took 45 s in the NAT world. Open it again now; listeners and unsent writes carry over.
   */
  reconnect?(): void;
}

// Presence, in numbers. firestore.rules repeats PRESENCE_TIMEOUT_MS (presenceTimeout()), and
// test/unit/rules-numbers.test.ts proves that they agree.

/** A seat not refreshed for this long may be taken by someone else (firestore.rules agrees). */
export const PRESENCE_TIMEOUT_MS = 120_000;
/** How often a participant refreshes its seat: 2 writes per minute per call. */
export const HEARTBEAT_MS = 60_000;
/**
 * A seat seen longer ago than this is nearly stale, so in doubt: the margin below the timeout
 * covers the two sides' clock estimates and the age of a look at the room. Our own seat that
 * old means we were away and start over as a reload would (src/call/presence.ts); someone
 * else's that old is left to a fresh read, not joined from an earlier look (src/signaling/join.ts).
 */
export const NEARLY_STALE_MS = PRESENCE_TIMEOUT_MS - 15_000;
/** A joiner frees a seat only this long after the timeout: the server clock decides, and ours may lag. */
export const CLOCK_SLACK_MS = 5_000;

/** Whether a joiner may free this seat (with the server's clock `now`, estimated): stale, with the slack. */
export function mayFreeSeat(seat: Pick<Seat, 'seenMs'>, now: number): boolean {
  return now - seat.seenMs > PRESENCE_TIMEOUT_MS + CLOCK_SLACK_MS;
}
