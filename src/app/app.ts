// The app as one object: it owns the screen shown, the current call and the services, and
// moves between screens on named events (listed in `listen()` and the view's callbacks).
// What this person sends is owned by media/outgoing.ts; everything during a call besides
// the connection, by call-features.ts. None of the parts it wires knows another.

import { Call, type CallPhase } from '../call/call.ts';
import type { RoomBackend } from '../call/backend.ts';
import { CallFeatures } from './call-features.ts';
import { describeMediaError } from '../media/capture.ts';
import { Outgoing, type Sending } from '../media/outgoing.ts';
import { ScreenWakeLock } from '../media/wake-lock.ts';
import { connectionInfo, isOffline, serverReachable, whenBackOnline } from '../net/reachability.ts';
import { inviteLink, parseRoomName, roomInUrl } from '../rooms/names.ts';
import { missingForCalls } from '../browser-support.ts';
import { applyUpdate, registerServiceWorker } from '../sw-bridge.ts';
import { CallPanels } from '../ui/call-panels.ts';
import { attachPip } from '../ui/pip.ts';
import type { Controls, Screen } from '../ui/state.ts';
import { text } from '../ui/text.ts';
import { View } from '../ui/view.ts';
import { Native } from './native.ts';
import { Services } from './services.ts';

/**
 * A name typed and left alone this long is derived ahead of Join (its document id and key: a
 * deliberately slow KDF, ~150 ms of the click-to-call time measured on the bench machines).
 */
const PREPARE_AFTER_TYPING_MS = 250;

/** The call service did not answer: the same Join is tried again by itself after this, doubling up to the most. */
const SERVICE_RETRY_FIRST_MS = 2_000;
const SERVICE_RETRY_MOST_MS = 30_000;
/**
 * A step of the Join (reaching the service, then taking the seat) not done after this counts as
 * the service out of reach: with the database unreachable but the network up, Firestore's
 * transaction waits, retrying, for as long as it takes. Joins take 1-3 s on the bench machines.
 */
const JOIN_STEP_DEADLINE_MS = 15_000;

/** `step`, or a rejection once it has taken `ms`. */
function within<T>(step: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
  });
  return Promise.race([step, late]).finally(() => clearTimeout(timer));
}

/** How a Join ends when it does not end in the call. */
type JoinFailure = 'full' | 'offline' | 'service-down' | { invalid: string };

export class App {
  private screen: Screen = { screen: 'starting' };
  private updateReady = false;
  /** The call we are in (null: none). Events of any other call are stale and dropped. */
  private call: Call | null = null;
  private room = '';
  private captured = false;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private stopWaitingForNetwork = (): void => {};
  /** The Join tried again by itself while the call service is out of reach (see serviceDown). */
  private serviceRetry: { timer: ReturnType<typeof setTimeout>; next: number } | null = null;
  private readonly services = new Services();
  private readonly wakeLock = new ScreenWakeLock();
  private readonly view: View;
  private readonly outgoing: Outgoing;
  private readonly features: CallFeatures;
  private readonly native: Native;

  constructor(root: HTMLElement) {
    this.view = new View(root, {
      join: (name) => void this.join(name),
      typing: (value) => {
        this.stopServiceRetry(); // the person is changing the name: their next Join decides
        clearTimeout(this.typingTimer);
        this.typingTimer = setTimeout(() => this.prepareRoom(value), PREPARE_AFTER_TYPING_MS);
      },
      cancel: () => this.show({ screen: 'naming', notice: { kind: 'status', text: text.cancelled }, value: '' }),
      retry: () => void this.start(),
      leave: () => void this.leave(),
      toggleMic: () => this.outgoing.toggleMute(),
      toggleCamera: () => void this.outgoing.toggleCamera(),
      flip: () => void this.outgoing.flip(),
      share: () => void navigator.share?.({ title: 'Duet', text: `Join me in “${this.room}” on Duet`, url: this.invite() }).catch(() => {}),
      copy: () =>
        void navigator.clipboard
          ?.writeText(this.invite())
          .then(() => this.view.flash(text.copied))
          .catch(() => {}),
      reloadForUpdate: () => applyUpdate(),
      notify: () => void this.native.enableNotify(),
      // "Hide my address" (relay-only ICE): a choice kept for next time, applied from the next call.
      relayOnly: (on) => {
        this.services.ice.setRelayOnly(on);
        this.render();
      },
    });
    this.outgoing = new Outgoing({
      media: navigator.mediaDevices,
      onChange: (s) => this.sendingChanged(s),
      onDeviceLost: (role) => this.features.deviceLost(role),
      fail: (e, context) => this.reportError(e, context),
    });
    this.features = new CallFeatures({
      view: new CallPanels(root, {
        toggleMic: () => this.outgoing.toggleMute(),
        toggleCamera: () => void this.outgoing.toggleCamera(),
        toggleShare: () => void this.features.toggleShare(),
        sendChat: (body) => this.features.sendChat(body),
        chooseDevice: (role, id) => void this.features.chooseDevice(role, id),
        panel: (open) => this.features.panel(open),
      }),
      outgoing: this.outgoing,
      remoteVideo: this.view.remoteVideo,
      fail: (e, context) => this.reportError(e, context),
    });
    this.native = new Native({
      toggleMic: () => this.outgoing.toggleMute(),
      toggleCamera: () => void this.outgoing.toggleCamera(),
      hangUp: () => void this.leave(),
      remoteVideo: this.view.remoteVideo,
      changed: () => this.render(),
    });
    this.listen();
  }

