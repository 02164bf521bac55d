// What this person sends: the one owner of the camera, microphone and screen tracks.
//
// Mute, camera off, flip, a device chosen or unplugged, a share started, stopped or ended by
// the browser: each is a request to this module, and nothing else touches a track. Requests
// that open or close devices run one at a time, in order; each ends in `publish()`, the only
// place that changes the outgoing stream (the self-view, and what new connections send) and
// the one route to the call's senders. What is sent is derived from the state: the screen
// while sharing, else the camera unless it is off; a camera nobody sees is closed.

import { captureMedia } from './capture.ts';
import { listOptions, loadChoice, NO_OPTIONS, openCamera, openDevice, pickDevice, saveChoice, type DeviceChoice, type DeviceRole } from './devices.ts';
import { pickScreen } from './screen.ts';
import type { Facing, OutgoingDeps, SendRoute, Sending, ShareResult, Source } from './sending.ts';

export type { Facing, Sending, SendRoute, ShareResult } from './sending.ts';

export class Outgoing {
  /** What the self-view shows and new peer connections send: the microphone and the one video track. */
  readonly stream = new MediaStream();
  private camera: MediaStreamTrack | null = null;
  private mic: MediaStreamTrack | null = null;
  private screen: MediaStreamTrack | null = null;
  private muted = false;
  /** The person's own camera switch (on unless they turned it off). */
  private cameraWanted = true;
  private facing: Facing = 'user';
  /** The camera to open: a chosen device, or (after a flip) whichever faces `facing`. */
  private cameraDevice: string | undefined;
  private choice: DeviceChoice;
  private options = NO_OPTIONS;
  private route: SendRoute | null = null;
  private sent: { audio: MediaStreamTrack | null; video: MediaStreamTrack | null } = { audio: null, video: null };
  private queue: Promise<unknown> = Promise.resolve();
  private asking = false;

  constructor(private readonly deps: OutgoingDeps) {
    this.choice = loadChoice(deps.storage);
    deps.media?.addEventListener?.('devicechange', () => void this.run(() => this.devicesChanged()).catch((e) => deps.fail(e, 'following a device change')));
  }

  get state(): Sending {
    const id = (t: MediaStreamTrack | null) => (t?.readyState === 'live' ? (t.getSettings().deviceId ?? null) : null);
    return {
      muted: this.muted || !this.mic,
      cameraOff: !this.cameraWanted || (!this.screen && !this.camera),
      sharing: this.screen !== null,
      facing: this.facing,
      inUse: { camera: id(this.camera), microphone: id(this.mic) },
      options: this.options,
    };
  }

  /** Resolves once every request made so far is done. */
  settled(): Promise<void> {
    return this.queue.then(() => {});
  }

  /** The device chosen last time for `role` (kept on this device only). */
  chosen(role: DeviceRole): string | undefined {
    return this.choice[role];
  }

  /**
   * Opens camera and microphone (one prompt), then the devices chosen last time. Rejects with
   * the capture error (its name says why); everything opened before is closed first.
   */
  open(): Promise<void> {
    return this.run(async () => {
      this.closeTracks();
      const stream = await captureMedia({ mediaDevices: this.deps.media as MediaDevices });
      this.camera = this.watch(stream.getVideoTracks()[0] ?? null);
      this.mic = this.watch(stream.getAudioTracks()[0] ?? null);
      this.muted = false;
      this.cameraWanted = true;
      this.facing = 'user';
      await this.refresh();
      for (const role of ['camera', 'microphone'] as const) {
        const wanted = this.choice[role];
        if (wanted && this.options[role].some((o) => o.id === wanted)) {
          await this.useDevice(role, wanted).catch((e) => this.deps.fail(e, `opening the chosen ${role}`));
        }
      }
      await this.publish();
    });
  }

  /** The call to send to (null: none). Its connections start from `stream`; later changes go this way. */
  sendTo(route: SendRoute | null): void {
    this.route = route;
    this.sent = { audio: this.mic, video: this.video() };
  }

