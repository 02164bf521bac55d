// The page: owns the DOM under <main class="app"> and renders an AppState.
// It reports what the person does through callbacks and decides nothing itself.

import { generatePrivateName } from '../rooms/names.ts';
import type { AppState, Controls } from './state.ts';
import { text } from './text.ts';

export interface ViewEvents {
  join(name: string): void;
  /** The room name field changed (not submitted). */
  typing(value: string): void;
  cancel(): void;
  retry(): void;
  leave(): void;
  toggleMic(): void;
  toggleCamera(): void;
  flip(): void;
  share(): void;
  copy(): void;
  reloadForUpdate(): void;
  relayOnly(on: boolean): void;
  notify(): void;
}

const $ = <T extends Element>(root: ParentNode, selector: string): T => {
  const el = root.querySelector<T>(selector);
  if (!el) throw new Error(`missing ${selector}`);
  return el;
};

function readableLink(link: string): string {
  const url = new URL(link);
  const room = url.searchParams.get('room');
  return room === null ? link : `${url.origin}/?room=${room}`;
}

export class View {
  readonly localVideo: HTMLVideoElement;
  readonly remoteVideo: HTMLVideoElement;
  private readonly app: HTMLElement;
  private readonly status: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly alertTitle: HTMLElement;
  private readonly alertHelp: HTMLElement;
  private readonly retry: HTMLButtonElement;
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;
  private readonly invite: HTMLElement;
  private readonly inviteLink: HTMLElement;
  private readonly shareButton: HTMLButtonElement;
  private readonly controls: HTMLElement;
  private readonly roomLabel: HTMLElement;
  private readonly mic: HTMLButtonElement;
  private readonly camera: HTMLButtonElement;
  private readonly flipButton: HTMLButtonElement;
  private readonly updateBanner: HTMLElement;
  private readonly relayOnly: HTMLInputElement;
  private readonly notifyButton: HTMLButtonElement;
  private readonly sound: HTMLElement;
  private lastScreen = '';

