// The phone's own ways into a call (app/native.ts), in two real Chromium pages on the emulators:
// the system's media controls (Media Session), the tab title, and "Notify me" on the waiting
// screen. Faked, and only these: the page's visibility (headless Chromium keeps every tab
// visible, so an init script makes document.visibilityState say 'hidden' on request), and a
// wrapper that records what the page hands to navigator.mediaSession and to Notification
// (the real ones are called as well).
import { describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from '@playwright/test';
import { browserSuiteBlocker, joinRoom, newPerson, openApp, screenshot, sharedBrowser, uniqueRoom, waitForState, bothFlowing, BASE_URL } from './support.ts';
import { remoteStatus, remoteStatusWithin } from './controls-support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`browser tests skipped: ${blocker}`);

interface Recorded {
  handlers: string[];
  mic: boolean[];
  camera: boolean[];
  notes: { title: string; body: string }[];
}

/** Records Media Session handlers and notifications, and lets the test hide the page. */
async function recordNative(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const w = window as unknown as { __native: Recorded & { run: Record<string, () => void> }; __setHidden: (h: boolean) => void };
    w.__native = { handlers: [], mic: [], camera: [], notes: [], run: {} };
    const ms = navigator.mediaSession as MediaSession & Record<string, unknown>;
    const set = ms.setActionHandler.bind(ms);
    ms.setActionHandler = ((action: string, handler: (() => void) | null) => {
      if (handler) w.__native.run[action] = handler;
      else delete w.__native.run[action];
      w.__native.handlers = Object.keys(w.__native.run).sort();
      set(action as MediaSessionAction, handler);
    }) as MediaSession['setActionHandler'];
    ms.setMicrophoneActive = async (on: boolean) => void w.__native.mic.push(on);
    ms.setCameraActive = async (on: boolean) => void w.__native.camera.push(on);
    const Real = window.Notification;
    window.Notification = class extends Real {
      constructor(title: string, options?: NotificationOptions) {
        w.__native.notes.push({ title, body: options?.body ?? '' });
        super(title, options);
      }
    } as typeof Notification;
    let hidden = false;
    Object.defineProperty(document, 'visibilityState', { get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(document, 'hidden', { get: () => hidden });
    w.__setHidden = (h: boolean) => {
      hidden = h;
      document.dispatchEvent(new Event('visibilitychange'));
    };
  });
}

const recorded = (page: Page) => page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { __native: Recorded }).__native)) as Recorded);
const runAction = (page: Page, action: string) => page.evaluate((a) => (window as unknown as { __native: { run: Record<string, () => void> } }).__native.run[a]!(), action);
const setHidden = (page: Page, hidden: boolean) => page.evaluate((h) => (window as unknown as { __setHidden: (h: boolean) => void }).__setHidden(h), hidden);

