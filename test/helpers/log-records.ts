// Reads the records a `--log FILE` run wrote (one JSON exchange record per line), as
// `statescope open` reads them: through record-check, which also reads back the `headers`
// pairs the lines leave to the heads' text.
import { readFileSync } from 'node:fs';
import { checkRecord } from '../../server/capture/record-check.ts';
import type { ExchangeRecord } from '../../server/capture/wire-types.ts';

export function readLogRecords(file: string): ExchangeRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => checkRecord(JSON.parse(line)).record);
}
