// npm start: build, then run the Auth, Firestore and Hosting emulators on a demo
// project (no Firebase account needed) and serve the app at http://localhost:5000.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';
import { emulatorEnv } from './firestore-emulator.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
await build();
const child = spawn(
  'npx',
  ['firebase', 'emulators:start', '--project', 'demo-duet', '--only', 'auth,firestore,hosting'],
  { cwd: root, stdio: 'inherit', env: { ...emulatorEnv(), NO_UPDATE_NOTIFIER: '1' } },
);
console.log('\nDuet will be at http://localhost:5000 — open it in two tabs (or two browsers) and join the same room.\n');
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
