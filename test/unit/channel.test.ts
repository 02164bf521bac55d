// The data-channel protocol (src/call/channel.ts) over in-memory channel pairs: state
// reaches the other side, chat arrives exactly once and in order through channels that
// die with messages in flight, through new channels, and through a reload.
import { describe, expect, it } from 'vitest';
import { MAX_CHAT_CHARS, NO_STATE, PeerChannel, parseWire, type ChannelLike, type ChatMessage, type PeerState } from '../../src/call/channel.ts';

type Listener = (e: Event | MessageEvent) => void;

/** One end of an in-memory channel. `cut()` loses whatever is in flight, as a dead link does. */
class End implements ChannelLike {
  readyState: RTCDataChannelState = 'connecting';
  other!: End;
  inFlight: string[] = [];
  private listeners: Record<string, Set<Listener>> = { open: new Set(), close: new Set(), message: new Set() };
  addEventListener(type: string, l: Listener) {
    this.listeners[type]!.add(l);
  }
  removeEventListener(type: string, l: Listener) {
    this.listeners[type]!.delete(l);
  }
  emit(type: string, e: Event | MessageEvent) {
    for (const l of [...this.listeners[type]!]) l(e);
  }
  send(data: string) {
    if (this.readyState !== 'open') throw new Error('InvalidStateError');
    this.other.inFlight.push(data);
  }
}

function pair(): [End, End] {
  const a = new End();
  const b = new End();
  a.other = b;
  b.other = a;
  return [a, b];
}
function open(...ends: End[]) {
  for (const e of ends) e.readyState = 'open';
  for (const e of ends) e.emit('open', new Event('open'));
}
function close(...ends: End[]) {
  for (const e of ends) {
    e.readyState = 'closed';
    e.inFlight = [];
    e.emit('close', new Event('close'));
  }
}
/** Delivers everything in flight both ways until quiet. */
function pump(...ends: End[]) {
  for (let busy = true; busy; ) {
    busy = false;
    for (const e of ends) {
      while (e.inFlight.length && e.readyState === 'open') {
        busy = true;
        e.emit('message', new MessageEvent('message', { data: e.inFlight.shift() }));
      }
    }
  }
}

function person(epoch: string) {
  const seen = { chat: [] as ChatMessage[], state: [] as PeerState[], delivered: [] as number[], link: [] as boolean[] };
  const channel = new PeerChannel(
    {
      onChat: (m) => seen.chat.push(m),
      onState: (s) => seen.state.push(s),
      onDelivered: (n) => seen.delivered.push(n),
      onLink: (o) => seen.link.push(o),
    },
    epoch,
  );
  return { channel, seen };
}

