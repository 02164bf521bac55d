// One RTCPeerConnection, negotiated with the "perfect negotiation" pattern.
//
// It knows nothing of Firestore: descriptions and candidates leave through
// `send`, and arrive through `receive`. Messages are applied one at a time, in
// order, so an answer never races the offer it answers.

import { preferSound } from './quality.ts';

export interface SignalMessage {
  description?: RTCSessionDescriptionInit;
  candidate?: RTCIceCandidateInit;
}

export interface PeerLinkOptions {
  /** Unique id of this peer connection (stale messages for other ids are dropped upstream). */
  id: string;
  /** The polite peer yields when both sides offer at once (see `setPolite`). */
  polite: boolean;
  stream: MediaStream;
  rtcConfig: RTCConfiguration;
  /** An offer to answer right away (the other person's pre-offer); otherwise we offer. */
  offer?: RTCSessionDescriptionInit;
  send: (message: SignalMessage) => void;
  onRemoteStream: (stream: MediaStream) => void;
  onConnectionState: (state: RTCPeerConnectionState) => void;
  /**
   * The browser found an address of ours it had not used before, after its first gathering:
   * our network changed (a phone left its wifi). Chromium gathers on a new network by itself.
   */
  onNewAddress?: () => void;
  fail: (error: unknown) => void;
}

export interface PeerLink {
  readonly id: string;
  readonly pc: RTCPeerConnection;
  /** The SDP we last set locally (with the candidates gathered so far), or null. */
  localSdp(): string | null;
  /** True once a description from the other side has been applied. */
  hasRemote(): boolean;
  /** No negotiation in flight (nothing waits for an answer). */
  isStable(): boolean;
  /** How long our current offer has waited for its answer (0: none waits). */
  offerWaitingMs(): number;
  /**
   * The call's data channel (state and chat, src/call/channel.ts). Negotiated, so it is in
   * the very first offer and answer; an answering link makes it once the offer is applied.
   */
  readonly channel: Promise<RTCDataChannel>;
  /** The pulse's channel (src/call/pulse.ts): negotiated too, unordered, never resent. */
  readonly beat: Promise<RTCDataChannel>;
  receive(message: SignalMessage): void;
  /** Resolves when ICE gathering completes or after `timeoutMs`, whichever is first. */
  gathered(timeoutMs: number): Promise<void>;
  /**
   * Restarts ICE, with `config` (e.g. renewed relay credentials) applied first. While an offer
   * of ours waits, the restart goes with the next negotiation; `takeBackOffer`: roll that offer
   * back and offer afresh now (it will not be answered, see Connection.canRestart).
   */
  restartIce(config?: RTCConfiguration, options?: { takeBackOffer?: boolean }): void;
  /**
   * Sets who yields in an offer collision. A pre-offer is made before anyone is there to
   * be polite to; once someone answers it, the roles must be set, or both sides may be
   * impolite and ignore each other's offers forever (both stuck in have-local-offer).
   */
  setPolite(polite: boolean): void;
  /** Puts `track` (null: nothing) on the sender of its kind, with no renegotiation. */
  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void>;
  close(): void;
}

/**
 * A connection's first video frames are at most this wide (the camera's picture scaled down),
 * and full size FULL_SIZE_AFTER_MS after it connects. Measured (docs/PERFORMANCE.md): at
 * 1280x720 the first frame came ~550 ms later than at 320x180 on the build machines, in the
 * floor (two plain pages) as in the app; the encoder's first 720p frames at the start bitrate
 * are what costs. A phone's encoder ramps up the same way; the person sees a softer picture
 * for a second.
 */
export const FIRST_FRAMES_MAX_WIDTH = 320;
export const FULL_SIZE_AFTER_MS = 1_000;

/** Sets every video encoding's scaleResolutionDownBy to `scale(track)` (best effort). */
async function scaleVideo(pc: RTCPeerConnection, scale: (track: MediaStreamTrack) => number): Promise<void> {
  for (const sender of pc.getSenders()) {
    if (sender.track?.kind !== 'video') continue;
    const factor = scale(sender.track);
    const params = sender.getParameters();
    if (!params.encodings?.length || params.encodings.every((e) => (e.scaleResolutionDownBy ?? 1) === factor)) continue;
    for (const e of params.encodings) e.scaleResolutionDownBy = factor;
    await sender.setParameters(params).catch(() => {}); // a browser that refuses keeps the full size
  }
}

