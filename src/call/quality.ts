// Connection quality: a small reading of getStats every few seconds, in plain words,
// and the sender settings that keep a poor link usable (sound first, then frame rate).

export interface QualitySample {
  /** performance.now() when taken. */
  at: number;
  /** Round-trip time of the selected candidate pair, ms. */
  rttMs: number | null;
  /** True when the media goes through a TURN relay, false when direct. */
  relayed: boolean | null;
  /** Incoming video: packets received and lost so far, frames decoded so far. */
  packets: number;
  lost: number;
  framesDecoded: number;
  fps: number | null;
  /** Our outgoing video: why the encoder holds back, and the loss the other side reports. */
  limitation: string | null;
  sentLoss: number | null;
}

export type QualityLevel = 'good' | 'fair' | 'poor';

export interface Quality {
  level: QualityLevel;
  /** One plain sentence, or '' when all is well. */
  words: string;
  rttMs: number | null;
  /** Incoming packet loss over the last interval, %. */
  lossPct: number | null;
  fps: number | null;
  relayed: boolean | null;
}

export const QUALITY_WORDS = {
  weak: 'Your connection is weak',
  paused: 'Their picture is paused to save bandwidth',
  lowered: 'Your picture is lowered to save bandwidth',
} as const;

type Report = Record<string, unknown> & { type: string; id: string };

/** Reads the numbers that matter from one getStats report. */
export function readStats(stats: Iterable<Report> | Map<string, Report>, at: number): QualitySample {
  const all = [...(stats instanceof Map ? stats.values() : stats)];
  const byId = new Map(all.map((s) => [s.id, s]));
  const transport = all.find((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string');
  const pair =
    (transport && byId.get(transport.selectedCandidatePairId as string)) ??
    all.find((s) => s.type === 'candidate-pair' && s.state === 'succeeded' && (s.nominated || s.selected));
  const local = pair ? byId.get(pair.localCandidateId as string) : undefined;
  const remote = pair ? byId.get(pair.remoteCandidateId as string) : undefined;
  const inVideo = all.find((s) => s.type === 'inbound-rtp' && s.kind === 'video');
  const outVideo = all.find((s) => s.type === 'outbound-rtp' && s.kind === 'video');
  const remoteIn = all.find((s) => s.type === 'remote-inbound-rtp' && s.kind === 'video');
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const rtt = num(pair?.currentRoundTripTime);
  return {
    at,
    rttMs: rtt === null ? null : Math.round(rtt * 1000),
    relayed: local || remote ? local?.candidateType === 'relay' || remote?.candidateType === 'relay' : null,
    packets: num(inVideo?.packetsReceived) ?? 0,
    lost: Math.max(0, num(inVideo?.packetsLost) ?? 0),
    framesDecoded: num(inVideo?.framesDecoded) ?? 0,
    fps: num(inVideo?.framesPerSecond),
    limitation: typeof outVideo?.qualityLimitationReason === 'string' ? outVideo.qualityLimitationReason : null,
    sentLoss: num(remoteIn?.fractionLost),
  };
}

/**
 * Judges the link from two samples a few seconds apart. `expectVideo`: the other
 * person's camera is on (so no new frames means their picture is paused).
 */
export function assessQuality(prev: QualitySample | null, now: QualitySample, expectVideo: boolean): Quality {
  const packets = prev ? now.packets - prev.packets : 0;
  const lost = prev ? now.lost - prev.lost : 0;
  const lossPct = prev && packets + lost > 0 ? (100 * lost) / (packets + lost) : null;
  const newFrames = prev ? now.framesDecoded - prev.framesDecoded : null;
  const fps = newFrames !== null && prev && now.at > prev.at ? Math.round((1000 * newFrames) / (now.at - prev.at)) : now.fps;
  const weak = (now.rttMs ?? 0) > 400 || (lossPct ?? 0) > 5 || (now.sentLoss ?? 0) > 0.05;
  const fair = (now.rttMs ?? 0) > 200 || (lossPct ?? 0) > 1 || (now.sentLoss ?? 0) > 0.01 || now.limitation === 'bandwidth';
  const paused = expectVideo && newFrames === 0;
  const level: QualityLevel = weak || paused ? 'poor' : fair ? 'fair' : 'good';
  const words = weak ? QUALITY_WORDS.weak : paused ? QUALITY_WORDS.paused : now.limitation === 'bandwidth' ? QUALITY_WORDS.lowered : '';
  return { level, words, rttMs: now.rttMs, lossPct: lossPct === null ? null : Math.round(lossPct * 10) / 10, fps, relayed: now.relayed };
}

/**
 * When the link is poor, keep the sound first (audio sent at high priority), and lower
 * the camera's resolution before its frame rate (faces need motion more than detail).
 * A shared screen (a track hinted as 'detail') is the other way round: text must stay sharp.
 */
export async function preferSound(pc: RTCPeerConnection): Promise<void> {
  for (const sender of pc.getSenders()) {
    const kind = sender.track?.kind;
    if (!kind) continue;
    const params = sender.getParameters();
    if (!params.encodings?.length) continue; // not negotiated yet; called again later
    if (kind === 'audio') {
      for (const e of params.encodings) {
        e.priority = 'high';
        e.networkPriority = 'high';
      }
    } else {
      (params as RTCRtpSendParameters & { degradationPreference?: string }).degradationPreference = sender.track?.contentHint === 'detail' ? 'maintain-resolution' : 'maintain-framerate';
    }
    await sender.setParameters(params).catch(() => {}); // older browsers refuse some fields: best effort
  }
}
