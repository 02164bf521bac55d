// Calls where no direct path exists (issue 14), made for real: two homes behind Linux NAT
// routers (nftables), a symmetric port-randomizing NAT that defeats hole punching, a
// firewall that lets only TCP to 443 out, Debian's coturn with the TURN REST scheme, and
// the turnCredentials Cloud Function in the Functions emulator (scripts/net/world.mjs).
// Ana is in home 1, Ben in home 2; each home has its own Chromium.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import {
  bothFlowing,
  joinRoom,
  remoteHasLiveAudio,
  trackPeerConnections,
  uniqueRoom,
  videoBackAfter,
  waitForState,
} from '../e2e/support.ts';
import { chatTexts } from '../e2e/controls-support.ts';
import { APP_URL, homeAddresses, relayBlocker, startWorld, TURN_IP, type World } from '../../scripts/net/world.mjs';
import { RELAY_ONLY_KEY, TURN_CREDENTIALS_PATH } from '../../src/config.ts';
import { roomInput } from '../e2e/support.ts';

const blocker = relayBlocker();
if (blocker) console.log(`relay tests (NATs, TURN) skipped: ${blocker}`);

/** Credentials live this long here (an hour in production), so the suite sees them expire; long enough for a call to set up on a loaded machine. */
const TTL_SECONDS = Number(process.env.DUET_TURN_TTL ?? 40);
const NO_DIRECT_PATH = /direct connection isn.t possible/i;

interface Person {
  context: BrowserContext;
  page: Page;
  /** The turnCredentials answers this page received, in order. */
  credentials: { username: string; credential: string; urls: string[]; expiresAt: number; at: number }[];
  /** What happened to each request for credentials (ms since the epoch), for failure messages. */
  asked: string[];
  /** "connected N ms after joining", as the app logs it. */
  connectedAfter: number[];
}

interface PersonOptions {
  /** The function can't be reached from this page (blocked, down, offline). */
  noFunction?: boolean;
  /** The person turned on "hide my address" (relay only). */
  relayOnly?: boolean;
  /** The function answers this page this much later (a cold start, a slow network). */
  functionDelayMs?: number;
}

async function person(browser: Browser, name: string, options: PersonOptions = {}): Promise<Person> {
  const context = await browser.newContext({ baseURL: APP_URL, permissions: ['camera', 'microphone'], viewport: { width: 390, height: 844 } });
  // The world serves its own /ice-servers.json (STUN on its coturn): the pages must read it.
  // With the suites' default (no servers, since their network has no STUN to reach) no page
  // behind a NAT ever learnt its public address, and every call here ended in "no path".
  await trackPeerConnections(context, { emptyIceServers: false });
  if (options.noFunction) await context.route(`**${TURN_CREDENTIALS_PATH}`, (route) => route.abort('connectionrefused'));
  const delay = options.functionDelayMs;
  if (delay) await context.route(`**${TURN_CREDENTIALS_PATH}`, (route) => void new Promise((r) => setTimeout(r, delay)).then(() => route.continue()));
  const page = await context.newPage();
  const p: Person = { context, page, credentials: [], asked: [], connectedAfter: [] };
  page.on('console', (m) => {
    const after = /connected (\d+) ms after joining/.exec(m.text());
    if (after) p.connectedAfter.push(Number(after[1]));
    // (A blocked function shows up as a failed load: expected where the test blocks it.)
    if ((m.type() === 'error' && !(options.noFunction && /ERR_CONNECTION_REFUSED/.test(m.text()))) || process.env.DUET_TEST_VERBOSE) {
      console.log(`[${name} ${m.type()}] ${m.text()}`);
    }
  });
  const asked = (r: { url(): string }, what: string) => r.url().endsWith(TURN_CREDENTIALS_PATH) && p.asked.push(`${Date.now()} ${what}`);
  page.on('request', (r) => asked(r, 'asked'));
  page.on('requestfailed', (r) => asked(r, `failed: ${r.failure()?.errorText}`));
  page.on('response', async (r) => {
    asked(r, `answered ${r.status()}`);
    if (!r.url().endsWith(TURN_CREDENTIALS_PATH) || !r.ok()) return;
    const body = (await r.json().catch(() => null)) as { result?: { iceServers: { username: string; credential: string; urls: string[] }[]; expiresAt: number } } | null;
    const server = body?.result?.iceServers[0];
    if (server) p.credentials.push({ username: server.username, credential: server.credential, urls: server.urls, expiresAt: body!.result!.expiresAt, at: Date.now() });
  });
  return p;
}

