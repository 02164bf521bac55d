// The only module that talks to Firebase (a lazy chunk): sign-in, and the RoomBackend that keeps rooms, seats and sealed signaling in Firestore.
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
  type DocumentData,
  type DocumentReference,
  type Firestore,
} from 'firebase/firestore';
import type { JoinHooks, JoinResult, Outbox, PreOffer, RoomBackend, RoomView, Seat, Unsubscribe } from '../call/backend.ts';
import { deploymentSalt, deriveRoom, open, seal, type RoomSecrets } from './crypto.ts';
import { acquireIdentitySlot } from './identity.ts';
import { expires, joinAsSeen, joinRoom, leaveRoom, parseRoom, type JoinOptions, type StoredOffer, type StoredRoom } from './join.ts';
import { PageHideLeave } from './pagehide.ts';

/** Connects with the Firebase config the page started fetching early (see main.ts). */
export async function connectBackend(configPromise: Promise<Record<string, string>>): Promise<RoomBackend> {
  const config = await configPromise;
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
  const uid = await signIn(auth);
  const projectId = config.projectId ?? '';
  const pageHide = new PageHideLeave(`${restBase}/v1/projects/${projectId}/databases/(default)/documents`, uid, () =>
    auth.currentUser ? auth.currentUser.getIdToken() : Promise.resolve(null),
  );
  return new FirestoreBackend(db, uid, deploymentSalt(projectId), pageHide, auth);
}

async function signIn(auth: Auth): Promise<string> {
  await auth.authStateReady();
  if (auth.currentUser) return auth.currentUser.uid;
  const { user } = await signInAnonymously(auth);
  return user.uid;
}

// Associated data of each sealed value: where it belongs (see seal() in crypto.ts).
const offerContext = (id: string, o: { uid: string; session: string; pc: string }) => `offer|${id}|${o.uid}|${o.session}|${o.pc}`;
const descContext = (id: string, b: { uid: string; session: string; pc: string; descN: number }, type: string) =>
  `desc|${id}|${b.uid}|${b.session}|${b.pc}|${b.descN}|${type}`;
const candContext = (id: string, b: { uid: string; session: string; pc: string }) => `cand|${id}|${b.uid}|${b.session}|${b.pc}`;

/** Runs async steps one after another, so snapshots are delivered in the order they came. */
function serial(): (step: () => Promise<void>) => void {
  let chain = Promise.resolve();
  return (step) => void (chain = chain.then(step).catch((e) => console.warn('Duet: unreadable signaling ignored', e)));
}

/** The room named on the prompt: how the server last showed it (undefined: not known now; null: no room). */
interface Prepared {
  name: string;
  seen: StoredRoom | null | undefined;
  stop: Unsubscribe;
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
  /** Room name -> its document id and key, derived once per page (the KDF is deliberately slow). */
  private readonly secrets = new Map<string, Promise<RoomSecrets>>();
  private readonly ready = new Map<string, RoomSecrets>();
  private prepared: Prepared | null = null;

  constructor(
    private readonly db: Firestore,
    readonly uid: string,
    private readonly salt: string,
    private readonly pageHide: PageHideLeave,
    private readonly auth: Auth,
  ) {}

  now(): number {
    return Date.now() + this.clockOffset;
  }

  /** The signed-in user's ID token (for the relay-credentials function). */
  async idToken(): Promise<string> {
    const user = this.auth.currentUser;
    if (!user) throw new Error('not signed in');
    return user.getIdToken();
  }

  private roomSecrets(name: string): Promise<RoomSecrets> {
    let s = this.secrets.get(name);
    if (!s) {
      s = deriveRoom(name, this.salt).then((r) => (this.ready.set(name, r), r));
      s.catch(() => this.secrets.delete(name));
      this.secrets.set(name, s);
    }
    return s;
  }

