// One client socket: frames requests, runs them in arrival order and writes each reply whole.
// A store may answer asynchronously (Redis), so replies wait in a FIFO of slots and leave in
// request order even when a client pipelines; an in-memory reply with nothing queued ahead of it
// is written at once. When the store fails, the replies due before the failed request are still
// written and then the connection is closed, as a dead state server would do: ASP.NET treats any
// invented status on a Get as "no session" and would start an empty one.
import type { Socket } from 'node:net';
import type { ProtocolError } from '../protocol/errors.ts';
import { RequestFramer, type FramerLimits } from '../protocol/framer.ts';
import type { RequestHead } from '../protocol/messages.ts';
import type { StateRequest } from './operations.ts';
import { encodeReply, reply, type Reply } from './reply.ts';
import type { MaybePromise } from './store.ts';

export interface ConnectionOptions {
  limits: Partial<FramerLimits>;
  /** 0 disables the idle timeout. */
  idleTimeoutMs: number;
  versionHeader: string | null;
  execute(request: StateRequest): MaybePromise<Reply>;
  onProtocolError(error: ProtocolError, socket: Socket): void;
  /** The store failed while answering a request of this connection, which is being closed. */
  onStoreFailure(error: unknown, socket: Socket): void;
}

const EMPTY = Buffer.alloc(0);
/** Bodies up to this size are joined to the head, so small replies leave in one write. */
const JOIN_LIMIT = 64 * 1024;
/** After a protocol error we half-close; a client that never closes its side is cut off. */
const CLOSE_GRACE_MS = 2000;
/** Requests awaiting the store before we stop reading from a pipelining client. */
const MAX_IN_FLIGHT = 64;

interface Slot {
  reply: Reply | null;
  failure: { error: unknown } | null;
  /** The 400 for a protocol error: written, then the connection is half-closed. */
  closeAfter: boolean;
}

export function serveConnection(socket: Socket, options: ConnectionOptions): void {
  let head: RequestHead | null = null;
  let bodyParts: Buffer[] = [];
  let bodyLength = 0;
  const queue: Slot[] = [];
  let queueStart = 0;
  let writeBlocked = false;
  let tooManyInFlight = false;

  const framer = new RequestFramer(
    {
      onHead(h) {
        head = h;
        bodyParts = [];
        bodyLength = 0;
      },
      onBody(chunk) {
        // Only a Set keeps its body; other verbs' bytes are framed and dropped.
        if (head?.verb !== 'PUT') return;
        bodyParts.push(chunk);
        bodyLength += chunk.length;
      },
      onMessageEnd() {
        const h = head!;
        head = null;
        // concat copies, so a stored body never pins (or aliases) a socket chunk.
        const body = bodyLength > 0 ? Buffer.concat(bodyParts, bodyLength) : EMPTY;
        bodyParts = [];
        let result: MaybePromise<Reply>;
        try {
          result = options.execute({ verb: h.verb, target: h.target, headers: h.headers, body });
        } catch (error) {
          result = Promise.reject(error);
        }
        if (!(result instanceof Promise) && queueStart === queue.length) {
          send(result);
          return;
        }
        const slot: Slot = { reply: null, failure: null, closeAfter: false };
        queue.push(slot);
        if (result instanceof Promise) {
          result.then(
            (r) => {
              slot.reply = r;
              flush();
            },
            (error: unknown) => {
              slot.failure = { error };
              flush();
            },
          );
        } else {
          slot.reply = result;
        }
        if (queue.length - queueStart >= MAX_IN_FLIGHT) {
          tooManyInFlight = true;
          updateFlow();
        }
      },
      onError(error) {
        // The byte stream can no longer be trusted to be in step, so answer once and close,
        // after the replies still due to the requests before it.
        options.onProtocolError(error, socket);
        queue.push({ reply: reply(400), failure: null, closeAfter: true });
        flush();
      },
    },
    options.limits,
  );

  /** Writes the replies at the head of the queue that are ready, in order. */
  function flush(): void {
    while (queueStart < queue.length) {
      const slot = queue[queueStart]!;
      if (slot.reply === null && slot.failure === null) break;
      queueStart++;
      if (slot.failure !== null) {
        options.onStoreFailure(slot.failure.error, socket);
        queue.length = queueStart = 0;
        socket.destroy();
        return;
      }
      send(slot.reply!);
      if (slot.closeAfter) {
        socket.end();
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      }
    }
    if (queueStart === queue.length) queue.length = queueStart = 0;
    if (tooManyInFlight && queue.length - queueStart < MAX_IN_FLIGHT / 2) {
      tooManyInFlight = false;
      updateFlow();
    }
  }

  function send(r: Reply): void {
    if (socket.destroyed || !socket.writable) return;
    const { head: replyHead, body } = encodeReply(r, options.versionHeader);
    let flushed: boolean;
    if (body === null) {
      flushed = socket.write(replyHead);
    } else if (body.length <= JOIN_LIMIT) {
      flushed = socket.write(Buffer.concat([replyHead, body]));
    } else {
      // Large stored bodies are written as they are rather than copied behind the head.
      socket.cork();
      socket.write(replyHead);
      flushed = socket.write(body);
      socket.uncork();
    }
    if (!flushed && !writeBlocked) {
      // A client that pipelines without reading must not make us buffer replies without end.
      writeBlocked = true;
      updateFlow();
      socket.once('drain', () => {
        writeBlocked = false;
        updateFlow();
      });
    }
  }

  /** Reads only while the client reads its replies and the store keeps up. */
  function updateFlow(): void {
    if (writeBlocked || tooManyInFlight) socket.pause();
    else socket.resume();
  }

  socket.setNoDelay(true);
  if (options.idleTimeoutMs > 0) {
    socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
  }
  // Resets and aborted writes are the client's business; the connection just goes away.
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => framer.push(chunk));
}
