// Streaming framer for both directions of the state-server protocol. Feed it chunks exactly as
// they come off a socket; it reports heads, body slices and message ends, with the same result
// whatever the segmentation. Bad input is reported once through onError (never thrown), after
// which the framer ignores further input: the caller decides whether to tunnel, reply or close.
import { protocolError, type ProtocolError, type ProtocolErrorCode } from './errors.ts';
import { getHeader, type RawHeader } from './headers.ts';
import type { MessageHead, RequestHead, ResponseHead } from './messages.ts';

export interface FramerLimits {
  /** Start line + headers + blank line. */
  maxHeadBytes: number;
  maxHeaders: number;
  /** Largest Content-Length accepted; Infinity for a relay that streams bodies anyway. */
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: FramerLimits = {
  maxHeadBytes: 64 * 1024,
  maxHeaders: 100,
  maxBodyBytes: 64 * 1024 * 1024,
};

export interface FramerHandlers<H extends MessageHead> {
  onHead(head: H): void;
  /** A slice of the current message's body, in order; views into the pushed chunk, not copies. */
  onBody?(chunk: Buffer): void;
  onMessageEnd(): void;
  /**
   * Called once. `unconsumed` holds every byte pushed that was not reported as head or body
   * (a buffered partial head and the rest of the chunk), so a relay can forward it raw.
   */
  onError(error: ProtocolError, unconsumed: Buffer): void;
}

const CRLF2 = Buffer.from('\r\n\r\n', 'latin1');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\s]+) ([A-Za-z]+\/\d+\.\d+)$/;
const STATUS_LINE = /^(?:(HTTP\/\d+\.\d+) )?(\d{3})(?: (.*))?$/;

type State = 'head' | 'body' | 'failed';

abstract class Framer<H extends MessageHead> {
  private state: State = 'head';
  private headChunks: Buffer[] = [];
  private headLength = 0;
  private startLineChecked = false;
  private bodyRemaining = 0;
  /** Bytes of this direction consumed so far (heads and bodies). */
  private consumed = 0;
  protected readonly limits: FramerLimits;

