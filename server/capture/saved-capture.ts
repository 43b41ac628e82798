// Reads a saved capture for `statescope open`: a JSONL log (--log FILE, a rotated FILE.N, or
// Export JSONL) or a HAR file (Export HAR). The format is told by the content, not trusted
// from the name. Damaged lines or entries are reported with where they are and skipped, so a
// log cut short by a crash still opens.
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { readLines } from './line-reader.ts';
import { harCreator, harEntries, recordFromHarEntry } from './har-import.ts';
import { checkRecord, RecordProblem } from './record-check.ts';
import type { ExchangeRecord } from './wire-types.ts';

export type SavedFormat = 'jsonl' | 'har';

export interface LoadProblem {
  /** "line 12" (JSONL) or "entry 3" (HAR, counted from 1). */
  where: string;
  message: string;
}

export interface LoadReport {
  format: SavedFormat;
  /** Records handed to the sink. */
  records: number;
  /** The first problems (at most MAX_PROBLEMS_KEPT); problemCount has them all. */
  problems: LoadProblem[];
  problemCount: number;
  /** Things worth saying that are not damage (e.g. the log's own "lines dropped" notes). */
  notes: string[];
}

export class SavedCaptureError extends Error {}

export const MAX_PROBLEMS_KEPT = 50;
const SNIFF_BYTES = 64 * 1024;
/** JSON.parse needs the whole HAR as one string; V8 strings stop a little below 512 MiB. */
const MAX_HAR_BYTES = 400 * 1024 * 1024;

const UNKNOWN_FORMAT =
  'unknown format: expected a statescope JSONL log (one exchange per line, from --log or Export JSONL) or a HAR file (from Export HAR)';

/**
 * Reads `file`, handing each good record to `sink` in file order. `sink` may return a note
 * (e.g. about renumbering), which is added to the report.
 */
export async function loadSavedCapture(
  file: string,
  sink: (record: ExchangeRecord) => string | null,
  options: { maxLineBytes?: number } = {},
): Promise<LoadReport> {
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new SavedCaptureError(err.code === 'ENOENT' ? `${file}: no such file` : `${file}: ${err.message}`);
  });
  if (!info.isFile()) throw new SavedCaptureError(`${file}: not a file`);
  const format = await sniff(file);
  const report: LoadReport = { format, records: 0, problems: [], problemCount: 0, notes: [] };
  const problem = (where: string, message: string): void => {
    report.problemCount++;
    if (report.problems.length < MAX_PROBLEMS_KEPT) report.problems.push({ where, message });
  };
  const accept = (record: ExchangeRecord, where: string): void => {
    let note: string | null;
    try {
      note = sink(record);
    } catch (err) {
      // Checked records should never fail here; if one does, it costs that record, not the file.
      problem(where, `could not be stored (${(err as Error).message})`);
      return;
    }
    report.records++;
    if (note) report.notes.push(note);
  };
  if (format === 'har') {
    if (info.size > MAX_HAR_BYTES) {
      throw new SavedCaptureError(`${file}: HAR file too large to open (${Math.round(info.size / 1024 / 1024)} MiB); export a filtered HAR, or open the JSONL log`);
    }
    await readHar(file, accept, problem, report.notes);
  } else {
    await readJsonl(file, accept, problem, report.notes, options.maxLineBytes ?? MAX_LINE_BYTES);
  }
  return report;
}

