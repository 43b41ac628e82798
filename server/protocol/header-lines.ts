// The header lines of one complete head, read straight from its text. Every exchange goes
// through here twice on the relay's thread (and once more in the state server), and most of
// those heads are only forwarded: so the framer validates the lines in one pass without
// allocating anything (no arrays of lines, no name/value strings, no regular expressions),
// and the headers become objects only when someone asks for them (headerLinesOf) or for one
// of them (findHeader). The reference these must agree with, input for input, is
// test/protocol/header-lines-reference.ts.
import type { ProtocolErrorCode } from './errors.ts';
import type { RawHeader } from './headers.ts';

export interface HeaderLinesError {
  code: ProtocolErrorCode;
  message: string;
}

/** What the framer needs from the header lines: the body length (null when absent). */
export interface HeaderScan {
  contentLength: number | null;
}

/** RFC 7230 tchar, by char code: the only characters a header name may have. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** What String.prototype.trim removes, within latin1: tab, LF, VT, FF, CR, space, NBSP. */
function trimmable(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x20 || code === 0xa0;
}

const CONTENT_LENGTH_DIGITS = /^\d{1,15}$/;

/** End of the line starting at `pos` (before its CRLF): heads end in CRLF CRLF, so one is found. */
function lineEndOf(text: string, pos: number): number {
  return text.indexOf('\r\n', pos);
}

/** True when text[start, start + lowerName.length) is `lowerName`, ASCII case-insensitively. */
function nameIs(text: string, start: number, colon: number, lowerName: string): boolean {
  if (colon - start !== lowerName.length) return false;
  for (let i = 0; i < lowerName.length; i++) {
    const c = text.charCodeAt(start + i);
    if ((c >= 0x41 && c <= 0x5a ? c + 0x20 : c) !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

/** The value of the line whose name ends at `colon`, trimmed as String.prototype.trim does. */
export function headerValueOf(text: string, colon: number, end: number): string {
  const start = colon + 1;
  if (start < end && (trimmable(text.charCodeAt(start)) || trimmable(text.charCodeAt(end - 1)))) return text.slice(start, end).trim();
  return text.slice(start, end);
}

/** Position of the colon ending a well-formed header name in text[start, end), else -1. */
function colonOf(text: string, start: number, end: number): number {
  const colon = text.indexOf(':', start);
  if (colon <= start || colon >= end) return -1;
  for (let i = start; i < colon; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return -1;
  }
  // A bare LF inside a line (CRLF ends it; a lone LF is not allowed anywhere in a head).
  const lf = text.indexOf('\n', colon);
  return lf >= 0 && lf < end ? -1 : colon;
}

/**
 * Validates the header lines of `text` (a whole head: start line, headers, CRLF CRLF), starting
 * after the start line's CRLF at `from`. Errors come in the order a reader of the whole head
 * meets them: more than `maxHeaders` lines, then the first malformed line, then
 * Transfer-Encoding, then Content-Length.
 */
export function scanHeaderLines(text: string, from: number, maxHeaders: number): HeaderScan | HeaderLinesError {
  const end = text.length - 4; // the final CRLF CRLF
  let transferEncoding: string | undefined;
  let contentLength: number | null = null;
  let lengthProblem: string | null = null;
  let badLine = -1;
  let lines = 0;
  for (let pos = from; pos <= end; ) {
    const lineEnd = lineEndOf(text, pos);
    if (++lines > maxHeaders) return { code: 'too_many_headers', message: `more than ${maxHeaders} headers` };
    // After a bad line, only count the rest: too many lines outranks it.
    if (badLine < 0) {
      const colon = colonOf(text, pos, lineEnd);
      if (colon < 0) badLine = pos;
      else if (transferEncoding === undefined && nameIs(text, pos, colon, 'transfer-encoding')) transferEncoding = headerValueOf(text, colon, lineEnd);
      else if (lengthProblem === null && nameIs(text, pos, colon, 'content-length')) {
        const value = headerValueOf(text, colon, lineEnd);
        if (!CONTENT_LENGTH_DIGITS.test(value)) lengthProblem = `invalid Content-Length ${JSON.stringify(value)}`;
        else {
          const n = Number(value);
          if (contentLength !== null && contentLength !== n) lengthProblem = 'conflicting Content-Length headers';
          contentLength = n;
        }
      }
    }
    pos = lineEnd + 2;
  }
  if (badLine >= 0) {
    const line = text.slice(badLine, lineEndOf(text, badLine));
    return { code: 'bad_header_line', message: `malformed header line: ${JSON.stringify(line.slice(0, 120))}` };
  }
  if (transferEncoding !== undefined && transferEncoding.toLowerCase() !== 'identity') {
    return { code: 'unsupported_transfer_encoding', message: `Transfer-Encoding ${transferEncoding} is not used by this protocol` };
  }
  if (lengthProblem !== null) return { code: 'bad_content_length', message: lengthProblem };
  return { contentLength };
}

/**
 * Calls `each(start, colon, end)` for every header line of a head's text (start line skipped):
 * the line runs from `start` to `end` (before its CRLF), the name ends at `colon`. Stops at the
 * blank line that ends the head, or at a line with no CRLF; lines without a colon are skipped.
 * Tolerant of heads never validated (a stored or imported one). The one walk over header lines
 * that everything reading a head shares (the validating scan above must also see bad lines).
 */
export function eachHeaderLine(text: string, each: (start: number, colon: number, end: number) => void): void {
  for (let at = text.indexOf('\r\n'); at >= 0; ) {
    const start = at + 2;
    const end = text.indexOf('\r\n', start);
    if (end < 0 || end === start) return;
    const colon = text.indexOf(':', start);
    if (colon > start && colon < end) each(start, colon, end);
    at = end;
  }
}

/** Every header of a head, in wire order, values trimmed. */
export function headerLinesOf(text: string): RawHeader[] {
  const headers: RawHeader[] = [];
  eachHeaderLine(text, (start, colon, end) => headers.push({ name: text.slice(start, colon), value: headerValueOf(text, colon, end) }));
  return headers;
}

/** A few header names looked up together; built once (wantedHeaders), read with readWantedHeaders. */
export interface WantedHeaders {
  readonly count: number;
  /** By name length (an array index: one load per line, no hashing): [lower-cased name, slot]. */
  readonly byLength: readonly (readonly (readonly [string, number])[] | undefined)[];
}

export function wantedHeaders(lowerNames: readonly string[]): WantedHeaders {
  const byLength: [string, number][][] = [];
  lowerNames.forEach((name, slot) => (byLength[name.length] ??= []).push([name, slot]));
  return { count: lowerNames.length, byLength };
}

/**
 * Fills `out[slot]` with the first value of each wanted name (undefined when absent), reading
 * the head's text once and making strings only of those values: what a record reads from a head.
 */
export function readWantedHeaders(text: string, wanted: WantedHeaders, out: (string | undefined)[]): void {
  for (let i = 0; i < wanted.count; i++) out[i] = undefined;
  eachHeaderLine(text, (start, colon, end) => {
    const names = wanted.byLength[colon - start];
    if (names === undefined) return;
    for (const [name, slot] of names) {
      if (out[slot] === undefined && nameIs(text, start, colon, name)) {
        out[slot] = headerValueOf(text, colon, end);
        return;
      }
    }
  });
}
