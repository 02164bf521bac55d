// ICE configuration (src/config.ts) and the TURN REST credential (functions/turn.js):
// what the page asks for, what it does when the function is out of reach, when it renews.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callTurnFunction, RtcConfigSource, signedInTurnSource, type TurnCredentials } from '../../src/config.ts';
import { mintTurnCredential } from '../../functions/turn.js';

const publicFile = (body: unknown, status = 200): typeof fetch =>
  (async () => new Response(JSON.stringify(body), { status })) as typeof fetch;
const STUN = { urls: 'stun:stun.example.org:3478' };
const relay = (n: number, expiresAt: number): TurnCredentials => ({
  iceServers: [{ urls: 'turn:turn.example.org:3478', username: `${expiresAt / 1000}:u${n}`, credential: `c${n}` }],
  expiresAt,
});

describe('TURN REST credentials (coturn use-auth-secret)', () => {
  it('username is "expiry:uid", credential is base64(HMAC-SHA1(secret, username))', () => {
    // Expected value computed independently: python3 hmac.new(b'north-wind', b'1700003600:ana', sha1), base64.
    const c = mintTurnCredential('north-wind', 'ana', 3600, 1_700_000_000_000);
    expect(c).toEqual({ username: '1700003600:ana', credential: 'jQMrAptrL8QGWEEvDbTX2xKxjiY=', expiresAt: 1_700_003_600_000 });
  });
});

