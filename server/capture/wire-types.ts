// The one file of types shared by the server and the dashboard UI (ui/ imports these with
// `import type` only). Everything here is plain JSON: it travels over REST and the ws feed,
// and is what the JSONL log writes.

/**
 * One catalogue of outcome codes, used by records, logs, metrics labels and UI badges (their
 * words for people are in ui/src/outcome-text.ts; a Record over this type keeps them complete).
 */
export const OUTCOME_CODES = [
  'ok',
  'upstream_refused', // connect refused: nothing listens there
  'upstream_unreachable', // DNS failure, no route, host down
  'upstream_timeout', // connect or reply took longer than --upstream-timeout
  'upstream_reset', // upstream reset or closed the connection before the reply was complete
  'client_reset', // client went away (left first) before its request was complete or answered
  'client_timeout', // client began a request head and did not finish it within --head-timeout
  'unparseable', // bytes could not be parsed; relayed raw, not recorded as exchanges
  'proxy_shutdown', // statescope stopped while the exchange was in flight
  'proxy_out_of_descriptors', // statescope could not open the upstream connection: EMFILE/ENFILE
] as const;
export type OutcomeCode = (typeof OUTCOME_CODES)[number];


export type RequestKind =
  | 'Get'
  | 'GetExclusive'
  | 'ReleaseExclusive'
  | 'Set'
  | 'CreateUninitialized'
  | 'Remove'
  | 'ResetTimeout'
  | 'Unknown';

/** What the client received regarding X-AspNet-Version. 'none': there was no reply. */
export type VersionState = 'present' | 'missing' | 'injected' | 'none';

/** Header as on the wire: [name as spelled, value]. */
export type WireHeader = [string, string];

export interface RequestRecord {
  verb: string;
  kind: RequestKind;
  /** Raw target as sent (starts with %2f). */
  target: string;
  appId: string | null;
  appHash: string | null;
  sessionId: string | null;
  headers: WireHeader[];
  /** The head exactly as received, latin1 (start line through the blank line). */
  head: string;
  bodySize: number;
  lockCookie: string | null;
  /** Base64 of the captured body prefix; only with --capture-bodies. */
  body?: string;
  bodyTruncated?: boolean;
  /** Short digest of a Set's whole body (never the bytes): for the redundant-writes diagnosis. */
  bodyDigest?: string;
  /** The session's item table (names, types, sizes; never values), with --session-items, on a Set. */
  sessionItems?: SessionItemsRecord;
}

export interface ReplyRecord {
  /** 'HTTP/1.1' when the status line had one; null for Microsoft's `200 OK` form. */
  protocol: string | null;
  status: number;
  reason: string;
  headers: WireHeader[];
  /** The head as received from upstream (before any injection), latin1. */
  head: string;
  bodySize: number;
  versionHeader: {
    present: boolean;
    value: string | null;
    /** Major version the client reads: 0 when the header is missing (protocol notes §7.4). */
    major: number;
  };
  injected: boolean;
  /** The exact line statescope inserted after the status line, without CRLF. */
  injectedLine?: string;
  lockCookie: string | null;
  lockAgeSeconds: number | null;
  lockDateTicks: string | null;
  actionFlags: string | null;
  body?: string;
  bodyTruncated?: boolean;
  /** Short digest of a Get/GetExclusive reply's whole body (never the bytes): for redundant-writes. */
  bodyDigest?: string;
  /** The session's item table, with --session-items, on a 200 reply to Get / GetExclusive. */
  sessionItems?: SessionItemsRecord;
}

/** One session item as --session-items reports it: never its value. */
export interface SessionItemEntry {
  /** The item's name, or its short hash with --session-items=hashed; null for the null key. */
  key: string | null;
  typeId: number;
  /** The .NET type from the type id ('Object' for a BinaryFormatter value). */
  type: string;
  /** For an Object: the class its BinaryFormatter stream names (read as data, never deserialized). */
  className?: string;
  /** Bytes the value takes in the serialized session, type-id byte included. */
  size: number;
}

/** What --session-items read from one Set body or Get/GetExclusive reply body. */
export type SessionItemsRecord =
  | {
      ok: true;
      /** 'compressed': compressionEnabled="true" (raw Deflate + 0xFF). */
      form: 'plain' | 'compressed';
      /** 'hashed': keys are short per-run hashes (--session-items=hashed). */
      keys: 'names' | 'hashed';
      timeoutMinutes: number;
      /** Items the session declares; `items` lists at most the first few hundred. */
      itemCount: number;
      items: SessionItemEntry[];
      /** Bytes of all values (the serialized session, uncompressed, minus its tables). */
      valueBytes: number;
      staticObjectCount: number;
      /** Bytes of the uncompressed serialized session. */
      decodedBytes: number;
    }
  | {
      ok: false;
      form: 'plain' | 'compressed' | 'empty' | 'unknown';
      /** Why the body is not a readable serialized session ("not a session: <error>"). */
      error: string;
      offset: number;
    };

export interface ExchangeRecord {
  id: number;
  connectionId: number;
  /** Client address as ip:port. */
  client: string;
  upstream: string;
  /** Epoch milliseconds. */
  startedAt: number;
  /** Milliseconds from request start to the first reply byte / to the reply's end. */
  firstByteMs: number | null;
  latencyMs: number | null;
  request: RequestRecord | null;
  reply: ReplyRecord | null;
  outcome: OutcomeCode;
  /** Human explanation when outcome is not ok. */
  error?: string;
}