describe('the data channel protocol', () => {
  it('sends state when the channel opens and on every change', () => {
    const ana = person('ana-1');
    const ben = person('ben-1');
    ana.channel.setState({ muted: true, cameraOff: false, sharing: false });
    const [a, b] = pair();
    ana.channel.attach(a);
    ben.channel.attach(b);
    open(a, b);
    pump(a, b);
    expect(ben.seen.state.at(-1)).toEqual({ muted: true, cameraOff: false, sharing: false });
    expect(ana.seen.state.at(-1)).toEqual(NO_STATE);
    ana.channel.setState({ muted: false, cameraOff: true, sharing: true });
    pump(a, b);
    expect(ben.seen.state.at(-1)).toEqual({ muted: false, cameraOff: true, sharing: true });
    expect(ana.seen.link).toEqual([true]);
  });

  it('one side attaches late (its first messages found no listener): both hellos still meet, chat flows both ways', () => {
    const ana = person('ana-1');
    const ben = person('ben-1');
    const [a, b] = pair();
    ana.channel.attach(a);
    open(a, b);
    pump(a, b); // Ana's hello arrives at Ben's channel before Ben listens: lost
    ben.channel.attach(b);
    pump(a, b);
    ana.channel.sendChat('one');
    ben.channel.sendChat('hi');
    pump(a, b);
    expect(ben.seen.chat.map((m) => m.text)).toEqual(['one']);
    expect(ana.seen.chat.map((m) => m.text)).toEqual(['hi']);
    expect(ana.channel.pending).toBe(0);
    expect(ben.channel.pending).toBe(0);
  });

  it('delivers chat both ways, in order, and reports delivery', () => {
    const ana = person('ana-1');
    const ben = person('ben-1');
    const [a, b] = pair();
    ana.channel.attach(a);
    ben.channel.attach(b);
    open(a, b);
    pump(a, b);
    ana.channel.sendChat('one');
    ana.channel.sendChat('two');
    ben.channel.sendChat('hi');
    pump(a, b);
    expect(ben.seen.chat.map((m) => m.text)).toEqual(['one', 'two']);
    expect(ana.seen.chat.map((m) => m.text)).toEqual(['hi']);
    expect(ana.channel.pending).toBe(0);
    expect(ana.seen.delivered.at(-1)).toBe(2);
  });

  it('keeps messages written while no channel is open and sends them, once and in order, on the next one', () => {
    const ana = person('ana-1');
    const ben = person('ben-1');
    let [a, b] = pair();
    ana.channel.attach(a);
    ben.channel.attach(b);
    open(a, b);
    pump(a, b);
    ana.channel.sendChat('before');
    pump(a, b);
    // The link dies with two messages in flight, and two more are written while it is down.
    ana.channel.sendChat('in flight 1');
    ana.channel.sendChat('in flight 2');
    close(a, b);
    ana.channel.sendChat('while down 1');
    ana.channel.sendChat('while down 2');
    expect(ana.channel.pending).toBe(4);
    // A new peer connection, a new channel.
    [a, b] = pair();
    ana.channel.attach(a);
    ben.channel.attach(b);
    open(a, b);
    pump(a, b);
    expect(ben.seen.chat.map((m) => m.text)).toEqual(['before', 'in flight 1', 'in flight 2', 'while down 1', 'while down 2']);
    expect(new Set(ben.seen.chat.map((m) => m.key)).size).toBe(5);
    expect(ana.channel.pending).toBe(0);
  });

  it('never delivers twice when the acknowledgement is what got lost', () => {
    const ana = person('ana-1');
    const ben = person('ben-1');
    let [a, b] = pair();
    ana.channel.attach(a);
    ben.channel.attach(b);
    open(a, b);
    pump(a, b);
    ana.channel.sendChat('hello');
    // Ben receives it, but his ack dies with the link.
    b.emit('message', new MessageEvent('message', { data: b.inFlight.shift() }));
    close(a, b);
    expect(ben.seen.chat.map((m) => m.text)).toEqual(['hello']);
    expect(ana.channel.pending).toBe(1);
    [a, b] = pair();
    ana.channel.attach(a);
    ben.channel.attach(b);
    open(a, b);
    pump(a, b);
    expect(ben.seen.chat.map((m) => m.text)).toEqual(['hello']);
    expect(ana.channel.pending).toBe(0);
  });

  it('a reloaded page on the other side counts from 1 again and still gets everything not acknowledged', () => {
    const ana = person('ana-1');
    let ben = person('ben-1');
    let [a, b] = pair();
    ana.channel.attach(a);
    ben.channel.attach(b);
    open(a, b);
    pump(a, b);
    ben.channel.sendChat('old page');
    ana.channel.sendChat('to the old page');
    pump(a, b);
    close(a, b);
    ana.channel.sendChat('to the new page');
    ben = person('ben-2');
    [a, b] = pair();
    ana.channel.attach(a);
    ben.channel.attach(b);
    open(a, b);
    pump(a, b);
    ben.channel.sendChat('new page');
    pump(a, b);
    expect(ana.seen.chat.map((m) => m.text)).toEqual(['old page', 'new page']);
    expect(ben.seen.chat.map((m) => m.text)).toEqual(['to the new page']);
  });

  it('ignores a channel that was replaced', () => {
    const ana = person('ana-1');
    const ben = person('ben-1');
    const [a1, b1] = pair();
    ana.channel.attach(a1);
    ben.channel.attach(b1);
    open(a1, b1);
    pump(a1, b1);
    const [a2, b2] = pair();
    ana.channel.attach(a2);
    ben.channel.attach(b2);
    // The old channel still carries a message: it is not taken from a replaced channel.
    b1.inFlight.push(JSON.stringify({ t: 'chat', n: 1, text: 'ghost', at: 1 }));
    pump(a1, b1);
    expect(ben.seen.chat).toEqual([]);
    open(a2, b2);
    pump(a2, b2);
    expect(ana.channel.open && ben.channel.open).toBe(true);
  });

  it('rejects malformed or hostile messages and cuts chat at the length limit', () => {
    expect(parseWire('not json')).toBeNull();
    expect(parseWire(JSON.stringify({ t: 'state', state: { muted: 'yes' } }))).toBeNull();
    expect(parseWire(JSON.stringify({ t: 'chat', n: -1, text: 'x', at: 1 }))).toBeNull();
    expect(parseWire(JSON.stringify({ t: 'chat', n: 1, text: 42, at: 1 }))).toBeNull();
    expect(parseWire(JSON.stringify({ t: 'eval', code: 'x' }))).toBeNull();
    const long = parseWire(JSON.stringify({ t: 'chat', n: 1, text: 'a'.repeat(MAX_CHAT_CHARS + 5), at: 1 }));
    expect(long?.t === 'chat' && long.text.length).toBe(MAX_CHAT_CHARS);
    expect(parseWire('x'.repeat(100_000))).toBeNull();
  });
});