  constructor(
    private readonly handlers: FramerHandlers<H>,
    limits: Partial<FramerLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  /** True between messages: nothing buffered and no body outstanding. */
  get idle(): boolean {
    return this.state === 'head' && this.headLength === 0;
  }

  /** Bytes of a head that has started but not completed (held, not yet reported). */
  get pendingHeadBytes(): number {
    return this.headLength;
  }

  /** Copy of the partial head held so far (for a relay that must flush it raw). */
  pendingHead(): Buffer {
    return Buffer.concat(this.headChunks, this.headLength);
  }

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.state !== 'failed') {
      if (this.state === 'body') pos = this.takeBody(chunk, pos);
      else pos = this.takeHead(chunk, pos);
    }
  }

  private takeBody(chunk: Buffer, pos: number): number {
    const n = Math.min(this.bodyRemaining, chunk.length - pos);
    const slice = pos === 0 && n === chunk.length ? chunk : chunk.subarray(pos, pos + n);
    this.bodyRemaining -= n;
    this.consumed += n;
    this.handlers.onBody?.(slice);
    if (this.bodyRemaining === 0) this.finishMessage();
    return pos + n;
  }

  private takeHead(chunk: Buffer, pos: number): number {
    const end = this.findHeadEnd(chunk, pos);
    const take = end < 0 ? chunk.length - pos : end - pos;
    if (this.headLength + take > this.limits.maxHeadBytes) {
      return this.fail('head_too_large', `message head exceeds ${this.limits.maxHeadBytes} bytes`, chunk, pos);
    }
    const piece = chunk.subarray(pos, pos + take);
    this.headChunks.push(piece);
    this.headLength += take;
    if (end < 0) {
      // A complete head is validated whole below; a partial one is checked early instead.
      if (!this.startLineChecked && !this.checkStartLine(chunk)) return chunk.length;
      // Keep a private copy: held bytes must not pin (or alias) the caller's chunk.
      this.headChunks[this.headChunks.length - 1] = Buffer.from(piece);
      return chunk.length;
    }
    const raw =
      this.headChunks.length === 1 ? this.headChunks[0]! : Buffer.concat(this.headChunks, this.headLength);
    this.headChunks = [];
    this.headLength = 0;
    this.startLineChecked = false;
    const parsed = this.parseHead(raw);
    if ('code' in parsed) {
      this.state = 'failed';
      this.handlers.onError({ ...parsed, offset: this.consumed }, Buffer.concat([raw, chunk.subarray(end)]));
      return chunk.length;
    }
    this.consumed += raw.length;
    this.bodyRemaining = this.bodyLengthOf(parsed);
    this.state = this.bodyRemaining > 0 ? 'body' : 'head';
    this.handlers.onHead(parsed);
    if (this.bodyRemaining === 0) this.finishMessage();
    return end;
  }

  /**
   * Index just past "\r\n\r\n" in `chunk` (searching from `pos`), counting a terminator that
   * began in bytes already buffered; -1 when the head is not complete yet.
   */
  private findHeadEnd(chunk: Buffer, pos: number): number {
    if (this.headLength > 0) {
      const tail = this.tailBytes(3);
      for (let k = Math.min(3, tail.length); k >= 1; k--) {
        if (tail.subarray(tail.length - k).equals(CRLF2.subarray(0, k))) {
          const need = CRLF2.subarray(k);
          if (chunk.length - pos >= need.length && chunk.subarray(pos, pos + need.length).equals(need)) {
            return pos + need.length;
          }
        }
      }
    }
    const idx = chunk.indexOf(CRLF2, pos);
    return idx < 0 ? -1 : idx + 4;
  }

  private tailBytes(n: number): Buffer {
    const parts: Buffer[] = [];
    let have = 0;
    for (let i = this.headChunks.length - 1; i >= 0 && have < n; i--) {
      const c = this.headChunks[i]!;
      const t = c.subarray(Math.max(0, c.length - (n - have)));
      parts.unshift(t);
      have += t.length;
    }
    return Buffer.concat(parts);
  }

  /**
   * Validates the start line as soon as it is complete, so garbage is reported at once rather
   * than held until the head limit is reached (a relay must not sit on bytes it cannot parse).
   */
  private checkStartLine(chunk: Buffer): boolean {
    const held = this.headLength <= 8192 ? Buffer.concat(this.headChunks, this.headLength) : null;
    if (!held) return true; // a start line this long is caught by the head limit
    const nl = held.indexOf(0x0a);
    if (nl < 0) {
      if (held.length > 0 && !this.plausibleStart(held)) {
        this.fail(this.startLineError(), 'start line is not of this protocol', chunk, chunk.length, held);
        return false;
      }
      return true;
    }
    this.startLineChecked = true;
    const line = held.subarray(0, nl).toString('latin1');
    if (!line.endsWith('\r') || this.parseStartLine(line.slice(0, -1)) === null) {
      this.fail(this.startLineError(), `malformed start line: ${JSON.stringify(line.slice(0, 120))}`, chunk, chunk.length, held);
      return false;
    }
    return true;
  }

  private fail(code: ProtocolErrorCode, message: string, chunk: Buffer, pos: number, held?: Buffer): number {
    this.state = 'failed';
    const pending = held ?? Buffer.concat(this.headChunks, this.headLength);
    const rest = pos < chunk.length ? chunk.subarray(pos) : Buffer.alloc(0);
    // When `held` is given the current piece is already inside it.
    const unconsumed = held ? pending : Buffer.concat([pending, rest]);
    this.headChunks = [];
    this.headLength = 0;
    this.handlers.onError(protocolError(code, message, this.consumed), unconsumed);
    return chunk.length;
  }

  private finishMessage(): void {
    this.state = 'head';
    this.handlers.onMessageEnd();
  }

  private parseHead(raw: Buffer): H | ProtocolError {
    // One decode per head: `text` is kept on the head (records and displays reuse it).
    const text = raw.toString('latin1');
    const lines = text.slice(0, -4).split('\r\n');
    const start = this.parseStartLine(lines[0]!);
    if (start === null) return protocolError(this.startLineError(), 'malformed start line', this.consumed);
    if (lines.length - 1 > this.limits.maxHeaders) {
      return protocolError('too_many_headers', `more than ${this.limits.maxHeaders} headers`, this.consumed);
    }
    const headers: RawHeader[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name) || line.includes('\n')) {
        return protocolError('bad_header_line', `malformed header line: ${JSON.stringify(line.slice(0, 120))}`, this.consumed);
      }
      headers.push({ name, value: line.slice(colon + 1).trim() });
    }
    const te = getHeader(headers, 'Transfer-Encoding');
    if (te !== undefined && te.toLowerCase() !== 'identity') {
      return protocolError('unsupported_transfer_encoding', `Transfer-Encoding ${te} is not used by this protocol`, this.consumed);
    }
    const length = contentLengthOf(headers);
    if (typeof length === 'string') return protocolError('bad_content_length', length, this.consumed);
    if (length !== null && length > this.limits.maxBodyBytes) {
      return protocolError('body_too_large', `Content-Length ${length} exceeds ${this.limits.maxBodyBytes}`, this.consumed);
    }
    return this.buildHead(start, headers, length, raw, text);
  }

  private plausibleStart(held: Buffer): boolean {
    // Before the first line ends, reject only bytes no start line can begin with.
    const first = held[0]!;
    return first >= 0x21 && first <= 0x7e;
  }

  protected abstract startLineError(): ProtocolErrorCode;
  protected abstract parseStartLine(line: string): string[] | null;
  protected abstract buildHead(start: string[], headers: RawHeader[], contentLength: number | null, raw: Buffer, text: string): H;
  protected abstract bodyLengthOf(head: H): number;
}