  constructor(root: HTMLElement, events: ViewEvents) {
    this.app = root;
    this.localVideo = $(root, '[data-testid="local-video"]');
    this.remoteVideo = $(root, '[data-testid="remote-video"]');
    this.status = $(root, '[role="status"]');
    this.alert = $(root, '[role="alert"]');
    this.alertTitle = $(root, '.alert-title');
    this.alertHelp = $(root, '.alert-help');
    this.retry = $(root, '.retry');
    this.form = $(root, '.room-form');
    this.input = $(root, '#room-name');
    this.invite = $(root, '.invite');
    this.inviteLink = $(root, '.invite-link');
    this.shareButton = $(root, '.share');
    this.controls = $(root, '.controls');
    this.roomLabel = $(root, '.room-label');
    this.mic = $(root, '.mic');
    this.camera = $(root, '.camera');
    this.flipButton = $(root, '.flip');
    this.updateBanner = $(root, '.update-banner');
    this.sound = $(root, '.sound-card');
    $(root, '.sound-on').addEventListener('click', () => this.playRemote());

    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      events.join(this.input.value);
    });
    this.input.addEventListener('input', () => events.typing(this.input.value));
    $(root, '.cancel').addEventListener('click', () => events.cancel());
    // A strong name for people who want one (docs/PRIVACY.md): filled in, not joined yet.
    $(root, '.generate-name').addEventListener('click', () => {
      this.input.value = generatePrivateName();
      events.typing(this.input.value);
      $(root, '#room-hint').textContent = text.privateName;
      this.input.focus();
    });
    this.retry.addEventListener('click', () => events.retry());
    $(root, '.leave').addEventListener('click', () => events.leave());
    this.mic.addEventListener('click', () => events.toggleMic());
    this.camera.addEventListener('click', () => events.toggleCamera());
    this.flipButton.addEventListener('click', () => events.flip());
    this.shareButton.addEventListener('click', () => events.share());
    $(root, '.copy').addEventListener('click', () => events.copy());
    $(root, '.update-reload').addEventListener('click', () => events.reloadForUpdate());
    this.relayOnly = $(root, 'input[name="relay-only"]');
    this.relayOnly.addEventListener('change', () => events.relayOnly(this.relayOnly.checked));
    this.notifyButton = $(root, '.notify');
    this.notifyButton.addEventListener('click', () => events.notify());
    this.shareButton.hidden = typeof navigator.share !== 'function';
  }

  render(state: AppState): void {
    const { app } = this;
    app.dataset.screen = state.screen;
    app.dataset.phase = state.screen === 'call' ? state.phase.kind : '';
    let status = '';
    let alert: { title: string; help?: string; retry?: boolean } | null = null;

    switch (state.screen) {
      case 'starting':
        status = text.starting;
        break;
      case 'media-error':
        alert = { title: state.failure.title, help: state.failure.help, retry: true };
        break;
      case 'naming':
        if (state.notice?.kind === 'alert') alert = { title: state.notice.text, ...(state.notice.help ? { help: state.notice.help } : {}) };
        else if (state.notice) status = state.notice.text;
        break;
      case 'joining':
        status = text.joining(state.room);
        break;
      case 'call':
        status = text.phase(state.phase, state.room);
        break;
      case 'offline':
        alert = { title: text.offline };
        break;
      case 'unsupported':
        alert = { title: text.unsupported(state.missing), help: text.unsupportedHelp };
        break;
    }

    this.status.textContent = status;
    this.status.hidden = status === '';
    this.alertTitle.textContent = alert?.title ?? '';
    this.alertHelp.textContent = alert?.help ?? '';
    this.alertHelp.hidden = !alert?.help;
    this.retry.hidden = !alert?.retry;
    this.alert.hidden = alert === null;

    const naming = state.screen === 'naming';
    this.form.hidden = !naming;
    if (naming && state.value !== undefined) this.input.value = state.value;
    if (naming && this.lastScreen !== 'naming') {
      // Focus without scrolling the page on phones; the keyboard opens on tap.
      this.input.focus({ preventScroll: true });
    }
    const inCall = state.screen === 'call';
    this.controls.hidden = !inCall;
    this.invite.hidden = !(inCall && state.phase.kind === 'waiting');
    // Shown readable (the name as typed); Copy and Share use the encoded link.
    if (inCall) {
      this.inviteLink.textContent = readableLink(state.invite);
      this.inviteLink.setAttribute('href', state.invite);
    }
    this.roomLabel.textContent = inCall || state.screen === 'joining' ? state.room : '';
    this.lastScreen = state.screen;
    this.renderControls(state.controls);
    this.updateBanner.hidden = !state.updateReady;
    this.relayOnly.checked = state.relayOnly;
    this.notifyButton.hidden = state.notify === 'unsupported';
    this.notifyButton.setAttribute('aria-pressed', String(state.notify === 'on'));
    const blocked = state.notify === 'blocked';
    this.notifyButton.textContent = blocked ? text.native.notifyBlocked : text.native.notify;
    this.notifyButton.setAttribute('aria-label', blocked ? text.native.notifyBlockedName : text.native.notifyName);
    this.notifyButton.title = blocked ? text.native.notifyBlockedName : text.native.notifyName;
  }

  private renderControls({ muted, cameraOff, facing, canFlip }: Controls): void {
    this.mic.setAttribute('aria-pressed', String(muted));
    $(this.mic, '.control-label').textContent = muted ? 'Unmute' : 'Mute';
    this.camera.setAttribute('aria-pressed', String(cameraOff));
    $(this.camera, '.control-label').textContent = cameraOff ? 'Camera on' : 'Camera off';
    this.app.classList.toggle('camera-off', cameraOff);
    this.flipButton.hidden = !canFlip;
    this.localVideo.classList.toggle('mirrored', facing === 'user');
  }

  showLocal(stream: MediaStream | null): void {
    this.localVideo.srcObject = stream;
  }

  showRemote(stream: MediaStream | null): void {
    if (this.remoteVideo.srcObject !== stream) this.remoteVideo.srcObject = stream;
    this.app.classList.toggle('has-remote', stream !== null);
    if (stream) this.playRemote();
    else this.sound.hidden = true;
  }

  /**
   * Plays the other person with sound. A browser may refuse (autoplay policy: no tap on
   * the page yet, an invite link opened, a strict setting): then the picture starts at
   * once without sound, and a button, announced, offers the sound. Never a frozen frame.
   */
  private playRemote(): void {
    const video = this.remoteVideo;
    const stream = video.srcObject;
    video.muted = false;
    video.play().then(
      () => (this.sound.hidden = true),
      (error: unknown) => {
        // AbortError: another stream took its place, and its own play() speaks for it.
        if (video.srcObject !== stream || (error as Error).name !== 'NotAllowedError') return;
        video.muted = true;
        video.play().then(
          () => this.offerSound(text.soundBlocked, text.soundOn),
          () => this.offerSound(text.videoBlocked, text.videoOn),
        );
      },
    );
  }

  private offerSound(message: string, action: string): void {
    $(this.sound, '.sound-text').textContent = message;
    $(this.sound, '.sound-on').textContent = action;
    this.sound.hidden = false;
  }

  flash(message: string): void {
    this.status.textContent = message;
    this.status.hidden = false;
  }
}
