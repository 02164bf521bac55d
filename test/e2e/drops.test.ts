// Whoever drops comes back (story 7), for the drops that need no network fault: a reloaded
// page and a closed tab. They share nothing with the fault suite's cut network, so they run
// with the other Chromium scenarios, side by side, instead of in the faults' tail alone.
import { describe, expect, it } from 'vitest';
import {
  alertText,
  backdateSeat,
  bothFlowing,
  browserSuiteBlocker,
  emulatorRest,
  joinRoom,
  newPerson,
  openApp,
  roomPath,
  sharedBrowser,
  startCall,
  statusText,
  uidOf,
  waitForState,
} from './support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`drop tests skipped: ${blocker}`);

describe.skipIf(blocker)('calls survive drops', () => {
  const browser = sharedBrowser();
  const connectedPair = (label: string) => startCall(browser(), label);

  it('a closed tab: the other is told, and the seat frees up after the presence timeout for someone new', async () => {
    const { room, ana, ben } = await connectedPair('closed tab');
    const benUid = await uidOf(ben.page);
    await ben.context.close(); // no Leave: the tab just goes away
    await waitForState(ana.page, /call:reconnecting/, 30_000);
    await expect.poll(() => statusText(ana.page), { timeout: 30_000 }).toMatch(/waiting for the other person to come back/);

    // Ben's seat is not stale yet: a newcomer finds the room full.
    const cat = await newPerson(browser());
    await openApp(cat.page);
    await joinRoom(cat.page, room);
    await expect.poll(() => alertText(cat.page), { timeout: 20_000 }).toMatch(/is full/);

    // Let the presence timeout pass for Ben's seat (backdated by 200 s, as an administrator).
    await backdateSeat(room, benUid, 200_000);
    await waitForState(ana.page, /call:waiting/, 20_000);
    expect(await statusText(ana.page)).toMatch(/other person left/i);

    await joinRoom(cat.page, room);
    await bothFlowing(ana.page, cat.page, 60_000);
    await Promise.all([ana.context.close(), cat.context.close()]);
  });

  it('10 reloads in a row, each side in turn: the call resumes every time and signaling documents do not pile up', { timeout: 300_000 }, async () => {
    const { room, ana, ben, close } = await connectedPair('reload marathon');
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = Date.now();
      await (i % 2 ? ana : ben).page.reload();
      await bothFlowing(ana.page, ben.page, 60_000);
      times.push(Date.now() - t);
    }
    console.log(`reload to both flowing again (ms, includes polling): ${times.join(' ')}`);
    const peers = await emulatorRest(`${roomPath(room)}/peers`);
    const docs = ((await peers.json()) as { documents?: unknown[] }).documents ?? [];
    expect(docs.length).toBeLessThanOrEqual(2); // one outbox per person, overwritten in place
    await close();
  });
});
