// Finds an offline Firestore emulator when this machine has one, so that
// `firebase emulators:*` does not try to download its jar.
//
// Debian build machines carry the Google Cloud SDK's copy of the emulator, but
// that jar has no Main-Class, and firebase-tools starts it with `java -jar`.
// A tiny wrapper jar (manifest only) fixes that. It is built once into
// node_modules/.cache/duet/ and never committed.
//
// Elsewhere (a laptop with internet, no Cloud SDK) this does nothing and
// firebase-tools downloads its emulator as usual. An explicit
// FIRESTORE_EMULATOR_BINARY_PATH always wins.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK_JAR = '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar';
const MAIN_CLASS = 'com.google.cloud.datastore.emulator.firestore.CloudFirestore';
const root = fileURLToPath(new URL('..', import.meta.url));

/** Returns the environment to start firebase-tools with. */
export function emulatorEnv(env = process.env) {
  if (env.FIRESTORE_EMULATOR_BINARY_PATH || !existsSync(SDK_JAR)) return { ...env };
  const dir = join(root, 'node_modules', '.cache', 'duet');
  const wrapper = join(dir, 'firestore-emulator-wrapper.jar');
  if (!existsSync(wrapper)) {
    mkdirSync(dir, { recursive: true });
    const manifest = join(dir, 'manifest.txt');
    writeFileSync(manifest, `Main-Class: ${MAIN_CLASS}\nClass-Path: ${SDK_JAR}\n`);
    execFileSync('jar', ['cfm', wrapper, manifest], { cwd: dir, stdio: 'inherit' });
  }
  return { ...env, FIRESTORE_EMULATOR_BINARY_PATH: wrapper };
}
