// One client socket: frames requests, runs them in arrival order and writes each reply whole.
// Requests are executed synchronously as they complete, so replies leave in request order even
// when a client pipelines several requests in one segment.
import type { Socket } from 'node:net';
import type { ProtocolError } from '../protocol/errors.ts';
import { RequestFramer, type FramerLimits } from '../protocol/framer.ts';
import type { RequestHead } from '../protocol/messages.ts';
import type { StateRequest } from './operations.ts';
import { encodeReply, reply, type Reply } from './reply.ts';

export interface ConnectionOptions {
  limits: Partial<FramerLimits>;
  /** 0 disables the idle timeout. */
  idleTimeoutMs: number;
  versionHeader: string | null;
  execute(request: StateRequest): Reply;
  onProtocolError(error: ProtocolError, socket: Socket): void;
}

const EMPTY = Buffer.alloc(0);
/** Bodies up to this size are joined to the head, so small replies leave in one write. */
const JOIN_LIMIT = 64 * 1024;
/** After a protocol error we half-close; a client that never closes its side is cut off. */
const CLOSE_GRACE_MS = 2000;

export function serveConnection(socket: Socket, options: ConnectionOptions): void {
  let head: RequestHead | null = null;
  let bodyParts: Buffer[] = [];
  let bodyLength = 0;

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
        send(options.execute({ verb: h.verb, target: h.target, headers: h.headers, body }));
      },
      onError(error) {
        // The byte stream can no longer be trusted to be in step, so answer once and close.
        options.onProtocolError(error, socket);
        send(reply(400));
        socket.end();
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      },
    },
    options.limits,
  );

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
    if (!flushed && !socket.isPaused()) {
      // A client that pipelines without reading must not make us buffer replies without end.
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  }

  socket.setNoDelay(true);
  if (options.idleTimeoutMs > 0) {
    socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
  }
  // Resets and aborted writes are the client's business; the connection just goes away.
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => framer.push(chunk));
}
