// The floor: what a call costs with no signaling service at all. Two pages with
// plain RTCPeerConnections, the same camera constraints, ICE configuration, page
// size and remote-frame detection as the app; the offer is ready in advance (made
// and fully gathered before the clock starts, like the app's pre-offer), and the
// answer and candidates are handed to the other page through Playwright, with no
// network in between. The clock starts when the second page starts answering.
import { cpuBetween, cpuSnapshot } from './cpu.mjs';
import { newPerson, nextRemoteFrame } from './browser.mjs';
import { FRAME_TIMEOUT_MS } from './calls.mjs';

const FLOOR_PATH = '/bench-floor.html';

/**
 * What the app asks of the camera and microphone, from their one home (src/media/constraints.ts):
 * scripts/bench.mjs bundles that module of the measured source and hands its answer down in
 * DUET_BENCH_MEDIA. The floor's pages and the bare camera page (screens.mjs) ask exactly this.
 */
export function mediaConstraints() {
  const json = process.env.DUET_BENCH_MEDIA;
  if (!json) throw new Error('DUET_BENCH_MEDIA is unset: the bench runs through scripts/bench.mjs');
  return JSON.parse(json);
}

// Same constraints as the app (mediaConstraints), same answering order as src/call/peer.ts
// (remote offer, then tracks, then the answer), same first-frames size, same gathering wait
// as the pre-offer.
const FLOOR_HTML = `<!doctype html>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>Duet bench: the floor</title>
<style>
  html, body { margin: 0; height: 100%; background: #000; }
  .remote { position: fixed; inset: 0; width: 100%; height: 100%; object-fit: cover; }
  .local { position: fixed; right: 12px; bottom: 12px; width: 30%; }
</style>
<video class="remote" data-testid="remote-video" playsinline autoplay></video>
<video class="local" data-testid="local-video" muted playsinline autoplay></video>
<script>
  const remoteVideo = document.querySelector('.remote');
  const config = { iceServers: [], iceTransportPolicy: 'all' };
  let stream = null;
  let pc = null;
  let queue = Promise.resolve();
  // The offer carries its candidates (gathered before the clock starts); only the answerer trickles.
  let trickle = false;
  function newPc() {
    pc = new RTCPeerConnection(config);
    const remote = new MediaStream();
    pc.ontrack = ({ track }) => {
      remote.addTrack(track);
      if (remoteVideo.srcObject !== remote) remoteVideo.srcObject = remote;
    };
    pc.onicecandidate = ({ candidate }) => {
      if (trickle && candidate && candidate.candidate) window.toPeer({ candidate: candidate.toJSON() });
    };
    return pc;
  }
  // The app's media choice (src/call/peer.ts, FIRST_FRAMES_MAX_WIDTH and FULL_SIZE_AFTER_MS):
  // the first frames at most 320 px wide, full size 1 s after the connection is up.
  async function scaleVideo(scale) {
    for (const s of pc.getSenders()) {
      if (s.track?.kind !== 'video') continue;
      const p = s.getParameters();
      if (!p.encodings?.length) continue;
      for (const e of p.encodings) e.scaleResolutionDownBy = scale(s.track);
      await s.setParameters(p).catch(() => {});
    }
  }
  function startSmall() {
    pc.addEventListener('connectionstatechange', function full() {
      if (pc.connectionState !== 'connected') return;
      pc.removeEventListener('connectionstatechange', full);
      setTimeout(() => scaleVideo(() => 1), 1000);
    });
    return scaleVideo((track) => Math.max(1, (track.getSettings().width ?? 0) / 320));
  }
  window.floor = {
    async media(constraints) {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
      document.querySelector('.local').srcObject = stream;
    },
    async offer() {
      newPc();
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      await pc.setLocalDescription();
      await startSmall();
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        const timer = setTimeout(resolve, 1000);
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
        });
      });
      return pc.localDescription.sdp;
    },
    async answer(sdp) {
      const t0 = performance.timeOrigin + performance.now();
      trickle = true;
      newPc();
      await pc.setRemoteDescription({ type: 'offer', sdp });
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      await pc.setLocalDescription();
      window.toPeer({ description: pc.localDescription.toJSON() });
      await startSmall();
      return t0;
    },
    receive(message) {
      queue = queue.then(async () => {
        if (message.description) await pc.setRemoteDescription(message.description);
        if (message.candidate) await pc.addIceCandidate(message.candidate);
      }).catch((e) => console.error('floor: ' + e));
      return queue;
    },
  };
</script>
`;

async function floorPage(browser, initScript) {
  const person = await newPerson(browser);
  if (initScript) await person.context.addInitScript(initScript);
  await person.context.route(`**${FLOOR_PATH}`, (route) => route.fulfill({ contentType: 'text/html', body: FLOOR_HTML }));
  return person;
}

/** One floor sample: ms from the second page starting to each side's first remote frame. */
export async function floorCall(browser) {
  const { a, b, result } = await floorPair(browser);
  await Promise.all([a.context.close(), b.context.close()]);
  return result;
}

/**
 * Two floor pages in a call, left open: the sample (as floorCall) and the pages, `a` the
 * offerer and `b` the answerer. The caller closes their contexts. `initScript`: one more for both.
 */
export async function floorPair(browser, { initScript } = {}) {
  const [a, b] = await Promise.all([floorPage(browser, initScript), floorPage(browser, initScript)]);
  const result = { ok: false };
  try {
    // Messages go straight from one page to the other (answer first, then candidates, in order).
    await a.page.exposeFunction('toPeer', (m) => b.page.evaluate((x) => window.floor.receive(x), m));
    await b.page.exposeFunction('toPeer', (m) => a.page.evaluate((x) => window.floor.receive(x), m));
    await Promise.all([a.page.goto(FLOOR_PATH), b.page.goto(FLOOR_PATH)]);
    const media = mediaConstraints();
    await Promise.all([a.page.evaluate((c) => window.floor.media(c), media), b.page.evaluate((c) => window.floor.media(c), media)]);
    const offer = await a.page.evaluate(() => window.floor.offer());
    const cpuBefore = process.env.DUET_BENCH_CPU ? { at: Date.now(), snap: cpuSnapshot() } : null;
    const t0 = await b.page.evaluate((sdp) => window.floor.answer(sdp), offer);
    const [fa, fb] = await Promise.all([
      nextRemoteFrame(a.page, { after: t0, timeoutMs: FRAME_TIMEOUT_MS }),
      nextRemoteFrame(b.page, { after: t0, timeoutMs: FRAME_TIMEOUT_MS }),
    ]);
    if (cpuBefore) result.cpu = { wallMs: Date.now() - cpuBefore.at, byKind: cpuBetween(cpuBefore.snap, cpuSnapshot()) };
    result.offerer = fa ? fa.presented - t0 : null;
    result.answerer = fb ? fb.presented - t0 : null;
    result.ok = !!(fa && fb);
    if (!result.ok) result.failure = 'no remote frame';
  } catch (e) {
    result.failure = e.message.split('\n')[0];
  }
  return { a, b, result };
}
