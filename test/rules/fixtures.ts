// Data builders for the firestore.rules suite: documents shaped exactly as docs/DATA-MODEL.md
// says the real client writes them (the join and leave transactions are the app's own, from
// src/signaling/join.ts). Each attack in rules.test.ts is one of these valid writes with a single
// thing changed, so a denial proves the rule that catches that one thing.
import { Timestamp, serverTimestamp, type FieldValue } from 'firebase/firestore';
import { HEARTBEAT_MS, NEARLY_STALE_MS, PRESENCE_TIMEOUT_MS } from '../../src/call/backend.ts';
import { SEALED_CANDIDATES_MAX, SEALED_SDP_MAX } from '../../src/signaling/crypto.ts';
import { EXPIRES_AFTER_MS } from '../../src/signaling/join.ts';

/** A seat not seen for longer than this may be taken by a newcomer (firestore.rules presenceTimeout). */
export const PRESENCE_TIMEOUT_S = PRESENCE_TIMEOUT_MS / 1000;
/** A seat seen longer ago than this is not joined from an earlier look (joinAsSeen). */
export const NEARLY_STALE_S = NEARLY_STALE_MS / 1000;
/** Clients refresh their own seat this often (one update of seats.<uid>.seen + expires). */
export const HEARTBEAT_S = HEARTBEAT_MS / 1000;

export const SDP_MAX = SEALED_SDP_MAX;
export const CANDIDATES_MAX = SEALED_CANDIDATES_MAX;
export const ID_MAX = 64;

const HOUR_MS = 3_600_000;

/** `expires` as clients write it: now + EXPIRES_AFTER_MS (rules accept 1 h .. 48 h from request.time). */
export function expiry(hours = EXPIRES_AFTER_MS / HOUR_MS): Timestamp {
  return Timestamp.fromMillis(Date.now() + hours * HOUR_MS);
}

export function secondsAgo(s: number): Timestamp {
  return Timestamp.fromMillis(Date.now() - s * 1000);
}

/** A string of exactly n characters. */
export function chars(n: number, c = 'x'): string {
  return c.repeat(n);
}

/** A sealed value as the client stores it (base64 of IV + AES-GCM ciphertext), n characters. */
export function sealed(n = 1_400, seed = 'c2VhbGVk'): string {
  return seed.repeat(Math.ceil(n / seed.length)).slice(0, n);
}

/** A sealed SDP (what the client stores for a description or pre-offer). */
export const sdp = (n = 1_400) => sealed(n);

export const CANDIDATES = sealed(720, 'Y2FuZGlk');

export interface SeatSeed {
  session: string;
  /** How long ago the seat was last seen, in seconds. */
  seenAgo: number;
}

export interface Offer {
  uid: string;
  session: string;
  pc: string;
  sealed: string;
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
  return { uid, session, pc: `${uid}-pc-1`, sealed: sdp(), ...over };
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
    description: { type: 'answer', sealed: sdp() },
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
