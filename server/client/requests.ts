// Request bytes as OutOfProcSessionStateStore has native code write them (protocol notes §3-§4).
// Header order and the values the sources leave open (ExtraFlags: 0 on a Set, LockCookie: 0 on
// a first Set, no Content-Length without a body) follow the shared transcripts, so the emulator
// produces exactly the bytes the proxy and state server are tested against.
import { buildTarget, serializeRequestHead, type RawHeader, type RequestKind } from '../protocol/index.ts';

export type OperationKind = Exclude<RequestKind, 'Unknown'>;

export type StateOperation =
  | { kind: 'Get'; sessionId: string }
  | { kind: 'GetExclusive'; sessionId: string }
  | { kind: 'ReleaseExclusive'; sessionId: string; lockCookie: number }
  | { kind: 'Set'; sessionId: string; body: Buffer; timeoutMinutes: number; lockCookie: number }
  | { kind: 'CreateUninitialized'; sessionId: string; timeoutMinutes: number }
  | { kind: 'Remove'; sessionId: string; lockCookie: number }
  | { kind: 'ResetTimeout'; sessionId: string };

export interface RequestContext {
  /** Value of the Host header: the server and port from the connection string. */
  hostHeader: string;
  appId: string;
  appHash: string;
}

export interface BuiltRequest {
  verb: string;
  target: string;
  /** Head and body concatenated: what goes on the socket in one write. */
  bytes: Buffer;
  bodyLength: number;
}

/** Serialized empty session (SessionStateUtil): Int32 timeout, no items, no statics, 0xFF. */
export function emptySessionBody(timeoutMinutes: number): Buffer {
  const body = Buffer.alloc(7);
  body.writeInt32LE(timeoutMinutes, 0);
  body[6] = 0xff;
  return body;
}

const VERBS: Record<OperationKind, string> = {
  Get: 'GET',
  GetExclusive: 'GET',
  ReleaseExclusive: 'GET',
  Set: 'PUT',
  CreateUninitialized: 'PUT',
  Remove: 'DELETE',
  ResetTimeout: 'HEAD',
};

export function verbOf(kind: OperationKind): string {
  return VERBS[kind];
}

export function buildRequest(op: StateOperation, ctx: RequestContext): BuiltRequest {
  const headers: RawHeader[] = [{ name: 'Host', value: ctx.hostHeader }];
  const add = (name: string, value: string | number) => headers.push({ name, value: String(value) });
  let body: Buffer | null = null;
  switch (op.kind) {
    case 'Get':
    case 'ResetTimeout':
      break;
    case 'GetExclusive':
      add('Exclusive', 'acquire');
      break;
    case 'ReleaseExclusive':
      add('Exclusive', 'release');
      add('LockCookie', op.lockCookie);
      break;
    case 'Set':
    case 'CreateUninitialized': {
      body = op.kind === 'Set' ? op.body : emptySessionBody(op.timeoutMinutes);
      add('Content-Length', body.length);
      add('Timeout', op.timeoutMinutes);
      add('LockCookie', op.kind === 'Set' ? op.lockCookie : 0);
      add('ExtraFlags', op.kind === 'Set' ? 0 : 1);
      break;
    }
    case 'Remove':
      add('LockCookie', op.lockCookie);
      break;
  }
  const verb = VERBS[op.kind];
  const target = buildTarget(ctx.appId, ctx.appHash, op.sessionId);
  const head = serializeRequestHead({ verb, target, version: 'HTTP/1.1', headers });
  return { verb, target, bytes: body ? Buffer.concat([head, body]) : head, bodyLength: body?.length ?? 0 };
}
