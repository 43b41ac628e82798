// How many client connections this process can hold before it runs out of file descriptors.
// Past that point accept() fails with EMFILE, and libuv silently closes the pending connection
// (Node emits nothing), so the proxy sets server.maxConnections below it: Node then accepts,
// closes and emits 'drop', which the proxy logs and counts.
import { readFileSync } from 'node:fs';

/** Descriptors kept for everything else: stdio, the event loop, listeners, dashboard, logs. */
export const RESERVED_DESCRIPTORS = 64;

/**
 * The soft limit on open descriptors (Node raises it to the hard limit at start-up), or null
 * where the platform has no such per-process limit to read (Windows) or it cannot be read.
 */
export function openFileLimit(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const limits = readFileSync('/proc/self/limits', 'latin1');
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
    if (!m || m[1] === 'unlimited') return null;
    return Number(m[1]);
  } catch {
    return null;
  }
}

/**
 * Client connections that fit in the descriptor limit, each needing `perConnection`
 * descriptors (its own socket and its upstream's, plus the embedded server's side when the
 * upstream runs in this process); undefined when there is no limit to respect.
 */
export function defaultMaxConnections(perConnection: number, limit = openFileLimit()): number | undefined {
  if (limit === null) return undefined;
  return Math.max(1, Math.floor((limit - RESERVED_DESCRIPTORS) / perConnection));
}
