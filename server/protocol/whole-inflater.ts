// Inflates a small whole raw-Deflate body on the spot, through one zlib inflater kept for the
// whole run. zlib.inflateRawSync builds a new zlib stream per call (a Transform, a native
// handle, inflateInit's 40 KiB of state), and for a session of a few hundred bytes that set-up
// was two thirds of the cost: measured ~8 us per emulator session against ~3 us here. The same
// handle is reset and fed each body in one synchronous call, into a scratch buffer that is
// wiped after use, so no session value outlives the read.
//
// Node exposes no public way to reuse a synchronous inflater: this drives the stream's native
// handle (writeSync / reset / _writeState, what zlib.inflateRawSync itself calls), checked when
// first used; where they are missing or misbehave, every body goes through inflateRawSync.
import zlib from 'node:zlib';

/** The native handle methods this uses (node:zlib internals, present in Node 20). */
interface InflateHandle {
  reset(): void;
  writeSync(flush: number, input: Buffer, inOffset: number, inLength: number, output: Buffer, outOffset: number, outLength: number): void;
  onerror: (message: string, errno: number) => void;
}

/** A reusable inflater, or null when this Node does not offer the handle it needs. */
function openHandle(): { handle: InflateHandle; state: Uint32Array } | null {
  try {
    const stream = zlib.createInflateRaw() as unknown as { _handle?: InflateHandle; _writeState?: Uint32Array };
    const handle = stream._handle;
    const state = stream._writeState;
    if (!handle || !state || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function') return null;
    return { handle, state };
  } catch {
    return null;
  }
}

export class WholeInflater {
  private opened: { handle: InflateHandle; state: Uint32Array } | null | undefined;
  /** Allocated on first use: most runs never see a compressed session. */
  private scratch: Buffer | undefined;
  /** Set by the handle's error callback during a writeSync. */
  private failedNow = false;

  /**
   * `maxOutput`: a body must inflate to fewer bytes than this (one that fills it gets
   * undefined). `reuse` false: always inflateRawSync, as where the handle is missing (tests).
   */
  constructor(
    readonly maxOutput: number,
    reuse = true,
  ) {
    if (!reuse) this.opened = null;
  }

  /**
   * Inflates `body` (a raw Deflate stream, trailing bytes after its end ignored, as
   * inflateRawSync does) and hands the output to `read`, whose result is returned; undefined
   * when zlib refuses the body or it inflates past maxOutput. The bytes given to `read` are
   * valid only during the call. (`arg` is passed on, so callers need no closure per body.)
   */
  inflate<A, T>(body: Buffer, read: (inflated: Buffer, arg: A) => T, arg: A): T | undefined {
    if (this.opened === undefined) this.opened = this.open();
    if (this.opened === null) return this.inflateFresh(body, read, arg);
    const scratch = (this.scratch ??= Buffer.alloc(this.maxOutput));
    const { handle, state } = this.opened;
    this.failedNow = false;
    // What the scratch buffer may hold afterwards, to wipe: all of it until zlib says how much.
    let produced = this.maxOutput;
    try {
      handle.reset();
      handle.writeSync(zlib.constants.Z_FINISH, body, 0, body.length, scratch, 0, this.maxOutput);
      // state: [output space left, input left]. No space left means it did not fit.
      if (this.failedNow) return undefined;
      produced = this.maxOutput - state[0]!;
      if (state[0] === 0) return undefined;
      return read(scratch.subarray(0, produced), arg);
    } catch {
      // The handle threw (it should report through onerror): stop using it.
      this.opened = null;
      return undefined;
    } finally {
      // Session values must not stay in memory after the read.
      if (produced > 0) scratch.fill(0, 0, produced);
    }
  }

  private open(): { handle: InflateHandle; state: Uint32Array } | null {
    const opened = openHandle();
    if (opened === null) return null;
    // zlib reports a data error through this callback, synchronously inside writeSync; the
    // stream's own would destroy the stream, and with it the handle this keeps.
    opened.handle.onerror = () => {
      this.failedNow = true;
    };
    return opened;
  }

  private inflateFresh<A, T>(body: Buffer, read: (inflated: Buffer, arg: A) => T, arg: A): T | undefined {
    let inflated: Buffer;
    try {
      // (One byte short, so that a body which fills maxOutput is refused here too.)
      inflated = zlib.inflateRawSync(body, { maxOutputLength: this.maxOutput - 1 });
    } catch {
      return undefined;
    }
    return read(inflated, arg);
  }
}
