// Runtime configuration that can change without a code change: ICE servers (STUN from
// /ice-servers.json, TURN with short-lived credentials from the turnCredentials Cloud
// Function), the "hide my address" choice, and the Firebase web config.

/** Used when /ice-servers.json is missing or unreadable. */
export const DEFAULT_ICE_SERVERS: RTCIceServer[] = [{ urls: 'stun:stun.l.google.com:19302' }];

/** Where Hosting forwards to the turnCredentials function (firebase.json rewrites). */
export const TURN_CREDENTIALS_PATH = '/api/turn-credentials';
/**
 * A relay function that answers later than this is left out: a call where a direct path exists
 * must not wait for it. It counts from the request, not from page load: the sign-in before it
 * (needed for the call anyway) is waited for up to SIGN_IN_WAIT_MS. In the relay suite, with
 * one budget for both, sign-ins of 1.2-3.6 s (12 s on a loaded machine) left 4 of 8 calls
 * without their relay while the function itself answered in 11-650 ms.
 */
const TURN_TIMEOUT_MS = 5_000;
/** How long the credentials wait for the person's sign-in before giving up on a relay this time. */
const SIGN_IN_WAIT_MS = 30_000;
/**
 * After the function failed to answer, it is not asked again for this long: a join must not
 * wait for a relay that just proved out of reach (seen in the test namespace: every join
 * waited the whole timeout on a rewrite to an unreachable function).
 */
const RETRY_AFTER_FAILURE_MS = 60_000;
/**
 * Credentials are fetched again this long before they expire (or at half their life, if
 * shorter), by a timer: an ICE restart then finds fresh ones at hand, even one that comes
 * after a network cut, when the function can't be reached at the moment of the restart.
 */
const REFRESH_MARGIN_MS = 5 * 60_000;

/** What the turnCredentials function answers (functions/index.js). */
export interface TurnCredentials {
  iceServers: RTCIceServer[];
  /** ms since the epoch. */
  expiresAt: number;
}

/** Gets credentials for the signed-in person (see callTurnFunction). */
export type TurnSource = () => Promise<TurnCredentials>;

/** localStorage key of the person's "hide my address" choice: relay-only ICE. */
export const RELAY_ONLY_KEY = 'duet:relay-only';

export function relayOnlyPreferred(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): boolean {
  try {
    return storage?.getItem(RELAY_ONLY_KEY) === '1';
  } catch {
    return false; // storage blocked: the default
  }
}

export function setRelayOnlyPreferred(on: boolean, storage: Pick<Storage, 'setItem' | 'removeItem'> | undefined = globalThis.localStorage): void {
  try {
    if (on) storage?.setItem(RELAY_ONLY_KEY, '1');
    else storage?.removeItem(RELAY_ONLY_KEY);
  } catch {
    // storage blocked: the choice lasts this page only (the caller keeps it)
  }
}

interface PublicIceConfig {
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
}

/**
 * /ice-servers.json (public/ice-servers.json in the repo): STUN servers, and TURN servers
 * that need no secret. Everything in it is public. {"iceServers": [...], "iceTransportPolicy": "all"}.
 */
async function fetchPublicIceConfig(fetcher: typeof fetch): Promise<PublicIceConfig> {
  try {
    const response = await fetcher('/ice-servers.json', { cache: 'no-cache' });
    if (!response.ok) throw new Error(String(response.status));
    const json = (await response.json()) as { iceServers?: RTCIceServer[]; iceTransportPolicy?: RTCIceTransportPolicy };
    return {
      iceServers: Array.isArray(json.iceServers) ? json.iceServers : DEFAULT_ICE_SERVERS,
      iceTransportPolicy: json.iceTransportPolicy === 'relay' ? 'relay' : 'all',
    };
  } catch {
    return { iceServers: DEFAULT_ICE_SERVERS, iceTransportPolicy: 'all' };
  }
}

/**
 * Calls the turnCredentials callable function over the callable protocol (a POST of
 * {"data": ...} with the Firebase ID token; the answer is {"result": ...}), through the
 * Hosting rewrite at TURN_CREDENTIALS_PATH: same origin, no extra SDK.
 */
