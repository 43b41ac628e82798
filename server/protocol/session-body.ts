// A session body as it streams past, plain or compressed. With <sessionState
// compressionEnabled="true"> ASP.NET writes the serialized session through a raw Deflate stream
// (no zlib or gzip header) and appends one 0xFF; nothing on the wire says which form a body is
// in, so the first bytes decide: a plain session starts with a timeout of at most 525,600
// minutes and two booleans, which a Deflate stream's first bytes almost never are.
//
// Plain bodies are read synchronously; compressed ones through zlib's streaming inflater, whose
// output goes straight to the same reader, so neither form is ever held whole in memory.
import zlib from 'node:zlib';
import {
  DEFAULT_SESSION_ITEMS_LIMITS,
  SessionItemsReader,
  type SessionItemsLimits,
  type SessionItemsResult,
} from './session-items.ts';

export type SessionBodyForm = 'plain' | 'compressed';

export type SessionBodyResult = SessionItemsResult & { form: SessionBodyForm | 'empty' };

export interface SessionBodyLimits extends SessionItemsLimits {
  /** Inflated bytes accepted from a compressed body before it is called a Deflate bomb. */
  maxInflatedBytes: number;
}

export const DEFAULT_SESSION_BODY_LIMITS: SessionBodyLimits = {
  ...DEFAULT_SESSION_ITEMS_LIMITS,
  maxInflatedBytes: 256 * 1024 * 1024,
};

const SNIFF_BYTES = 6;

/** True when the first six bytes read as a plain session's timeout and two booleans. */
export function looksPlain(first: Buffer): boolean {
  const timeout = first.readInt32LE(0);
  return timeout >= 0 && timeout <= 525_600 && first[4]! <= 1 && first[5]! <= 1;
}

export class SessionBodyDecoder {
  private sniffed: Buffer[] = [];
  private sniffedBytes = 0;
  private form: SessionBodyForm | undefined;
  private readonly reader: SessionItemsReader;
  private inflater: zlib.InflateRaw | undefined;
  private inflated = 0;
  private inflateError: string | undefined;
  private inflateDone: Promise<void> | undefined;

  constructor(private readonly limits: SessionBodyLimits = DEFAULT_SESSION_BODY_LIMITS) {
    this.reader = new SessionItemsReader(limits);
  }

  /** Feeds the next bytes of the body; cheap, never throws. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.form === undefined) {
      this.sniffed.push(chunk);
      this.sniffedBytes += chunk.length;
      if (this.sniffedBytes < SNIFF_BYTES) return;
      const head = Buffer.concat(this.sniffed);
      this.sniffed = [];
      this.choose(head.subarray(0, SNIFF_BYTES));
      this.route(head);
      return;
    }
    this.route(chunk);
  }

  /** The item table once the body has ended (compressed bodies finish inflating first). */
  async end(): Promise<SessionBodyResult> {
    const now = this.endSync();
    if (now !== undefined) return now;
    this.inflater!.end();
    await this.inflateDone;
    if (this.inflateError !== undefined) return { ok: false, error: this.inflateError, offset: this.inflated, form: 'compressed' };
    return { ...this.reader.finish(), form: 'compressed' };
  }

  /**
   * The result at once when the body is plain (or empty, or too short to sniff): no await on
   * the relay's path for the common case. undefined for a compressed body: use end().
   */
  endSync(): SessionBodyResult | undefined {
    if (this.form === undefined) {
      if (this.sniffedBytes === 0) return { ok: false, error: 'the body is empty', offset: 0, form: 'empty' };
      // Too short to sniff: only a plain reading can say what is wrong with it.
      this.form = 'plain';
      for (const piece of this.sniffed) this.reader.push(piece);
      this.sniffed = [];
    }
    if (this.form === 'compressed') return undefined;
    return { ...this.reader.finish(), form: this.form };
  }

  private choose(first: Buffer): void {
    if (looksPlain(first)) {
      this.form = 'plain';
      return;
    }
    this.form = 'compressed';
    const inflater = zlib.createInflateRaw();
    this.inflater = inflater;
    inflater.on('data', (piece: Buffer) => {
      this.inflated += piece.length;
      if (this.inflated > this.limits.maxInflatedBytes) {
        this.stopInflating(`the body inflates past ${this.limits.maxInflatedBytes} bytes`);
        return;
      }
      this.reader.push(piece);
      if (this.reader.failed) this.stopInflating(undefined);
    });
    this.inflateDone = new Promise((resolve) => {
      inflater.on('error', (error: Error) => {
        this.inflateError ??= `not a serialized session (plain or Deflate): ${error.message}`;
        resolve();
      });
      inflater.on('end', () => resolve());
      inflater.on('close', () => resolve());
    });
  }

  private stopInflating(reason: string | undefined): void {
    if (reason !== undefined) this.inflateError ??= reason;
    this.inflater!.destroy();
  }

  private route(chunk: Buffer): void {
    if (this.form === 'plain') {
      if (!this.reader.failed) this.reader.push(chunk);
      return;
    }
    const inflater = this.inflater!;
    // Input after a failure or the end of the Deflate stream (ASP.NET's trailing 0xFF) is dropped.
    if (!inflater.destroyed && !inflater.writableEnded) inflater.write(chunk);
  }
}

/** Decodes a whole body (saved captures, tests). */
export function decodeSessionBody(body: Buffer, limits?: SessionBodyLimits): Promise<SessionBodyResult> {
  const decoder = new SessionBodyDecoder(limits);
  decoder.push(body);
  return decoder.end();
}
