// What the app asks of a camera, a microphone and a screen: the one home of these numbers.

/** A call's camera picture: 720p at 30 fps where the camera has it (less is fine). */
export function cameraConstraints(pick: { deviceId?: string; facingMode?: 'user' | 'environment' } = {}): MediaTrackConstraints {
  return {
    ...(pick.deviceId ? { deviceId: { exact: pick.deviceId } } : { facingMode: pick.facingMode ?? 'user' }),
    width: { ideal: 1280 },
    height: { ideal: 720 },
    frameRate: { ideal: 30 },
  };
}

/** A call's microphone: the browser's voice processing on (echo, noise, level). */
export function microphoneConstraints(pick: { deviceId?: string } = {}): MediaTrackConstraints {
  return {
    ...(pick.deviceId ? { deviceId: { exact: pick.deviceId } } : {}),
    echoCancellation: true,
    noiseSuppression: true,
    autoGainControl: true,
  };
}

/** A shared screen: text and lines at a modest frame rate, no sound. */
export const SCREEN_CONSTRAINTS: DisplayMediaStreamOptions = { video: { frameRate: { ideal: 15, max: 30 } }, audio: false };
