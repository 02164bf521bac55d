// Choosing the camera, microphone and speaker: what is present, what was chosen last
// time (remembered on this device only), and what to fall back to when the device in
// use disappears (unplugged mid-call).

import { cameraConstraints, microphoneConstraints } from './constraints.ts';

export type DeviceRole = 'camera' | 'microphone' | 'speaker';

export const KIND: Record<DeviceRole, MediaDeviceKind> = { camera: 'videoinput', microphone: 'audioinput', speaker: 'audiooutput' };

export type DeviceChoice = Partial<Record<DeviceRole, string>>;

export interface DeviceOption {
  id: string;
  label: string;
}

const KEY = 'duet.devices';

export function loadChoice(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): DeviceChoice {
  try {
    const v = JSON.parse(storage?.getItem(KEY) ?? '{}') as Record<string, unknown>;
    const out: DeviceChoice = {};
    for (const role of ['camera', 'microphone', 'speaker'] as const) if (typeof v[role] === 'string') out[role] = v[role] as string;
    return out;
  } catch {
    return {};
  }
}

export function saveChoice(choice: DeviceChoice, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(KEY, JSON.stringify(choice));
  } catch {
    // Private mode or storage full: the choice lasts for this page only.
  }
}

/** The devices of one kind, with a readable label even before permission names them. */
export function optionsFor(devices: readonly MediaDeviceInfo[], role: DeviceRole): DeviceOption[] {
  const noun = role === 'camera' ? 'Camera' : role === 'microphone' ? 'Microphone' : 'Speaker';
  return devices
    .filter((d) => d.kind === KIND[role] && d.deviceId !== '' && d.deviceId !== 'communications')
    .map((d, i) => ({ id: d.deviceId, label: d.label || `${noun} ${i + 1}` }));
}

export const NO_OPTIONS: Readonly<Record<DeviceRole, DeviceOption[]>> = { camera: [], microphone: [], speaker: [] };

/** What is present now, per role (none where the browser cannot say). */
export async function listOptions(md: Pick<MediaDevices, 'enumerateDevices'> | undefined): Promise<Record<DeviceRole, DeviceOption[]>> {
  const devices = (await md?.enumerateDevices?.().catch(() => null)) ?? [];
  return { camera: optionsFor(devices, 'camera'), microphone: optionsFor(devices, 'microphone'), speaker: optionsFor(devices, 'speaker') };
}

/**
 * The device to use now: the one in use if it is still there, else the remembered
 * one, else the first present; null when there is none.
 */
export function pickDevice(options: readonly DeviceOption[], inUse: string | undefined, remembered: string | undefined): string | null {
  const has = (id: string | undefined) => id !== undefined && options.some((o) => o.id === id);
  if (has(inUse)) return inUse!;
  if (has(remembered)) return remembered!;
  return options[0]?.id ?? null;
}

/** Whether this browser can send sound to a chosen speaker (HTMLMediaElement.setSinkId). */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}

/**
 * Opens one device (a camera or a microphone) by id, with the app's usual settings. A phone
 * rarely opens two cameras at once: if it is busy and `freeOld` is given, the device in use
 * is let go (freeOld) and it is tried once more.
 */
export async function openDevice(role: 'camera' | 'microphone', deviceId: string, md: MediaDevices = navigator.mediaDevices, freeOld?: () => void): Promise<MediaStreamTrack> {
  const open = async () => {
    const constraints = role === 'camera' ? { video: cameraConstraints({ deviceId }) } : { audio: microphoneConstraints({ deviceId }) };
    return (await md.getUserMedia(constraints)).getTracks()[0]!;
  };
  try {
    return await open();
  } catch (e) {
    if (!freeOld || (e as Error).name !== 'NotReadableError') throw e;
    freeOld();
    return open();
  }
}

/**
 * Opens a camera: the chosen `device` while it is there, else any camera facing `facing`.
 * Returns the device to keep asking for (undefined once the chosen one is gone).
 */
export async function openCamera(
  md: MediaDevices | undefined,
  want: { device: string | undefined; facing: 'user' | 'environment' },
): Promise<{ track: MediaStreamTrack; device: string | undefined }> {
  if (!md) throw new Error('no mediaDevices');
  if (want.device) {
    try {
      return { track: await openDevice('camera', want.device, md), device: want.device };
    } catch (e) {
      if ((e as Error).name !== 'OverconstrainedError' && (e as Error).name !== 'NotFoundError') throw e;
    }
  }
  const stream = await md.getUserMedia({ video: cameraConstraints({ facingMode: want.facing }) });
  return { track: stream.getVideoTracks()[0]!, device: undefined };
}
