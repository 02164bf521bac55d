// What this person sends, as their controls and the other person are told (media/outgoing.ts owns it).

import type { DeviceOption, DeviceRole } from './devices.ts';

export type Facing = 'user' | 'environment';
export type Source = 'camera' | 'microphone';

/** What this person sends, as their controls and the other person are told. */
export interface Sending {
  muted: boolean;
  /** No camera picture goes out: turned off, or no camera could be opened. */
  cameraOff: boolean;
  sharing: boolean;
  /** Which way the camera faces (the front one is shown mirrored). */
  facing: Facing;
  /** The device ids open now (null: none). */
  inUse: Record<Source, string | null>;
  /** What is present, for the device lists; more than one camera offers the switch. */
  options: Record<DeviceRole, DeviceOption[]>;
}

/** The one route to the call: puts a track on the current connection's sender of that kind. */
export interface SendRoute {
  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void>;
}

export type MediaSource = Pick<MediaDevices, 'getUserMedia' | 'enumerateDevices'> & Partial<Pick<MediaDevices, 'getDisplayMedia' | 'addEventListener'>>;

export interface OutgoingDeps {
  /** navigator.mediaDevices (undefined in an insecure context); tests pass a fake. */
  media: MediaSource | undefined;
  /** Every change of `Sending`, once the self-view and the call's senders carry it. */
  onChange(sending: Sending): void;
  /** A device in use went away and another took its place (or none was left). */
  onDeviceLost?(role: Source): void;
  fail(error: unknown, context: string): void;
  storage?: Pick<Storage, 'getItem' | 'setItem'> | undefined;
}

export type ShareResult = 'started' | 'cancelled' | 'failed' | 'unavailable';
