// The room named on the prompt, watched until Join, so that the join can go in one request from the room as the server last showed it (joinAsSeen).
import { onSnapshot, type Firestore } from 'firebase/firestore';
import type { Unsubscribe } from '../call/backend.ts';
import { parseRoom, roomRef, type StoredRoom } from './join.ts';
import type { RoomKeys } from './room-keys.ts';

/** How the server last showed the room (undefined: not known now; null: no room). */
type Seen = StoredRoom | null | undefined;

export class PreparedRoom {
  private current: { name: string; seen: Seen; stop: Unsubscribe } | null = null;

  constructor(
    private readonly db: Firestore,
    private readonly keys: RoomKeys,
  ) {}

  /**
   * The person is still on the prompt with this name typed (see PREPARE_AFTER_TYPING_MS): derive
   * the room's id and key, and watch the room until they press Join, so the join can be made
   * in one request from the room as it stands (joinAsSeen). One billed read per name typed, and
   * one per change of that room while the prompt shows it; the join's own read is saved.
   */
  watch(name: string): void {
    if (this.current?.name === name) return;
    this.current?.stop();
    const p: { name: string; seen: Seen; stop: Unsubscribe } = { name, seen: undefined, stop: () => {} };
    this.current = p;
    p.stop = this.keys.whenReady(
      name,
      (s) =>
        onSnapshot(
          roomRef(this.db, s.id),
          { includeMetadataChanges: true },
          (snap) => {
            // Only what the server said counts; cached or locally changed data is not known.
            const { fromCache, hasPendingWrites } = snap.metadata;
            p.seen = fromCache || hasPendingWrites ? undefined : parseRoom(snap.data());
          },
          () => (p.seen = undefined),
        ),
      () => (p.seen = undefined),
    );
  }

  /** The room `name` as the server last showed it, if it is the one watched. */
  seen(name: string): Seen {
    return this.current?.name === name ? this.current.seen : undefined;
  }

  /** Stops watching the room (joined: the call's own listener takes over). */
  stop(name: string): void {
    if (this.current?.name !== name) return;
    this.current.stop();
    this.current = null;
  }
}