  /**
   * The person is still on the prompt with this name typed (see PREPARE_AFTER_TYPING_MS): derive
   * the room's id and key, and watch the room until they press Join, so the join can be made
   * in one request from the room as it stands (joinAsSeen). One billed read per name typed, and
   * one per change of that room while the prompt shows it; the join's own read is saved.
   */
  prepare(name: string): void {
    if (this.prepared?.name === name) return;
    this.prepared?.stop();
    const p: Prepared = { name, seen: undefined, stop: () => {} };
    this.prepared = p;
    p.stop = this.whenReady(
      name,
      (s) =>
        onSnapshot(
          this.room(s.id),
          { includeMetadataChanges: true },
          (snap) => {
            // Only what the server said counts; cached or locally changed data is not known.
            const { fromCache, hasPendingWrites } = snap.metadata;
            p.seen = fromCache || hasPendingWrites ? undefined : parseRoom(snap.data());
          },
          () => (p.seen = undefined),
        ),
      () => (p.seen = undefined),
    );
  }

  /** Stops watching the prepared room (joined: the call's own listener takes over). */
  private unprepare(name: string): void {
    if (this.prepared?.name !== name) return;
    this.prepared.stop();
    this.prepared = null;
  }

  /** Starts a listener once the room's secrets are known (at once after a join). */
  private whenReady(name: string, start: (s: RoomSecrets) => Unsubscribe, onError: (e: unknown) => void): Unsubscribe {
    const known = this.ready.get(name);
    if (known) return start(known);
    let stop: Unsubscribe | null = null;
    let cancelled = false;
    this.roomSecrets(name).then((s) => !cancelled && (stop = start(s)), onError);
    return () => {
      cancelled = true;
      stop?.();
    };
  }

  private room(id: string): DocumentReference {
    return doc(this.db, 'rooms', id);
  }

  private async openOffer(s: RoomSecrets, o: StoredOffer | null): Promise<PreOffer | null> {
    if (!o) return null;
    try {
      return { uid: o.uid, session: o.session, pc: o.pc, sdp: JSON.parse(await open(s.key, offerContext(s.id, o), o.sealed)) as string };
    } catch {
      return null; // not sealed with this room's key: nobody we can talk to
    }
  }

