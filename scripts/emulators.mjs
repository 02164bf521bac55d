// The one place that starts the Firebase emulators:
//   - withEmulators: Auth, Firestore and Hosting around a command (`firebase emulators:exec`),
//     for `npm test` (scripts/test.mjs) and `npm run bench` (scripts/bench.mjs), reusable by any
//     suite that needs its own network (give it another namespace setup);
//   - startAll (below): the whole set as deployed, Functions too, with a TURN secret made for
//     the run, for `npm start` (scripts/start.mjs) and the relay world (scripts/net/world.mjs).
//
// As root (CI, the build machines) the command runs in a fresh network namespace: a
// small test host of its own, where nothing reaches the machine's real network.
//   - lo up: the emulators listen on 127.0.0.1, and Chromium may use loopback ICE
//     candidates (--allow-loopback-in-peer-connection);
//   - a veth pair with private addresses and a default route inside the namespace:
//     Firefox gathers no ICE candidates at all without one (docs: ENVIRONMENT.md).
//     Traffic to those addresses never leaves the namespace.
// Fault tests may take lo down or drop packets with nft in there; it touches nothing else.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatorEnv } from './firestore-emulator.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The namespace's addresses: its host side (what candidates carry) and the default route. */
export const NAMESPACE = { device: 'duet0', peer: 'duet1', host: '10.99.0.1', gateway: '10.99.0.2' };

/** Shell commands that turn a fresh network namespace into the test host described above. */
export const NAMESPACE_SETUP = [
  'ip link set lo up',
  `ip link add ${NAMESPACE.device} type veth peer name ${NAMESPACE.peer}`,
  `ip addr add ${NAMESPACE.host}/24 dev ${NAMESPACE.device}`,
  `ip addr add ${NAMESPACE.gateway}/24 dev ${NAMESPACE.peer}`,
  `ip link set ${NAMESPACE.device} up`,
  `ip link set ${NAMESPACE.peer} up`,
  `ip route add default via ${NAMESPACE.gateway} dev ${NAMESPACE.device}`,
  // No DNS server is reachable from in here: refuse lookups at once instead of letting each
  // one time out (6.2 s measured, 0.1 s refused). The Hosting emulator's rewrite to the TURN
  // function (not running in this set) resolves the live function's host on every request.
  `{ ! command -v nft >/dev/null || nft 'add table inet duetnet; add chain inet duetnet out { type filter hook output priority 0; }; add rule inet duetnet out meta l4proto { tcp, udp } th dport 53 reject'; }`,
].join(' && ');

/** Why a private namespace cannot be made here, or null when it can. */
export function namespaceBlocker() {
  if (process.env.DUET_NO_NETNS) return 'DUET_NO_NETNS is set';
  if (process.getuid?.() !== 0) return 'not root (unshare -n needs root)';
  if (!existsSync('/usr/bin/unshare')) return 'unshare is missing (apt-get install util-linux)';
  return null;
}

export const quote = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;

/**
 * Starts `firebase emulators:exec` (Auth, Firestore, Hosting) around the shell command
 * `inner`, in a private namespace when one can be made and `isolate` is not false.
 * Returns the child process, whether it is `isolated`, and a promise of its exit code.
 *
 * @param {string} inner the shell command to run while the emulators are up
 * @param {{ config?: string, cwd?: string, env?: Record<string, string | undefined>,
 *   stdio?: import('node:child_process').StdioOptions, isolate?: boolean, setup?: string }} [options]
 *   config: another firebase.json; setup: another namespace setup (shell commands)
 */
export function withEmulators(inner, { config, cwd = root, env = {}, stdio = 'inherit', isolate = true, setup = NAMESPACE_SETUP } = {}) {
  const firebase = join(root, 'node_modules', '.bin', 'firebase');
  const exec = [quote(firebase), 'emulators:exec', ...(config ? ['--config', quote(config)] : []), '--project', 'demo-duet', '--only', 'auth,firestore,hosting', quote(inner)].join(' ');
  const isolated = isolate && namespaceBlocker() === null;
  const fullEnv = { ...emulatorEnv(), NO_UPDATE_NOTIFIER: '1', DUET_NETNS: isolated ? '1' : '', ...env };
  const child = isolated
    ? spawn('unshare', ['-n', 'sh', '-c', `${setup} && ${exec}`], { cwd, env: fullEnv, stdio })
    : spawn('sh', ['-c', exec], { cwd, env: fullEnv, stdio });
  return { child, isolated, exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))) };
}

