// The relay world (issue 14), for the relay suite (test/relay) and the bench's relay row:
// the NAT topology of scripts/net/topology.mjs, with
//   - in the "internet": the Firebase emulators (Auth, Firestore, Hosting serving dist/,
//     Functions running functions/ with a TURN secret made for this run) and coturn;
//   - in each home: a Chromium of its own, started through `ip netns exec`, driven by
//     Playwright over its pipe (so the test process needs no route into the homes).
// Every process lives in a namespace of the topology; destroy() kills them all with it.
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, chromiumArgs } from '../chromium.mjs';
import { emulatorEnv } from '../firestore-emulator.mjs';
import { CLOUD_IP, TURN_IP, createTopology, homeAddresses, topologyBlocker } from './topology.mjs';
import { TURNSERVER, startTurnServer } from './relay.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
export { CLOUD_IP, TURN_IP, homeAddresses };
/** The app as the homes reach it: "localhost" is mapped to the cloud host (see homeBrowser). */
export const APP_URL = 'http://localhost:5000';
export const PROJECT = 'demo-duet-relay';

export const TURN_URLS = [
  `turn:${TURN_IP}:3478?transport=udp`,
  `turn:${TURN_IP}:3478?transport=tcp`,
  `turns:${TURN_IP}:443?transport=tcp`,
];

/**
 * Why the relay world cannot run here, or null when it can.
 * @param {{ dist?: string }} [options]  the built app it would serve (default: dist/)
 * @returns {string | null}
 */
export function relayBlocker({ dist = join(root, 'dist') } = {}) {
  const t = topologyBlocker();
  if (t) return t;
  if (!existsSync(TURNSERVER)) return `coturn is not installed (${TURNSERVER}; apt-get install coturn)`;
  if (!existsSync(join(root, 'functions/node_modules/firebase-functions'))) return 'functions/ has no node_modules (npm install --prefix functions)';
  if (!existsSync(join(dist, 'index.html'))) return `${dist} is not built (npm test builds dist/)`;
  return null;
}

