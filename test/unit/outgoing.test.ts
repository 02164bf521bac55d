// What a person sends, whatever the order of their requests (src/media/outgoing.ts): every
// pair of requests, each with its failure, and long random sequences, against a fake
// MediaDevices (test/unit/fakes/fake-media.ts: it stands in for the browser's devices) and a
// fake route to the call. After each step: at most one live camera, no live track that is
// neither sent nor shown, the self-view showing exactly what is sent, and the controls and
// the other person told the truth.
import { beforeAll, describe, expect, it } from 'vitest';
import { FakeMediaDevices, FakeRoute, installFakeMediaStream, type FakeTrack } from './fakes/fake-media.ts';
import type { Outgoing as OutgoingType, Sending } from '../../src/media/outgoing.ts';

let Outgoing: typeof OutgoingType;
beforeAll(async () => {
  installFakeMediaStream();
  ({ Outgoing } = await import('../../src/media/outgoing.ts'));
});

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

interface World {
  media: FakeMediaDevices;
  out: OutgoingType;
  route: FakeRoute;
  told: Sending[];
  failures: string[];
  /** Each time a state was told before the senders carried it. */
  lies: string[];
}

async function inACall(setup: (media: FakeMediaDevices) => void = () => {}): Promise<World> {
  const media = new FakeMediaDevices();
  setup(media);
  const told: Sending[] = [];
  const failures: string[] = [];
  const lies: string[] = [];
  let route: FakeRoute | null = null;
  const out = new Outgoing({
    media: media as unknown as MediaDevices,
    onChange: (s) => {
      // What the other person is told is already on the senders (not a moment before).
      if (route && s.sharing !== (route.video?.source === 'screen')) lies.push(`told sharing=${s.sharing} before it was sent`);
      if (route && !s.sharing && s.cameraOff !== (route.video === null)) lies.push(`told camera off=${s.cameraOff} before it was sent`);
      told.push(s);
    },
    fail: (_e, context) => failures.push(context),
    storage: memoryStorage(),
  });
  await out.open();
  // The call's connection was made from the stream: its senders carry the stream's tracks.
  route = new FakeRoute();
  route.audio = (out.stream.getAudioTracks()[0] as unknown as FakeTrack) ?? null;
  route.video = (out.stream.getVideoTracks()[0] as unknown as FakeTrack) ?? null;
  out.sendTo(route);
  return { media, out, route, told, failures, lies };
}

const other = (ids: string[], inUse: string | null) => ids.find((id) => id !== inUse) ?? ids[0]!;

/** Every request a person (or their browser) can make while in a call. */
const requests: Record<string, (w: World) => unknown> = {
  flip: (w) => w.out.flip(),
  'choose camera': (w) => w.out.choose('camera', other(w.out.state.options.camera.map((o) => o.id), w.out.state.inUse.camera)),
  'choose microphone': (w) => w.out.choose('microphone', other(['mic-1', 'mic-2'], w.out.state.inUse.microphone)),
  'unplug camera': (w) => w.media.unplug(w.out.state.inUse.camera ?? 'front'),
  'share start': (w) => w.out.share(),
  'share ended by the browser': (w) => (w.out.stream.getVideoTracks()[0] as unknown as FakeTrack | undefined)?.source === 'screen' && (w.out.stream.getVideoTracks()[0] as unknown as FakeTrack).end(),
  'share stop': (w) => w.out.stopShare(),
  mute: (w) => w.out.toggleMute(),
  'camera off': (w) => w.out.setCameraOff(true),
  'camera on': (w) => w.out.setCameraOff(false),
};

/** What can go wrong with a request: the camera won't open, the share is refused. */
const failures: Record<string, (m: FakeMediaDevices) => void> = {
  'the camera cannot open': (m) => (m.failNextCamera = 'NotReadableError'),
  'the share is refused': (m) => (m.pickerAnswer = 'NotAllowedError'),
};

async function settle(w: World): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await w.out.settled();
    await new Promise((r) => setTimeout(r, 0));
  }
}

