// redundant-writes: a Set whose body is byte for byte the item the same key just returned. The
// bytes are never kept: the relay gives each Set body and each Get/GetExclusive reply body a
// short digest (record-builder.ts), and this rule compares digests.
import type { Diagnosis, ExchangeRecord } from '../wire-types.ts';
import { Finding, recordTime, type DiagnosisRule } from './rule.ts';
import type { SessionSlot } from './session-slots.ts';

/** One equal write can be a page that changed a value and changed it back; a few cannot. */
const MIN_REDUNDANT = 3;

export class RedundantWritesRule implements DiagnosisRule {
  private finding = new Finding();
  private sets = 0;
  private bytesRewritten = 0;

  observe(record: ExchangeRecord, slot: SessionSlot | null): void {
    const req = record.request;
    const reply = record.reply;
    if (req === null || reply === null || slot === null) return;
    if (req.kind === 'Get' || req.kind === 'GetExclusive') {
      if (reply.status === 200 && reply.bodyDigest !== undefined) {
        slot.readDigest = reply.bodyDigest;
        slot.readId = record.id;
      }
      return;
    }
    if (req.kind !== 'Set' || req.bodyDigest === undefined) return;
    this.sets++;
    const read = slot.readDigest;
    if (read === null) return;
    // One read answers one write: the next Set must match the next read.
    slot.readDigest = null;
    if (read !== req.bodyDigest) return;
    this.bytesRewritten += req.bodySize;
    this.finding.hit(recordTime(record), slot.readId, record.id);
  }

  list(activeSince: number): Diagnosis[] {
    if (this.finding.count < MIN_REDUNDANT || !this.finding.active(activeSince)) return [];
    const share = this.sets > 0 ? Math.round((this.finding.count / this.sets) * 100) : 0;
    return [
      this.finding.toDiagnosis('redundant-writes', {
        severity: 'info',
        title: `Redundant writes: ${this.finding.count} Sets wrote back exactly what was just read (${share}% of Sets)`,
        detail:
          `These pages locked the session, read it, changed nothing, and still sent the whole item back (${Math.round(this.bytesRewritten / 1024)} KiB rewritten); compared by a digest of the bytes, which statescope does not keep. Each one costs a serialisation, a write to the state server and the lock for the whole page. ` +
          'Cause: the page reads a mutable object from Session (a list, a class instance): ASP.NET cannot tell it was not changed, marks the session dirty and writes it back. Fix: EnableSessionState="ReadOnly" on pages that only read (they use Get, no lock, no write), or keep immutable values (strings, numbers) in Session. Evidence: each read followed by its identical Set.',
      }),
    ];
  }

  clear(): void {
    this.finding = new Finding();
    this.sets = 0;
    this.bytesRewritten = 0;
  }
}
