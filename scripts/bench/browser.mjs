// Headless Chromium for the bench, through the same page-driving layer as the browser
// tests (scripts/drive/): Debian's Chromium, fake camera and microphone, the ICE servers
// file answered with no servers, the test probes. On top of that, every page gets
// `instrument` as an init script: timestamps and Firestore traffic read from the outside,
// without hooks in the app.
import { diagnose as diagnosePage, launch as launchBrowser } from '../drive/people.mjs';

export { BASE_URL } from '../drive/people.mjs';

/** The bench's Chromium (a scripts/drive Browser: `.native` is Playwright's). */
export function launch({ camera = 'hd' } = {}) {
  return launchBrowser('chromium', { camera }); // 'hd': what people get, the app's 1280x720
}

/**
 * Runs in every bench page before the app's scripts. All times are absolute
 * (performance.timeOrigin + performance.now()), so two pages of one browser on one
 * machine share a clock. Records, on window.__bench:
 * - joinClickAt: the Join button's click event;
 * - promptAt: the room form shown (MutationObserver on its `hidden`), promptPaintAt the frame after;
 * - frames: the first frame presented of every source the remote <video> gets
 *   (requestVideoFrameCallback armed on `loadstart`), with a source counter;
 * - pcs: every RTCPeerConnection's timeline (descriptions, candidates, states);
 * - reads, writes: Firestore document reads and writes, counted from the page's own
 *   requests and responses (XMLHttpRequest, which the Firestore SDK uses for its REST
 *   calls and WebChannel streams): a read per document a listener or a get returns
 *   (`documentChange`, `found`, `missing`), a write per operation sent (`writes` of a
 *   commit or of a Write-stream message).
 */
export function instrument() {
  const now = () => performance.timeOrigin + performance.now();
  const abs = (t) => performance.timeOrigin + t;
  const B = {
    origin: performance.timeOrigin,
    joinClickAt: null,
    promptAt: null,
    promptPaintAt: null,
    src: 0,
    frames: [],
    pcs: [],
    /** Signaling milestones seen on the wire: [what, at]. */
    marks: [],
    reads: 0,
    writes: 0,
  };
  Object.defineProperty(window, '__bench', { value: B });
  // Main-thread tasks over 50 ms (what keeps a page from handling its events in time).
  B.longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longTasks.push([abs(e.startTime), Math.round(e.duration)]);
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no Long Tasks API
  }

  // Firestore traffic, as the page sends and receives it.
  const count = (re, s) => (s.match(re) ?? []).length;
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    this.__url = String(url);
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (body) {
    const url = this.__url ?? '';
    const firestore = /google\.firestore\.v1\.Firestore|\/documents[:/]/.test(url);
    if (firestore && typeof body === 'string') {
      // An outbox (rooms/{id}/peers/{uid}) written by a commit: the answer that completes a call.
      if (url.includes(':commit') && body.includes('/peers/')) B.marks.push(['outbox commit sent', now()]);
      try {
        if (url.includes(':commit')) B.writes += JSON.parse(body).writes?.length ?? 0;
        else if (url.includes('/Write/channel')) {
          for (const [key, value] of new URLSearchParams(body)) if (/^req\d+___data__$/.test(key)) B.writes += JSON.parse(value).writes?.length ?? 0;
        }
      } catch {
        // not a payload we know
      }
    }
    if (firestore) {
      let seen = 0; // streamed responses grow: count each part once
      const onData = () => {
        let text = '';
        try {
          text = this.responseText ?? '';
        } catch {
          return;
        }
        const part = text.slice(seen);
        seen = text.length;
        if (url.includes('/Listen/channel')) B.reads += count(/"documentChange"/g, part);
        else if (url.includes(':batchGet')) B.reads += count(/"(found|missing)"/g, part);
        else if (url.includes(':runQuery')) B.reads += Math.max(1, count(/"document"/g, part));
      };
      this.addEventListener('progress', onData);
      this.addEventListener('load', onData);
    }
    return send.call(this, body);
  };

  // The bench's network namespace has only loopback, so Chromium reports navigator.onLine
  // false, and the app would probe the server before acting (an extra round trip a phone
  // that is online never makes). Say online, as a real device would.
  Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => true });

  addEventListener(
    'click',
    (e) => {
      if (e.target instanceof Element && e.target.closest('button.join')) B.joinClickAt = abs(e.timeStamp);
    },
    true,
  );

  const onDom = () => {
    const video = document.querySelector('[data-testid="remote-video"]');
    video?.addEventListener('loadstart', () => {
      const src = ++B.src;
      if (!video.srcObject || !video.requestVideoFrameCallback) return;
      video.requestVideoFrameCallback((t, m) => {
        B.frames.push({
          src,
          presented: abs(m.presentationTime),
          callback: abs(t),
          received: typeof m.receiveTime === 'number' ? abs(m.receiveTime) : null,
          width: m.width,
          height: m.height,
        });
      });
    });
    const form = document.querySelector('form.room-form');
    if (form) {
      const check = () => {
        if (B.promptAt || form.hidden) return;
        B.promptAt = now();
        requestAnimationFrame(() => setTimeout(() => (B.promptPaintAt = now())));
      };
      new MutationObserver(check).observe(form, { attributes: true, attributeFilter: ['hidden'] });
    }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', onDom);
  else onDom();

  const Native = window.RTCPeerConnection;
  if (!Native) return;
  const recs = new WeakMap();
  class TrackedPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      const rec = { createdAt: now(), local: [], remote: 0, gatheredAt: null, srd: [], sld: [], states: [], ice: [] };
      recs.set(this, rec);
      B.pcs.push(rec);
      this.addEventListener('icecandidate', ({ candidate }) => {
        if (candidate && candidate.candidate) rec.local.push({ at: now(), type: candidate.type, protocol: candidate.protocol });
        else if (!candidate) rec.gatheredAt = now();
      });
      this.addEventListener('connectionstatechange', () => rec.states.push([this.connectionState, now()]));
      this.addEventListener('iceconnectionstatechange', () => rec.ice.push([this.iceConnectionState, now()]));
    }
    setRemoteDescription(...args) {
      recs.get(this).srd.push({ type: args[0]?.type ?? null, at: now() });
      return super.setRemoteDescription(...args);
    }
    setLocalDescription(...args) {
      const rec = recs.get(this);
      const p = super.setLocalDescription(...args);
      p.then(
        () => rec.sld.push({ type: this.localDescription?.type ?? null, at: now() }),
        () => {},
      );
      return p;
    }
    addIceCandidate(...args) {
      recs.get(this).remote += 1;
      return super.addIceCandidate(...args);
    }
  }
  window.RTCPeerConnection = TrackedPeerConnection;
}

