// Duet on a phone (issue 5): during a real call between a phone (Pixel 7 viewport,
// touch) and a desktop, the layout fits portrait and landscape from 360x640 up with
// nothing off screen, the controls are thumb-sized, the picture-in-picture can be
// dragged to any corner and keeps clear of notches and the home bar, and switching
// between front and back camera keeps the call going.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devices, type Browser, type Page } from '@playwright/test';
import {
  bothFlowing,
  browserSuiteBlocker,
  expectRemoteVideoFlowing,
  joinRoom,
  launchChromium,
  newPerson,
  openApp,
  screenshot,
  stateOf,
  type ChromiumPerson,
  uniqueRoom,
  waitForState,
} from './support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`browser tests skipped: ${blocker}`);

/** Two fake cameras, as a phone has (front and back), so the app shows its camera switch by itself. */
const launchWithTwoCameras = (): Promise<Browser> => launchChromium({ cameras: 2 });

/** A person on a Pixel 7: its viewport, pixel ratio, user agent, touch. */
function newPhone(browser: Browser): Promise<ChromiumPerson> {
  const { viewport, deviceScaleFactor, isMobile, hasTouch, userAgent } = devices['Pixel 7']!;
  return newPerson(browser, { viewport, deviceScaleFactor, isMobile, hasTouch, userAgent, label: 'phone' });
}

const SIZES: { name: string; width: number; height: number; shot?: string }[] = [
  { name: 'Pixel 7 portrait', ...devices['Pixel 7']!.viewport, shot: 'portrait' },
  { name: '360x640', width: 360, height: 640 },
  { name: 'Pixel 7 landscape', ...devices['Pixel 7 landscape']!.viewport, shot: 'landscape' },
  { name: '640x360', width: 640, height: 360 },
];

/** Waits for running CSS transitions (the PiP shrinking into its corner, cards rising) to finish. */
async function settled(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => a instanceof CSSTransition || (a instanceof CSSAnimation && a.effect?.getTiming().iterations !== Infinity))
        .map((a) => a.finished.catch(() => undefined)),
    ).then(() => undefined),
  );
}

/** Turns the phone through every size in SIZES, checking the layout in each and taking `phone-<orientation>-<label>` screenshots. */
async function checkEverySize(page: Page, label: string): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await expect.poll(() => page.evaluate(() => [window.innerWidth, window.innerHeight])).toEqual([size.width, size.height]);
    await settled(page);
    expect(await layoutProblems(page), `${label}, ${size.name}`).toEqual([]);
    expect(await controlProblems(page), `${label}, ${size.name}`).toEqual([]);
    const pip = await pipBox(page);
    expect(pip.width, `${label}, ${size.name}: PiP width`).toBeGreaterThanOrEqual(96);
    expect(pip.width, `${label}, ${size.name}: PiP is small`).toBeLessThanOrEqual(size.width * 0.35);
    if (size.shot) await screenshot(page, `phone-${size.shot}-${label}`);
  }
  await page.setViewportSize(devices['Pixel 7']!.viewport);
}

async function startCall(phone: Page, other: Page, label: string, whileWaiting?: () => Promise<void>): Promise<void> {
  const room = uniqueRoom(label);
  await openApp(phone);
  await joinRoom(phone, room);
  await waitForState(phone, /call:waiting/);
  await whileWaiting?.();
  await openApp(other);
  await joinRoom(other, room);
  await bothFlowing(phone, other);
}

type Box = { left: number; top: number; right: number; bottom: number; width: number; height: number };

/** What a person would call broken: scrolling, anything cut off by the screen's edges, the PiP over the controls. */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const se = document.scrollingElement!;
    if (se.scrollWidth > se.clientWidth) problems.push(`the page scrolls sideways (${se.scrollWidth} > ${se.clientWidth})`);
    if (se.scrollHeight > se.clientHeight) problems.push(`the page scrolls up and down (${se.scrollHeight} > ${se.clientHeight})`);
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const name = (el: Element) => `<${el.tagName.toLowerCase()} class="${el.getAttribute('class') ?? ''}">`;
    const at = (r: DOMRect) => `${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)}`;
    for (const el of document.querySelectorAll('.app *')) {
      if (el.closest('.remote-empty, svg') || !el.checkVisibility()) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.left < -0.5 || r.top < -0.5 || r.right > vw + 0.5 || r.bottom > vh + 0.5) {
        problems.push(`${name(el)} at ${at(r)} leaves the ${vw}x${vh} screen`);
      }
    }
    const overlap = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const pip = document.querySelector('[data-testid="local-video"]')!.getBoundingClientRect();
    for (const sel of ['.controls', '.room-label', '.update-banner', '.status', '.alert', '.invite', '.remote-status', '.quality']) {
      const el = document.querySelector(sel);
      const shown = el?.checkVisibility({ opacityProperty: true }) && el.textContent?.trim() !== '';
      const r = el?.getBoundingClientRect();
      if (shown && r && overlap(pip, r)) problems.push(`the picture-in-picture at ${at(pip)} covers ${sel} at ${at(r)}`);
    }
    return problems;
  });
}

