// The room document id as the page derives it (src/signaling/crypto.ts), computed in Node, synchronously, for tests that read the emulator as its administrator.
import { hkdfSync, pbkdf2Sync } from 'node:crypto';
import { KDF_ITERATIONS, deploymentSalt } from '../../src/signaling/crypto.ts';
import { parseRoomName } from '../../src/rooms/names.ts';

/** The project the emulators run (`npm test`: demo-duet), whose id salts the derivation. */
export const TEST_PROJECT = 'demo-duet';

/** The document id of the room people reach by typing `name`. */
export function roomDocId(name: string, projectId = TEST_PROJECT): string {
  const r = parseRoomName(name);
  if (!r.ok) throw new Error(r.message);
  const master = pbkdf2Sync(r.key, deploymentSalt(projectId), KDF_ITERATIONS, 32, 'sha256');
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'duet room id', 16)).toString('hex');
}
