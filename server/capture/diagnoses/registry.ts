// Every diagnosis rule, in the order their findings are listed (worst first is decided later).
import { ClientTimeoutsRule } from './client-timeouts.ts';
import { ExposedListenerRule } from './exposed-listener.ts';
import { FarmMismatchRules } from './farm-mismatch.ts';
import { LargeSessionsRule } from './large-sessions.ts';
import { LockRules } from './locks.ts';
import { PredicateRules } from './predicate-rules.ts';
import { RedundantWritesRule } from './redundant-writes.ts';
import type { DiagnosisRule } from './rule.ts';
import { SessionSlots } from './session-slots.ts';
import { SessionsVanishedRule } from './sessions-vanished.ts';
import { StoreMemoryRule } from './store-memory.ts';
import type { DiagnosisThresholds } from './thresholds.ts';

export interface RuleSet {
  rules: DiagnosisRule[];
  /** Decides from addresses, so the capture tells it where it listens and forwards. */
  exposure: ExposedListenerRule;
  /** Per-key state the rules share (one lookup per record). */
  slots: SessionSlots;
}

export function createRules(thresholds: DiagnosisThresholds): RuleSet {
  const exposure = new ExposedListenerRule();
  const slots = new SessionSlots();
  return {
    exposure,
    slots,
    rules: [
      new PredicateRules(thresholds),
      new LockRules(thresholds),
      new SessionsVanishedRule(),
      new FarmMismatchRules(),
      new LargeSessionsRule(thresholds, slots),
      new StoreMemoryRule(thresholds, slots),
      new RedundantWritesRule(),
      new ClientTimeoutsRule(thresholds),
      exposure,
    ],
  };
}
