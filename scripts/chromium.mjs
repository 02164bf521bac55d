// How every test and benchmark starts Debian's Chromium (never a downloaded browser):
// headless as root, no background traffic, loopback ICE candidates, fake camera and
// microphone (or none, to prove the "no devices" error).

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** @param {{ fakeDevices?: boolean, cameras?: number }} [options] */
export function chromiumArgs({ fakeDevices = true, cameras = 1 } = {}) {
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
  ];
  if (fakeDevices) args.push(`--use-fake-device-for-media-stream${cameras > 1 ? `=device-count=${cameras}` : ''}`);
  return args;
}
