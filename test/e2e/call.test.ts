// The two-person call, one scenario per user story (issue 2).
import { describe, expect, it } from 'vitest';
import {
  alertText,
  bothFlowing,
  browserSuiteBlocker,
  emulatorRest,
  expectRemoteVideoFlowing,
  joinRoom,
  newPerson,
  openApp,
  remoteHasLiveAudio,
  roomInput,
  roomPath,
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

  it('a friend who typed the name before pressing Join takes the seat and answers in one request, and they see each other', async () => {
    const room = uniqueRoom('typed ahead');
    const ana = await newPerson(browser());
    const ben = await newPerson(browser());
    // Ben has the name typed before Ana's room exists: his page watches the room from the prompt.
    await openApp(ben.page);
    await waitForState(ben.page, /naming/);
    await roomInput(ben.page).fill(room);
    await openApp(ana.page);
    await joinRoom(ana.page, room);
    await waitForState(ana.page, /call:waiting/);
    await expect.poll(async () => (await emulatorRest(roomPath(room)).then((r) => r.json()))?.fields?.offer?.mapValue, { timeout: 20_000 }).toBeTruthy();
    // The time a person takes to reach the Join button, not a wait for a result.
    await new Promise((r) => setTimeout(r, 1_500));
    const requests: string[] = [];
    ben.page.on('request', (r) => void requests.push(new URL(r.url()).pathname));
    await ben.page.getByRole('button', { name: 'Join', exact: true }).click();
    await bothFlowing(ana.page, ben.page);
    const firestore = requests.filter((p) => /documents:(batchGet|commit)$/.test(p)).map((p) => p.split(':').at(-1));
    // One commit with the seat and the answer; no read of the room first (it was already seen).
    expect(firestore[0], `Firestore requests after the click: ${firestore.join(', ')}`).toBe('commit');
    expect(firestore, `Firestore requests after the click: ${firestore.join(', ')}`).not.toContain('batchGet');
    expect(await remoteHasLiveAudio(ben.page)).toBe(true);
    await Promise.all([ana.context.close(), ben.context.close()]);
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
