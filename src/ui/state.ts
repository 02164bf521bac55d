// Everything the screen shows is rendered from one of these.

import type { CallPhase } from '../call/phase.ts';
import type { MediaFailure } from '../media/capture.ts';

/** The "Notify me" choice on the waiting screen (app/native.ts): asked for only when pressed. */
export type NotifyChoice = 'off' | 'on' | 'blocked' | 'unsupported';

export type Notice = { kind: 'alert' | 'status'; text: string; help?: string };

/** Where the person is in the flow. */
export type Screen =
  /** Waiting for the browser's camera and microphone prompt. */
  | { screen: 'starting' }
  | { screen: 'media-error'; failure: MediaFailure }
  /** Asking for a room name, maybe with a message about the last attempt. */
  | { screen: 'naming'; notice?: Notice; value?: string }
  | { screen: 'joining'; room: string }
  | { screen: 'call'; room: string; phase: CallPhase; invite: string }
  /** No network and the call service can't be reached. */
  | { screen: 'offline'; room?: string }
  /** This browser lacks what a call needs (`missing`: in words, see browser-support.ts). */
  | { screen: 'unsupported'; missing: string[] };

/** The person's own camera and microphone, as the controls show them. */
export interface Controls {
  muted: boolean;
  cameraOff: boolean;
  /** Which camera is in use: the front one is shown mirrored. */
  facing: 'user' | 'environment';
  /** More than one camera: the switch button is offered. */
  canFlip: boolean;
}

export type AppState = Screen & {
  controls: Controls;
  /** A new version is installed and waiting for the person's Reload. */
  updateReady: boolean;
  /** "Hide my address": calls go through the relay only (a kept preference). */
  relayOnly: boolean;
  /** "Notify me" on the waiting screen (app/native.ts). */
  notify: NotifyChoice;
};

export const initialControls: Controls = { muted: false, cameraOff: false, facing: 'user', canFlip: false };
