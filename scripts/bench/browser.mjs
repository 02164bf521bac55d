// Headless Chromium for the bench, set up like the browser tests (test/e2e/support.ts):
// Debian's Chromium, fake camera and microphone, loopback ICE, the ICE servers file
// answered with no servers. On top of that, every page gets `instrument` as an init
// script: timestamps read from the outside, without hooks in the app.
import { chromium } from '@playwright/test';
import { CHROMIUM, chromiumArgs } from '../chromium.mjs';

export const BASE_URL = process.env.DUET_BASE_URL ?? 'http://127.0.0.1:5000';


export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs() });
}

/**
 * Runs in every bench page before the app's scripts. All times are absolute
 * (performance.timeOrigin + performance.now()), so two pages of one browser on one
 * machine share a clock. Records, on window.__bench:
 * - joinClickAt: the Join button's click event;
 * - promptAt: the room form shown (MutationObserver on its `hidden`), promptPaintAt the frame after;
 * - frames: the first frame presented of every source the remote <video> gets
 *   (requestVideoFrameCallback armed on `loadstart`), with a source counter;
 * - pcs: every RTCPeerConnection's timeline (descriptions, candidates, states).
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
  };
  Object.defineProperty(window, '__bench', { value: B });

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
      (window.__benchPcObjects ??= []).push(this);
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

/** Reads what `instrument` recorded, plus the app's Firestore counters (bench builds). */
export function readBench(page) {
  return page.evaluate(() => {
    const B = window.__bench;
    const m = globalThis.__duetMetrics;
    return {
      origin: B.origin,
      joinClickAt: B.joinClickAt,
      promptAt: B.promptAt,
      promptPaintAt: B.promptPaintAt,
      src: B.src,
      frames: B.frames.slice(),
      pcs: JSON.parse(JSON.stringify(B.pcs)),
      metrics: m ? { reads: m.reads, writes: m.writes } : null,
      // Firestore and Auth requests that have finished, on the same clock (resource timing).
      net: performance
        .getEntriesByType('resource')
        .filter((e) => /googleapis|\/google\.firestore\.|\/documents[:/]|identitytoolkit/.test(e.name))
        .map((e) => {
          const u = new URL(e.name);
          return { path: u.pathname.replace(/^.*\/documents/, '/documents'), sid: u.searchParams.has('SID'), type: u.searchParams.get('TYPE'), start: performance.timeOrigin + e.startTime, end: performance.timeOrigin + e.responseEnd };
        }),
      state: document.documentElement.dataset.duet ?? '',
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

/** A new person: a fresh context (own storage, so own identity), camera and microphone granted. */
export async function newPerson(browser, { viewport = { width: 390, height: 844 }, ...rest } = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    permissions: ['camera', 'microphone'],
    viewport,
    ...rest,
  });
  await context.addInitScript(instrument);
  // Loopback only: no STUN server to ask (and none reachable in the bench's namespace).
  await context.route('**/ice-servers.json', (route) =>
    route.fulfill({ contentType: 'application/json', body: '{"iceServers":[]}' }),
  );
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || process.env.DUET_BENCH_VERBOSE) console.log(`  [page ${m.type()}] ${m.text()}`);
  });
  return { context, page };
}

/** What a page's media looks like right now: for a failure report (why is a side frozen?). */
export function diagnose(page) {
  return page.evaluate(async () => {
    const v = document.querySelector('[data-testid="remote-video"]');
    const src = v?.srcObject;
    const out = {
      state: document.documentElement.dataset.duet,
      visibility: document.visibilityState,
      video: v && {
        w: v.videoWidth,
        paused: v.paused,
        readyState: v.readyState,
        frames: v.getVideoPlaybackQuality().totalVideoFrames,
        tracks: src ? src.getTracks().map((t) => `${t.kind}:${t.readyState}${t.muted ? ':muted' : ''}:${t.id.slice(0, 8)}`) : null,
      },
      pcs: [],
    };
    for (const pc of window.__benchPcObjects ?? []) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      const ufrag = (d) => d?.sdp.match(/a=ice-ufrag:(\S+)/)?.[1] ?? null;
      const r = { ufrags: `${ufrag(pc.localDescription)}/${ufrag(pc.remoteDescription)}`, conn: pc.connectionState, ice: pc.iceConnectionState, sig: pc.signalingState, receivers: pc.getReceivers().map((x) => `${x.track.kind}:${x.track.id.slice(0, 8)}${x.track.muted ? ':muted' : ''}`), stats: [] };
      stats.forEach((s) => {
        const jb = (x) => (x.jitterBufferEmittedCount ? Math.round((1000 * x.jitterBufferDelay) / x.jitterBufferEmittedCount) : null);
        if (s.type === 'inbound-rtp' && s.kind === 'video') r.stats.push({ in: 1, pkts: s.packetsReceived, dec: s.framesDecoded, recv: s.framesReceived, drop: s.framesDropped, kf: s.keyFramesDecoded, pli: s.pliCount, nack: s.nackCount, fir: s.firCount, jbMs: jb(s), freezes: s.freezeCount, frozenS: s.totalFreezesDuration, ssrc: s.ssrc });
        if (s.type === 'inbound-rtp' && s.kind === 'audio') r.stats.push({ audioIn: 1, pkts: s.packetsReceived, jbMs: jb(s), concealed: s.concealedSamples, samples: s.totalSamplesReceived });
        if (s.type === 'outbound-rtp' && s.kind === 'video') r.stats.push({ out: 1, pkts: s.packetsSent, enc: s.framesEncoded, sent: s.framesSent, kf: s.keyFramesEncoded, pli: s.pliCount, fir: s.firCount, limit: s.qualityLimitationReason, active: s.active, w: s.frameWidth });
        if (s.type === 'transport') {
          const pair = stats.get(s.selectedCandidatePairId);
          const at = (id) => {
            const c = id && stats.get(id);
            return c ? `${c.candidateType}:${c.address}:${c.port}` : null;
          };
          stats.forEach((p) => {
            if (p.type === 'candidate-pair' && (p.bytesSent || p.bytesReceived || p.nominated)) r.stats.push({ pair: `${at(p.localCandidateId)} -> ${at(p.remoteCandidateId)}`, state: p.state, nominated: p.nominated, sent: p.bytesSent, recv: p.bytesReceived });
          });
          r.stats.push({ transport: 1, dtls: s.dtlsState, ice: s.iceState, local: at(pair?.localCandidateId), remote: at(pair?.remoteCandidateId), changes: s.selectedCandidatePairChanges, bsent: s.bytesSent, brecv: s.bytesReceived });
        }
      });
      out.pcs.push(r);
    }
    return out;
  });
}
