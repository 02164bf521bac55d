// The bench's handover row (issue 27): a call between home 1 and home 2 of the relay world
// (scripts/net/world.mjs), both routers in cone mode so a direct path exists before and after,
// while one home moves as a phone leaving its wifi does: its own address and its router's
// public address change (topology.moveHome), instantly or after a gap with no network.
// Measured from the moment the new address exists to video decoding again on both pages
// (each page's remote receiver, sampled every 100 ms).
//
//   node scripts/bench/handover.mjs [--rounds N] [--gap MS,...] [--home 1|2,...]
// runs it alone (builds nothing: dist/ must be built).
import { fileURLToPath } from 'node:url';
import { bothFlowing, joinRoom, uniqueRoom, videoBackAfter, waitForState } from '../drive/people.mjs';
import { installProbes } from '../drive/probes.mjs';
import { APP_URL, relayBlocker, startWorld } from '../net/world.mjs';

/** Logs what each peer connection and the page's network signals do, with times (verbose runs). */
function tracePeerConnections() {
  const t0 = Date.now();
  const log = (...a) => console.log(`t+${((Date.now() - t0) / 1000).toFixed(1)}`, ...a);
  for (const e of ['online', 'offline']) addEventListener(e, () => log('window', e));
  navigator.connection?.addEventListener('change', () => log('connection change', navigator.connection.type, navigator.connection.effectiveType));
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      const id = Math.random().toString(36).slice(2, 6);
      log('pc', id, 'new');
      this.addEventListener('connectionstatechange', () => log('pc', id, 'connection', this.connectionState));
      this.addEventListener('iceconnectionstatechange', () => log('pc', id, 'ice', this.iceConnectionState));
      this.addEventListener('icegatheringstatechange', () => log('pc', id, 'gathering', this.iceGatheringState));
      this.addEventListener('signalingstatechange', () => log('pc', id, 'signaling', this.signalingState));
      this.addEventListener('icecandidate', (e) => log('pc', id, 'candidate', e.candidate?.candidate ?? 'end'));
      this.addEventListener('icecandidateerror', (e) => log('pc', id, 'candidate error', e.errorCode, e.url));
    }
    setRemoteDescription(d) {
      log('setRemote', d?.type);
      return super.setRemoteDescription(d);
    }
    setLocalDescription(d) {
      log('setLocal', d?.type ?? '(implicit)');
      return super.setLocalDescription(d);
    }
  };
}

/**
 * `rounds` moves of each kind in one call. Kinds: `{ home, gapMs }`. Returns the raw figures
 * { worldUpMs, kinds: [{ home, gapMs, backMs: (number | null)[] }] }.
 * @param {{ rounds: number, dist?: string, log: (line: string) => void, kinds?: { home: 1 | 2, gapMs: number }[], timeoutMs?: number }} options
 */
export async function handoverRounds({ rounds, dist, log, kinds = [{ home: 1, gapMs: 0 }, { home: 1, gapMs: 3000 }, { home: 2, gapMs: 0 }, { home: 2, gapMs: 3000 }], timeoutMs = 45_000 }) {
  const blocker = relayBlocker(dist ? { dist } : {});
  if (blocker) {
    log(`[bench handover] skipped: ${blocker}`);
    return { skipped: blocker };
  }
  const started = Date.now();
  const world = await startWorld(dist ? { dist } : {});
  const out = { worldUpMs: Date.now() - started, kinds: kinds.map((k) => ({ ...k, backMs: /** @type {(number | null)[]} */ ([]) })) };
  try {
    world.topology.setRouter(1, 'cone');
    world.topology.setRouter(2, 'cone');
    const homes = await Promise.all([world.browser(1, { camera: 'small' }), world.browser(2, { camera: 'small' })]);
    const contexts = await Promise.all(
      homes.map(async (b) => {
        const c = await b.newContext({ baseURL: APP_URL, permissions: ['camera', 'microphone'], viewport: { width: 390, height: 844 } });
        await c.addInitScript(installProbes, { emptyIceServers: false, watch: false });
        if (process.env.DUET_TEST_VERBOSE) await c.addInitScript(tracePeerConnections);
        return c;
      }),
    );
    const [ana, ben] = await Promise.all(contexts.map((c) => c.newPage()));
    const t0 = Date.now();
    for (const [name, page] of /** @type {const} */ ([['Ana', ana], ['Ben', ben]])) {
      page.on('console', (m) => process.env.DUET_TEST_VERBOSE && console.log(`${Date.now() - t0} [${name}] ${m.text()}`));
      const short = (u) => { const x = new URL(u); return `${x.port}${x.pathname.split('/').slice(-2).join('/')} ${['TYPE', 'RID', 'AID', 'SID'].map((k) => x.searchParams.get(k) && `${k}=${x.searchParams.get(k)}`).filter(Boolean).join(' ')}`; };
      page.on('request', (r) => process.env.DUET_TEST_VERBOSE && r.url().includes(':8080') && console.log(`${Date.now() - t0} [${name}] request ${r.method()} ${short(r.url())}`));
      page.on('requestfinished', (r) => process.env.DUET_TEST_VERBOSE && r.url().includes(':8080') && console.log(`${Date.now() - t0} [${name}] finished ${short(r.url())}`));
      page.on('requestfailed', (r) => process.env.DUET_TEST_VERBOSE && console.log(`${Date.now() - t0} [${name}] request failed: ${r.failure()?.errorText} ${r.url().slice(0, 100)}`));
    }
    const room = uniqueRoom('bench handover');
    await ana.goto('/');
    await joinRoom(ana, room);
    await waitForState(ana, /call:waiting/, 90_000);
    await ben.goto('/');
    await joinRoom(ben, room);
    await bothFlowing(ana, ben, 30_000);
    for (let i = 0; i < rounds; i++) {
      for (const kind of out.kinds) {
        const since = Date.now();
        const watching = Promise.all([videoBackAfter(ana, since, timeoutMs + kind.gapMs), videoBackAfter(ben, since, timeoutMs + kind.gapMs)]);
        if (process.env.DUET_TEST_VERBOSE) console.log(`${Date.now() - t0} moving home ${kind.home}`);
        await world.topology.moveHome(kind.home, { gapMs: kind.gapMs });
        if (process.env.DUET_TEST_VERBOSE) console.log(`${Date.now() - t0} moved`);
        const at = Date.now();
        const [a, b] = await watching;
        const back = a === null || b === null ? null : Math.max(a, b) - at;
        kind.backMs.push(back);
        const addr = world.topology.addresses(kind.home);
        log(`[bench handover] ${i + 1}/${rounds} home ${kind.home} to ${addr.host} (${addr.public}), gap ${kind.gapMs} ms: ${back === null ? `not back within ${timeoutMs / 1000} s` : `video back both ways ${back} ms after the new address`}`);
        if (back === null) {
          await bothFlowing(ana, ben, 60_000).catch(() => {});
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  } finally {
    await world.destroy();
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? fallback : process.argv[i + 1];
  };
  const rounds = Number(arg('--rounds', 2));
  const gaps = arg('--gap', '0,3000').split(',').map(Number);
  const homesMoved = arg('--home', '1,2').split(',').map(Number);
  const kinds = homesMoved.flatMap((home) => gaps.map((gapMs) => ({ home: /** @type {1 | 2} */ (home), gapMs })));
  const out = await handoverRounds({ rounds, log: console.log, kinds });
  console.log(JSON.stringify(out));
  process.exit(0);
}
