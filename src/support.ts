// Can this browser make a call at all? Checked before anything else: a browser without
// WebRTC or camera access (Debian's WebKitGTK, an old or embedded browser, a page opened
// over plain http) is told what is missing and which browsers work, instead of failing
// later with an exception or waiting forever. Which APIs the app needs: docs/BROWSERS.md.

import { text } from './ui/text.ts';

/** What a call needs that this browser lacks, as words for people (empty: nothing). */
export function missingForCalls(w: Window & typeof globalThis = window): string[] {
  const missing: string[] = [];
  if (typeof w.RTCPeerConnection !== 'function') missing.push(text.needsWebRtc);
  if (typeof w.navigator.mediaDevices?.getUserMedia !== 'function') missing.push(text.needsCamera);
  return missing;
}

/**
 * When this browser cannot make calls, shows why in the page's alert (the whole screen
 * is then that message: no prompt, no spinner) and returns true.
 */
export function explainIfUnsupported(root: HTMLElement | null = document.querySelector('main.app')): boolean {
  const missing = missingForCalls();
  if (missing.length === 0 || !root) return false;
  root.dataset.screen = 'unsupported';
  root.dataset.phase = '';
  const title = root.querySelector('.alert-title');
  const help = root.querySelector<HTMLElement>('.alert-help');
  if (title) title.textContent = text.unsupported(missing);
  if (help) {
    help.textContent = text.unsupportedHelp;
    help.hidden = false;
  }
  root.querySelector<HTMLElement>('[role="alert"]')?.removeAttribute('hidden');
  root.querySelector<HTMLElement>('[role="status"]')?.setAttribute('hidden', ''); // nothing is pending
  return true;
}