/** The selected candidate pair of the page's connected peer connection, from getStats. */
async function selectedPair(page: Page) {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((p) => p.connectionState === 'connected');
    const pc = pcs[pcs.length - 1];
    if (!pc) return null;
    const stats = await pc.getStats();
    let pair: { local: Record<string, unknown>; remote: Record<string, unknown> } | null = null;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const p = stats.get(s.selectedCandidatePairId);
        pair = { local: stats.get(p.localCandidateId), remote: stats.get(p.remoteCandidateId) };
      }
    });
    if (!pair) return null;
    const { local, remote } = pair as { local: Record<string, unknown>; remote: Record<string, unknown> };
    return {
      local: { type: local.candidateType as string, protocol: local.protocol as string, relayProtocol: (local.relayProtocol as string) ?? '', address: local.address as string, url: (local.url as string) ?? '' },
      remote: { type: remote.candidateType as string, address: remote.address as string },
    };
  });
}

/**
 * Whether the selected pair goes through coturn: our own relay candidate, or the other side's.
 * Theirs may show as "prflx" (learned from a connectivity check before their candidate came
 * through signaling), with the relay's address: the address, not the type, says it.
 */
function throughRelay(pair: Awaited<ReturnType<typeof selectedPair>>): boolean {
  return !!pair && ((pair.local.type === 'relay' && pair.local.address === TURN_IP) || pair.remote.address === TURN_IP);
}

/**
 * Whether a call's media goes through coturn, asked of both ends: one end's pair may show the
 * other's relay candidate as a "prflx" whose address Chromium hides (''), while the other end's
 * own pair names its relay candidate.
 */
async function callThroughRelay(a: Page, b: Page): Promise<{ yes: boolean; pairs: string }> {
  const pairs = await Promise.all([selectedPair(a), selectedPair(b)]);
  return { yes: pairs.some(throughRelay), pairs: JSON.stringify(pairs) };
}

/**
 * The ICE candidates in a page's peer connections: `local-candidate` or `remote-candidate`
 * entries of their stats and, with `sdp`, the candidates of their descriptions (the local or
 * the remote one) as well. `address` is '' where the browser does not show it.
 */
async function candidatesOf(page: Page, kind: 'local-candidate' | 'remote-candidate', sdp = false) {
  return page.evaluate(
    async ({ kind, sdp }) => {
      const found: { from: string; type: string; address: string; port: number }[] = [];
      for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
        const description = kind === 'local-candidate' ? pc.localDescription : pc.remoteDescription;
        if (sdp && description) {
          for (const line of description.sdp.split('\r\n')) {
            // a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
            const m = /^a=candidate:\S+ \d+ \S+ \d+ (\S+) (\d+) typ (\w+)/.exec(line);
            if (m) found.push({ from: 'sdp', type: m[3]!, address: m[1]!, port: Number(m[2]) });
          }
        }
        if (pc.connectionState === 'closed') continue; // a closed connection's stats are empty
        (await pc.getStats()).forEach((s) => {
          if (s.type === kind) found.push({ from: 'stats', type: s.candidateType, address: s.address ?? '', port: s.port });
        });
      }
      return found;
    },
    { kind, sdp },
  );
}

