// How every test (and any benchmark) starts Debian's Firefox ESR, driven by
// puppeteer-core over WebDriver BiDi (never a downloaded browser): headless, fake camera
// and microphone, camera and microphone granted as a person who clicked "Allow".
// Firefox gathers ICE candidates only on a network with a default route: run it in the
// namespace scripts/emulators.mjs makes (docs: /work/shared/ENVIRONMENT.md).
import { existsSync } from 'node:fs';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** Why Firefox cannot be used here, or null when it can. */
export function firefoxBlocker() {
  return existsSync(FIREFOX) ? null : `no Firefox at ${FIREFOX} (apt-get install firefox-esr, or set FIREFOX_PATH)`;
}

/**
 * @param {{ autoplayBlocked?: boolean }} [options]
 *   autoplayBlocked: media allowed without a stored permission
 *   (media.navigator.permission.disabled), which leaves the page's autoplay policy at
 *   "allowed-muted": an unmuted <video>'s play() is refused until the person taps.
 */
export function firefoxPrefs({ autoplayBlocked = false } = {}) {
  return {
    'media.navigator.streams.fake': true,
    ...(autoplayBlocked
      ? { 'media.navigator.permission.disabled': true }
      : { 'permissions.default.camera': 1, 'permissions.default.microphone': 1 }),
    // Every person's page is in a window of its own (scripts/drive/people.mjs); even so,
    // never hold back a page that is not in front: a call goes on in a hidden tab.
    'media.suspend-bkgnd-video.enabled': false,
    'dom.min_background_timeout_value': 4,
    'dom.timeout.enable_budget_timer_throttling': false,
    // No background traffic: updates, telemetry, safe browsing, captive portal checks.
    'app.update.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
  };
}