/** Reads what `instrument` recorded. */
export function readBench(page) {
  return page.evaluate(() => {
    const B = window.__bench;
    const app = document.querySelector('main.app');
    return {
      origin: B.origin,
      joinClickAt: B.joinClickAt,
      promptAt: B.promptAt,
      promptPaintAt: B.promptPaintAt,
      src: B.src,
      frames: B.frames.slice(),
      pcs: JSON.parse(JSON.stringify(B.pcs)),
      marks: B.marks.slice(),
      longTasks: B.longTasks.slice(),
      metrics: { reads: B.reads, writes: B.writes },
      // Firestore and Auth requests that have finished, on the same clock (resource timing).
      net: performance
        .getEntriesByType('resource')
        .filter((e) => /googleapis|\/google\.firestore\.|\/documents[:/]|identitytoolkit/.test(e.name))
        .map((e) => {
          const u = new URL(e.name);
          return { path: u.pathname.replace(/^.*\/documents/, '/documents'), sid: u.searchParams.has('SID'), type: u.searchParams.get('TYPE'), start: performance.timeOrigin + e.startTime, end: performance.timeOrigin + e.responseEnd };
        }),
      state: `${app?.dataset.screen ?? ''}${app?.dataset.phase ? `:${app.dataset.phase}` : ''}`,
    };
  });
}

/**
 * Resolves with the first remote frame presented after `after` (absolute ms) from a
 * source newer than `minSrc`, or null after `timeoutMs`. Waits inside the page.
 */
export function nextRemoteFrame(page, { after, minSrc = 0, timeoutMs }) {
  return page.evaluate(
    ({ after, minSrc, timeoutMs }) =>
      new Promise((resolve) => {
        const B = window.__bench;
        const find = () => B.frames.find((f) => f.src > minSrc && f.presented >= after) ?? null;
        const started = performance.now();
        const poll = () => {
          const f = find();
          if (f || performance.now() - started > timeoutMs) resolve(f);
          else setTimeout(poll, 5);
        };
        poll();
      }),
    { after, minSrc, timeoutMs },
  );
}

export const MOBILE = {
  // Lighthouse's mobile emulation (Moto G Power class).
  viewport: { width: 412, height: 823 },
  deviceScaleFactor: 1.75,
  isMobile: true,
  hasTouch: true,
};

/**
 * A new person: a fresh context (own storage, so own identity), camera and microphone
 * granted, the bench's instrument on top of the shared probes. Returns the scripts/drive
 * Person (`page`, `context`: Playwright's).
 */
export async function newPerson(browser, { viewport = { width: 390, height: 844 }, ...rest } = {}) {
  const person = await browser.newPerson({ viewport, label: 'page', ...rest });
  await person.context.addInitScript(instrument);
  return person;
}

/** What a page's media looks like right now: for a failure report (why is a side frozen?). */
export function diagnose(page) {
  return diagnosePage(page);
}