  /** The events from outside the page's own controls, in one place. */
  private listen(): void {
    window.addEventListener('offline', () => {
      void isOffline().then((off) => {
        if (off && this.screen.screen === 'naming') this.waitForNetwork();
      });
    });
    // Back online, or on another kind of network (wifi to cellular, where the browser says
    // so): the path in use may be gone, and only this side knows. Restart ICE from here now.
    window.addEventListener('online', () => this.call?.networkChanged());
    connectionInfo()?.addEventListener('change', () => this.call?.networkChanged());
    // Back in front (screen on again, tab shown, page unfrozen): catch up at once.
    const wake = () => document.visibilityState === 'visible' && this.call?.wake();
    document.addEventListener('visibilitychange', wake);
    document.addEventListener('resume', wake);
    attachPip(this.view.localVideo, () => this.screen.screen === 'call');
    registerServiceWorker({
      onUpdateReady: () => {
        this.updateReady = true;
        this.render();
      },
    });
  }

  /** Camera and microphone first; then the room from the link, or the name prompt. */
  async start(): Promise<void> {
    // No WebRTC or no camera access: say so, and stop here (no prompt, no spinner).
    const missing = missingForCalls();
    if (missing.length) return this.show({ screen: 'unsupported', missing });
    this.show({ screen: 'starting' });
    this.captured = false;
    // An invite link names the room before the camera is granted: look at the room meanwhile (as
    // for a name typed on the prompt), so the join after the grant can be one request.
    const fromLink = new URLSearchParams(location.search).get('room');
    if (fromLink !== null) this.prepareRoom(fromLink);
    try {
      await this.outgoing.open();
    } catch (error) {
      return this.show({ screen: 'media-error', failure: describeMediaError(error) });
    }
    this.captured = true;
    this.view.showLocal(this.outgoing.stream);
    if (fromLink !== null) void this.join(fromLink);
    else if (await isOffline()) this.waitForNetwork();
    else this.show({ screen: 'naming' });
  }

  /** Moves to another screen. */
  private show(screen: Screen): void {
    this.screen = screen;
    this.render();
    this.native.screen(screen);
    this.native.sending(this.outgoing.state);
  }

  private render(): void {
    const s = this.outgoing.state;
    const controls: Controls = { muted: s.muted, cameraOff: s.cameraOff, facing: s.facing, canFlip: s.options.camera.length > 1 };
    this.view.render({ ...this.screen, controls, updateReady: this.updateReady, relayOnly: this.services.ice.relayOnly, notify: this.native.notify });
  }

  private sendingChanged(s: Sending): void {
    this.render();
    this.features.sending(s);
    this.native.sending(s);
  }

  /** A room the person is about to join (typed, or from a link): the backend gets ready for it. */
  private prepareRoom(input: string): void {
    const name = parseRoomName(input);
    if (name.ok) void this.services.connect().then((b) => b.prepare?.(name.id), () => {});
  }

  private invite(): string {
    return inviteLink(this.room, location.href);
  }

  /** Unexpected failures: logged with context; the person sees a message only when it stops them. */
  private reportError(error: unknown, context: string): void {
    console.error(`Duet: error while ${context}:`, error);
  }

  /** What the person typed (or the link said) leads to exactly one screen. */
  private async join(input: string): Promise<void> {
    if (!this.captured) return void this.start();
    const outcome = await this.tryJoin(input);
    if (outcome !== 'service-down') this.stopServiceRetry();
    if (outcome === 'joined') return;
    if (outcome === 'offline') return this.waitForNetwork(input);
    if (outcome === 'service-down') return this.serviceDown(input);
    const notice = typeof outcome === 'object' ? outcome.invalid : text.full(this.room);
    this.show({ screen: 'naming', notice: { kind: 'alert', text: notice }, value: input });
  }

  /**
   * The network works but the call service did not answer (or failed): say so, and press Join
   * again by itself, as the message promises: after 2 s, then 4, 8… up to every 30 s, for as
   * long as that message is on screen and the name is not being changed.
   */
  private serviceDown(input: string): void {
    const screen: Screen = { screen: 'naming', notice: { kind: 'alert', text: text.serviceDown }, value: input };
    this.show(screen);
    const delay = this.serviceRetry?.next ?? SERVICE_RETRY_FIRST_MS;
    clearTimeout(this.serviceRetry?.timer);
    const timer = setTimeout(() => {
      if (this.screen === screen) void this.join(input);
    }, delay);
    this.serviceRetry = { timer, next: Math.min(delay * 2, SERVICE_RETRY_MOST_MS) };
  }

