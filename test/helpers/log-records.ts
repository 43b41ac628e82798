// Reads the records a `--log FILE` run wrote (one JSON exchange record per line).
import { readFileSync } from 'node:fs';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';

export function readLogRecords(file: string): ExchangeRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ExchangeRecord);
}
