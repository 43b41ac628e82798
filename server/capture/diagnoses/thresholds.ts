// The operator's own web.config settings, which the rules measure against (--execution-timeout,
// --state-network-timeout, --large-session-kb on the proxy, demo and open commands).

export interface DiagnosisThresholds {
  /** httpRuntime executionTimeout (s): a waiting page breaks a lock this old (default 110). */
  executionTimeoutSeconds: number;
  /** sessionState stateNetworkTimeout (s): ASP.NET gives up on a reply after this (default 10). */
  stateNetworkTimeoutSeconds: number;
  /** A session larger than this (KiB of serialized data) is "large" (default 1024). */
  largeSessionKb: number;
}

export const DEFAULT_THRESHOLDS: Readonly<DiagnosisThresholds> = Object.freeze({
  executionTimeoutSeconds: 110,
  stateNetworkTimeoutSeconds: 10,
  largeSessionKb: 1024,
});

/** Fills what a caller left out with the defaults, and refuses values no web.config could hold. */
export function resolveThresholds(partial: Partial<DiagnosisThresholds> = {}): DiagnosisThresholds {
  const t = { ...DEFAULT_THRESHOLDS, ...partial };
  for (const [name, value] of Object.entries(t)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return t;
}
