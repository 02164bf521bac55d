// The call's phase, as the person sees it, derived from the facts the call knows.
// A pure function: change what is shown when here, and test it without a browser.

export type CallPhase =
  /** Alone in the room. `peerLeft` when someone was here and left. */
  | { kind: 'waiting'; peerLeft: boolean }
  /** The other person is here; media is being set up. */
  | { kind: 'connecting' }
  /** Both descriptions exchanged, but no pair of addresses works between the two networks. */
  | { kind: 'no-path' }
  | { kind: 'connected' }
  /**
   * Media stopped flowing; trying to get it back. `offline`: we can't reach the
   * signaling server either (our network is down). `peerAway`: we can, so the
   * other person's page is gone or their network is down.
   */
  | { kind: 'reconnecting'; peerAway: boolean; offline: boolean }
  /** Three's a crowd: no seat for us. */
  | { kind: 'full' }
  /** We left, or lost our seat. */
  | { kind: 'ended'; reason: 'left' | 'seat-lost' | 'room-gone' };

/** What the call knows at one moment. */
export interface PhaseFacts {
  previous: CallPhase;
  /** The other person holds a fresh seat. */
  otherHere: boolean;
  /** Someone was here earlier in this call. */
  hadPeer: boolean;
  /** The room view comes from the server (false: only from the local cache). */
  live: boolean;
  /** Our current peer connection, if any. */
  connection: ConnectionFacts | null;
}

/** How a connection is doing (connection.ts), and whom it serves (pairing.ts). */
export interface ConnectionFacts {
  /** It talks to the other person's current page. */
  toOther: boolean;
  state: RTCPeerConnectionState;
  everConnected: boolean;
  noPath: boolean;
  /** Kept while the other person's seat is missing, because media still flows. */
  kept: boolean;
}

/** The phase to show, or null to keep the current one. */
export function derivePhase(f: PhaseFacts): CallPhase | null {
  const c = f.connection;
  if (c?.kept) return null; // media flows; their seat will be back
  if (!f.otherHere) return { kind: 'waiting', peerLeft: f.hadPeer };
  if (c && c.toOther && c.state === 'connected') return { kind: 'connected' };
  const wasTalking = f.previous.kind === 'connected' || f.previous.kind === 'reconnecting';
  if (wasTalking || c?.everConnected) {
    const offline = !f.live;
    const peerAway = !offline && (!c || !c.toOther || c.state === 'failed' || c.state === 'closed');
    return { kind: 'reconnecting', peerAway, offline };
  }
  if (c?.toOther && c.noPath) return { kind: 'no-path' };
  return { kind: 'connecting' };
}

export function samePhase(a: CallPhase, b: CallPhase): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
