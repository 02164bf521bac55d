// One document written with one REST commit, beside the Firestore SDK rather than through it.
//
// Why: the SDK runs every operation on one queue, and a transaction's commit waits on that
// queue for its answer. A commit in flight when the network changes (a phone leaving its
// wifi) waits on a socket that is gone: in the NAT world every other Firestore operation of
// the page, its listeners' reconnection included, then waited 45 s and more (issue 27). A
// plain fetch has its own timeout and blocks nothing.
import { Timestamp, type DocumentData } from 'firebase/firestore';

type RestValue =
  | { nullValue: null }
  | { stringValue: string }
  | { integerValue: string }
  | { doubleValue: number }
  | { booleanValue: boolean }
  | { timestampValue: string }
  | { arrayValue: { values: RestValue[] } }
  | { mapValue: { fields: Record<string, RestValue> } };

/** A plain value as the REST API spells it (what sealOutbox makes: strings, numbers, maps, timestamps). */
export function restValue(v: unknown): RestValue {
  if (v === null || v === undefined) return { nullValue: null };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { booleanValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { integerValue: String(v) } : { doubleValue: v };
  if (v instanceof Timestamp) return { timestampValue: v.toDate().toISOString() };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(restValue) } };
  if (typeof v === 'object') return { mapValue: { fields: restFields(v as Record<string, unknown>) } };
  throw new TypeError(`no REST form for ${typeof v}`);
}

function restFields(o: Record<string, unknown>): Record<string, RestValue> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, restValue(v)]));
}

/**
 * Sets the document at `path` (relative to the database, e.g. "rooms/x/peers/y") to `data`, with
 * the fields named in `serverTime` set to the server's time, in one commit. Rejects on any
 * failure or after `timeoutMs`: the caller falls back to the SDK.
 */
export async function restSet(
  documents: string,
  token: string,
  path: string,
  data: DocumentData,
  serverTime: string[],
  timeoutMs: number,
): Promise<void> {
  const plain = Object.fromEntries(Object.entries(data).filter(([k]) => !serverTime.includes(k)));
  const name = `${documents.replace(/^.*?\/v1\//, '')}/${path}`;
  const writes = [
    {
      update: { name, fields: restFields(plain) },
      updateTransforms: serverTime.map((fieldPath) => ({ fieldPath, setToServerValue: 'REQUEST_TIME' })),
    },
  ];
  const r = await fetch(`${documents}:commit`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ writes }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!r.ok) throw new Error(`REST commit answered ${r.status}`);
}