function expectConsistent(w: World, after: string): void {
  const { media, out, route, told } = w;
  const s = out.state;
  const shown = out.stream.getTracks() as unknown as FakeTrack[];
  const shownVideo = shown.find((t) => t.kind === 'video') ?? null;
  const shownAudio = shown.find((t) => t.kind === 'audio') ?? null;
  const why = `after ${after}`;
  expect(media.liveCameras().length, `${why}: live cameras`).toBeLessThanOrEqual(1);
  for (const t of media.live()) expect(shown, `${why}: live ${t.source} track ${t.id} neither sent nor shown`).toContain(t);
  expect(route.video, `${why}: the self-view shows what is sent (video)`).toBe(shownVideo);
  expect(route.audio, `${why}: the self-view holds what is sent (audio)`).toBe(shownAudio);
  for (const t of [route.video, route.audio]) if (t) expect(t.readyState, `${why}: a sent track is live`).toBe('live');
  expect(s.sharing, `${why}: sharing`).toBe(route.video?.source === 'screen');
  if (!s.sharing) expect(s.cameraOff, `${why}: camera off is the truth`).toBe(route.video === null);
  else expect(media.liveCameras(), `${why}: no camera open behind a share`).toEqual([]);
  expect(s.muted, `${why}: muted is the truth`).toBe(!route.audio || !route.audio.enabled);
  // The buttons and the other person were told this state last, and never ahead of the senders.
  expect(told.at(-1), `${why}: what was last told`).toEqual(s);
  expect(w.lies, `${why}: told before sent`).toEqual([]);
}

describe('what a person sends, whatever the order of their requests', () => {
  const names = Object.keys(requests);

  it('starts with one camera and one microphone, both sent and shown', async () => {
    const w = await inACall();
    expectConsistent(w, 'opening');
    expect(w.out.state).toMatchObject({ muted: false, cameraOff: false, sharing: false, facing: 'user' });
    expect(w.media.live().map((t) => t.source).sort()).toEqual(['camera', 'microphone']);
  });

  for (const a of names) {
    it(`${a}, then each other request`, async () => {
      for (const b of names) {
        const w = await inACall();
        await requests[a]!(w);
        await settle(w);
        expectConsistent(w, a);
        await requests[b]!(w);
        await settle(w);
        expectConsistent(w, `${a}, ${b}`);
        expect(w.failures, `${a}, ${b}: nothing failed`).toEqual([]);
      }
    });
  }

  for (const [failure, arrange] of Object.entries(failures)) {
    it(`${failure}: each pair of requests still ends consistent`, async () => {
      for (const a of names) {
        for (const b of names) {
          const w = await inACall();
          arrange(w.media);
          await requests[a]!(w);
          await settle(w);
          expectConsistent(w, `${failure}: ${a}`);
          await requests[b]!(w);
          await settle(w);
          expectConsistent(w, `${failure}: ${a}, ${b}`);
        }
      }
    });
  }

  it('two requests made at once (the second before the first is done) end as if made one after the other', async () => {
    for (const a of names) {
      for (const b of names) {
        const w = await inACall((m) => (m.delayMs = 2));
        void requests[a]!(w);
        void requests[b]!(w);
        await settle(w);
        await new Promise((r) => setTimeout(r, 10));
        await settle(w);
        expectConsistent(w, `${a} and ${b} at once`);
      }
    }
  });

  it('long random sequences, some with failures and some at once, stay consistent at every step', async () => {
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let run = 0; run < 60; run++) {
      const w = await inACall();
      const done: string[] = [];
      for (let step = 0; step < 25; step++) {
        const name = names[rand(names.length)]!;
        if (rand(8) === 0) w.media.failNextCamera = 'NotReadableError';
        if (rand(8) === 0) w.media.pickerAnswer = rand(2) ? 'NotAllowedError' : 'share';
        if (rand(12) === 0) w.media.devices.push({ id: `cam-${run}-${step}`, kind: 'videoinput' });
        done.push(name);
        const r = requests[name]!(w);
        if (rand(3)) await r;
        await settle(w);
        expectConsistent(w, done.join(', '));
      }
    }
  });
});