describe.skipIf(blocker)('the phone’s own controls', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('the system’s mute, camera and hang-up controls do what the buttons do, and say what is sent; the tab title follows the call', async () => {
    const room = uniqueRoom('sofa call');
    const ana = await newPerson(browser());
    const ben = await newPerson(browser(), { viewport: { width: 1280, height: 800 } });
    try {
      await recordNative(ana.context);
      await openApp(ana.page);
      expect(await recorded(ana.page)).toMatchObject({ handlers: [] }); // not before a call
      await joinRoom(ana.page, room);
      await waitForState(ana.page, /call:waiting/);
      await expect.poll(() => ana.page.title()).toBe(`Waiting in “${room}” — Duet`);
      expect((await recorded(ana.page)).handlers).toEqual(expect.arrayContaining(['hangup', 'togglecamera', 'togglemicrophone']));
      await openApp(ben.page);
      await joinRoom(ben.page, room);
      await bothFlowing(ana.page, ben.page);
      await expect.poll(() => ana.page.title()).toBe(`In a call in “${room}” — Duet`);

      await runAction(ana.page, 'togglemicrophone');
      await remoteStatusWithin(ben.page, /^muted$/, Date.now());
      expect(await ana.page.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed')).toBe('true');
      expect((await recorded(ana.page)).mic.at(-1)).toBe(false);
      await runAction(ana.page, 'togglecamera');
      await remoteStatusWithin(ben.page, /^muted, camera off$/, Date.now());
      expect((await recorded(ana.page)).camera.at(-1)).toBe(false);
      await runAction(ana.page, 'togglecamera');
      await runAction(ana.page, 'togglemicrophone');
      await expect.poll(() => remoteStatus(ben.page)).toBe('');
      expect(await recorded(ana.page)).toMatchObject({ mic: expect.arrayContaining([false, true]), camera: expect.arrayContaining([false, true]) });
      expect((await recorded(ana.page)).mic.at(-1)).toBe(true);

      // The system's picture-in-picture (Chromium offers it for a call's tab when hidden): the
      // other person's picture goes in the floating window, and comes back with the page.
      expect(await ana.page.evaluate(() => document.pictureInPictureEnabled), 'picture-in-picture in this Chromium').toBe(true);
      expect(await recorded(ana.page).then((r) => r.handlers)).toContain('enterpictureinpicture');
      await runAction(ana.page, 'enterpictureinpicture');
      const inWindow = () => ana.page.evaluate(() => (document.pictureInPictureElement as HTMLElement | null)?.dataset.testid ?? null);
      await expect.poll(inWindow).toBe('remote-video');
      await setHidden(ana.page, true);
      await setHidden(ana.page, false);
      await expect.poll(inWindow).toBe(null);

      await runAction(ana.page, 'hangup');
      await waitForState(ana.page, /naming/);
      await waitForState(ben.page, /call:waiting/, 30_000);
      expect((await recorded(ana.page)).handlers).toEqual([]); // cleared with the call
      await expect.poll(() => ana.page.title()).toBe('Duet — a video call for two');
    } finally {
      await Promise.all([ana.close(), ben.close()]);
    }
  });

  it('“Notify me” asks only when pressed; the other person arriving while the page is hidden is a notification and the title', async () => {
    const room = uniqueRoom('notify me');
    const ana = await newPerson(browser());
    const ben = await newPerson(browser());
    try {
      await recordNative(ana.context);
      await ana.context.grantPermissions(['camera', 'microphone', 'notifications'], { origin: new URL(BASE_URL).origin });
      await openApp(ana.page);
      await joinRoom(ana.page, room);
      await waitForState(ana.page, /call:waiting/);
      const notify = ana.page.getByRole('button', { name: 'Notify me when they join' });
      await expect.poll(() => notify.isVisible()).toBe(true);
      expect(await notify.getAttribute('aria-pressed')).toBe('false');
      await notify.click();
      await expect.poll(() => notify.getAttribute('aria-pressed')).toBe('true');
      await screenshot(ana.page, 'phone-waiting-notify-on');

      await setHidden(ana.page, true);
      await openApp(ben.page);
      await joinRoom(ben.page, room);
      await expect.poll(() => recorded(ana.page).then((r) => r.notes), { timeout: 30_000 }).toEqual([{ title: `Someone joined “${room}”`, body: 'Tap to go back to the call.' }]);
      await expect.poll(() => ana.page.title()).toBe(`Someone joined “${room}” — Duet`);
      await setHidden(ana.page, false);
      await expect.poll(() => ana.page.title()).toMatch(/^In a call in “/);
      await bothFlowing(ana.page, ben.page);
    } finally {
      await Promise.all([ana.close(), ben.close()]);
    }
  });

  it('notifications refused: the button says they are blocked and how to allow them; nothing is shown', async () => {
    const room = uniqueRoom('no notes');
    const ana = await newPerson(browser());
    try {
      await recordNative(ana.context);
      // Not granted: headless Chromium's permission says "denied" from the start (as a browser
      // whose person refused before), so the button says so without asking.
      await openApp(ana.page);
      await joinRoom(ana.page, room);
      await waitForState(ana.page, /call:waiting/);
      expect(await ana.page.evaluate(() => Notification.permission)).toBe('denied');
      const blocked = ana.page.getByRole('button', { name: /Notifications are blocked: allow them for this site/ });
      await expect.poll(() => blocked.isVisible()).toBe(true);
      await blocked.click(); // asks again: still refused, still saying why
      await expect.poll(() => blocked.isVisible()).toBe(true);
      expect(await blocked.getAttribute('aria-pressed')).toBe('false');
      await screenshot(ana.page, 'phone-waiting-notify-blocked');
      expect((await recorded(ana.page)).notes).toEqual([]);
    } finally {
      await ana.close();
    }
  });
});
