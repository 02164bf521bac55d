// Can this browser make a call at all? Checked before anything else (app/app.ts): a browser
// without WebRTC or camera access (Debian's WebKitGTK, an old or embedded browser, a page
// opened over plain http) is shown what is missing and which browsers work, instead of
// failing later with an exception or waiting forever. Which APIs the app needs: docs/BROWSERS.md.

import { text } from './ui/text.ts';

/** What a call needs that this browser lacks, as words for people (empty: nothing). */
export function missingForCalls(w: Window & typeof globalThis = window): string[] {
  const missing: string[] = [];
  if (typeof w.RTCPeerConnection !== 'function') missing.push(text.needsWebRtc);
  if (typeof w.navigator.mediaDevices?.getUserMedia !== 'function') missing.push(text.needsCamera);
  return missing;
}
