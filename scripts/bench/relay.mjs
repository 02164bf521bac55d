// The bench's relay row (issue 14): call setup between two homes behind NAT routers, direct
// (ordinary "cone" routers, hole punching works) against through the TURN relay (symmetric
// routers, it can't), alternating, in one run of the relay world (scripts/net/world.mjs:
// its own namespaces, emulators and coturn). Both homes get the relay's credentials either
// way; only the routers differ. Measured as the relay suite does: Ben's Join click → both
// pictures decoding (scripts/drive/people.mjs bothFlowing, polled every 200 ms).
import { bothFlowing, joinRoom, throughput, uniqueRoom, waitForState } from '../drive/people.mjs';
import { installProbes } from '../drive/probes.mjs';
import { APP_URL, relayBlocker, startWorld } from '../net/world.mjs';

const TURN_CREDENTIALS_PATH = '/api/turn-credentials'; // src/config.ts

/** The local and remote candidate types of the page's connected peer connection. */
function selectedPairTypes(/** @type {import('@playwright/test').Page} */ page) {
  return page.evaluate(async () => {
    const pc = window.__duetTest.pcs.filter((p) => p.connectionState === 'connected').at(-1);
    if (!pc) return 'none';
    const stats = await pc.getStats();
    let types = 'none';
    stats.forEach((s) => {
      if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
      const pair = stats.get(s.selectedCandidatePairId);
      types = `${stats.get(pair.localCandidateId).candidateType}-${stats.get(pair.remoteCandidateId).candidateType}`;
    });
    return types;
  });
}

/**
 * `calls` calls of each kind (plus one warm-up of each, not counted). Returns the raw figures:
 * { direct: Call[], relayed: Call[], worldUpMs, relayedThroughput } with Call = { ok: true, setupMs, pair } or { ok: false, failure }.
 * @param {{ calls: number, dist: string, log: (line: string) => void }} options
 */
export async function relayCalls({ calls, dist, log }) {
  const blocker = relayBlocker({ dist });
  if (blocker) {
    log(`[bench relay] skipped: ${blocker}`);
    return { skipped: blocker };
  }
  const started = Date.now();
  const world = await startWorld({ dist });
  /** @type {{ direct: object[], relayed: object[], worldUpMs: number, relayedThroughput?: { ana: object, ben: object } }} */
  const out = { direct: [], relayed: [], worldUpMs: Date.now() - started };
  try {
    const homes = await Promise.all([world.browser(1), world.browser(2)]);
    for (let i = -1; i < calls; i++) {
      for (const kind of /** @type {const} */ (['direct', 'relayed'])) {
        const mode = kind === 'direct' ? 'cone' : 'symmetric';
        world.topology.setRouter(1, mode);
        world.topology.setRouter(2, mode);
        const contexts = await Promise.all(
          homes.map(async (b) => {
            const c = await b.newContext({ baseURL: APP_URL, permissions: ['camera', 'microphone'], viewport: { width: 390, height: 844 } });
            await c.addInitScript(installProbes, { emptyIceServers: false, watch: false });
            return c;
          }),
        );
        try {
          const [ana, ben] = await Promise.all(contexts.map((c) => c.newPage()));
          // When Ben's relay credentials came, against his click (a call starts without them
          // if they are more than 1 s late; they count from the next ICE restart on).
          let benCredentialsAt = /** @type {number | null} */ (null);
          ben.on('response', (r) => {
            if (r.url().endsWith(TURN_CREDENTIALS_PATH) && r.ok()) benCredentialsAt ??= Date.now();
          });
          const room = uniqueRoom(`bench ${kind}`);
          await ana.goto('/');
          await joinRoom(ana, room);
          await waitForState(ana, /call:waiting/, 90_000);
          await ben.goto('/');
          await joinRoom(ben, room);
          const clicked = Date.now();
          await bothFlowing(ana, ben, 30_000);
          const call = { ok: true, setupMs: Date.now() - clicked, pair: await selectedPairTypes(ben), benCredentialsAfterClickMs: benCredentialsAt === null ? null : benCredentialsAt - clicked };
          if (i >= 0) out[kind].push(call);
          log(`[bench relay] ${i < 0 ? 'warm-up' : `${i + 1}/${calls}`} ${kind}: ${call.setupMs} ms (${call.pair}; Ben's relay credentials ${call.benCredentialsAfterClickMs} ms after his click)`);
          if (kind === 'relayed' && i === calls - 1) {
            // What one relayed call costs the relay (docs/TURN.md): each side's transport over
            // 10 s, once the encoders have had 20 s to ramp up from the start bitrate.
            await new Promise((r) => setTimeout(r, 20_000));
            const [a, b] = await Promise.all([throughput(ana, 10_000), throughput(ben, 10_000)]);
            out.relayedThroughput = { ana: a, ben: b };
            const kbps = (/** @type {number} */ n) => `${Math.round(n / 1000)} kbit/s`;
            log(`[bench relay] relayed call, 10 s after 20 s: Ana sends ${kbps(a.sentBps)} (${a.video}) receives ${kbps(a.receivedBps)}; Ben sends ${kbps(b.sentBps)} (${b.video}) receives ${kbps(b.receivedBps)}`);
          }
        } catch (e) {
          const failure = /** @type {Error} */ (e).message.split('\n')[0];
          if (i >= 0) out[kind].push({ ok: false, failure });
          log(`[bench relay] ${kind} failed: ${failure}`);
        } finally {
          await Promise.all(contexts.map((c) => c.close().catch(() => {})));
        }
      }
    }
  } finally {
    await world.destroy();
  }
  return out;
}
