// Camera and microphone capture, and what to tell people when it fails.

import { cameraConstraints, microphoneConstraints } from './constraints.ts';

export type MediaProblem =
  | 'denied'
  | 'missing'
  | 'busy'
  | 'constraints'
  | 'insecure'
  | 'aborted'
  | 'unknown';

export interface MediaFailure {
  problem: MediaProblem;
  /** One sentence: what happened. */
  title: string;
  /** What the person can do about it. */
  help: string;
}

const REQUIRED = 'Duet needs your camera and microphone for a call.';

/** Maps a getUserMedia failure (or a missing API) to words a person can act on. */
export function describeMediaError(error: unknown): MediaFailure {
  const name = error instanceof Error || isDomException(error) ? (error as { name: string }).name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return {
        problem: 'denied',
        title: `${REQUIRED} Access to them was blocked.`,
        help: 'Allow camera and microphone for this site (the camera icon in the address bar, or your browser’s site settings), then press Try again.',
      };
    case 'NotFoundError':
    case 'DevicesNotFoundError':
      return {
        problem: 'missing',
        title: `${REQUIRED} No camera or microphone was found.`,
        help: 'Connect a camera and a microphone (or check they are switched on), then press Try again.',
      };
    case 'NotReadableError':
    case 'TrackStartError':
      return {
        problem: 'busy',
        title: `${REQUIRED} Your camera or microphone could not be started.`,
        help: 'Another app may be using it. Close other apps or tabs that use the camera, then press Try again.',
      };
    case 'OverconstrainedError':
    case 'ConstraintNotSatisfiedError':
      return {
        problem: 'constraints',
        title: `${REQUIRED} Your camera or microphone doesn’t support what was asked of it.`,
        help: 'Try another camera or microphone, then press Try again.',
      };
    case 'InsecureContext':
      return {
        problem: 'insecure',
        title: `${REQUIRED} This page can’t use them because it wasn’t opened over a secure connection.`,
        help: 'Open Duet with an https:// address (or on localhost), then press Try again.',
      };
    case 'AbortError':
      return {
        problem: 'aborted',
        title: `${REQUIRED} Starting them was interrupted.`,
        help: 'Press Try again. If it keeps happening, restart your browser.',
      };
    default:
      return {
        problem: 'unknown',
        title: `${REQUIRED} They could not be started.`,
        help: 'Check that they are connected and allowed for this site, then press Try again.',
      };
  }
}

function isDomException(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'name' in e && typeof (e as { name: unknown }).name === 'string';
}

export interface CaptureOptions {
  facingMode?: 'user' | 'environment';
}

/** Asks for camera and microphone together. Rejects with an Error whose name is the cause. */
export async function captureMedia(
  nav: Pick<Navigator, 'mediaDevices'> = navigator,
  options: CaptureOptions = {},
): Promise<MediaStream> {
  if (!nav.mediaDevices?.getUserMedia) {
    const e = new Error('navigator.mediaDevices is not available (insecure context?)');
    e.name = 'InsecureContext';
    throw e;
  }
  return nav.mediaDevices.getUserMedia({
    audio: microphoneConstraints(),
    video: cameraConstraints({ facingMode: options.facingMode ?? 'user' }),
  });
}

