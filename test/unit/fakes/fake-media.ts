// A fake navigator.mediaDevices for unit tests of what a person sends (src/media/outgoing.ts):
// cameras and microphones that open and end like real ones (a phone opens one camera at a
// time), a screen picker that can be refused, device unplugging, and every track ever opened,
// so a test can count what is still live. MediaStream is faked too (Node has none).

type Kind = 'audio' | 'video';

let tracksMade = 0;

export class FakeTrack extends EventTarget {
  readonly id = `t${++tracksMade}`;
  readyState: MediaStreamTrackState = 'live';
  enabled = true;
  contentHint = '';
  constructor(
    readonly kind: Kind,
    readonly deviceId: string,
    readonly source: 'camera' | 'microphone' | 'screen',
    readonly facingMode?: 'user' | 'environment',
  ) {
    super();
  }
  getSettings(): MediaTrackSettings {
    return { deviceId: this.deviceId, ...(this.facingMode ? { facingMode: this.facingMode } : {}), ...(this.source === 'screen' ? { displaySurface: 'browser' } : {}) };
  }
  /** The page's own stop(): no "ended" event, as in browsers. */
  stop(): void {
    this.readyState = 'ended';
  }
  /** The browser ends it (unplugged, "Stop sharing" in its own bar): "ended" fires. */
  end(): void {
    if (this.readyState === 'ended') return;
    this.readyState = 'ended';
    this.dispatchEvent(new Event('ended'));
  }
}

export class FakeMediaStream {
  private tracks: FakeTrack[] = [];
  constructor(tracks: FakeTrack[] = []) {
    this.tracks = [...tracks];
  }
  getTracks(): FakeTrack[] {
    return [...this.tracks];
  }
  getVideoTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }
  getAudioTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  addTrack(t: FakeTrack): void {
    if (!this.tracks.includes(t)) this.tracks.push(t);
  }
  removeTrack(t: FakeTrack): void {
    this.tracks = this.tracks.filter((x) => x !== t);
  }
}

interface Device {
  id: string;
  kind: 'videoinput' | 'audioinput' | 'audiooutput';
  facing?: 'user' | 'environment';
}

type Picked = { exact?: string } | string | undefined;
const exactId = (c: MediaTrackConstraints | boolean | undefined): string | undefined => {
  const d = typeof c === 'object' ? (c.deviceId as Picked) : undefined;
  return typeof d === 'object' ? d.exact : d;
};

const error = (name: string) => Object.assign(new Error(name), { name });

export class FakeMediaDevices extends EventTarget {
  devices: Device[] = [
    { id: 'front', kind: 'videoinput', facing: 'user' },
    { id: 'back', kind: 'videoinput', facing: 'environment' },
    { id: 'mic-1', kind: 'audioinput' },
    { id: 'mic-2', kind: 'audioinput' },
    { id: 'speaker-1', kind: 'audiooutput' },
  ];
  /** Every track ever opened. */
  readonly opened: FakeTrack[] = [];
  /** Cameras that can be open at once (a phone: one). */
  maxOpenCameras = 1;
  /** The next camera open fails with this error name (once). */
  failNextCamera: string | null = null;
  /** The screen picker's answer: a shared tab, or a refusal by this error name. */
  pickerAnswer: 'share' | string = 'share';
  /** Milliseconds each open takes (0: at once, in a microtask). */
  delayMs = 0;

  liveCameras(): FakeTrack[] {
    return this.opened.filter((t) => t.source === 'camera' && t.readyState === 'live');
  }
  live(): FakeTrack[] {
    return this.opened.filter((t) => t.readyState === 'live');
  }

  async enumerateDevices(): Promise<MediaDeviceInfo[]> {
    return this.devices.map((d) => ({ deviceId: d.id, kind: d.kind, label: d.id, groupId: '', toJSON: () => ({}) }) as MediaDeviceInfo);
  }

  async getUserMedia(c: MediaStreamConstraints): Promise<FakeMediaStream> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const tracks: FakeTrack[] = [];
    if (c.video) {
      if (this.failNextCamera) {
        const name = this.failNextCamera;
        this.failNextCamera = null;
        throw error(name);
      }
      if (this.liveCameras().length >= this.maxOpenCameras) throw error('NotReadableError');
      const id = exactId(c.video);
      const facing = typeof c.video === 'object' ? (c.video.facingMode as string | undefined) : undefined;
      const cams = this.devices.filter((d) => d.kind === 'videoinput');
      const cam = id ? cams.find((d) => d.id === id) : (cams.find((d) => d.facing === facing) ?? cams[0]);
      if (!cam) throw error(id ? 'OverconstrainedError' : 'NotFoundError');
      tracks.push(new FakeTrack('video', cam.id, 'camera', cam.facing));
    }
    if (c.audio) {
      const id = exactId(c.audio);
      const mics = this.devices.filter((d) => d.kind === 'audioinput');
      const mic = id ? mics.find((d) => d.id === id) : mics[0];
      if (!mic) throw error(id ? 'OverconstrainedError' : 'NotFoundError');
      tracks.push(new FakeTrack('audio', mic.id, 'microphone'));
    }
    this.opened.push(...tracks);
    return new FakeMediaStream(tracks);
  }

  async getDisplayMedia(): Promise<FakeMediaStream> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.pickerAnswer !== 'share') throw error(this.pickerAnswer);
    const t = new FakeTrack('video', 'screen', 'screen');
    this.opened.push(t);
    return new FakeMediaStream([t]);
  }

  /** A device is unplugged: its tracks end, and the browser reports a device change. */
  unplug(id: string): void {
    this.devices = this.devices.filter((d) => d.id !== id);
    for (const t of this.opened) if (t.deviceId === id) t.end();
    this.dispatchEvent(new Event('devicechange'));
  }
}

/** The call's side of the one route: what each sender carries now, and every replacement. */
export class FakeRoute {
  audio: FakeTrack | null = null;
  video: FakeTrack | null = null;
  readonly calls: { kind: Kind; track: FakeTrack | null }[] = [];
  async replaceTrack(kind: Kind, track: MediaStreamTrack | null): Promise<void> {
    this.calls.push({ kind, track: track as FakeTrack | null });
    this[kind] = track as FakeTrack | null;
  }
}

/** Installs the fake MediaStream where the code under test looks for it. */
export function installFakeMediaStream(): void {
  (globalThis as { MediaStream?: unknown }).MediaStream = FakeMediaStream;
}
