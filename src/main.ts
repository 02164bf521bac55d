// The app's controller: it holds the one AppState, decides what happens on each thing
// the person does and each thing the call or the network reports, and renders. The
// parts it wires (media, call, view, service worker, reachability) know nothing of
// each other.

import { Call, type CallPhase } from './call/call.ts';
import type { RoomBackend } from './call/backend.ts';
import { callRtcConfig, fetchFirebaseConfig, lateRelayConfig, loadRtcConfig, refreshRtcConfig, relayOnlyPreferred, useRelayOnly } from './config.ts';
import { captureMedia, describeMediaError, stopStream } from './media/capture.ts';
import { ScreenWakeLock } from './media/wake-lock.ts';
import { isOffline, serverReachable, whenBackOnline } from './net/reachability.ts';
import { inviteLink, parseRoomName } from './rooms/names.ts';
import { missingForCalls } from './support.ts';
import { applyUpdate, registerServiceWorker } from './sw-bridge.ts';
import { attachPip } from './ui/pip.ts';
import { initialControls, type AppState, type Controls, type Screen } from './ui/state.ts';
import { text } from './ui/text.ts';
import { View } from './ui/view.ts';
import { InCall } from './incall.ts';
import { InCallView } from './ui/incall.ts';

// Firebase is the largest part of the app: start loading it now, while the
// browser is still asking for the camera, but don't let the prompt wait for it.
let backend: Promise<RoomBackend> | null = null;
const connect = (): Promise<RoomBackend> => {
  if (backend) return backend;
  // The config is fetched in parallel with the Firebase chunk, not after it.
  const config = fetchFirebaseConfig();
  config.catch(() => {}); // reported through connectBackend
  backend = import('./signaling/firestore.ts').then((m) => m.connectBackend(config));
  backend.catch(() => (backend = null)); // a later attempt starts afresh
  return backend;
};
void connect().catch(() => {});
// ICE servers: public STUN plus a relay with short-lived credentials, minted for the
// signed-in person (so after sign-in), ready long before anyone has typed a room name.
void loadRtcConfig(async () => {
  const b = await connect();
  if (!b.idToken) throw new Error('this backend has no sign-in for the TURN function');
  return b.idToken();
});

let state: AppState = { screen: 'starting', controls: initialControls, updateReady: false, relayOnly: relayOnlyPreferred() };
let stream: MediaStream | null = null;
let call: Call | null = null;
let room = '';
const wakeLock = new ScreenWakeLock();

/**
 * A name typed and left alone this long is derived ahead of Join (its document id and key: a
 * deliberately slow KDF, ~150 ms of the click-to-call time measured on the bench machines).
 */
const PREPARE_AFTER_TYPING_MS = 250;
let typingTimer: ReturnType<typeof setTimeout> | undefined;

/** A room the person is about to join (typed, or from a link): the backend gets ready for it. */
function prepareRoom(input: string): void {
  const name = parseRoomName(input);
  if (name.ok) void connect().then((b) => b.prepare?.(name.id), () => {});
}

const view = new View(document.querySelector<HTMLElement>('main.app')!, {
  join: (name) => void join(name),
  typing: (value) => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => prepareRoom(value), PREPARE_AFTER_TYPING_MS);
  },
  cancel: () => show({ screen: 'naming', notice: { kind: 'status', text: text.cancelled }, value: '' }),
  retry: () => void start(),
  leave: () => void leave(),
  toggleMic: () => extras.toggleMic(),
  toggleCamera: () => extras.toggleCamera(),
  flip: () => void flipCamera(),
  share: () => void navigator.share?.({ title: 'Duet', text: `Join me in “${room}” on Duet`, url: invite() }).catch(() => {}),
  copy: () =>
    void navigator.clipboard
      ?.writeText(invite())
      .then(() => view.flash(text.copied))
      .catch(() => {}),
  reloadForUpdate: () => applyUpdate(),
  // "Hide my address" (relay-only ICE): a choice kept for next time, applied from the next call.
  relayOnly: (on) => {
    useRelayOnly(on);
    render({ ...state, relayOnly: on });
  },
});

