// Everything during a call besides the connection itself (issue 10): telling the other
// person our controls and showing theirs, chat, screen sharing, device choice, the
// connection-quality reading and the safety code. app.ts forwards the peer connections
// the call makes (each with its data channel); this decides, CallPanels shows.

import { NO_STATE, PeerChannel, type PeerState } from '../call/channel.ts';
import type { CallPhase } from '../call/phase.ts';
import { QUALITY_WORDS, assessQuality, readStats, type Quality, type QualitySample } from '../call/quality.ts';
import { connectionFingerprints, safetyCode } from '../call/safety-code.ts';
import { canChooseSpeaker, type DeviceRole } from '../media/devices.ts';
import type { Outgoing, Sending } from '../media/outgoing.ts';
import { canShareScreen } from '../media/screen.ts';
import type { CallPanels } from '../ui/call-panels.ts';
import { text } from '../ui/text.ts';

export interface CallFeaturesDeps {
  view: CallPanels;
  /** What we send: asked to change (share, devices), and read for what to tell. */
  outgoing: Outgoing;
  remoteVideo: HTMLVideoElement;
  fail(error: unknown, context: string): void;
}

/** How often the connection is measured. */
const STATS_MS = 2_000;

export class CallFeatures {
  private channel: PeerChannel | null = null;
  private room = '';
  private pc: RTCPeerConnection | null = null;
  private codeFor: RTCPeerConnection | null = null;
  private remote: PeerState | null = null;
  private unread = 0;
  /** Whether we were sharing, as last told (to announce the change). */
  private sharing = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastSample: QualitySample | null = null;
  private quietIntervals = 0;
  /** What the quality chip says now. */
  private shownQuality: Quality | null = null;
  /**
   * The call's phase is 'connected' (call.ts owns it). Quality is read only then: while it
   * says Reconnecting, a picture that stopped is the connection, not "paused to save bandwidth".
   */
  private connected = false;

  constructor(private readonly deps: CallFeaturesDeps) {
    deps.view.setCanShare(canShareScreen());
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
    this.sending(this.deps.outgoing.state);
    // Nobody reads the quality chip of a hidden page: no stats polling there (the call itself
    // needs none of it; the first reading after it is shown again starts afresh).
    this.timer = setInterval(() => {
      if (document.visibilityState === 'hidden') this.lastSample = null;
      else void this.measure();
    }, STATS_MS);
    // The speaker chosen last time, where the browser lets a page choose.
    const speaker = this.deps.outgoing.chosen('speaker');
    if (speaker && canChooseSpeaker()) void this.playThrough(speaker).catch(() => {});
  }

  /** The call's phase changed: the quality chip shows only while connected. */
  phase(kind: CallPhase['kind']): void {
    this.connected = kind === 'connected';
    if (this.connected) return;
    this.lastSample = null;
    this.quietIntervals = 0;
    this.shownQuality = null;
    this.deps.view.setQuality(null);
  }

  /** What we send changed (media/outgoing.ts): tell the other person, and show it. */
  sending(s: Sending): void {
    if (s.sharing !== this.sharing) {
      this.sharing = s.sharing;
      this.deps.view.setSharing(s.sharing);
      if (this.channel) this.deps.view.announce(text.announce.youShare(s.sharing));
    }
    this.channel?.setState({ muted: s.muted, cameraOff: s.cameraOff, sharing: s.sharing });
    for (const role of ['camera', 'microphone'] as const) this.deps.view.setDevices(role, s.options[role], s.inUse[role]);
    this.deps.view.setDevices('speaker', canChooseSpeaker() ? s.options.speaker : null, this.deps.outgoing.chosen('speaker') ?? null);
  }

  /** A device in use went away; another took its place if there was one. */
  deviceLost(role: 'camera' | 'microphone'): void {
    if (this.channel) this.deps.view.announce(text.announce.deviceLost(role === 'camera' ? 'Your camera' : 'Your microphone'));
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
    this.connected = false;
    // A share ends with the call (the camera comes back for the next one).
    if (this.deps.outgoing.state.sharing) void this.deps.outgoing.stopShare();
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
    const { outgoing } = this.deps;
    if (outgoing.state.sharing) return outgoing.stopShare();
    if (!this.channel) return;
    if ((await outgoing.share()) === 'failed') this.deps.view.announce(text.shareFailed);
  }

  async chooseDevice(role: DeviceRole, id: string): Promise<void> {
    await this.deps.outgoing.choose(role, id);
    if (role === 'speaker') await this.playThrough(id).catch((e) => this.deps.fail(e, 'switching the speaker'));
  }

  private async playThrough(speaker: string): Promise<void> {
    await (this.deps.remoteVideo as HTMLVideoElement & { setSinkId(id: string): Promise<void> }).setSinkId(speaker);
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

  /** Reads the connection every few seconds: quality in words, and the safety code once. */
  private async measure(): Promise<void> {
    const pc = this.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    try {
      const stats = await pc.getStats();
      const sample = readStats(stats as unknown as Map<string, Record<string, unknown> & { type: string; id: string }>, performance.now());
      if (pc !== this.pc) return;
      if (this.connected) this.judge(sample);
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

  /** The quality chip from this reading and the one before. */
  private judge(sample: QualitySample): void {
    const expectVideo = !!this.remote && !this.remote.cameraOff;
    let quality = assessQuality(this.lastSample, sample, expectVideo);
    // One quiet interval is often a busy decoder or a key frame on its way: say "paused"
    // only when two intervals in a row brought no new frame.
    this.quietIntervals = quality.words === QUALITY_WORDS.paused ? this.quietIntervals + 1 : 0;
    if (this.quietIntervals === 1) quality = { ...quality, level: 'fair', words: '' };
    this.shownQuality = quality;
    this.deps.view.setQuality(quality);
    this.lastSample = sample;
  }
}