describe('the page’s ICE configuration', () => {
  // Sources renew their credentials on a timer: stopped after each test.
  const sources: RtcConfigSource[] = [];
  afterEach(() => {
    for (const s of sources.splice(0)) s.close();
    vi.useRealTimers();
  });
  const make = (...args: ConstructorParameters<typeof RtcConfigSource>) => {
    const source = new RtcConfigSource(...args);
    sources.push(source);
    return source;
  };
  it('public STUN servers plus the relay the function mints', async () => {
    const source = make(async () => relay(1, Date.now() + 3_600_000), { fetcher: publicFile({ iceServers: [STUN] }), relayOnly: false });
    const config = await source.get();
    expect(config.iceServers).toEqual([STUN, ...relay(1, 0).iceServers.map((s) => ({ ...s, username: expect.any(String) }))]);
    expect(config.iceTransportPolicy).toBe('all');
    expect(source.iceServersFresh()).toBe(true);
  });

  it('the function out of reach: public servers only, no error (direct paths still work)', async () => {
    const source = make(() => Promise.reject(new TypeError('Failed to fetch')), { fetcher: publicFile({ iceServers: [STUN] }), relayOnly: false });
    expect(await source.get()).toEqual({ iceServers: [STUN], iceTransportPolicy: 'all' });
    expect(source.iceServersFresh()).toBe(false);
  });

  it('a function that never answers is given up after the timeout', async () => {
    const source = make(() => new Promise(() => {}), { fetcher: publicFile({ iceServers: [STUN] }), timeoutMs: 50, relayOnly: false });
    expect((await source.get()).iceServers).toEqual([STUN]);
  });

  it('a slow sign-in does not eat the function’s time: 4 s to sign in and 2 s to answer still bring the relay', async () => {
    // (Fake timers for both waits; the fetcher is a stand-in for the Hosting rewrite.)
    vi.useFakeTimers();
    const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));
    const fetcher = (async () => later(2_000, new Response(JSON.stringify({ result: relay(1, Date.now() + 3_600_000) })))) as unknown as typeof fetch;
    const source = make(signedInTurnSource(() => later(4_000, 'token'), fetcher), { fetcher: publicFile({ iceServers: [STUN] }), relayOnly: false });
    const config = source.get();
    await vi.advanceTimersByTimeAsync(6_500);
    expect((await config).iceServers).toHaveLength(2);
  });

  it('an ICE restart waits at most 5 s for credentials, even when the sign-in before them hangs', async () => {
    // (Fake timers; the page's source as the app makes it, whose /ice-servers.json can't load here: the default STUN.)
    vi.useFakeTimers();
    const source = new RtcConfigSource(signedInTurnSource(() => new Promise(() => {})));
    let config: RTCConfiguration | null = null;
    void source.forRestart().then((c) => (config = c));
    await vi.advanceTimersByTimeAsync(5_100);
    expect(config).toMatchObject({ iceTransportPolicy: 'all' });
    expect(config!.iceServers!.some((s) => s.username)).toBe(false);
  });

  it('a call does not wait long for a slow function: it starts without the relay, and the next refresh has it', async () => {
    let answer: (t: TurnCredentials) => void = () => {};
    const source = make(() => new Promise((r) => (answer = r)), { fetcher: publicFile({ iceServers: [STUN] }), relayOnly: false });
    expect((await source.get({ waitMs: 20 })).iceServers).toEqual([STUN]);
    answer(relay(1, Date.now() + 3_600_000));
    expect((await source.get()).iceServers).toHaveLength(2);
  });

  it('a call that started without the relay learns of it when it comes (lateRelay); nothing on its way, nothing to wait for', async () => {
    let answer: (t: TurnCredentials) => void = () => {};
    const source = make(() => new Promise((r) => (answer = r)), { fetcher: publicFile({ iceServers: [STUN] }), relayOnly: false });
    expect((await source.get({ waitMs: 20 })).iceServers).toEqual([STUN]);
    const late = source.lateRelay();
    expect(late).not.toBeNull();
    answer(relay(1, Date.now() + 3_600_000));
    expect((await late)!.iceServers).toHaveLength(2);
    expect(source.lateRelay()).toBeNull();
  });

  it('relay only ("hide my address") waits for the relay: without it there is no call', async () => {
    const source = make(
      () => new Promise((r) => setTimeout(() => r(relay(1, Date.now() + 3_600_000)), 60)),
      { fetcher: publicFile({ iceServers: [STUN] }), relayOnly: true },
    );
    const config = await source.get({ waitMs: 5 });
    expect(config.iceTransportPolicy).toBe('relay');
    expect(config.iceServers).toHaveLength(2);
  });

  it('renews the credentials when half their life (at most 5 minutes) is left, not before', async () => {
    let now = 1_000_000;
    let minted = 0;
    const source = make(async () => relay(++minted, now + 40_000), { fetcher: publicFile({ iceServers: [] }), now: () => now, relayOnly: false });
    await source.get();
    now += 19_000; // 21 s left of 40
    expect(source.iceServersFresh()).toBe(true);
    expect((await source.get()).iceServers![0]).toMatchObject({ credential: 'c1' });
    now += 2_000; // 19 s left: less than half
    expect(source.iceServersFresh()).toBe(false);
    expect((await source.get()).iceServers![0]).toMatchObject({ credential: 'c2' });
    expect(minted).toBe(2);
  });

  it('renews them by itself when due, and again after a failed renewal: a restart after a cut finds fresh ones at hand', async () => {
    // Fake timers (the renewal is a timer); the function is a counter.
    vi.useFakeTimers({ now: 1_000_000 });
    let minted = 0;
    let down = false;
    const source = make(async () => (down ? Promise.reject(new TypeError('Failed to fetch')) : relay(++minted, Date.now() + 40_000)), {
      fetcher: publicFile({ iceServers: [] }),
      relayOnly: false,
    });
    await source.get();
    await vi.advanceTimersByTimeAsync(19_000);
    expect(minted).toBe(1); // 21 s of 40 left: not yet
    await vi.advanceTimersByTimeAsync(2_000);
    expect(minted).toBe(2); // half their life left: renewed with nobody asking
    expect(source.iceServersFresh()).toBe(true);
    down = true; // the next renewal (20 s on) meets a network cut
    await vi.advanceTimersByTimeAsync(21_000);
    expect(minted).toBe(2);
    expect(source.iceServersFresh()).toBe(false);
    down = false;
    await vi.advanceTimersByTimeAsync(60_000); // tried again a minute after the failure
    expect(minted).toBe(3);
    expect((await source.get()).iceServers![0]).toMatchObject({ credential: 'c3' });
  });

  it('renews even when its timer fires a few ms before the clock it reads says it is due (a browser timer on a monotonic clock)', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    let minted = 0;
    // The source's clock runs 3 ms behind the timers' (seen in Chromium: the relay suite's pages
    // never renewed once the call's timing changed).
    const source = make(async () => relay(++minted, Date.now() + 40_000), {
      fetcher: publicFile({ iceServers: [] }),
      relayOnly: false,
      now: () => Date.now() - 3,
    });
    await source.get();
    await vi.advanceTimersByTimeAsync(21_000);
    expect(minted).toBe(2);
    await vi.advanceTimersByTimeAsync(21_000);
    expect(minted).toBe(3); // and it keeps renewing
  });

  it('a failed renewal keeps credentials that have not expired yet', async () => {
    let now = 0;
    let fail = false;
    const source = make(async () => (fail ? Promise.reject(new Error('down')) : relay(1, now + 40_000)), { fetcher: publicFile({ iceServers: [] }), now: () => now, relayOnly: false });
    await source.get();
    fail = true;
    now = 35_000; // due for renewal, the renewal fails: the old ones still hold for 5 s
    expect((await source.get()).iceServers).toHaveLength(1);
    now = 41_000;
    expect((await source.get()).iceServers).toHaveLength(0);
  });

  it('"hide my address": relay-only policy, from the next configuration on', async () => {
    const source = make(null, { fetcher: publicFile({ iceServers: [STUN] }), relayOnly: false });
    expect((await source.get()).iceTransportPolicy).toBe('all');
    source.setRelayOnly(true);
    expect((await source.get()).iceTransportPolicy).toBe('relay');
  });

  it('a missing /ice-servers.json falls back to the default STUN server', async () => {
    const source = make(null, { fetcher: publicFile({}, 404), relayOnly: false });
    expect((await source.get()).iceServers).toEqual([{ urls: 'stun:stun.l.google.com:19302' }]);
  });
});