/** base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate: what Chromium's SPKI allow-list takes. */
function spkiPin(/** @type {string} */ certPem) {
  const key = new X509Certificate(readFileSync(certPem)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(key).digest('base64');
}

/** The environment without another emulator set's variables (FIRESTORE_EMULATOR_HOST, ...). */
function ownEnv() {
  const env = emulatorEnv();
  for (const k of Object.keys(env)) if (/EMULATOR_HOST|EMULATOR_HUB|^GCLOUD_PROJECT$|^FIREBASE_CONFIG$/.test(k)) delete env[k];
  return env;
}

/**
 * @typedef {object} World
 * @property {ReturnType<typeof createTopology>} topology
 * @property {string} dir
 * @property {string} secret
 * @property {(home: 1 | 2, options?: { camera?: 'hd' | 'small' }) => Promise<import('@playwright/test').Browser>} browser
 *   a Chromium inside home 1 or 2; its fake camera 'hd' (the default: the size the app asks for,
 *   1280x720, for figures of a real call) or 'small' (the suites' 320x240 file: far less CPU)
 * @property {string[]} emulatorLog  lines the emulators printed (for failure reports)
 * @property {() => Promise<void>} destroy
 */

/**
 * @typedef {object} WorldOptions
 * @property {number} [turnTtlSeconds]  how long minted TURN credentials live, in seconds
 * @property {string} [dist]  the built app to serve (default: the repository's dist/)
 */

/**
 * Builds the world; resolves once the emulators are ready and the function is warm.
 * @param {WorldOptions} [options]
 * @returns {Promise<World>}
 */
export async function startWorld(options = {}) {
  const topology = createTopology();
  const dir = mkdtempSync(join(tmpdir(), 'duet-relay-'));
  /** @type {import('node:child_process').ChildProcess[]} */
  const children = [];
  /** @type {import('@playwright/test').Browser[]} */
  const browsers = [];
  /** @type {string[]} */
  const emulatorLog = [];
  const destroyNow = () => {
    for (const c of children) c.kill('SIGKILL');
    topology.destroy(); // kills whatever else runs in the namespaces
    if (!process.env.DUET_KEEP_WORLD) rmSync(dir, { recursive: true, force: true });
  };
  // A run that ends without afterAll (an interrupted vitest) still leaves nothing behind.
  process.once('exit', destroyNow);
  const destroy = async () => {
    await Promise.all(browsers.map((b) => b.close().catch(() => {})));
    destroyNow();
    process.off('exit', destroyNow);
  };
  try {
    // A secret for this run only: coturn and the function share it, nothing else sees it.
    const secret = randomBytes(24).toString('base64url');
    children.push(await startTurnServer({ ns: topology.ns.internet, ip: TURN_IP, secret, dir }));
    const turnKeyPin = spkiPin(join(dir, 'turn-cert.pem'));

    // The app as deployed: dist/ with the deployment's public ICE file (STUN on the relay).
    cpSync(options.dist ?? join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'dist/ice-servers.json'), JSON.stringify({ iceServers: [{ urls: `stun:${TURN_IP}:3478` }], iceTransportPolicy: 'all' }));

    // The function's source, with its local secret and parameters (the emulator's way).
    mkdirSync(join(dir, 'functions'));
    for (const f of ['index.js', 'turn.js', 'package.json']) cpSync(join(root, 'functions', f), join(dir, 'functions', f));
    symlinkSync(join(root, 'functions/node_modules'), join(dir, 'functions/node_modules'));
    writeFileSync(join(dir, 'functions/.secret.local'), `TURN_SECRET=${secret}\n`);
    writeFileSync(
      join(dir, 'functions/.env.local'),
      `TURN_URLS=${TURN_URLS.join(',')}\nTURN_TTL_SECONDS=${options.turnTtlSeconds ?? 3600}\n`,
    );

    // firebase.json as in the repo, listening on the cloud address.
    const config = JSON.parse(readFileSync(join(root, 'firebase.json'), 'utf8'));
    config.firestore.rules = join(root, config.firestore.rules);
    config.firestore.indexes = join(root, config.firestore.indexes);
    config.hosting.public = 'dist';
    config.functions.source = 'functions';
    for (const e of ['auth', 'firestore', 'hosting', 'functions']) config.emulators[e].host = CLOUD_IP;
    writeFileSync(join(dir, 'firebase.json'), JSON.stringify(config, null, 2));

    const firebase = join(root, 'node_modules/.bin/firebase');
    const emulators = spawn(
      'ip',
      ['netns', 'exec', topology.ns.internet, firebase, 'emulators:start', '--project', PROJECT, '--only', 'auth,firestore,hosting,functions', '--config', join(dir, 'firebase.json')],
      // TMPDIR: firebase-tools keeps a per-project "hub locator" file there; a private one
      // keeps this instance from mistaking another run's (or a crashed one's) for its own.
      // The suite's own emulators' variables (emulators:exec sets them) would point this set at those.
      { cwd: dir, env: { ...ownEnv(), NO_UPDATE_NOTIFIER: '1', TMPDIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(emulators);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`emulators not ready after 420 s:\n${emulatorLog.join('')}`)), 420_000);
      const onData = (/** @type {Buffer} */ chunk) => {
        const s = chunk.toString();
        emulatorLog.push(s);
        if (process.env.DUET_TEST_VERBOSE) process.stdout.write(s);
        if (s.includes('All emulators ready')) {
          clearTimeout(timer);
          resolve(undefined);
        }
      };
      emulators.stdout.on('data', onData);
      emulators.stderr.on('data', onData);
      emulators.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`emulators exited with ${code}:\n${emulatorLog.join('')}`));
      });
    });

    // The function's first call starts its runtime (seconds on a loaded machine): do it
    // now, not in a page that gives the relay 5 s. Unauthenticated, so it only warms up.
    await new Promise((resolve) => {
      const url = `http://${CLOUD_IP}:5001/${PROJECT}/us-central1/turnCredentials`;
      const warm = spawn('ip', ['netns', 'exec', topology.ns.internet, process.execPath, '-e',
        `fetch(${JSON.stringify(url)}, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"data":null}'}).then((r) => r.text()).then(console.log, console.error)`,
      ], { stdio: 'ignore' });
      warm.on('exit', () => resolve(undefined));
    });

    const browser = async (/** @type {1 | 2} */ home, { camera = /** @type {'hd' | 'small'} */ ('hd') } = {}) => {
      // Playwright starts this script as the browser; it starts Chromium inside the home.
      const wrapper = join(dir, `chromium-home${home}.sh`);
      writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${topology.ns[`home${home}`]} ${CHROMIUM} "$@"\n`);
      chmodSync(wrapper, 0o755);
      const args = chromiumArgs({ camera }).filter((a) => a !== '--allow-loopback-in-peer-connection');
      // "localhost" is the cloud host: the page is a secure context (camera allowed) and
      // the app finds the emulators on the page's host, as with `npm start`.
      args.push(`--host-resolver-rules=MAP localhost ${CLOUD_IP}`);
      // The relay's TLS certificate is self-signed for this run: the homes' browsers trust that
      // one key (and nothing else), as a browser trusts a real relay's CA-issued certificate.
      args.push(`--ignore-certificate-errors-spki-list=${turnKeyPin}`);
      const b = await chromium.launch({ executablePath: wrapper, headless: true, args });
      browsers.push(b);
      return b;
    };
    return { topology, dir, secret, browser, emulatorLog, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}
