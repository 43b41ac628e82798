// The boundary between what captures traffic (the live proxy, or a saved capture opened with
// `statescope open`) and what shows it (dashboard server, metrics, logs). The dashboard only
// ever talks to this interface, which is how the same UI can open a saved file.
import type {
  Diagnosis,
  ExchangeRecord,
  ExchangeSummary,
  InjectionRule,
  ProxyState,
  StatsSnapshot,
} from './wire-types.ts';

export type Unsubscribe = () => void;

export interface CaptureSource {
  state(): ProxyState;
  /** Newest records last; at most `limit`, optionally only ids greater than `afterId`. */
  records(limit: number, afterId?: number): ExchangeRecord[];
  record(id: number): ExchangeRecord | undefined;
  /**
   * Oldest first: the first `limit` records with id > afterId. Exports walk a large store with
   * it a page at a time, so it never sits in memory decoded all at once. Optional: without it,
   * exports read records(all).
   */
  page?(afterId: number, limit: number): ExchangeRecord[];
  /** The table rows of records(limit), when the source can read them quicker than whole records. */
  summaries?(limit: number): ExchangeSummary[];
  /** Highest exchange id assigned so far (0 before the first). */
  latestId(): number;
  stats(): StatsSnapshot;
  diagnoses(): Diagnosis[];
  /**
   * New and completed records, delivered in batches (at most one call per tick). A record is
   * delivered once, when the exchange is complete (or has failed).
   */
  subscribe(listener: (batch: readonly ExchangeRecord[]) => void): Unsubscribe;
  onStateChange(listener: (state: ProxyState) => void): Unsubscribe;
  onCleared(listener: () => void): Unsubscribe;
  /** Controls; a read-only source rejects them with an Error. */
  setInjection(rule: Partial<InjectionRule>): ProxyState;
  setCapturePaused(paused: boolean): ProxyState;
  clear(): void;
}
