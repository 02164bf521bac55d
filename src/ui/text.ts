// Every sentence the app says, in one place. Names are inserted as text, never as HTML.

import type { CallPhase } from '../call/phase.ts';

export const q = (name: string) => `“${name}”`;

export const text = {
  starting: 'Asking for your camera and microphone…',
  joining: (room: string) => `Joining ${q(room)}…`,
  cancelled: 'A room name is needed to start a call. Type one when you’re ready.',
  full: (room: string) =>
    `The room ${q(room)} is full: two people are already talking there. Please choose another name.`,
  left: (room: string) => `You left ${q(room)}.`,
  seatLost: (room: string) =>
    `You were away for a while and your place in ${q(room)} was given up. Type the name again to rejoin.`,
  roomGone: (room: string) => `The room ${q(room)} was closed. Type the name again to open it anew.`,
  offline: 'You’re offline. A call needs an internet connection — Duet will carry on as soon as you’re back.',
  serviceDown:
    'Duet can’t reach its call service right now. Check your connection; it will try again by itself.',
  privateName:
    'Seven random words nobody will guess. Join, then send the invite link to the person you want to talk to.',
  copied: 'Link copied. Paste it in a message to the person you want to talk to.',
  /** The browser refused to play the call with sound (autoplay policy): the picture plays silently. */
  soundBlocked: 'Your browser started the call without sound.',
  soundOn: 'Turn on sound',
  /** The browser refused to play the call at all until a tap. */
  videoBlocked: 'Your browser is waiting for you to start the call’s video and sound.',
  videoOn: 'Start video and sound',
  needsWebRtc: 'WebRTC, what video calls are made with',
  needsCamera: 'access to the camera and microphone',
  unsupported: (missing: string[]) => `This browser can’t make calls with Duet: it lacks ${missing.join(', and ')}.`,
  unsupportedHelp:
    'Open Duet in a recent Chrome, Edge, Firefox or Safari (on iPhone and iPad, Safari or any browser from iOS 14.3 on). On an http address, use https.',
  phase(phase: CallPhase, room: string): string {
    switch (phase.kind) {
      case 'waiting':
        return phase.peerLeft
          ? `The other person left. Waiting for someone to join ${q(room)}.`
          : `Waiting for someone to join ${q(room)}.`;
      case 'connecting':
        return 'Connecting…';
      case 'no-path':
        return 'A direct connection isn’t possible on this network. Duet keeps trying; another network (mobile data instead of Wi-Fi, say) may work.';
      case 'connected':
        return 'Connected';
      case 'reconnecting':
        if (phase.offline) return 'Reconnecting… Check your internet connection.';
        return phase.peerAway ? 'Reconnecting… waiting for the other person to come back.' : 'Reconnecting…';
      case 'full':
        return text.full(room);
      case 'ended':
        return text.left(room);
    }
  },
  // ---- During a call (issue 10) ----
  remote: {
    muted: 'muted',
    cameraOff: 'camera off',
    sharing: 'sharing screen',
  },
  announce: {
    muted: (on: boolean) => (on ? 'The other person muted their microphone.' : 'The other person unmuted their microphone.'),
    cameraOff: (on: boolean) => (on ? 'The other person turned their camera off.' : 'The other person turned their camera on.'),
    sharing: (on: boolean) => (on ? 'The other person is sharing their screen.' : 'The other person stopped sharing their screen.'),
    message: (body: string) => `New message: ${body.length > 140 ? `${body.slice(0, 140)}…` : body}`,
    youShare: (on: boolean) => (on ? 'You are sharing your screen.' : 'You stopped sharing your screen.'),
    deviceLost: (device: string) => `${device} was disconnected; switched to another one.`,
  },
  chat: {
    label: 'Chat',
    unread: (n: number) => (n === 1 ? ', 1 unread message' : `, ${n} unread messages`),
    sending: 'Waiting for the connection…',
    you: 'You',
    them: 'Them',
    empty: 'Messages go straight to the other person and are not stored anywhere.',
  },
  code: {
    waiting: 'Appears once you are connected.',
  },
  quality: {
    good: 'Connection good',
    fair: 'Connection fair',
    poor: 'Connection poor',
    direct: 'Direct',
    relayed: 'Through a relay server',
  },
  shareFailed: 'Your screen could not be shared.',
  // ---- The phone's own ways in (app/native.ts) ----
  native: {
    title: 'Duet — a video call for two',
    joiningTitle: (room: string) => `Joining ${q(room)} — Duet`,
    waitingTitle: (room: string) => `Waiting in ${q(room)} — Duet`,
    inCallTitle: (room: string) => `In a call in ${q(room)} — Duet`,
    joinedTitle: (room: string) => `Someone joined ${q(room)} — Duet`,
    joined: (room: string) => `Someone joined ${q(room)}`,
    tapToReturn: 'Tap to go back to the call.',
    /** A toggle: the same words on and off (aria-pressed says which), short enough for one row. */
    notify: 'Notify me',
    notifyName: 'Notify me when they join',
    notifyBlocked: 'Notifications are blocked',
    notifyBlockedName: 'Notifications are blocked: allow them for this site in your browser’s settings',
  },
};
