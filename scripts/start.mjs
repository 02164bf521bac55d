// npm start: build, then run what deployment runs, on a demo project (no Firebase account
// needed): the Auth, Firestore, Hosting and Functions emulators, the app at
// http://localhost:5000 and its turnCredentials function behind /api/turn-credentials, with
// a TURN secret made for this run (scripts/emulators.mjs, startAll). The relays the function
// hands out are the turn:/turns: URLs public/ice-servers.json lists: none by default.
//   --no-build   serve dist/ as it is (test/e2e/start.test.ts, which runs this beside a suite
//                that serves the same dist/)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from './build.mjs';
import { functionsBlocker, relayUrls, startAll } from './emulators.mjs';

if (!process.argv.includes('--no-build')) await build();
const blocked = functionsBlocker();
if (blocked) {
  console.error(`npm start: ${blocked}`);
  process.exit(1);
}

// The run's directory: a copy of functions/ with the run's secret, and its firebase.json.
// Private to this user, removed on exit; nothing of it is in the repository.
const dir = mkdtempSync(join(tmpdir(), 'duet-start-'));
const cleanUp = () => rmSync(dir, { recursive: true, force: true });
process.on('exit', cleanUp);

const relays = relayUrls();
console.log('› starting the emulators (Auth, Firestore, Hosting, Functions)…');
/** @type {import('node:child_process').ChildProcess | undefined} */
let child;
let stopping = false;
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    stopping = true;
    if (!child) process.exit(130);
    child.kill(signal);
  });
}
const set = await startAll(dir, { turnUrls: relays, onOutput: (s) => process.stdout.write(s) }).catch((e) => {
  console.error(String(e?.message ?? e).split('\n')[0]);
  process.exit(1);
});
child = set.child;
const { ports } = set;
console.log(`
Duet is at http://localhost:${ports.hosting} — open it in two tabs (or two browsers) and join the same room.
  Project demo-duet, all local, no Firebase account: Hosting ${ports.hosting}, Auth ${ports.auth}, Firestore ${ports.firestore},
  Functions ${ports.functions} (turnCredentials, behind /api/turn-credentials), ready in ${(set.readyMs / 1000).toFixed(1)} s.
  TURN: a secret made for this run (${join(dir, 'functions', '.secret.local')}, deleted on exit);
  relays handed out: ${relays.length ? relays.join(', ') : 'none (public/ice-servers.json lists no turn: URL)'}.
`);
const code = await set.exited;
process.exit(stopping ? 0 : code);