// During a call: our controls told to the other person and theirs shown, chat, screen
// share, devices, connection quality and the safety code (src/incall.ts).
const extras: InCall = new InCall({
  view: new InCallView(document.querySelector<HTMLElement>('main.app')!, {
    toggleMic: () => extras.toggleMic(),
    toggleCamera: () => extras.toggleCamera(),
    toggleShare: () => void extras.toggleShare(),
    sendChat: (body) => extras.sendChat(body),
    chooseDevice: (role, id) => void extras.chooseDevice(role, id),
    panel: (open) => extras.panel(open),
  }),
  setMuted: (muted) => setControls({ muted }),
  setCameraOff: (cameraOff) => setControls({ cameraOff }),
  remoteVideo: view.remoteVideo,
  stream: () => stream,
  fail: (e, context) => reportError(e, context),
});

/** Moves to another screen; the controls and update offer carry over. */
function show(screen: Screen): void {
  render({ ...screen, controls: state.controls, updateReady: state.updateReady, relayOnly: state.relayOnly });
}

function setControls(patch: Partial<Controls>): void {
  render({ ...state, controls: { ...state.controls, ...patch } });
}

function render(next: AppState): void {
  state = next;
  view.render(state);
}

function invite(): string {
  return inviteLink(room, location.href);
}

function setUrl(name: string | null): void {
  const url = new URL(location.href);
  if (name === null) url.searchParams.delete('room');
  else url.searchParams.set('room', name);
  history.replaceState(null, '', url);
}

/** Unexpected failures: logged with context; the person sees a message only when it stops them. */
function reportError(error: unknown, context: string): void {
  console.error(`Duet: error while ${context}:`, error);
}

async function start(): Promise<void> {
  // No WebRTC or no camera access: say so, and stop here (no prompt, no spinner).
  const missing = missingForCalls();
  if (missing.length) return show({ screen: 'unsupported', missing });
  show({ screen: 'starting' });
  stopStream(stream);
  stream = null;
  // An invite link names the room before the camera is granted: look at the room meanwhile (as
  // for a name typed on the prompt), so the join after the grant can be one request.
  const fromLink = new URLSearchParams(location.search).get('room');
  if (fromLink !== null) prepareRoom(fromLink);
  try {
    stream = await captureMedia();
  } catch (error) {
    return show({ screen: 'media-error', failure: describeMediaError(error) });
  }
  view.showLocal(stream);
  setControls({ muted: false, cameraOff: false, facing: 'user' });
  await extras.useRememberedDevices();
  void cameraCount().then((n) => setControls({ canFlip: n > 1 }));
  if (fromLink !== null) void join(fromLink);
  else if (await isOffline()) waitForNetwork();
  else show({ screen: 'naming' });
}

type JoinOutcome = 'joined' | 'full' | 'offline' | 'service-down' | { invalid: string };

/** What the person typed (or the link said) leads to exactly one of these screens. */
async function join(input: string): Promise<void> {
  if (!stream) return void start();
  const outcome = await tryJoin(input);
  if (outcome === 'joined') return;
  if (outcome === 'offline') return waitForNetwork(input);
  const notice = typeof outcome === 'object' ? outcome.invalid : outcome === 'full' ? text.full(room) : text.serviceDown;
  show({ screen: 'naming', notice: { kind: 'alert', text: notice }, value: input });
}

async function tryJoin(input: string): Promise<JoinOutcome> {
  const name = parseRoomName(input);
  if (!name.ok) return { invalid: name.message };
  if (await isOffline()) return 'offline';
  room = name.display;
  show({ screen: 'joining', room });
  const unreachable = async (error: unknown, context: string): Promise<JoinOutcome> => {
    reportError(error, context);
    return (await serverReachable()) ? 'service-down' : 'offline';
  };
  let api: RoomBackend;
  try {
    api = await connect();
  } catch (error) {
    return unreachable(error, 'connecting to the call service');
  }
  // Credentials renewed if the page has been open long, and the relay-only choice applied.
  const rtcConfig = await callRtcConfig();
  const lateRelay = lateRelayConfig(rtcConfig);
  const thisCall = new Call(api, {
    roomId: name.id,
    stream: stream!,
    rtcConfig,
    // Before each ICE restart: relay credentials renewed if they expire soon.
    refreshRtcConfig,
    onPhase: (phase) => onPhase(thisCall, phase),
    onRemoteStream: (s) => {
      view.showRemote(s);
      extras.remoteStream(s);
    },
    onLink: (link) => {
      if (call !== thisCall || !link) return;
      void link.channel.then((channel) => {
        if (call === thisCall) extras.attachPeer(link.pc, channel);
      });
    },
    fail: reportError,
    onConnectedAfter: (ms) => console.info(`Duet: connected ${Math.round(ms)} ms after joining`),
  });
  call = thisCall;
  void lateRelay?.then((config) => {
    if (config && call === thisCall) thisCall.relayArrived(config);
  });
  extras.begin(room);
  try {
    if ((await thisCall.start()) === 'full') {
      call = null;
      extras.end();
      setUrl(null);
      return 'full';
    }
  } catch (error) {
    call = null;
    extras.end();
    return unreachable(error, 'joining the room');
  }
  setUrl(room);
  void wakeLock.hold();
  if (state.screen === 'joining') show({ screen: 'call', room, phase: thisCall.current, invite: invite() });
  return 'joined';
}

