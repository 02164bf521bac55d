/** See turn.js. */
export function mintTurnCredential(secret: string, uid: string, ttlSeconds: number, now?: number): { username: string; credential: string; expiresAt: number };
