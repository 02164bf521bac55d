// What scripts/drive/probes.mjs installs in every test page (test instrumentation only).
interface DuetTestProbes {
  pcs: RTCPeerConnection[];
  firstFrames: { stream: number; playingAt: number; frameAt: number | null }[];
  shownFrames(): Promise<string | { frames: number; time: number; paused: boolean; muted: boolean }>;
  diagnose(): Promise<unknown>;
}
interface Window {
  __duetTest: DuetTestProbes;
}
