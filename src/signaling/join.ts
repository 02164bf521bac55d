// The join and leave transactions on a room document: the app's own code, also run as is by the rules race tests (test/rules).
import {
  FieldPath,
  Timestamp,
  deleteField,
  doc,
  runTransaction,
  serverTimestamp,
  type DocumentData,
  type DocumentReference,
  type Firestore,
  type Transaction,
} from 'firebase/firestore';
import { mayFreeSeat, NEARLY_STALE_MS, type Seat } from '../call/backend.ts';

/** Expiry written on every document (firestore.rules: isExpiry); a Firestore TTL policy deletes what is left behind. */
export const EXPIRES_AFTER_MS = 24 * 60 * 60 * 1000;
/** How often a join or leave refused by a race is tried again (with a fresh read). */
export const JOIN_ATTEMPTS = 5;

/** The pre-offer as stored: who made it, and its SDP sealed with the room key (crypto.ts). */
export interface StoredOffer {
  uid: string;
  session: string;
  pc: string;
  sealed: string;
}

export interface StoredRoom {
  seats: Seat[];
  offer: StoredOffer | null;
}

export type JoinOutcome =
  | { kind: 'full' }
  /** `room`: the seats as the join found them (without ours), `offer`: the pre-offer it consumed. */
  | {
      kind: 'created' | 'rejoined' | 'seated';
      room: StoredRoom;
      offer: StoredOffer | null;
      /** The joiner's outbox (the answer to `offer`) was written in the same commit. */
      withAnswer?: boolean;
      /** The room was created with the creator's pre-offer (what onCreate resolved with last). */
      withOffer?: boolean;
    };

export interface JoinOptions {
  /** The server's clock, estimated (decides which seats are stale). */
  now?: () => number;
  /** Counts transaction runs and race losses retried from a fresh read (the race test reports them). */
  stats?: { attempts: number; deniedRetries: number };
  /**
   * The read found a pre-offer to consume (called before the commit; again on a retry). It
   * may resolve with the joiner's outbox (the answer), which is then written in the same
   * commit: the rules judge it on the room as it will be, with the seat taken.
   */
  onPreOffer?: (offer: StoredOffer, from: Seat) => Promise<DocumentData | null> | void;
  /**
   * The read found no room, so this join creates it (called before the commit; again on a
   * retry). It may resolve with the creator's pre-offer, which the room is then created
   * with: whoever finds the room finds it ready to answer.
   */
  onCreate?: () => Promise<StoredOffer | null> | void;
}

export function expires(): Timestamp {
  return Timestamp.fromMillis(Date.now() + EXPIRES_AFTER_MS);
}

export function parseRoom(data: DocumentData | undefined): StoredRoom | null {
  if (!data) return null;
  const seats: Seat[] = Object.entries((data.seats ?? {}) as Record<string, { session: string; seen: unknown }>).map(
    ([uid, s]) => ({ uid, session: s.session, seenMs: s.seen instanceof Timestamp ? s.seen.toMillis() : Date.now() }),
  );
  return { seats, offer: (data.offer ?? null) as StoredOffer | null };
}

export const roomRef = (db: Firestore, docId: string): DocumentReference => doc(db, 'rooms', docId);
export const seatPath = (uid: string): FieldPath => new FieldPath('seats', uid);
/** A room as its creator writes it: only their seat, their pre-offer (or null). */
const newRoom = (uid: string, seat: DocumentData, offer: StoredOffer | null): DocumentData => ({
  seats: { [uid]: seat },
  offer,
  created: serverTimestamp(),
  expires: expires(),
});
export const outboxRef = (room: DocumentReference, uid: string): DocumentReference => doc(room, 'peers', uid);
const code = (e: unknown) => (e as { code?: string }).code;

/**
 * Takes (or retakes) a seat in rooms/{docId} in one transaction: create the room if missing
 * (with my pre-offer, if onCreate makes one in time);
 * keep my seat with a new session after a reload; otherwise take a free seat, removing stale
 * seats and their outboxes (the rules require both in one write), and consume the pre-offer.
 *
 * Joining races with other joiners. A transaction that read a room someone else changed
 * meanwhile is normally retried by the SDK, but when the rules see the other change first they
 * refuse the write (permission-denied), which the SDK never retries. A fresh read then tells
 * the truth: a seat, or "full". A clock that runs ahead of the server's (a seat we think stale
 * is not) ends the same way.
 */
export async function joinRoom(db: Firestore, docId: string, uid: string, session: string, options: JoinOptions = {}): Promise<JoinOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await joinOnce(db, docId, uid, session, options);
    } catch (e) {
      if (code(e) !== 'permission-denied') throw e;
      if (attempt >= JOIN_ATTEMPTS) return { kind: 'full' };
      if (options.stats) options.stats.deniedRetries++;
    }
  }
}

