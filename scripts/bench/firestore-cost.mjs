// Two views of Firestore traffic that do not rely on the app's own counters:
// - what the emulator holds (its REST API as an administrator: `Bearer owner`);
// - what each page sent (write operations in the Firestore requests, read off the wire).
import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const PROJECT = 'demo-duet';

/** name → document id. The app stores a room under an id derived from its name, never the name. */
const ids = new Map();
let roomDocId = null;
/** The room's document id, by the app's own derivation (test/e2e/room-id.ts, bundled once). */
async function docId(name) {
  if (!roomDocId) {
    const entry = fileURLToPath(new URL('../../test/e2e/room-id.ts', import.meta.url));
    const [out] = buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'error' }).outputFiles;
    roomDocId = (await import(`data:text/javascript;base64,${Buffer.from(out.text).toString('base64')}`)).roomDocId;
  }
  if (!ids.has(name)) ids.set(name, roomDocId(name, PROJECT));
  return ids.get(name);
}

function restUrl(path) {
  const host = process.env.FIRESTORE_EMULATOR_HOST ?? '127.0.0.1:8080';
  return `http://${host}/v1/projects/${PROJECT}/databases/(default)/documents${path}`;
}

async function rest(path) {
  const response = await fetch(restUrl(path), { headers: { Authorization: 'Bearer owner' } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`emulator REST ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Plain JS value of a Firestore REST value. */
function plain(v) {
  if (!v) return undefined;
  if ('nullValue' in v) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('integerValue' in v) return Number(v.integerValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('booleanValue' in v) return v.booleanValue;
  if ('timestampValue' in v) return v.timestampValue;
  if ('mapValue' in v) return Object.fromEntries(Object.entries(v.mapValue.fields ?? {}).map(([k, x]) => [k, plain(x)]));
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(plain);
  return undefined;
}

const asDoc = (d) => ({
  id: d.name.split('/').pop(),
  createTime: d.createTime,
  updateTime: d.updateTime,
  data: Object.fromEntries(Object.entries(d.fields ?? {}).map(([k, v]) => [k, plain(v)])),
});

/** The room people reach by typing `name`, as the emulator holds it, or null. */
export async function roomDoc(name) {
  const d = await rest(`/rooms/${await docId(name)}`);
  return d ? asDoc(d) : null;
}

/** That room's outboxes (peers/*) as the emulator holds them. */
export async function outboxDocs(name) {
  const d = await rest(`/rooms/${await docId(name)}/peers?pageSize=100`);
  return (d?.documents ?? []).map(asDoc);
}

/** A compact account of one room in the emulator: who sits, what each outbox carries, how often it changed. */
export async function roomState(roomId) {
  const [room, boxes] = await Promise.all([roomDoc(roomId), outboxDocs(roomId)]);
  return {
    room: room
      ? {
          seats: Object.keys(room.data.seats ?? {}).length,
          offer: room.data.offer ? 'pre-offer' : null,
          // A document written once has createTime == updateTime.
          writtenOnce: room.createTime === room.updateTime,
        }
      : null,
    outboxes: boxes.map((b) => {
      let candidates = 0;
      try {
        candidates = JSON.parse(b.data.candidates ?? '[]').length;
      } catch {}
      return {
        descN: b.data.descN ?? 0,
        description: b.data.description?.type ?? null,
        candidates,
        writtenOnce: b.createTime === b.updateTime,
      };
    }),
  };
}

/** Waits until the room holds a pre-offer; resolves with the time seen (ms) or null on timeout. */
export async function waitForPreOffer(roomId, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const room = await roomDoc(roomId);
    if (room?.data.offer) return Date.now();
    await new Promise((r) => setTimeout(r, 40));
  }
  return null;
}

/**
 * Counts the write operations a page sends to Firestore, from its requests:
 * transactions commit over REST (`documents:commit`, JSON body), other writes go
 * over the Write stream (WebChannel POSTs whose `reqN___data__` fields carry `writes`).
 */
export function countWritesOnTheWire(page) {
  const counter = { writes: 0, commits: 0, streamWrites: 0 };
  page.on('request', (request) => {
    if (request.method() !== 'POST') return;
    const url = request.url();
    const body = request.postData() ?? '';
    try {
      if (url.includes('/documents:commit')) {
        const n = JSON.parse(body).writes?.length ?? 0;
        counter.writes += n;
        counter.commits += n;
      } else if (url.includes('/google.firestore.v1.Firestore/Write/channel')) {
        for (const [key, value] of new URLSearchParams(body)) {
          if (!/^req\d+___data__$/.test(key)) continue;
          const n = JSON.parse(value).writes?.length ?? 0;
          counter.writes += n;
          counter.streamWrites += n;
        }
      }
    } catch {
      // Not a payload we know; the app's counter and the emulator still speak.
    }
  });
  return counter;
}
