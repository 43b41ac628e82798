// The header lines of one complete head, read in a single pass over its text. Every exchange
// goes through this twice on the relay's thread (and once more in the state server), so it
// walks the string with indexOf and char codes instead of splitting it into arrays of lines
// and testing each with regular expressions: same result, about half the work. The reference
// it must agree with, input for input, is test/protocol/header-lines-reference.ts.
import type { ProtocolErrorCode } from './errors.ts';
import type { RawHeader } from './headers.ts';

export interface HeaderLines {
  headers: RawHeader[];
  /** Content-Length as a number; null when absent. */
  contentLength: number | null;
}

export interface HeaderLinesError {
  code: ProtocolErrorCode;
  message: string;
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

/**
 * Reads the header lines of `text` (a whole head: start line, headers, CRLF CRLF), starting
 * after the start line's CRLF at `from`. Errors come in the order a reader of the whole head
 * meets them: more than `maxHeaders` lines, then the first malformed line, then
 * Transfer-Encoding, then Content-Length.
 */
export function readHeaderLines(text: string, from: number, maxHeaders: number): HeaderLines | HeaderLinesError {
  const end = text.length - 4; // the final CRLF CRLF
  const headers: RawHeader[] = [];
  let transferEncoding: string | undefined;
  let contentLength: number | null = null;
  let lengthProblem: string | null = null;
  let badLine: string | null = null;
  let lines = 0;
  for (let pos = from; pos <= end; ) {
    let lineEnd = text.indexOf('\r\n', pos);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    if (++lines > maxHeaders) return { code: 'too_many_headers', message: `more than ${maxHeaders} headers` };
    if (badLine === null) {
      const header = readLine(text, pos, lineEnd);
      if (header === null) badLine = text.slice(pos, lineEnd);
      else {
        headers.push(header);
        const name = header.name;
        if (name.length === 17 && transferEncoding === undefined && name.toLowerCase() === 'transfer-encoding') transferEncoding = header.value;
        else if (name.length === 14 && lengthProblem === null && name.toLowerCase() === 'content-length') {
          if (!CONTENT_LENGTH_DIGITS.test(header.value)) lengthProblem = `invalid Content-Length ${JSON.stringify(header.value)}`;
          else {
            const n = Number(header.value);
            if (contentLength !== null && contentLength !== n) lengthProblem = 'conflicting Content-Length headers';
            contentLength = n;
          }
        }
      }
    }
    // After a bad line, only count the rest: too many lines outranks it.
    pos = lineEnd + 2;
  }
  if (badLine !== null) return { code: 'bad_header_line', message: `malformed header line: ${JSON.stringify(badLine.slice(0, 120))}` };
  if (transferEncoding !== undefined && transferEncoding.toLowerCase() !== 'identity') {
    return { code: 'unsupported_transfer_encoding', message: `Transfer-Encoding ${transferEncoding} is not used by this protocol` };
  }
  if (lengthProblem !== null) return { code: 'bad_content_length', message: lengthProblem };
  return { headers, contentLength };
}

/** One `Name: value` line in text[start, end), or null when it is not one. */
function readLine(text: string, start: number, end: number): RawHeader | null {
  const colon = text.indexOf(':', start);
  if (colon <= start || colon >= end) return null;
  for (let i = start; i < colon; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return null;
  }
  // A bare LF inside a line (CRLF ends it; a lone LF is not allowed anywhere in a head).
  const lf = text.indexOf('\n', colon);
  if (lf >= 0 && lf < end) return null;
  const valueStart = colon + 1;
  const valueEnd = end;
  if (valueStart < valueEnd && (trimmable(text.charCodeAt(valueStart)) || trimmable(text.charCodeAt(valueEnd - 1)))) {
    const value = text.slice(valueStart, valueEnd).trim();
    return { name: text.slice(start, colon), value };
  }
  return { name: text.slice(start, colon), value: text.slice(valueStart, valueEnd) };
}
