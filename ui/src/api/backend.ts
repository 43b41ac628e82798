// The one module that knows how the dashboard gets its data: a snapshot over REST plus the
// live ws feed; reconnect with backoff; refetch the snapshot whenever the server says this tab
// fell behind. Everything else reads the state slices, so a saved file could feed them too.
import type { FeedMessage, ProxyState, SnapshotResponse } from '../../../server/capture/wire-types.ts';
import { addLive, advanceClock, clearAll, holdLive, resetTo } from '../state/exchanges.ts';
import { connection, controlError, diagnoses, proxyState, stats } from '../state/meta.ts';
import { ApiError, clearCapture, fetchSnapshot, setCapturePaused, setInjection } from './rest.ts';
import { getToken } from './token.ts';

// Enough history to be useful at once; the list then grows live up to its own cap.
const SNAPSHOT_LIMIT = 10_000;
const MAX_BACKOFF_MS = 10_000;

let socket: WebSocket | null = null;
let attempt = 0;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let snapshotInFlight: Promise<void> | null = null;
let started = false;

export function start(): void {
  if (started) return;
  started = true;
  connect();
}

/** Drop the current connection and start over, e.g. after the user entered a token. */
export function restart(): void {
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
  attempt = 0;
  const old = socket;
  socket = null;
  old?.close();
  connection.set({ status: 'connecting', detail: null, rejected: false });
  connect();
}

// The feed opens first and its items are held while the snapshot loads, so nothing completed
// between the two is missed (duplicates are dropped by id).
function connect(): void {
  holdLive(true);
  openFeed();
}

function onSnapshotError(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) {
    // A token we had (from the URL or typed in) and the server refused: say so.
    connection.set({ status: 'unauthorized', detail: err.message, rejected: getToken() !== null });
    const ws = socket;
    socket = null;
    ws?.close();
    return; // wait for a token (restart)
  }
  connection.set({ status: 'reconnecting', detail: err instanceof Error ? err.message : String(err), rejected: false });
  socket?.close(); // its onclose schedules the retry
}

function applySnapshot(snap: SnapshotResponse): void {
  // Nothing evicted and everything stored is here: the list starts at the first exchange.
  const complete = snap.stats.capture.evicted === 0 && snap.items.length >= snap.stats.capture.stored;
  resetTo(snap.items, complete, snap.state.readOnly);
  proxyState.set(snap.state);
  stats.set(snap.stats);
  diagnoses.set(snap.diagnoses);
}

function loadSnapshot(): Promise<void> {
  // Several 'dropped' in a row share one refetch.
  if (snapshotInFlight) return snapshotInFlight;
  holdLive(true);
  snapshotInFlight = fetchSnapshot(SNAPSHOT_LIMIT)
    .then(applySnapshot)
    .finally(() => {
      snapshotInFlight = null;
      holdLive(false);
    });
  return snapshotInFlight;
}

function feedUrl(): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const token = getToken();
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}://${window.location.host}/api/feed${query}`;
}

function openFeed(): void {
  const ws = new WebSocket(feedUrl());
  socket = ws;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    attempt = 0;
    loadSnapshot().then(() => connection.set({ status: 'live', detail: null, rejected: false }), onSnapshotError);
  };
  ws.onmessage = (event) => {
    if (socket !== ws) return;
    let messages: FeedMessage[];
    try {
      messages = JSON.parse(String(event.data)) as FeedMessage[];
    } catch {
      return;
    }
    for (const message of messages) apply(message);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    if (opened) return scheduleRetry('connection to statescope lost');
    // A refused upgrade looks the same as a dead server; ask over REST which one it was.
    fetchSnapshot(1).then(
      () => scheduleRetry('live feed refused'),
      (err: unknown) => {
        onSnapshotError(err);
        if (connection.get().status !== 'unauthorized') scheduleRetry(err instanceof Error ? err.message : String(err));
      },
    );
  };
}

function apply(message: FeedMessage): void {
  switch (message.type) {
    case 'hello':
    case 'state':
      proxyState.set(message.state);
      break;
    case 'exchanges':
      addLive(message.items);
      break;
    case 'stats':
      stats.set(message.stats);
      diagnoses.set(message.diagnoses);
      advanceClock(message.stats.now);
      break;
    case 'cleared':
      clearAll();
      break;
    case 'dropped':
      void loadSnapshot().catch(() => undefined);
      break;
  }
}

function scheduleRetry(detail: string): void {
  connection.set({ status: 'reconnecting', detail, rejected: false });
  const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
  attempt++;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    connect();
  }, delay);
}

/** Controls: run, publish the new state, and surface errors instead of throwing into React. */
async function control(action: () => Promise<ProxyState | unknown>): Promise<void> {
  controlError.set(null);
  try {
    const result = await action();
    if (result && typeof result === 'object' && 'listen' in result) proxyState.set(result as ProxyState);
  } catch (err) {
    controlError.set(err instanceof Error ? err.message : String(err));
  }
}

export const controls = {
  setInjectionEnabled: (enabled: boolean) => control(() => setInjection({ enabled })),
  setInjectionValue: (value: string) => control(() => setInjection({ value })),
  enableInjection: (value?: string) => control(() => setInjection(value ? { enabled: true, value } : { enabled: true })),
  setCapturePaused: (paused: boolean) => control(() => setCapturePaused(paused)),
  clear: () =>
    control(async () => {
      await clearCapture();
      clearAll();
    }),
};
