// vitest globalSetup for the browser suites: the emulators' first requests are
// several times slower than later ones (JIT, rules compilation). One real client
// round (anonymous sign-in, a transaction, a listener, a delete) before the first
// scenario keeps that cost out of the scenarios' timeouts.
import { initializeApp, deleteApp } from 'firebase/app';
import { connectAuthEmulator, getAuth, signInAnonymously } from 'firebase/auth';
import {
  connectFirestoreEmulator,
  deleteDoc,
  doc,
  getFirestore,
  onSnapshot,
  runTransaction,
  serverTimestamp,
  Timestamp,
} from 'firebase/firestore';

export default async function warmUp(): Promise<void> {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  const authHost = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (!host || !authHost) return;
  const started = Date.now();
  const app = initializeApp({ projectId: 'demo-duet', apiKey: 'fake-api-key' }, `warm-up-${process.pid}`);
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${authHost}`, { disableWarnings: true });
  const db = getFirestore(app);
  const [h, p] = host.split(':');
  connectFirestoreEmulator(db, h!, Number(p));
  const { user } = await signInAnonymously(auth);
  const ref = doc(db, 'rooms', `warm-up-${process.pid}`);
  await runTransaction(db, async (tx) => {
    await tx.get(ref);
    tx.set(ref, {
      seats: { [user.uid]: { session: 'warm-up', seen: serverTimestamp() } },
      offer: null,
      created: serverTimestamp(),
      expires: Timestamp.fromMillis(Date.now() + 86_400_000),
    });
  });
  await new Promise<void>((resolve) => {
    const stop = onSnapshot(ref, (s) => {
      if (s.exists() && !s.metadata.fromCache) {
        stop();
        resolve();
      }
    });
  });
  await deleteDoc(ref);
  await deleteApp(app);
  console.log(`emulators warmed up in ${Date.now() - started} ms`);
}
