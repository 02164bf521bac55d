// The phone's own ways into a call: the tab title, the system's media controls (Media Session),
// a notification and a chime when the other person arrives while the page is hidden, and the
// audio session a call's sound belongs to. Each is used only where the browser has it.

import type { NotifyChoice, Screen } from '../ui/state.ts';
import { text } from '../ui/text.ts';

export interface NativeDeps {
  toggleMic(): void;
  toggleCamera(): void;
  hangUp(): void;
  /** The other person's picture, for the browser's picture-in-picture window. */
  remoteVideo: HTMLVideoElement;
  /** The notify choice changed: render it. */
  changed(): void;
}

type CallAction = 'togglemicrophone' | 'togglecamera' | 'hangup' | 'enterpictureinpicture';
type CallMediaSession = MediaSession & {
  setActionHandler(action: CallAction, handler: (() => void) | null): void;
  setMicrophoneActive?(active: boolean): Promise<void> | void;
  setCameraActive?(active: boolean): Promise<void> | void;
};

const ARRIVAL_TAG = 'duet-arrival';

export class Native {
  private room = '';
  private waiting = false;
  private inCall = false;
  /** The other person arrived while the page was hidden, and it has not been looked at since. */
  private arrivedUnseen = false;
  private shown: Notification | null = null;
  /** The title of the screen shown (the tab's, unless an arrival is unseen). */
  private title = text.native.title;
  notify: NotifyChoice;

  constructor(private readonly deps: NativeDeps) {
    this.notify = typeof Notification === 'undefined' ? 'unsupported' : Notification.permission === 'denied' ? 'blocked' : 'off';
    // Safari 16.4+: the call's sound is a call's (the receiver, the ringer switch ignored).
    const session = (navigator as Navigator & { audioSession?: { type: string } }).audioSession;
    if (session) session.type = 'play-and-record';
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return;
      this.arrivedUnseen = false;
      this.shown?.close();
      this.shown = null;
      this.retitle();
      // Back in the page: the picture-in-picture window is not needed any more.
      if (document.pictureInPictureElement === deps.remoteVideo) void document.exitPictureInPicture().catch(() => {});
    });
  }

  /** Each screen shown (and each phase of a call). */
  screen(screen: Screen): void {
    const inCall = screen.screen === 'call';
    const waiting = inCall && screen.phase.kind === 'waiting';
    if (inCall && this.waiting && !waiting && screen.phase.kind !== 'ended' && document.visibilityState === 'hidden') this.arrived(screen.room);
    if (!inCall) this.arrivedUnseen = false;
    this.room = inCall || screen.screen === 'joining' ? screen.room : '';
    this.waiting = waiting;
    if (inCall !== this.inCall) this.mediaSession(inCall);
    this.inCall = inCall;
    this.retitle(screen);
  }

  /** What is sent now: the system's controls show the same. */
  sending(s: { muted: boolean; cameraOff: boolean }): void {
    const session = this.session();
    if (!session || !this.inCall) return;
    void session.setMicrophoneActive?.(!s.muted);
    void session.setCameraActive?.(!s.cameraOff);
  }

  /** "Notify me" pressed: the permission is asked now (never on load). */
  async enableNotify(): Promise<void> {
    if (this.notify === 'unsupported') return;
    if (this.notify === 'on') {
      this.notify = 'off';
      return this.deps.changed();
    }
    const permission = await Notification.requestPermission().catch(() => 'denied' as const);
    this.notify = permission === 'granted' ? 'on' : permission === 'denied' ? 'blocked' : 'off';
    this.deps.changed();
  }

  private session(): CallMediaSession | null {
    return 'mediaSession' in navigator ? (navigator.mediaSession as CallMediaSession) : null;
  }

  /** In a call, the system's mute, camera and hang-up controls do what the buttons do. */
  private mediaSession(on: boolean): void {
    const session = this.session();
    if (!session) return;
    const handlers: Record<CallAction, () => void> = {
      togglemicrophone: () => this.deps.toggleMic(),
      togglecamera: () => this.deps.toggleCamera(),
      hangup: () => this.deps.hangUp(),
      // Chromium opens it by itself when a call's tab is hidden (and offers the three controls in it).
      enterpictureinpicture: () => void this.pictureInPicture(),
    };
    for (const [action, handler] of Object.entries(handlers) as [CallAction, () => void][]) {
      try {
        session.setActionHandler(action, on ? handler : null);
      } catch {
        // This browser does not know the action: its own controls lack it.
      }
    }
  }

  /** The other person in the browser's floating window, where there is one and they are shown. */
  async pictureInPicture(): Promise<void> {
    const video = this.deps.remoteVideo;
    if (!document.pictureInPictureEnabled || !video.srcObject || document.pictureInPictureElement === video) return;
    await video.requestPictureInPicture().catch(() => {});
  }

  private arrived(room: string): void {
    this.arrivedUnseen = true;
    chime();
    if (this.notify !== 'on' || Notification.permission !== 'granted') return;
    const title = text.native.joined(room);
    const options: NotificationOptions = { body: text.native.tapToReturn, tag: ARRIVAL_TAG, icon: '/icons/icon-192.png' };
    try {
      const n = new Notification(title, options);
      n.onclick = () => {
        window.focus();
        n.close();
      };
      this.shown = n;
    } catch {
      // Android: only the service worker may show one (public/sw-notify.js brings the tab back).
      void navigator.serviceWorker?.ready.then((r) => r.showNotification(title, options)).catch(() => {});
    }
  }

  private retitle(screen?: Screen): void {
    if (screen) this.title = titleFor(screen);
    document.title = this.arrivedUnseen ? text.native.joinedTitle(this.room) : this.title;
  }
}

function titleFor(screen: Screen): string {
  const { native } = text;
  switch (screen.screen) {
    case 'joining':
      return native.joiningTitle(screen.room);
    case 'call':
      return screen.phase.kind === 'waiting' ? native.waitingTitle(screen.room) : native.inCallTitle(screen.room);
    default:
      return native.title;
  }
}

/** Two soft notes (about 0.4 s): someone is here. Best effort: a page never tapped may stay silent. */
function chime(): void {
  try {
    const audio = new AudioContext();
    const now = audio.currentTime;
    for (const [i, hz] of [660, 880].entries()) {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, now + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.22);
      tone.connect(gain).connect(audio.destination);
      tone.start(now + i * 0.18);
      tone.stop(now + i * 0.18 + 0.25);
    }
    setTimeout(() => void audio.close(), 800);
  } catch {
    // No Web Audio: the notification and the title say it.
  }
}