/** The compact form streamed to the dashboard; details are fetched by id. */
export interface ExchangeSummary {
  id: number;
  connectionId: number;
  client: string;
  startedAt: number;
  latencyMs: number | null;
  kind: RequestKind | null;
  verb: string | null;
  sessionId: string | null;
  appId: string | null;
  appHash: string | null;
  status: number | null;
  version: VersionState;
  versionValue: string | null;
  lockCookie: string | null;
  lockAgeSeconds: number | null;
  requestBytes: number;
  replyBytes: number;
  outcome: OutcomeCode;
}

/** Status filter of the exchange table (and of exports): a class, an exact code, or no reply. */
export type StatusFilter = 'all' | '2xx' | '400' | '404' | '423' | '5xx' | 'none';

/**
 * The exchange table's filters. The UI applies them in the browser; GET /api/export.har takes
 * the same fields as query parameters (kind, status, version, text) and applies the same
 * predicate (server/capture/filters.ts).
 */
export interface ExchangeFilters {
  kind: RequestKind | 'all';
  status: StatusFilter;
  version: VersionState | 'all';
  /** Search words, all of which must match (case-insensitive): a bare word anywhere in the
   *  summary, `field:value` in one field (session, app, client, cookie, status, header, op). */
  text: string;
}

export interface InjectionRule {
  enabled: boolean;
  /** Value written in `X-AspNet-Version: <value>`; its major must be 2 or more. */
  value: string;
}

export interface ProxyState {
  listen: string;
  upstream: string;
  /** True when the upstream is statescope's embedded state server. */
  upstreamEmbedded: boolean;
  upstreamReachable: boolean | null;
  upstreamCheckedAt: number | null;
  injection: InjectionRule;
  capturePaused: boolean;
  captureBodiesBytes: number;
  /** --session-items: off, key names, or key hashes (absent: off). */
  sessionItems?: 'off' | 'names' | 'hashed';
  /** A saved capture opened with `statescope open`: no live traffic, no controls. */
  readOnly: boolean;
  source?: string;
  version: string;
  startedAt: number;
}

export interface StatsBucket {
  /** Start of the one-second bucket, epoch ms. */
  t: number;
  exchanges: number;
  replies: number;
  missing: number;
  injected: number;
  errors: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** What happened to replies since injection went on, on the server's clock. */
export interface InjectionSinceCounts {
  /** Epoch ms when injection went on (or the capture was cleared while on). */
  since: number;
  /** Replies that lacked X-AspNet-Version upstream and reached ASP.NET with the injected line. */
  injected: number;
  /** Replies without the header whose head was already on the wire when injection went on. */
  onTheWire: number;
}

export interface StatsSnapshot {
  now: number;
  totals: {
    exchanges: number;
    replies: number;
    versionPresent: number;
    versionMissing: number;
    injected: number;
    locked423: number;
    badRequest400: number;
    errors: number;
  };
  /** The last five minutes, for the verdict card. */
  window: { seconds: number; replies: number; versionPresent: number; versionMissing: number; injected: number };
  byKind: Partial<Record<RequestKind, number>>;
  byStatus: Record<string, number>;
  byOutcome: Partial<Record<OutcomeCode, number>>;
  /** One bucket a second, oldest first, for the charts (last 5 minutes). */
  series: StatsBucket[];
  /** Since injection last went on (or since a clear while on); null while injection is off. */
  injection: InjectionSinceCounts | null;
  capture: { stored: number; storedBytes: number; evicted: number; maxCount: number; maxBytes: number };
  connections: { client: number; upstream: number };
}

export type DiagnosisId =
  | 'missing-version-header'
  | 'old-version'
  | 'upstream-refused'
  | 'upstream-errors'
  | 'slow-replies'
  | 'lock-contention'
  | 'bad-requests'
  | 'mixed-app-hashes'
  | 'orphaned-lock'
  | 'sessions-vanished'
  | 'farm-site-id-mismatch'
  | 'farm-app-path-case'
  | 'farm-hash-mismatch'
  | 'large-sessions'
  | 'redundant-writes'
  | 'client-timeouts'
  | 'store-memory'
  | 'exposed-listener';

export interface Diagnosis {
  id: DiagnosisId;
  severity: 'error' | 'warning' | 'info';
  title: string;
  /** Plain-words explanation of what it means for ASP.NET and what to do. */
  detail: string;
  /** A few exchange ids that show it (newest first). */
  evidence: number[];
  count: number;
}

/** Messages on the dashboard's ws feed (server -> browser). */
export type FeedMessage =
  | { type: 'hello'; state: ProxyState; latestId: number }
  | { type: 'exchanges'; items: ExchangeSummary[] }
  | { type: 'stats'; stats: StatsSnapshot; diagnoses: Diagnosis[] }
  | { type: 'state'; state: ProxyState }
  | { type: 'cleared' }
  /** This browser fell behind; `count` summaries were skipped: refetch the snapshot. */
  | { type: 'dropped'; count: number };

export interface SnapshotResponse {
  items: ExchangeSummary[];
  latestId: number;
  state: ProxyState;
  stats: StatsSnapshot;
  diagnoses: Diagnosis[];
}
