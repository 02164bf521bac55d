// Data builders for the firestore.rules suite: documents shaped exactly as docs/DATA-MODEL.md
// says the real client writes them, plus the client's join transaction. Each attack in
// rules.test.ts is one of these valid writes with a single thing changed, so a denial proves the
// rule that catches that one thing.
import {
  Timestamp,
  deleteField,
  doc,
  runTransaction,
  serverTimestamp,
  type FieldValue,
  type Firestore,
} from 'firebase/firestore';

/** A seat not seen for longer than this may be taken by a newcomer (firestore.rules presenceTimeout). */
export const PRESENCE_TIMEOUT_S = 120;
/** Clients refresh their own seat this often (one update of seats.<uid>.seen + expires). */
export const HEARTBEAT_S = 60;

export const SDP_MAX = 32_000;
export const CANDIDATES_MAX = 16_000;
export const ID_MAX = 64;

const HOUR_MS = 3_600_000;

/** `expires` as clients write it: now + 24 h (rules accept 1 h .. 48 h from request.time). */
export function expiry(hours = 24): Timestamp {
  return Timestamp.fromMillis(Date.now() + hours * HOUR_MS);
}

export function secondsAgo(s: number): Timestamp {
  return Timestamp.fromMillis(Date.now() - s * 1000);
}

/** A string of exactly n characters. */
export function chars(n: number, c = 'x'): string {
  return c.repeat(n);
}

/** A plausible SDP of about n characters. */
export function sdp(n = 600): string {
  const head = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
  return head + 'a=x'.padEnd(Math.max(0, n - head.length), 'x');
}

export const CANDIDATES = JSON.stringify([
  { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
]);

export interface SeatSeed {
  session: string;
  /** How long ago the seat was last seen, in seconds. */
  seenAgo: number;
}

export interface Offer {
  uid: string;
  session: string;
  pc: string;
  sdp: string;
}

/** A seat as the client writes it: its session, seen == server time. */
export function seat(session: string): { session: string; seen: FieldValue } {
  return { session, seen: serverTimestamp() };
}

/** A new room as the client creates it: only the creator's seat, no offer. */
export function newRoom(uid: string, session: string): Record<string, unknown> {
  return {
    seats: { [uid]: seat(session) },
    offer: null,
    created: serverTimestamp(),
    expires: expiry(),
  };
}

/** A stored room (for seeding with rules disabled). */
export function storedRoom(seats: Record<string, SeatSeed>, offer: Offer | null = null): Record<string, unknown> {
  const map: Record<string, { session: string; seen: Timestamp }> = {};
  for (const [uid, s] of Object.entries(seats)) map[uid] = { session: s.session, seen: secondsAgo(s.seenAgo) };
  return { seats: map, offer, created: secondsAgo(600), expires: expiry() };
}

export function offer(uid: string, session: string, over: Partial<Record<keyof Offer, unknown>> = {}): Record<string, unknown> {
  return { uid, session, pc: `${uid}-pc-1`, sdp: sdp(), ...over };
}

/** An outbox rooms/{roomId}/peers/{uid} as the client writes it (an answer with its candidates). */
export function outbox(
  uid: string,
  session: string,
  to: string,
  toSession: string,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    uid,
    session,
    pc: `${uid}-pc-1`,
    to,
    toSession,
    toPc: `${to}-pc-1`,
    descN: 1,
    description: { type: 'answer', sdp: sdp() },
    candidates: CANDIDATES,
    at: serverTimestamp(),
    expires: expiry(),
    ...over,
  };
}

/** A stored outbox (for seeding with rules disabled). */
export function storedOutbox(uid: string, session: string, to: string, toSession: string): Record<string, unknown> {
  return { ...outbox(uid, session, to, toSession), at: secondsAgo(5) };
}

export type JoinResult = 'created' | 'joined' | 'rejoined' | 'full';

/** How often a join that lost a race is re-read and retried (see joinRoom). */
export const JOIN_DENIED_RETRIES = 5;

export interface JoinCounters {
  /** Runs of the transaction body (the SDK re-runs it on contention). */
  attempts: number;
  /** Joins that lost a race with PERMISSION_DENIED and were retried from a fresh read. */
  deniedRetries: number;
}

/**
 * The client's join, as docs/DATA-MODEL.md describes it: one transaction that reads the room,
 * creates it if missing, refreshes my session if I already hold a seat (reload), and otherwise
 * takes a free seat, first removing seats not seen for PRESENCE_TIMEOUT_S, and consuming any
 * pre-offer. Two fresh seats held by others: 'full', and nothing is written.
 *
 * Losing a race can surface as PERMISSION_DENIED rather than as a retryable abort: the commit is
 * judged by the rules against the room as it is *now* (already taken by the winners), e.g. as a
 * third seat, before the stale read is noticed. The SDK never retries permission-denied, so the
 * client re-runs the whole transaction from a fresh read (which then answers 'full'), a bounded
 * number of times.
 */
export async function joinRoom(
  db: Firestore,
  roomId: string,
  uid: string,
  session: string,
  counters: JoinCounters = { attempts: 0, deniedRetries: 0 },
): Promise<JoinResult> {
  for (let retry = 0; ; retry++) {
    try {
      return await joinOnce(db, roomId, uid, session, counters);
    } catch (err) {
      if ((err as { code?: string }).code !== 'permission-denied' || retry >= JOIN_DENIED_RETRIES) throw err;
      counters.deniedRetries++;
    }
  }
}

function joinOnce(db: Firestore, roomId: string, uid: string, session: string, counters: JoinCounters): Promise<JoinResult> {
  const ref = doc(db, 'rooms', roomId);
  return runTransaction(
    db,
    async (tx): Promise<JoinResult> => {
      counters.attempts++;
      const snap = await tx.get(ref);
      if (!snap.exists()) {
        tx.set(ref, newRoom(uid, session));
        return 'created';
      }
      const seats = (snap.data().seats ?? {}) as Record<string, { session: string; seen: Timestamp }>;
      if (uid in seats) {
        tx.update(ref, { [`seats.${uid}`]: seat(session), expires: expiry() });
        return 'rejoined';
      }
      const now = Date.now();
      const stale = Object.keys(seats).filter((k) => now - seats[k]!.seen.toMillis() > PRESENCE_TIMEOUT_S * 1000);
      if (Object.keys(seats).length - stale.length >= 2) return 'full';
      const update: Record<string, unknown> = { [`seats.${uid}`]: seat(session), offer: null, expires: expiry() };
      for (const k of stale) update[`seats.${k}`] = deleteField();
      tx.update(ref, update);
      return 'joined';
    },
    { maxAttempts: 25 },
  );
}