export function createPeerLink(options: PeerLinkOptions): PeerLink {
  const { send, fail } = options;
  let polite = options.polite;
  const pc = new RTCPeerConnection(options.rtcConfig);
  let closed = false;
  // Perfect negotiation's three flags (see webrtc/samples perfect-negotiation).
  let makingOffer = false;
  let ignoreOffer = false;
  let settingRemoteAnswer = false;
  /** When our current offer went out (performance.now()), for offerWaitingMs. */
  let offeredAt = 0;
  // Work is chained so every message sees the state the previous one left.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (job: () => Promise<void>) => {
    queue = queue.then(job).catch((e) => {
      if (!closed) fail(e);
    });
  };

  const remote = new MediaStream();
  pc.ontrack = ({ track }) => {
    remote.addTrack(track);
    options.onRemoteStream(remote);
  };
  // The first frames go out small, and full size once the call is up (see startSmall).
  let startedSmall = false;
  let fullSizeTimer: ReturnType<typeof setTimeout> | undefined;
  const startSmall = async () => {
    if (startedSmall) return;
    startedSmall = true;
    await scaleVideo(pc, (track) => Math.max(1, (track.getSettings().width ?? 0) / FIRST_FRAMES_MAX_WIDTH));
  };
  let tuned = false;
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'connected' && !tuned) {
      tuned = true;
      void preferSound(pc);
    }
    if (pc.connectionState === 'connected' && startedSmall && fullSizeTimer === undefined) {
      fullSizeTimer = setTimeout(() => void scaleVideo(pc, () => 1), FULL_SIZE_AFTER_MS);
    }
    if (!closed) options.onConnectionState(pc.connectionState);
  };
  // Our addresses as ICE gathered them (host and reflexive), to notice a new one.
  const addresses = new Set<string>();
  let gatheredOnce = false;
  pc.onicegatheringstatechange = () => {
    if (pc.iceGatheringState === 'complete') gatheredOnce = true;
  };
  pc.onicecandidate = ({ candidate }) => {
    // A null candidate marks the end of gathering; the transport learns it from
    // pc.iceGatheringState, so only real candidates are sent.
    if (!candidate || !candidate.candidate) return;
    send({ candidate: candidate.toJSON() });
    const address = candidate.type === 'relay' ? null : candidate.address;
    if (!address || addresses.has(address)) return;
    addresses.add(address);
    if (gatheredOnce && !closed) options.onNewAddress?.();
  };
  pc.onnegotiationneeded = () =>
    enqueue(async () => {
      // Why the flag: while our offer is being made, an incoming offer is a collision.
      makingOffer = true;
      try {
        await pc.setLocalDescription();
        offeredAt = performance.now();
        if (pc.localDescription) send({ description: pc.localDescription.toJSON() });
        await startSmall();
      } finally {
        makingOffer = false;
      }
    });

  const addTracks = () => {
    const { stream } = options;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    // Camera off (or no microphone) when the connection is made: a line for it all the same,
    // so it can be sent later by replaceTrack, without renegotiating.
    for (const kind of ['audio', 'video'] as const) {
      if (stream.getTracks().some((t) => t.kind === kind)) continue;
      const offered = pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
      if (!offered) pc.addTransceiver(kind, { direction: 'sendrecv', streams: [stream] });
      else {
        offered.direction = 'sendrecv';
        offered.sender.setStreams?.(stream);
      }
    }
  };
  // Negotiated (both sides create it with id 0): it opens with the connection, with no
  // extra round trip. An answerer makes it after applying the offer: made earlier, it would
  // fire negotiationneeded and start an offer of its own.
  let openChannel = (): void => {};
  let openBeat = (): void => {};
  const channel = new Promise<RTCDataChannel>((resolve) => {
    openChannel = () => {
      resolve(pc.createDataChannel('duet', { negotiated: true, id: 0 }));
      openBeat();
    };
  });
  const beat = new Promise<RTCDataChannel>((resolve) => {
    openBeat = () => resolve(pc.createDataChannel('beat', { negotiated: true, id: 1, ordered: false, maxRetransmits: 0 }));
  });

  if (options.offer) {
    const offer = options.offer;
    // Answer first, then attach our tracks to the transceivers the offer created:
    // adding tracks first would fire negotiationneeded and start a second offer.
    enqueue(async () => {
      await pc.setRemoteDescription(offer);
      addTracks();
      openChannel();
      await pc.setLocalDescription(asDtlsServer(await pc.createAnswer()));
      if (pc.localDescription) send({ description: pc.localDescription.toJSON() });
      await startSmall();
    });
  } else {
    addTracks();
    openChannel();
  }

  function applyMessage({ description, candidate }: SignalMessage): Promise<void> | void {
    if (description) {
      return (async () => {
        const readyForOffer = !makingOffer && (pc.signalingState === 'stable' || settingRemoteAnswer);
        const offerCollision = description.type === 'offer' && !readyForOffer;
        ignoreOffer = !polite && offerCollision;
        if (ignoreOffer) return;
        if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') return; // a repeat
        settingRemoteAnswer = description.type === 'answer';
        await pc.setRemoteDescription(description);
        settingRemoteAnswer = false;
        if (description.type === 'offer') {
          await pc.setLocalDescription();
          if (pc.localDescription) send({ description: pc.localDescription.toJSON() });
        }
      })();
    }
    if (candidate) {
      return pc.addIceCandidate(candidate).catch((e) => {
        // Candidates of an offer we ignored, or of an ICE generation that an ICE restart
        // replaced, are expected to fail; anything else is a real error.
        const current = pc.remoteDescription?.sdp ?? '';
        const stale = !!candidate.usernameFragment && !current.includes(`a=ice-ufrag:${candidate.usernameFragment}`);
        if (!ignoreOffer && pc.remoteDescription && !stale) throw e;
      });
    }
  }

  return {
    id: options.id,
    pc,
    channel,
    beat,
    localSdp: () => pc.localDescription?.sdp ?? null,
    hasRemote: () => pc.remoteDescription !== null,
    isStable: () => pc.signalingState === 'stable',
    offerWaitingMs: () => (pc.signalingState === 'have-local-offer' && offeredAt ? performance.now() - offeredAt : 0),
    receive(message) {
      enqueue(async () => {
        if (!closed) await applyMessage(message);
      });
    },
    gathered(timeoutMs) {
      if (pc.iceGatheringState === 'complete') return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pc.removeEventListener('icegatheringstatechange', check);
          resolve();
        };
        const check = () => {
          if (pc.iceGatheringState === 'complete') done();
        };
        const timer = setTimeout(done, timeoutMs);
        pc.addEventListener('icegatheringstatechange', check);
      });
    },
    restartIce(config, { takeBackOffer = false } = {}) {
      if (closed) return;
      // Fresh TURN credentials (they expire) go in before the new gathering starts.
      if (config) pc.setConfiguration(config);
      if (!takeBackOffer || pc.signalingState !== 'have-local-offer') return pc.restartIce();
      enqueue(async () => {
        if (closed || pc.signalingState !== 'have-local-offer') return;
        await pc.setLocalDescription({ type: 'rollback' });
        pc.restartIce();
      });
    },
    setPolite(value) {
      polite = value;
    },
    async replaceTrack(kind, track) {
      // Found by its line, not its track: a sender whose track was taken away has none.
      const sender = pc.getTransceivers().find((t) => t.receiver.track.kind === kind)?.sender;
      await sender?.replaceTrack(track);
      if (kind === 'video') await preferSound(pc);
    },
    close() {
      closed = true;
      clearTimeout(fullSizeTimer);
      pc.ontrack = pc.onicecandidate = pc.onnegotiationneeded = pc.onconnectionstatechange = pc.onicegatheringstatechange = null;
      pc.close();
    },
  };
}

/**
 * The answer to a connection's first offer makes us the DTLS server (`a=setup:passive`; the
 * browser's default is `active`, the client), so the offerer starts the handshake. Why: our
 * ICE checks succeed before the offerer has our answer (the offerer answers them with its own
 * password alone), and a DTLS client hello we sent then finds no fingerprint to check on the
 * other side and is lost; its retransmission came 100-400 ms later (the bench's breakdown,
 * docs/PERFORMANCE.md). The offerer starts DTLS once it has the answer, so nothing is lost.
 * Later answers keep the role the connection has.
 */
export function asDtlsServer(answer: RTCSessionDescriptionInit): RTCSessionDescriptionInit {
  return { type: answer.type, sdp: answer.sdp?.replace(/^a=setup:active(?=\r?$)/gm, 'a=setup:passive') ?? '' };
}
