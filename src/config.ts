// Runtime configuration that can change without a code change.

/** Used when /ice-servers.json is missing or unreadable. */
export const DEFAULT_ICE_SERVERS: RTCIceServer[] = [{ urls: 'stun:stun.l.google.com:19302' }];

/**
 * ICE servers come from /ice-servers.json (public/ice-servers.json in the repo), so a
 * deployment can add TURN servers by editing that file: {"iceServers": [...], "iceTransportPolicy": "all"}.
 */
export async function loadRtcConfig(): Promise<RTCConfiguration> {
  try {
    const response = await fetch('/ice-servers.json', { cache: 'no-cache' });
    if (!response.ok) throw new Error(String(response.status));
    const json = (await response.json()) as { iceServers?: RTCIceServer[]; iceTransportPolicy?: RTCIceTransportPolicy };
    return {
      iceServers: Array.isArray(json.iceServers) ? json.iceServers : DEFAULT_ICE_SERVERS,
      iceTransportPolicy: json.iceTransportPolicy === 'relay' ? 'relay' : 'all',
    };
  } catch {
    return { iceServers: DEFAULT_ICE_SERVERS };
  }
}

/**
 * The Firebase web config, as Hosting (and its emulator) serves it. Public by design: it
 * names the project, it grants nothing (the security rules do that).
 */
export async function fetchFirebaseConfig(): Promise<Record<string, string>> {
  const response = await fetch('/__/firebase/init.json');
  if (!response.ok) throw new Error(`Firebase config not found (/__/firebase/init.json answered ${response.status})`);
  return (await response.json()) as Record<string, string>;
}
