// Turns a room name into what the database may hold: a hashed document id and an AES-GCM key, and seals/opens signaling under that key (WebCrypto only).
//
// One slow step, then cheap ones:
//   master = PBKDF2-SHA256(canonical name, salt = "duet/1/" + Firebase project id, 200,000 iterations, 256 bits)
//   id     = hex(HKDF-SHA256(master, info "duet room id", 128 bits))     the Firestore document id
//   key    = HKDF-SHA256(master, info "duet room key") -> AES-GCM 256     seals SDPs and candidates
// The id and the key come from the same single PBKDF2 block, so an attacker who tests a guessed
// name against a stored id pays exactly what the app pays (a 512-bit PBKDF2 output would cost the
// app two blocks and the attacker one). The salt is not a secret: it only makes every deployment
// its own dictionary sweep. docs/PRIVACY.md has the figures.

export const KDF_ITERATIONS = 200_000;
/** Sealed plaintexts are padded to a multiple of this many bytes, so sizes leak only coarsely. */
export const PAD_BYTES = 512;
/** Largest sealed SDP / candidate list, in characters of base64 (firestore.rules agrees). */
export const SEALED_SDP_MAX = 44_000;
export const SEALED_CANDIDATES_MAX = 22_000;

const IV_BYTES = 12;
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface RoomSecrets {
  /** The Firestore document id of the room: 32 hex characters, never the name. */
  id: string;
  /** AES-GCM key for everything that describes a person. */
  key: CryptoKey;
}

/** The salt for one deployment: public, but different for every Firebase project. */
export function deploymentSalt(projectId: string): string {
  return `duet/1/${projectId}`;
}

/** Derives the document id and key of the room with this canonical name (see the header). */
export async function deriveRoom(canonicalName: string, salt: string, iterations = KDF_ITERATIONS): Promise<RoomSecrets> {
  const subtle = crypto.subtle;
  const password = await subtle.importKey('raw', enc.encode(canonicalName), 'PBKDF2', false, ['deriveBits']);
  const master = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode(salt), iterations }, password, 256);
  const hkdf = await subtle.importKey('raw', master, 'HKDF', false, ['deriveBits', 'deriveKey']);
  const none = new Uint8Array(0);
  const idBits = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: none, info: enc.encode('duet room id') }, hkdf, 128);
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: none, info: enc.encode('duet room key') },
    hkdf,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  return { id: toHex(new Uint8Array(idBits)), key };
}

/**
 * Encrypts `text` for the room. `context` names where it goes (field, writer, session, pc) and is
 * bound to the ciphertext as associated data: a sealed value copied to another field, person or
 * connection no longer opens. Output: base64(iv || ciphertext), plaintext padded with spaces to
 * a multiple of PAD_BYTES (the JSON it carries ignores trailing spaces).
 */
export async function seal(key: CryptoKey, context: string, json: string): Promise<string> {
  const plain = enc.encode(json);
  const padded = new Uint8Array(Math.ceil((plain.length + 1) / PAD_BYTES) * PAD_BYTES).fill(0x20);
  padded.set(plain);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc.encode(context) }, key, padded);
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return toBase64(out);
}

/** Decrypts what `seal` made with the same key and context; throws on any other input. */
export async function open(key: CryptoKey, context: string, sealed: string): Promise<string> {
  const bytes = fromBase64(sealed);
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: enc.encode(context) },
    key,
    bytes.subarray(IV_BYTES),
  );
  return dec.decode(plain).trimEnd();
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text);
  const out = new Uint8Array(new ArrayBuffer(s.length));
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
