// A fake PeerLink for unit tests of the call's decisions: a small model of one
// RTCPeerConnection's negotiation (offer/answer, perfect-negotiation collisions, ICE
// restarts with new ufrags) and of a network between links that can be cut. The
// browser suites prove the real thing; this proves the decisions around it, fast.
//
// Model: a link is connected when it and its partner each applied the other's current
// description, both are stable, and the network is up. A cut makes connected links
// 'disconnected', and 'failed' after FAIL_AFTER_MS. When the network returns,
// 'disconnected' links heal by themselves; 'failed' ones need an ICE restart (as in
// Chromium and Firefox). A closed partner leaves the other 'disconnected' after a while.

import type { PeerLink, PeerLinkOptions, SignalMessage } from '../../../src/call/peer.ts';

const FAIL_AFTER_MS = 15_000;
const CLOSED_PARTNER_MS = 5_000;

export class FakeNetwork {
  readonly links = new Map<string, FakeLink>();
  up = true;
  /** How long a link's first offer takes to make (a slow phone); the gather wait may end first. */
  offerDelayMs = 0;

  factory = (options: PeerLinkOptions): PeerLink => {
    const link = new FakeLink(this, options);
    this.links.set(link.id, link);
    return link;
  };

  cut(): void {
    this.up = false;
    for (const l of this.links.values()) if (l.state === 'connected') l.goDown();
  }

  restore(): void {
    this.up = true;
    for (const l of this.links.values()) if (l.state === 'disconnected') this.check(l);
  }

  check(a: FakeLink): void {
    const b = a.partner();
    if (!b || a.closed || b.closed || !this.up) return;
    const mutual = a.remoteFrom === `${b.id}/${b.ufrag}` && b.remoteFrom === `${a.id}/${a.ufrag}`;
    if (mutual && a.signaling === 'stable' && b.signaling === 'stable') {
      a.setState('connected');
      b.setState('connected');
    }
  }
}

export class FakeLink implements PeerLink {
  readonly id: string;
  readonly pc = {} as RTCPeerConnection;
  /** No data channel in the fake network (the channel protocol has its own tests). */
  readonly channel = new Promise<RTCDataChannel>(() => {});
  readonly beat = new Promise<RTCDataChannel>(() => {});
  polite: boolean;
  signaling: 'stable' | 'have-local-offer' = 'stable';
  state: RTCPeerConnectionState = 'new';
  closed = false;
  ufrag: string;
  local: RTCSessionDescriptionInit | null = null;
  /** `${pcId}/${ufrag}` of the description we applied last. */
  remoteFrom = '';
  restarts = 0;
  /** The configurations ICE restarts were given (relay credentials that came late). */
  restartConfigs: RTCConfiguration[] = [];
  offersIgnored = 0;
  readonly received: SignalMessage[] = [];
  private generation = 0;
  private failTimer: ReturnType<typeof setTimeout> | null = null;
  private queue = Promise.resolve();

  constructor(
    private readonly net: FakeNetwork,
    private readonly o: PeerLinkOptions,
  ) {
    this.id = o.id;
    this.polite = o.polite;
    this.ufrag = this.newUfrag();
    const offer = o.offer;
    if (offer) this.enqueue(() => this.apply({ description: offer }));
    else {
      const delayMs = net.offerDelayMs;
      this.enqueue(async () => {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        this.makeOffer();
      });
    }
  }

  /** The link at the other end: the one whose description we applied. */
  partner(): FakeLink | undefined {
    return this.net.links.get(this.remoteFrom.split('/')[0] ?? '');
  }

  localSdp(): string | null {
    return this.local?.sdp ?? null;
  }
  hasRemote(): boolean {
    return this.remoteFrom !== '';
  }
  isStable(): boolean {
    return this.signaling === 'stable';
  }
  /** The fake network never loses an answer. */
  offerWaitingMs(): number {
    return 0;
  }
  receive(message: SignalMessage): void {
    this.received.push(message);
    this.enqueue(() => this.apply(message));
  }
  gathered(timeoutMs: number): Promise<void> {
    // Gathering ends after the local description is set (candidates are in it by then).
    const done = this.queue.then(() => new Promise<void>((r) => setTimeout(r, 1)));
    return Promise.race([done, new Promise<void>((r) => setTimeout(r, timeoutMs))]);
  }
  restartIce(config?: RTCConfiguration): void {
    if (this.closed) return;
    this.restarts += 1;
    if (config) this.restartConfigs.push(config);
    this.ufrag = this.newUfrag();
    this.enqueue(() => this.makeOffer());
  }
  setPolite(polite: boolean): void {
    this.polite = polite;
  }
  async replaceTrack(): Promise<void> {}
  close(): void {
    this.closed = true;
    this.state = 'closed';
    if (this.failTimer) clearTimeout(this.failTimer);
    const p = this.partner();
    if (p && !p.closed) setTimeout(() => p.state === 'connected' && p.goDown(), CLOSED_PARTNER_MS);
  }

  setState(state: RTCPeerConnectionState): void {
    if (this.closed || this.state === state) return;
    this.state = state;
    if (state === 'connected' && this.failTimer) {
      clearTimeout(this.failTimer);
      this.failTimer = null;
    }
    if (state === 'connected') this.o.onRemoteStream({ id: `remote-of-${this.id}` } as unknown as MediaStream);
    this.o.onConnectionState(state);
  }

  goDown(): void {
    this.setState('disconnected');
    this.failTimer = setTimeout(() => this.state === 'disconnected' && this.setState('failed'), FAIL_AFTER_MS);
  }

  private newUfrag(): string {
    this.generation += 1;
    return `${this.id}-g${this.generation}`;
  }

  private enqueue(job: () => void | Promise<void>): void {
    this.queue = this.queue.then(async () => {
      await new Promise((r) => setTimeout(r, 1)); // an SDP operation takes a moment
      if (!this.closed) await job();
    });
  }

  private sdp(type: string): string {
    return `fake ${type} from ${this.id}/${this.ufrag}`;
  }

  private send(description: RTCSessionDescriptionInit): void {
    this.local = description;
    this.o.send({ description });
    this.o.send({ candidate: { candidate: `candidate:${this.ufrag}`, usernameFragment: this.ufrag } });
  }

  private makeOffer(): void {
    if (this.signaling !== 'stable') return;
    this.signaling = 'have-local-offer';
    this.send({ type: 'offer', sdp: this.sdp('offer') });
    if (this.state === 'new') this.setState('connecting');
  }

  private apply({ description, candidate }: SignalMessage): void {
    if (candidate || !description?.sdp) return;
    const from = description.sdp.split(' from ')[1]!;
    if (description.type === 'offer') {
      if (this.signaling !== 'stable') {
        if (!this.polite) {
          this.offersIgnored += 1; // perfect negotiation: the impolite side ignores it
          return;
        }
        this.signaling = 'stable'; // rollback
      }
      this.remoteFrom = from;
      // The other side restarted ICE: we restart with them.
      if (this.state !== 'new' && this.state !== 'connected') this.ufrag = this.newUfrag();
      this.send({ type: 'answer', sdp: this.sdp('answer') });
      if (this.state === 'new') this.setState('connecting');
    } else if (description.type === 'answer') {
      if (this.signaling !== 'have-local-offer') return; // a repeat
      this.remoteFrom = from;
      this.signaling = 'stable';
    }
    this.net.check(this);
  }
}
