// Connection quality in words (src/call/quality.ts), from getStats-shaped reports.
import { describe, expect, it } from 'vitest';
import { QUALITY_WORDS, assessQuality, readStats } from '../../src/call/quality.ts';

function report({ rtt = 0.03, packets = 1000, lost = 0, frames = 300, limitation = 'none', relay = false, sentLoss = 0 } = {}) {
  return [
    { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
    { id: 'P', type: 'candidate-pair', state: 'succeeded', localCandidateId: 'L', remoteCandidateId: 'R', currentRoundTripTime: rtt },
    { id: 'L', type: 'local-candidate', candidateType: relay ? 'relay' : 'host' },
    { id: 'R', type: 'remote-candidate', candidateType: 'host' },
    { id: 'I', type: 'inbound-rtp', kind: 'video', packetsReceived: packets, packetsLost: lost, framesDecoded: frames, framesPerSecond: 30 },
    { id: 'O', type: 'outbound-rtp', kind: 'video', qualityLimitationReason: limitation },
    { id: 'RI', type: 'remote-inbound-rtp', kind: 'video', fractionLost: sentLoss },
  ];
}

describe('connection quality', () => {
  it('reads round-trip time, direct or relayed, and the incoming video', () => {
    const s = readStats(report({ rtt: 0.042, relay: true }), 0);
    expect(s).toMatchObject({ rttMs: 42, relayed: true, packets: 1000, framesDecoded: 300 });
  });

  it('is good with a quick, clean link', () => {
    const q = assessQuality(readStats(report(), 0), readStats(report({ packets: 1200, frames: 360 }), 2000), true);
    expect(q).toMatchObject({ level: 'good', words: '', fps: 30, lossPct: 0, relayed: false });
  });

  it('says the connection is weak with heavy loss or a long round trip', () => {
    const lossy = assessQuality(readStats(report(), 0), readStats(report({ packets: 1090, lost: 10, frames: 360 }), 2000), true);
    expect(lossy).toMatchObject({ level: 'poor', words: QUALITY_WORDS.weak, lossPct: 10 });
    const slow = assessQuality(readStats(report(), 0), readStats(report({ rtt: 0.8, packets: 1200, frames: 360 }), 2000), true);
    expect(slow.words).toBe(QUALITY_WORDS.weak);
  });

  it('says their picture is paused when no frame arrives while their camera is on (but not when it is off)', () => {
    const prev = readStats(report(), 0);
    const now = readStats(report({ packets: 1001 }), 2000);
    expect(assessQuality(prev, now, true).words).toBe(QUALITY_WORDS.paused);
    expect(assessQuality(prev, now, false).words).toBe('');
  });

  it('says our picture is lowered when the encoder is held back by bandwidth', () => {
    const q = assessQuality(readStats(report(), 0), readStats(report({ packets: 1200, frames: 360, limitation: 'bandwidth' }), 2000), true);
    expect(q).toMatchObject({ level: 'fair', words: QUALITY_WORDS.lowered });
  });
});
