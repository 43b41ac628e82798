// Header representations, named as mockttp does: `RawHeader[]` keeps the wire order and
// spelling (what we display and forward); lookups are case-insensitive helpers over it.
// We never normalise the list itself, so nothing we show can differ from the wire.

export interface RawHeader {
  /** Name exactly as sent. */
  name: string;
  /** Value with surrounding whitespace trimmed. */
  value: string;
}

export const VERSION_HEADER = 'X-AspNet-Version';

/** First value of `name` (case-insensitive), or undefined. */
export function getHeader(headers: readonly RawHeader[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const h of headers) {
    if (h.name.length === wanted.length && h.name.toLowerCase() === wanted) return h.value;
  }
  return undefined;
}

export function hasHeader(headers: readonly RawHeader[], name: string): boolean {
  return getHeader(headers, name) !== undefined;
}

/** The lock cookie as sent: the grammar says `LockCookie`, the MS-ASP examples `Lock-Cookie`. */
export function getLockCookieText(headers: readonly RawHeader[]): string | undefined {
  return getHeader(headers, 'LockCookie') ?? getHeader(headers, 'Lock-Cookie');
}

/** Parses a non-negative decimal header value; undefined when absent, NaN when not a number. */
export function parseIntHeader(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[+-]?\d{1,18}$/.test(value)) return Number.NaN;
  return Number(value);
}

/** Major version of an `X-AspNet-Version` value ("4.0.30319" -> 4), 0 when unreadable. */
export function majorVersion(value: string | undefined): number {
  if (value === undefined) return 0;
  const m = /^\s*(\d+)/.exec(value);
  return m ? Number(m[1]) : 0;
}

/**
 * Returns the head with `X-AspNet-Version: value` inserted right after the status line, which
 * is where Microsoft's server puts it. Content-Length and the body are untouched.
 */
export function insertHeaderAfterStartLine(rawHead: Buffer, name: string, value: string): Buffer {
  const eol = rawHead.indexOf('\r\n');
  const cut = eol < 0 ? rawHead.length : eol + 2;
  const line = Buffer.from(`${name}: ${value}\r\n`, 'latin1');
  return Buffer.concat([rawHead.subarray(0, cut), line, rawHead.subarray(cut)]);
}