// ---------------------------------------------------------------------------------------
// The whole set, as deployment runs it: Auth, Firestore, Hosting and Functions (the
// turnCredentials function behind Hosting's /api/turn-credentials rewrite). `npm start`
// (scripts/start.mjs) and the relay world (scripts/net/world.mjs) start it here.
//
// Without the Functions emulator the Hosting emulator forwards the rewrite to the live
// function's URL (https://us-central1-<project>.cloudfunctions.net/turnCredentials): offline
// that answered 500 after ~6 s, and every page logged an error.

/** The emulators of a set that runs what deployment runs. */
export const ALL_EMULATORS = 'auth,firestore,hosting,functions';

/**
 * The relay (turn:/turns:) URLs an ice-servers.json lists, or none: what the local function
 * hands out under `npm start`. The repository's public/ice-servers.json lists only STUN.
 */
export function relayUrls(file = join(root, 'public', 'ice-servers.json')) {
  try {
    const { iceServers = [] } = JSON.parse(readFileSync(file, 'utf8'));
    return iceServers.flatMap((/** @type {{ urls: string | string[] }} */ s) => [s.urls].flat()).filter((u) => /^turns?:/i.test(String(u)));
  } catch {
    return [];
  }
}

/** The environment without another emulator set's variables (FIRESTORE_EMULATOR_HOST, ...). */
export function ownEmulatorEnv() {
  const env = emulatorEnv();
  for (const k of Object.keys(env)) if (/EMULATOR_HOST|EMULATOR_HUB|^GCLOUD_PROJECT$|^FIREBASE_CONFIG$/.test(k)) delete env[k];
  return env;
}

/**
 * Writes a run of the whole set into `dir` (made and removed by the caller):
 *   - functions/: the repository's function with a TURN secret made for this run
 *     (functions/.secret.local, TURN_SECRET) and its parameters (.env.local: TURN_URLS,
 *     TURN_TTL_SECONDS). The repository's own functions/.secret.local and .env.local (a
 *     developer's) are neither read nor touched.
 *   - firebase.json: the repository's, with absolute paths, the emulators on `host`.
 * @param {string} dir
 * @param {{ host?: string, dist?: string, turnUrls?: string[], turnTtlSeconds?: number, secret?: string }} [options]
 *   host: where every emulator listens (default: firebase.json's); dist: the built app to serve;
 *   secret: the TURN secret (default: random, made here; a relay of the run shares it)
 * @returns {{ config: string, secret: string, ports: Record<string, number> }}
 */
