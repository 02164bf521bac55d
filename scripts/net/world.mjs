// The relay world (issue 14), for the relay suite (test/relay) and the bench's relay row:
// the NAT topology of scripts/net/topology.mjs, with
//   - in the "internet": the Firebase emulators (Auth, Firestore, Hosting serving dist/,
//     Functions running functions/ with a TURN secret made for this run) and coturn;
//   - in each home: a Chromium of its own, started through `ip netns exec`, driven by
//     Playwright over its pipe (so the test process needs no route into the homes).
// Every process lives in a namespace of the topology; destroy() kills them all with it.
import { chromium } from '@playwright/test';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, chromiumArgs } from '../chromium.mjs';
import { functionsBlocker, startAll } from '../emulators.mjs';
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
  const f = functionsBlocker();
  if (f) return f;
  if (!existsSync(join(dist, 'index.html'))) return `${dist} is not built (npm test builds dist/)`;
  return null;
}

/** base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate: what Chromium's SPKI allow-list takes. */
function spkiPin(/** @type {string} */ certPem) {
  const key = new X509Certificate(readFileSync(certPem)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(key).digest('base64');
}

/**
 * @typedef {object} World
 * @property {ReturnType<typeof createTopology>} topology
 * @property {string} dir
 * @property {string} secret
 * @property {(home: 1 | 2, options?: { camera?: 'hd' | 'small' }) => Promise<import('@playwright/test').Browser>} browser
 *   a Chromium inside home 1 or 2; its fake camera 'hd' (the default: the size the app asks for,
 *   1280x720, for figures of a real call) or 'small' (the suites' 320x240 file: far less CPU)
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

    // The emulators, Functions too, with this run's secret and relays (scripts/emulators.mjs).
    const set = await startAll(dir, {
      project: PROJECT,
      host: CLOUD_IP,
      dist: join(dir, 'dist'),
      turnUrls: TURN_URLS,
      turnTtlSeconds: options.turnTtlSeconds ?? 3600,
      secret,
      wrap: ['ip', 'netns', 'exec', topology.ns.internet],
      onOutput: (s) => process.env.DUET_TEST_VERBOSE && process.stdout.write(s),
    });
    children.push(set.child);

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
    return { topology, dir, secret, browser, destroy };
  } catch (e) {
    await destroy();
    throw e;
  }
}
