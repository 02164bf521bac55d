// The call's data channel protocol: what each person's controls are set to, and chat.
//
// Every peer connection carries one negotiated channel (src/call/peer.ts); a reconnection
// that builds a new peer connection brings a new channel, so this object outlives them:
// `attach()` each new one. Peer to peer only, nothing passes through Firestore.
//
// State ("muted", "camera off", "sharing screen") is sent whole on every change and on
// every new channel, so the latest always wins. Chat is numbered: the receiver takes
// message n only right after n-1 and acknowledges it; the sender keeps every message
// until it is acknowledged and sends the unacknowledged ones again, in order, on the
// next channel. Each side opens a channel with a hello that says how far it got, so a
// message reaches the other side exactly once, in order, however often the link drops.
// A page load is an epoch: a reloaded page starts counting afresh (its old unsent
// messages are gone with it), and a page meeting a new epoch starts from the first
// message that page still holds.

export interface PeerState {
  muted: boolean;
  cameraOff: boolean;
  sharing: boolean;
}

export const NO_STATE: PeerState = { muted: false, cameraOff: false, sharing: false };

/** The longest chat message, in UTF-16 code units (what `maxlength` counts). Longer ones are cut. */
export const MAX_CHAT_CHARS = 10_000;

export interface ChatMessage {
  /** Unique per message and sender page: `${epoch}:${n}`. */
  key: string;
  n: number;
  text: string;
  /** When it was written, ms since the epoch (the sender's clock). */
  at: number;
}

/** What travels on the wire (JSON). */
export type Wire =
  /** `seen`/`got`: the other page's epoch as we know it, and how many of its messages we took. `next`: our first message not yet acknowledged. */
  | { t: 'hello'; epoch: string; seen: string; got: number; next: number }
  | { t: 'state'; state: PeerState }
  | { t: 'chat'; n: number; text: string; at: number }
  | { t: 'ack'; n: number };

/** The part of RTCDataChannel this uses (an in-memory pair stands in for it in unit tests). */
export interface ChannelLike {
  readonly readyState: RTCDataChannelState;
  send(data: string): void;
  addEventListener(type: 'open' | 'close' | 'message', listener: (e: Event | MessageEvent) => void): void;
  removeEventListener(type: 'open' | 'close' | 'message', listener: (e: Event | MessageEvent) => void): void;
}

export interface PeerChannelEvents {
  /** The other person's controls (on every change, and again on every new channel). */
  onState(state: PeerState): void;
  /** A chat message from the other person, exactly once, in order. */
  onChat(message: ChatMessage): void;
  /** Our message n (and every one before it) reached the other person. */
  onDelivered(n: number): void;
  /** The channel to the other person opened (both hellos exchanged) or closed. */
  onLink(open: boolean): void;
}

const bool = (v: unknown): v is boolean => typeof v === 'boolean';
const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Parses one wire message; anything malformed (a buggy or hostile peer) is null. */
export function parseWire(data: unknown): Wire | null {
  if (typeof data !== 'string' || data.length > 4 * MAX_CHAT_CHARS + 1_000) return null;
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null) return null;
  switch (m.t) {
    case 'hello':
      if (typeof m.epoch !== 'string' || typeof m.seen !== 'string' || !count(m.got) || !count(m.next) || m.next < 1) return null;
      return { t: 'hello', epoch: m.epoch, seen: m.seen, got: m.got, next: m.next };
    case 'state': {
      const s = m.state as Record<string, unknown> | null;
      if (typeof s !== 'object' || s === null || !bool(s.muted) || !bool(s.cameraOff) || !bool(s.sharing)) return null;
      return { t: 'state', state: { muted: s.muted, cameraOff: s.cameraOff, sharing: s.sharing } };
    }
    case 'chat':
      if (!count(m.n) || typeof m.text !== 'string' || typeof m.at !== 'number' || !Number.isFinite(m.at)) return null;
      return { t: 'chat', n: m.n, text: m.text.slice(0, MAX_CHAT_CHARS), at: m.at };
    case 'ack':
      return count(m.n) ? { t: 'ack', n: m.n } : null;
    default:
      return null;
  }
}

export class PeerChannel {
  /** This page's epoch. */
  readonly epoch: string;
  private nextN = 1;
  /** Our messages not yet acknowledged, in order. */
  private unacked: { n: number; text: string; at: number }[] = [];
  /** The other page's epoch, and how many of its messages we took, in order. */
  private peerEpoch = '';
  private got = 0;
  private local: PeerState = NO_STATE;
  private channel: ChannelLike | null = null;
  /** The other side's hello arrived on the current channel: chat may flow. */
  private ready = false;
  private detach: () => void = () => {};

