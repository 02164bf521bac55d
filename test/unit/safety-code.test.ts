// The safety code (src/call/safety-code.ts): the same words on both sides of one DTLS
// connection, different words for each side of a relay in the middle.
import { describe, expect, it } from 'vitest';
import { SAFETY_CODE_LENGTH, SAFETY_CODE_WORDS, fingerprintFromSdp, normalizeFingerprint, safetyCode } from '../../src/call/safety-code.ts';

const fp = (seed: number) =>
  normalizeFingerprint('sha-256', Array.from({ length: 32 }, (_, i) => ((seed * 31 + i * 7) & 0xff).toString(16).padStart(2, '0')).join(':'));
const ana = fp(1);
const ben = fp(2);
const relayToAna = fp(3);
const relayToBen = fp(4);

describe('the safety code', () => {
  it('is the same on both sides of one connection (the order of the fingerprints does not matter)', async () => {
    const code = await safetyCode(ana, ben);
    expect(await safetyCode(ben, ana)).toBe(code);
    expect(code.split(' ')).toHaveLength(SAFETY_CODE_LENGTH);
    for (const w of code.split(' ')) expect(SAFETY_CODE_WORDS).toContain(w);
  });

  it('differs on the two sides of a relay in the middle (each side sees the relay\'s certificate)', async () => {
    const anaSees = await safetyCode(ana, relayToAna);
    const benSees = await safetyCode(ben, relayToBen);
    expect(anaSees).not.toBe(benSees);
    expect(anaSees).not.toBe(await safetyCode(ana, ben));
  });

  it('changes when any single byte of either fingerprint changes', async () => {
    const code = await safetyCode(ana, ben);
    const flipped = ben.replace(/^(sha-256 ..:..:)(.)/, (_, head: string, c: string) => head + (c === 'A' ? 'B' : 'A'));
    expect(flipped).not.toBe(ben);
    expect(await safetyCode(ana, flipped)).not.toBe(code);
  });

  it('reads fingerprints from SDP in one spelling', () => {
    const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:SHA-256 ab:cd:EF:01\r\na=setup:actpass\r\n';
    expect(fingerprintFromSdp(sdp)).toBe('sha-256 AB:CD:EF:01');
    expect(normalizeFingerprint('SHA-256', 'abcdef01')).toBe('sha-256 AB:CD:EF:01');
    expect(fingerprintFromSdp('v=0\r\n')).toBeNull();
  });

  it('has 256 distinct words, one per byte value', () => {
    expect(new Set(SAFETY_CODE_WORDS).size).toBe(256);
  });
});
