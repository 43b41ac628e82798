// .NET DateTime.Ticks for the LockDate header. Microsoft's server reports the lock time in its
// own local time zone (protocol notes §5.1), so the offset matters; LockAge uses UTC instead.
// Ticks exceed 2^53, hence BigInt: a Number would round the last digits away.

/** Ticks of 1970-01-01T00:00:00 (DateTime.UnixEpoch.Ticks). */
const UNIX_EPOCH_TICKS = 621355968000000000n;
const TICKS_PER_MS = 10000n;

/**
 * Ticks of the local wall-clock time at `unixMs`. `timezoneOffsetMinutes` uses the sign of
 * Date#getTimezoneOffset (UTC minus local: -120 for UTC+2); when omitted, the host's offset at
 * that instant is used, so daylight saving is honoured the way DateTime.Now would.
 */
export function localDotNetTicks(unixMs: number, timezoneOffsetMinutes?: number): bigint {
  const offset = timezoneOffsetMinutes ?? new Date(unixMs).getTimezoneOffset();
  const localMs = Math.trunc(unixMs) - offset * 60_000;
  return BigInt(localMs) * TICKS_PER_MS + UNIX_EPOCH_TICKS;
}

/** Whole seconds from `sinceMs` to `nowMs`, truncated like (int)TimeSpan.TotalSeconds. */
export function elapsedSeconds(sinceMs: number, nowMs: number): number {
  return Math.trunc((nowMs - sinceMs) / 1000);
}