async function sniff(file: string): Promise<SavedFormat> {
  if (path.extname(file).toLowerCase() === '.har') return 'har';
  const handle = await open(file, 'r');
  let text: string;
  let whole: boolean;
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    text = buffer.toString('utf8', 0, bytesRead);
    whole = bytesRead < SNIFF_BYTES;
  } finally {
    await handle.close();
  }
  const trimmed = text.trimStart();
  if (trimmed === '') return 'jsonl'; // an empty log: a proxy that saw no traffic
  if (!trimmed.startsWith('{')) throw new SavedCaptureError(`${file}: ${UNKNOWN_FORMAT}`);
  const lines = text.split('\n');
  if (!whole) lines.pop(); // possibly cut short by the sniff window
  for (const line of lines) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if ('log' in value) return 'har';
    if (('id' in value && 'outcome' in value) || 'statescope' in value) return 'jsonl';
  }
  // No whole line to read in the window: a pretty-printed HAR, or a first line longer than the
  // window (a record with a captured body). Both are told by their first key, which statescope
  // writes first: "log" for a HAR, "id" for a record, "statescope" for a log note.
  if (/^\{\s*"log"\s*:/.test(trimmed)) return 'har';
  if (!whole && lines.length === 0 && /^\{\s*"(id|statescope)"\s*:/.test(trimmed)) return 'jsonl';
  throw new SavedCaptureError(`${file}: ${UNKNOWN_FORMAT}`);
}

async function readHar(
  file: string,
  accept: (r: ExchangeRecord, where: string) => void,
  problem: (where: string, message: string) => void,
  notes: string[],
): Promise<void> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new SavedCaptureError(`${file}: not valid JSON, so not a HAR file (${(err as Error).message})`);
  }
  const entries = harEntries(doc);
  if (!entries) throw new SavedCaptureError(`${file}: not a HAR file (no log.entries array)`);
  const creator = harCreator(doc);
  if (creator !== 'statescope') {
    notes.push(`not exported by statescope (creator: ${creator ?? 'none'}): statescope's own fields are missing, so only what HAR holds is shown`);
  }
  entries.forEach((entry, i) => {
    try {
      // The rebuilt record goes through the same checks as a JSONL line (ranges, types).
      const checked = checkRecord(recordFromHarEntry(entry, i));
      accept(checked.record, `entry ${i + 1}`);
    } catch (err) {
      problem(`entry ${i + 1}`, (err as Error).message);
    }
  });
}

/** Longest JSONL line read (a record with a captured body is a few MiB at most). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

async function readJsonl(
  file: string,
  accept: (r: ExchangeRecord, where: string) => void,
  problem: (where: string, message: string) => void,
  notes: string[],
  maxLineBytes: number,
): Promise<void> {
  const unknown = new UnknownFields('line');
  let logNotes = 0;
  const line = (text: string, n: number): void => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      problem(`line ${n}`, `not JSON (${(err as Error).message})`);
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'statescope' in value) {
      // The log's own notes, e.g. {"statescope":"dropped","lines":12,"reason":"log file too slow"}.
      const note = value as { statescope: unknown; lines?: unknown; reason?: unknown };
      logNotes++;
      if (logNotes <= MAX_PROBLEMS_KEPT) {
        notes.push(
          note.statescope === 'dropped'
            ? `line ${n}: the log says ${String(note.lines).slice(0, 20)} exchanges were not written here (${String(note.reason).slice(0, 200)})`
            : `line ${n}: log note ${JSON.stringify(value).slice(0, 200)}`,
        );
      }
      return;
    }
    let checked;
    try {
      checked = checkRecord(value);
    } catch (err) {
      if (!(err instanceof RecordProblem)) throw err;
      problem(`line ${n}`, `not an exchange record: ${err.message}`);
      return;
    }
    unknown.add(checked.unknownFields, n);
    accept(checked.record, `line ${n}`);
  };
  await readLines(file, maxLineBytes, {
    line,
    tooLong: (n, bytes) => problem(`line ${n}`, `longer than ${Math.round(maxLineBytes / 1024 / 1024)} MiB (${bytes} bytes): not read`),
  });
  if (logNotes > MAX_PROBLEMS_KEPT) notes.push(`${logNotes - MAX_PROBLEMS_KEPT} more log notes not listed`);
  unknown.report(notes);
}

/** Fields statescope does not know are dropped, not kept: one note says which, and where first. */
class UnknownFields {
  private readonly first = new Map<string, number>();
  private lines = 0;

  constructor(private readonly unit: string) {}

  add(fields: readonly string[], where: number): void {
    if (fields.length === 0) return;
    this.lines++;
    for (const f of fields) if (!this.first.has(f) && this.first.size < 20) this.first.set(f, where);
  }

  report(notes: string[]): void {
    if (this.lines === 0) return;
    const list = [...this.first].map(([f, at]) => `${f} (first at ${this.unit} ${at})`).join(', ');
    notes.push(`${this.lines} ${this.unit === 'line' ? 'lines' : 'entries'} had fields statescope does not know, which were left out: ${list}`);
  }
}
