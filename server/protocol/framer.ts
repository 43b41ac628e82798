// Streaming framer for both directions of the state-server protocol. Feed it chunks exactly as
// they come off a socket; it reports heads, body slices and message ends, with the same result
// whatever the segmentation. Bad input is reported once through onError (never thrown), after
// which the framer ignores further input: the caller decides whether to tunnel, reply or close.
import { protocolError, type ProtocolError, type ProtocolErrorCode } from './errors.ts';
import { FramedRequestHead, FramedResponseHead } from './framed-heads.ts';
import { scanHeaderLines } from './header-lines.ts';
import type { MessageHead, RequestHead, ResponseHead } from './messages.ts';
import { RingQueue } from './ring-queue.ts';

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
const EMPTY = Buffer.alloc(0);
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\s]+) ([A-Za-z]+\/\d+\.\d+)$/;
const STATUS_LINE = /^(?:(HTTP\/\d+\.\d+) )?(\d{3})(?: (.*))?$/;

type State = 'head' | 'body' | 'failed';

/** First allocation for a head split across pushes; it doubles as the head grows. */
const HELD_INITIAL_BYTES = 512;

abstract class Framer<H extends MessageHead> {
  private state: State = 'head';
  /**
   * A head split across pushes, in one buffer that grows by doubling (amortised O(1) per byte:
   * re-concatenating everything held on each push made one-byte segments quadratic). Bytes
   * below `headLength` are never rewritten, so views of them stay valid; once the head
   * completes the buffer becomes its `raw` and a new one is started for the next head.
   */
  private held: Buffer | null = null;
  private headLength = 0;
  private startLineChecked = false;
  private bodyRemaining = 0;
  /** Bytes of this direction consumed so far (heads and bodies). */
  private consumed = 0;
  private paused = false;
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

  /** Body bytes of the current message still to come (0 outside a body). */
  get bodyBytesDue(): number {
    return this.state === 'body' ? this.bodyRemaining : 0;
  }

  /** Bytes of a head that has started but not completed (held, not yet reported). */
  get pendingHeadBytes(): number {
    return this.headLength;
  }

  /**
   * The partial head held so far (for a relay that must flush it raw). A view: its bytes never
   * change, so `pendingHead().subarray(n)` is how to take only what arrived since.
   */
  pendingHead(): Buffer {
    return this.held ? this.held.subarray(0, this.headLength) : EMPTY;
  }

  /**
   * Stops at the next message boundary: the rest of the chunk being pushed is not consumed
   * (push() says how much was). Called from a handler by a caller that bounds messages in flight.
   */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Returns how many bytes of `chunk` were consumed: all of them unless pause() was called. */
  push(chunk: Buffer): number {
    let pos = 0;
    while (pos < chunk.length && this.state !== 'failed') {
      if (this.state === 'body') pos = this.takeBody(chunk, pos);
      else if (this.paused && this.headLength === 0) return pos;
      else pos = this.takeHead(chunk, pos);
    }
    return chunk.length;
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
    const tooLarge = this.headLength + take > this.limits.maxHeadBytes;
    // A whole head in one push within the limit (the usual case) is validated by parseHead.
    // Otherwise the start line is checked first, exactly as a byte-at-a-time reader would meet
    // its errors, so the code reported never depends on how the bytes were segmented.
    if ((this.headLength > 0 || end < 0 || tooLarge) && !this.startLineChecked) {
      const problem = this.checkStartLine(chunk, pos);
      if (problem !== null) return this.fail(this.startLineError(), problem, chunk, pos);
    }
    if (tooLarge) {
      return this.fail('head_too_large', `message head exceeds ${this.limits.maxHeadBytes} bytes`, chunk, pos);
    }
    if (end < 0) {
      // Keep a private copy: held bytes must not pin (or alias) the caller's chunk.
      this.hold(chunk, pos, chunk.length);
      return chunk.length;
    }
    let raw: Buffer;
    // A chunk that is exactly one head (a bodiless request or reply) is the head: no view needed.
    if (this.headLength === 0) raw = pos === 0 && end === chunk.length ? chunk : chunk.subarray(pos, end);
    else {
      this.hold(chunk, pos, end);
      raw = this.held!.subarray(0, this.headLength);
    }
    this.held = null;
    this.headLength = 0;
    this.startLineChecked = false;
    const parsed = this.parseHead(raw);
    if ('code' in parsed) {
      this.state = 'failed';
      const rest = chunk.subarray(end);
      this.handlers.onError({ ...parsed, offset: this.consumed }, rest.length === 0 ? raw : Buffer.concat([raw, rest]));
      return chunk.length;
    }
    this.consumed += raw.length;
    this.bodyRemaining = this.bodyLengthOf(parsed);
    this.state = this.bodyRemaining > 0 ? 'body' : 'head';
    this.handlers.onHead(parsed);
    if (this.bodyRemaining === 0) this.finishMessage();
    return end;
  }

