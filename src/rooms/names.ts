// Room names as people mean them: canonical form, invite links, and strong generated names.
//
// Two spellings a person would call "the same name" meet in one room:
// "  Friday  Call " and "friday call" are one room (spaces trimmed and collapsed,
// case and Unicode compatibility forms folded). Two names that differ in any
// other way never share a room: the signaling layer derives the room's document id
// from the canonical key with a hash (src/signaling/crypto.ts), so the database
// never holds a name, and any name, `/`, `.`, `__x__` or emoji, is a safe id.

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
 * `key` is how names are compared, `id` is what the app hands the signaling layer
 * as the room (the canonical key: it is secret-ish, never stored; the signaling
 * layer turns it into a hashed document id and a key).
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
  return { ok: true, display, key, id: key };
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

/** The invite link for a room: this page with ?room=<display name>. */
export function inviteLink(display: string, base: string): string {
  const url = new URL('/', base);
  url.searchParams.set('room', display);
  return url.toString();
}

/** The page's address names the room of the call (a reload comes back to it), or none (null). */
export function roomInUrl(display: string | null): void {
  const url = new URL(location.href);
  if (display === null) url.searchParams.delete('room');
  else url.searchParams.set('room', display);
  history.replaceState(null, '', url);
}

// 256 short, common, unambiguous words: each word picked at random adds exactly 8 bits.
const ROOM_NAME_WORDS = (
  'acorn amber anchor apple apron arrow aspen atlas autumn badger bagel bamboo banjo barley basil beacon ' +
  'beaver berry birch biscuit blossom bonfire bramble breeze brick brook bubble buckle bundle butter cabin cactus ' +
  'camel candle canoe canyon carrot cedar cello chalk cherry chess chimney cider cinder citrus clover cobalt ' +
  'cocoa comet copper coral cotton cove crayon cricket crumpet crystal cumin daisy dawn delta denim dingo ' +
  'dolphin donkey dove dragon drum dune eagle echo elbow ember emerald falcon fennel fern fiddle fig ' +
  'finch fjord flannel flint forest fossil fox garnet gecko ginger glacier globe goose granite grape gravel ' +
  'guitar gull harbor hazel heron hickory honey horizon husky igloo indigo iris island ivory jasmine jelly ' +
  'juniper kayak kettle kiwi koala lagoon lantern lark lava lemon lentil lilac linen lobster locket lotus ' +
  'lupin mango maple marble meadow melon mint mitten moose moss muffin nectar nutmeg oak oasis ocean ' +
  'olive onyx orbit orchid osprey otter owl oyster paddle panda papaya parrot peach pebble pepper pigeon ' +
  'pine plum pollen pony poppy potato prairie puffin pumpkin quartz quill quince rabbit radish raven reed ' +
  'ribbon river robin rocket rose saffron sage salmon sandal sapphire satin scarf seal sequoia shell sherbet ' +
  'sienna silver sketch sloth snow sorrel sparrow spruce squash starling stone straw summit sunset swan tangerine ' +
  'teapot thistle thunder thyme tiger timber toffee topaz tortoise trout tulip tundra turnip valley velvet violet ' +
  'walnut walrus wasabi willow window winter wombat wren yarrow yogurt zebra zephyr zinnia acrobat lichen magnet ' +
  'marsh nickel orca pretzel puzzle quokka rhubarb saddle tadpole tinsel umber vapor waffle wagon yak zucchini'
).split(' ');

/** How many words a generated private name has: 7 words, 56 bits of chance. */
export const PRIVATE_NAME_LENGTH = 7;

/** A strong room name nobody will guess: seven random words, e.g. "otter maple quill dune ...". */
export function generatePrivateName(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  return Array.from(random(new Uint8Array(PRIVATE_NAME_LENGTH)), (b) => ROOM_NAME_WORDS[b]).join(' ');
}

/** For tests: the word list (256 distinct words). */
export const privateNameWords = (): readonly string[] => ROOM_NAME_WORDS;
