// Parsed message heads. `raw` is the head exactly as received (start line through the blank
// line), so a display or an export never shows a reconstruction.
import type { RawHeader } from './headers.ts';

export interface RequestHead {
  kind: 'request';
  verb: string;
  /** The target exactly as sent; for 2.0+ clients it starts with %2f, not /. */
  target: string;
  /** Version token of the request line, normally HTTP/1.1. */
  version: string;
  headers: RawHeader[];
  /** Body length from Content-Length; 0 when absent (bodiless request). */
  contentLength: number;
  raw: Buffer;
  /** `raw` decoded as latin1 (one byte, one char): the head as text, exactly. */
  text: string;
}

export interface ResponseHead {
  kind: 'response';
  /** `HTTP/1.1` when the status line carried one; null in Microsoft's form (`200 OK`). */
  protocol: string | null;
  status: number;
  reason: string;
  headers: RawHeader[];
  /** Body bytes that follow this head: 0 for replies to HEAD whatever Content-Length says. */
  bodyLength: number;
  /** Content-Length as sent, or null when the header is absent. */
  contentLength: number | null;
  raw: Buffer;
  /** `raw` decoded as latin1 (one byte, one char): the head as text, exactly. */
  text: string;
}

export type MessageHead = RequestHead | ResponseHead;
