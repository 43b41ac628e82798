// The live ws feed. One subscription to the source is shared by every browser; each batch of
// new records is summarised and serialised once, as it arrives (so the records themselves die
// young, and what waits for the tick is flat JSON text, nothing for the garbage collector to
// trace), and each tick every client gets ONE frame carrying a JSON array of FeedMessages. A slow or stalled browser is never queued for: while its socket
// buffer is over the limit its share is dropped and counted, and once it drains it is told
// {type:'dropped'} so it refetches the snapshot. Memory per client is thus bounded by the
// buffer limit plus one frame, whatever the traffic.
import type { WebSocket } from 'ws';
import type { CaptureSource, Unsubscribe } from '../capture/source.ts';
import { toSummary } from '../capture/summary.ts';
import type { ExchangeRecord, ExchangeSummary, FeedMessage, ProxyState } from '../capture/wire-types.ts';

export interface FeedOptions {
  tickMs: number;
  /** Largest number of summaries carried by one tick; the excess is dropped (and reported). */
  maxPendingItems: number;
  /** A client whose ws.bufferedAmount exceeds this is considered stalled. */
  maxBufferedBytes: number;
  statsIntervalMs: number;
  pingIntervalMs: number;
}

export const DEFAULT_FEED_OPTIONS: FeedOptions = {
  tickMs: 250,
  maxPendingItems: 10_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  statsIntervalMs: 1000,
  pingIntervalMs: 30_000,
};

interface Client {
  ws: WebSocket;
  dropped: number;
  /** Skipped something while stalled (items, state, clear): must be told to refetch. */
  missed: boolean;
  /** Answered the last ping. */
  alive: boolean;
}

export interface FeedClientStatus {
  bufferedAmount: number;
  dropped: number;
}

export class FeedHub {
  private readonly clients = new Set<Client>();
  /** Summaries of the records since the last tick, as JSON array bodies (no brackets), one per batch. */
  private incoming: string[] = [];
  private incomingCount = 0;
  private overflow = 0;
  private pendingState: ProxyState | null = null;
  private pendingCleared = false;
  private lastStatsAt = 0;
  private readonly unsubscribe: Unsubscribe[];
  private readonly tickTimer: NodeJS.Timeout;
  private readonly pingTimer: NodeJS.Timeout;

  constructor(
    private readonly source: CaptureSource,
    private readonly options: FeedOptions,
  ) {
    // Batches come from the capture's flush timer, never from the forwarding step.
    this.unsubscribe = [
      source.subscribe((batch) => {
        if (this.clients.size === 0) return;
        const room = Math.max(0, this.options.maxPendingItems - this.incomingCount);
        const kept = batch.length <= room ? batch : batch.slice(0, room);
        this.overflow += batch.length - kept.length;
        if (kept.length === 0) return;
        this.incoming.push(summariesJson(kept));
        this.incomingCount += kept.length;
      }),
      source.onStateChange((state) => {
        this.pendingState = state;
      }),
      source.onCleared(() => {
        // Items queued before the clear belong to the old capture.
        this.incoming = [];
        this.incomingCount = 0;
        this.overflow = 0;
        this.pendingCleared = true;
      }),
    ];
    this.tickTimer = setInterval(() => this.tick(), options.tickMs);
    this.pingTimer = setInterval(() => this.ping(), options.pingIntervalMs);
    this.tickTimer.unref();
    this.pingTimer.unref();
  }

  add(ws: WebSocket): void {
    const client: Client = { ws, dropped: 0, missed: false, alive: true };
    this.clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.clients.delete(client));
    // The browser only listens; anything it sends is ignored (maxPayload keeps it tiny).
    const hello: FeedMessage = { type: 'hello', state: this.source.state(), latestId: this.source.latestId() };
    this.safeSend(client, JSON.stringify([hello]));
  }

  status(): FeedClientStatus[] {
    return [...this.clients].map((c) => ({ bufferedAmount: c.ws.bufferedAmount, dropped: c.dropped }));
  }

  close(): void {
    clearInterval(this.tickTimer);
    clearInterval(this.pingTimer);
    for (const off of this.unsubscribe) off();
    for (const client of this.clients) client.ws.terminate();
    this.clients.clear();
  }

  private tick(): void {
    try {
      this.flush();
    } catch (err) {
      // A failing stats() or a bad record must not kill the timer; the next tick retries.
      console.error('statescope dashboard feed:', err);
    }
  }

  private flush(): void {
    const items = this.incoming;
    const itemCount = this.incomingCount;
    const overflow = this.overflow;
    this.incoming = [];
    this.incomingCount = 0;
    this.overflow = 0;
    if (this.clients.size === 0) {
      this.pendingState = null;
      this.pendingCleared = false;
      return;
    }

    // Each message is serialised once and shared by all clients.
    const parts: string[] = [];
    if (this.pendingCleared) parts.push(JSON.stringify({ type: 'cleared' } satisfies FeedMessage));
    if (this.pendingState) parts.push(JSON.stringify({ type: 'state', state: this.pendingState } satisfies FeedMessage));
    // {type:'exchanges', items:[...]}, assembled from the batches' JSON.
    if (itemCount > 0) parts.push(`{"type":"exchanges","items":[${items.join(',')}]}`);
    const mustResync = parts.length > 0;
    const now = Date.now();
    if (now - this.lastStatsAt >= this.options.statsIntervalMs) {
      this.lastStatsAt = now;
      const message: FeedMessage = { type: 'stats', stats: this.source.stats(), diagnoses: this.source.diagnoses() };
      parts.push(JSON.stringify(message));
    }
    this.pendingState = null;
    this.pendingCleared = false;

    for (const client of this.clients) {
      if (overflow > 0) {
        client.dropped += overflow;
        client.missed = true;
      }
      if (client.ws.readyState !== client.ws.OPEN) continue;
      if (client.ws.bufferedAmount > this.options.maxBufferedBytes) {
        client.dropped += itemCount;
        if (mustResync) client.missed = true;
        continue;
      }
      // 'dropped' goes first so the browser starts its snapshot refetch before applying the rest.
      const own = client.missed ? [JSON.stringify({ type: 'dropped', count: client.dropped } satisfies FeedMessage)] : [];
      client.dropped = 0;
      client.missed = false;
      const all = own.concat(parts);
      if (all.length > 0) this.safeSend(client, `[${all.join(',')}]`);
    }
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      try {
        client.ws.ping();
      } catch {
        client.ws.terminate();
      }
    }
  }

  private safeSend(client: Client, frame: string): void {
    try {
      client.ws.send(frame);
    } catch {
      client.ws.terminate();
    }
  }
}

/** The summaries of `records` as the inside of a JSON array (the tick joins batches with commas). */
function summariesJson(records: readonly ExchangeRecord[]): string {
  const summaries: ExchangeSummary[] = records.map(toSummary);
  const json = JSON.stringify(summaries);
  return json.slice(1, -1);
}
