// Presence: how often we refresh our seat, when someone's seat counts as gone, and when
// we were away so long that we come back as a reload would.

import { HEARTBEAT_MS, NEARLY_STALE_MS, PRESENCE_TIMEOUT_MS, type Seat } from './backend.ts';

/** How often seats are checked for staleness between snapshots. */
export const PRESENCE_CHECK_MS = 5_000;
/** Catch-up heartbeats (our seat looks old to others) are at least this far apart. */
export const CATCH_UP_BEAT_MS = 10_000;

export interface PresenceHooks {
  /** Refreshes our seat; 'lost' when it is no longer ours. */
  heartbeat(): Promise<'ok' | 'lost'>;
  lost(): void;
  /** Time passed: seats may have gone stale without any snapshot saying so. */
  tick(): void;
  now(): number;
  fail(error: unknown): void;
}

export class Presence {
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private lastBeatAt = 0;

  constructor(private readonly hooks: PresenceHooks) {}

  start(): void {
    this.heartbeatTimer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.tickTimer = setInterval(() => this.hooks.tick(), PRESENCE_CHECK_MS);
  }

  stop(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.heartbeatTimer = this.tickTimer = null;
  }

  isStale(seat: Seat): boolean {
    return this.hooks.now() - seat.seenMs > PRESENCE_TIMEOUT_MS;
  }

  /**
   * Looks at our own seat as the others see it: 'start-over' after a long absence;
   * otherwise refreshes it at once when it looks older than the heartbeat allows (this
   * page was frozen or throttled in the background), before the others give up on us.
   */
  checkOwnSeat(mine: Seat | undefined): 'ok' | 'start-over' {
    const age = mine ? this.hooks.now() - mine.seenMs : 0;
    // Nearly stale when we look at it: we were away (page frozen, throttled or offline) long
    // enough that the other person may have given up on us.
    if (age > NEARLY_STALE_MS) return 'start-over';
    if (age > HEARTBEAT_MS + CATCH_UP_BEAT_MS && performance.now() - this.lastBeatAt > CATCH_UP_BEAT_MS) void this.beat();
    return 'ok';
  }

  private async beat(): Promise<void> {
    this.lastBeatAt = performance.now();
    try {
      if ((await this.hooks.heartbeat()) === 'lost') this.hooks.lost();
    } catch (e) {
      // Offline: the SDK queues the write; presence catches up when the network returns.
      this.hooks.fail(e);
    }
  }
}
