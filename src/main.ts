// Wires the parts together: media capture, the room prompt, the call, the view.
// Decisions live here; the parts below know nothing of each other.

import { Call, type CallPhase } from './call/call.ts';
import type { RoomBackend } from './call/backend.ts';
import { captureMedia, describeMediaError, stopStream } from './media/capture.ts';
import { ScreenWakeLock } from './media/wake-lock.ts';
import { inviteLink, parseRoomName } from './rooms/names.ts';
import { fetchFirebaseConfig, loadRtcConfig } from './config.ts';
import { applyUpdate, registerServiceWorker, serverReachable, whenBackOnline } from './sw-bridge.ts';
import type { AppState } from './ui/state.ts';
import { attachPip } from './ui/pip.ts';
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
const rtcConfig = loadRtcConfig();

let state: AppState = { screen: 'starting' };
let stream: MediaStream | null = null;
let call: Call | null = null;
let room = '';
const wakeLock = new ScreenWakeLock();

const view = new View(document.querySelector<HTMLElement>('main.app')!, {
  join: (name) => void join(name),
  cancel: () => render({ screen: 'naming', notice: { kind: 'status', text: text.cancelled }, value: '' }),
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
});

// During a call: state to the other person, chat, screen share, devices, quality, safety code.
const extras: InCall = new InCall({
  view: new InCallView(document.querySelector<HTMLElement>('main.app')!, {
    toggleMic: () => extras.toggleMic(),
    toggleCamera: () => extras.toggleCamera(),
    toggleShare: () => void extras.toggleShare(),
    sendChat: (body) => extras.sendChat(body),
    chooseDevice: (role, id) => void extras.chooseDevice(role, id),
    panel: (open) => extras.panel(open),
  }),
  setMuted: (muted) => view.setMuted(muted),
  setCameraOff: (off) => view.setCameraOff(off),
  remoteVideo: view.remoteVideo,
  stream: () => stream,
  fail: (e, context) => reportError(e, context),
});

function render(next: AppState): void {
  state = next;
  view.render(state);
  // Test and debugging hook: the state as data (read by the browser tests).
  document.documentElement.dataset.duet = state.screen + (state.screen === 'call' ? `:${state.phase.kind}` : '');
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
  render({ screen: 'starting' });
  stopStream(stream);
  stream = null;
  try {
    stream = await captureMedia();
  } catch (error) {
    render({ screen: 'media-error', failure: describeMediaError(error) });
    return;
  }
  view.showLocal(stream);
  await extras.useRememberedDevices();
  void updateFlipButton();
  const fromLink = new URLSearchParams(location.search).get('room');
  if (await isOffline()) goOffline(fromLink ?? undefined);
  else if (fromLink !== null) void join(fromLink);
  else render({ screen: 'naming' });
}

async function join(input: string): Promise<void> {
  if (!stream) return void start();
  const name = parseRoomName(input);
  if (!name.ok) {
    render({ screen: 'naming', notice: { kind: 'alert', text: name.message }, value: input });
    return;
  }
  if (await isOffline()) return goOffline(input);
  room = name.display;
  render({ screen: 'joining', room });
  let api: RoomBackend;
  try {
    api = await connect();
  } catch (error) {
    return cannotReach(error, 'connecting to the call service', input);
  }
  const thisCall = new Call(api, {
    roomId: name.id,
    stream,
    rtcConfig: await rtcConfig,
    onPhase: (phase) => onPhase(thisCall, phase),
    onRemoteStream: (s) => {
      view.showRemote(s);
      extras.remoteStream(s);
    },
    onPeer: (pc, channel) => {
      if (call === thisCall) extras.attachPeer(pc, channel);
    },
    fail: reportError,
    onConnectedAfter: (ms) => console.info(`Duet: connected ${Math.round(ms)} ms after joining`),
  });
  call = thisCall;
  extras.begin(room);
  try {
    const result = await thisCall.start();
    if (result === 'full') {
      call = null;
      extras.end();
      setUrl(null);
      render({ screen: 'naming', notice: { kind: 'alert', text: text.full(room) }, value: input });
      return;
    }
  } catch (error) {
    call = null;
    extras.end();
    return cannotReach(error, 'joining the room', input);
  }
  setUrl(room);
  void wakeLock.hold();
  if (state.screen === 'joining') render({ screen: 'call', room, phase: thisCall.current, invite: invite() });
}

/** Joining failed on the way to the server: offline (wait for the network) or the service is down. */
async function cannotReach(error: unknown, context: string, input: string): Promise<void> {
  reportError(error, context);
  if (!(await serverReachable())) return goOffline(input);
  render({ screen: 'naming', notice: { kind: 'alert', text: text.serviceDown }, value: input });
}

function onPhase(source: Call, phase: CallPhase): void {
  if (call !== source) return; // a call we already left
  if (phase.kind === 'ended' && phase.reason !== 'left') {
    call = null;
    extras.end();
    wakeLock.release();
    view.showRemote(null);
    setUrl(null);
    const message = phase.reason === 'seat-lost' ? text.seatLost(room) : text.roomGone(room);
    render({ screen: 'naming', notice: { kind: 'alert', text: message }, value: room });
    return;
  }
  if (phase.kind === 'full' || phase.kind === 'ended') return; // handled by join() and leave()
  render({ screen: 'call', room, phase, invite: invite() });
}

async function leave(): Promise<void> {
  const leaving = call;
  call = null;
  extras.end();
  wakeLock.release();
  view.showRemote(null);
  setUrl(null);
  render({ screen: 'naming', notice: { kind: 'status', text: text.left(room) }, value: '' });
  await leaving?.leave().catch((e) => reportError(e, 'leaving the room'));
}

async function updateFlipButton(): Promise<void> {
  const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []);
  view.setCanFlip((devices ?? []).filter((d) => d.kind === 'videoinput').length > 1);
}

let facing: 'user' | 'environment' = 'user';
async function flipCamera(): Promise<void> {
  if (!stream) return;
  const old = stream.getVideoTracks()[0];
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
      stream.addTrack(track);
      await call?.replaceVideoTrack(track);
      view.showLocal(stream);
      view.localVideo.classList.toggle('mirrored', next === 'user');
      facing = next;
      return;
    } catch (error) {
      reportError(error, `switching to the ${next === 'user' ? 'front' : 'back'} camera`);
    }
  }
}

// Back online: don't wait for the next scheduled ICE restart.
window.addEventListener('online', () => call?.restartIce());
// Back in front (screen on again, tab shown, page unfrozen): catch up at once.
const wake = () => {
  if (document.visibilityState === 'visible') call?.wake();
};
document.addEventListener('visibilitychange', wake);
document.addEventListener('resume', wake);

// Offline: a call needs the network. Say so, and carry on by itself when it is back.
/** navigator.onLine is only a hint (see serverReachable): when it says offline, ask the server. */
async function isOffline(): Promise<boolean> {
  return navigator.onLine === false && !(await serverReachable());
}
let stopWaitingForNetwork = (): void => {};
function goOffline(roomName?: string): void {
  render({ screen: 'offline', room: roomName });
  stopWaitingForNetwork();
  stopWaitingForNetwork = whenBackOnline(() => {
    if (state.screen !== 'offline') return;
    if (state.room !== undefined) void join(state.room);
    else render({ screen: 'naming' });
  });
}
window.addEventListener('offline', () => {
  void isOffline().then((off) => {
    if (off && state.screen === 'naming') goOffline();
  });
});

attachPip(view.localVideo, () => state.screen === 'call');
registerServiceWorker({ onUpdateReady: () => view.showUpdate(true) });
void start();
