// Validation of the numeric request headers. Microsoft's managed layer answers 400 to values it
// cannot use (protocol notes §5.2); we treat anything that is not a non-negative Int32 that way,
// since how the native listener converts other text is unknown.
import { getHeader, getLockCookieText, parseIntHeader, type RawHeader } from '../protocol/headers.ts';

export const DEFAULT_TIMEOUT_MINUTES = 20;
/** One year: the largest session timeout ASP.NET accepts. */
export const MAX_TIMEOUT_MINUTES = 525_600;
const INT32_MAX = 2_147_483_647;

/** Thrown while reading a request; the caller turns it into `400 Bad Request`. */
export class BadRequest extends Error {}

function nonNegativeInt32(text: string | undefined, name: string): number | undefined {
  const value = parseIntHeader(text);
  if (value === undefined) return undefined;
  if (Number.isNaN(value) || value < 0 || value > INT32_MAX) {
    throw new BadRequest(`invalid ${name} header ${JSON.stringify(text)}`);
  }
  return value;
}

/** Lock cookie from `LockCookie` or `Lock-Cookie`; undefined when neither is sent. */
export function readLockCookie(headers: readonly RawHeader[]): number | undefined {
  return nonNegativeInt32(getLockCookieText(headers), 'LockCookie');
}

/** Sliding timeout in minutes; 20 when absent, as the managed server defaults it. */
export function readTimeout(headers: readonly RawHeader[]): number {
  const timeout = nonNegativeInt32(getHeader(headers, 'Timeout'), 'Timeout') ?? DEFAULT_TIMEOUT_MINUTES;
  if (timeout > MAX_TIMEOUT_MINUTES) throw new BadRequest(`Timeout ${timeout} exceeds ${MAX_TIMEOUT_MINUTES}`);
  return timeout;
}

export function readExtraFlags(headers: readonly RawHeader[]): number {
  return nonNegativeInt32(getHeader(headers, 'ExtraFlags'), 'ExtraFlags') ?? 0;
}
