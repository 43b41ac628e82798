// The obvious way to read header lines (split the text, test each line with a regular
// expression), kept only as the reference the fast single-pass reader must agree with.
import type { HeaderLinesError } from '../../server/protocol/header-lines.ts';
import type { RawHeader } from '../../server/protocol/headers.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface HeaderLines {
  headers: RawHeader[];
  contentLength: number | null;
}

export function referenceHeaderLines(text: string, maxHeaders: number): HeaderLines | HeaderLinesError {
  const lines = text.slice(0, -4).split('\r\n');
  if (lines.length - 1 > maxHeaders) return { code: 'too_many_headers', message: `more than ${maxHeaders} headers` };
  const headers: RawHeader[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name) || line.includes('\n')) return { code: 'bad_header_line', message: `malformed header line: ${JSON.stringify(line.slice(0, 120))}` };
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  const te = headers.find((h) => h.name.toLowerCase() === 'transfer-encoding')?.value;
  if (te !== undefined && te.toLowerCase() !== 'identity') {
    return { code: 'unsupported_transfer_encoding', message: `Transfer-Encoding ${te} is not used by this protocol` };
  }
  let found: number | null = null;
  for (const h of headers) {
    if (h.name.toLowerCase() !== 'content-length') continue;
    if (!/^\d{1,15}$/.test(h.value)) return { code: 'bad_content_length', message: `invalid Content-Length ${JSON.stringify(h.value)}` };
    const n = Number(h.value);
    if (found !== null && found !== n) return { code: 'bad_content_length', message: 'conflicting Content-Length headers' };
    found = n;
  }
  return { headers, contentLength: found };
}