  /** Mute is instant: it only silences the microphone's track, which stays on the sender. */
  toggleMute(): void {
    this.muted = !this.muted;
    void this.publish();
  }

  /** Camera off closes it (the light goes out); on opens it again, unless a share is shown. */
  setCameraOff(off: boolean): Promise<void> {
    return this.run(async () => {
      this.cameraWanted = !off;
      await this.ensureCamera();
      await this.publish();
    });
  }

  toggleCamera(): Promise<void> {
    return this.setCameraOff(!this.state.cameraOff);
  }

  /** The other camera (front/back). If it can't be opened, the one we had comes back. */
  flip(): Promise<void> {
    return this.run(async () => {
      const wanted: Facing = this.facing === 'user' ? 'environment' : 'user';
      const had = this.facing;
      this.cameraDevice = undefined;
      this.facing = wanted;
      if (!this.cameraNeeded()) return this.publish(); // opened facing that way when it is needed
      // Phones can rarely open two cameras at once: release the current one first (the
      // other person sees its last frame until the new one comes).
      this.release('camera');
      for (const next of [wanted, had]) {
        this.facing = next;
        try {
          this.camera = this.watch(await this.openCamera());
          break;
        } catch (error) {
          this.deps.fail(error, `switching to the ${next === 'user' ? 'front' : 'back'} camera`);
        }
      }
      await this.publish();
    });
  }

  /** A device chosen in the lists: used now, and remembered. The speaker is only remembered (the view plays through it). */
  choose(role: DeviceRole, id: string): Promise<void> {
    this.choice = { ...this.choice, [role]: id };
    saveChoice(this.choice, this.deps.storage);
    if (role === 'speaker') return Promise.resolve();
    return this.run(async () => {
      await this.useDevice(role, id).catch((e) => this.deps.fail(e, `switching the ${role}`));
      await this.refresh();
      await this.publish();
    });
  }

  /**
   * Asks what to share and sends it in the camera's place. The picker is not a request in the
   * queue: mute and camera off work while it is open.
   */
  async share(): Promise<ShareResult> {
    const md = this.deps.media;
    if (!md?.getDisplayMedia) return 'unavailable';
    if (this.screen || this.asking) return 'cancelled';
    this.asking = true;
    const screen = await pickScreen(md as MediaDevices, (e) => this.deps.fail(e, 'sharing the screen')).finally(() => (this.asking = false));
    if (typeof screen === 'string') return screen;
    return this.run(async () => {
      if (this.screen) {
        screen.stop();
        return 'cancelled';
      }
      this.screen = screen;
      // The browser's own "Stop sharing" ends the track.
      screen.addEventListener('ended', () => void this.stopShare(screen));
      await this.publish();
      return 'started' as const;
    });
  }

  /** Stops sharing (`which`: only if that share is still the one shown); the camera comes back. */
  stopShare(which?: MediaStreamTrack): Promise<void> {
    return this.run(async () => {
      const screen = this.screen;
      if (!screen || (which && which !== screen)) return;
      this.screen = null;
      screen.stop();
      await this.ensureCamera();
      await this.publish();
    });
  }

