// Room names: matched the way a person means them, never colliding, never unsafe as an id.
import { describe, expect, it } from 'vitest';
import { decodeRoomId, encodeRoomId, inviteLink, MAX_ROOM_NAME_LENGTH, parseRoomName } from '../../src/rooms/names.ts';

const id = (name: string) => {
  const r = parseRoomName(name);
  if (!r.ok) throw new Error(`rejected ${JSON.stringify(name)}: ${r.message}`);
  return r.id;
};

/** Firestore's document id rules (https://firebase.google.com/docs/firestore/quotas#collections_documents_and_fields). */
function isValidDocumentId(docId: string): boolean {
  return (
    docId.length > 0 &&
    new TextEncoder().encode(docId).length <= 1500 &&
    !docId.includes('/') &&
    docId !== '.' &&
    docId !== '..' &&
    !/^__.*__$/.test(docId)
  );
}

describe('two spellings a person would call the same name meet in one room', () => {
  it.each([
    ['Friday', 'friday'],
    ['  friday  ', 'friday'],
    ['Friday   tea', 'friday tea'],
    ['friday\ttea', 'friday tea'],
    ['FRIDAY TEA', 'Friday Tea'],
    ['Café', 'Cafe\u0301'], // precomposed vs combining accent
    ['ｆｒｉｄａｙ', 'friday'], // full-width letters from a CJK keyboard
    ['fri\u200Bday', 'friday'], // an invisible zero-width space
    ['ÉCOLE', 'école'],
  ])('%j meets %j', (a, b) => {
    expect(id(a)).toBe(id(b));
  });
});

describe('two different names never share a room', () => {
  const names = [
    'a/b', 'a%2Fb', 'a_b', 'a b', 'a.b', 'a-b', '.', '..', '...', '__x__', '_x_', '%', '%25', '%2525',
    '😀', '😀😀', '👨‍👩‍👧', 'שלום', 'مرحبا', '<b>hi</b>', '&lt;b&gt;', "'; drop table rooms; --", 'a', 'b',
    'ab', 'friday', 'friday2', 'Straße', 'strasse', 'ı', 'i',
  ];
  it('gives every one of them its own document id', () => {
    const ids = names.map(id);
    expect(new Set(ids).size).toBe(names.length);
  });
  it('round-trips the id back to the canonical name', () => {
    for (const n of names) {
      const r = parseRoomName(n);
      if (!r.ok) throw new Error(n);
      expect(decodeRoomId(r.id)).toBe(r.key);
    }
  });
});

describe('every accepted name becomes a valid Firestore document id', () => {
  it.each(['/', '.', '..', '__x__', '__.*__', 'a/../b', '😀'.repeat(MAX_ROOM_NAME_LENGTH), '%'.repeat(MAX_ROOM_NAME_LENGTH), 'ا'.repeat(MAX_ROOM_NAME_LENGTH)])(
    '%j',
    (name) => {
      expect(isValidDocumentId(id(name))).toBe(true);
    },
  );
  it('keeps plain names readable', () => {
    expect(encodeRoomId('friday-tea-2')).toBe('friday-tea-2');
    expect(id('Friday tea')).toBe('friday%20tea');
  });
});

describe('names that cannot be used get a clear message', () => {
  it.each(['', '   ', '\t\n ', '\u200B\u200B'])('an empty name (%j) asks again', (name) => {
    const r = parseRoomName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe('empty');
      expect(r.message).toMatch(/type a room name/i);
    }
  });
  it('null or undefined (a cancelled prompt) counts as empty', () => {
    expect(parseRoomName(null)).toMatchObject({ ok: false, reason: 'empty' });
    expect(parseRoomName(undefined)).toMatchObject({ ok: false, reason: 'empty' });
  });
  it(`accepts ${MAX_ROOM_NAME_LENGTH} characters and refuses ${MAX_ROOM_NAME_LENGTH + 1}`, () => {
    expect(parseRoomName('x'.repeat(MAX_ROOM_NAME_LENGTH)).ok).toBe(true);
    const r = parseRoomName('x'.repeat(MAX_ROOM_NAME_LENGTH + 1));
    expect(r).toMatchObject({ ok: false, reason: 'too-long' });
  });
  it('refuses 2,000 characters without throwing', () => {
    expect(parseRoomName('y'.repeat(2000))).toMatchObject({ ok: false, reason: 'too-long' });
  });
  it('counts an emoji as one character, not two UTF-16 units', () => {
    expect(parseRoomName('😀'.repeat(MAX_ROOM_NAME_LENGTH)).ok).toBe(true);
  });
  it.each(['a\u0000b', 'bell\u0007', 'half \uD800 surrogate'])('refuses control characters and broken text (%j)', (name) => {
    expect(parseRoomName(name)).toMatchObject({ ok: false, reason: 'unprintable' });
  });
});

describe('display and invite link', () => {
  it('shows the name as typed, trimmed and with single spaces', () => {
    expect(parseRoomName('  Sunday   with Grandma ')).toMatchObject({ ok: true, display: 'Sunday with Grandma' });
  });
  it('puts the display name in ?room= safely encoded', () => {
    const link = inviteLink('a/b & <c>?', 'https://duet.example/?room=old#x');
    const url = new URL(link);
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('room')).toBe('a/b & <c>?');
    expect(url.hash).toBe('');
  });
});