describe('the callable protocol', () => {
  it('POSTs {data} with the ID token and reads {result}', async () => {
    let seen: { url: string; init: RequestInit } | null = null;
    const fetcher = (async (url: string, init: RequestInit) => {
      seen = { url, init };
      return new Response(JSON.stringify({ result: relay(1, 5_000) }));
    }) as unknown as typeof fetch;
    expect(await callTurnFunction('token-1', fetcher)).toEqual(relay(1, 5_000));
    expect(seen!.url).toBe('/api/turn-credentials');
    expect(seen!.init.method).toBe('POST');
    expect((seen!.init.headers as Record<string, string>).Authorization).toBe('Bearer token-1');
    expect(JSON.parse(seen!.init.body as string)).toEqual({ data: null });
  });

  it('a function that does not answer is given up after its timeout (the request is aborted)', async () => {
    // A stand-in for fetch that, like fetch, rejects only when its signal aborts.
    let aborted = false;
    const fetcher = ((_url: string, init: RequestInit) =>
      new Promise((_, reject) => init.signal!.addEventListener('abort', () => ((aborted = true), reject(init.signal!.reason))))) as unknown as typeof fetch;
    await expect(callTurnFunction('x', fetcher, 50)).rejects.toThrow(/no answer within 50 ms/);
    expect(aborted).toBe(true);
  });

  it('an error answer (signed out, no TURN configured) is an error, not a relay', async () => {
    const fetcher = (async () => new Response(JSON.stringify({ error: { status: 'UNAUTHENTICATED', message: 'Sign in first.' } }), { status: 401 })) as unknown as typeof fetch;
    await expect(callTurnFunction('x', fetcher)).rejects.toThrow(/401: Sign in first/);
  });
});
