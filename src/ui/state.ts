// Everything the screen shows is rendered from one of these.

import type { CallPhase } from '../call/phase.ts';
import type { MediaFailure } from '../media/capture.ts';

export type Notice = { kind: 'alert' | 'status'; text: string; help?: string };

export type AppState =
  /** Waiting for the browser's camera and microphone prompt. */
  | { screen: 'starting' }
  | { screen: 'media-error'; failure: MediaFailure }
  /** Asking for a room name, maybe with a message about the last attempt. */
  | { screen: 'naming'; notice?: Notice; value?: string }
  | { screen: 'joining'; room: string }
  | { screen: 'call'; room: string; phase: CallPhase; invite: string }
  /** No network and the call service can't be reached. */
  | { screen: 'offline'; room?: string };
