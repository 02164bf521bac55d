// A small internet made of Linux network namespaces, for calls that cross NATs
// (issue 14). Private addresses only; nothing is routed out of these namespaces.
//
//   home1 192.168.1.2 ── router1 ─┐                       ┌─ 10.200.0.10  "cloud": emulators
//                  (NAT, firewall) ├── internet 10.200.0.0/24 ┤
//   home2 192.168.2.2 ── router2 ─┘                       └─ 10.200.0.20  relay: coturn
//
// Each router masquerades its home behind its internet address. Modes:
//   cone       plain masquerade: the source port is kept, the same mapping for every
//              destination (filtering per destination, as home routers do): hole punching
//              works, so two such homes connect directly
//   symmetric  masquerade random,fully-random: every new destination gets a new random
//              port, so what STUN learned is useless to the other side (no hole punching)
//   strict     symmetric, and only outgoing TCP is let out: to port 443 anywhere (TURN over
//              TLS), and to the cloud host (which stands for Firebase's HTTPS endpoints,
//              443 in real life). No UDP at all: a corporate firewall.
//   cut        nothing crosses the router (a network cut)
// Needs root, iproute2 and nftables. Names are unique per run and carry the creating
// process id, so leftovers of a crashed run are recognised and removed by the next.
import { execFileSync } from 'node:child_process';

export const CLOUD_IP = '10.200.0.10';
export const TURN_IP = '10.200.0.20';
/** A person's own addresses in home k: the home host's (what host candidates carry) and its router's public one (what STUN reflects). */
export const homeAddresses = (/** @type {1 | 2} */ k) => ({ host: `192.168.${k}.2`, public: `10.200.0.${k}` });
const PREFIX = 'duetnet-';

const run = (cmd, args, input) => execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], input }).toString();
const ip = (...args) => run('ip', args);

/** Why this machine cannot build the topology, or null when it can. */
export function topologyBlocker() {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, nftables)';
  for (const tool of ['ip', 'nft']) {
    try {
      run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `the ${tool} tool is missing (apt-get install iproute2 nftables)`;
    }
  }
  return null;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function listNamespaces() {
  return ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);
}

/** Kills every process inside a namespace, then deletes it. */
function removeNamespace(ns) {
  try {
    const pids = ip('netns', 'pids', ns).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  } catch {}
  try {
    ip('netns', 'del', ns);
  } catch {}
}

/** Removes namespaces left by runs whose process is gone. */
export function removeLeftovers() {
  for (const ns of listNamespaces()) {
    const m = ns.startsWith(PREFIX) && /^duetnet-(\d+)-/.exec(ns);
    if (m && !alive(Number(m[1]))) removeNamespace(ns);
  }
}

function nftRouterRules(mode) {
  const forward =
    mode === 'cut'
      ? 'policy drop;'
      : mode === 'strict'
        ? `policy drop;
           ct state established,related accept
           iifname "lan" tcp dport 443 accept
           iifname "lan" ip daddr ${CLOUD_IP} meta l4proto tcp accept`
        : 'policy accept;';
  return `
table ip duet
delete table ip duet
table ip duet {
  # Nothing new comes in for the router itself. Accepted, an early connectivity check from
  # the other home left a conntrack entry on the port the NAT then wanted for our own home's
  # flow to that same address, so the mapping moved to another port and the two never met
  # (checks sent, none answered, in the direct case). Dropped, the entry is never confirmed.
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state new drop
  }
  chain forward {
    type filter hook forward priority filter; ${forward}
  }
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" ${mode === 'cone' ? 'masquerade' : 'masquerade random,fully-random'}
  }
}
`;
}

/**
 * Builds the topology. Returns its namespace names, `exec(ns, cmd, args)` argv helpers,
 * `setRouter(n, mode)`, `moveHome(n, { gapMs })` and `addresses(n)` (where home n is now), and
 * `destroy()` (kills every process inside, removes everything).
 */