/** Content-Length as a number, null when absent, or an error message. */
function contentLengthOf(headers: readonly RawHeader[]): number | null | string {
  let found: number | null = null;
  for (const h of headers) {
    if (h.name.length !== 14 || h.name.toLowerCase() !== 'content-length') continue;
    if (!/^\d{1,15}$/.test(h.value)) return `invalid Content-Length ${JSON.stringify(h.value)}`;
    const n = Number(h.value);
    if (found !== null && found !== n) return 'conflicting Content-Length headers';
    found = n;
  }
  return found;
}

export class RequestFramer extends Framer<RequestHead> {
  protected startLineError(): ProtocolErrorCode {
    return 'bad_request_line';
  }
  protected parseStartLine(line: string): string[] | null {
    const m = REQUEST_LINE.exec(line);
    return m ? [m[1]!, m[2]!, m[3]!] : null;
  }
  protected buildHead(start: string[], headers: RawHeader[], contentLength: number | null, raw: Buffer, text: string): RequestHead {
    const [verb, target, version] = start as [string, string, string];
    return { kind: 'request', verb, target, version, headers, contentLength: contentLength ?? 0, raw, text };
  }
  protected bodyLengthOf(head: RequestHead): number {
    return head.contentLength;
  }
}

export class ResponseFramer extends Framer<ResponseHead> {
  /** Verbs of requests sent and not yet answered, oldest first (replies come in order). */
  private readonly awaiting: string[] = [];

  /** Tells the framer a request was sent, so a reply to HEAD is framed without a body. */
  expectReplyTo(verb: string): void {
    this.awaiting.push(verb);
  }

  protected startLineError(): ProtocolErrorCode {
    return 'bad_status_line';
  }
  protected parseStartLine(line: string): string[] | null {
    const m = STATUS_LINE.exec(line);
    return m ? [m[1] ?? '', m[2]!, m[3] ?? ''] : null;
  }
  protected buildHead(start: string[], headers: RawHeader[], contentLength: number | null, raw: Buffer, text: string): ResponseHead {
    const [protocol, status, reason] = start as [string, string, string];
    const verb = this.awaiting.shift();
    return {
      kind: 'response',
      protocol: protocol === '' ? null : protocol,
      status: Number(status),
      reason,
      headers,
      contentLength,
      bodyLength: verb === 'HEAD' ? 0 : (contentLength ?? 0),
      raw,
      text,
    };
  }
  protected bodyLengthOf(head: ResponseHead): number {
    return head.bodyLength;
  }
}
