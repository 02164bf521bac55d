// Room names as people mean them.
//
// Two spellings a person would call "the same name" meet in one room:
// "  Friday  Call " and "friday call" are one room (spaces trimmed and collapsed,
// case and Unicode compatibility forms folded). Two names that differ in any
// other way never share a room, because the Firestore document id is an
// injective encoding of the canonical key.

/** Longest accepted name, in characters (Unicode code points) of the canonical key. */
export const MAX_ROOM_NAME_LENGTH = 100;

export type RoomNameResult =
  | { ok: true; display: string; key: string; id: string }
  | { ok: false; reason: 'empty' | 'too-long' | 'unprintable'; message: string };

// Controls (tabs, newlines, NUL...) and lone surrogate halves are not printable names.
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u;
// Invisible characters (zero-width space, soft hyphen, BOM, variation selectors...)
// must not make two names that look identical into two rooms.
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const SPACES = /\s+/gu;

/**
 * Reads what the person typed. `display` is what we show and put in invite links,
 * `key` is how names are compared, `id` is the Firestore document id of the room.
 */
export function parseRoomName(input: string | null | undefined): RoomNameResult {
  const raw = input ?? '';
  if (UNPRINTABLE.test(raw.replace(SPACES, ' '))) {
    return { ok: false, reason: 'unprintable', message: 'Room names can’t contain control characters. Please type the name again.' };
  }
  const display = raw.normalize('NFC').replace(SPACES, ' ').trim();
  const key = canonicalKey(display);
  if (key === '') {
    return { ok: false, reason: 'empty', message: 'Please type a room name. Spaces alone don’t count.' };
  }
  if ([...key].length > MAX_ROOM_NAME_LENGTH) {
    return {
      ok: false,
      reason: 'too-long',
      message: `Room names can be up to ${MAX_ROOM_NAME_LENGTH} characters. Please choose a shorter one.`,
    };
  }
  return { ok: true, display, key, id: encodeRoomId(key) };
}

/** The comparison form of a name: NFKC, case-folded, spaces collapsed, invisibles removed. */
export function canonicalKey(name: string): string {
  // Lower-casing can produce sequences that are no longer NFKC (e.g. U+0130),
  // so normalize on both sides of it.
  return name
    .normalize('NFKC')
    .replace(IGNORABLE, '')
    .toLowerCase()
    .normalize('NFKC')
    .replace(SPACES, ' ')
    .trim();
}

// Characters kept as they are in document ids. Everything else, including
// '%', '.', '_' and '/', is percent-encoded byte by byte, so the encoding is
// injective and can never produce '/', '.', '..' or '__x__'.
const PLAIN = /^[a-z0-9-]$/;

/**
 * The Firestore document id for a canonical key: at most 12 bytes per code point,
 * so 100 code points stay under Firestore's 1,500-byte id limit.
 */
export function encodeRoomId(key: string): string {
  let out = '';
  const bytes = new TextEncoder();
  for (const ch of key) {
    if (PLAIN.test(ch)) {
      out += ch;
    } else {
      for (const b of bytes.encode(ch)) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    }
  }
  return out;
}

/** The inverse of encodeRoomId, for tools and tests. */
export function decodeRoomId(id: string): string {
  return decodeURIComponent(id);
}

/** The invite link for a room: this page with ?room=<display name>. */
export function inviteLink(display: string, base: string): string {
  const url = new URL('/', base);
  url.searchParams.set('room', display);
  return url.toString();
}
