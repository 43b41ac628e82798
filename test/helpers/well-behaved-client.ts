// What a user cares about while an adversary hammers the proxy: does an ordinary ASP.NET-like
// client, one request at a time on one pooled connection, keep getting its replies, and how
// slowly. Errors are counted (a lost connection is reopened, as ASP.NET's pool would) and
// latencies kept for percentiles.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { connectRawClient, type RawClient } from './net-peers.ts';

export interface ClientReport {
  replies: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RunningClient {
  /** Stops after the exchange in flight and reports. */
  stop(): Promise<ClientReport>;
}

const request = (i: number) => Buffer.from(`GET %2fLM%2fW3SVC%2f1%2fROOT%2fgood(h)%2fsession${i % 10} HTTP/1.1\r\nHost: x\r\n\r\n`, 'latin1');

export function startWellBehavedClient(port: number, pauseMs = 5): RunningClient {
  const latencies: number[] = [];
  let errors = 0;
  let running = true;
  const loop = (async () => {
    let client: RawClient | null = null;
    for (let i = 0; running; i++) {
      try {
        client ??= await connectRawClient(port);
        const t0 = performance.now();
        // Any status is a reply (the embedded server answers 404 for these sessions); what
        // counts as an error is none: a timeout or a lost connection.
        await withTimeout(client.exchange(request(i)), 10_000);
        latencies.push(performance.now() - t0);
      } catch {
        errors++;
        client?.close();
        client = null;
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    client?.close();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
      return { replies: sorted.length, errors, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] ?? Number.NaN };
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Open descriptors of a process (Linux /proc), `self` by default. */
export function openDescriptors(pid: number | 'self' = 'self'): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident set size of a process in MiB (Linux /proc). */
export function rssMiB(pid: number | 'self' = 'self'): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}