/** The call controls a thumb needs: visible, on screen, at least 44 px each way. */
async function controlProblems(page: Page): Promise<string[]> {
  const { width, height } = page.viewportSize()!;
  const problems: string[] = [];
  for (const name of ['Mute', 'Camera off', 'Leave']) {
    const button = page.getByRole('button', { name, exact: true });
    const box = await button.boundingBox();
    if (!box || !(await button.isVisible())) {
      problems.push(`${name} is not visible`);
      continue;
    }
    if (box.width < 44 || box.height < 44) problems.push(`${name} is ${box.width}x${box.height}, smaller than 44x44`);
    if (box.x < 0 || box.y < 0 || box.x + box.width > width || box.y + box.height > height) problems.push(`${name} is off screen`);
  }
  return problems;
}

function pipBox(page: Page): Promise<Box> {
  return page.evaluate(() => {
    const r = document.querySelector('[data-testid="local-video"]')!.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
  });
}

/** Drags with one finger (real touch events through the DevTools protocol, so pointerType is "touch"). */
async function touchDrag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from.x, y: from.y }] });
  const steps = 8;
  for (let i = 1; i <= steps; i++) {
    const x = from.x + ((to.x - from.x) * i) / steps;
    const y = from.y + ((to.y - from.y) * i) / steps;
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

/** Drags the PiP by its centre towards `to`, and waits until it has settled in a corner. */
async function dragPip(page: Page, to: { x: number; y: number }): Promise<{ corner: string; box: Box }> {
  const start = await pipBox(page);
  await touchDrag(page, { x: start.left + start.width / 2, y: start.top + start.height / 2 }, to);
  // Settled: two samples a frame apart agree (the snap is a short CSS transition).
  let last = await pipBox(page);
  await expect
    .poll(async () => {
      const now = await pipBox(page);
      const still = Math.abs(now.left - last.left) < 0.5 && Math.abs(now.top - last.top) < 0.5;
      last = now;
      return still && (await page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running' && (a as CSSTransition).transitionProperty === 'translate').length)) === 0;
    })
    .toBe(true);
  const corner = await page.getByTestId('local-video').getAttribute('data-corner');
  return { corner: corner ?? '', box: last };
}

describe.skipIf(blocker)('Duet on a phone', () => {
  // The phone has two cameras (720p, Chromium's built-in fakes); the desktop on the other end
  // has the suites' small camera, so the pair costs the 2-core machines half as much.
  let browser: Browser;
  let desktop: Browser;
  beforeAll(async () => {
    [browser, desktop] = await Promise.all([launchWithTwoCameras(), launchChromium()]);
  });
  afterAll(async () => {
    await Promise.all([browser?.close(), desktop?.close()]);
  });

  it('in a call, portrait and landscape from 360x640 up fit the screen, controls are thumb-sized, and the picture-in-picture can be dragged to any corner', async () => {
    const ana = await newPhone(browser);
    const ben = await newPerson(desktop, { viewport: { width: 1280, height: 800 } });
    // Alone in the room (the invite card is up), then in the call: rotating the
    // phone, and the smallest phones supported, both ways round.
    await startCall(ana.page, ben.page, 'phone layout', () => checkEverySize(ana.page, 'waiting'));
    await checkEverySize(ana.page, 'call');
    expect(await layoutProblems(ben.page), 'desktop').toEqual([]);
    await screenshot(ben.page, 'desktop-call');

    // Dragging the PiP: it follows the finger and snaps to the nearest corner, in both orientations.
    for (const size of [devices['Pixel 7']!.viewport, devices['Pixel 7 landscape']!.viewport]) {
      await ana.page.setViewportSize(size);
      const { width, height } = size;
      const bottomLeft = await dragPip(ana.page, { x: width * 0.2, y: height * 0.7 });
      expect(bottomLeft.corner).toBe('bottom-left');
      expect(bottomLeft.box.left).toBeLessThan(width / 4);
      expect(bottomLeft.box.top).toBeGreaterThan(height / 3);
      expect(await layoutProblems(ana.page)).toEqual([]); // above the call bar, not under it
      const topLeft = await dragPip(ana.page, { x: width * 0.3, y: height * 0.25 });
      expect(topLeft.corner).toBe('top-left');
      expect(topLeft.box.top).toBeLessThan(height / 4);
      expect(await layoutProblems(ana.page)).toEqual([]); // the room name moved out of its way
      const bottomRight = await dragPip(ana.page, { x: width * 0.9, y: height * 0.6 });
      expect(bottomRight.corner).toBe('bottom-right');
      expect(bottomRight.box.right).toBeGreaterThan((width * 3) / 4);
      const topRight = await dragPip(ana.page, { x: width * 0.6, y: 10 });
      expect(topRight.corner).toBe('top-right');
      expect(await layoutProblems(ana.page)).toEqual([]);
    }

    // A notch and a home bar (safe-area insets): the PiP, the room name and the controls keep clear of them.
    await ana.page.setViewportSize(devices['Pixel 7']!.viewport);
    const cdp = await ana.context.newCDPSession(ana.page);
    await cdp.send('Emulation.setSafeAreaInsetsOverride', { insets: { top: 48, bottom: 34, left: 0, right: 0 } });
    await expect.poll(async () => (await pipBox(ana.page)).top).toBeGreaterThanOrEqual(48);
    const leave = (await ana.page.getByRole('button', { name: 'Leave' }).boundingBox())!;
    expect(leave.y + leave.height).toBeLessThanOrEqual(839 - 34);
    expect((await ana.page.locator('.topbar').boundingBox())!.y).toBeGreaterThanOrEqual(48);
    await ana.page.setViewportSize(devices['Pixel 7 landscape']!.viewport);
    await cdp.send('Emulation.setSafeAreaInsetsOverride', { insets: { top: 0, bottom: 21, left: 48, right: 48 } });
    await expect.poll(async () => (await pipBox(ana.page)).right).toBeLessThanOrEqual(863 - 48);
    expect((await ana.page.locator('.topbar').boundingBox())!.x).toBeGreaterThanOrEqual(48);
    expect(await layoutProblems(ana.page)).toEqual([]);
    await cdp.send('Emulation.setSafeAreaInsetsOverride', { insets: {} });

    // Through all of it the call never dropped.
    expect(await stateOf(ana)).toBe('call:connected');
    await expectRemoteVideoFlowing(ben.page);
    await Promise.all([ana.context.close(), ben.context.close()]);
  }, 180_000); // 71 s in the last full CI run, once over the group's 120 s under load (2026-11-30)

  it('switching between front and back camera during a call keeps the call going (replaceTrack, no renegotiation)', async () => {
    const ana = await newPhone(browser);
    const ben = await newPerson(desktop, { viewport: { width: 1280, height: 800 } });
    await startCall(ana.page, ben.page, 'camera switch');
    // Every state either page passes through from here on.
    for (const page of [ana.page, ben.page]) {
      await page.evaluate(() => {
        const seen: string[] = ((window as unknown as { __states: string[] }).__states = []);
        const app = document.querySelector<HTMLElement>('main.app')!;
        const state = () => `${app.dataset.screen}:${app.dataset.phase}`;
        let last = state();
        new MutationObserver(() => {
          const now = state();
          if (now !== last) seen.push((last = now));
        }).observe(app, { attributeFilter: ['data-screen', 'data-phase'] });
      });
    }
    const localTrack = () =>
      ana.page.evaluate(() => {
        const video = document.querySelector<HTMLVideoElement>('[data-testid="local-video"]')!;
        const track = (video.srcObject as MediaStream).getVideoTracks()[0]!;
        return { id: track.id, live: track.readyState === 'live', mirrored: video.classList.contains('mirrored') };
      });
    const remoteTrackId = () => ben.page.evaluate(() => (document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')!.srcObject as MediaStream).getVideoTracks()[0]!.id);

    const flip = ana.page.getByRole('button', { name: 'Switch camera' });
    expect(await flip.isVisible()).toBe(true); // shown because this phone has two cameras
    const box = (await flip.boundingBox())!;
    expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(44);
    const front = await localTrack();
    expect(front.mirrored).toBe(true);
    const received = await remoteTrackId();

    await flip.tap();
    await expect.poll(async () => (await localTrack()).id).not.toBe(front.id);
    expect(await localTrack()).toMatchObject({ live: true, mirrored: false }); // the back camera is not shown as a mirror
    // Ben keeps receiving on the same track (the sender's track was replaced, nothing renegotiated), and frames keep coming.
    await expectRemoteVideoFlowing(ben.page);
    expect(await remoteTrackId()).toBe(received);

    await flip.tap();
    await expect.poll(async () => (await localTrack()).mirrored).toBe(true);
    await expectRemoteVideoFlowing(ben.page);
    await expectRemoteVideoFlowing(ana.page);
    for (const page of [ana.page, ben.page]) {
      expect(await page.evaluate(() => (window as unknown as { __states: string[] }).__states)).toEqual([]);
      expect(await stateOf(page)).toBe('call:connected');
    }
    await Promise.all([ana.context.close(), ben.context.close()]);
  });
});
