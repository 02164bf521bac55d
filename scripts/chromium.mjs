// How every test and benchmark starts Debian's Chromium (never a downloaded browser):
// headless as root, no background traffic, loopback ICE candidates, fake camera and
// microphone (or none, to prove the "no devices" error).
import { fakeCameraFile } from './fake-camera.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * @param {{ fakeDevices?: boolean, cameras?: number, camera?: 'small' | 'hd' }} [options]
 *   camera: 'small' (the default, for the test suites) plays scripts/fake-camera.mjs's
 *   320x240 picture; 'hd' keeps Chromium's built-in fake camera, which gives what the app asks
 *   (1280x720): the bench's choice, since it measures what people get. A file is one camera
 *   only, so `cameras` > 1 (switching cameras) keeps the built-in ones.
 */
/**
 * Playwright's own --disable-features list (playwright-core 1.65, chromiumSwitches). Chromium
 * reads only the last --disable-features it is given, and Playwright puts its list before
 * ours, so ours repeats it; test/unit/chromium-args.test.ts compares it with the installed
 * Playwright's.
 */
export const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'ThirdPartyStoragePartitioning', 'AvoidCorsURLLoaderRestartOnRedirect', 'TcpPortRandomizationWin',
  'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled', 'PreconnectToSearch',
  'msForceBrowserSignIn', 'msEdgeUpdateLaunchServicesPreferredVersion',
];

/**
 * Ours on top: every new window (each Playwright context) of Chromium 156 starts a renderer
 * for the address bar's popup (chrome://omnibox-popup.top-chrome/), which a headless page
 * never shows. Measured in the bench (DUET_BENCH_CPU=1): those renderers took 0.3-1.1 s of
 * CPU in each 1-2.5 s call setup, beside the call's own pages (docs/PERFORMANCE.md).
 */
export const DISABLED_FEATURES = [...PLAYWRIGHT_DISABLED_FEATURES, 'WebUIOmniboxPopup', 'WebUIOmniboxAimPopup'];

export function chromiumArgs({ fakeDevices = true, cameras = 1, camera = 'small' } = {}) {
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
    `--disable-features=${DISABLED_FEATURES.join(',')}`,
  ];
  if (fakeDevices) args.push(`--use-fake-device-for-media-stream${cameras > 1 ? `=device-count=${cameras}` : ''}`);
  if (fakeDevices && camera === 'small' && cameras === 1) args.push(`--use-file-for-fake-video-capture=${fakeCameraFile()}`);
  return args;
}
