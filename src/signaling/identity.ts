// Which anonymous identity this tab uses.
//
// Auth persists in IndexedDB, which every tab of a browser shares: used as is,
// two tabs would be one person and could not call each other. Each tab instead
// holds a Web Lock on a numbered "slot" for as long as it is open, and uses one
// Firebase app (and so one anonymous user) per slot. A new tab takes the lowest
// free slot; a reloaded tab asks for the slot it had (remembered in
// sessionStorage) and waits briefly for its previous page to let go of it:
// same identity, same seat.

const LOCK_PREFIX = 'duet-identity-';
const SLOT_KEY = 'duet:identity-slot';
const MAX_SLOTS = 16;
/** How long a reloaded page waits for its old page to release its slot. */
const RECLAIM_WAIT_MS = 1_500;

type Locks = LockManager;

function hold(locks: Locks, slot: number, wait: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const options: LockOptions = wait > 0 ? { signal: AbortSignal.timeout(wait) } : { ifAvailable: true };
    locks
      .request(LOCK_PREFIX + slot, options, (lock) => {
        if (!lock) {
          resolve(false);
          return undefined;
        }
        resolve(true);
        return new Promise<void>(() => {}); // held until the page goes away
      })
      .catch(() => resolve(false)); // timed out
  });
}

export async function acquireIdentitySlot(): Promise<number> {
  const locks = (navigator as Navigator & { locks?: Locks }).locks;
  if (!locks) return 0;
  const remembered = Number(sessionStorage.getItem(SLOT_KEY) ?? NaN);
  let slot = -1;
  if (Number.isInteger(remembered) && (await hold(locks, remembered, RECLAIM_WAIT_MS))) slot = remembered;
  for (let i = 0; slot < 0 && i < MAX_SLOTS; i++) {
    if (await hold(locks, i, 0)) slot = i;
  }
  if (slot < 0) slot = 0;
  sessionStorage.setItem(SLOT_KEY, String(slot));
  return slot;
}