function joinOnce(db: Firestore, docId: string, uid: string, session: string, options: JoinOptions): Promise<JoinOutcome> {
  const ref = roomRef(db, docId);
  const now = options.now ?? Date.now;
  return runTransaction(
    db,
    async (tx): Promise<JoinOutcome> => {
      if (options.stats) options.stats.attempts++;
      const room = parseRoom((await tx.get(ref)).data());
      const seat = { session, seen: serverTimestamp() };
      if (!room) {
        const offer = (await options.onCreate?.()) ?? null;
        tx.set(ref, newRoom(uid, seat, offer));
        return { kind: 'created', room: { seats: [], offer: null }, offer: null, withOffer: !!offer };
      }
      if (room.seats.some((s) => s.uid === uid)) {
        // A reload: keep the seat, announce the new page session.
        tx.update(ref, seatPath(uid), seat, 'expires', expires());
        return { kind: 'rejoined', room, offer: null };
      }
      const stale = room.seats.filter((s) => mayFreeSeat(s, now()));
      const fresh = room.seats.filter((s) => !stale.includes(s));
      if (fresh.length >= 2) return { kind: 'full' };
      const update: unknown[] = [seatPath(uid), seat, 'expires', expires()];
      for (const s of stale) {
        update.push(seatPath(s.uid), deleteField());
        tx.delete(outboxRef(ref, s.uid));
      }
      // Consume the pre-offer of the person who is here, so nobody else answers it.
      const o = room.offer;
      const offer = o && fresh.some((s) => s.uid === o.uid && s.session === o.session) ? o : null;
      if (o) update.push('offer', null);
      (tx.update as (...a: unknown[]) => void)(ref, ...update);
      const answer = offer ? await options.onPreOffer?.(offer, fresh.find((s) => s.uid === offer.uid)!) : null;
      if (answer) tx.set(outboxRef(ref, uid), answer);
      return { kind: 'seated', room: { seats: fresh, offer: null }, offer, withAnswer: !!answer };
    },
    { maxAttempts: 25 },
  );
}

/**
 * The join in one request, from the room as a live listener last saw it (`seen`; null: no room):
 * a read-free transaction commits the write joinRoom would have made after reading the same
 * room, so the person who presses Join waits for one round trip instead of two. Only the two
 * common cases go this way: creating a missing room (with my pre-offer, from onCreate), and
 * taking the free seat next to the one fresh person whose pre-offer is up (with my answer, from
 * onPreOffer). Resolves null when the room looked like anything else, when no answer was made,
 * or when the write was refused: the rules judge it on the room as it really is (a room that
 * exists now cannot be created again, a full room takes no third seat, and the answer must be to
 * the pre-offer the room holds: firestore.rules, answersConsumedOffer), so a stale look costs
 * the caller one more round trip through joinRoom, never a wrong seat.
 */
export async function joinAsSeen(
  db: Firestore,
  docId: string,
  uid: string,
  session: string,
  seen: StoredRoom | null,
  options: JoinOptions = {},
): Promise<JoinOutcome | null> {
  const ref = roomRef(db, docId);
  const now = options.now ?? Date.now;
  const seat = { session, seen: serverTimestamp() };
  let write: (tx: Transaction) => void;
  let outcome: JoinOutcome;
  if (!seen) {
    const offer = (await options.onCreate?.()) ?? null;
    write = (tx) => void tx.set(ref, newRoom(uid, seat, offer));
    outcome = { kind: 'created', room: { seats: [], offer: null }, offer: null, withOffer: !!offer };
  } else {
    const [other, ...more] = seen.seats;
    const o = seen.offer;
    // A nearly stale seat is left for the transaction to judge from a fresh read; not one at half
    // the timeout: a waiting person who switched apps refreshes late (background timers are
    // throttled), and their seat is no less theirs.
    if (!other || more.length || other.uid === uid || now() - other.seenMs > NEARLY_STALE_MS) return null;
    if (!o || o.uid !== other.uid || o.session !== other.session) return null;
    const answer = await options.onPreOffer?.(o, other);
    if (!answer) return null;
    write = (tx) => {
      (tx.update as (...a: unknown[]) => void)(ref, seatPath(uid), seat, 'offer', null, 'expires', expires());
      tx.set(outboxRef(ref, uid), answer);
    };
    outcome = { kind: 'seated', room: { seats: [other], offer: null }, offer: o, withAnswer: true };
  }
  try {
    await runTransaction(db, async (tx) => write(tx), { maxAttempts: 1 });
    return outcome;
  } catch (e) {
    // Refused (permission-denied), the room gone (not-found), or the server out of reach: the
    // transaction decides from a fresh read.
    console.debug(`Duet: the join as seen did not go through (${code(e) ?? e}); reading the room`);
    return null;
  }
}

/**
 * Leaves rooms/{docId} in one transaction, together with my outbox: remove my seat, or, when no
 * one else may still be here, delete the room and every outbox in it (mine and those of stale
 * seats: the rules refuse a room delete that leaves one behind). Two people leaving at once:
 * one write is refused, and a fresh read decides again.
 */
export async function leaveRoom(db: Firestore, docId: string, uid: string, options: JoinOptions = {}): Promise<void> {
  const ref = roomRef(db, docId);
  const now = options.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    try {
      await runTransaction(db, async (tx) => {
        const room = parseRoom((await tx.get(ref)).data());
        tx.delete(outboxRef(ref, uid));
        if (!room || !room.seats.some((s) => s.uid === uid)) return;
        // Someone who may still be here keeps the room; only the last one out deletes it.
        const others = room.seats.filter((s) => s.uid !== uid);
        if (others.some((s) => !mayFreeSeat(s, now()))) {
          tx.update(ref, seatPath(uid), deleteField(), 'expires', expires());
          return;
        }
        for (const s of others) tx.delete(outboxRef(ref, s.uid));
        tx.delete(ref);
      });
      return;
    } catch (e) {
      if (code(e) !== 'permission-denied' || attempt >= JOIN_ATTEMPTS) throw e;
    }
  }
}
