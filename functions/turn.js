// The TURN REST scheme (coturn's use-auth-secret; hosted TURN services offer the same):
//   username   = "<expiry, unix seconds>:<uid>"
//   credential = base64(HMAC-SHA1(secret, username))
// The relay recomputes the HMAC with the same secret and refuses expired usernames.
import { createHmac } from 'node:crypto';

/** Credentials for `uid`, valid `ttlSeconds` from `now` (ms). */
export function mintTurnCredential(secret, uid, ttlSeconds, now = Date.now()) {
  const expires = Math.floor(now / 1000) + ttlSeconds;
  const username = `${expires}:${uid}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: expires * 1000 };
}
