// The numbers firestore.rules repeats (rules cannot import) agree with their one home in src/:
// read from the rules as text, so a change on either side alone fails here, without an emulator.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { PRESENCE_TIMEOUT_MS } from '../../src/call/backend.ts';
import { SEALED_CANDIDATES_MAX, SEALED_SDP_MAX } from '../../src/signaling/crypto.ts';
import { EXPIRES_AFTER_MS } from '../../src/signaling/join.ts';

const rules = readFileSync(new URL('../../firestore.rules', import.meta.url), 'utf8');
const HOUR_MS = 3_600_000;

/** The numbers captured by every match of `pattern` in the rules (each group, in order). */
function numbersIn(pattern: RegExp): number[][] {
  return [...rules.matchAll(new RegExp(pattern.source, 'g'))].map((m) => m.slice(1).map(Number));
}

describe('firestore.rules repeats the numbers of src/ exactly', () => {
  test('presenceTimeout() is PRESENCE_TIMEOUT_MS (src/call/backend.ts), and the only duration in seconds', () => {
    expect(numbersIn(/function presenceTimeout\(\) \{\s*return duration\.value\((\d+), 's'\);\s*\}/)).toEqual([[PRESENCE_TIMEOUT_MS / 1000]]);
    // Nowhere else a timeout of its own: every seat's age is judged by presenceTimeout().
    expect(numbersIn(/duration\.value\((\d+), 's'\)/)).toHaveLength(1);
  });

  test('a sealed SDP is at most SEALED_SDP_MAX characters (src/signaling/crypto.ts)', () => {
    expect(numbersIn(/function isSealedSdp\(s\) \{\s*return isSealed\(s, (\d+)\);\s*\}/)).toEqual([[SEALED_SDP_MAX]]);
  });

  test('sealed candidates are at most SEALED_CANDIDATES_MAX characters (src/signaling/crypto.ts)', () => {
    expect(numbersIn(/isSealed\(p\.candidates, (\d+)\)/)).toEqual([[SEALED_CANDIDATES_MAX]]);
  });

  test('every size limit on a sealed value is one of those two', () => {
    expect(numbersIn(/isSealed\([^,()]+, (\d+)\)/).flat().sort((a, b) => a - b)).toEqual([SEALED_CANDIDATES_MAX, SEALED_SDP_MAX].sort((a, b) => a - b));
  });

  test('the expiry clients write (EXPIRES_AFTER_MS, src/signaling/join.ts) is inside isExpiry(), with an hour of clock skew either way', () => {
    const [[from, to]] = numbersIn(
      /function isExpiry\(t\) \{\s*return t is timestamp\s*&& t >= request\.time \+ duration\.value\((\d+), 'h'\)\s*&& t <= request\.time \+ duration\.value\((\d+), 'h'\);\s*\}/,
    );
    expect(EXPIRES_AFTER_MS - HOUR_MS).toBeGreaterThanOrEqual(from! * HOUR_MS);
    expect(EXPIRES_AFTER_MS + HOUR_MS).toBeLessThanOrEqual(to! * HOUR_MS);
  });
});
