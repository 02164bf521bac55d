// Sign-in, and the RoomBackend that keeps rooms, seats and sealed signaling in Firestore: the entry of the lazy Firebase chunk (src/signaling/).
//
// The call hands it a room's canonical name; the database sees only what crypto.ts derives from
// it: a hashed document id, and SDPs and candidates sealed with the room key.
//
// The Firebase web config is not in this repository: Firebase Hosting (and the Hosting emulator)
// serve it at /__/firebase/init.json. That config is public by design; what protects the data is
// firestore.rules.

import { initializeApp } from 'firebase/app';
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
  collection,
  disableNetwork,
  enableNetwork,
  FieldPath,
  getFirestore,
  onSnapshot,
  query,
  serverTimestamp,
  setDoc,
  Timestamp,
  updateDoc,
  where,
  type Firestore,
} from 'firebase/firestore';
import type { JoinHooks, JoinResult, Outbox, PreOffer, RoomBackend, RoomView, Seat, Unsubscribe } from '../call/backend.ts';
import { deploymentSalt } from './crypto.ts';
import { acquireIdentitySlot } from './identity.ts';
import { expires, joinAsSeen, joinRoom, leaveRoom, outboxRef, parseRoom, roomRef, type JoinOptions, type StoredOffer } from './join.ts';
import { PageHideLeave } from './pagehide.ts';
import { PreparedRoom } from './prepared.ts';
import { restSet } from './rest-write.ts';
import { RoomKeys } from './room-keys.ts';
import { openOffer, openOutbox, sealOffer, sealOutbox } from './sealed.ts';

/** This page's Firebase Auth and Firestore, and the REST base of its Firestore. */
interface PageFirebase {
  auth: Auth;
  db: Firestore;
  restBase: string;
}
/** Made once per page (see connectBackend). */
let page: Promise<PageFirebase> | null = null;

/** Connects with the Firebase config the page started fetching early (see main.ts). */
export async function connectBackend(configPromise: Promise<Record<string, string>>): Promise<RoomBackend> {
  const config = await configPromise;
  // Made once per page: an attempt that fails later (sign-in with no network) is retried
  // with the same identity slot and Firebase app, so the retry is still the same person.
  page ??= openFirebase(config);
  const { auth, db, restBase } = await page;
  const uid = await signIn(auth);
  const projectId = config.projectId ?? '';
  const documents = `${restBase}/v1/projects/${projectId}/databases/(default)/documents`;
  const pageHide = new PageHideLeave(documents, uid, () => (auth.currentUser ? auth.currentUser.getIdToken() : Promise.resolve(null)));
  return new FirestoreBackend(db, uid, deploymentSalt(projectId), pageHide, auth, documents);
}

async function openFirebase(config: Record<string, string>): Promise<PageFirebase> {
  // Each open tab of this browser takes the lowest free identity slot, so two tabs are two
  // people, while a reloaded or reopened tab gets its old identity (and seat) back.
  const slot = await acquireIdentitySlot();
  const app = initializeApp(config, `duet-${slot}`);
  const auth = initializeAuth(app, { persistence: [indexedDBLocalPersistence, browserLocalPersistence] });
  const db = getFirestore(app);
  let restBase = 'https://firestore.googleapis.com';
  if (__EMULATORS__) {
    const host = location.hostname === 'localhost' ? 'localhost' : '127.0.0.1';
    connectAuthEmulator(auth, `http://${host}:${__EMULATORS__.auth}`, { disableWarnings: true });
    connectFirestoreEmulator(db, host, __EMULATORS__.firestore);
    restBase = `http://${host}:${__EMULATORS__.firestore}`;
  }
  return { auth, db, restBase };
}

async function signIn(auth: Auth): Promise<string> {
  await auth.authStateReady();
  if (auth.currentUser) return auth.currentUser.uid;
  const { user } = await signInAnonymously(auth);
  return user.uid;
}

/** A direct (urgent) outbox write that takes longer than this goes through the SDK instead. */
const URGENT_WRITE_TIMEOUT_MS = 3_000;

