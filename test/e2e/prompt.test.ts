// Asking for camera, microphone and a room name (issue 2, stories 1, 2 and 5).
import { describe, expect, it } from 'vitest';
import {
  alertText,
  browserSuiteBlocker,
  joinRoom,
  launchChromium,
  newPerson,
  openApp,
  roomInput,
  screenshot,
  sharedBrowser,
  stateOf,
  statusText,
  uniqueRoom,
  waitForState,
} from './support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`browser tests skipped: ${blocker}`);

describe.skipIf(blocker)('the room prompt', () => {
  const browser = sharedBrowser();

  it('asks for camera and microphone on arrival, then for a room name', async () => {
    const { context, page } = await newPerson(browser());
    await page.addInitScript(() => {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      (window as unknown as { asked: MediaStreamConstraints[] }).asked = [];
      navigator.mediaDevices.getUserMedia = (c) => {
        (window as unknown as { asked: MediaStreamConstraints[] }).asked.push(c ?? {});
        return original(c);
      };
    });
    await openApp(page);
    await waitForState(page, /naming/);
    const asked = await page.evaluate(() => (window as unknown as { asked: MediaStreamConstraints[] }).asked);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.audio).toBeTruthy();
    expect(asked[0]!.video).toBeTruthy();
    await expect.poll(() => roomInput(page).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Join' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Cancel' }).isVisible()).toBe(true);
    // Your own picture is live behind the prompt.
    await expect
      .poll(() => page.evaluate(() => document.querySelector<HTMLVideoElement>('[data-testid="local-video"]')!.videoWidth))
      .toBeGreaterThan(0);
    await screenshot(page, 'phone-room-prompt');
    await context.close();
  });

  it('an empty name, only spaces, or Cancel asks again with a reason', async () => {
    const { context, page } = await newPerson(browser());
    await openApp(page);
    await joinRoom(page, '');
    await expect.poll(() => alertText(page)).toMatch(/type a room name/i);
    await waitForState(page, /naming/);

    await joinRoom(page, '     ');
    await expect.poll(() => alertText(page)).toMatch(/spaces alone/i);
    await waitForState(page, /naming/);

    await roomInput(page).fill('never mind');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => statusText(page)).toMatch(/room name is needed/i);
    await waitForState(page, /naming/);
    expect(await roomInput(page).inputValue()).toBe('');
    expect(await roomInput(page).isVisible()).toBe(true);
    await context.close();
  });

  it('a very long name is refused with a clear message and nothing is lost', async () => {
    const { context, page } = await newPerson(browser());
    await openApp(page);
    const long = 'z'.repeat(2000);
    await joinRoom(page, long);
    await expect.poll(() => alertText(page)).toMatch(/up to 100 characters/);
    await waitForState(page, /naming/);
    // What was typed is still there to shorten.
    expect(await roomInput(page).inputValue()).toBe(long);
    await context.close();
  });

  it('names with HTML, slashes, dots, emoji and right-to-left text are shown as text and work', async () => {
    const { context, page } = await newPerson(browser());
    const tag = uniqueRoom('').trim();
    const names = [`<img src=x onerror="window.pwned=1"> ${tag}`, `../__x__/. ${tag}`, `שלום 🎉 ${tag}`];
    for (const name of names) {
      await page.goto('/');
      await joinRoom(page, name);
      await waitForState(page, /call:waiting/);
      expect(await statusText(page)).toContain(`“${name}”`);
      expect(await page.locator('.room-label').textContent()).toBe(name);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
      expect(await page.locator('main img').count()).toBe(0);
      if (name.startsWith('שלום')) await screenshot(page, 'phone-rtl-name');
      await page.getByRole('button', { name: 'Leave' }).click();
      await waitForState(page, /naming/);
    }
    await context.close();
  });
});

describe.skipIf(blocker)('camera and microphone are required', () => {
  it('denied permission says so, says what to do, and offers Try again', async () => {
    const browser = await launchChromium();
    const { page } = await newPerson(browser, { grant: false });
    await openApp(page);
    await waitForState(page, /media-error/);
    const alert = await alertText(page);
    expect(alert).toMatch(/needs your camera and microphone/);
    expect(alert).toMatch(/blocked/);
    expect(alert).toMatch(/allow camera and microphone/i);
    expect(await page.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    expect(await roomInput(page).isVisible()).toBe(false);
    await screenshot(page, 'phone-media-denied');

    // Granting it and pressing Try again carries on to the room prompt.
    await page.context().grantPermissions(['camera', 'microphone']);
    await page.getByRole('button', { name: 'Try again' }).click();
    await waitForState(page, /naming/);
    await browser.close();
  });

  it('no camera or microphone says none was found, and no room is joined', async () => {
    const browser = await launchChromium({ fakeDevices: false });
    const { page } = await newPerson(browser);
    const room = uniqueRoom('no devices');
    await page.goto(`/?room=${encodeURIComponent(room)}`);
    await waitForState(page, /media-error/);
    const alert = await alertText(page);
    expect(alert).toMatch(/needs your camera and microphone/);
    expect(alert).toMatch(/no camera or microphone was found/i);
    // The invite link did not put anyone in the room without media.
    expect(await stateOf(page)).toBe('media-error');
    await browser.close();
  });
});
