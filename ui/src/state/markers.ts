// The moments that matter, found in the exchange list as it grows: the first exchange of each
// client connection, a likely application start (from one client address, every connection is
// new from here on), and the exchanges on which that new AppDomain's version check ran and
// failed (ASP.NET read no X-AspNet-Version). ASP.NET opens a new pool of connections in each
// AppDomain, so an app start looks like this on the wire; an idle pool closed and reopened
// after a quiet gap looks the same, hence "likely".
import type { ExchangeSummary } from '../../../server/capture/wire-types.ts';

export const MARK_CONNECTION = 1;
export const MARK_APP_START = 2;
export const MARK_VERSION_FAILS = 4;

/**
 * How long a new connection must go without an older one of the same client being used before
 * it counts as an app start. A growing pool reuses its older connections soon; an idle one can
 * rest a while under light load, hence seconds, not milliseconds.
 */
export const SETTLE_MS = 3000;
/** How late a finished exchange may reach the browser (feed batching, a loaded machine). */
const DELIVERY_SLACK_MS = 3000;

interface Candidate {
  id: number;
  startedAt: number;
  /** Time the first reply of the new AppDomain arrived; requests sent before it all ran the version check. */
  firstReplyAt: number;
  /** Exchanges that ran the check and got no header. */
  failed: number[];
}

interface HostState {
  /** New connections that may each open a new AppDomain, oldest first; settled after SETTLE_MS. */
  candidates: Candidate[];
}

function hostOf(client: string): string {
  const colon = client.lastIndexOf(':');
  return colon > 0 ? client.slice(0, colon) : client;
}

const MAX_CONNECTIONS_TRACKED = 50_000;

export class MarkerTracker {
  readonly marks = new Map<number, number>();
  private connFirst = new Map<number, number>(); // connection id -> startedAt of its first exchange
  private hosts = new Map<string, HostState>();
  private latest = 0;
  /** Connections at or below this id may have begun before the list did. */
  private unknownUpTo = 0;
  private knowsStart = true;

  /** Start over; `complete` says whether the list holds everything from the first exchange on. */
  reset(items: readonly ExchangeSummary[], complete: boolean): void {
    this.marks.clear();
    this.connFirst.clear();
    this.hosts.clear();
    this.latest = 0;
    this.knowsStart = complete;
    this.unknownUpTo = complete || items.length === 0 ? 0 : items[0]!.connectionId;
    this.add(items);
  }

  add(items: readonly ExchangeSummary[]): void {
    for (const s of items) this.observe(s);
    this.settleDue();
  }

  /** The server's clock moved on (stats arrive every second): settle what has waited long enough. */
  advance(now: number): boolean {
    const before = this.pending();
    // Records reach the browser in batches, a moment after they end: leave them time to arrive.
    this.latest = Math.max(this.latest, now - DELIVERY_SLACK_MS);
    this.settleDue();
    return this.pending() !== before;
  }

  private pending(): number {
    let n = 0;
    for (const state of this.hosts.values()) n += state.candidates.length;
    return n;
  }

  private settleDue(): void {
    for (const state of this.hosts.values()) this.settle(state);
  }

  forget(items: readonly ExchangeSummary[]): void {
    for (const s of items) this.marks.delete(s.id);
  }

  private mark(id: number, bit: number): void {
    this.marks.set(id, (this.marks.get(id) ?? 0) | bit);
  }

  private observe(s: ExchangeSummary): void {
    this.latest = Math.max(this.latest, s.startedAt);
    const host = hostOf(s.client);
    let state = this.hosts.get(host);
    const firstOfHost = state === undefined;
    if (!state) this.hosts.set(host, (state = { candidates: [] }));
    this.settle(state);
    const connStart = this.connFirst.get(s.connectionId);

    if (connStart === undefined) {
      this.connFirst.set(s.connectionId, s.startedAt);
      if (this.connFirst.size > MAX_CONNECTIONS_TRACKED) this.connFirst.delete(this.connFirst.keys().next().value!);
      const known = s.connectionId > this.unknownUpTo;
      if (known) this.mark(s.id, MARK_CONNECTION);
      // A new connection may open a new AppDomain's pool; the first of a host does if we saw it begin.
      if (known && (!firstOfHost || this.knowsStart)) {
        state.candidates.push({ id: s.id, startedAt: s.startedAt, firstReplyAt: s.startedAt + (s.latencyMs ?? 0), failed: [] });
      }
    } else if (state.candidates.length > 0) {
      // An older connection still in use after a new one opened: that was the pool growing, not
      // a new AppDomain (whose pool starts empty). A tie counts as "after".
      for (let i = state.candidates.length - 1; i >= 0; i--) {
        const c = state.candidates[i]!;
        if (connStart < c.startedAt && s.startedAt >= c.startedAt) state.candidates.splice(i, 1);
      }
    }
    // Requests sent before the new AppDomain's first reply all ran its version check.
    if (s.version === 'missing') {
      for (const c of state.candidates) if (s.startedAt >= c.startedAt && s.startedAt <= c.firstReplyAt) c.failed.push(s.id);
    }
  }

  private settle(state: HostState): void {
    while (state.candidates.length > 0 && this.latest - state.candidates[0]!.startedAt >= SETTLE_MS) {
      const c = state.candidates.shift()!;
      this.mark(c.id, MARK_APP_START);
      for (const id of c.failed) this.mark(id, MARK_VERSION_FAILS);
    }
  }

  /** Everything still pending is as settled as it will get (a saved capture). */
  settleAll(): void {
    this.latest = Number.POSITIVE_INFINITY;
    this.settleDue();
  }
}
