// npm test: every suite in one emulator run.
//   1. type check (page code; tests and scripts)
//   2. build dist/ for the emulators
//   3. firebase emulators:exec (Auth, Firestore, Hosting) around one `vitest run`
//      (unit, rules, Chromium scenarios and in-call features, Firefox, faults, then the NAT and
//      relay world; extra arguments go to vitest, `--project NAME` runs one suite).
// `--quick` (npm run test:quick) runs only unit, rules and the two-person call scenarios
// (test/e2e/call.test.ts) through the same steps: the inner loop, under 3 minutes.
// As root (CI, these machines) the run happens in a private network namespace (loopback
// plus a veth pair with a default route, see scripts/emulators.mjs): WebRTC, the emulators
// and the browsers talk only inside it, and the fault tests can cut it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';
import { namespaceBlocker, quote, withEmulators } from './emulators.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

console.log('› type check');
run('npx', ['tsc', '-p', 'tsconfig.json']); // page code: DOM only
run('npx', ['tsc', '-p', 'tsconfig.node.json']); // tests and scripts: Node too

console.log('› build');
await build();

const blocker = namespaceBlocker();
console.log(`› emulators + vitest${blocker ? ` (no private network namespace: ${blocker})` : ' (in a private network namespace)'}`);
const QUICK = ['test/unit/', 'test/rules/', 'test/e2e/call.test.ts'];
const args = process.argv.slice(2).flatMap((a) => (a === '--quick' ? QUICK : [a]));
const vitest = ['npx', 'vitest', 'run', ...args].map(quote).join(' ');
const status = await withEmulators(vitest).exited;
const total = `${((performance.now() - started) / 1000).toFixed(1)} s (type check, build, emulators and vitest)`;
if (status !== 0) {
  console.log(`› failed (exit code ${status}) after ${total}`);
  process.exit(status);
}
console.log(`› all suites passed in ${total}`);
