// Runs a framer over a list of chunks and records what it reported, for comparing segmentations.
import { RequestFramer, ResponseFramer, type FramerLimits, type MessageHead, type ProtocolError } from '../../server/protocol/index.ts';

export interface FramedMessage {
  head: MessageHead;
  body: Buffer;
}

export interface FrameResult {
  messages: FramedMessage[];
  error: ProtocolError | null;
  /** Bytes handed back by onError, plus the chunks pushed after the failure. */
  unconsumed: Buffer | null;
  /** The bytes reported (head raw + body slices), in order. */
  reported: Buffer;
}

export function frame(direction: 'request' | 'response', chunks: Buffer[], replyVerbs: string[] = [], limits: Partial<FramerLimits> = {}): FrameResult {
  const messages: FramedMessage[] = [];
  const out: Buffer[] = [];
  let current: { head: MessageHead; body: Buffer[] } | null = null;
  const result: FrameResult = { messages, error: null, unconsumed: null, reported: Buffer.alloc(0) };
  const handlers = {
    onHead(head: MessageHead) {
      current = { head, body: [] };
      out.push(Buffer.from(head.raw));
    },
    onBody(chunk: Buffer) {
      current!.body.push(Buffer.from(chunk));
      out.push(Buffer.from(chunk));
    },
    onMessageEnd() {
      messages.push({ head: current!.head, body: Buffer.concat(current!.body) });
      current = null;
    },
    onError(error: ProtocolError, unconsumed: Buffer) {
      if (result.error) throw new Error('onError called twice');
      result.error = error;
      result.unconsumed = Buffer.from(unconsumed);
    },
  };
  const framer = direction === 'request' ? new RequestFramer(handlers, limits) : new ResponseFramer(handlers, limits);
  if (framer instanceof ResponseFramer) for (const v of replyVerbs) framer.expectReplyTo(v);
  const late: Buffer[] = [];
  for (const c of chunks) {
    // A failed framer ignores input; its caller forwards such bytes raw, so collect them here.
    if (framer.failed) late.push(c);
    else framer.push(c);
  }
  if (result.unconsumed) result.unconsumed = Buffer.concat([result.unconsumed, ...late]);
  result.reported = Buffer.concat(out);
  return result;
}

/** Every way of cutting `bytes` into two pieces, plus one byte at a time. */
export function segmentations(bytes: Buffer): Buffer[][] {
  const ways: Buffer[][] = [[bytes]];
  for (let cut = 1; cut < bytes.length; cut++) ways.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  ways.push([...bytes].map((b) => Buffer.from([b])));
  return ways;
}
