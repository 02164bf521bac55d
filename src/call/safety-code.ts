// The safety code: a few words both people can read aloud to check that nobody sits in
// the middle of the call (docs/PRIVACY.md, "The safety code").
//
// Media is encrypted with DTLS-SRTP, but the certificate fingerprints that DTLS checks
// travel through the signaling service. A service that swapped them could relay the call
// through itself. The words are a hash of both fingerprints of the DTLS connection each
// side really has: through a relay each side sees the relay's certificate, not the other
// person's, so the two screens show different words.

/** 256 short, distinct, easily spoken words: one byte each. */
export const SAFETY_CODE_WORDS: readonly string[] = [
  'acorn', 'amber', 'anchor', 'apple', 'apron', 'arrow', 'aspen', 'atlas', 'autumn', 'badge', 'bagel',
  'bamboo', 'banjo', 'barley', 'basil', 'beach', 'beacon', 'bean', 'beetle', 'berry', 'birch', 'biscuit',
  'bison', 'blanket', 'blossom', 'bluff', 'bonnet', 'bottle', 'bramble', 'breeze', 'brick', 'bridge',
  'brook', 'bubble', 'bucket', 'buckle', 'butter', 'button', 'cabin', 'cactus', 'camel', 'candle', 'canoe',
  'canyon', 'carpet', 'carrot', 'castle', 'cedar', 'cello', 'cherry', 'chess', 'chimney', 'cider',
  'cinnamon', 'circle', 'clover', 'cobalt', 'coconut', 'comet', 'compass', 'copper', 'coral', 'cotton',
  'cradle', 'crayon', 'cricket', 'crystal', 'cube', 'daisy', 'dancer', 'delta', 'desert', 'diamond',
  'dolphin', 'donkey', 'dragon', 'drum', 'eagle', 'echo', 'ember', 'falafel', 'falcon', 'feather', 'fern',
  'fiddle', 'finch', 'flame', 'flute', 'forest', 'fossil', 'fountain', 'fox', 'galaxy', 'garden', 'garlic',
  'geyser', 'ginger', 'glacier', 'globe', 'goose', 'grape', 'gravel', 'guitar', 'hammer', 'harbor', 'harp',
  'hazel', 'hedge', 'helmet', 'heron', 'hill', 'hollow', 'honey', 'horizon', 'island', 'ivory', 'jacket',
  'jasmine', 'jelly', 'jigsaw', 'juniper', 'kayak', 'kettle', 'kite', 'koala', 'ladder', 'lagoon', 'lantern',
  'lemon', 'lily', 'lime', 'lizard', 'lobster', 'locket', 'lotus', 'magnet', 'mango', 'maple', 'marble',
  'meadow', 'melon', 'meteor', 'mint', 'mirror', 'mitten', 'moon', 'moss', 'mountain', 'muffin', 'needle',
  'nest', 'nickel', 'noodle', 'nutmeg', 'oak', 'oasis', 'ocean', 'olive', 'onion', 'orbit', 'orchid',
  'otter', 'owl', 'paddle', 'panda', 'paper', 'parrot', 'peach', 'pearl', 'pebble', 'pepper', 'piano',
  'pickle', 'pillow', 'pine', 'planet', 'plum', 'pony', 'poppy', 'potato', 'prism', 'puffin', 'pumpkin',
  'quartz', 'quill', 'rabbit', 'radish', 'rain', 'raven', 'reef', 'ribbon', 'river', 'robin', 'rocket',
  'rose', 'saddle', 'saffron', 'salmon', 'sandal', 'sapphire', 'saturn', 'scarf', 'seal', 'shadow', 'shell',
  'silver', 'sketch', 'sled', 'slipper', 'snow', 'sparrow', 'spice', 'spoon', 'spruce', 'squash', 'star',
  'stone', 'storm', 'sugar', 'summit', 'sunset', 'swan', 'tablet', 'tango', 'teapot', 'thistle', 'thunder',
  'tiger', 'timber', 'toast', 'tomato', 'topaz', 'torch', 'tulip', 'tundra', 'turnip', 'turtle', 'umbrella',
  'valley', 'velvet', 'violet', 'volcano', 'wagon', 'walnut', 'walrus', 'whale', 'wheat', 'willow', 'window',
  'winter', 'wizard', 'wolf', 'yarrow', 'yogurt', 'zebra', 'zephyr',
];

/** How many words are shown: 5 bytes, 40 bits (see docs/PRIVACY.md for what that allows). */
export const SAFETY_CODE_LENGTH = 5;

/** "sha-256 AB:CD:…" in one spelling, whatever case or separators the source used. */
export function normalizeFingerprint(algorithm: string, value: string): string {
  return `${algorithm.trim().toLowerCase()} ${value.trim().toUpperCase().replace(/[^0-9A-F]/g, '').replace(/(..)(?!$)/g, '$1:')}`;
}

/** The fingerprint in an SDP's a=fingerprint line (session or media level; the first one). */
export function fingerprintFromSdp(sdp: string): string | null {
  const m = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  return m ? normalizeFingerprint(m[1]!, m[2]!) : null;
}

/**
 * The code for a connection between two certificates. The two fingerprints are sorted,
 * so both sides compute the same words whichever of them is "local".
 */
export async function safetyCode(local: string, remote: string, subtle: SubtleCrypto = crypto.subtle): Promise<string> {
  const [a, b] = [local, remote].sort();
  const digest = new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(`duet safety code v1\n${a}\n${b}`)));
  return [...digest.slice(0, SAFETY_CODE_LENGTH)].map((byte) => SAFETY_CODE_WORDS[byte]!).join(' ');
}

/**
 * Both fingerprints of the DTLS connection this peer connection really uses, from
 * getStats (the certificates the handshake exchanged), or null before DTLS is up.
 */
export async function connectionFingerprints(pc: RTCPeerConnection): Promise<{ local: string; remote: string } | null> {
  const stats = await pc.getStats();
  let transport: { localCertificateId?: string; remoteCertificateId?: string; dtlsState?: string } | undefined;
  stats.forEach((s) => {
    if (s.type === 'transport' && s.dtlsState === 'connected') transport = s;
  });
  const cert = (id: string | undefined) => {
    const c = id ? (stats.get(id) as { fingerprint?: string; fingerprintAlgorithm?: string } | undefined) : undefined;
    return c?.fingerprint && c.fingerprintAlgorithm ? normalizeFingerprint(c.fingerprintAlgorithm, c.fingerprint) : null;
  };
  const local = cert(transport?.localCertificateId);
  const remote = cert(transport?.remoteCertificateId);
  return local && remote ? { local, remote } : null;
}
