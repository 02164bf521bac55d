// The signaling documents as stored: pre-offers and outboxes sealed with the room key (crypto.ts), and opened again.
import { serverTimestamp, type DocumentData } from 'firebase/firestore';
import type { Outbox, PreOffer } from '../call/backend.ts';
import { open, seal, type RoomSecrets } from './crypto.ts';
import { expires, type StoredOffer } from './join.ts';

// Associated data of each sealed value: where it belongs (see seal() in crypto.ts).
const offerContext = (id: string, o: { uid: string; session: string; pc: string }) => `offer|${id}|${o.uid}|${o.session}|${o.pc}`;
const descContext = (id: string, b: { uid: string; session: string; pc: string; descN: number }, type: string) =>
  `desc|${id}|${b.uid}|${b.session}|${b.pc}|${b.descN}|${type}`;
const candContext = (id: string, b: { uid: string; session: string; pc: string }) => `cand|${id}|${b.uid}|${b.session}|${b.pc}`;

/** The pre-offer as stored: its SDP sealed with the room key. */
export async function sealOffer(s: RoomSecrets, offer: PreOffer | null): Promise<StoredOffer | null> {
  if (!offer) return null;
  const sealed = await seal(s.key, offerContext(s.id, offer), JSON.stringify(offer.sdp));
  return { uid: offer.uid, session: offer.session, pc: offer.pc, sealed };
}

/** The stored pre-offer opened; null when there is none or it is not sealed with this room's key. */
export async function openOffer(s: RoomSecrets, o: StoredOffer | null): Promise<PreOffer | null> {
  if (!o) return null;
  try {
    return { uid: o.uid, session: o.session, pc: o.pc, sdp: JSON.parse(await open(s.key, offerContext(s.id, o), o.sealed)) as string };
  } catch {
    return null; // not sealed with this room's key: nobody we can talk to
  }
}

/** `uid`'s outbox document as stored: the description and candidates sealed with the room key. */
export async function sealOutbox(s: RoomSecrets, uid: string, box: Omit<Outbox, 'uid'>): Promise<DocumentData> {
  const head = { uid, session: box.session, pc: box.pc, descN: box.descN };
  const d = box.description;
  const [description, candidates] = await Promise.all([
    d ? seal(s.key, descContext(s.id, head, d.type), JSON.stringify(d.sdp ?? '')).then((sealed) => ({ type: d.type, sealed })) : null,
    seal(s.key, candContext(s.id, head), JSON.stringify(box.candidates)),
  ]);
  return { ...head, to: box.to, toSession: box.toSession, toPc: box.toPc, description, candidates, at: serverTimestamp(), expires: expires() };
}

/** A stored outbox opened; rejects when it is not sealed with this room's key for its place. */
export async function openOutbox(s: RoomSecrets, d: DocumentData): Promise<Outbox> {
  const description = d.description
    ? { type: d.description.type, sdp: JSON.parse(await open(s.key, descContext(s.id, d as Outbox, d.description.type), d.description.sealed)) as string }
    : null;
  const candidates = JSON.parse(await open(s.key, candContext(s.id, d as Outbox), d.candidates)) as RTCIceCandidateInit[];
  const { uid, session, pc, to, toSession, toPc, descN } = d as Outbox;
  return { uid, session, pc, to, toSession, toPc, descN, description, candidates };
}
