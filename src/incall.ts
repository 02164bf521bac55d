// Everything during a call besides the connection itself (issue 10): telling the other
// person our controls and showing theirs, chat, screen sharing, device choice, the
// connection-quality reading and the safety code. main.ts forwards the peer connections
// the call makes (each with its data channel); this decides, InCallView shows.

import { NO_STATE, PeerChannel, type PeerState } from './call/channel.ts';
import { QUALITY_WORDS, assessQuality, preferSound, readStats, type Quality, type QualitySample } from './call/quality.ts';
import { connectionFingerprints, safetyCode } from './call/safety-code.ts';
import { canChooseSpeaker, loadChoice, openDevice, optionsFor, pickDevice, saveChoice, type DeviceRole } from './media/devices.ts';
import { canShareScreen, captureScreen } from './media/screen.ts';
import type { InCallView } from './ui/incall.ts';
import { text } from './ui/text.ts';

export interface InCallDeps {
  view: InCallView;
  /** The existing call bar's mute and camera buttons. */
  setMuted(muted: boolean): void;
  setCameraOff(off: boolean): void;
  remoteVideo: HTMLVideoElement;
  /** Our camera and microphone (the stream every peer connection sends). */
  stream(): MediaStream | null;
  fail(error: unknown, context: string): void;
}

/** How often the connection is measured. */
const STATS_MS = 2_000;

export class InCall {
  private channel: PeerChannel | null = null;
  private room = '';
  private pc: RTCPeerConnection | null = null;
  private tuned = new WeakSet<RTCPeerConnection>();
  private codeFor: RTCPeerConnection | null = null;
  private remote: PeerState | null = null;
  private unread = 0;
  /** While sharing: the screen track (in the stream) and the camera track set aside. */
  private screen: MediaStreamTrack | null = null;
  private camera: MediaStreamTrack | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastSample: QualitySample | null = null;
  private quietIntervals = 0;
  /** What the quality chip says now. */
  private shownQuality: Quality | null = null;
  private choice = loadChoice();

  constructor(private readonly deps: InCallDeps) {
    deps.view.setCanShare(canShareScreen());
    navigator.mediaDevices?.addEventListener?.('devicechange', () => void this.devicesChanged());
  }

  /** A call starts in `room`. */
  begin(room: string): void {
    this.end();
    this.room = room;
    this.channel = new PeerChannel({
      onState: (s) => this.remoteState(s),
      onChat: (m) => {
        this.deps.view.addMessage({ ...m, mine: false });
        if (!this.deps.view.chatOpen) {
          this.deps.view.setUnread(++this.unread);
          this.deps.view.announce(text.announce.message(m.text));
        }
      },
      onDelivered: (n) => this.deps.view.markDelivered(n),
      onLink: () => {},
    });
    this.channel.setState(this.localState());
    this.timer = setInterval(() => void this.measure(), STATS_MS);
    void this.refreshDevices();
  }

  /** Right after capture: switch to the camera and microphone chosen last time, if present. */
  async useRememberedDevices(): Promise<void> {
    const devices = (await navigator.mediaDevices?.enumerateDevices?.().catch(() => null)) ?? [];
    const stream = this.deps.stream();
    for (const role of ['camera', 'microphone'] as const) {
      const wanted = this.choice[role];
      const track = role === 'camera' ? stream?.getVideoTracks()[0] : stream?.getAudioTracks()[0];
      if (!wanted || !track || track.getSettings().deviceId === wanted || !optionsFor(devices, role).some((o) => o.id === wanted)) continue;
      await this.useDevice(role, wanted).catch((e) => this.deps.fail(e, `opening the chosen ${role}`));
    }
  }

  /** The call ended (left, or lost): nothing carries over to the next one. */
  end(): void {
    this.channel?.close();
    this.channel = null;
    this.pc = null;
    this.codeFor = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lastSample = null;
    if (this.screen) void this.stopShare();
    this.remote = null;
    this.unread = 0;
    this.deps.view.setRemoteState(null, this.room);
    this.deps.view.clearChat();
    this.deps.view.setCode(null);
    this.deps.view.setQuality(null);
    this.deps.view.show(null);
  }

