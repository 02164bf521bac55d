// The app's two services, each made once and owned here: the call service (Firebase, loaded
// while the camera prompt is answered) and the page's ICE configuration (public servers and
// relay credentials minted for the signed-in person).

import type { RoomBackend } from '../call/backend.ts';
import { fetchFirebaseConfig, RtcConfigSource, signedInTurnSource } from '../config.ts';

export class Services {
  /** The ICE servers of every call of this page (renewed as they expire); made once, never replaced. */
  readonly ice: RtcConfigSource;
  private backend: Promise<RoomBackend> | null = null;

  constructor() {
    this.ice = new RtcConfigSource(
      signedInTurnSource(async () => {
        const b = await this.connect();
        if (!b.idToken) throw new Error('this backend has no sign-in for the TURN function');
        return b.idToken();
      }),
      { log: (message, error) => console.warn(message, error) },
    );
    // Firebase is the largest part of the app: start loading it now, while the browser is
    // still asking for the camera, but don't let the prompt wait for it. The relay is asked
    // for once signed in, ready long before anyone has typed a room name.
    void this.connect().catch(() => {});
    void this.ice.get();
  }

  /** The call service; a failed attempt is forgotten, so the next one starts afresh. */
  connect(): Promise<RoomBackend> {
    if (this.backend) return this.backend;
    // The config is fetched in parallel with the Firebase chunk, not after it.
    const config = fetchFirebaseConfig();
    config.catch(() => {}); // reported through connectBackend
    const backend = import('../signaling/firestore.ts').then((m) => m.connectBackend(config));
    backend.catch(() => {
      if (this.backend === backend) this.backend = null;
    });
    return (this.backend = backend);
  }
}
