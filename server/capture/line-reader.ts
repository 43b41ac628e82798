// Reads a file line by line with a ceiling on a line's length. readline would gather a line of
// any length into one string, and a crafted (or corrupted) log with a gigabyte without a
// newline would then fail the whole file ("Invalid string length") or exhaust memory: here such
// a line is skipped, named by its number, and reading goes on at the next newline.
import { createReadStream } from 'node:fs';

export interface LineHandlers {
  line(text: string, n: number): void;
  tooLong(n: number, bytes: number): void;
}

const NEWLINE = 0x0a;

export async function readLines(file: string, maxLineBytes: number, on: LineHandlers): Promise<void> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let skipping = false; // inside a line already known to be too long
  let n = 0;
  const finish = (last: Buffer): void => {
    n++;
    const bytes = heldBytes + last.length;
    if (skipping || bytes > maxLineBytes) {
      on.tooLong(n, bytes);
    } else {
      const all = held.length === 0 ? last : Buffer.concat([...held, last], bytes);
      const end = all.length > 0 && all[all.length - 1] === 0x0d ? all.length - 1 : all.length;
      on.line(all.toString('utf8', 0, end), n);
    }
    held = [];
    heldBytes = 0;
    skipping = false;
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, from)) {
      finish(chunk.subarray(from, at));
      from = at + 1;
    }
    if (from < chunk.length) {
      const rest = chunk.subarray(from);
      heldBytes += rest.length;
      if (heldBytes > maxLineBytes) {
        // Keep counting, stop keeping: the line will be reported, not read.
        skipping = true;
        held = [];
      } else held.push(rest);
    }
  }
  if (heldBytes > 0 || skipping) finish(Buffer.alloc(0));
}
