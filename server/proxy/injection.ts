// The header-injection rule, applied to one reply head. The rule itself is plain data
// (InjectionRule: enabled + value) owned by the capture controls; this is the code applying it.
import { VERSION_HEADER, hasHeader, insertHeaderAfterStartLine, type ResponseHead } from '../protocol/index.ts';
import type { InjectionRule } from '../capture/wire-types.ts';

export const DEFAULT_INJECTED_VERSION = '4.0.30319';

export interface InjectionResult {
  /** Head bytes to forward. */
  bytes: Buffer;
  /** The inserted line (without CRLF), or null when the head is forwarded unchanged. */
  line: string | null;
}

/**
 * Only replies without X-AspNet-Version (any case) change: one line inserted right after the
 * status line, where Microsoft's server puts it. Content-Length and body are untouched.
 */
export function applyInjection(rule: InjectionRule, head: ResponseHead): InjectionResult {
  if (!rule.enabled || hasHeader(head.headers, VERSION_HEADER)) return { bytes: head.raw, line: null };
  return {
    bytes: insertHeaderAfterStartLine(head.raw, VERSION_HEADER, rule.value),
    line: `${VERSION_HEADER}: ${rule.value}`,
  };
}
