// firestore.rules, proven against the real Firestore emulator.
//
// Shape of firebase/quickstart-testing (unit-test-security-rules-v9), with its defects fixed: one
// test environment for this file, the emulator's address from FIRESTORE_EMULATOR_HOST (set by
// `firebase emulators:exec`), clearFirestore() before every test, seeding only with rules disabled,
// every assertion awaited, cleanup() at the end, and the rule coverage report checked rather than
// only saved.
//
// Actors: alice, bob, carol (signed in; anonymous auth in the app) and visitor (not signed in).
// Room `room-1` is the room under attack; `room-2` is another room carol sits in. Sessions of the
// seeded seats: alice 'a-1', bob 'b-1', carol 'c-1'. Fresh seats were seen 10 s ago, stale ones
// 80 s longer ago than the presence timeout (PRESENCE_TIMEOUT_MS in src/call/backend.ts).
//
// Layout:
//   allowed    every write and read the real client makes (docs/DATA-MODEL.md) succeeds
//   leaks      issue #12: what a newcomer, a re-creator or an outsider could read before, denied
//   attack     one valid write with one thing changed, each named by the attack, is denied
//   race       6 real SDK clients join one room at the same moment, 24 times
//   coverage   every expression in firestore.rules was evaluated at least once
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
} from '@firebase/rules-unit-testing';
import {
  Timestamp,
  collection,
  collectionGroup,
  deleteDoc,
  deleteField,
  doc,
  getDoc,
  getDocs,
  query,
  serverTimestamp,
  setDoc,
  setLogLevel,
  updateDoc,
  where,
  writeBatch,
  type DocumentData,
  type Firestore,
} from 'firebase/firestore';
import * as f from './fixtures';
import { joinAsSeen, joinRoom, leaveRoom, parseRoom, type JoinOptions, type StoredRoom } from '../../src/signaling/join.ts';

/** The app's own join transaction (src/signaling/join.ts): 'created' | 'rejoined' | 'seated' | 'full'. */
async function join(db: Firestore, roomId: string, uid: string, session: string, stats?: JoinOptions['stats']) {
  return (await joinRoom(db, roomId, uid, session, stats ? { stats } : {})).kind;
}

// Its own project in the shared emulator: clearFirestore() here must never wipe the rooms of
// the browser suites running at the same time.
const PROJECT_ID = 'demo-duet-rules';
const EMULATOR_HOST = process.env.FIRESTORE_EMULATOR_HOST;
const RULES_PATH = fileURLToPath(new URL('../../firestore.rules', import.meta.url));

if (!EMULATOR_HOST) {
  console.log(
    '[rules] SKIPPED: FIRESTORE_EMULATOR_HOST is not set, so there is no Firestore emulator to prove ' +
      'firestore.rules against. Run `npm test`, or: firebase emulators:exec --project demo-duet ' +
      '--only firestore "npx vitest run --project rules".',
  );
}

/** "127.0.0.1:8080", "localhost:8080" or "[::1]:8080" -> host and port. */
function parseHost(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(hostPort.slice(i + 1)) };
}

/** The context's Firestore, typed for the modular API (it is the same SDK instance underneath). */
function dbOf(ctx: RulesTestContext): Firestore {
  return ctx.firestore() as unknown as Firestore;
}

// Counts of the cases (tests) and assertions that expected success or denial, printed at the end.
const tally = {
  allowedCases: new Set<string>(),
  deniedCases: new Set<string>(),
  allowedAsserts: 0,
  deniedAsserts: 0,
};
const summary: string[] = [];

function currentTest(): string {
  return expect.getState().currentTestName ?? '?';
}

/** The request must succeed (rules allow it). */
async function allowed<T>(request: Promise<T>): Promise<T> {
  const result = await assertSucceeds(request);
  tally.allowedAsserts++;
  tally.allowedCases.add(currentTest());
  return result;
}

/** The request must be refused with PERMISSION_DENIED (rules deny it). */
async function denied(request: Promise<unknown>): Promise<void> {
  await assertFails(request);
  tally.deniedAsserts++;
  tally.deniedCases.add(currentTest());
}

const ROOM = 'room-1';
const OTHER_ROOM = 'room-2';
const roomPath = (id = ROOM) => `rooms/${id}`;
const peerPath = (uid: string, id = ROOM) => `rooms/${id}/peers/${uid}`;

// Sessions of the seeded seats.
const A = 'a-1';
const B = 'b-1';
const C = 'c-1';

// Seeds: who sits in room-1, and how long ago each seat was last seen.
const FRESH = 10; // seconds: well inside the presence timeout
const STALE = f.PRESENCE_TIMEOUT_S + 80; // seconds: older than the presence timeout
const NOT_YET_STALE = f.PRESENCE_TIMEOUT_S - 20;
const ALONE = { alice: { session: A, seenAgo: FRESH } };
const PAIR = { alice: { session: A, seenAgo: FRESH }, bob: { session: B, seenAgo: FRESH } };
const BOB_STALE = { alice: { session: A, seenAgo: FRESH }, bob: { session: B, seenAgo: STALE } };
const BOTH_STALE = { alice: { session: A, seenAgo: STALE }, bob: { session: B, seenAgo: STALE } };