export function createTopology() {
  removeLeftovers();
  const id = `${PREFIX}${process.pid}-${Date.now().toString(36).slice(-4)}`;
  const ns = {
    internet: `${id}-inet`,
    router1: `${id}-r1`,
    router2: `${id}-r2`,
    home1: `${id}-h1`,
    home2: `${id}-h2`,
  };
  const created = [];
  const destroy = () => {
    for (const n of created.reverse()) removeNamespace(n);
    created.length = 0;
  };
  try {
    for (const n of Object.values(ns)) {
      ip('netns', 'add', n);
      created.push(n);
      ip('-n', n, 'link', 'set', 'lo', 'up');
    }
    // The internet: one bridge, the cloud and relay addresses on it.
    ip('-n', ns.internet, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns.internet, 'addr', 'add', `${CLOUD_IP}/24`, 'dev', 'br0');
    ip('-n', ns.internet, 'addr', 'add', `${TURN_IP}/24`, 'dev', 'br0');
    ip('-n', ns.internet, 'link', 'set', 'br0', 'up');
    // Addresses that are nowhere (the homes' private ones, which ICE offers too) go out a
    // dummy device and vanish, as they do on the real internet. Without a default route the
    // relay's sends to them failed at once ("Network is unreachable"), and coturn closed the
    // whole allocation over it: every relayed call here died a second after it connected.
    // (A veth pair to nowhere, with a gateway whose MAC nobody has: no dummy module here.)
    ip('-n', ns.internet, 'link', 'add', 'void', 'type', 'veth', 'peer', 'name', 'void-end');
    ip('-n', ns.internet, 'addr', 'add', '10.201.0.1/30', 'dev', 'void');
    ip('-n', ns.internet, 'link', 'set', 'void', 'up');
    ip('-n', ns.internet, 'link', 'set', 'void-end', 'up');
    ip('-n', ns.internet, 'neigh', 'add', '10.201.0.2', 'lladdr', '02:00:00:00:00:01', 'dev', 'void', 'nud', 'permanent');
    ip('-n', ns.internet, 'route', 'add', 'default', 'via', '10.201.0.2', 'dev', 'void');
    for (const k of [1, 2]) {
      const router = ns[`router${k}`];
      const home = ns[`home${k}`];
      // router ⇄ internet
      ip('link', 'add', 'wan', 'netns', router, 'type', 'veth', 'peer', 'name', `port${k}`, 'netns', ns.internet);
      ip('-n', ns.internet, 'link', 'set', `port${k}`, 'master', 'br0');
      ip('-n', ns.internet, 'link', 'set', `port${k}`, 'up');
      ip('-n', router, 'addr', 'add', `${homeAddresses(k).public}/24`, 'dev', 'wan');
      ip('-n', router, 'link', 'set', 'wan', 'up');
      // home ⇄ router
      ip('link', 'add', 'eth0', 'netns', home, 'type', 'veth', 'peer', 'name', 'lan', 'netns', router);
      ip('-n', router, 'addr', 'add', `192.168.${k}.1/24`, 'dev', 'lan');
      ip('-n', router, 'link', 'set', 'lan', 'up');
      ip('-n', home, 'addr', 'add', `${homeAddresses(k).host}/24`, 'dev', 'eth0');
      ip('-n', home, 'link', 'set', 'eth0', 'up');
      ip('-n', home, 'route', 'add', 'default', 'via', `192.168.${k}.1`);
      run('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    }
  } catch (e) {
    destroy();
    throw e;
  }
  /** Sets a router's NAT and firewall (see the modes above); existing flows are forgotten. */
  const setRouter = (k, mode) => {
    const router = ns[`router${k}`];
    run('ip', ['netns', 'exec', router, 'nft', '-f', '-'], nftRouterRules(mode));
    // Forget existing NAT mappings, as a rebooted router would (conntrack may be absent).
    try {
      run('ip', ['netns', 'exec', router, 'conntrack', '-F']);
    } catch {}
  };
  setRouter(1, 'symmetric');
  setRouter(2, 'symmetric');
  /** Where each home is now (moveHome changes it). */
  const at = { 1: homeAddresses(1), 2: homeAddresses(2) };
  let moves = 0;
  /**
   * A phone leaving its wifi (issue 27): home k's host gets a new address, and its router a new
   * public one (wifi to cellular changes both), with `gapMs` of no network in between (0: an
   * instant swap). Old flows die with the old addresses; the router forgets its mappings.
   * Resolves with the new addresses once the home can route again.
   * @param {1 | 2} k @param {{ gapMs?: number }} [options]
   */
  const moveHome = async (k, { gapMs = 0 } = {}) => {
    moves += 1;
    const router = ns[`router${k}`];
    const home = ns[`home${k}`];
    const next = { host: `192.168.${k}.${2 + moves}`, public: `10.200.0.${100 + 10 * moves + k}` };
    // Delete first, then add (a primary address's removal takes later ones with it).
    ip('-n', home, 'addr', 'del', `${at[k].host}/24`, 'dev', 'eth0');
    ip('-n', router, 'addr', 'del', `${at[k].public}/24`, 'dev', 'wan');
    try {
      run('ip', ['netns', 'exec', router, 'conntrack', '-F']);
    } catch {}
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    ip('-n', router, 'addr', 'add', `${next.public}/24`, 'dev', 'wan');
    ip('-n', home, 'addr', 'add', `${next.host}/24`, 'dev', 'eth0');
    // The default route went with the old address.
    ip('-n', home, 'route', 'replace', 'default', 'via', `192.168.${k}.1`);
    at[k] = next;
    return next;
  };
  /** argv that runs `cmd args` inside namespace `n`. */
  const exec = (n, cmd, args = []) => ['ip', ['netns', 'exec', n, cmd, ...args]];
  return { id, ns, setRouter, moveHome, addresses: (/** @type {1 | 2} */ k) => at[k], exec, destroy };
}
