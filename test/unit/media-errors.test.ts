// What people are told when camera or microphone can't be used.
// getUserMedia is faked here (a unit test can't deny permission for real); the
// browser suite proves the real denied and missing-device cases in Chromium.
import { describe, expect, it } from 'vitest';
import { captureMedia, describeMediaError } from '../../src/media/capture.ts';

const domError = (name: string) => Object.assign(new Error(`${name} from a fake getUserMedia`), { name });

describe('each capture failure names its cause and what to do', () => {
  it.each([
    ['NotAllowedError', 'denied', /blocked/, /allow/i],
    ['SecurityError', 'denied', /blocked/, /allow/i],
    ['NotFoundError', 'missing', /no camera or microphone was found/i, /connect/i],
    ['NotReadableError', 'busy', /could not be started/i, /another app/i],
    ['OverconstrainedError', 'constraints', /doesn’t support/i, /another camera/i],
    ['InsecureContext', 'insecure', /secure connection/i, /https:\/\//],
    ['AbortError', 'aborted', /interrupted/i, /try again/i],
    ['SomethingNew', 'unknown', /could not be started/i, /try again/i],
  ])('%s', (name, problem, title, help) => {
    const failure = describeMediaError(domError(name));
    expect(failure.problem).toBe(problem);
    expect(failure.title).toMatch(/camera and microphone/);
    expect(failure.title).toMatch(title);
    expect(failure.help).toMatch(help);
  });

  it('handles a DOMException-like object that is not an Error', () => {
    expect(describeMediaError({ name: 'NotFoundError', message: '' }).problem).toBe('missing');
  });

  it('handles a thrown non-error', () => {
    expect(describeMediaError('weird').problem).toBe('unknown');
    expect(describeMediaError(undefined).problem).toBe('unknown');
  });
});

describe('captureMedia', () => {
  it('rejects with InsecureContext where the browser offers no mediaDevices', async () => {
    await expect(captureMedia({ mediaDevices: undefined } as unknown as Navigator)).rejects.toMatchObject({
      name: 'InsecureContext',
    });
  });

  it('asks for camera and microphone in one request', async () => {
    let asked: MediaStreamConstraints | undefined;
    const fake = {
      mediaDevices: {
        getUserMedia: async (c: MediaStreamConstraints) => {
          asked = c;
          return 'stream' as unknown as MediaStream;
        },
      },
    } as unknown as Navigator;
    await captureMedia(fake);
    expect(asked?.audio).toBeTruthy();
    expect(asked?.video).toBeTruthy();
  });
});
