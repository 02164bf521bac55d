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

export interface RecoveryHooks {
  /** True when a restart may go out now: signaling reachable, peer known, nothing in flight. */
  canRestart(): boolean;
  polite(): boolean;
  /** True once the other side's description has been applied. */
  negotiated(): boolean;
  /** Restart ICE (fresh relay credentials first, where they expire). */
  restart(): void;
  /** The health below changed in a way the phase shows (connected, no path). */
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
      this.downSince = 0;
      this.clearTimers();
      this.setNoPath(false);
      return;
    }
    if (state === 'failed' && !this.everConnected) this.setNoPath(true);
    if ((state === 'disconnected' || state === 'failed') && !this.retryTimer) {
      this.downSince = performance.now();
      // Often a blip that heals by itself within a couple of seconds. If not, restart
      // ICE, and keep restarting while the connection stays down: an interface that
      // disappeared and came back (network lost, Wi-Fi to mobile) yields new
      // candidates only to a fresh gathering. Neither browser recovers from
      // "failed" on its own.
      this.retryTimer = setInterval(() => this.attempt(), ICE_RETRY_MS);
      this.graceTimer = setTimeout(() => this.attempt(), DISCONNECTED_GRACE_MS);
    }
  }

  /** Restarts ICE now if the connection is down and the policy allows it. */
  attempt(): void {
    if (this.closed || this.state === 'connected') return;
    if (!this.hooks.canRestart()) return;
    if (this.hooks.polite() && performance.now() - this.downSince < POLITE_RESTART_AFTER_MS) return;
    this.hooks.restart();
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
    this.retryTimer = this.graceTimer = null;
  }
}
