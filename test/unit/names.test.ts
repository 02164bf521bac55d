// Room names: matched the way a person means them, never colliding, never unsafe as an id, never stored.
import { describe, expect, it } from 'vitest';
import {
  generatePrivateName,
  inviteLink,
  MAX_ROOM_NAME_LENGTH,
  parseRoomName,
  PRIVATE_NAME_LENGTH,
  privateNameWords,
} from '../../src/rooms/names.ts';
import { deploymentSalt, deriveRoom } from '../../src/signaling/crypto.ts';
import { roomDocId } from '../e2e/room-id.ts';

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
  it('gives every one of them its own canonical key', () => {
    expect(new Set(names.map(id)).size).toBe(names.length);
  });
  it('gives every one of them its own document id: 128 bits of hash, nothing of the name', () => {
    const docIds = names.map((n) => roomDocId(n));
    expect(new Set(docIds).size).toBe(names.length);
    for (const d of docIds) expect(d).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('every accepted name becomes a valid Firestore document id that does not reveal it', () => {
  const odd = ['/', '.', '..', '__x__', '__.*__', 'a/../b', '<img src=x onerror=alert(1)>', 'שלום עולם',
    '😀'.repeat(MAX_ROOM_NAME_LENGTH), '%'.repeat(MAX_ROOM_NAME_LENGTH), 'ا'.repeat(MAX_ROOM_NAME_LENGTH)];
  it.each(odd)('%j', (name) => {
    const docId = roomDocId(name);
    expect(isValidDocumentId(docId)).toBe(true);
    expect(docId).toMatch(/^[0-9a-f]{32}$/);
  });
  it('the page (WebCrypto) and the tests (node:crypto) derive the same id', async () => {
    for (const name of ['Friday tea', '__x__', '😀 ש']) {
      const { id: pageId } = await deriveRoom(id(name), deploymentSalt('demo-duet'));
      expect(pageId).toBe(roomDocId(name));
    }
  });
  it('another deployment (another Firebase project) gives another id for the same name', () => {
    expect(roomDocId('friday tea', 'demo-other')).not.toBe(roomDocId('friday tea'));
  });
});

describe('"Generate a private name"', () => {
  it(`is ${PRIVATE_NAME_LENGTH} words from a list of 256 distinct ones (8 bits each)`, () => {
    expect(new Set(privateNameWords()).size).toBe(256);
    const name = generatePrivateName();
    expect(name.split(' ')).toHaveLength(PRIVATE_NAME_LENGTH);
    for (const w of name.split(' ')) expect(privateNameWords()).toContain(w);
  });
  it('is already canonical, so it survives the prompt and the invite link unchanged', () => {
    const name = generatePrivateName();
    expect(parseRoomName(name)).toMatchObject({ ok: true, display: name, key: name });
    expect(new URL(inviteLink(name, 'https://duet.example/')).searchParams.get('room')).toBe(name);
  });
  it('uses every random byte as one word (no modulo bias) and differs from call to call', () => {
    const fixed = generatePrivateName((b) => b.fill(255));
    expect(fixed).toBe(Array(PRIVATE_NAME_LENGTH).fill(privateNameWords()[255]).join(' '));
    const many = new Set(Array.from({ length: 50 }, () => generatePrivateName()));
    expect(many.size).toBe(50);
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
