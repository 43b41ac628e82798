// Closed-loop load: each connection sends one request, waits for the whole reply, then sends the
// next (the ASP.NET client never pipelines). The request mix touches both directions' bodies:
// Set (PUT, 128-byte body), Get (reply carries the body) and ResetTimeout (HEAD).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ResponseFramer, buildTarget } from '../server/protocol/index.ts';

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Per-request latencies in ms (a sample of at most `maxSamples`). */
  latencies: Float64Array;
  errors: number;
}

/** [put, get, head] for one session; with several Set bodies, one put per body (sent in turn). */
function requestsFor(session: string, setBodies?: readonly Buffer[]): { puts: Buffer[]; messages: Buffer[] } {
  const target = buildTarget('/LM/W3SVC/1/ROOT/Bench', 'Rwn2B76J1oVKzRkl+KpWkuKfxf+l/tgZNAeuLju3xIo=', session);
  const puts = (setBodies ?? [Buffer.alloc(128, 0x41)]).map((body) =>
    Buffer.concat([
      Buffer.from(`PUT ${target} HTTP/1.1\r\nHost: 127.0.0.1:42424\r\nContent-Length: ${body.length}\r\nTimeout: 20\r\nLockCookie: 0\r\nExtraFlags: 0\r\n\r\n`, 'latin1'),
      body,
    ]),
  );
  const get = Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:42424\r\n\r\n`, 'latin1');
  const head = Buffer.from(`HEAD ${target} HTTP/1.1\r\nHost: 127.0.0.1:42424\r\n\r\n`, 'latin1');
  return { puts, messages: [puts[0]!, get, head] };
}

const VERBS = ['PUT', 'GET', 'HEAD'];

export async function runLoad(options: {
  port: number;
  connections: number;
  /** Stop after this many seconds or this many requests, whichever comes first. */
  seconds: number;
  maxRequests?: number;
  maxSamples?: number;
  onProgress?: (requests: number) => void;
  /** Set bodies, shared out between the connections and sent in turn (default one of 128 bytes of 'A'; bench/session-items.ts sends real serialized sessions). */
  setBodies?: readonly Buffer[];
  /** Prefix of the session ids (default "bench"): loads run at once on one state server use different ones. */
  sessionPrefix?: string;
}): Promise<LoadResult> {
  const maxSamples = options.maxSamples ?? 200_000;
  const latencies = new Float64Array(maxSamples);
  let samples = 0;
  let requests = 0;
  let errors = 0;
  const maxRequests = options.maxRequests ?? Infinity;
  const start = performance.now();
  const deadline = start + options.seconds * 1000;

  const one = (index: number) =>
    new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: options.port });
      socket.setNoDelay(true);
      // Each connection (one session) takes its own share of the Set bodies.
      const mine = options.setBodies?.filter((_, k) => k % options.connections === index);
      const { puts, messages } = requestsFor(`${options.sessionPrefix ?? 'bench'}${index}`.padEnd(24, '0'), mine?.length ? mine : undefined);
      let cycle = 0;
      let step = 0;
      let sentAt = 0;
      const framer = new ResponseFramer({
        onHead: () => {},
        onMessageEnd: () => {
          const now = performance.now();
          const latency = now - sentAt;
          // Reservoir-free sampling: keep every k-th once full, enough for percentiles.
          if (samples < maxSamples) latencies[samples++] = latency;
          else latencies[requests % maxSamples] = latency;
          requests++;
          if (options.onProgress && requests % 10_000 === 0) options.onProgress(requests);
          if (now >= deadline || requests >= maxRequests) {
            socket.end();
            return;
          }
          next();
        },
        onError: () => {
          errors++;
          socket.destroy();
        },
      });
      const next = () => {
        const i = step++ % messages.length;
        framer.expectReplyTo(VERBS[i]!);
        sentAt = performance.now();
        socket.write(i === 0 && puts.length > 1 ? puts[cycle++ % puts.length]! : messages[i]!);
      };
      socket.on('connect', next);
      socket.on('data', (chunk: Buffer) => framer.push(chunk));
      socket.on('error', () => {
        errors++;
      });
      socket.on('close', () => resolve());
    });

  await Promise.all(Array.from({ length: options.connections }, (_, i) => one(i)));
  return { requests, seconds: (performance.now() - start) / 1000, latencies: latencies.subarray(0, Math.min(samples, maxSamples)), errors };
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