describe('the two sequences that broke with two owners (issue 25)', () => {
  it('share, switch camera, stop sharing: one live camera, the other one, sent and shown', async () => {
    const w = await inACall();
    await w.out.share();
    await w.out.flip();
    expect(w.media.liveCameras()).toEqual([]); // nothing behind the share
    await w.out.stopShare();
    expectConsistent(w, 'share, flip, stop');
    expect(w.media.liveCameras().map((t) => t.deviceId)).toEqual(['back']);
    expect(w.out.state.facing).toBe('environment');
  });

  it('then share again, camera off, stop sharing: nothing is sent and the other person is told "camera off"', async () => {
    const w = await inACall();
    await w.out.share();
    await w.out.flip();
    await w.out.stopShare();
    await w.out.share();
    await w.out.setCameraOff(true);
    await w.out.stopShare();
    expectConsistent(w, 'share, camera off, stop');
    expect(w.route.video).toBeNull();
    expect(w.out.state).toMatchObject({ cameraOff: true, sharing: false });
    expect(w.media.live().map((t) => t.source)).toEqual(['microphone']); // the camera light is off
    await w.out.setCameraOff(false);
    expect(w.route.video?.deviceId).toBe('back'); // the camera that was last chosen comes back
  });
});

describe('devices', () => {
  it('a camera switch moves the sender to the new camera before the old one stops (no gap of an ended track)', async () => {
    const w = await inACall((m) => (m.maxOpenCameras = 2));
    const before = w.route.video!;
    await w.out.choose('camera', 'back');
    const moved = w.route.calls.find((c) => c.kind === 'video')!;
    expect(moved.track?.deviceId).toBe('back');
    expect(before.readyState).toBe('ended');
    expectConsistent(w, 'choosing the back camera');
  });

  it('the chosen devices are opened next time, and a flip that fails brings back the camera we had', async () => {
    const storage = memoryStorage();
    const media = new FakeMediaDevices();
    const failuresSeen: string[] = [];
    const first = new Outgoing({ media: media as unknown as MediaDevices, onChange: () => {}, fail: () => {}, storage });
    await first.open();
    await first.choose('microphone', 'mic-2');
    // The page goes away (its tracks end with it).
    for (const t of first.stream.getTracks()) t.stop();
    expect(media.live()).toEqual([]);
    const second = new Outgoing({ media: media as unknown as MediaDevices, onChange: () => {}, fail: (_e, c) => failuresSeen.push(c), storage });
    await second.open();
    expect(second.state.inUse.microphone).toBe('mic-2');
    media.failNextCamera = 'NotReadableError';
    await second.flip();
    expect(failuresSeen).toEqual(['switching to the back camera']);
    expect(second.state).toMatchObject({ facing: 'user', cameraOff: false, inUse: { camera: 'front' } });
    expect(media.liveCameras()).toHaveLength(1);
  });

  it('the last camera unplugged: the other person is told "camera off", and a new camera is taken when it comes', async () => {
    const w = await inACall();
    w.media.unplug('back');
    w.media.unplug('front');
    await settle(w);
    expectConsistent(w, 'both cameras unplugged');
    expect(w.out.state.cameraOff).toBe(true);
    w.media.devices.push({ id: 'usb', kind: 'videoinput' });
    await w.out.setCameraOff(false);
    expectConsistent(w, 'a camera plugged in, camera on');
    expect(w.route.video?.deviceId).toBe('usb');
  });

  it('a screen share is sent as detail (text), and a refused picker changes nothing', async () => {
    const w = await inACall();
    w.media.pickerAnswer = 'NotAllowedError';
    expect(await w.out.share()).toBe('cancelled');
    expect(w.out.state.sharing).toBe(false);
    w.media.pickerAnswer = 'NotReadableError';
    expect(await w.out.share()).toBe('failed');
    expect(w.failures).toEqual(['sharing the screen']);
    w.media.pickerAnswer = 'share';
    expect(await w.out.share()).toBe('started');
    expect(w.route.video?.contentHint).toBe('detail');
  });

  it('mute is instant, even while the screen picker is open', async () => {
    const w = await inACall((m) => (m.delayMs = 50));
    const sharing = w.out.share();
    w.out.toggleMute();
    expect(w.out.state.muted).toBe(true);
    expect(w.route.audio!.enabled).toBe(false);
    await sharing;
    await settle(w);
    expectConsistent(w, 'mute during the picker');
  });
});