function onPhase(source: Call, phase: CallPhase): void {
  if (call !== source) return; // a call we already left
  if (phase.kind === 'ended' && phase.reason !== 'left') {
    endCall();
    const message = phase.reason === 'seat-lost' ? text.seatLost(room) : text.roomGone(room);
    return show({ screen: 'naming', notice: { kind: 'alert', text: message }, value: room });
  }
  if (phase.kind === 'full' || phase.kind === 'ended') return; // handled by join() and leave()
  show({ screen: 'call', room, phase, invite: invite() });
}

function endCall(): Call | null {
  const ended = call;
  call = null;
  extras.end();
  wakeLock.release();
  view.showRemote(null);
  setUrl(null);
  return ended;
}

async function leave(): Promise<void> {
  const leaving = endCall();
  show({ screen: 'naming', notice: { kind: 'status', text: text.left(room) }, value: '' });
  await leaving?.leave().catch((e) => reportError(e, 'leaving the room'));
}

async function cameraCount(): Promise<number> {
  const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []);
  return (devices ?? []).filter((d) => d.kind === 'videoinput').length;
}

async function flipCamera(): Promise<void> {
  if (!stream) return;
  const old = stream.getVideoTracks()[0];
  const { facing } = state.controls;
  const wanted: typeof facing = facing === 'user' ? 'environment' : 'user';
  // Phones can rarely open two cameras at once: release the current one first.
  old?.stop();
  // If the other camera can't be opened, go back to the one we had rather than
  // leave the other person looking at a frozen picture.
  for (const next of [wanted, facing] as const) {
    try {
      const fresh = await captureMedia(navigator, { facingMode: next });
      const track = fresh.getVideoTracks()[0]!;
      fresh.getAudioTracks().forEach((t) => t.stop());
      if (old) stream.removeTrack(old);
      track.enabled = !state.controls.cameraOff;
      stream.addTrack(track);
      await call?.replaceVideoTrack(track);
      view.showLocal(stream);
      return setControls({ facing: next });
    } catch (error) {
      reportError(error, `switching to the ${next === 'user' ? 'front' : 'back'} camera`);
    }
  }
}

// Offline: a call needs the network. Say so, and carry on by itself when it is back.
let stopWaitingForNetwork = (): void => {};
function waitForNetwork(roomName?: string): void {
  show({ screen: 'offline', ...(roomName !== undefined ? { room: roomName } : {}) });
  stopWaitingForNetwork();
  stopWaitingForNetwork = whenBackOnline(() => {
    if (state.screen !== 'offline') return;
    if (state.room !== undefined) void join(state.room);
    else show({ screen: 'naming' });
  });
}
window.addEventListener('offline', () => {
  void isOffline().then((off) => {
    if (off && state.screen === 'naming') waitForNetwork();
  });
});
// Back online: don't wait for the next scheduled ICE restart.
window.addEventListener('online', () => call?.restartIce());
// Back in front (screen on again, tab shown, page unfrozen): catch up at once.
const wake = () => {
  if (document.visibilityState === 'visible') call?.wake();
};
document.addEventListener('visibilitychange', wake);
document.addEventListener('resume', wake);

attachPip(view.localVideo, () => state.screen === 'call');
registerServiceWorker({ onUpdateReady: () => render({ ...state, updateReady: true }) });
void start();
