// Time to the room prompt on a throttled phone, through the DevTools protocol:
// CPU 4x slower (Emulation.setCPUThrottlingRate) and DevTools' "Slow 4G" preset
// (Network.emulateNetworkConditions: 150 ms RTT x 3.75 = 562.5 ms latency,
// 1.6 Mbps x 0.9 down, 750 kbps x 0.9 up, the values Lighthouse and Puppeteer use),
// on Lighthouse's mobile screen. Every run is a first visit: a fresh context, empty
// HTTP cache, no service worker. Service workers are blocked in these runs: the worker's
// own fetches (its precache, and requests it answers for the page once it controls it)
// escape the page's network emulation and would make later requests look fast.
// Camera and microphone are granted up front, so the browser's permission prompt takes
// no time here (it does for a real person).
import { MOBILE, newPerson } from './browser.mjs';

export const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1000 * 1000 * 0.9) / 8, uploadThroughput: (750 * 1000 * 0.9) / 8 };
export const CPU_SLOWDOWN = 4;

/** One cold load; ms from navigation start to the prompt, and what had been fetched by then. */
export async function promptLoad(browser, { throttled }) {
  const person = await newPerson(browser, { ...MOBILE, serviceWorkers: false });
  const { page, context } = person;
  const result = { throttled, ok: false };
  try {
    if (throttled) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    }
    const signedIn = page.waitForResponse((r) => r.url().includes('/accounts:lookup'), { timeout: 120_000 }).catch(() => null);
    await page.goto('/', { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__bench.promptPaintAt !== null, null, { timeout: 120_000, polling: 50 });
    const response = await signedIn;
    const r = await page.evaluate(() => {
      const B = window.__bench;
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      const resources = performance.getEntriesByType('resource').map((e) => ({
        path: new URL(e.name).pathname,
        transfer: e.transferSize,
        start: e.startTime,
        end: e.responseEnd,
      }));
      const [nav] = performance.getEntriesByType('navigation');
      return {
        prompt: B.promptAt - B.origin,
        promptPainted: B.promptPaintAt - B.origin,
        fcp: paint ? paint.startTime : null,
        html: nav ? { transfer: nav.transferSize, start: nav.startTime, end: nav.responseEnd } : null,
        resources,
      };
    });
    const before = r.resources.filter((e) => e.end <= r.prompt);
    const firebase = r.resources.find((e) => /\/assets\/firestore-/.test(e.path));
    const lookup = r.resources.find((e) => e.path.endsWith('/accounts:lookup'));
    const at = (e) => (e ? { start: Math.round(e.start), end: Math.round(e.end) } : null);
    Object.assign(result, {
      ok: true,
      prompt: r.promptPainted,
      fcp: r.fcp,
      // Bytes on the wire (compressed by the Hosting emulator) fetched before the prompt showed.
      // The requests before the prompt, in order (ms from navigation start): shows any waterfall.
      waterfall: [{ path: '/', ...r.html }, ...before].map((e) => ({ path: e.path, transfer: e.transfer, start: Math.round(e.start), end: Math.round(e.end) })),
      transferBeforePrompt: (r.html?.transfer ?? 0) + before.reduce((t, e) => t + e.transfer, 0),
      requestsBeforePrompt: before.length + 1,
      firebaseLoaded: firebase ? firebase.end : null,
      // Firebase loaded, the config fetched and the anonymous sign-in done: Join would not wait.
      readyToJoin: response && lookup ? lookup.end : null,
      // The chain after the prompt, in order: what Join would wait for.
      afterPrompt: {
        firebaseChunk: at(firebase),
        config: at(r.resources.find((e) => e.path === '/__/firebase/init.json')),
        signUp: at(r.resources.find((e) => e.path.endsWith('/accounts:signUp'))),
        lookup: at(lookup),
      },
    });
  } catch (e) {
    result.failure = e.message.split('\n')[0];
  }
  await context.close();
  return result;
}
