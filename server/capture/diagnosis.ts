// Diagnoses of what the traffic shows, for the dashboard and GET /api/stats. The rules live in
// ./diagnoses/ (one module each, see registry.ts); this tracker feeds them every record on the
// capture's ingest path and lists what is active: a diagnosis shows while its rule has matched
// within the last five minutes of the capture's clock.
import { createRules, type RuleSet } from './diagnoses/registry.ts';
import type { Endpoints } from './diagnoses/exposed-listener.ts';
import { resolveThresholds, type DiagnosisThresholds } from './diagnoses/thresholds.ts';
import type { Diagnosis, ExchangeRecord } from './wire-types.ts';

export { NEED_V2_MESSAGE } from './diagnoses/predicate-rules.ts';
export { DEFAULT_THRESHOLDS, resolveThresholds, type DiagnosisThresholds } from './diagnoses/thresholds.ts';

const ACTIVE_MS = 5 * 60 * 1000;
const ORDER = { error: 0, warning: 1, info: 2 } as const;

export class DiagnosisTracker {
  readonly thresholds: DiagnosisThresholds;
  private readonly ruleSet: RuleSet;

  constructor(
    private readonly now: () => number = Date.now,
    thresholds: Partial<DiagnosisThresholds> = {},
  ) {
    this.thresholds = resolveThresholds(thresholds);
    this.ruleSet = createRules(this.thresholds);
  }

  /** Records a rule threw on (a bug in a rule must never reach the relay that calls ingest). */
  ruleFailures = 0;

  observe(record: ExchangeRecord): void {
    const rules = this.ruleSet.rules;
    const req = record.request;
    const slot = req !== null && req.sessionId !== null ? this.ruleSet.slots.slotOf(req.target, req.sessionId, record.id) : null;
    for (let i = 0; i < rules.length; i++) {
      try {
        rules[i]!.observe(record, slot);
      } catch {
        this.ruleFailures++;
      }
    }
  }

  /** Where the proxy listens and forwards (for exposed-listener). */
  setEndpoints(endpoints: Partial<Endpoints>): void {
    this.ruleSet.exposure.setEndpoints(endpoints);
  }

  clear(): void {
    this.ruleSet.slots.clear();
    for (const rule of this.ruleSet.rules) rule.clear();
  }

  list(): Diagnosis[] {
    const since = this.now() - ACTIVE_MS;
    const out: Diagnosis[] = [];
    for (const rule of this.ruleSet.rules) out.push(...rule.list(since));
    return out.sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  }
}