export function writeRun(dir, { host, dist = join(root, 'dist'), turnUrls = [], turnTtlSeconds = 3600, secret = randomBytes(24).toString('base64url') } = {}) {
  const functions = join(dir, 'functions');
  mkdirSync(functions, { recursive: true, mode: 0o700 });
  for (const f of ['index.js', 'turn.js', 'package.json']) cpSync(join(root, 'functions', f), join(functions, f));
  symlinkSync(join(root, 'functions', 'node_modules'), join(functions, 'node_modules'));
  writeFileSync(join(functions, '.secret.local'), `TURN_SECRET=${secret}\n`, { mode: 0o600 });
  writeFileSync(join(functions, '.env.local'), `TURN_URLS=${turnUrls.join(',')}\nTURN_TTL_SECONDS=${turnTtlSeconds}\n`);

  const config = JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8'));
  config.firestore.rules = join(root, config.firestore.rules);
  config.firestore.indexes = join(root, config.firestore.indexes);
  // Hosting takes its public directory relative to the config (an absolute path serves 404s).
  symlinkSync(dist, join(dir, 'app'));
  config.hosting.public = 'app';
  config.functions.source = 'functions';
  /** @type {Record<string, number>} */
  const ports = {};
  for (const e of ['auth', 'firestore', 'hosting', 'functions']) {
    if (host) config.emulators[e].host = host;
    ports[e] = config.emulators[e].port;
  }
  const file = join(dir, 'firebase.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return { config: file, secret, ports };
}

/** Why the Functions emulator cannot run here, or null when it can. */
export function functionsBlocker() {
  if (!existsSync(join(root, 'functions', 'node_modules', 'firebase-functions'))) return 'functions/ has no node_modules (npm install --prefix functions)';
  return null;
}

/**
 * @typedef {object} RunningSet
 * @property {import('node:child_process').ChildProcess} child  firebase emulators:start
 * @property {string} secret  the run's TURN secret
 * @property {Record<string, number>} ports
 * @property {string[]} log  what the emulators printed
 * @property {number} readyMs  from the spawn to "All emulators ready" and a warm function
 * @property {Promise<number>} exited  the exit code
 */

/**
 * Starts the whole set (ALL_EMULATORS) from a run written into `dir` (writeRun), and resolves
 * once every emulator is ready and the function has started its runtime (a first call is a
 * cold start: seconds on a loaded machine, which must not fall on a page).
 * @param {string} dir
 * @param {{ project?: string, host?: string, dist?: string, turnUrls?: string[], turnTtlSeconds?: number, secret?: string,
 *   wrap?: string[], onOutput?: (s: string) => void, timeoutMs?: number }} [options]  (writeRun's, and:)
 *   wrap: a command prefix to run the emulators (and the warm-up call) with, e.g.
 *   ['ip', 'netns', 'exec', ns]; onOutput: where the emulators' output goes
 * @returns {Promise<RunningSet>}
 */
export async function startAll(dir, { project = 'demo-duet', host, dist, turnUrls = relayUrls(), turnTtlSeconds, secret: given, wrap = [], onOutput = () => {}, timeoutMs = 420_000 } = {}) {
  const started = performance.now();
  const { config, secret, ports } = writeRun(dir, { host, dist, turnUrls, turnTtlSeconds, secret: given });
  const firebase = join(root, 'node_modules', '.bin', 'firebase');
  const cmd = [...wrap, firebase, 'emulators:start', '--project', project, '--only', ALL_EMULATORS, '--config', config];
  // TMPDIR: firebase-tools keeps a per-project "hub locator" file there; a private one keeps
  // this set from mistaking another run's (or a crashed one's) for its own, or deleting it.
  // npm_config_offline: the Functions emulator asks npm for firebase-functions' latest version
  // (`npm show`, only to suggest an upgrade); with no registry in reach that waited out its
  // 10 s timeout on every start. Offline, npm answers from its cache or fails at once.
  const env = { ...ownEmulatorEnv(), NO_UPDATE_NOTIFIER: '1', TMPDIR: dir, npm_config_offline: 'true' };
  const child = spawn(cmd[0], cmd.slice(1), { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  /** @type {string[]} */
  const log = [];
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`emulators not ready after ${timeoutMs / 1000} s:\n${log.join('')}`)), timeoutMs);
      const onData = (/** @type {Buffer} */ chunk) => {
        const s = chunk.toString();
        log.push(s);
        onOutput(s);
        if (s.includes('All emulators ready')) {
          clearTimeout(timer);
          resolve(undefined);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`emulators exited with ${code}:\n${log.join('')}`));
      });
    });
    const at = host ?? '127.0.0.1';
    await warmFunction(`http://${at}:${ports.functions}/${project}/us-central1/turnCredentials`, `http://${at}:${ports.auth}`, wrap);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { child, secret, ports, log, readyMs: performance.now() - started, exited };
}

/**
 * Calls the function until it answers as itself (unauthenticated: 401), not with the
 * emulator's 404 of a function still loading; then once as a signed-in person (an anonymous
 * account of the Auth emulator), which loads the token check too: a first such call took
 * 650 ms against 20-80 ms later. The runtime is left idle for the first page. Gives up quietly
 * after 60 s: pages then meet the cold start.
 */
function warmFunction(/** @type {string} */ url, /** @type {string} */ authOrigin, /** @type {string[]} */ wrap) {
  const script = `const until = Date.now() + 60000;
    const call = (headers = {}) => fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: '{"data":null}' });
    (async () => {
      for (;;) {
        try { const r = await call(); await r.text(); if (r.status !== 404) break; } catch {}
        if (Date.now() > until) return;
        await new Promise((r) => setTimeout(r, 250));
      }
      const signUp = await fetch(${JSON.stringify(`${authOrigin}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=warm-up`)}, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"returnSecureToken":true}' });
      const { idToken } = await signUp.json();
      await (await call({ Authorization: 'Bearer ' + idToken })).text();
    })().catch(() => {});`;
  const cmd = [...wrap, process.execPath, '-e', script];
  return new Promise((resolve) => spawn(cmd[0], cmd.slice(1), { stdio: 'ignore' }).on('exit', resolve));
}