export async function callTurnFunction(idToken: string, fetcher: typeof fetch = fetch, timeoutMs = TURN_TIMEOUT_MS): Promise<TurnCredentials> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetcher(TURN_CREDENTIALS_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${idToken}` },
      body: JSON.stringify({ data: null }),
      signal,
    });
  } catch (e) {
    throw signal.aborted ? new Error(`the relay function gave no answer within ${timeoutMs} ms`) : e;
  }
  const json = (await response.json().catch(() => null)) as { result?: TurnCredentials; error?: { message?: string } } | null;
  const result = json?.result;
  if (!response.ok || !result || !Array.isArray(result.iceServers) || typeof result.expiresAt !== 'number') {
    throw new Error(`TURN credentials unavailable (${response.status}${json?.error?.message ? `: ${json.error.message}` : ''})`);
  }
  return result;
}

/** Credentials for the signed-in person: the sign-in first (not timed here), then the function (TURN_TIMEOUT_MS). */
export function signedInTurnSource(idToken: () => Promise<string>, fetcher: typeof fetch = (...a) => fetch(...a)): TurnSource {
  return async () => callTurnFunction(await idToken(), fetcher);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * How long Join waits for relay credentials still on their way. They are asked for when the
 * page opens, so normally they are long there; a slow or unreachable function (cold start,
 * blocked network) must not hold up a call that may well connect directly. Measured in the
 * test namespace, where the Hosting rewrite to an unreachable function fails after 4-5.6 s:
 * every call waited that long before this cap.
 */
const JOIN_WAITS_FOR_TURN_MS = 1_000;

/**
 * The ICE configuration of this page (one, owned by the app): public servers plus, when the turn source answers,
 * a relay with credentials that expire. `iceServersFresh()` says whether they still hold;
 * `refreshRtcConfig()` renews them (before an ICE restart or a new connection).
 */
export class RtcConfigSource {
  private publicConfig: Promise<PublicIceConfig> | null = null;
  private turn: TurnCredentials | null = null;
  private turnFetchedAt = 0;
  private turnRequest: Promise<TurnCredentials | null> | null = null;
  private turnFailedAt = -Infinity;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private onlyRelay: boolean;

  constructor(
    private readonly turnSource: TurnSource | null,
    private readonly options: {
      fetcher?: typeof fetch;
      now?: () => number;
      /** The whole request, sign-in included (the function call alone has TURN_TIMEOUT_MS). */
      timeoutMs?: number;
      relayOnly?: boolean;
      log?: (message: string, error?: unknown) => void;
    } = {},
  ) {
    this.onlyRelay = options.relayOnly ?? relayOnlyPreferred();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Whether the relay credentials (if any) are still good for a new allocation. */
  iceServersFresh(): boolean {
    return this.turn !== null && this.now() < this.staleAt();
  }

  /** When the credentials we hold are due for renewal. */
  private staleAt(): number {
    if (!this.turn) return -Infinity;
    const lifetime = this.turn.expiresAt - this.turnFetchedAt;
    return this.turn.expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime / 2);
  }

  /** Renews the credentials at `at` (ms since the epoch), whether or not anything asks for them. */
  private renewAt(at: number): void {
    clearTimeout(this.renewTimer);
    // Forced: a browser's timer may fire a few ms before Date.now() reaches `at` (timers run on
    // a monotonic clock), and a freshness check then would skip the renewal and schedule none.
    this.renewTimer = setTimeout(() => void this.freshTurn({ force: true }), Math.max(1_000, at - this.now()));
  }

  /** Stops renewing (the page's source lives as long as the page; tests stop theirs). */
  close(): void {
    clearTimeout(this.renewTimer);
  }

  /** Credentials still on their way: the configuration with them once they come (null if they don't). */
  lateRelay(): Promise<RTCConfiguration | null> | null {
    if (!this.turnRequest) return null;
    return this.turnRequest.then((t) => (t ? this.get() : null));
  }

  /** "Hide my address": only relayed candidates (the page's one answer to "is it on?"). */
  get relayOnly(): boolean {
    return this.onlyRelay;
  }

  /** "Hide my address" chosen: only relayed candidates, from the next refresh on; kept for next time. */
  setRelayOnly(on: boolean): void {
    this.onlyRelay = on;
    setRelayOnlyPreferred(on);
  }

  /** The configuration a new call starts with: relay credentials still on their way are waited for at most JOIN_WAITS_FOR_TURN_MS. */
  forCall(): Promise<RTCConfiguration> {
    return this.get({ waitMs: JOIN_WAITS_FOR_TURN_MS });
  }

  /**
   * The configuration to apply (pc.setConfiguration) before an ICE restart or to a new
   * connection: the same servers, with relay credentials renewed if they expire soon. A restart
   * waits for credentials still on their way at most TURN_TIMEOUT_MS (a sign-in stuck behind a
   * cut would otherwise hold it for SIGN_IN_WAIT_MS); then it goes with what the page holds.
   */
  forRestart(): Promise<RTCConfiguration> {
    return this.get({ waitMs: TURN_TIMEOUT_MS });
  }

  /**
   * When a call started without the relay because its credentials were still on their way:
   * the configuration with them, once they come (null if they don't). Null at once when the
   * configuration has its relay or nothing is on its way.
   */
  lateRelayFor(started: RTCConfiguration): Promise<RTCConfiguration | null> | null {
    if (started.iceServers?.some((s) => s.username)) return null;
    return this.lateRelay();
  }

  /**
   * The configuration, fetching what is missing or stale. Never rejects. `waitMs`: wait at most
   * this long for relay credentials still on their way (they count from the next ICE restart
   * on); relay-only ("hide my address") always waits, since without a relay there is no call.
   */
  async get({ waitMs }: { waitMs?: number } = {}): Promise<RTCConfiguration> {
    this.publicConfig ??= fetchPublicIceConfig(this.options.fetcher ?? ((...a) => fetch(...a)));
    let turnReady = this.freshTurn();
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (waitMs !== undefined && !this.onlyRelay) {
      turnReady = Promise.race([turnReady, new Promise<TurnCredentials | null>((r) => (timer = setTimeout(() => r(this.usableTurn()), waitMs)))]);
    }
    const [pub, turn] = await Promise.all([this.publicConfig, turnReady]).finally(() => clearTimeout(timer));
    const policy: RTCIceTransportPolicy = this.onlyRelay || pub.iceTransportPolicy === 'relay' ? 'relay' : 'all';
    return { iceServers: [...pub.iceServers, ...(turn?.iceServers ?? [])], iceTransportPolicy: policy };
  }

  /** The credentials we hold, while they are not yet expired (an old allocation still works). */
  private usableTurn(): TurnCredentials | null {
    return this.turn && this.turn.expiresAt > this.now() ? this.turn : null;
  }

  private freshTurn({ force = false } = {}): Promise<TurnCredentials | null> {
    if (!this.turnSource) return Promise.resolve(null);
    if (!force && this.turn && this.iceServersFresh()) return Promise.resolve(this.turn);
    if (!this.turnRequest && this.now() - this.turnFailedAt < RETRY_AFTER_FAILURE_MS) return Promise.resolve(this.usableTurn());
    // One request at a time; a failed one is tried again after RETRY_AFTER_FAILURE_MS.
    this.turnRequest ??= withTimeout(this.turnSource(), this.options.timeoutMs ?? SIGN_IN_WAIT_MS + TURN_TIMEOUT_MS)
      .then((t) => {
        this.turnFetchedAt = this.now();
        this.turn = t;
        this.renewAt(this.staleAt());
        return t;
      })
      .catch((error: unknown) => {
        // No relay this time: direct paths still work, and the next refresh tries again.
        this.options.log?.('Duet: no TURN relay (calls work where a direct path exists):', error);
        this.turnFailedAt = this.now();
        // Credentials we had are renewed again once the pause is over (a cut may be over by then).
        if (this.turn) this.renewAt(this.turnFailedAt + RETRY_AFTER_FAILURE_MS);
        return this.usableTurn();
      })
      .finally(() => (this.turnRequest = null));
    return this.turnRequest;
  }
}

/**
 * The Firebase web config, as Hosting (and its emulator) serves it. Public by design: it
 * names the project, it grants nothing (the security rules do that).
 */
export async function fetchFirebaseConfig(): Promise<Record<string, string>> {
  const response = await fetch('/__/firebase/init.json');
  if (!response.ok) throw new Error(`Firebase config not found (/__/firebase/init.json answered ${response.status})`);
  return (await response.json()) as Record<string, string>;
}
