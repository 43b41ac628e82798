import { describe, expect, it } from 'vitest';
import { elapsedSeconds, localDotNetTicks } from '../../server/stateserver/ticks.ts';

describe('.NET ticks for LockDate', () => {
  it('is exact beyond 2^53 (the transcripts value)', () => {
    expect(localDotNetTicks(Date.UTC(2024, 4, 1, 10), 0)).toBe(638501544000000000n);
  });

  it('uses local wall-clock time: UTC+2 (offset -120) at 08:00Z is 10:00 local', () => {
    expect(localDotNetTicks(Date.UTC(2024, 4, 1, 8), -120)).toBe(638501544000000000n);
    expect(localDotNetTicks(Date.UTC(2024, 4, 1, 15), 300)).toBe(638501544000000000n);
  });

  it('counts from 0001-01-01 and keeps millisecond precision', () => {
    expect(localDotNetTicks(-62135596800000, 0)).toBe(0n);
    expect(localDotNetTicks(1, 0)).toBe(621355968000010000n);
  });

  it('defaults to the host zone at that instant', () => {
    const ms = Date.UTC(2024, 0, 15, 12);
    expect(localDotNetTicks(ms)).toBe(localDotNetTicks(ms, new Date(ms).getTimezoneOffset()));
  });

  it('LockAge truncates to whole seconds', () => {
    expect(elapsedSeconds(1000, 4999)).toBe(3);
    expect(elapsedSeconds(1000, 1000)).toBe(0);
  });
});