describe.skipIf(blocker)('calls across NATs, through a TURN relay', () => {
  let world: World;
  let home1: Browser;
  let home2: Browser;
  const figures = Object.assign([] as string[], {
    push(line: string) {
      console.log(`figure: ${line}`);
      return Array.prototype.push.call(this, line);
    },
  });
  const opened: Person[] = [];

  beforeAll(async () => {
    const started = Date.now();
    world = await startWorld({ turnTtlSeconds: TTL_SECONDS });
    // The suites' small camera: eight calls' worth of 720p video would only cost CPU. The one
    // scenario that reports what a relayed call sends starts browsers with the 720p camera.
    [home1, home2] = await Promise.all([world.browser(1, { camera: 'small' }), world.browser(2, { camera: 'small' })]);
    figures.push(`world (namespaces, coturn, emulators, 2 browsers) up in ${Date.now() - started} ms`);
  });
  afterAll(async () => {
    console.log(`relay figures (this run):\n  ${figures.join('\n  ')}`);
    await world?.destroy();
  });

  /** Ana (home 1) opens a room, Ben (home 2) joins it; resolves once Ben has clicked Join. */
  async function call(label: string, ana: PersonOptions = {}, ben: PersonOptions = {}, homes: [Browser, Browser] = [home1, home2]) {
    const room = uniqueRoom(label);
    const a = await person(homes[0], 'ana', ana);
    const b = await person(homes[1], 'ben', ben);
    opened.push(a, b);
    await a.page.goto('/');
    if (ana.relayOnly) {
      // The person's own choice, on the room prompt; kept for next time.
      await expect.poll(() => roomInput(a.page).isVisible(), { timeout: 30_000 }).toBe(true);
      await a.page.getByRole('checkbox', { name: /hide my address/i }).check();
      expect(await a.page.evaluate((key) => localStorage.getItem(key), RELAY_ONLY_KEY)).toBe('1');
    }
    await joinRoom(a.page, room);
    const anaJoinedAt = Date.now();
    // The first join of the run meets a cold Firestore emulator (rules compiled on first use):
    // on a loaded machine that alone has taken over 30 s.
    await waitForState(a.page, /call:waiting/, 90_000);
    await b.page.goto('/');
    await joinRoom(b.page, room);
    const joinedAt = Date.now();
    /** When each person's first relay credentials came, against their own Join (negative: before it). */
    const relayCame = () =>
      `relay credentials: Ana ${a.credentials[0] ? `${a.credentials[0].at - anaJoinedAt} ms` : 'none'}, Ben ${b.credentials[0] ? `${b.credentials[0].at - joinedAt} ms` : 'none'} after their Join`;
    return { ana: a, ben: b, joinedAt, relayCame, close: () => Promise.all([a.context.close(), b.context.close()]) };
  }

  it('ordinary home routers, function out of reach: the call still connects directly (no relay)', async () => {
    world.topology.setRouter(1, 'cone');
    world.topology.setRouter(2, 'cone');
    const { ana, ben, joinedAt, close } = await call('direct', { noFunction: true }, { noFunction: true });
    await bothFlowing(ana.page, ben.page, 30_000);
    figures.push(`setup, direct through two cone NATs (join click → both decoding): ${Date.now() - joinedAt} ms; app: ${ben.connectedAfter[0]} ms`);
    const pair = await selectedPair(ben.page);
    expect(pair?.local.type).not.toBe('relay');
    expect(pair?.remote.type).not.toBe('relay');
    await close();
  });

  it('two symmetric NATs and no relay: the person is told a direct connection isn’t possible, within 15 s', async () => {
    world.topology.setRouter(1, 'symmetric');
    world.topology.setRouter(2, 'symmetric');
    const { ana, ben, joinedAt, close } = await call('no relay', { noFunction: true }, { noFunction: true });
    const said = (page: Page) =>
      page.evaluate(() => [...document.querySelectorAll('[role=status],[role=alert]')].map((e) => e.textContent ?? '').join(' | '));
    await expect.poll(() => said(ben.page), { timeout: 15_000, interval: 100 }).toMatch(NO_DIRECT_PATH);
    figures.push(`"no direct path" message, Ben (joined): ${Date.now() - joinedAt} ms after Join`);
    await expect.poll(() => said(ana.page), { timeout: 10_000, interval: 100 }).toMatch(NO_DIRECT_PATH);
    figures.push(`"no direct path" message, Ana (waiting): ${Date.now() - joinedAt} ms after Ben's Join`);
    await close();
  });

  it('two symmetric NATs with the relay over UDP: the call connects through it, media both ways', async () => {
    world.topology.setRouter(1, 'symmetric');
    world.topology.setRouter(2, 'symmetric');
    // The 720p camera here, as in a real call through the relay.
    const hd: [Browser, Browser] = await Promise.all([world.browser(1), world.browser(2)]);
    const { ana, ben, joinedAt, relayCame, close } = await call('relay udp', {}, {}, hd);
    await bothFlowing(ana.page, ben.page, 30_000);
    figures.push(`setup, through the relay (join click → both decoding): ${Date.now() - joinedAt} ms; app: ${ben.connectedAfter[0]} ms; ${relayCame()}`);
    expect(ana.credentials.length).toBeGreaterThan(0);
    expect(ana.credentials[0]!.username).toMatch(/^\d+:[\w-]+$/);
    // One side's own relay, or the other's: either way the media goes through coturn.
    const relayed = await callThroughRelay(ana.page, ben.page);
    expect(relayed.yes, relayed.pairs).toBe(true);
    for (const p of [ana, ben]) expect(await remoteHasLiveAudio(p.page)).toBe(true);
    // What one relayed call costs the relay (its throughput once the encoders have ramped
    // up) is a figure, measured by the bench: `npm run bench -- --relay N` (docs/TURN.md).
    await close();
    await Promise.all(hd.map((b) => b.close()));
  });

  it('relay credentials that come after Join (a slow function): the call restarts with them and connects through the relay', async () => {
    world.topology.setRouter(1, 'symmetric');
    world.topology.setRouter(2, 'symmetric');
    // Ana has no relay at all; Ben's credentials come 3.5 s after his page asked (the page gives
    // up at 5 s), after his Join stopped waiting for them: his first connection has no path.
    const { ana, ben, joinedAt, close } = await call('late relay', { noFunction: true }, { functionDelayMs: 3_500 });
    await bothFlowing(ana.page, ben.page, 30_000);
    const credentialsAfterJoin = ben.credentials[0]!.at - joinedAt;
    figures.push(`setup with the relay's credentials ${credentialsAfterJoin} ms after Join (join click → both decoding): ${Date.now() - joinedAt} ms; app: ${ben.connectedAfter[0]} ms`);
    expect(credentialsAfterJoin).toBeGreaterThan(1_000); // the case: the call started without them
    const pair = await selectedPair(ben.page);
    expect(pair?.local.type).toBe('relay');
    // Connected within the late credentials + the 2.5 s grace + a setup, not at the browser's
    // own "failed" (20 s and more).
    expect(ben.connectedAfter[0]).toBeLessThan(credentialsAfterJoin + 8_000);
    await close();
  });

  it('a 10 s network cut in one home: the call recovers through the relay', async () => {
    const { ana, ben, close } = await call('relay cut');
    await bothFlowing(ana.page, ben.page, 30_000);
    world.topology.setRouter(1, 'cut');
    try {
      await waitForState(ana.page, /call:reconnecting/, 25_000);
      await new Promise((r) => setTimeout(r, 10_000)); // the cut's length, not a wait for a result
    } finally {
      world.topology.setRouter(1, 'symmetric');
    }
    const restoredAt = Date.now();
    await bothFlowing(ana.page, ben.page, 60_000);
    figures.push(`recovery after a 10 s cut, through the relay (restored → both decoding): ${Date.now() - restoredAt} ms`);
    const relayed = await callThroughRelay(ana.page, ben.page);
    expect(relayed.yes, relayed.pairs).toBe(true);
    await close();
  });

  it('a home that lets only TCP to port 443 out: the call connects through TURN over TLS', async () => {
    world.topology.setRouter(1, 'symmetric');
    world.topology.setRouter(2, 'strict');
    try {
      const { ana, ben, joinedAt, close } = await call('relay tls');
      await bothFlowing(ana.page, ben.page, 45_000);
      figures.push(`setup, TCP-443-only home through TURN/TLS: ${Date.now() - joinedAt} ms`);
      const pair = await selectedPair(ben.page);
      expect(pair?.local.type).toBe('relay');
      expect(pair?.local.relayProtocol).toBe('tls');
      await close();
    } finally {
      world.topology.setRouter(2, 'symmetric');
    }
  });

  it('“hide my address” (relay only): the call connects, and the other side never sees her own address, only the relay’s', async () => {
    const { ana, ben, close } = await call('relay only', { relayOnly: true });
    await bothFlowing(ana.page, ben.page, 30_000);
    expect(await ana.page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!.getConfiguration().iceTransportPolicy)).toBe('relay');
    // What her own browser offers (her descriptions and her stats): relay candidates only, on the relay's address.
    const offered = await candidatesOf(ana.page, 'local-candidate', true);
    expect(offered.length).toBeGreaterThan(0);
    expect(offered.filter((c) => c.type !== 'relay' || c.address !== TURN_IP), JSON.stringify(offered)).toEqual([]);
    // Everything Ben learned of Ana: her descriptions' candidates and the ones in his stats. The
    // stats may hold a peer-reflexive one: Ana's first check, through the relay, can reach Ben
    // before her relay candidate does through Firestore; his browser then knows the check's
    // source, the relay's address and port, as "prflx" (seen once in a fresh-clone run). What
    // the option promises is about addresses, not that label: none is Ana's own, her home
    // host's or her router's public one, and each is the relay's (or, where the browser does
    // not show a learned address, one of the relay ports her browser offered).
    const seen = await candidatesOf(ben.page, 'remote-candidate', true);
    expect(seen.length).toBeGreaterThan(0);
    const own = Object.values(homeAddresses(1));
    const relayPorts = new Set(offered.filter((c) => c.type === 'relay' && c.address === TURN_IP).map((c) => c.port));
    const notTheRelay = seen.filter((c) => own.includes(c.address) || (c.address ? c.address !== TURN_IP : !relayPorts.has(c.port)));
    expect(notTheRelay, `Ben saw ${JSON.stringify(seen)}; Ana offered ${JSON.stringify(offered)}`).toEqual([]);
    await close();
  });

  it('credentials expire: an expired one is refused by the relay, and an ICE restart after expiry gets fresh ones', async () => {
    const { ana, ben, close } = await call('expiry');
    await bothFlowing(ana.page, ben.page, 30_000);
    const first = ana.credentials[0]!;
    // Time passing is the condition here: both people's first credentials expire (Ben's,
    // minted when his page opened, after Ana's).
    const lastExpiry = Math.max(first.expiresAt, ben.credentials[0]!.expiresAt);
    await new Promise((r) => setTimeout(r, Math.max(0, lastExpiry - Date.now() + 1_000)));
    // coturn refuses the expired credential: a relay-only gathering with it finds nothing.
    // The first credential itself, as the function gave it: the page may hold fresher ones by now.
    const withOld = await ana.page.evaluate(async (ice) => {
      const pc = new RTCPeerConnection({ iceServers: ice, iceTransportPolicy: 'relay' });
      const errors: number[] = [];
      pc.addEventListener('icecandidateerror', (e) => errors.push((e as RTCPeerConnectionIceErrorEvent).errorCode));
      const relays: string[] = [];
      pc.addEventListener('icecandidate', (e) => e.candidate && relays.push(e.candidate.candidate));
      pc.createDataChannel('probe');
      await pc.setLocalDescription();
      await new Promise<void>((r) => (pc.iceGatheringState === 'complete' ? r() : pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r())));
      pc.close();
      return { relays: relays.length, errors };
    }, [{ urls: first.urls, username: first.username, credential: first.credential }]);
    expect(withOld).toEqual({ relays: 0, errors: expect.arrayContaining([401]) });
    // Both pages renewed theirs before they expired (at half their life), with nobody asking.
    expect(ana.credentials.length, `Ana's requests: ${ana.asked.join(', ')}`).toBeGreaterThan(1);
    expect(ben.credentials.length, `Ben's requests: ${ben.asked.join(', ')}`).toBeGreaterThan(1);
    // A cut long enough for an ICE restart (the app waits 2.5 s for a blip to heal): the side
    // that restarts (the impolite one, either person) applies fresh credentials to it.
    world.topology.setRouter(1, 'cut');
    try {
      await waitForState(ana.page, /call:reconnecting/, 25_000);
      await new Promise((r) => setTimeout(r, 5_000)); // the cut's length, not a wait for a result
    } finally {
      world.topology.setRouter(1, 'symmetric');
    }
    await bothFlowing(ana.page, ben.page, 60_000);
    const expiries = await Promise.all(
      [ana, ben].map((p) =>
        p.page.evaluate(() => {
          // The call's connection (the probe above is in this list too, closed).
          const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((p) => p.connectionState === 'connected').at(-1)!;
          const servers = pc.getConfiguration().iceServers ?? [];
          return Number(servers.find((s) => s.username)?.username?.split(':')[0] ?? 0) * 1000;
        }),
      ),
    );
    expect(Math.max(...expiries)).toBeGreaterThan(Date.now());
    const relayed = await callThroughRelay(ana.page, ben.page);
    expect(relayed.yes, relayed.pairs).toBe(true);
    await close();
  });

  // Last in this file: it moves the homes to new addresses (the scenarios above assert the
  // homes' first ones).
  it('a phone that changes network mid-call (new address, new public address; at once, then after 3 s without any): video comes back both ways, and chat typed meanwhile arrives once', async () => {
    world.topology.setRouter(1, 'cone');
    world.topology.setRouter(2, 'cone');
    const { ana, ben, close } = await call('handover');
    await bothFlowing(ana.page, ben.page, 30_000);
    await ana.page.getByRole('button', { name: 'Chat', exact: true }).click();
    const input = ana.page.getByRole('textbox', { name: 'Message' });
    const sent: string[] = [];
    for (const [home, gapMs] of [[1, 0], [2, 3_000]] as const) {
      const since = Date.now();
      const watching = Promise.all([videoBackAfter(ana.page, since, 30_000 + gapMs), videoBackAfter(ben.page, since, 30_000 + gapMs)]);
      const moving = world.topology.moveHome(home, { gapMs });
      const text = `typed while home ${home} moves`;
      await input.fill(text);
      await input.press('Enter');
      sent.push(text);
      const at = (await moving, Date.now());
      const [a, b] = await watching;
      const where = world.topology.addresses(home);
      expect(a !== null && b !== null, `video back both ways within 30 s of home ${home}'s move to ${where.host} (${where.public}): Ana ${a}, Ben ${b}`).toBe(true);
      figures.push(`handover of home ${home}${gapMs ? ` after ${gapMs / 1000} s without a network` : ', at once'}: video back both ways ${Math.max(a!, b!) - at} ms after the new address`);
    }
    await expect.poll(() => chatTexts(ben.page), { timeout: 20_000 }).toEqual(sent);
    await close();
  });

  // Pages a failed test left open: closed before the next one. Left open, their calls kept
  // trying (and renewing credentials) and loaded the machine until every later scenario failed.
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((p) => p.context.close().catch(() => {})));
  });
});
