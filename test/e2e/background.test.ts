// A page sent to the background (issue 4): a phone's screen turned off, or the
// browser freezing a hidden tab, stops the page's scripts: no timers, no heartbeats,
// no signaling, while media keeps its own threads. Headless Chromium can neither hide
// nor freeze a visible page (CDP Page.setWebLifecycleState 'frozen' is ignored there:
// a 100 ms timer ticked 301 times in 30 s "frozen"), so the page's main thread is
// held busy instead, for real: nothing of the page's JavaScript runs meanwhile.
import { describe, expect, it } from 'vitest';
import type { Page } from '@playwright/test';
import {
  backdateSeat,
  bothFlowing,
  browserSuiteBlocker,
  sharedBrowser,
  startCall,
  stateOf,
  statusText,
  uidOf,
  waitForState,
} from './support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`background tests skipped: ${blocker}`);


/** Holds the page's main thread for `ms`: its scripts stop, as in a frozen tab. */
function holdScripts(page: Page, ms: number): Promise<void> {
  return page.evaluate((ms) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // busy: no task, timer or listener of this page runs
    }
  }, ms);
}

/**
 * Stops the page's scripts until the returned function is called (the debugger's pause: the
 * next task of the page's JavaScript waits, as in a frozen tab), for a stop whose end is an
 * event rather than a length.
 */
async function pauseScripts(page: Page): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Debugger.enable');
  await cdp.send('Debugger.pause');
  return async () => {
    await cdp.send('Debugger.resume').catch(() => {}); // not paused yet: nothing to resume
    await cdp.send('Debugger.disable');
    await cdp.detach();
  };
}

describe.skipIf(blocker)('a page in the background', () => {
  const browser = sharedBrowser();

  it('scripts stopped for 20 s (screen off), then back: still in the call, the seat kept', async () => {
    const { ana, ben, close } = await startCall(browser(), 'screen off');
    const held = holdScripts(ben.page, 20_000);
    const seenByAna = new Set<string>();
    // Sampled while Ben's page is stopped: Ana must never be told Ben left.
    for (let t = 0; t < 20; t++) {
      seenByAna.add(await stateOf(ana));
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await held;
    expect([...seenByAna].filter((s) => s.startsWith('call:waiting'))).toEqual([]);
    await bothFlowing(ana.page, ben.page, 30_000);
    await close();
  });

  it('away longer than the presence timeout: the other is told, and coming back reconnects by itself', async () => {
    const { room, ana, ben, close } = await startCall(browser(), 'long background');
    const benUid = await uidOf(ben.page);
    // Ben's scripts stay stopped until Ana has been told (a fixed 10 s stop was sometimes over
    // before she noticed on a loaded machine, and she saw him come back instead).
    const resume = await pauseScripts(ben.page);
    try {
      // Time passing for Ben's seat (backdated by 200 s), rather than a 2-minute wait.
      await backdateSeat(room, benUid, 200_000);
      await waitForState(ana.page, /call:waiting/, 20_000);
      expect(await statusText(ana.page)).toMatch(/other person left/i);
    } finally {
      await resume();
    }
    await bothFlowing(ana.page, ben.page, 60_000);
    await close();
  });
});