  /** Each new peer connection of the call, with its negotiated data channel. */
  attachPeer(pc: RTCPeerConnection, channel: RTCDataChannel): void {
    if (!this.channel) return;
    this.pc = pc;
    this.codeFor = null;
    this.lastSample = null;
    this.deps.view.setCode(null);
    this.channel.attach(channel);
    // Measure as soon as it connects: the safety code should not wait for the next tick.
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'connected' && pc === this.pc) void this.measure();
    });
  }

  /** The other person's media (null: nobody there). */
  remoteStream(stream: MediaStream | null): void {
    if (stream === null) {
      this.remote = null;
      this.deps.view.setRemoteState(null, this.room);
      this.deps.view.setQuality(null);
    }
  }

  toggleMic(): void {
    const track = this.deps.stream()?.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    this.deps.setMuted(!track.enabled);
    this.channel?.setState(this.localState());
  }

  toggleCamera(): void {
    const track = this.camera ?? this.deps.stream()?.getVideoTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    this.deps.setCameraOff(!track.enabled);
    this.channel?.setState(this.localState());
  }

  sendChat(body: string): void {
    if (!this.channel) return;
    const m = this.channel.sendChat(body);
    this.deps.view.addMessage({ ...m, mine: true, pending: true });
  }

  panel(open: 'chat' | 'details' | null): void {
    if (open === 'chat') {
      this.unread = 0;
      this.deps.view.setUnread(0);
    }
  }

  async toggleShare(): Promise<void> {
    if (this.screen) return this.stopShare();
    const stream = this.deps.stream();
    if (!stream || !canShareScreen()) return;
    let track: MediaStreamTrack;
    try {
      track = await captureScreen();
    } catch (e) {
      // The person closed the picker: nothing to say.
      if ((e as Error).name !== 'NotAllowedError' && (e as Error).name !== 'AbortError') {
        this.deps.fail(e, 'sharing the screen');
        this.deps.view.announce(text.shareFailed);
      }
      return;
    }
    if (!this.channel || this.screen) return void track.stop(); // the call ended meanwhile
    // The stream's video track is what every peer connection sends and the self-view
    // shows: the screen takes the camera's place there, the camera waits aside.
    this.camera = stream.getVideoTracks()[0] ?? null;
    if (this.camera) stream.removeTrack(this.camera);
    stream.addTrack(track);
    this.screen = track;
    // The browser's own "Stop sharing" ends the track.
    track.addEventListener('ended', () => void this.stopShare(track));
    await this.sendVideo(track);
    this.deps.view.setSharing(true);
    this.deps.view.announce(text.announce.youShare(true));
    this.channel.setState(this.localState());
  }

  private async stopShare(which: MediaStreamTrack | null = this.screen): Promise<void> {
    const screen = this.screen;
    if (!screen || which !== screen) return;
    this.screen = null;
    const stream = this.deps.stream();
    screen.stop();
    let camera = this.camera;
    this.camera = null;
    if (stream) {
      stream.removeTrack(screen);
      if (!camera || camera.readyState === 'ended') camera = await this.reopen('camera').catch(() => null);
      if (camera) {
        stream.addTrack(camera);
        await this.sendVideo(camera);
      }
    }
    this.deps.view.setSharing(false);
    this.deps.view.announce(text.announce.youShare(false));
    this.channel?.setState(this.localState());
  }

  async chooseDevice(role: DeviceRole, id: string): Promise<void> {
    this.choice = { ...this.choice, [role]: id };
    saveChoice(this.choice);
    try {
      await this.useDevice(role, id);
    } catch (e) {
      this.deps.fail(e, `switching the ${role}`);
    }
    await this.refreshDevices();
  }

  private localState(): PeerState {
    const stream = this.deps.stream();
    const mic = stream?.getAudioTracks()[0];
    const cam = this.camera ?? stream?.getVideoTracks()[0];
    return { muted: mic ? !mic.enabled : false, cameraOff: cam ? !cam.enabled : false, sharing: this.screen !== null };
  }

  private remoteState(s: PeerState): void {
    const was = this.remote ?? NO_STATE;
    this.remote = s;
    this.deps.view.setRemoteState(s, this.room);
    // A picture that stopped because they turned their camera off is not "paused to save
    // bandwidth": take those words back now rather than at the next reading.
    if (s.cameraOff && this.shownQuality?.words === QUALITY_WORDS.paused) {
      this.quietIntervals = 0;
      this.shownQuality = { ...this.shownQuality, level: 'fair', words: '' };
      this.deps.view.setQuality(this.shownQuality);
    }
    const { announce } = text;
    if (s.muted !== was.muted) this.deps.view.announce(announce.muted(s.muted));
    else if (s.sharing !== was.sharing) this.deps.view.announce(announce.sharing(s.sharing));
    else if (s.cameraOff !== was.cameraOff) this.deps.view.announce(announce.cameraOff(s.cameraOff));
  }

  /** Puts `track` on the current connection's sender of its kind (no renegotiation). */
  private async sendVideo(track: MediaStreamTrack): Promise<void> {
    const pc = this.pc;
    if (!pc || pc.connectionState === 'closed') return;
    const sender = pc.getSenders().find((s) => s.track?.kind === track.kind || (s.track === null && track.kind === 'video'));
    await sender?.replaceTrack(track).catch((e) => this.deps.fail(e, 'switching the outgoing track'));
    if (track.kind === 'video') await preferSound(pc, this.screen !== null).catch(() => {});
  }

  private async reopen(role: 'camera' | 'microphone'): Promise<MediaStreamTrack> {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const id = pickDevice(optionsFor(devices, role), undefined, this.choice[role]);
    if (!id) throw new Error(`no ${role}`);
    return openDevice(role, id);
  }

  private async useDevice(role: DeviceRole, id: string): Promise<void> {
    if (role === 'speaker') {
      await (this.deps.remoteVideo as HTMLVideoElement & { setSinkId(id: string): Promise<void> }).setSinkId(id);
      return;
    }
    const stream = this.deps.stream();
    if (!stream) return;
    const old = role === 'camera' ? (this.camera ?? stream.getVideoTracks()[0]) : stream.getAudioTracks()[0];
    if (old && old.readyState === 'live' && old.getSettings().deviceId === id) return;
    let track: MediaStreamTrack;
    try {
      track = await openDevice(role, id);
    } catch (e) {
      // Phones rarely open two cameras at once: free the old one and try again.
      if (!old || (e as Error).name !== 'NotReadableError') throw e;
      old.stop();
      track = await openDevice(role, id);
    }
    if (old) track.enabled = old.enabled; // muted stays muted, camera off stays off
    if (role === 'camera' && this.screen) {
      old?.stop();
      this.camera = track; // sent again when sharing stops
      return;
    }
    if (old) stream.removeTrack(old);
    stream.addTrack(track);
    // The sender moves to the new track before the old one stops: no gap of an ended track.
    await this.sendVideo(track);
    old?.stop();
  }

  /** Fills the device lists, and falls back when the device in use went away. */
  private async refreshDevices(): Promise<void> {
    const devices = (await navigator.mediaDevices?.enumerateDevices?.().catch(() => null)) ?? [];
    const stream = this.deps.stream();
    const inUse: Record<'camera' | 'microphone', MediaStreamTrack | undefined> = {
      camera: this.camera ?? stream?.getVideoTracks()[0],
      microphone: stream?.getAudioTracks()[0],
    };
    for (const role of ['camera', 'microphone'] as const) {
      const options = optionsFor(devices, role);
      const track = inUse[role];
      this.deps.view.setDevices(role, options, track?.getSettings().deviceId ?? null);
    }
    this.deps.view.setDevices('speaker', canChooseSpeaker() ? optionsFor(devices, 'speaker') : null, this.choice.speaker ?? null);
  }

  private async devicesChanged(): Promise<void> {
    if (!this.channel) return;
    const devices = await navigator.mediaDevices.enumerateDevices();
    const stream = this.deps.stream();
    for (const role of ['camera', 'microphone'] as const) {
      const track = role === 'camera' ? (this.camera ?? stream?.getVideoTracks()[0]) : stream?.getAudioTracks()[0];
      const current = track?.readyState === 'live' ? track.getSettings().deviceId : undefined;
      const options = optionsFor(devices, role);
      const next = pickDevice(options, current, this.choice[role]);
      if (next && next !== current) {
        await this.useDevice(role, next).catch((e) => this.deps.fail(e, `falling back to another ${role}`));
        this.deps.view.announce(text.announce.deviceLost(role === 'camera' ? 'Your camera' : 'Your microphone'));
      }
    }
    await this.refreshDevices();
  }

  /** Reads the connection every few seconds: quality in words, and the safety code once. */
  private async measure(): Promise<void> {
    const pc = this.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    try {
      if (!this.tuned.has(pc)) {
        this.tuned.add(pc);
        await preferSound(pc, this.screen !== null);
      }
      const stats = await pc.getStats();
      const sample = readStats(stats as unknown as Map<string, Record<string, unknown> & { type: string; id: string }>, performance.now());
      if (pc !== this.pc) return;
      const expectVideo = !!this.remote && !this.remote.cameraOff;
      let quality = assessQuality(this.lastSample, sample, expectVideo);
      // One quiet interval is often a busy decoder or a key frame on its way: say "paused"
      // only when two intervals in a row brought no new frame.
      this.quietIntervals = quality.words === QUALITY_WORDS.paused ? this.quietIntervals + 1 : 0;
      if (this.quietIntervals === 1) quality = { ...quality, level: 'fair', words: '' };
      this.shownQuality = quality;
      this.deps.view.setQuality(quality);
      this.lastSample = sample;
      if (this.codeFor !== pc) {
        const fps = await connectionFingerprints(pc);
        if (fps && pc === this.pc) {
          this.codeFor = pc;
          this.deps.view.setCode(await safetyCode(fps.local, fps.remote));
        }
      }
    } catch (e) {
      this.deps.fail(e, 'reading connection statistics');
    }
  }
}
