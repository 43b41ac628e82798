// A batch holding Sets asks Redis, before it writes, whether Redis is full (redis-scripts.ts,
// OOM_CHECK). The risk: that question, asked on every such batch, shows up as errors in Redis's
// own statistics (INFO errorstats, total_error_replies), which operators watch and alert on, or
// leaves a key behind. With room in Redis it must cost neither.
import { describe, expect, it } from 'vitest';
import { startStateServer } from '../../server/stateserver/index.ts';
import { RawClient, request, targetFor } from '../stateserver/helpers.ts';
import { redisCommand, uniquePrefix } from './redis-process.ts';
import { useRedisServer } from './use-redis-server.ts';

const holder = useRedisServer();

describe('batches with Sets on a Redis with room', () => {
  it('count no error in Redis and leave no key of their own', async () => {
    const prefix = uniquePrefix('errors');
    await redisCommand(holder.redis.port, 'FLUSHALL');
    // What Redis counted before (starting up, the client's handshake may count some).
    const errorStats = async () => (await redisCommand(holder.redis.port, 'INFO errorstats')).trim();
    const server = await startStateServer({ port: 0, store: { kind: 'redis', url: holder.redis.url, keyPrefix: prefix } });
    const client = await RawClient.connect(server.port);
    const before = await errorStats();
    try {
      const steps = ['one', 'two', 'three'].flatMap((name) => [
        request('PUT', targetFor(name), [['Timeout', 20]], `body of ${name}`),
        request('GET', targetFor(name)),
        request('HEAD', targetFor(name)),
      ]);
      // Pipelined, so Sets share batches with the other operations, and one by one.
      client.send(Buffer.concat(steps), ...['PUT', 'GET', 'HEAD', 'PUT', 'GET', 'HEAD', 'PUT', 'GET', 'HEAD']);
      const statuses = [];
      for (let i = 0; i < steps.length; i++) statuses.push((await client.nextReply()).head.status);
      expect(statuses).toEqual(Array(9).fill(200));
      expect((await client.exchange(request('PUT', targetFor('alone'), [['Timeout', 20]], 'x'))).head.status).toBe(200);

      expect(await errorStats()).toBe(before);
      // Four sessions and P expiries, P sizes, P bytes: nothing for the question.
      expect(await redisCommand(holder.redis.port, 'DBSIZE')).toBe(':7');
      expect(await redisCommand(holder.redis.port, `EXISTS ${prefix}never`)).toBe(':0');
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
