// asDtlsServer (src/call/peer.ts): the first answer of a connection makes the answerer the DTLS
// server. A pure SDP edit; the browser suites prove that calls connect with it (Chromium and
// Firefox, restarts included).
import { describe, expect, it } from 'vitest';
import { asDtlsServer } from '../../src/call/peer.ts';

const answer = (setup: string) =>
  ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', `a=setup:${setup}`, 'a=mid:0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', `a=setup:${setup}`, 'a=mid:1', ''].join('\r\n');

describe('asDtlsServer', () => {
  it('turns every a=setup:active into passive, and nothing else', () => {
    const out = asDtlsServer({ type: 'answer', sdp: answer('active') });
    expect(out.type).toBe('answer');
    expect(out.sdp).toBe(answer('passive'));
  });

  it('leaves an answer that is already passive (or any other line mentioning "active") alone', () => {
    expect(asDtlsServer({ type: 'answer', sdp: answer('passive') }).sdp).toBe(answer('passive'));
    const sdp = 'v=0\r\na=x-note:setup:active\r\n';
    expect(asDtlsServer({ type: 'answer', sdp }).sdp).toBe(sdp);
  });
});
