// The header-injection rule, applied to one reply head. The rule itself is plain data
// (InjectionRule: enabled + value) owned by the capture controls; this is the code applying it.
import { VERSION_HEADER, type ResponseHead } from '../protocol/index.ts';
import type { InjectionRule } from '../capture/wire-types.ts';

export const DEFAULT_INJECTED_VERSION = '4.0.30319';

/** The bytes of the inserted line for the rule's current value, built once per value. */
let cached: { value: string; text: string; bytes: Buffer } | null = null;

function lineFor(value: string): { text: string; bytes: Buffer } {
  if (cached?.value !== value) {
    const text = `${VERSION_HEADER}: ${value}`;
    cached = { value, text, bytes: Buffer.from(`${text}\r\n`, 'latin1') };
  }
  return cached;
}

/**
 * Hands the head's bytes to `forward`: unchanged, or, for a reply without X-AspNet-Version (any
 * case; the caller has read the head's headers and says) while the rule is on, as three pieces with one line inserted right after the status
 * line, where Microsoft's server puts it. Pieces are views, never a copy of the head: the
 * writer joins them into its single write. Content-Length and body are untouched. Returns the
 * inserted line (without CRLF), or null when nothing was inserted.
 */
export function applyInjection(rule: InjectionRule, head: ResponseHead, hasVersionHeader: boolean, forward: (piece: Buffer) => void): string | null {
  if (!rule.enabled || hasVersionHeader) {
    forward(head.raw);
    return null;
  }
  const raw = head.raw;
  const eol = raw.indexOf(0x0a); // the framer checked the status line ends in CRLF
  const cut = eol < 0 ? raw.length : eol + 1;
  const line = lineFor(rule.value);
  forward(raw.subarray(0, cut));
  forward(line.bytes);
  forward(raw.subarray(cut));
  return line.text;
}