  /** Runs `job` after every request before it; the queue goes on whatever it does. */
  private run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.queue.then(job);
    this.queue = result.catch(() => {});
    return result;
  }

  private video(): MediaStreamTrack | null {
    return this.screen ?? this.camera;
  }

  private cameraNeeded(): boolean {
    return this.cameraWanted && !this.screen;
  }

  /** Opens the camera if it is needed and not open (a failure leaves it closed: camera off is then the truth). */
  private async ensureCamera(): Promise<void> {
    if (!this.cameraNeeded() || this.camera?.readyState === 'live') return;
    this.release('camera');
    try {
      this.camera = this.watch(await this.openCamera());
    } catch (error) {
      this.deps.fail(error, 'opening the camera');
    }
  }

  private async openCamera(): Promise<MediaStreamTrack> {
    const { track, device } = await openCamera(this.deps.media as MediaDevices | undefined, { device: this.cameraDevice, facing: this.facing });
    this.cameraDevice = device;
    return track;
  }

  /** Puts device `id` in `role`'s place; the sender moves to the new track before the old one stops. */
  private async useDevice(role: Source, id: string): Promise<void> {
    if (role === 'camera') {
      this.cameraDevice = id;
      this.facing = 'user'; // a chosen camera (a desktop's, mostly) is shown as a mirror
      if (!this.cameraNeeded()) return;
    }
    const old = role === 'camera' ? this.camera : this.mic;
    if (old?.readyState === 'live' && old.getSettings().deviceId === id) return;
    const track = await openDevice(role, id, this.deps.media as MediaDevices, old ? () => this.release(role) : undefined);
    if (role === 'camera') this.camera = this.watch(track);
    else this.mic = this.watch(track);
    await this.publish();
    if (old !== track) old?.stop();
  }

  /** Devices came or went: what is in use and gone is replaced by what is there. */
  private async devicesChanged(): Promise<void> {
    await this.refresh();
    for (const role of ['camera', 'microphone'] as const) {
      if (role === 'camera' && !this.cameraNeeded()) continue; // nothing open to lose
      const track = role === 'camera' ? this.camera : this.mic;
      const current = track?.readyState === 'live' ? track.getSettings().deviceId : undefined;
      // A live track is lost only when its device is no longer listed (an empty list, as before
      // permission, says nothing).
      const listed = this.options[role].length === 0 || this.options[role].some((o) => o.id === current);
      if (track?.readyState === 'live' && listed) continue;
      const next = pickDevice(this.options[role], current, this.choice[role]);
      if (next) await this.useDevice(role, next).catch((e) => this.deps.fail(e, `falling back to another ${role}`));
      else this.release(role);
      this.deps.onDeviceLost?.(role);
    }
    await this.publish();
  }

  private async refresh(): Promise<void> {
    this.options = await listOptions(this.deps.media);
  }

  /** A device that ends by itself (unplugged, taken by the system) is followed like a device change. */
  private watch(track: MediaStreamTrack | null): MediaStreamTrack | null {
    track?.addEventListener('ended', () => {
      if (track === this.camera || track === this.mic) void this.run(() => this.devicesChanged()).catch((e) => this.deps.fail(e, 'replacing an ended device'));
    });
    return track;
  }

  private release(role: Source): void {
    const track = role === 'camera' ? this.camera : this.mic;
    track?.stop();
    if (role === 'camera') this.camera = null;
    else this.mic = null;
  }

  private closeTracks(): void {
    this.release('camera');
    this.release('microphone');
    this.screen?.stop();
    this.screen = null;
  }

  /**
   * The only place that changes what is shown and sent: a camera nobody needs is closed, the
   * call's senders carry the microphone and the one video track, then the self-view's stream
   * holds exactly those and the controls and the other person are told, in the same task (so
   * what is told is already sent, and the self-view's picture and mirroring change together;
   * a mute changes no sender and is told at once).
   */
  private async publish(): Promise<void> {
    if (!this.cameraNeeded()) this.release('camera');
    const audio = this.mic;
    const video = this.video();
    if (audio) audio.enabled = !this.muted;
    for (const [kind, track] of [['audio', audio], ['video', video]] as const) {
      if (this.sent[kind] === track) continue;
      this.sent[kind] = track;
      await this.route?.replaceTrack(kind, track).catch((e) => this.deps.fail(e, 'switching the outgoing track'));
    }
    const shown = [this.mic, this.video()]; // as they are now (a mute may have come meanwhile)
    for (const t of this.stream.getTracks()) if (!shown.includes(t)) this.stream.removeTrack(t);
    for (const t of shown) if (t && !this.stream.getTracks().includes(t)) this.stream.addTrack(t);
    this.deps.onChange(this.state);
  }
}
