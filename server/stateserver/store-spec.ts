// What `--store` names: the in-memory store (the default) or a Redis server by URL,
// redis://[user:pass@]HOST:PORT[/DB] (rediss:// for TLS). Parsed once at startup so a typo is
// a clear error before anything listens.

export type StoreSpec = { kind: 'memory' } | { kind: 'redis'; url: string; keyPrefix?: string };

export const MEMORY_STORE: StoreSpec = { kind: 'memory' };
export const DEFAULT_REDIS_KEY_PREFIX = 'statescope:';

export function parseStoreSpec(text: string): StoreSpec {
  const value = text.trim();
  if (value === '' || value.toLowerCase() === 'memory') return MEMORY_STORE;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`expected "memory" or redis://[user:pass@]HOST:PORT[/DB], got "${text}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RangeError(`unsupported store "${url.protocol}" (expected memory, redis:// or rediss://)`);
  }
  if (url.hostname === '') throw new RangeError(`redis URL without a host: "${text}"`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,5}$/.test(db)) throw new RangeError(`redis database must be a number, got "${db}"`);
  if (url.search !== '' || url.hash !== '') throw new RangeError(`redis URL takes no query or fragment: "${text}"`);
  return { kind: 'redis', url: value };
}

/** The URL without its password, for logs and the startup line. */
export function describeStore(spec: StoreSpec): string {
  if (spec.kind === 'memory') return 'memory';
  const url = new URL(spec.url);
  if (url.password !== '') url.password = '***';
  return url.toString();
}
