// Duet's one Cloud Function: short-lived TURN credentials for a signed-in person.
//
// The TURN REST scheme (turn.js): the relay and this function share a secret, the page
// gets a username with an expiry and its HMAC, so the secret never leaves the server and
// a leaked credential dies within the hour.
// Configuration (docs/TURN.md):
//   TURN_SECRET       secret (Secret Manager; functions/.secret.local in the emulator)
//   TURN_URLS         comma-separated (none: the answer lists no relay), e.g. "turn:turn.example.com:3478,turns:turn.example.com:443?transport=tcp"
//   TURN_TTL_SECONDS  how long a credential lives (default 3600)
import { onCall, HttpsError } from 'firebase-functions/v2/https';
import { defineInt, defineSecret, defineString } from 'firebase-functions/params';
import { mintTurnCredential } from './turn.js';

const turnSecret = defineSecret('TURN_SECRET');
const turnUrls = defineString('TURN_URLS', { default: '' });
const ttlSeconds = defineInt('TURN_TTL_SECONDS', { default: 3600 });

export const turnCredentials = onCall({ secrets: [turnSecret], cors: false }, (request) => {
  // Only signed-in people (Anonymous Auth counts) get a relay: the uid is in the username,
  // so coturn's logs say whose allocation is whose.
  if (!request.auth) throw new HttpsError('unauthenticated', 'Sign in first.');
  const urls = turnUrls
    .value()
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const { username, credential, expiresAt } = mintTurnCredential(turnSecret.value(), request.auth.uid, ttlSeconds.value());
  // No relay configured (npm start by default): a well-formed "none", not an error the page
  // would log on every open. It asks again when this expires, and finds a relay added since.
  if (urls.length === 0) return { iceServers: [], expiresAt };
  return { iceServers: [{ urls, username, credential }], expiresAt };
});
