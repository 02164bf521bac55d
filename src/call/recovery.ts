// The ICE-restart policy: when a connection that went down is restarted, who goes
// first, and when we tell the person that no direct path exists. Change the timings
// of recovery here; the call only reports connection states and asks `attempt()`.

/** A "disconnected" connection gets this long to come back by itself before an ICE restart. */
export const DISCONNECTED_GRACE_MS = 2_500;
/** While the connection stays down, ICE is restarted this often. */
export const ICE_RETRY_MS = 5_000;
/**
 * The polite side restarts ICE only once the connection has been down this long: the
 * impolite side restarts first, and the polite side answers. Two restarts that cross
 * resolve (perfect negotiation), but the rollback they cost left media crawling at a few
 * frames a second on the polite side in the bench's repeated network cuts.
 */
export const POLITE_RESTART_AFTER_MS = 12_000;
/**
 * Both descriptions exchanged, and still no connection after this long (or ICE failed
 * before it ever connected): no pair of addresses works between the two networks.
 * Browsers take 10-30 s to declare "failed" by themselves; people should not wait that long.
 */
export const NO_PATH_AFTER_MS = 12_000;
/**
 * The pulse fell silent (pulse.ts: the path is gone, long before the browser says so).
 * The impolite side restarts at once; the polite side waits this long for its offer, and
 * restarts itself only if none came: the impolite side may be the one without a network.
 */
export const POLITE_SILENT_WAIT_MS = 2_000;

export interface RecoveryHooks {
  /** True when a restart may go out now: signaling reachable, peer known, nothing in flight. */
  canRestart(): boolean;
  polite(): boolean;
  /** True once the other side's description has been applied. */
  negotiated(): boolean;
  /** Restart ICE (fresh relay credentials first, where they expire). */
  restart(): void;
  /** How many offers the other side has sent this connection so far. */
  offersReceived(): number;
  /** The health below changed in a way the phase shows (connected, silent, no path). */
  changed(): void;
}

/** One connection's health and its restart timers. */
export class Recovery {
  state: RTCPeerConnectionState = 'new';
  everConnected = false;
  /** No path between the two networks (see NO_PATH_AFTER_MS); cleared once connected. */
  noPath = false;
  /** When the connection went down (performance.now()), or 0 while it is up. */
  private downSince = 0;
  private retryTimer: ReturnType<typeof setInterval> | null = null;
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  private pathTimer: ReturnType<typeof setTimeout> | null = null;
  private politeTimer: ReturnType<typeof setTimeout> | null = null;
  /** The pulse hears nothing (see onSilent); the browser may still say "connected". */
  silent = false;
  /**
   * This side saw why the path is gone (its network changed, its pulse fell silent) and owes
   * a restart, polite or not, at the first chance (signaling may be out of reach just then).
   */
  private owed = false;
  private closed = false;

  constructor(private readonly hooks: RecoveryHooks) {}

  /** Start judging whether a path exists (once both sides are talking to each other). */
  watchPath(): void {
    if (this.pathTimer || this.everConnected || this.closed) return;
    this.pathTimer = setTimeout(() => {
      this.pathTimer = null;
      if (this.everConnected || this.closed) return;
      // Still waiting for their description: that is signaling, not the network path.
      if (!this.hooks.negotiated()) return this.watchPath();
      this.setNoPath(true);
    }, NO_PATH_AFTER_MS);
  }

  onState(state: RTCPeerConnectionState): void {
    this.state = state;
    if (state === 'connected') {
      this.everConnected = true;
      this.setNoPath(false);
      if (!this.silent) this.up();
      return;
    }
    if (state === 'failed' && !this.everConnected) this.setNoPath(true);
    // Often a blip that heals by itself within a couple of seconds. If not, restart ICE.
    if (state === 'disconnected' || state === 'failed') this.down(DISCONNECTED_GRACE_MS);
  }

  /**
   * The pulse heard nothing for a second: the path is gone (a network change, a cut),
   * seconds before the browser's own checks say so. The impolite side restarts at once; the
   * polite side if no offer came within POLITE_SILENT_WAIT_MS.
   */
  onSilent(): void {
    if (this.closed || this.silent) return;
    this.silent = true;
    this.hooks.changed(); // shown as reconnecting (Connection.health)
    this.down(null);
    if (!this.hooks.polite()) return this.attempt({ now: true });
    const offers = this.hooks.offersReceived();
    if (this.politeTimer) clearTimeout(this.politeTimer);
    this.politeTimer = setTimeout(() => {
      this.politeTimer = null;
      if (this.silent && this.hooks.offersReceived() === offers) this.attempt({ now: true });
    }, POLITE_SILENT_WAIT_MS);
  }

  /** The pulse hears the other side again. */
  onHeard(): void {
    if (!this.silent) return;
    this.silent = false;
    if (this.state === 'connected') this.up();
    this.hooks.changed();
  }

  /**
   * Restarts ICE if the connection is down and the policy allows it. `now`: this side saw
   * why (its network changed, its pulse fell silent), so it does not leave the restart to the
   * other side, and restarts even if the browser still calls the path up; perfect negotiation
   * resolves two restarts that cross. Owed until it can go out (see `owed`).
   */
  attempt({ now = false } = {}): void {
    if (this.closed) return;
    if (now) this.owed = true;
    if (this.state === 'connected' && !this.silent && !this.owed) return;
    if (!this.hooks.canRestart()) return;
    if (!this.owed && this.hooks.polite() && performance.now() - this.downSince < POLITE_RESTART_AFTER_MS) return;
    this.owed = false;
    this.hooks.restart();
  }

  /**
   * Down from now (unless already): while it stays down, ICE is restarted every ICE_RETRY_MS,
   * the first time after `graceMs` (null: the caller restarts now). An interface that
   * disappeared and came back (network lost, Wi-Fi to mobile) yields new candidates only to
   * a fresh gathering; neither browser recovers from "failed" on its own.
   */
  private down(graceMs: number | null): void {
    if (this.retryTimer) return;
    this.downSince = performance.now();
    this.retryTimer = setInterval(() => this.attempt(), ICE_RETRY_MS);
    if (graceMs !== null) this.graceTimer = setTimeout(() => this.attempt(), graceMs);
  }

  private up(): void {
    this.downSince = 0;
    this.owed = false;
    this.clearTimers();
  }

  close(): void {
    this.closed = true;
    this.clearTimers();
    if (this.pathTimer) clearTimeout(this.pathTimer);
    this.pathTimer = null;
  }

  private setNoPath(value: boolean): void {
    if (this.noPath === value) return;
    this.noPath = value;
    this.hooks.changed();
  }

  private clearTimers(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.politeTimer) clearTimeout(this.politeTimer);
    this.retryTimer = this.graceTimer = this.politeTimer = null;
  }
}