/** Runs async steps one after another, so snapshots are delivered in the order they came. */
function serial(): (step: () => Promise<void>) => void {
  let chain = Promise.resolve();
  return (step) => void (chain = chain.then(step).catch((e) => console.warn('Duet: unreadable signaling ignored', e)));
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
  private readonly keys: RoomKeys;
  private readonly prepared: PreparedRoom;

  constructor(
    private readonly db: Firestore,
    readonly uid: string,
    salt: string,
    private readonly pageHide: PageHideLeave,
    private readonly auth: Auth,
    /** The database's REST base, ".../v1/projects/{p}/databases/(default)/documents". */
    private readonly documents: string,
  ) {
    this.keys = new RoomKeys(salt);
    this.prepared = new PreparedRoom(db, this.keys);
  }

  now(): number {
    return Date.now() + this.clockOffset;
  }

  /** The signed-in user's ID token (for the relay-credentials function). */
  async idToken(): Promise<string> {
    const user = this.auth.currentUser;
    if (!user) throw new Error('not signed in');
    return user.getIdToken();
  }

  /** See PreparedRoom.watch. */
  prepare(name: string): void {
    this.prepared.watch(name);
  }

  async join(name: string, session: string, hooks: JoinHooks = {}): Promise<JoinResult> {
    const s = await this.keys.of(name);
    this.seenWriteSent = true;
    // The pre-offer the transaction's read found, opened before the commit; the answer the
    // call makes to it goes out in that commit.
    let opened: { stored: StoredOffer; offer: Promise<PreOffer | null> } | null = null;
    const { answer: makeAnswer, offer: makeOffer } = hooks;
    const options: JoinOptions = {
      now: () => this.now(),
      ...(makeAnswer
        ? {
            onPreOffer: async (stored: StoredOffer, from: Seat) => {
              opened = { stored, offer: openOffer(s, stored) };
              const offer = await opened.offer;
              const answer = offer && (await makeAnswer(offer, from));
              return answer ? sealOutbox(s, this.uid, answer) : null;
            },
          }
        : {}),
      ...(makeOffer ? { onCreate: async () => sealOffer(s, await makeOffer()) } : {}),
    };
    const seen = this.prepared.seen(name);
    const joined =
      (seen !== undefined ? await joinAsSeen(this.db, s.id, this.uid, session, seen, options) : null) ??
      (await joinRoom(this.db, s.id, this.uid, session, options));
    // The room's own listener (watchRoom) starts next, afresh: a warm view of the room from the
    // prompt would first show it without the seat just committed (a read-free commit does not
    // pass through the local cache), which would look like a seat lost.
    this.prepared.stop(name);
    if (joined.kind === 'full') return joined;
    // Known from the join itself: a tab closed before the room listener's first answer from
    // the server (a few hundred ms, seconds on a slow network) still takes an empty room along.
    const others = joined.room.seats.filter((seat) => seat.uid !== this.uid);
    this.pageHide.watch(s.id, [...others, { uid: this.uid, session, seenMs: this.now() }]);
    const early = opened as { stored: StoredOffer; offer: Promise<PreOffer | null> } | null;
    const offer = await (early && early.stored === joined.offer ? early.offer : openOffer(s, joined.offer));
    return {
      kind: 'joined',
      offer,
      room: { seats: joined.room.seats, offer: null, live: true },
      answerWithSeat: !!joined.withAnswer,
      offerWithRoom: !!joined.withOffer,
    };
  }

  watchRoom(name: string, onRoom: (room: RoomView | null) => void, onError: (e: unknown) => void): Unsubscribe {
    return this.keys.whenReady(name, (s) => {
      const next = serial();
      return onSnapshot(
        roomRef(this.db, s.id),
        // Metadata changes too: they tell when the server goes out of reach and comes back.
        { includeMetadataChanges: true },
        (snap) => {
          // The local cache may not know what our join just committed (transactions do not
          // pass through it): a room we created, or our seat in it (it may still hold the room
          // as the prompt saw it, seen once in 20 bench calls). Only the server may say that
          // a room or our seat is gone.
          const data = snap.data({ serverTimestamps: 'estimate' });
          const stored = parseRoom(data);
          if (snap.metadata.fromCache && !stored?.seats.some((seat) => seat.uid === this.uid)) return;
          this.pageHide.watch(s.id, stored?.seats ?? null);
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
          const live = !snap.metadata.fromCache;
          next(async () => onRoom(stored && { seats: stored.seats, offer: await openOffer(s, stored.offer), live }));
        },
        onError,
      );
    }, onError);
  }

  watchInbox(name: string, onOutbox: (box: Outbox) => void, onError: (e: unknown) => void): Unsubscribe {
    return this.keys.whenReady(name, (s) => {
      const next = serial();
      const q = query(collection(roomRef(this.db, s.id), 'peers'), where('to', '==', this.uid));
      return onSnapshot(
        q,
        (snap) => {
          for (const change of snap.docChanges()) {
            if (change.type === 'removed') continue;
            const d = change.doc.data();
            next(async () => onOutbox(await openOutbox(s, d)));
          }
        },
        onError,
      );
    }, onError);
  }

  async writeOutbox(name: string, box: Omit<Outbox, 'uid'>, urgent = false): Promise<void> {
    const s = await this.keys.of(name);
    const ref = outboxRef(roomRef(this.db, s.id), this.uid);
    const data = await sealOutbox(s, this.uid, box);
    if (urgent && this.auth.currentUser) {
      // One REST commit is one request. The first plain write of a page must first open the
      // SDK's write stream (two more round trips, ~80 ms measured on the emulator), which
      // the person waiting for the call would feel. Not an SDK transaction: its commit holds
      // the SDK's queue until answered (see rest-write.ts).
      try {
        await restSet(this.documents, await this.auth.currentUser.getIdToken(), ref.path, data, ['at'], URGENT_WRITE_TIMEOUT_MS);
        return;
      } catch (e) {
        // Offline, slow or refused: the ordinary path queues and retries.
        console.warn('Duet: direct outbox write failed, queueing it', e);
      }
    }
    await setDoc(ref, data);
  }

  async publishOffer(name: string, offer: PreOffer): Promise<void> {
    const s = await this.keys.of(name);
    await updateDoc(roomRef(this.db, s.id), 'offer', await sealOffer(s, offer), 'expires', expires());
  }

  async clearOffer(name: string): Promise<void> {
    const s = await this.keys.of(name);
    await updateDoc(roomRef(this.db, s.id), 'offer', null, 'expires', expires());
  }

  /** One reconnection at a time; a call for one while it runs is that one. */
  private reconnecting: Promise<void> | null = null;

  reconnect(): void {
    this.reconnecting ??= disableNetwork(this.db)
      .then(() => enableNetwork(this.db))
      .catch((e) => console.warn('Duet: reconnecting to the server failed', e))
      .finally(() => (this.reconnecting = null));
  }

  async heartbeat(name: string, session: string): Promise<'ok' | 'lost'> {
    const s = await this.keys.of(name);
    this.seenWriteSent = true;
    void this.pageHide.refreshToken();
    try {
      await updateDoc(
        roomRef(this.db, s.id),
        new FieldPath('seats', this.uid, 'seen'),
        serverTimestamp(),
        new FieldPath('seats', this.uid, 'session'),
        session,
        'expires',
        expires(),
      );
      return 'ok';
    } catch (e) {
      // Rules refuse the update once the seat belongs to someone else.
      const code = (e as { code?: string }).code;
      if (code === 'permission-denied' || code === 'not-found') return 'lost';
      throw e;
    }
  }

  async leave(name: string): Promise<void> {
    const s = await this.keys.of(name);
    this.pageHide.watch(s.id, null);
    await leaveRoom(this.db, s.id, this.uid, { now: () => this.now() });
  }
}
