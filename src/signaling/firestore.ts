// The only module that talks to Firebase. It is loaded lazily (a separate chunk),
// in parallel with the camera permission prompt, so the first screen stays small.
//
// The Firebase web config is not in this repository: Firebase Hosting (and the
// Hosting emulator) serve it at /__/firebase/init.json. That config is public by
// design; what protects the data is firestore.rules.

import { initializeApp, type FirebaseApp } from 'firebase/app';
import {
  connectAuthEmulator,
  indexedDBLocalPersistence,
  browserLocalPersistence,
  initializeAuth,
  signInAnonymously,
  type Auth,
} from 'firebase/auth';
import {
  connectFirestoreEmulator,
  deleteField,
  doc,
  collection,
  FieldPath,
  getFirestore,
  onSnapshot,
  query,
  runTransaction,
  serverTimestamp,
  setDoc,
  Timestamp,
  updateDoc,
  where,
  writeBatch,
  type DocumentData,
  type DocumentReference,
  type Firestore,
} from 'firebase/firestore';
import {
  PRESENCE_TIMEOUT_MS,
  type JoinResult,
  type Outbox,
  type PreOffer,
  type RoomBackend,
  type RoomView,
  type Seat,
} from '../call/backend.ts';
import { acquireIdentitySlot } from './identity.ts';

/** Expiry written on every document; a Firestore TTL policy deletes what is left behind. */
const EXPIRES_AFTER_MS = 24 * 60 * 60 * 1000;
/** How often a join or leave refused by a race is tried again (with a fresh read). */
const JOIN_ATTEMPTS = 5;
/** A seat this close to the timeout is left alone: the server clock decides, and ours may lag. */
const CLOCK_SLACK_MS = 5_000;

interface Metrics {
  reads: number;
  writes: number;
}
const metrics: Metrics | null = __BENCH__ ? ((globalThis as { __duetMetrics?: Metrics }).__duetMetrics ??= { reads: 0, writes: 0 }) : null;
const countReads = (n: number) => {
  if (metrics) metrics.reads += n;
};
const countWrites = (n: number) => {
  if (metrics) metrics.writes += n;
};

/** Connects with the Firebase config the page started fetching early (see main.ts). */
export async function connectBackend(configPromise: Promise<Record<string, string>>): Promise<RoomBackend> {
  const config = await configPromise;
  // Each open tab of this browser takes the lowest free identity slot, so two tabs are two
  // people, while a reloaded or reopened tab gets its old identity (and seat) back.
  const slot = await acquireIdentitySlot();
  const app = initializeApp(config, `duet-${slot}`);
  const auth = initializeAuth(app, { persistence: [indexedDBLocalPersistence, browserLocalPersistence] });
  const db = getFirestore(app);
  if (__EMULATORS__) {
    const host = location.hostname === 'localhost' ? 'localhost' : '127.0.0.1';
    connectAuthEmulator(auth, `http://${host}:${__EMULATORS__.auth}`, { disableWarnings: true });
    connectFirestoreEmulator(db, host, __EMULATORS__.firestore);
  }
  const uid = await signIn(auth);
  return new FirestoreBackend(app, db, uid);
}

async function signIn(auth: Auth): Promise<string> {
  await auth.authStateReady();
  if (auth.currentUser) return auth.currentUser.uid;
  const { user } = await signInAnonymously(auth);
  return user.uid;
}

function expires(): Timestamp {
  return Timestamp.fromMillis(Date.now() + EXPIRES_AFTER_MS);
}

function toMillis(value: unknown): number {
  return value instanceof Timestamp ? value.toMillis() : Date.now();
}

function parseRoom(data: DocumentData | undefined): RoomView | null {
  if (!data) return null;
  const seats: Seat[] = Object.entries((data.seats ?? {}) as Record<string, { session: string; seen: unknown }>).map(
    ([uid, s]) => ({ uid, session: s.session, seenMs: toMillis(s.seen) }),
  );
  const offer = (data.offer ?? null) as PreOffer | null;
  return { seats, offer, live: true };
}

function parseOutbox(data: DocumentData): Outbox | null {
  try {
    return {
      uid: data.uid,
      session: data.session,
      pc: data.pc,
      to: data.to,
      toSession: data.toSession,
      toPc: data.toPc,
      descN: data.descN,
      description: data.description ?? null,
      candidates: JSON.parse(data.candidates || '[]') as RTCIceCandidateInit[],
    };
  } catch {
    return null;
  }
}