  /** Appends chunk[from, to) to the held head, growing its buffer by doubling. */
  private hold(chunk: Buffer, from: number, to: number): void {
    const need = this.headLength + (to - from);
    if (this.held === null || this.held.length < need) {
      const doubled = Math.max(HELD_INITIAL_BYTES, 2 * (this.held?.length ?? 0));
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(doubled, this.limits.maxHeadBytes)));
      if (this.held) this.held.copy(grown, 0, 0, this.headLength);
      this.held = grown;
    }
    chunk.copy(this.held, this.headLength, from, to);
    this.headLength = need;
  }

  /**
   * Index just past "\r\n\r\n" in `chunk` (searching from `pos`), counting a terminator that
   * began in bytes already held; -1 when the head is not complete yet. O(1) beyond the search.
   */
  private findHeadEnd(chunk: Buffer, pos: number): number {
    if (this.headLength > 0) {
      const held = this.held!;
      for (let k = Math.min(3, this.headLength); k >= 1; k--) {
        if (!endsWith(held, this.headLength, k)) continue;
        const need = 4 - k;
        if (chunk.length - pos < need) continue;
        let match = true;
        for (let i = 0; i < need; i++) if (chunk[pos + i] !== CRLF2[k + i]) match = false;
        if (match) return pos + need;
      }
    }
    const idx = chunk.indexOf(CRLF2, pos);
    return idx < 0 ? -1 : idx + 4;
  }

  /**
   * Validates the start line as soon as it is complete, so garbage is reported at once rather
   * than held until the head limit is reached (a relay must not sit on bytes it cannot parse).
   * Looks only at bytes not seen before, and only within the head limit: a line ending past
   * the limit is the limit's error. Returns a problem, or null.
   */
  private checkStartLine(chunk: Buffer, pos: number): string | null {
    if (this.headLength === 0 && !this.plausibleStart(chunk[pos]!)) return 'start line is not of this protocol';
    const nl = chunk.indexOf(0x0a, pos);
    if (nl < 0 || nl >= pos + this.limits.maxHeadBytes - this.headLength) return null;
    this.startLineChecked = true;
    const prefix = this.headLength > 0 ? this.held!.toString('latin1', 0, this.headLength) : '';
    const line = prefix + chunk.toString('latin1', pos, nl);
    if (!line.endsWith('\r') || this.parseStartLine(line.slice(0, -1)) === null) {
      return `malformed start line: ${JSON.stringify(line.slice(0, 120))}`;
    }
    return null;
  }

  private fail(code: ProtocolErrorCode, message: string, chunk: Buffer, pos: number): number {
    this.state = 'failed';
    const rest = chunk.subarray(pos);
    const unconsumed = this.headLength === 0 ? rest : Buffer.concat([this.held!.subarray(0, this.headLength), rest]);
    this.held = null;
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
    const firstLineEnd = text.indexOf('\r\n'); // found: the head ends in CRLF CRLF
    const start = this.parseStartLine(text.slice(0, firstLineEnd));
    if (start === null) return protocolError(this.startLineError(), 'malformed start line', this.consumed);
    const lines = scanHeaderLines(text, firstLineEnd + 2, this.limits.maxHeaders);
    if ('code' in lines) return protocolError(lines.code, lines.message, this.consumed);
    const length = lines.contentLength;
    if (length !== null && length > this.limits.maxBodyBytes) {
      return protocolError('body_too_large', `Content-Length ${length} exceeds ${this.limits.maxBodyBytes}`, this.consumed);
    }
    return this.buildHead(start, length, raw, text);
  }

  private plausibleStart(first: number): boolean {
    // Before the first line ends, reject only bytes no start line can begin with.
    return first >= 0x21 && first <= 0x7e;
  }

  protected abstract startLineError(): ProtocolErrorCode;
  protected abstract parseStartLine(line: string): string[] | null;
  protected abstract buildHead(start: string[], contentLength: number | null, raw: Buffer, text: string): H;
  protected abstract bodyLengthOf(head: H): number;
}

/** True when held[0, length) ends with the first `k` bytes of CRLF CRLF. */
function endsWith(held: Buffer, length: number, k: number): boolean {
  for (let i = 0; i < k; i++) if (held[length - k + i] !== CRLF2[i]) return false;
  return true;
}

export class RequestFramer extends Framer<RequestHead> {
  protected startLineError(): ProtocolErrorCode {
    return 'bad_request_line';
  }
  protected parseStartLine(line: string): string[] | null {
    const m = REQUEST_LINE.exec(line);
    return m ? [m[1]!, m[2]!, m[3]!] : null;
  }
  protected buildHead(start: string[], contentLength: number | null, raw: Buffer, text: string): RequestHead {
    const [verb, target, version] = start as [string, string, string];
    return new FramedRequestHead(verb, target, version, contentLength ?? 0, raw, text);
  }
  protected bodyLengthOf(head: RequestHead): number {
    return head.contentLength;
  }
}

export class ResponseFramer extends Framer<ResponseHead> {
  /** Verbs of requests sent and not yet answered, oldest first (replies come in order). */
  private readonly awaiting = new RingQueue<string>();

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
  protected buildHead(start: string[], contentLength: number | null, raw: Buffer, text: string): ResponseHead {
    const [protocol, status, reason] = start as [string, string, string];
    const verb = this.awaiting.shift();
    const bodyLength = verb === 'HEAD' ? 0 : (contentLength ?? 0);
    return new FramedResponseHead(protocol === '' ? null : protocol, Number(status), reason, contentLength, bodyLength, raw, text);
  }
  protected bodyLengthOf(head: ResponseHead): number {
    return head.bodyLength;
  }
}
