// Issue #12, "the server learns nothing it does not need": the database read as its administrator
// during and after a real call, the pagehide cleanup, and the cost of the room-name key derivation.
import { describe, expect, it } from 'vitest';
import type { Page } from '@playwright/test';
import { KDF_ITERATIONS } from '../../src/signaling/crypto.ts';
import { parseRoomName } from '../../src/rooms/names.ts';
import {
  emulatorRest,
  browserSuiteBlocker,
  joinRoom,
  newPerson,
  openApp,
  roomPath,
  sharedBrowser,
  startCall,
  uniqueRoom,
  waitForState,
  bothFlowing,
} from './support.ts';
import { roomDocId, TEST_PROJECT } from './room-id.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`privacy tests skipped: ${blocker}`);

interface RestDoc {
  name: string;
  fields?: Record<string, unknown>;
}

/** Every document in the emulator's database, found by walking every collection from the root. */
async function wholeDatabase(): Promise<RestDoc[]> {
  const out: RestDoc[] = [];
  const prefix = `projects/${TEST_PROJECT}/databases/(default)/documents`;
  async function collectionsOf(docPath: string): Promise<string[]> {
    const res = await emulatorRest(`${docPath}:listCollectionIds`, { method: 'POST', body: JSON.stringify({ pageSize: 1000 }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { collectionIds?: string[] }).collectionIds ?? [];
  }
  async function walk(docPath: string): Promise<void> {
    for (const c of await collectionsOf(docPath)) {
      const res = await emulatorRest(`${docPath}/${c}?pageSize=1000&showMissing=true`);
      expect(res.status).toBe(200);
      for (const d of ((await res.json()) as { documents?: RestDoc[] }).documents ?? []) {
        out.push(d);
        await walk(d.name.slice(d.name.indexOf(prefix) + prefix.length));
      }
    }
  }
  await walk('');
  return out;
}

/** What each page's peer connections hold that identifies its person: ICE credentials, DTLS fingerprints, addresses. */
async function secretsOf(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const found = new Set<string>();
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs ?? []) {
      for (const sdp of [pc.localDescription?.sdp, pc.remoteDescription?.sdp]) {
        for (const m of (sdp ?? '').matchAll(/a=(?:ice-ufrag|ice-pwd|fingerprint:\S+) ?(\S+)/g)) found.add(m[1]!);
        for (const m of (sdp ?? '').matchAll(/a=candidate:\S+ \d \S+ \d+ (\S+) (\d+)/g)) found.add(`${m[1]} ${m[2]}`).add(m[1]!);
      }
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((s) => {
        if ((s.type === 'local-candidate' || s.type === 'remote-candidate') && s.address) found.add(s.address as string);
      });
    }
    return [...found];
  });
}

const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/;
const SDP_WORDS = /v=0|a=candidate|candidate:|typ host|ice-ufrag|ice-pwd|fingerprint|IN IP4|a=rtpmap/i;