  async join(name: string, session: string, hooks: JoinHooks = {}): Promise<JoinResult> {
    const s = await this.roomSecrets(name);
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
              opened = { stored, offer: this.openOffer(s, stored) };
              const offer = await opened.offer;
              const answer = offer && (await makeAnswer(offer, from));
              return answer ? this.outboxData(s, answer) : null;
            },
          }
        : {}),
      ...(makeOffer ? { onCreate: async () => this.storedOffer(s, await makeOffer()) } : {}),
    };
    const seen = this.prepared?.name === name ? this.prepared.seen : undefined;
    const joined =
      (seen !== undefined ? await joinAsSeen(this.db, s.id, this.uid, session, seen, options) : null) ??
      (await joinRoom(this.db, s.id, this.uid, session, options));
    // The room's own listener (watchRoom) starts next, afresh: a warm view of the room from the
    // prompt would first show it without the seat just committed (a read-free commit does not
    // pass through the local cache), which would look like a seat lost.
    this.unprepare(name);
    if (joined.kind === 'full') return joined;
    // Known from the join itself: a tab closed before the room listener's first answer from
    // the server (a few hundred ms, seconds on a slow network) still takes an empty room along.
    const others = joined.room.seats.filter((seat) => seat.uid !== this.uid);
    this.pageHide.watch(s.id, [...others, { uid: this.uid, session, seenMs: this.now() }]);
    const early = opened as { stored: StoredOffer; offer: Promise<PreOffer | null> } | null;
    const offer = await (early && early.stored === joined.offer ? early.offer : this.openOffer(s, joined.offer));
    return {
      kind: 'joined',
      offer,
      room: { seats: joined.room.seats, offer: null, live: true },
      answerWithSeat: !!joined.withAnswer,
      offerWithRoom: !!joined.withOffer,
    };
  }

  watchRoom(name: string, onRoom: (room: RoomView | null) => void, onError: (e: unknown) => void): Unsubscribe {
    return this.whenReady(name, (s) => {
      const next = serial();
      return onSnapshot(
        this.room(s.id),
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
          next(async () => onRoom(stored && { seats: stored.seats, offer: await this.openOffer(s, stored.offer), live }));
        },
        onError,
      );
    }, onError);
  }

  watchInbox(name: string, onOutbox: (box: Outbox) => void, onError: (e: unknown) => void): Unsubscribe {
    return this.whenReady(name, (s) => {
      const next = serial();
      const q = query(collection(this.room(s.id), 'peers'), where('to', '==', this.uid));
      return onSnapshot(
        q,
        (snap) => {
          for (const change of snap.docChanges()) {
            if (change.type === 'removed') continue;
            const d = change.doc.data();
            next(async () => {
              const description = d.description
                ? { type: d.description.type, sdp: JSON.parse(await open(s.key, descContext(s.id, d as Outbox, d.description.type), d.description.sealed)) as string }
                : null;
              const candidates = JSON.parse(await open(s.key, candContext(s.id, d as Outbox), d.candidates)) as RTCIceCandidateInit[];
              const { uid, session, pc, to, toSession, toPc, descN } = d as Outbox;
              onOutbox({ uid, session, pc, to, toSession, toPc, descN, description, candidates });
            });
          }
        },
        onError,
      );
    }, onError);
  }

  /** An outbox document as stored: the descriptions and candidates sealed with the room key. */
  private async outboxData(s: RoomSecrets, box: Omit<Outbox, 'uid'>): Promise<DocumentData> {
    const head = { uid: this.uid, session: box.session, pc: box.pc, descN: box.descN };
    const d = box.description;
    const [description, candidates] = await Promise.all([
      d ? seal(s.key, descContext(s.id, head, d.type), JSON.stringify(d.sdp ?? '')).then((sealed) => ({ type: d.type, sealed })) : null,
      seal(s.key, candContext(s.id, head), JSON.stringify(box.candidates)),
    ]);
    return { ...head, to: box.to, toSession: box.toSession, toPc: box.toPc, description, candidates, at: serverTimestamp(), expires: expires() };
  }

  async writeOutbox(name: string, box: Omit<Outbox, 'uid'>, urgent = false): Promise<void> {
    const s = await this.roomSecrets(name);
    const ref = doc(this.room(s.id), 'peers', this.uid);
    const data = await this.outboxData(s, box);
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

  /** The pre-offer as stored: its SDP sealed with the room key. */
  private async storedOffer(s: RoomSecrets, offer: PreOffer | null): Promise<StoredOffer | null> {
    if (!offer) return null;
    const sealed = await seal(s.key, offerContext(s.id, offer), JSON.stringify(offer.sdp));
    return { uid: offer.uid, session: offer.session, pc: offer.pc, sealed };
  }

  async publishOffer(name: string, offer: PreOffer): Promise<void> {
    const s = await this.roomSecrets(name);
    await updateDoc(this.room(s.id), 'offer', await this.storedOffer(s, offer), 'expires', expires());
  }

  async clearOffer(name: string): Promise<void> {
    const s = await this.roomSecrets(name);
    await updateDoc(this.room(s.id), 'offer', null, 'expires', expires());
  }

  async heartbeat(name: string, session: string): Promise<'ok' | 'lost'> {
    const s = await this.roomSecrets(name);
    this.seenWriteSent = true;
    void this.pageHide.refreshToken();
    try {
      await updateDoc(
        this.room(s.id),
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
    const s = await this.roomSecrets(name);
    this.pageHide.watch(s.id, null);
    await leaveRoom(this.db, s.id, this.uid, { now: () => this.now() });
  }
}
