// What every diagnosis rule is: it sees each finished record once, on the capture's ingest path
// (so O(1) amortised work and bounded memory), and lists what it found when someone asks.
import type { Diagnosis, DiagnosisId, ExchangeRecord } from '../wire-types.ts';
import type { SessionSlot } from './session-slots.ts';

export interface DiagnosisRule {
  /** `slot`: the per-key state of the record's session (null when the record names none). */
  observe(record: ExchangeRecord, slot: SessionSlot | null): void;
  /** Diagnoses whose last match is at or after `activeSince` (epoch ms). */
  list(activeSince: number): Diagnosis[];
  clear(): void;
}

/** Evidence ids kept per diagnosis, newest first. */
export const EVIDENCE_LIMIT = 8;

/** When a record happened on the capture's clock: the end of the exchange. */
export function recordTime(record: ExchangeRecord): number {
  return record.startedAt + (record.latencyMs ?? 0);
}

/** The client's host without the port: which web server sent it. */
export function clientHost(client: string): string {
  const colon = client.lastIndexOf(':');
  if (colon <= 0) return client;
  return client.charCodeAt(0) === 0x5b /* [ */ ? client.slice(1, colon - 1) : client.slice(0, colon);
}

/**
 * clientHost per connection, remembered: every record of a connection has the same client, and
 * a number key is cheaper than parsing the address string on each record.
 */
export class ClientHosts {
  private hosts = new Map<number, string>();

  has(connectionId: number): boolean {
    return this.hosts.has(connectionId);
  }

  of(record: { connectionId: number; client: string }): string {
    let host = this.hosts.get(record.connectionId);
    if (host === undefined) {
      if (this.hosts.size >= 4096) this.hosts = new Map(); // connections come and go: start over
      host = clientHost(record.client);
      this.hosts.set(record.connectionId, host);
    }
    return host;
  }
}

/** Matches of one diagnosis: how many, when last, and a few exchange ids that show it. */
export class Finding {
  count = 0;
  lastAt = 0;
  evidence: number[] = [];

  /** Counts one match; `ids` are its evidence, most telling first. */
  hit(at: number, ...ids: number[]): void {
    this.count++;
    if (at > this.lastAt) this.lastAt = at;
    this.addEvidence(...ids);
  }

  addEvidence(...ids: number[]): void {
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = ids[i]!;
      const at = this.evidence.indexOf(id);
      if (at >= 0) this.evidence.splice(at, 1);
      this.evidence.unshift(id);
    }
    if (this.evidence.length > EVIDENCE_LIMIT) this.evidence.length = EVIDENCE_LIMIT;
  }

  active(since: number): boolean {
    return this.count > 0 && this.lastAt >= since;
  }

  reset(): void {
    this.count = 0;
    this.lastAt = 0;
    this.evidence = [];
  }

  toDiagnosis(id: DiagnosisId, words: Pick<Diagnosis, 'severity' | 'title' | 'detail'>): Diagnosis {
    return { id, ...words, evidence: [...this.evidence], count: this.count };
  }
}

/** "1.5 s", "320 ms": durations in the words people read. */
export function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

/** "1.2 MiB", "640 KiB". */
export function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} B`;
}
