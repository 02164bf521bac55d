// Is the network there? Whether our own server answers, and a wait for the network to
// come back. `navigator.onLine` alone is only a hint (see serverReachable).

/**
 * Whether our own server answers, asked over the network. A HEAD request: no
 * service-worker route handles it (they are for GET) and `no-store` skips the HTTP
 * cache, so the precache cannot make an offline app look online. `navigator.onLine`
 * alone is only a hint: it stays true behind a dead Wi-Fi, and is false on a machine
 * with only loopback although a local server answers.
 */
export async function serverReachable(timeoutMs = 4_000): Promise<boolean> {
  try {
    await fetch('/', { method: 'HEAD', cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
    return true; // any answer at all means the network works
  } catch {
    return false;
  }
}

/**
 * Calls `back` once, when the network returns: at the browser's `online` event, when
 * the page becomes visible again, or when a probe (2 s, growing to 30 s) gets through.
 * Returns a function that stops waiting.
 */
export function whenBackOnline(back: () => void): () => void {
  let done = false;
  let delay = 2_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    done = true;
    clearTimeout(timer);
    window.removeEventListener('online', check);
    document.removeEventListener('visibilitychange', check);
  };
  async function check(): Promise<void> {
    clearTimeout(timer);
    if (done || document.visibilityState === 'hidden') return schedule();
    if (await serverReachable()) {
      if (done) return;
      stop();
      back();
    } else schedule();
  }
  function schedule(): void {
    if (done) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), delay);
    delay = Math.min(delay * 1.5, 30_000);
  }
  window.addEventListener('online', check);
  document.addEventListener('visibilitychange', check);
  schedule();
  return stop;
}

/** navigator.onLine is only a hint: when it says offline, ask the server before believing it. */
export async function isOffline(): Promise<boolean> {
  return navigator.onLine === false && !(await serverReachable());
}

/**
 * The Network Information API's object, where the browser has it (Chromium; not Firefox or
 * Safari): its `change` event fires when the kind of network changes, wifi to cellular.
 */
export function connectionInfo(): EventTarget | null {
  return (navigator as Navigator & { connection?: EventTarget }).connection ?? null;
}
