// What the tests and the bench install in every page before the app's scripts run
// (an init script), and the page-side questions they ask. Test instrumentation only:
// the app ships none of this (test/unit/no-test-hooks.test.ts checks the build).
//
// Runs in Chromium (Playwright) and Firefox (puppeteer-core over BiDi) alike, so it is
// plain, self-contained JavaScript: no imports, no closures over this module.

/**
 * The init script. Installs `window.__duetTest`:
 * - pcs: every RTCPeerConnection the page makes (the constructor is wrapped);
 * - firstFrames: when the remote <video> first presented a frame of each stream it was
 *   given (absolute ms: performance.timeOrigin + now, comparable with Date.now());
 * - shownFrames(): decoded frames of the track the remote <video> shows, and its clock;
 * - diagnose(): states, tracks and getStats counters of every open connection.
 * With `options.emptyIceServers`, /ice-servers.json answers with no servers (a test
 * network has no STUN server to reach). With `options.watch`, the page reports what a
 * person sees on the console every 250 ms (`duet-watch {...}`), so a test can follow it
 * without evaluating anything in the page (Firefox counts a BiDi evaluate as a user
 * gesture, which would hide an autoplay refusal).
 * @param {{ emptyIceServers?: boolean, watch?: boolean }} options
 */
export function installProbes(options) {
  const now = () => performance.timeOrigin + performance.now();
  const T = { pcs: [], firstFrames: [] };
  Object.defineProperty(window, '__duetTest', { value: T });
  window.__pcs = T.pcs; // the name older tests read

  if (options.emptyIceServers) {
    const nativeFetch = window.fetch.bind(window);
    window.fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (new URL(url, location.href).pathname === '/ice-servers.json') {
        return Promise.resolve(new Response('{"iceServers":[]}', { headers: { 'Content-Type': 'application/json' } }));
      }
      return nativeFetch(input, init);
    };
  }

  const Native = window.RTCPeerConnection;
  if (Native) {
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        T.pcs.push(this);
      }
    };
  }

  const remote = () => document.querySelector('[data-testid="remote-video"]');
  const onDom = () => {
    const v = remote();
    if (!v) return;
    let stream = null;
    v.addEventListener('playing', () => {
      if (v.srcObject === stream) return;
      stream = v.srcObject;
      const record = { stream: T.firstFrames.length + 1, playingAt: now(), frameAt: null };
      T.firstFrames.push(record);
      v.requestVideoFrameCallback?.((_t, m) => (record.frameAt = performance.timeOrigin + m.presentationTime));
    });
    if (options.watch) {
      setInterval(() => {
        const app = document.querySelector('main.app');
        const sound = [...document.querySelectorAll('button')].find((b) => /sound|tap/i.test(b.textContent ?? '') && b.checkVisibility());
        console.log(
          'duet-watch ' +
            JSON.stringify({
              state: `${app?.dataset.screen ?? ''}${app?.dataset.phase ? `:${app.dataset.phase}` : ''}`,
              policy: navigator.getAutoplayPolicy?.('mediaelement') ?? null,
              paused: v.paused,
              muted: v.muted,
              time: v.currentTime,
              width: v.videoWidth,
              stream: T.firstFrames.length,
              soundButton: sound ? sound.textContent.trim() : null,
              live: [...document.querySelectorAll('[aria-live], [role=status], [role=alert]')].map((e) => e.textContent.trim()).filter(Boolean),
            }),
        );
      }, 250);
    }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', onDom);
  else onDom();

  /** The receiver (if any) of the live video track the remote <video> shows. */
  const shownReceiver = () => {
    const v = remote();
    const shown = v?.srcObject instanceof MediaStream ? v.srcObject.getVideoTracks().filter((t) => t.readyState === 'live') : [];
    if (!v || v.videoWidth === 0 || shown.length === 0) return 'no live remote video shown';
    // One picture: a stream that collected a second live video track would show the wrong one.
    if (shown.length > 1) return `the video holds ${shown.length} live video tracks`;
    for (const pc of T.pcs.filter((p) => p.connectionState !== 'closed')) {
      const receiver = pc.getReceivers().find((r) => shown.includes(r.track));
      if (receiver) return receiver;
    }
    return 'the video shows no track of an open connection';
  };

  /**
   * Frames decoded by the receiver of the shown track (RTCRtpReceiver stats), the element's
   * clock and whether it plays; a string says why there is nothing to measure.
   * Not the element's frame counter nor its pixels: in headless Chromium a <video> sometimes
   * stops presenting frames while its track keeps decoding (bench: totalVideoFrames stuck at
   * 9 for 70 s while framesDecoded grew by 1,200): the page, not the call, was frozen.
   */
  T.shownFrames = async () => {
    const receiver = shownReceiver();
    if (typeof receiver === 'string') return receiver;
    const v = remote();
    let frames = 0;
    (await receiver.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded;
    });
    return { frames, time: v.currentTime, paused: v.paused, muted: v.muted };
  };

  /** What a page's media looks like right now: for a failure report (why is a side frozen?). */
  T.diagnose = async () => {
    const v = remote();
    const src = v?.srcObject;
    const app = document.querySelector('main.app');
    const out = {
      state: `${app?.dataset.screen ?? ''}:${app?.dataset.phase ?? ''}`,
      visibility: document.visibilityState,
      video: v && {
        w: v.videoWidth,
        paused: v.paused,
        muted: v.muted,
        readyState: v.readyState,
        tracks: src ? src.getTracks().map((t) => `${t.kind}:${t.readyState}${t.muted ? ':muted' : ''}:${t.id.slice(0, 8)}`) : null,
      },
      pcs: [],
    };
    for (const pc of T.pcs) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      const ufrag = (d) => d?.sdp.match(/a=ice-ufrag:(\S+)/)?.[1] ?? null;
      const r = {
        ufrags: `${ufrag(pc.localDescription)}/${ufrag(pc.remoteDescription)}`,
        conn: pc.connectionState,
        ice: pc.iceConnectionState,
        sig: pc.signalingState,
        transceivers: pc.getTransceivers().map((t) => `${t.receiver.track.kind}:${t.direction}/${t.currentDirection}:${t.sender.track?.readyState ?? 'no track'}`),
        stats: [],
      };
      const at = (id) => {
        const c = id && stats.get(id);
        return c ? `${c.candidateType}:${c.address}:${c.port}` : null;
      };
      stats.forEach((s) => {
        const jb = (x) => (x.jitterBufferEmittedCount ? Math.round((1000 * x.jitterBufferDelay) / x.jitterBufferEmittedCount) : null);
        if (s.type === 'inbound-rtp' && s.kind === 'video') r.stats.push({ in: 1, pkts: s.packetsReceived, dec: s.framesDecoded, kf: s.keyFramesDecoded, pli: s.pliCount, nack: s.nackCount, jbMs: jb(s), freezes: s.freezeCount });
        if (s.type === 'inbound-rtp' && s.kind === 'audio') r.stats.push({ audioIn: 1, pkts: s.packetsReceived, jbMs: jb(s) });
        if (s.type === 'outbound-rtp' && s.kind === 'video') r.stats.push({ out: 1, pkts: s.packetsSent, enc: s.framesEncoded, kf: s.keyFramesEncoded, pli: s.pliCount, limit: s.qualityLimitationReason, w: s.frameWidth });
        if (s.type === 'candidate-pair' && (s.bytesSent || s.bytesReceived || s.nominated)) r.stats.push({ pair: `${at(s.localCandidateId)} -> ${at(s.remoteCandidateId)}`, state: s.state, nominated: s.nominated, sent: s.bytesSent, recv: s.bytesReceived });
        if (s.type === 'transport') r.stats.push({ transport: 1, dtls: s.dtlsState, ice: s.iceState, pair: s.selectedCandidatePairId ?? null, bsent: s.bytesSent, brecv: s.bytesReceived });
      });
      out.pcs.push(r);
    }
    return out;
  };
}
