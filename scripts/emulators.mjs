// One way to start the Firebase emulators around a command, used by `npm test`
// (scripts/test.mjs) and `npm run bench` (scripts/bench.mjs), and reusable by any
// suite that needs its own network (give it another namespace setup).
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
import { existsSync } from 'node:fs';
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