class FirestoreBackend implements RoomBackend {
  private clockOffset = 0;
  /**
   * Our seat's `seen` as the server last confirmed it, and whether a write of ours that
   * sets it (join, heartbeat) is on its way. Only such a write teaches the clock: a seat
   * that is merely old (this page was frozen, or someone edited it) says nothing about it.
   */
  private confirmedSeen = 0;
  private seenWriteSent = false;

  constructor(
    readonly app: FirebaseApp,
    private readonly db: Firestore,
    readonly uid: string,
  ) {}

  now(): number {
    return Date.now() + this.clockOffset;
  }

  private room(roomId: string): DocumentReference {
    return doc(this.db, 'rooms', roomId);
  }

  private seatPath(uid: string): FieldPath {
    return new FieldPath('seats', uid);
  }

  /**
   * Joining races with other joiners. A transaction that read a room someone else
   * changed meanwhile is normally retried by the SDK, but when the rules see the
   * other change first they refuse the write (permission-denied), which the SDK never
   * retries. A fresh read then tells the truth: a seat, or "full". A clock that runs
   * ahead of the server's (a seat we think stale is not) ends the same way.
   */
  async join(roomId: string, session: string): Promise<JoinResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.joinOnce(roomId, session);
      } catch (e) {
        if ((e as { code?: string }).code !== 'permission-denied' || attempt >= JOIN_ATTEMPTS) {
          if ((e as { code?: string }).code === 'permission-denied') return { kind: 'full' };
          throw e;
        }
      }
    }
  }

  private joinOnce(roomId: string, session: string): Promise<JoinResult> {
    const ref = this.room(roomId);
    const me = this.uid;
    this.seenWriteSent = true;
    return runTransaction(this.db, async (tx) => {
      const snap = await tx.get(ref);
      countReads(1);
      const seat = { session, seen: serverTimestamp() };
      if (!snap.exists()) {
        tx.set(ref, { seats: { [me]: seat }, offer: null, created: serverTimestamp(), expires: expires() });
        countWrites(1);
        return { kind: 'joined', offer: null, room: { seats: [], offer: null, live: true } };
      }
      const room = parseRoom(snap.data())!;
      const now = this.now();
      const mine = room.seats.find((s) => s.uid === me);
      if (mine) {
        // A reload: keep the seat, announce the new page session.
        tx.update(ref, this.seatPath(me), seat, 'expires', expires());
        countWrites(1);
        return { kind: 'joined', offer: null, room };
      }
      const stale = room.seats.filter((s) => now - s.seenMs > PRESENCE_TIMEOUT_MS + CLOCK_SLACK_MS);
      const fresh = room.seats.filter((s) => !stale.includes(s));
      if (fresh.length >= 2) return { kind: 'full' } as const;
      const update: unknown[] = [this.seatPath(me), seat, 'expires', expires()];
      for (const s of stale) update.push(this.seatPath(s.uid), deleteField());
      // Consume the pre-offer of the person who is here, so nobody else answers it.
      const offer = room.offer && fresh.some((s) => s.uid === room.offer!.uid && s.session === room.offer!.session) ? room.offer : null;
      if (room.offer) update.push('offer', null);
      (tx.update as (...a: unknown[]) => void)(ref, ...update);
      countWrites(1);
      return {
        kind: 'joined',
        offer,
        room: { seats: fresh, offer: null, live: true },
      };
    });
  }

  watchRoom(roomId: string, onRoom: (room: RoomView | null) => void, onError: (e: unknown) => void) {
    let lastServerData = '';
    return onSnapshot(
      this.room(roomId),
      // Metadata changes too: they tell when the server goes out of reach and comes back.
      { includeMetadataChanges: true },
      (snap) => {
        if (!snap.metadata.fromCache && !snap.metadata.hasPendingWrites) {
          const json = JSON.stringify(snap.data() ?? null);
          if (json !== lastServerData) countReads(1); // metadata-only snapshots cost nothing
          lastServerData = json;
        }
        // The local cache may not know a room our transaction just created: only the
        // server may say that a room is gone.
        if (!snap.exists() && snap.metadata.fromCache) return;
        const data = snap.data({ serverTimestamps: 'estimate' });
        const room = parseRoom(data);
        if (room) room.live = !snap.metadata.fromCache;
        // Learn the server clock from the timestamp the server gave our own latest write.
        const mySeen = data?.seats?.[this.uid]?.seen;
        if (mySeen instanceof Timestamp && !snap.metadata.hasPendingWrites && !snap.metadata.fromCache) {
          const ms = mySeen.toMillis();
          if (this.seenWriteSent && ms !== this.confirmedSeen) {
            this.seenWriteSent = false;
            const offset = ms - Date.now();
            if (Math.abs(offset) > 2_000) this.clockOffset = offset;
          }
          this.confirmedSeen = ms;
        }
        onRoom(room);
      },
      onError,
    );
  }

  watchInbox(roomId: string, onOutbox: (box: Outbox) => void, onError: (e: unknown) => void) {
    const q = query(collection(this.room(roomId), 'peers'), where('to', '==', this.uid));
    return onSnapshot(
      q,
      (snap) => {
        for (const change of snap.docChanges()) {
          if (!snap.metadata.fromCache) countReads(1);
          if (change.type === 'removed') continue;
          const box = parseOutbox(change.doc.data());
          if (box) onOutbox(box);
        }
      },
      onError,
    );
  }

  async writeOutbox(roomId: string, box: Omit<Outbox, 'uid'>, urgent = false): Promise<void> {
    countWrites(1);
    const ref = doc(this.room(roomId), 'peers', this.uid);
    const data = this.outboxData(box);
    if (urgent) {
      // A read-free transaction is committed with one request. The first plain write of
      // a page must first open the SDK's write stream (two more round trips, ~80 ms
      // measured on the emulator), which the person waiting for the call would feel.
      try {
        await runTransaction(this.db, async (tx) => void tx.set(ref, data), { maxAttempts: 1 });
        return;
      } catch (e) {
        // Offline or refused: the ordinary path queues and retries.
        console.warn('Duet: direct outbox write failed, queueing it', e);
      }
    }
    await setDoc(ref, data);
  }

  private outboxData(box: Omit<Outbox, 'uid'>) {
    return {
      uid: this.uid,
      session: box.session,
      pc: box.pc,
      to: box.to,
      toSession: box.toSession,
      toPc: box.toPc,
      descN: box.descN,
      description: box.description ? { type: box.description.type, sdp: box.description.sdp ?? '' } : null,
      candidates: JSON.stringify(box.candidates),
      at: serverTimestamp(),
      expires: expires(),
    };
  }

  async publishOffer(roomId: string, offer: PreOffer): Promise<void> {
    countWrites(1);
    await updateDoc(this.room(roomId), 'offer', offer, 'expires', expires());
  }

  async clearOffer(roomId: string): Promise<void> {
    countWrites(1);
    await updateDoc(this.room(roomId), 'offer', null, 'expires', expires());
  }

  async heartbeat(roomId: string, session: string): Promise<'ok' | 'lost'> {
    const ref = this.room(roomId);
    countWrites(1);
    this.seenWriteSent = true;
    try {
      await updateDoc(ref, new FieldPath('seats', this.uid, 'seen'), serverTimestamp(), new FieldPath('seats', this.uid, 'session'), session, 'expires', expires());
      return 'ok';
    } catch (e) {
      // Rules refuse the update once the seat belongs to someone else.
      if ((e as { code?: string }).code === 'permission-denied' || (e as { code?: string }).code === 'not-found') return 'lost';
      throw e;
    }
  }

  async leave(roomId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.leaveOnce(roomId);
        break;
      } catch (e) {
        // Both leaving at once: one of the two writes is refused; read again and retry.
        if ((e as { code?: string }).code !== 'permission-denied' || attempt >= JOIN_ATTEMPTS) throw e;
      }
    }
  }

  private async leaveOnce(roomId: string): Promise<void> {
    const ref = this.room(roomId);
    const me = this.uid;
    await runTransaction(this.db, async (tx) => {
      const snap = await tx.get(ref);
      countReads(1);
      const room = parseRoom(snap.data());
      if (!room || !room.seats.some((s) => s.uid === me)) return;
      // Someone who may still be here keeps the room; only the last one out deletes it.
      const others = room.seats.filter((s) => s.uid !== me && this.now() - s.seenMs <= PRESENCE_TIMEOUT_MS + CLOCK_SLACK_MS);
      if (others.length === 0) tx.delete(ref);
      else tx.update(ref, this.seatPath(me), deleteField(), 'expires', expires());
      countWrites(1);
    });
    const batch = writeBatch(this.db);
    batch.delete(doc(ref, 'peers', me));
    countWrites(1);
    await batch.commit();
  }
}
