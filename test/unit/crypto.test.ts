// Sealing signaling with the room key: round trips, and refuses anything sealed elsewhere.
import { describe, expect, it } from 'vitest';
import { deriveRoom, open, PAD_BYTES, seal, SEALED_SDP_MAX } from '../../src/signaling/crypto.ts';

const salt = 'duet/1/demo-duet';

describe('seal and open', async () => {
  const room = await deriveRoom('friday tea', salt);
  const other = await deriveRoom('friday tea 2', salt);
  const sdp = JSON.stringify('v=0\r\no=- 46117 2 IN IP4 192.0.2.7\r\na=candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host\r\n');

  it('opens what it sealed, with the same key and context', async () => {
    expect(await open(room.key, 'offer|a', await seal(room.key, 'offer|a', sdp))).toBe(sdp);
  });
  it('hides the text and pads its length to a multiple of the pad size', async () => {
    const sealed = await seal(room.key, 'x', sdp);
    expect(sealed).not.toContain('192.0.2.7');
    expect(atob(sealed).length).toBe(12 + PAD_BYTES + 16);
    expect(await seal(room.key, 'x', sdp)).not.toBe(sealed); // a new IV every time
  });
  it('refuses another room key', async () => {
    await expect(open(other.key, 'x', await seal(room.key, 'x', sdp))).rejects.toThrow();
  });
  it('refuses a sealed value moved to another context (field, person, session or pc)', async () => {
    await expect(open(room.key, 'offer|b', await seal(room.key, 'offer|a', sdp))).rejects.toThrow();
  });
  it('refuses a tampered value', async () => {
    const sealed = await seal(room.key, 'x', sdp);
    const flipped = sealed.slice(0, 40) + (sealed[40] === 'A' ? 'B' : 'A') + sealed.slice(41);
    await expect(open(room.key, 'x', flipped)).rejects.toThrow();
  });
  it(`keeps a 32,000-character SDP under the rules' limit (${SEALED_SDP_MAX} characters)`, async () => {
    const big = JSON.stringify('a=x'.padEnd(32_000, 'x'));
    expect((await seal(room.key, 'x', big)).length).toBeLessThanOrEqual(SEALED_SDP_MAX);
  });
});