  /** No more tries by itself; a later series starts again from the first delay. */
  private stopServiceRetry(): void {
    clearTimeout(this.serviceRetry?.timer);
    this.serviceRetry = null;
  }

  private async tryJoin(input: string): Promise<'joined' | JoinFailure> {
    const name = parseRoomName(input);
    if (!name.ok) return { invalid: name.message };
    if (await isOffline()) return 'offline';
    this.room = name.display;
    this.show({ screen: 'joining', room: this.room });
    const unreachable = async (error: unknown, context: string): Promise<JoinFailure> => {
      this.reportError(error, context);
      return (await serverReachable()) ? 'service-down' : 'offline';
    };
    let api: RoomBackend;
    try {
      api = await within(this.services.connect(), JOIN_STEP_DEADLINE_MS, 'connecting');
    } catch (error) {
      return unreachable(error, 'connecting to the call service');
    }
    const { ice } = this.services;
    // Credentials renewed if the page has been open long, and the relay-only choice applied.
    const rtcConfig = await ice.forCall();
    const thisCall = new Call(api, {
      roomId: name.id,
      stream: this.outgoing.stream,
      rtcConfig,
      // Before each ICE restart: relay credentials renewed if they expire soon.
      refreshRtcConfig: () => ice.forRestart(),
      onPhase: (phase) => this.onPhase(thisCall, phase),
      onRemoteStream: (s) => {
        if (this.call !== thisCall) return;
        this.view.showRemote(s);
        this.features.remoteStream(s);
      },
      onLink: (link) => {
        if (this.call !== thisCall || !link) return;
        void link.channel.then((channel) => {
          if (this.call === thisCall) this.features.attachPeer(link.pc, channel);
        });
      },
      fail: (e, context) => this.reportError(e, context),
      onConnectedAfter: (ms) => console.info(`Duet: connected ${Math.round(ms)} ms after joining`),
    });
    this.call = thisCall;
    this.outgoing.sendTo(thisCall);
    void ice.lateRelayFor(rtcConfig)?.then((config) => {
      if (config && this.call === thisCall) thisCall.relayArrived(config);
    });
    this.features.begin(this.room);
    try {
      if ((await within(thisCall.start(), JOIN_STEP_DEADLINE_MS, 'taking the seat')) === 'full') {
        this.endCall();
        return 'full';
      }
    } catch (error) {
      this.endCall({ keepUrl: true }); // the link still names the room to try again
      // Given up on: a seat it commits later is this person's, taken back by the next Join.
      thisCall.stop();
      return unreachable(error, 'joining the room');
    }
    roomInUrl(this.room);
    void this.wakeLock.hold();
    if (this.screen.screen === 'joining') this.show({ screen: 'call', room: this.room, phase: thisCall.current, invite: this.invite() });
    return 'joined';
  }

  private onPhase(source: Call, phase: CallPhase): void {
    if (this.call !== source) return; // a call we already left
    this.features.phase(phase.kind);
    if (phase.kind === 'ended' && phase.reason !== 'left') {
      this.endCall();
      const message = phase.reason === 'seat-lost' ? text.seatLost(this.room) : text.roomGone(this.room);
      return this.show({ screen: 'naming', notice: { kind: 'alert', text: message }, value: this.room });
    }
    if (phase.kind === 'full' || phase.kind === 'ended') return; // handled by join() and leave()
    this.show({ screen: 'call', room: this.room, phase, invite: this.invite() });
  }

  private endCall({ keepUrl = false } = {}): Call | null {
    const ended = this.call;
    this.call = null;
    this.outgoing.sendTo(null);
    this.features.end();
    this.wakeLock.release();
    this.view.showRemote(null);
    if (!keepUrl) roomInUrl(null);
    return ended;
  }

  private async leave(): Promise<void> {
    const leaving = this.endCall();
    this.show({ screen: 'naming', notice: { kind: 'status', text: text.left(this.room) }, value: '' });
    await leaving?.leave().catch((e) => this.reportError(e, 'leaving the room'));
  }


  /** Offline: a call needs the network. Say so, and carry on by itself when it is back. */
  private waitForNetwork(roomName?: string): void {
    this.show({ screen: 'offline', ...(roomName !== undefined ? { room: roomName } : {}) });
    this.stopWaitingForNetwork();
    this.stopWaitingForNetwork = whenBackOnline(() => {
      const { screen } = this;
      if (screen.screen !== 'offline') return;
      if (screen.room !== undefined) void this.join(screen.room);
      else this.show({ screen: 'naming' });
    });
  }
}
