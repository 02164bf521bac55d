// The two-person call, one scenario per user story (issue 2).
import { describe, expect, it } from 'vitest';
import {
  alertText,
  browserSuiteBlocker,
  expectRemoteVideoFlowing,
  joinRoom,
  newPerson,
  openApp,
  remoteHasLiveAudio,
  screenshot,
  sharedBrowser,
  startCall,
  stateOf,
  statusText,
  uniqueRoom,
  waitForState,
} from './support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`browser tests skipped: ${blocker}`);

describe.skipIf(blocker)('a call between two people', () => {
  const browser = sharedBrowser();

  it('two people typing the same name see and hear each other', async () => {
    const room = uniqueRoom('Friday tea');
    const ana = await newPerson(browser());
    const ben = await newPerson(browser(), { viewport: { width: 1280, height: 800 } });
    await openApp(ana.page);
    await joinRoom(ana.page, room);
    await waitForState(ana.page, /call:waiting/);
    expect(await statusText(ana.page)).toContain('Waiting for someone to join');
    await screenshot(ana.page, 'phone-waiting');

    await openApp(ben.page);
    await joinRoom(ben.page, room);
    await waitForState(ana.page, /call:connected/);
    await waitForState(ben.page, /call:connected/);
    await expectRemoteVideoFlowing(ana.page);
    await expectRemoteVideoFlowing(ben.page);
    expect(await remoteHasLiveAudio(ana.page)).toBe(true);
    expect(await remoteHasLiveAudio(ben.page)).toBe(true);
    await screenshot(ana.page, 'phone-in-call');
    await screenshot(ben.page, 'desktop-in-call');
    await ana.context.close();
    await ben.context.close();
  });

  it('a third person is told the room is full while the two keep talking', async () => {
    const { room, ana, ben, close } = await startCall(browser(), 'full house');
    const cat = await newPerson(browser());
    await openApp(cat.page);
    await joinRoom(cat.page, room);
    await expect.poll(() => alertText(cat.page), { timeout: 20_000 }).toMatch(/is full/);
    await waitForState(cat.page, /naming/);
    await screenshot(cat.page, 'phone-room-full');
    // The two in the call are not disturbed.
    await expectRemoteVideoFlowing(ana.page);
    await expectRemoteVideoFlowing(ben.page);
    expect(await stateOf(ana)).toBe('call:connected');
    await Promise.all([close(), cat.context.close()]);
  });
});
