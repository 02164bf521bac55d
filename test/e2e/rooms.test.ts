// Rooms, names and seats (issue 2, stories 6-9): who meets whom, invite links, Leave, reload.
import { describe, expect, it } from 'vitest';
import {
  alertText,
  bothFlowing,
  browserSuiteBlocker,
  expectRemoteVideoFlowing,
  joinRoom,
  newPerson,
  openApp,
  sharedBrowser,
  startCall,
  statusText,
  uniqueRoom,
  waitForState,
} from './support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`browser tests skipped: ${blocker}`);

describe.skipIf(blocker)('rooms, names and seats', () => {
  const browser = sharedBrowser();

  it('two spellings of one name meet; two different names do not', async () => {
    const base = uniqueRoom('Sunday Lunch');
    const [ana, ben, cat, dan] = await Promise.all([1, 2, 3, 4].map(() => newPerson(browser())));
    await openApp(ana.page);
    await joinRoom(ana.page, base);
    await waitForState(ana.page, /call:waiting/);
    await openApp(ben.page);
    // Phones capitalise, people add spaces.
    await joinRoom(ben.page, `  ${base.toUpperCase().replace(' ', '   ')} `);
    await waitForState(ben.page, /call:connected/);
    await waitForState(ana.page, /call:connected/);

    // "x." and "x/" are other names: their own rooms, each alone.
    await openApp(cat.page);
    await joinRoom(cat.page, `${base}.`);
    await openApp(dan.page);
    await joinRoom(dan.page, `${base}/`);
    await waitForState(cat.page, /call:waiting/);
    await waitForState(dan.page, /call:waiting/);
    await Promise.all([ana, ben, cat, dan].map((p) => p.context.close()));
  });

  it('the invite link joins the room without asking for its name', async () => {
    const room = uniqueRoom('Invite / me?');
    const [ana, ben] = await Promise.all([newPerson(browser()), newPerson(browser())]);
    await openApp(ana.page);
    await joinRoom(ana.page, room);
    await waitForState(ana.page, /call:waiting/);
    const link = (await ana.page.locator('.invite-link').getAttribute('href')) ?? '';
    expect(await ana.page.locator('.invite-link').textContent()).toContain(room); // readable, not percent-encoded
    expect(new URL(link).searchParams.get('room')).toBe(room);
    await ben.page.goto(link);
    await waitForState(ben.page, /call:connected/);
    await expectRemoteVideoFlowing(ana.page);
    await expectRemoteVideoFlowing(ben.page);
    expect(await ben.page.getByRole('textbox', { name: /room/i }).isVisible()).toBe(false);
    await Promise.all([ana.context.close(), ben.context.close()]);
  });

  it('Leave ends the call and frees the seat for a newcomer', async () => {
    const { room, ana, ben } = await startCall(browser(), 'musical chairs');
    const cat = await newPerson(browser());

    await ben.page.getByRole('button', { name: 'Leave' }).click();
    await waitForState(ben.page, /naming/);
    expect(await statusText(ben.page)).toContain('You left');
    await waitForState(ana.page, /call:waiting/);
    expect(await statusText(ana.page)).toContain('The other person left');

    await openApp(cat.page);
    await joinRoom(cat.page, room);
    await bothFlowing(ana.page, cat.page);
    await Promise.all([ana.context.close(), ben.context.close(), cat.context.close()]);
  });

  it('reloading during a call rejoins the same seat and the call resumes', async () => {
    const { room, ana, ben } = await startCall(browser(), 'reload me');
    await ben.page.reload();
    await bothFlowing(ana.page, ben.page);
    // Same seat: a third person still finds the room full.
    const cat = await newPerson(browser());
    await openApp(cat.page);
    await joinRoom(cat.page, room);
    await expect.poll(() => alertText(cat.page), { timeout: 20_000 }).toMatch(/is full/);
    await Promise.all([ana.context.close(), ben.context.close(), cat.context.close()]);
  });
});
