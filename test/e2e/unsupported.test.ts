// A browser that cannot make calls says so (issue 11): without RTCPeerConnection or
// getUserMedia the page names what is missing and which browsers work, with no
// exception and no endless "starting". The APIs are removed before the app loads (an
// init script), as in Debian's WebKitGTK, which is built without WebRTC.
import { describe, expect, it } from 'vitest';
import { alertText, browserSuiteBlocker, newPerson, seatCount, sharedBrowser, stateOf, statusText, uniqueRoom, waitForState } from './support.ts';

const blocker = browserSuiteBlocker();
if (blocker) console.log(`browser tests skipped: ${blocker}`);

describe.skipIf(blocker)('a browser that cannot make calls', () => {
  const browser = sharedBrowser();

  const cases = [
    { lacks: 'RTCPeerConnection', remove: 'RTCPeerConnection', says: /lacks WebRTC/, shot: 'phone-unsupported-webrtc' },
    { lacks: 'getUserMedia', remove: 'getUserMedia', says: /lacks access to the camera and microphone/, shot: 'phone-unsupported-camera' },
  ];
  for (const c of cases) {
    it(`without ${c.lacks}: says what is missing and which browsers work, and asks for nothing`, async () => {
      const person = await newPerson(browser());
      const errors: string[] = [];
      person.page.on('pageerror', (e) => errors.push(e.message));
      await person.context.addInitScript((what) => {
        if (what === 'RTCPeerConnection') delete (window as { RTCPeerConnection?: unknown }).RTCPeerConnection;
        else delete (MediaDevices.prototype as Partial<MediaDevices>).getUserMedia;
      }, c.remove);
      const room = uniqueRoom('unsupported');
      await person.goto(`/?room=${encodeURIComponent(room)}`);
      await waitForState(person, /unsupported/);
      const alert = await alertText(person);
      expect(alert).toMatch(c.says);
      expect(alert).toMatch(/Chrome, Edge, Firefox or Safari/);
      expect(await statusText(person)).toBe(''); // no "Asking for your camera…" left spinning
      expect(await person.page.getByRole('textbox', { name: /room/i }).isVisible()).toBe(false);
      expect(errors).toEqual([]);
      expect(await seatCount(room)).toBe(0); // the invite link put nobody in the room
      expect(await stateOf(person)).toBe('unsupported');
      await person.screenshot(c.shot);
      await person.close();
    });
  }
});
