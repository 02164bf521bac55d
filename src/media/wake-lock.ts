// Keeps the screen on during a call, and takes the lock back when the page
// becomes visible again (browsers release it whenever the page is hidden).

export class ScreenWakeLock {
  private sentinel: WakeLockSentinel | null = null;
  private wanted = false;

  constructor() {
    document.addEventListener('visibilitychange', () => {
      if (this.wanted && document.visibilityState === 'visible') void this.acquire();
    });
  }

  async hold(): Promise<void> {
    this.wanted = true;
    await this.acquire();
  }

  release(): void {
    this.wanted = false;
    void this.sentinel?.release().catch(() => {});
    this.sentinel = null;
  }

  get held(): boolean {
    return this.sentinel !== null && !this.sentinel.released;
  }

  private async acquire(): Promise<void> {
    if (!('wakeLock' in navigator) || this.held) return;
    try {
      this.sentinel = await navigator.wakeLock.request('screen');
    } catch {
      // Refused (battery saver, not visible): the call works without it.
    }
  }
}
