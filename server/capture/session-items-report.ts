// What the page's session-item views ask the server for (GET /api/session-items): the largest
// items across all stored sessions, and one session's items over time. Computed on request
// from the stored records (item tables only: there are no values to aggregate), so it costs
// the relay nothing.
import type { ExchangeRecord, RequestKind, SessionItemsRecord } from './wire-types.ts';

/** The latest size seen of one key, with where its largest size was seen. */
export interface LargestItem {
  key: string | null;
  type: string;
  className?: string;
  /** Largest size of this item in any session, bytes. */
  maxBytes: number;
  /** The session and exchange where it was that large. */
  sessionId: string | null;
  exchangeId: number;
  /** Sessions in which the item was seen. */
  sessions: number;
  /** Its share of the bytes of the session where it was largest (0..1). */
  shareOfSession: number;
}

export interface SessionItemsOverview {
  /** Exchanges whose item table was read / could not be read. */
  decoded: number;
  notSessions: number;
  keys: 'names' | 'hashed' | 'mixed' | null;
  largest: LargestItem[];
  /** The sessions with the largest serialized size, largest first. */
  largestSessions: { sessionId: string | null; maxBytes: number; exchangeId: number; items: number }[];
}

export interface SessionItemsPoint {
  exchangeId: number;
  startedAt: number;
  kind: RequestKind;
  side: 'request' | 'reply';
  /** Bytes of all values (the session's size, uncompressed, without its tables). */
  valueBytes: number;
  sizes: Record<string, number>;
}

export interface SessionItemsTimeline {
  sessionId: string;
  /** Keys in order of their largest size, for the legend. */
  keys: string[];
  points: SessionItemsPoint[];
}

/** The null key's label in views keyed by name. */
export const NULL_KEY_LABEL = '(null key)';

function tablesOf(record: ExchangeRecord): { side: 'request' | 'reply'; table: SessionItemsRecord }[] {
  const out: { side: 'request' | 'reply'; table: SessionItemsRecord }[] = [];
  if (record.request?.sessionItems) out.push({ side: 'request', table: record.request.sessionItems });
  if (record.reply?.sessionItems) out.push({ side: 'reply', table: record.reply.sessionItems });
  return out;
}

export function sessionItemsOverview(records: Iterable<ExchangeRecord>, limit = 50): SessionItemsOverview {
  const byKey = new Map<string, LargestItem & { seenIn: Set<string> }>();
  const sessions = new Map<string, { sessionId: string | null; maxBytes: number; exchangeId: number; items: number }>();
  let decoded = 0;
  let notSessions = 0;
  let keys: SessionItemsOverview['keys'] = null;
  for (const record of records) {
    const sessionId = record.request?.sessionId ?? null;
    const sessionKey = sessionId ?? '';
    for (const { table } of tablesOf(record)) {
      if (!table.ok) {
        notSessions++;
        continue;
      }
      decoded++;
      keys = keys === null || keys === table.keys ? table.keys : 'mixed';
      const session = sessions.get(sessionKey);
      if (!session || table.valueBytes > session.maxBytes) {
        sessions.set(sessionKey, { sessionId, maxBytes: table.valueBytes, exchangeId: record.id, items: table.itemCount });
      }
      for (const item of table.items) {
        const name = item.key ?? NULL_KEY_LABEL;
        let entry = byKey.get(name);
        if (!entry) {
          entry = { key: item.key, type: item.type, maxBytes: 0, sessionId, exchangeId: record.id, sessions: 0, shareOfSession: 0, seenIn: new Set() };
          byKey.set(name, entry);
        }
        if (!entry.seenIn.has(sessionKey)) {
          entry.seenIn.add(sessionKey);
          entry.sessions++;
        }
        if (item.size >= entry.maxBytes) {
          entry.maxBytes = item.size;
          entry.type = item.type;
          if (item.className !== undefined) entry.className = item.className;
          else delete entry.className;
          entry.sessionId = sessionId;
          entry.exchangeId = record.id;
          entry.shareOfSession = table.valueBytes > 0 ? Math.round((item.size / table.valueBytes) * 1000) / 1000 : 0;
        }
      }
    }
  }
  const largest = [...byKey.values()]
    .sort((a, b) => b.maxBytes - a.maxBytes)
    .slice(0, limit)
    .map(({ seenIn: _seenIn, ...item }) => item);
  const largestSessions = [...sessions.values()].sort((a, b) => b.maxBytes - a.maxBytes).slice(0, limit);
  return { decoded, notSessions, keys, largest, largestSessions };
}

/** One session's item sizes, exchange by exchange (oldest first, at most `limit` points). */
export function sessionItemsTimeline(records: Iterable<ExchangeRecord>, sessionId: string, limit = 500): SessionItemsTimeline {
  const points: SessionItemsPoint[] = [];
  const maxOf = new Map<string, number>();
  for (const record of records) {
    if (record.request?.sessionId !== sessionId) continue;
    for (const { side, table } of tablesOf(record)) {
      if (!table.ok) continue;
      const sizes: Record<string, number> = {};
      for (const item of table.items) {
        const name = item.key ?? NULL_KEY_LABEL;
        sizes[name] = item.size;
        maxOf.set(name, Math.max(maxOf.get(name) ?? 0, item.size));
      }
      points.push({ exchangeId: record.id, startedAt: record.startedAt, kind: record.request.kind, side, valueBytes: table.valueBytes, sizes });
    }
  }
  const keys = [...maxOf.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  return { sessionId, keys, points: points.slice(-limit) };
}

/** GET /api/session-items: the overview, or with ?session=ID that session's timeline. */
export function sessionItemsApi(records: Iterable<ExchangeRecord>, query: URLSearchParams): SessionItemsOverview | SessionItemsTimeline {
  const session = query.get('session');
  return session !== null && session !== '' ? sessionItemsTimeline(records, session) : sessionItemsOverview(records);
}