describe.skipIf(blocker)('privacy: what the database holds', () => {
  const browser = sharedBrowser();

  it('read as its administrator during a call, the database holds no room name, SDP, candidate or IP address in clear; after Leave, nothing of the room', async () => {
    const { room, ana, ben, close } = await startCall(browser(), 'Sunday with Grandma');
    const r = parseRoomName(room);
    if (!r.ok) throw new Error(r.message);
    const docId = roomDocId(room);

    // Wait until the room is as a call leaves it: two seats, and Ben's answer in his outbox.
    await expect.poll(async () => (await emulatorRest(`${roomPath(room)}/peers`)).status === 200 &&
      (((await (await emulatorRest(`${roomPath(room)}/peers`)).json()) as { documents?: unknown[] }).documents ?? []).length > 0, { timeout: 10_000 }).toBe(true);
    const docs = await wholeDatabase();
    const dump = JSON.stringify(docs);
    const mine = docs.filter((d) => d.name.includes(`/rooms/${docId}`));
    const secrets = [...(await secretsOf(ana.page)), ...(await secretsOf(ben.page))];

    // The test can see what it looks for: the room and its outboxes are there, and so are
    // credentials, fingerprints and addresses in the pages.
    expect(mine.map((d) => d.name.split(`/rooms/${docId}`)[1] || 'room').length).toBeGreaterThanOrEqual(2);
    expect(secrets.length).toBeGreaterThan(4);
    expect(secrets.some((s) => IPV4.test(s))).toBe(true);

    // Nothing of it in the database, in any room.
    for (const form of [room, r.display, r.key, encodeURIComponent(r.key), r.key.replaceAll(' ', '%20')]) {
      expect(dump.toLowerCase(), `room name ${JSON.stringify(form)}`).not.toContain(form.toLowerCase());
    }
    expect(dump).not.toMatch(SDP_WORDS);
    expect(dump).not.toMatch(IPV4);
    for (const s of secrets) expect(dump, `page secret ${s}`).not.toContain(s);

    // What the room holds, for docs/PRIVACY.md.
    const fieldsOf = (d: RestDoc) =>
      Object.entries(d.fields ?? {}).map(([k, v]) => `${k}${JSON.stringify(v).length > 200 ? ` (${JSON.stringify(v).length} B)` : `=${JSON.stringify(v)}`}`);
    for (const d of mine) console.log(`[privacy] ${d.name.split('/documents/')[1]}: ${fieldsOf(d).join(', ')}`);

    await ben.page.getByRole('button', { name: 'Leave' }).click();
    await waitForState(ana.page, /call:waiting/);
    await ana.page.getByRole('button', { name: 'Leave' }).click();
    await waitForState(ana.page, /naming/);
    await expect.poll(async () => (await wholeDatabase()).filter((d) => d.name.includes(`/rooms/${docId}`)).map((d) => d.name), { timeout: 10_000 }).toEqual([]);
    await close();
  });

  it('a person waiting alone who closes the tab takes the room with them (pagehide)', async () => {
    const room = uniqueRoom('closed while waiting');
    const ana = await newPerson(browser());
    await openApp(ana.page);
    await joinRoom(ana.page, room);
    await waitForState(ana.page, /call:waiting/);
    await expect.poll(async () => (await emulatorRest(roomPath(room))).status, { timeout: 10_000 }).toBe(200);
    // Closed the way a person closes a tab (beforeunload, pagehide, unload all run; Duet has no
    // beforeunload handler, so nothing asks to stay).
    await ana.page.close({ runBeforeUnload: true });
    // Without the cleanup the room would stay for the 24 h of its `expires`.
    await expect.poll(async () => (await emulatorRest(roomPath(room))).status, { timeout: 30_000 }).toBe(404);
    await ana.context.close();
  });

  it('a person waiting alone who reloads is still waiting in the room, and the next person reaches them', async () => {
    const room = uniqueRoom('reload while waiting');
    const [ana, ben] = await Promise.all([newPerson(browser()), newPerson(browser())]);
    await openApp(ana.page);
    await joinRoom(ana.page, room);
    await waitForState(ana.page, /call:waiting/);
    await ana.page.reload();
    await waitForState(ana.page, /call:waiting/);
    await openApp(ben.page);
    await joinRoom(ben.page, room);
    await bothFlowing(ana.page, ben.page);
    await Promise.all([ana.context.close(), ben.context.close()]);
  });

  it('"Generate a private name" fills the prompt with seven random words, and that room works', async () => {
    const ana = await newPerson(browser());
    await openApp(ana.page);
    const input = ana.page.getByRole('textbox', { name: /room/i });
    await expect.poll(() => input.isVisible(), { timeout: 30_000 }).toBe(true);
    await ana.page.getByRole('button', { name: 'Generate a private name' }).click();
    const first = await input.inputValue();
    expect(first).toMatch(/^[a-z]+( [a-z]+){6}$/);
    expect(await ana.page.locator('#room-hint').textContent()).toMatch(/nobody will guess/);
    await ana.page.getByRole('button', { name: 'Generate a private name' }).click();
    expect(await input.inputValue()).not.toBe(first);
    const name = await input.inputValue();
    await ana.page.getByRole('button', { name: 'Join' }).click();
    await waitForState(ana.page, /call:waiting/);
    await expect.poll(async () => (await emulatorRest(roomPath(name))).status, { timeout: 10_000 }).toBe(200);
    await ana.context.close();
  });

  it('measures the room-name key derivation in Chromium, as is and with the CPU throttled 4x', async () => {
    const { page, context } = await newPerson(browser());
    await openApp(page);
    const derive = (runs: number) =>
      page.evaluate(
        async ({ iterations, runs }) => {
          const enc = new TextEncoder();
          const times: number[] = [];
          let id = '';
          for (let i = 0; i < runs; i++) {
            const t0 = performance.now();
            const pw = await crypto.subtle.importKey('raw', enc.encode('sunday with grandma'), 'PBKDF2', false, ['deriveBits']);
            const master = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode('duet/1/demo-duet'), iterations }, pw, 256);
            const hk = await crypto.subtle.importKey('raw', master, 'HKDF', false, ['deriveBits', 'deriveKey']);
            const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode('duet room id') }, hk, 128);
            await crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: enc.encode('duet room key') }, hk, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
            times.push(performance.now() - t0);
            id = Array.from(new Uint8Array(bits), (b) => b.toString(16).padStart(2, '0')).join('');
          }
          times.sort((a, b) => a - b);
          return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, id };
        },
        { iterations: KDF_ITERATIONS, runs },
      );
    const plain = await derive(7);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const throttled = await derive(5);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    console.log(
      `[privacy] KDF (PBKDF2-SHA256 ${KDF_ITERATIONS} iterations + HKDF) in Chromium: median ${plain.median.toFixed(1)} ms ` +
        `(min ${plain.min.toFixed(1)}); CPU throttled 4x: median ${throttled.median.toFixed(1)} ms (min ${throttled.min.toFixed(1)})`,
    );
    // The page's derivation is the one the tests use to find rooms.
    expect(plain.id).toBe(roomDocId('Sunday with Grandma'));
    expect(throttled.id).toBe(plain.id);
    await context.close();
  });
});
