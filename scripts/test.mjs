// npm test: every suite in one emulator run.
//   1. type check (page code; tests and scripts)
//   2. build dist/ for the emulators
//   3. firebase emulators:exec (Auth, Firestore, Hosting) around one `vitest run`
//      (unit, rules and browser suites; extra arguments go to vitest).
// As root (CI, these machines) the run happens in a fresh network namespace with
// only loopback, so WebRTC and the emulators talk over 127.0.0.1 and nothing else.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';
import { emulatorEnv } from './firestore-emulator.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const vitestArgs = process.argv.slice(2);
const started = performance.now();

const run = (cmd, args, env = process.env) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

console.log('› type check');
run('npx', ['tsc', '-p', 'tsconfig.json']); // page code: DOM only
run('npx', ['tsc', '-p', 'tsconfig.node.json']); // tests and scripts: Node too

console.log('› build');
await build();

const quote = (s) => `'${s.replaceAll("'", `'\\''`)}'`;
const vitest = ['npx', 'vitest', 'run', ...vitestArgs].map(quote).join(' ');
const exec = ['npx', 'firebase', 'emulators:exec', '--project', 'demo-duet', '--only', 'auth,firestore,hosting', quote(vitest)].join(' ');

const canIsolate = process.getuid?.() === 0 && existsSync('/usr/bin/unshare') && !process.env.DUET_NO_NETNS;
const env = { ...emulatorEnv(), NO_UPDATE_NOTIFIER: '1', DUET_NETNS: canIsolate ? '1' : '' };
console.log(`› emulators + vitest${canIsolate ? ' (in a loopback-only network namespace)' : ''}`);
if (canIsolate) run('unshare', ['-n', 'sh', '-c', `ip link set lo up && ${exec}`], env);
else run('sh', ['-c', exec], env);
console.log(`› all suites passed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
