// Vitest hooks around RedisProcess: one real redis-server per test file.
import { afterAll, beforeAll } from 'vitest';
import { RedisProcess, type RedisProcessOptions } from './redis-process.ts';

/**
 * One redis-server for the test file: started before its tests, removed after. The returned
 * object's `redis` is set once beforeAll has run.
 */
export function useRedisServer(options: RedisProcessOptions = {}): { redis: RedisProcess } {
  const holder = {} as { redis: RedisProcess };
  beforeAll(async () => {
    holder.redis = await RedisProcess.start(options);
  });
  afterAll(async () => {
    await holder.redis?.dispose();
  });
  return holder;
}
