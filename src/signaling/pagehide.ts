// A best-effort cleanup when the page goes away without Leave: the person waiting alone takes their room (and its sealed pre-offer) with them.
//
// When the tab closes, the Firestore SDK's own writes die with the page, so this sends one
// `keepalive` REST commit instead, from what the room listener last saw. Only a room where we
// are the one person left is deleted (with every outbox in it): a reload then simply creates it
// again. In a call, the seat is kept, so a reload resumes the call exactly as before; a closed
// tab's seat goes stale after PRESENCE_TIMEOUT_MS and the next person to join removes it and its outbox.
// A commit that arrives late, after a reload already created the room again, deletes that
// room too; the reloaded page sees it vanish and creates it once more.
import type { Seat } from '../call/backend.ts';

export class PageHideLeave {
  private room: { id: string; seats: Seat[] } | null = null;
  private token: string | null = null;

  /**
   * @param documents  REST base of the database, ".../v1/projects/{p}/databases/(default)/documents"
   * @param getToken   the signed-in user's ID token (cached by Firebase Auth, refreshed near expiry)
   */
  constructor(
    private readonly documents: string,
    private readonly uid: string,
    private readonly getToken: () => Promise<string | null>,
  ) {
    addEventListener('pagehide', (e) => {
      // persisted: the page may come back from the back/forward cache as it is.
      if (!(e as PageTransitionEvent).persisted) this.send();
    });
    void this.refreshToken();
  }

  /** The room we are in as last seen (null: none, or we left). */
  watch(id: string, seats: Seat[] | null): void {
    if (seats === null) {
      if (this.room?.id === id) this.room = null;
      return;
    }
    this.room = { id, seats };
  }

  async refreshToken(): Promise<void> {
    this.token = await this.getToken().catch(() => this.token);
  }

  private send(): void {
    const room = this.room;
    if (!room || !this.token || !room.seats.some((s) => s.uid === this.uid)) return;
    // Someone else seated: keep everything (a reload resumes the call; rules would refuse
    // the delete anyway while their seat is fresh).
    if (room.seats.some((s) => s.uid !== this.uid)) return;
    const name = this.documents.replace(/^.*?\/v1\//, '') + `/rooms/${room.id}`;
    const writes = [{ delete: `${name}/peers/${this.uid}` }, { delete: name }];
    void fetch(`${this.documents}:commit`, {
      method: 'POST',
      keepalive: true,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ writes }),
    }).catch(() => {});
  }
}
