// Room name -> its document id and key (crypto.ts), derived once per page, and listeners started once they are known.
import type { Unsubscribe } from '../call/backend.ts';
import { deriveRoom, type RoomSecrets } from './crypto.ts';

export class RoomKeys {
  /** Derived once per name and page: the KDF is deliberately slow. */
  private readonly secrets = new Map<string, Promise<RoomSecrets>>();
  private readonly ready = new Map<string, RoomSecrets>();

  constructor(private readonly salt: string) {}

  of(name: string): Promise<RoomSecrets> {
    let s = this.secrets.get(name);
    if (!s) {
      s = deriveRoom(name, this.salt).then((r) => (this.ready.set(name, r), r));
      s.catch(() => this.secrets.delete(name));
      this.secrets.set(name, s);
    }
    return s;
  }

  /** Starts a listener once the room's secrets are known (at once after a join). */
  whenReady(name: string, start: (s: RoomSecrets) => Unsubscribe, onError: (e: unknown) => void): Unsubscribe {
    const known = this.ready.get(name);
    if (known) return start(known);
    let stop: Unsubscribe | null = null;
    let cancelled = false;
    this.of(name).then((s) => !cancelled && (stop = start(s)), onError);
    return () => {
      cancelled = true;
      stop?.();
    };
  }
}