  constructor(
    private readonly events: PeerChannelEvents,
    epoch: string = crypto.randomUUID(),
  ) {
    this.epoch = epoch;
  }

  /** True while chat reaches the other side at once (otherwise it waits among the unacknowledged). */
  get open(): boolean {
    return this.ready;
  }

  /** Messages written but not yet acknowledged. */
  get pending(): number {
    return this.unacked.length;
  }

  /** Uses this channel from now on (the previous one, if any, is forgotten). */
  attach(channel: ChannelLike): void {
    this.detach();
    const wasReady = this.ready;
    this.channel = channel;
    this.ready = false;
    if (wasReady) this.events.onLink(false);
    const onOpen = () => this.greet();
    const onMessage = (e: Event | MessageEvent) => this.receive((e as MessageEvent).data);
    const onClose = () => {
      if (this.channel !== channel) return;
      const was = this.ready;
      this.ready = false;
      if (was) this.events.onLink(false);
    };
    channel.addEventListener('open', onOpen);
    channel.addEventListener('message', onMessage);
    channel.addEventListener('close', onClose);
    this.detach = () => {
      channel.removeEventListener('open', onOpen);
      channel.removeEventListener('message', onMessage);
      channel.removeEventListener('close', onClose);
    };
    if (channel.readyState === 'open') this.greet();
  }

  /** Stops using any channel (the call ended). Unsent messages are dropped. */
  close(): void {
    this.detach();
    this.detach = () => {};
    this.channel = null;
    this.ready = false;
    this.unacked = [];
  }

  /** Our controls changed: tell the other side now (and on every later channel). */
  setState(state: PeerState): void {
    this.local = { ...state };
    this.post({ t: 'state', state: this.local });
  }

  /** Queues a chat message; returns it as the other side will see it. */
  sendChat(text: string, at = Date.now()): ChatMessage {
    const message = { n: this.nextN++, text: text.slice(0, MAX_CHAT_CHARS), at };
    this.unacked.push(message);
    if (this.ready) this.post({ t: 'chat', ...message });
    return { key: `${this.epoch}:${message.n}`, ...message };
  }

  private greet(): void {
    const next = this.unacked[0]?.n ?? this.nextN;
    this.post({ t: 'hello', epoch: this.epoch, seen: this.peerEpoch, got: this.got, next });
    this.post({ t: 'state', state: this.local });
  }

  private post(message: Wire): void {
    const c = this.channel;
    if (!c || c.readyState !== 'open') return;
    try {
      c.send(JSON.stringify(message));
    } catch {
      // The channel closed under us: its close event follows, and the unacknowledged list keeps the message.
    }
  }

  private receive(data: unknown): void {
    const m = parseWire(data);
    if (!m) return;
    switch (m.t) {
      case 'hello': {
        if (m.epoch !== this.peerEpoch) {
          // A page we have not talked to (new, or reloaded on the other side; or we are
          // the new page): take its messages from the first one it still holds.
          this.peerEpoch = m.epoch;
          this.got = m.next - 1;
        }
        if (m.seen === this.epoch) this.acked(m.got);
        // The other side has not heard our hello (it may have been sent before the other
        // page listened, and is lost): say it again. Their answer names us: no loop.
        else this.greet();
        const wasReady = this.ready;
        this.ready = true;
        for (const message of this.unacked) this.post({ t: 'chat', ...message });
        if (!wasReady) this.events.onLink(true);
        return;
      }
      case 'state':
        this.events.onState(m.state);
        return;
      case 'chat':
        if (!this.peerEpoch) return; // no hello yet: it will be sent again after one
        if (m.n === this.got + 1) {
          this.got = m.n;
          this.events.onChat({ key: `${this.peerEpoch}:${m.n}`, n: m.n, text: m.text, at: m.at });
        }
        // A repeat (n <= got) is acknowledged again; a gap (n > got + 1) is not, and comes back in order.
        if (m.n <= this.got) this.post({ t: 'ack', n: this.got });
        return;
      case 'ack':
        this.acked(m.n);
        return;
    }
  }

  private acked(n: number): void {
    const before = this.unacked.length;
    this.unacked = this.unacked.filter((m) => m.n > n);
    if (this.unacked.length !== before) this.events.onDelivered(n);
  }
}
