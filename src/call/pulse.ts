// The link's pulse: whether the other side still hears us, within a second, from a beat on a
// data channel of its own.
//
// When a phone changes network (wifi to cellular), the path the call uses is gone at once, but
// the browser says so only when its own connectivity checks time out: Chromium's connection
// went "disconnected" 5.1-5.3 s after the address vanished, in the NAT world (issue 27). Here
// each side beats every BEAT_MS on an unreliable, unordered data channel, and answers every beat
// it hears with an echo at once. Events are not throttled in a hidden page, timers are (to
// once a second): so a page whose own beats slow down when hidden still answers ours at once,
// and a visible page hears something every BEAT_MS for as long as the path works.
//
// Silence (nothing heard for SILENT_AFTER_MS; longer while our page is hidden, when our own
// checks run once a second) is reported once, and hearing again after it once. What to do
// about it is recovery.ts's decision.

import type { ChannelLike } from './channel.ts';

/** How often each side beats while its page is visible. */
export const BEAT_MS = 250;
/** Nothing heard this long, while our page is visible: the path is gone. */
export const SILENT_AFTER_MS = 1_200;
/** The same while our page is hidden (its timers run once a second at most). */
export const SILENT_AFTER_HIDDEN_MS = 3_500;

/** The part of RTCDataChannel this uses: the same as the call's channel protocol's. */
export type BeatChannel = ChannelLike;

export interface PulseEvents {
  /** Nothing heard for too long (once per silence). */
  silent(): void;
  /** Heard again after a silence. */
  heard(): void;
}

const BEAT = 'b';
const ECHO = 'e';

export class Pulse {
  private lastHeard = 0;
  private quiet = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private detach: () => void = () => {};

  constructor(
    private readonly events: PulseEvents,
    private readonly hidden: () => boolean = () => typeof document !== 'undefined' && document.visibilityState === 'hidden',
  ) {}

  /** True from a silence until something is heard again. */
  get silent(): boolean {
    return this.quiet;
  }

  /** Beats on this channel from now on (once it is open). */
  attach(channel: BeatChannel): void {
    this.stop();
    const onOpen = () => this.start(channel);
    const onMessage = (e: Event | MessageEvent) => {
      const data = (e as MessageEvent).data;
      if (data !== BEAT && data !== ECHO) return;
      this.lastHeard = performance.now();
      if (data === BEAT) this.send(channel, ECHO);
      if (this.quiet) {
        this.quiet = false;
        this.events.heard();
      }
    };
    const onClose = () => this.stopTimer();
    channel.addEventListener('open', onOpen);
    channel.addEventListener('message', onMessage);
    channel.addEventListener('close', onClose);
    this.detach = () => {
      channel.removeEventListener('open', onOpen);
      channel.removeEventListener('message', onMessage);
      channel.removeEventListener('close', onClose);
    };
    if (channel.readyState === 'open') this.start(channel);
  }

  stop(): void {
    this.detach();
    this.detach = () => {};
    this.stopTimer();
  }

  private start(channel: BeatChannel): void {
    this.stopTimer();
    this.lastHeard = performance.now();
    this.send(channel, BEAT);
    this.timer = setInterval(() => {
      if (channel.readyState !== 'open') return;
      this.send(channel, BEAT);
      const limit = this.hidden() ? SILENT_AFTER_HIDDEN_MS : SILENT_AFTER_MS;
      if (!this.quiet && performance.now() - this.lastHeard > limit) {
        this.quiet = true;
        this.events.silent();
      }
    }, BEAT_MS);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private send(channel: BeatChannel, data: string): void {
    try {
      if (channel.readyState === 'open') channel.send(data);
    } catch {
      // Closing under us: its close event follows.
    }
  }
}