describe.skipIf(!EMULATOR_HOST)('firestore.rules against the Firestore emulator', () => {
  let testEnv: RulesTestEnvironment;
  let alice: Firestore;
  let bob: Firestore;
  let carol: Firestore;
  let visitor: Firestore;
  const started = Date.now();

  beforeAll(async () => {
    // Expected denials would otherwise be logged by the SDK as warnings.
    setLogLevel('error');
    testEnv = await initializeTestEnvironment({
      projectId: PROJECT_ID,
      firestore: { ...parseHost(EMULATOR_HOST!), rules: readFileSync(RULES_PATH, 'utf8') },
    });
    // One SDK client per actor for the whole file: opening a client costs a connection (~100 ms
    // under load), and reusing them is safe here: no test keeps a listener, the SDK's default
    // memory cache drops documents nobody listens to, every getDoc/getDocs/transaction reads from
    // the emulator, and every write is awaited (acknowledged or rejected) before the test ends.
    alice = dbOf(testEnv.authenticatedContext('alice'));
    bob = dbOf(testEnv.authenticatedContext('bob'));
    carol = dbOf(testEnv.authenticatedContext('carol'));
    visitor = dbOf(testEnv.unauthenticatedContext());
  });

  beforeEach(async () => {
    await testEnv.clearFirestore();
  });

  afterAll(async () => {
    await testEnv?.cleanup();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      [
        `[rules] allowed: ${tally.allowedCases.size} cases (${tally.allowedAsserts} assertions); ` +
          `denied: ${tally.deniedCases.size} cases (${tally.deniedAsserts} assertions)`,
        ...summary,
        `[rules] suite time: ${seconds} s`,
      ].join('\n'),
    );
  });

  type Seed = [path: string, data: DocumentData];

  /** Writes the given documents with rules disabled, in one batch (one admin context per test). */
  async function seed(...docs: Seed[]): Promise<void> {
    await testEnv.withSecurityRulesDisabled(async (ctx) => {
      const db = dbOf(ctx);
      const batch = writeBatch(db);
      for (const [path, data] of docs) batch.set(doc(db, path), data);
      await batch.commit();
    });
  }

  async function stored(path: string): Promise<DocumentData | undefined> {
    let data: DocumentData | undefined;
    await testEnv.withSecurityRulesDisabled(async (ctx) => {
      data = (await getDoc(doc(dbOf(ctx), path))).data();
    });
    return data;
  }

  /** Seed: room `id` with these seats (and pre-offer). */
  const room = (seats: Record<string, f.SeatSeed>, offer: f.Offer | null = null, id = ROOM): Seed => [
    roomPath(id),
    f.storedRoom(seats, offer),
  ];
  /** Seed: the outbox of `uid` (session) toward `to` (toSession), written 5 s ago. */
  const box = (uid: string, session: string, to: string, toSession: string, id = ROOM): Seed => [
    peerPath(uid, id),
    f.storedOutbox(uid, session, to, toSession),
  ];

  const aliceOffer = (): f.Offer => f.offer('alice', A) as unknown as f.Offer;
  const seatsOf = async (id = ROOM) => Object.keys((await stored(roomPath(id)))?.seats ?? {}).sort();
  const heartbeat = (uid: string) => ({ [`seats.${uid}.seen`]: serverTimestamp(), expires: f.expiry() });
  const sit = (uid: string, session: string) => ({ [`seats.${uid}`]: f.seat(session), offer: null, expires: f.expiry() });

  // ==================================================================================== allowed
  describe('allowed: every path the real client uses', () => {
    test('create: a new room holding only my seat (join transaction)', async () => {
      expect(await allowed(join(alice, ROOM, 'alice', A))).toBe('created');
      expect(await seatsOf()).toEqual(['alice']);
      const data = await stored(roomPath());
      expect(data?.offer).toBeNull();
      expect(data?.created).toBeInstanceOf(Timestamp);
    });

    test('create with my pre-offer: the room and my offer in one commit (join transaction)', async () => {
      const offer = f.offer('alice', A) as unknown as f.Offer;
      const outcome = await allowed(joinRoom(alice, ROOM, 'alice', A, { onCreate: async () => offer }));
      expect(outcome).toMatchObject({ kind: 'created', withOffer: true });
      expect((await stored(roomPath()))?.offer).toEqual(offer);
    });

    test('create: a new room with a plain set', async () => {
      await allowed(setDoc(doc(alice, roomPath()), f.newRoom('alice', A)));
    });

    test('get: anyone signed in reads a room by its id (the join needs seats and pre-offer)', async () => {
      await seed(room(ALONE, aliceOffer()));
      await allowed(getDoc(doc(carol, roomPath())));
      await allowed(getDoc(doc(alice, roomPath())));
    });

    test('join: the second person takes the free seat (join transaction)', async () => {
      await seed(room(ALONE));
      expect(await allowed(join(bob, ROOM, 'bob', B))).toBe('seated');
      expect(await seatsOf()).toEqual(['alice', 'bob']);
    });

    test('join: the pre-offer is consumed (set to null) in the join write', async () => {
      await seed(room(ALONE, aliceOffer()));
      expect(await allowed(join(bob, ROOM, 'bob', B))).toBe('seated');
      expect((await stored(roomPath()))?.offer).toBeNull();
    });

    test('join with the answer: the seat and my outbox (the answer to the pre-offer) in one commit (join transaction)', async () => {
      await seed(room(ALONE, aliceOffer()));
      const outcome = await allowed(
        joinRoom(bob, ROOM, 'bob', B, { onPreOffer: async (o) => f.outbox('bob', B, o.uid, o.session) }),
      );
      expect(outcome).toMatchObject({ kind: 'seated', withAnswer: true });
      expect(await seatsOf()).toEqual(['alice', 'bob']);
      expect((await stored(peerPath('bob')))?.description?.type).toBe('answer');
    });

    test('join: a plain update adding my seat, clearing the offer, renewing expires', async () => {
      await seed(room(ALONE, aliceOffer()));
      await allowed(updateDoc(doc(bob, roomPath()), sit('bob', B)));
    });

    test('rejoin after a reload: same uid, new session, keeps the seat', async () => {
      await seed(room(PAIR));
      expect(await allowed(join(alice, ROOM, 'alice', 'a-2'))).toBe('rejoined');
      const data = await stored(roomPath());
      expect(data?.seats.alice.session).toBe('a-2');
      expect(Object.keys(data?.seats ?? {}).sort()).toEqual(['alice', 'bob']);
    });

    test('full: a third person reads two fresh seats, answers "full" and writes nothing', async () => {
      await seed(room(PAIR));
      expect(await allowed(join(carol, ROOM, 'carol', C))).toBe('full');
      expect(await seatsOf()).toEqual(['alice', 'bob']);
    });

    test(`heartbeat (every ${f.HEARTBEAT_S} s): one update of seats.<me>.seen and expires`, async () => {
      await seed(room(PAIR));
      await allowed(updateDoc(doc(alice, roomPath()), heartbeat('alice')));
      await allowed(updateDoc(doc(bob, roomPath()), heartbeat('bob')));
    });

    test('heartbeat: a seat that went stale (throttled tab) is refreshed by its holder', async () => {
      await seed(room(BOB_STALE));
      await allowed(updateDoc(doc(bob, roomPath()), heartbeat('bob')));
    });

    test('leave: remove my own seat while the other person stays', async () => {
      await seed(room(PAIR));
      await allowed(updateDoc(doc(bob, roomPath()), { 'seats.bob': deleteField(), expires: f.expiry() }));
      expect(await seatsOf()).toEqual(['alice']);
    });

    test('last one out deletes the room', async () => {
      await seed(room(ALONE));
      await allowed(deleteDoc(doc(alice, roomPath())));
    });

    test('delete the room when the only other seat is stale', async () => {
      await seed(room(BOB_STALE));
      await allowed(deleteDoc(doc(alice, roomPath())));
    });

    test('pre-offer: set my own offer while alone (my uid, my seat session)', async () => {
      await seed(room(ALONE));
      await allowed(updateDoc(doc(alice, roomPath()), { offer: f.offer('alice', A), expires: f.expiry() }));
    });

    test('pre-offer: replace my offer with one from a new peer connection', async () => {
      await seed(room(ALONE, aliceOffer()));
      await allowed(updateDoc(doc(alice, roomPath()), { offer: f.offer('alice', A, { pc: 'alice-pc-2' }) }));
    });

    test(`pre-offer: largest sizes (SDP ${f.SDP_MAX} chars, pc id ${f.ID_MAX} chars)`, async () => {
      await seed(room(ALONE));
      const big = f.offer('alice', A, { pc: f.chars(f.ID_MAX), sealed: f.chars(f.SDP_MAX) });
      await allowed(updateDoc(doc(alice, roomPath()), { offer: big }));
    });

    test('pre-offer: clear my own offer', async () => {
      await seed(room(ALONE, aliceOffer()));
      await allowed(updateDoc(doc(alice, roomPath()), { offer: null }));
    });

    test("pre-offer: the other participant clears it", async () => {
      await seed(room(PAIR, aliceOffer()));
      await allowed(updateDoc(doc(bob, roomPath()), { offer: null }));
    });

    test(`take a stale seat: remove the seat not seen for ${STALE} s and sit (join transaction)`, async () => {
      await seed(room(BOB_STALE));
      expect(await allowed(join(carol, ROOM, 'carol', C))).toBe('seated');
      expect(await seatsOf()).toEqual(['alice', 'carol']);
    });

    test('take a stale seat: both seats stale, both removed', async () => {
      await seed(room(BOTH_STALE));
      expect(await allowed(join(carol, ROOM, 'carol', C))).toBe('seated');
      expect(await seatsOf()).toEqual(['carol']);
    });

    test("take a stale seat: the stale holder's pre-offer is consumed", async () => {
      await seed(room({ bob: { session: B, seenAgo: STALE } }, f.offer('bob', B) as unknown as f.Offer));
      expect(await allowed(join(carol, ROOM, 'carol', C))).toBe('seated');
      expect((await stored(roomPath()))?.offer).toBeNull();
    });

    test('outbox: write my answer and candidates (create)', async () => {
      await seed(room(PAIR));
      await allowed(setDoc(doc(bob, peerPath('bob')), f.outbox('bob', B, 'alice', A)));
    });

    test('outbox: overwrite in place (renegotiation offer, more candidates)', async () => {
      await seed(room(PAIR), box('bob', B, 'alice', A));
      const next = f.outbox('bob', B, 'alice', A, {
        descN: 2,
        description: { type: 'offer', sealed: f.sdp(2_100) },
        candidates: f.sealed(1_400),
      });
      await allowed(setDoc(doc(bob, peerPath('bob')), next));
    });

    test(`outbox: candidates only, largest sizes (candidates ${f.CANDIDATES_MAX} chars, ids ${f.ID_MAX})`, async () => {
      await seed(room({ alice: { session: f.chars(f.ID_MAX, 'a'), seenAgo: FRESH }, bob: { session: B, seenAgo: FRESH } }));
      const write = f.outbox('alice', f.chars(f.ID_MAX, 'a'), 'bob', f.chars(f.ID_MAX, 'b'), {
        pc: f.chars(f.ID_MAX),
        toPc: '',
        descN: 0,
        description: null,
        candidates: f.chars(f.CANDIDATES_MAX),
      });
      await allowed(setDoc(doc(alice, peerPath('alice')), write));
    });

    test(`outbox: largest description (SDP ${f.SDP_MAX} chars)`, async () => {
      await seed(room(PAIR));
      const write = f.outbox('alice', A, 'bob', B, {
        toPc: f.chars(f.ID_MAX),
        description: { type: 'offer', sealed: f.chars(f.SDP_MAX) },
      });
      await allowed(setDoc(doc(alice, peerPath('alice')), write));
    });

    test('outbox: its addressee and its writer read it (get); the addressee lists its inbox (to == me)', async () => {
      await seed(room(PAIR), box('bob', B, 'alice', A), box('alice', A, 'bob', B));
      await allowed(getDoc(doc(alice, peerPath('bob'))));
      await allowed(getDoc(doc(bob, peerPath('bob'))));
      const inbox = await allowed(getDocs(query(collection(alice, roomPath(), 'peers'), where('to', '==', 'alice'))));
      expect(inbox.docs.map((d) => d.id)).toEqual(['bob']);
    });

    test('leave (leave transaction): my seat and my outbox go in one write, the other stays', async () => {
      await seed(room(PAIR), box('bob', B, 'alice', A), box('alice', A, 'bob', B));
      await allowed(leaveRoom(bob, ROOM, 'bob'));
      expect(await seatsOf()).toEqual(['alice']);
      expect(await stored(peerPath('bob'))).toBeUndefined();
      expect(await stored(peerPath('alice'))).toBeDefined();
    });

    test('last one out (leave transaction): the room goes with every outbox in it, a stale partner\'s too', async () => {
      await seed(room(BOB_STALE), box('bob', B, 'alice', A), box('alice', A, 'bob', B));
      await allowed(leaveRoom(alice, ROOM, 'alice'));
      expect(await stored(roomPath())).toBeUndefined();
      expect(await stored(peerPath('alice'))).toBeUndefined();
      expect(await stored(peerPath('bob'))).toBeUndefined();
    });

    test('outbox: delete my own (leave)', async () => {
      await seed(room(PAIR), box('bob', B, 'alice', A));
      await allowed(deleteDoc(doc(bob, peerPath('bob'))));
    });

    test('outbox: delete my own even after my seat is gone', async () => {
      await seed(room(ALONE), box('bob', B, 'alice', A));
      await allowed(deleteDoc(doc(bob, peerPath('bob'))));
    });

    test('outbox: a participant deletes the outbox of someone who no longer holds a seat', async () => {
      await seed(room(ALONE), box('bob', B, 'alice', A));
      await allowed(deleteDoc(doc(alice, peerPath('bob'))));
    });

    test('batch: take the free seat and write my answer in one write (outbox judged with getAfter)', async () => {
      await seed(room(ALONE, aliceOffer()));
      const batch = writeBatch(bob);
      batch.update(doc(bob, roomPath()), sit('bob', B));
      batch.set(doc(bob, peerPath('bob')), f.outbox('bob', B, 'alice', A, { toPc: 'alice-pc-1' }));
      await allowed(batch.commit());
    });

    test("batch: take a stale seat and delete the replaced person's outbox", async () => {
      await seed(room(BOB_STALE), box('bob', B, 'alice', A));
      const batch = writeBatch(carol);
      batch.update(doc(carol, roomPath()), { ...sit('carol', C), 'seats.bob': deleteField() });
      batch.delete(doc(carol, peerPath('bob')));
      await allowed(batch.commit());
    });

    test('batch: leave = remove my seat and delete my outbox', async () => {
      await seed(room(PAIR), box('bob', B, 'alice', A));
      const batch = writeBatch(bob);
      batch.update(doc(bob, roomPath()), { 'seats.bob': deleteField(), expires: f.expiry() });
      batch.delete(doc(bob, peerPath('bob')));
      await allowed(batch.commit());
    });

    test("batch: last one out deletes the stale partner's outbox, mine, and the room", async () => {
      await seed(room(BOB_STALE), box('bob', B, 'alice', A), box('alice', A, 'bob', B));
      const batch = writeBatch(alice);
      batch.delete(doc(alice, peerPath('bob')));
      batch.delete(doc(alice, peerPath('alice')));
      batch.delete(doc(alice, roomPath()));
      await allowed(batch.commit());
    });
  });

  // ============================================================================ join as seen
  // The join in one read-free commit (joinAsSeen, src/signaling/join.ts) from the room as the
  // app's prompt listener last saw it. A look that is out of date must cost a retry, never a
  // wrong seat: the rules refuse the write, nothing is written, and the transaction decides.
  describe('join as seen: one read-free commit from an earlier look at the room', () => {
    /** The room as `db` sees it now (what the prompt's listener holds). */
    const look = async (db: Firestore, id = ROOM): Promise<StoredRoom | null> => parseRoom((await getDoc(doc(db, roomPath(id)))).data());
    const answering: JoinOptions = { onPreOffer: async (o) => f.outbox('bob', B, o.uid, o.session, { toPc: o.pc }) };

    test('allowed: the free seat and my answer to the pre-offer, in one commit', async () => {
      await seed(room(ALONE, aliceOffer()));
      const outcome = await allowed(joinAsSeen(bob, ROOM, 'bob', B, await look(bob), answering));
      expect(outcome).toMatchObject({ kind: 'seated', withAnswer: true, offer: { uid: 'alice', pc: 'alice-pc-1' } });
      expect(await seatsOf()).toEqual(['alice', 'bob']);
      expect((await stored(roomPath()))?.offer).toBeNull();
      expect((await stored(peerPath('bob')))?.toPc).toBe('alice-pc-1');
    });

    const late = f.NEARLY_STALE_S - 15; // seconds: a heartbeat late, not yet nearly stale
    test(`allowed: next to someone whose heartbeat is late (seen ${late} s ago, an app switched away from)`, async () => {
      await seed(room({ alice: { session: A, seenAgo: late } }, aliceOffer()));
      expect(await allowed(joinAsSeen(bob, ROOM, 'bob', B, await look(bob), answering))).toMatchObject({ kind: 'seated', withAnswer: true });
      expect(await seatsOf()).toEqual(['alice', 'bob']);
    });

    test('allowed: a missing room created with my pre-offer, in one commit', async () => {
      const offer = f.offer('alice', A) as unknown as f.Offer;
      const outcome = await allowed(joinAsSeen(alice, ROOM, 'alice', A, await look(alice), { onCreate: async () => offer }));
      expect(outcome).toMatchObject({ kind: 'created', withOffer: true });
      expect((await stored(roomPath()))?.offer).toEqual(offer);
    });

    test('not tried: a look showing anything but one fresh person with their pre-offer leaves it to the transaction', async () => {
      const asked: string[] = [];
      const options: JoinOptions = { onPreOffer: async (o) => (asked.push(o.pc), f.outbox('bob', B, o.uid, o.session)) };
      await seed(room(ALONE)); // no pre-offer
      expect(await joinAsSeen(bob, ROOM, 'bob', B, await look(bob), options)).toBeNull();
      await seed(room(PAIR, aliceOffer())); // full, and my own seat
      expect(await joinAsSeen(carol, ROOM, 'carol', C, await look(carol), options)).toBeNull();
      expect(await joinAsSeen(bob, ROOM, 'bob', 'b-2', await look(bob), options)).toBeNull();
      await seed(room(BOB_STALE, aliceOffer())); // a stale seat to remove
      expect(await joinAsSeen(carol, ROOM, 'carol', C, await look(carol), options)).toBeNull();
      await seed(room({ alice: { session: A, seenAgo: f.NEARLY_STALE_S + 5 } }, aliceOffer())); // nearly stale: the transaction judges
      expect(await joinAsSeen(carol, ROOM, 'carol', C, await look(carol), options)).toBeNull();
      expect(asked).toEqual([]);
      expect(await seatsOf()).toEqual(['alice']);
    });

    test('refused: the room was created by someone else since the look; nothing is overwritten', async () => {
      const seen = await look(carol);
      expect(seen).toBeNull();
      await seed(room(ALONE, aliceOffer()));
      const before = await stored(roomPath());
      const offer = f.offer('carol', C) as unknown as f.Offer;
      expect(await joinAsSeen(carol, ROOM, 'carol', C, seen, { onCreate: async () => offer })).toBeNull();
      expect(await stored(roomPath())).toEqual(before);
      // The transaction then reads the truth: carol takes the free seat.
      expect(await join(carol, ROOM, 'carol', C)).toBe('seated');
    });

    test('refused: the other person reloaded since the look (new session, new pre-offer); the answer to the old one is not written', async () => {
      await seed(room(ALONE, aliceOffer()));
      const seen = await look(bob);
      await seed(room({ alice: { session: 'a-2', seenAgo: 1 } }, f.offer('alice', 'a-2', { pc: 'alice-pc-2' }) as unknown as f.Offer));
      expect(await joinAsSeen(bob, ROOM, 'bob', B, seen, answering)).toBeNull();
      expect(await seatsOf()).toEqual(['alice']);
      expect((await stored(roomPath()))?.offer?.pc).toBe('alice-pc-2');
      expect(await stored(peerPath('bob'))).toBeUndefined();
      const outcome = await allowed(joinRoom(bob, ROOM, 'bob', B, answering));
      expect(outcome).toMatchObject({ kind: 'seated', withAnswer: true, offer: { pc: 'alice-pc-2' } });
    });

    test('refused: someone else took the seat since the look; the room stays at two', async () => {
      await seed(room(ALONE, aliceOffer()));
      const seen = await look(bob);
      await seed(room({ alice: { session: A, seenAgo: FRESH }, carol: { session: C, seenAgo: FRESH } }));
      expect(await joinAsSeen(bob, ROOM, 'bob', B, seen, answering)).toBeNull();
      expect(await seatsOf()).toEqual(['alice', 'carol']);
      expect(await join(bob, ROOM, 'bob', B)).toBe('full');
    });

    test('refused: the room is gone since the look; nothing is created by the update', async () => {
      await seed(room(ALONE, aliceOffer()));
      const seen = await look(bob);
      await testEnv.clearFirestore();
      expect(await joinAsSeen(bob, ROOM, 'bob', B, seen, answering)).toBeNull();
      expect(await stored(roomPath())).toBeUndefined();
      expect(await stored(peerPath('bob'))).toBeUndefined();
    });
  });

  // ======================================================================================= leaks
  // Issue #12, each leak tried as an attacker would, with the app's own join and leave.
  describe('leaks: a newcomer in a stale seat reads nothing meant for the person before', () => {
    const staleBobWithOutboxes = () =>
      seed(room(BOB_STALE), box('bob', B, 'alice', A), box('alice', A, 'bob', B));

    test("taking bob's stale seat (join transaction) deletes bob's outbox in the same write", async () => {
      await staleBobWithOutboxes();
      expect(await allowed(join(carol, ROOM, 'carol', C))).toBe('seated');
      expect(await seatsOf()).toEqual(['alice', 'carol']);
      expect(await stored(peerPath('bob'))).toBeUndefined();
    });

    test("the newcomer cannot read alice's outbox addressed to bob, nor list the outboxes", async () => {
      await staleBobWithOutboxes();
      await join(carol, ROOM, 'carol', C);
      await denied(getDoc(doc(carol, peerPath('alice'))));
      await denied(getDoc(doc(carol, peerPath('bob'))));
      await denied(getDocs(collection(carol, roomPath(), 'peers')));
      const inbox = await allowed(getDocs(query(collection(carol, roomPath(), 'peers'), where('to', '==', 'carol'))));
      expect(inbox.size).toBe(0);
    });

    test('nor could they while bob still sat there stale (before taking the seat)', async () => {
      await staleBobWithOutboxes();
      await denied(getDoc(doc(carol, peerPath('alice'))));
      await denied(getDocs(query(collection(carol, roomPath(), 'peers'), where('to', '==', 'bob'))));
    });

    test("the addressee no longer reads an outbox once its writer's seat is gone", async () => {
      // An outbox left behind by an older client (the rules no longer let one outlive its seat).
      await seed(room(ALONE), box('bob', B, 'alice', A));
      await denied(getDoc(doc(alice, peerPath('bob'))));
    });
  });

  describe('leaks: whoever re-creates a finished room finds no signaling', () => {
    test('the last one out leaves no outbox behind; the re-creator reads nothing', async () => {
      await seed(room(ALONE), box('alice', A, 'bob', B));
      await allowed(leaveRoom(alice, ROOM, 'alice'));
      expect(await join(carol, ROOM, 'carol', C)).toBe('created');
      await denied(getDocs(collection(carol, roomPath(), 'peers')));
      await denied(getDoc(doc(carol, peerPath('alice'))));
      const inbox = await allowed(getDocs(query(collection(carol, roomPath(), 'peers'), where('to', '==', 'carol'))));
      expect(inbox.size).toBe(0);
      expect(await stored(peerPath('alice'))).toBeUndefined();
    });

    test('a re-creator cannot read outboxes the TTL has not removed yet', async () => {
      await seed(box('alice', A, 'bob', B), box('bob', B, 'alice', A));
      expect(await join(carol, ROOM, 'carol', C)).toBe('created');
      await denied(getDoc(doc(carol, peerPath('alice'))));
      await denied(getDoc(doc(carol, peerPath('bob'))));
      await denied(getDocs(collection(carol, roomPath(), 'peers')));
    });
  });

  describe('leaks: an outsider who has the room id', () => {
    test('reads the seats but neither outbox, and the pre-offer only sealed', async () => {
      await seed(room(PAIR, aliceOffer()), box('alice', A, 'bob', B), box('bob', B, 'alice', A));
      const snap = await allowed(getDoc(doc(carol, roomPath())));
      expect(Object.keys(snap.data()?.offer ?? {}).sort()).toEqual(['pc', 'sealed', 'session', 'uid']);
      await denied(getDoc(doc(carol, peerPath('alice'))));
      await denied(getDocs(query(collection(carol, roomPath(), 'peers'), where('to', '==', 'alice'))));
    });
  });

  attacks('attack: leaving signaling behind', async () => {
    await seed(room(BOB_STALE), box('bob', B, 'alice', A), box('alice', A, 'bob', B));
  }, () => [
    ["taking a stale seat without deleting that person's outbox", () =>
      updateDoc(doc(carol, roomPath()), { ...sit('carol', C), 'seats.bob': deleteField() })],
    ['leaving (removing my seat) without deleting my outbox', () =>
      updateDoc(doc(alice, roomPath()), { 'seats.alice': deleteField(), expires: f.expiry() })],
    ['deleting the room while my own outbox stays', () => {
      const batch = writeBatch(alice);
      batch.delete(doc(alice, peerPath('bob')));
      batch.delete(doc(alice, roomPath()));
      return batch.commit();
    }],
    ["deleting the room while the stale partner's outbox stays", () => {
      const batch = writeBatch(alice);
      batch.delete(doc(alice, peerPath('alice')));
      batch.delete(doc(alice, roomPath()));
      return batch.commit();
    }],
  ]);

  // ===================================================================================== attacks
  // Each attack is one valid request (as in the allowed cases above) with one thing changed.
  type Attack = [name: string, run: () => Promise<unknown>];

  function attacks(title: string, setup: () => Promise<void>, cases: () => Attack[]) {
    describe(title, () => {
      // The table is listed once for the test names, and built again inside each test so that
      // its requests are created (and their data timestamped) when the test runs.
      for (const [index, [name]] of cases().entries()) {
        test(name, async () => {
          await setup();
          const [, run] = cases()[index]!;
          await denied(run());
        });
      }
    });
  }

  const none = async () => {};
  const withPair = () => seed(room(PAIR));

  attacks('attack: unauthenticated visitor', withPair, () => [
    ['visitor reads a room', () => getDoc(doc(visitor, roomPath()))],
    ['visitor creates a room', () => setDoc(doc(visitor, roomPath(OTHER_ROOM)), f.newRoom('visitor', 'v-1'))],
    ['visitor joins a room', () => updateDoc(doc(visitor, roomPath()), sit('visitor', 'v-1'))],
    ['visitor refreshes a seat', () => updateDoc(doc(visitor, roomPath()), heartbeat('alice'))],
    ['visitor deletes a room', () => deleteDoc(doc(visitor, roomPath()))],
    ['visitor lists rooms', () => getDocs(collection(visitor, 'rooms'))],
    ['visitor reads an outbox', () => getDoc(doc(visitor, peerPath('alice')))],
    ['visitor lists outboxes', () => getDocs(collection(visitor, roomPath(), 'peers'))],
    ['visitor writes an outbox', () => setDoc(doc(visitor, peerPath('alice')), f.outbox('alice', A, 'bob', B))],
    ['visitor deletes an outbox', () => deleteDoc(doc(visitor, peerPath('alice')))],
  ]);

  attacks('attack: enumerating rooms', withPair, () => [
    ['listing all rooms', () => getDocs(collection(carol, 'rooms'))],
    ['listing rooms a participant is in (query on seats)', () =>
      getDocs(query(collection(alice, 'rooms'), where('seats.alice.session', '==', A)))],
    ['collection-group query over every outbox', () => getDocs(collectionGroup(carol, 'peers'))],
  ]);

  attacks('attack: creating a room', none, () => [
    ['creating a room seating someone else', () => setDoc(doc(carol, roomPath()), f.newRoom('alice', A))],
    ['creating a room with two seats (myself and a friend)', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), seats: { alice: f.seat(A), bob: f.seat(B) } })],
    ['creating a room with no seat', () => setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), seats: {} })],
    ["creating a room with someone else's pre-offer", () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), offer: f.offer('bob', A) })],
    ['creating a room with a pre-offer from a session that is not my seat session', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), offer: f.offer('alice', 'a-0') })],
    ['creating a room with a pre-offer in clear (`sdp` instead of `sealed`)', () => {
      const { sealed: _omit, ...rest } = f.offer('alice', A);
      return setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), offer: { ...rest, sdp: 'v=0\r\n' } });
    }],
    ['creating a room with a backdated `created`', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), created: f.secondsAgo(3600) })],
    ['creating a room with a backdated seat `seen`', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), seats: { alice: { session: A, seen: f.secondsAgo(30) } } })],
    ['creating a room with an extra field', () => setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), name: 'x' })],
    ['creating a room with a field missing (no `offer`)', () => {
      const { offer: _omit, ...rest } = f.newRoom('alice', A);
      return setDoc(doc(alice, roomPath()), rest);
    }],
    ['creating a room with an extra field in the seat', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), seats: { alice: { ...f.seat(A), admin: true } } })],
    ['creating a room with an empty session id', () => setDoc(doc(alice, roomPath()), f.newRoom('alice', ''))],
    [`creating a room with a session id over ${f.ID_MAX} chars`, () =>
      setDoc(doc(alice, roomPath()), f.newRoom('alice', f.chars(f.ID_MAX + 1)))],
    ['creating a room with a session of the wrong type (number)', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), seats: { alice: { session: 7, seen: serverTimestamp() } } })],
    ['creating a room whose seats is not a map (list)', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), seats: ['alice'] })],
    ['creating a room that never expires (expires in 1 year)', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), expires: f.expiry(24 * 365) })],
    ['creating a room that expires in under 1 h', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), expires: f.expiry(0.5) })],
    ['creating a room with `expires` of the wrong type (string)', () =>
      setDoc(doc(alice, roomPath()), { ...f.newRoom('alice', A), expires: '2099-01-01' })],
  ]);

  attacks('attack: overwriting or resetting an existing room', withPair, () => [
    ['overwriting an existing room with a new one (create over it)', () =>
      setDoc(doc(carol, roomPath()), f.newRoom('carol', C))],
    ['a participant overwriting the room to reset participants to only themselves', () =>
      setDoc(doc(alice, roomPath()), f.newRoom('alice', A))],
    ['resetting participants with an update of the whole seats map', () =>
      updateDoc(doc(carol, roomPath()), { seats: { carol: f.seat(C) } })],
    ['changing `created`', () => updateDoc(doc(alice, roomPath()), { created: serverTimestamp() })],
    ['adding an extra field', () => updateDoc(doc(alice, roomPath()), { name: 'hello' })],
    ['deleting the `offer` field', () => updateDoc(doc(alice, roomPath()), { offer: deleteField() })],
    ['renewing with `expires` a week away', () =>
      updateDoc(doc(alice, roomPath()), { ...heartbeat('alice'), expires: f.expiry(24 * 7) })],
    ['renewing with `expires` already past', () =>
      updateDoc(doc(alice, roomPath()), { ...heartbeat('alice'), expires: f.secondsAgo(60) })],
    ['a non-participant keeping the room alive (touching `expires`)', () =>
      updateDoc(doc(carol, roomPath()), { expires: f.expiry() })],
  ]);

  attacks('attack: seats in a room of two fresh participants', withPair, () => [
    ['third participant joins a full room', () => updateDoc(doc(carol, roomPath()), sit('carol', C))],
    ['third participant sitting down and writing an outbox in one batch', () => {
      const batch = writeBatch(carol);
      batch.update(doc(carol, roomPath()), sit('carol', C));
      batch.set(doc(carol, peerPath('carol')), f.outbox('carol', C, 'alice', A));
      return batch.commit();
    }],
    ['joining as someone else (a seat for another uid)', () =>
      updateDoc(doc(carol, roomPath()), { 'seats.dave': f.seat('d-1') })],
    ['taking a seat that is not stale (removing a fresh seat to sit)', () =>
      updateDoc(doc(carol, roomPath()), { ...sit('carol', C), 'seats.bob': deleteField() })],
    ['removing the other person', () => updateDoc(doc(alice, roomPath()), { 'seats.bob': deleteField() })],
    ["replacing the other person's session (impersonation)", () =>
      updateDoc(doc(alice, roomPath()), { 'seats.bob': f.seat('b-evil') })],
    ["refreshing the other person's presence (keeping a dead seat alive)", () =>
      updateDoc(doc(alice, roomPath()), heartbeat('bob'))],
    ['backdating my own `seen`', () =>
      updateDoc(doc(alice, roomPath()), { 'seats.alice.seen': f.secondsAgo(30), expires: f.expiry() })],
    ['future-dating my own `seen` (to look fresh longer)', () =>
      updateDoc(doc(alice, roomPath()), { 'seats.alice.seen': Timestamp.fromMillis(Date.now() + 3_600_000) })],
    ['an extra field in my seat', () => updateDoc(doc(alice, roomPath()), { 'seats.alice.admin': true })],
    ['a seat without `seen`', () => updateDoc(doc(alice, roomPath()), { 'seats.alice': { session: A } })],
    ['deleting the room while the other person is in it', () => deleteDoc(doc(alice, roomPath()))],
    ['a non-participant deleting the room', () => deleteDoc(doc(carol, roomPath()))],
  ]);

  attacks('attack: seats next to a stale seat', () => seed(room(BOB_STALE)), () => [
    ['a participant removing the other (stale) person without taking a seat', () =>
      updateDoc(doc(alice, roomPath()), { 'seats.bob': deleteField() })],
    ['taking a stale seat while also removing the fresh one', () =>
      updateDoc(doc(carol, roomPath()), { ...sit('carol', C), 'seats.bob': deleteField(), 'seats.alice': deleteField() })],
    ['a newcomer joining without removing the stale seat (a third seat)', () =>
      updateDoc(doc(carol, roomPath()), sit('carol', C))],
  ]);

  attacks(`attack: a seat not yet stale (seen ${NOT_YET_STALE} s ago)`, () =>
    seed(room({ alice: { session: A, seenAgo: FRESH }, bob: { session: B, seenAgo: NOT_YET_STALE } })), () => [
    [`taking a seat seen ${NOT_YET_STALE} s ago (timeout is ${f.PRESENCE_TIMEOUT_S} s)`, () =>
      updateDoc(doc(carol, roomPath()), { ...sit('carol', C), 'seats.bob': deleteField() })],
    [`deleting the room while the other was seen ${NOT_YET_STALE} s ago`, () => deleteDoc(doc(alice, roomPath()))],
  ]);

  attacks('attack: a room with only stale seats', () => seed(room(BOTH_STALE)), () => [
    ['a non-participant deleting an abandoned room', () => deleteDoc(doc(carol, roomPath()))],
    ['emptying a room instead of deleting it (last seat removed)', () =>
      updateDoc(doc(alice, roomPath()), { 'seats.alice': deleteField(), 'seats.bob': deleteField() })],
  ]);

  attacks('attack: the pre-offer', () => seed(room(PAIR, aliceOffer())), () => [
    ['setting an offer as someone else (uid of the other participant)', () =>
      updateDoc(doc(bob, roomPath()), { offer: f.offer('alice', A, { pc: 'forged-pc' }) })],
    ['setting an offer with a session that is not my seat session', () =>
      updateDoc(doc(alice, roomPath()), { offer: f.offer('alice', 'a-0') })],
    ['a non-participant setting their own offer', () => updateDoc(doc(carol, roomPath()), { offer: f.offer('carol', C) })],
    ['a non-participant clearing the offer without joining', () => updateDoc(doc(carol, roomPath()), { offer: null })],
    [`an oversized offer SDP (${f.SDP_MAX + 1} chars)`, () =>
      updateDoc(doc(alice, roomPath()), { offer: f.offer('alice', A, { sealed: f.chars(f.SDP_MAX + 1) }) })],
    ['an empty offer SDP', () => updateDoc(doc(alice, roomPath()), { offer: f.offer('alice', A, { sealed: '' }) })],
    ['an offer with its SDP in clear (`sdp` instead of `sealed`)', () => {
      const { sealed: _omit, ...rest } = f.offer('alice', A);
      return updateDoc(doc(alice, roomPath()), { offer: { ...rest, sdp: 'v=0\r\no=- 1 2 IN IP4 192.0.2.7\r\n' } });
    }],
    ['an offer with an extra field', () => updateDoc(doc(alice, roomPath()), { offer: { ...f.offer('alice', A), to: 'bob' } })],
    ['an offer with a field missing (no pc)', () => {
      const { pc: _omit, ...rest } = f.offer('alice', A);
      return updateDoc(doc(alice, roomPath()), { offer: rest });
    }],
    [`an offer pc id over ${f.ID_MAX} chars`, () =>
      updateDoc(doc(alice, roomPath()), { offer: f.offer('alice', A, { pc: f.chars(f.ID_MAX + 1) }) })],
    ['an offer of the wrong type (string)', () => updateDoc(doc(alice, roomPath()), { offer: 'v=0...' })],
    ['an offer SDP of the wrong type (bytes-like list)', () =>
      updateDoc(doc(alice, roomPath()), { offer: f.offer('alice', A, { sealed: [118, 61, 48] }) })],
  ]);

  // Outboxes in room-1 (alice and bob); carol sits in room-2 with someone else.
  const withPairAndOtherRoom = async () => {
    await seed(
      room(PAIR),
      room({ carol: { session: C, seenAgo: FRESH }, dave: { session: 'd-1', seenAgo: FRESH } }, null, OTHER_ROOM),
      box('alice', A, 'bob', B),
      box('bob', B, 'alice', A),
    );
  };
  const bobWrites = (over: Record<string, unknown>) =>
    setDoc(doc(bob, peerPath('bob')), f.outbox('bob', B, 'alice', A, over));

  attacks('attack: signaling (outboxes)', withPairAndOtherRoom, () => [
    ["reading another room's outbox (participant of room-2)", () => getDoc(doc(carol, peerPath('alice')))],
    ["listing another room's outboxes (participant of room-2)", () => getDocs(collection(carol, roomPath(), 'peers'))],
    ["writing an outbox in another room (participant of room-2)", () =>
      setDoc(doc(carol, peerPath('carol')), f.outbox('carol', C, 'alice', A))],
    ["writing another person's outbox document", () => setDoc(doc(bob, peerPath('alice')), f.outbox('alice', A, 'bob', B))],
    ['forging `uid` (from) in my own outbox', () => bobWrites({ uid: 'alice' })],
    ['forging `session` (not my seat session)', () => bobWrites({ session: 'b-0' })],
    [`an oversized description SDP (${f.SDP_MAX + 1} chars)`, () =>
      bobWrites({ description: { type: 'answer', sealed: f.chars(f.SDP_MAX + 1) } })],
    ['a description with its SDP in clear (`sdp` instead of `sealed`)', () =>
      bobWrites({ description: { type: 'answer', sdp: 'v=0\r\no=- 1 2 IN IP4 192.0.2.7\r\n' } })],
    ['empty candidates (not sealed)', () => bobWrites({ candidates: '' })],
    [`oversized candidates (${f.CANDIDATES_MAX + 1} chars)`, () => bobWrites({ candidates: f.chars(f.CANDIDATES_MAX + 1) })],
    ['an extra field', () => bobWrites({ note: 'hi' })],
    ['a field missing (no toSession)', () => {
      const { toSession: _omit, ...rest } = f.outbox('bob', B, 'alice', A);
      return setDoc(doc(bob, peerPath('bob')), rest);
    }],
    ["a description type other than offer/answer ('rollback')", () =>
      bobWrites({ description: { type: 'rollback', sealed: f.sdp() } })],
    ['a description with an extra field', () => bobWrites({ description: { type: 'answer', sealed: f.sdp(), x: 1 } })],
    ['descN negative', () => bobWrites({ descN: -1 })],
    ['descN of the wrong type (float)', () => bobWrites({ descN: 1.5 })],
    ['candidates of the wrong type (array)', () => bobWrites({ candidates: [] })],
    [`toPc over ${f.ID_MAX} chars`, () => bobWrites({ toPc: f.chars(f.ID_MAX + 1) })],
    ['an empty pc id', () => bobWrites({ pc: '' })],
    ['a backdated `at`', () => bobWrites({ at: f.secondsAgo(10) })],
    ['`expires` a week away', () => bobWrites({ expires: f.expiry(24 * 7) })],
    ["deleting the other participant's outbox while they hold a seat", () => deleteDoc(doc(alice, peerPath('bob')))],
    ["an outsider deleting an outbox", () => deleteDoc(doc(carol, peerPath('bob')))],
  ]);

  // The write that takes a seat may carry the joiner's outbox only as the answer to the pre-offer
  // it consumes (firestore.rules, answersConsumedOffer).
  const takeSeatWithOutbox = (over: Record<string, unknown>, room: Record<string, unknown> = sit('bob', B)) => {
    const batch = writeBatch(bob);
    batch.update(doc(bob, roomPath()), room);
    batch.set(doc(bob, peerPath('bob')), f.outbox('bob', B, 'alice', A, { toPc: 'alice-pc-1', ...over }));
    return batch.commit();
  };
  attacks('attack: an outbox in the write that takes the seat', () => seed(room(ALONE, aliceOffer())), () => [
    ['answering another peer connection than the pre-offer consumed', () => takeSeatWithOutbox({ toPc: 'alice-pc-0' })],
    ['answering another session than the pre-offer consumed', () => takeSeatWithOutbox({ toSession: 'a-0' })],
    ['addressing someone else than the pre-offer consumed', () => takeSeatWithOutbox({ to: 'carol' })],
    ['an offer instead of the answer', () => takeSeatWithOutbox({ description: { type: 'offer', sealed: f.sdp() } })],
    ['candidates alone, no answer', () => takeSeatWithOutbox({ description: null })],
    ['answering the pre-offer without consuming it (left up for someone else)', () =>
      takeSeatWithOutbox({}, { [`seats.bob`]: f.seat(B), expires: f.expiry() })],
  ]);
  attacks('attack: an outbox in the write that takes the seat of a room without a pre-offer', () => seed(room(ALONE)), () => [
    ['an answer to a pre-offer that is not there', () => takeSeatWithOutbox({})],
  ]);

  attacks('attack: signaling without a seat', async () => {
    await seed(room(ALONE), box('bob', B, 'alice', A));
  }, () => [
    ['writing an outbox after leaving (no seat)', () => setDoc(doc(bob, peerPath('bob')), f.outbox('bob', B, 'alice', A))],
    ['reading outboxes after leaving (no seat)', () => getDoc(doc(bob, peerPath('bob')))],
    ['writing an outbox in a room that does not exist', () =>
      setDoc(doc(carol, peerPath('carol', 'no-such-room')), f.outbox('carol', C, 'alice', A))],
    ["an outsider deleting the outbox of someone who left", () => deleteDoc(doc(carol, peerPath('bob')))],
  ]);

  // ======================================================================================= race
  // Every round is its own room that 6 real SDK clients (one app and connection per user) try to
  // join at the same moment with the client's join transaction. Rounds run 6 rooms side by side
  // (4 waves) to keep the suite fast; the rooms share nothing, so each is an independent race.
  test('race: 6 users join one room at the same moment, 24 rounds; exactly 2 seats each time, the rest "full"', async () => {
    const uids = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
    const dbs = uids.map((uid) => dbOf(testEnv.authenticatedContext(uid)));
    const ROUNDS = 24;
    const PER_WAVE = 6;
    const counters = { attempts: 0, deniedRetries: 0 };
    let fullAnswers = 0;
    let staleTaken = 0;
    const wins: Record<string, number> = Object.fromEntries(uids.map((u) => [u, 0]));

    async function round(n: number): Promise<void> {
      const roomId = `race-${n}`;
      // Odd rounds start from a room whose only seat is stale (a crashed tab): the first joiner
      // removes it, and still only two of the six get in.
      const staleStart = n % 2 === 1;
      if (staleStart) await seed(room({ zed: { session: 'z-1', seenAgo: STALE } }, null, roomId));
      const results = await Promise.all(uids.map((uid, i) => join(dbs[i]!, roomId, uid, `${uid}-${n}`, counters)));
      const winners = uids.filter((_, i) => results[i] !== 'full');
      const full = results.filter((r) => r === 'full').length;
      expect(winners, `round ${n}: ${results.join(',')}`).toHaveLength(2);
      expect(full, `round ${n}`).toBe(uids.length - 2);
      expect(results.filter((r) => r === 'created').length, `round ${n}`).toBe(staleStart ? 0 : 1);
      expect(await seatsOf(roomId), `round ${n}: seats`).toEqual([...winners].sort());
      fullAnswers += full;
      if (staleStart) staleTaken++;
      for (const w of winners) wins[w]!++;
    }

    const t0 = Date.now();
    for (let wave = 0; wave < ROUNDS / PER_WAVE; wave++) {
      await Promise.all(Array.from({ length: PER_WAVE }, (_, k) => round(wave * PER_WAVE + k)));
    }
    const ms = Date.now() - t0;
    summary.push(
      `[rules] race: ${ROUNDS} rounds x ${uids.length} users (${staleTaken} starting from a stale seat): every round ` +
        `exactly 2 seated and ${uids.length - 2} "full" (${fullAnswers} "full" answers in all); ` +
        `${ROUNDS * uids.length} joins ran ${counters.attempts} transaction attempts; ${counters.deniedRetries} ` +
        `race losses surfaced as PERMISSION_DENIED and were re-read and retried; wins ${JSON.stringify(wins)}; ${ms} ms`,
    );
  }, 180_000); // a harness limit: 24 rounds take ~20 s on an idle machine, minutes when the cores are shared

  // =================================================================================== coverage
  // Runs last (tests in a file run in order). The emulator keeps one coverage report per project,
  // reset when rules are loaded (initializeTestEnvironment does), so it covers this file's requests.
  test('coverage: every expression in firestore.rules was evaluated at least once', async () => {
    const url = `http://${EMULATOR_HOST}/emulator/v1/projects/${PROJECT_ID}:ruleCoverage`;
    const res = await fetch(url);
    expect(res.ok).toBe(true);
    const body = (await res.json()) as CoverageReport;
    const source = body.rules?.files?.[0]?.content ?? '';
    const { total, evaluated, missed } = countCoverage(body.report ?? []);
    const line = `[rules] coverage: ${evaluated} of ${total} rule expressions evaluated (${url})`;
    summary.push(line);
    const missedText = missed.map((p) => `L${p.line}:${p.column} ${source.slice(p.currentOffset, p.endOffset)}`);
    expect(total).toBeGreaterThan(100);
    expect(missedText, 'expressions never evaluated').toEqual([]);
    // The emulator builds the report from every evaluation of the file (the race included):
    // tens of seconds on a loaded 2-core machine. A harness limit, not a timing test.
  }, 180_000);
});

// The ruleCoverage JSON: { rules: { files: [{ name, content }] }, report: ExprNode[] }, where every
// expression of the ruleset is a node with its source position, the values it evaluated to (with
// counts; no values when never evaluated) and its sub-expressions as children.
interface SourcePosition {
  line: number;
  column: number;
  currentOffset: number;
  endOffset: number;
}
interface ExprNode {
  sourcePosition: SourcePosition;
  values?: { value: unknown; count: number }[];
  children?: ExprNode[];
}
interface CoverageReport {
  rules?: { files?: { name?: string; content?: string }[] };
  report?: ExprNode[];
}

function countCoverage(nodes: ExprNode[]): { total: number; evaluated: number; missed: SourcePosition[] } {
  let total = 0;
  let evaluated = 0;
  const missed: SourcePosition[] = [];
  const walk = (node: ExprNode) => {
    total++;
    const count = (node.values ?? []).reduce((n, v) => n + (v.count ?? 0), 0);
    if (count > 0) evaluated++;
    else missed.push(node.sourcePosition);
    for (const child of node.children ?? []) walk(child);
  };
  nodes.forEach(walk);
  return { total, evaluated, missed };
}
