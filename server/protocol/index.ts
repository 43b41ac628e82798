// server/protocol: pure code, no sockets and no imports from the rest of statescope.
export * from './errors.ts';
export * from './headers.ts';
export * from './messages.ts';
export * from './framer.ts';
export * from './target.ts';
export * from './classify.ts';
export * from './serialize.ts';
export * from './ring-queue.ts';
