// Screen sharing: where it exists (desktop browsers) and how to start it.

import { SCREEN_CONSTRAINTS } from './constraints.ts';

/** Phones have no getDisplayMedia: the Share screen button is hidden there. */
export function canShareScreen(md: MediaDevices | undefined = globalThis.navigator?.mediaDevices): boolean {
  return typeof md?.getDisplayMedia === 'function';
}

/** Asks the person what to share; resolves with the screen's video track. */
export async function captureScreen(md: MediaDevices = navigator.mediaDevices): Promise<MediaStreamTrack> {
  const stream = await md.getDisplayMedia(SCREEN_CONSTRAINTS);
  const track = stream.getVideoTracks()[0]!;
  // Text and lines, not faces: the encoder keeps detail over motion.
  track.contentHint = 'detail';
  return track;
}

/**
 * The picker, for a share: the screen's track; 'cancelled' when the person closed it (nothing
 * to say); 'failed' otherwise (`fail` is told why).
 */
export async function pickScreen(md: MediaDevices, fail: (error: unknown) => void): Promise<MediaStreamTrack | 'cancelled' | 'failed'> {
  try {
    return await captureScreen(md);
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'NotAllowedError' || name === 'AbortError') return 'cancelled';
    fail(e);
    return 'failed';
  }
}
