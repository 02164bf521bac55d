// npm run deploy: build for production and deploy Hosting, Firestore rules and
// Firestore indexes (including the TTL policies) to a real Firebase project.
//
//   FIREBASE_PROJECT=my-project npm run deploy
//
// One-time setup is in the README ("Deploy").
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';

const project = process.env.FIREBASE_PROJECT ?? process.argv[2];
if (!project) {
  console.error('Which Firebase project? Run: FIREBASE_PROJECT=<project-id> npm run deploy');
  process.exit(2);
}
await build({ deploy: true });
const root = fileURLToPath(new URL('..', import.meta.url));
const r = spawnSync(
  'npx',
  ['firebase', 'deploy', '--project', project, '--only', 'hosting,firestore:rules,firestore:indexes'],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
