import type { Redis as RedisClient } from 'ioredis';
import { REDIS_NOW } from './redis-time';

/**
 * Requests in flight to one upstream. Fleet-wide, each is a lease in a Redis sorted set scored by
 * its expiry, so a worker that dies holding leases gives them back when they expire instead of
 * shrinking the limit for good.
 */
export interface InFlight {
  /** Answers a release function, or undefined when the limit is reached. Rejects when Redis does. */
  tryTake(): Promise<(() => void) | undefined>;
}

const TAKE = `
${REDIS_NOW}
redis.call('zremrangebyscore', KEYS[1], '-inf', now)
if redis.call('zcard', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('zadd', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

export function createRedisInFlight(
  client: RedisClient,
  key: string,
  limit: number,
  leaseMs: number,
  workerId: string,
): InFlight {
  const c = client as RedisClient & { viralflowLease?: (...args: Array<string | number>) => Promise<number> };
  if (!c.viralflowLease) client.defineCommand('viralflowLease', { numberOfKeys: 1, lua: TAKE });
  let serial = 0;
  return {
    async tryTake() {
      const id = `${workerId}:${++serial}`;
      const taken = await c.viralflowLease!(key, limit, leaseMs, id);
      if (taken !== 1) return undefined;
      // A lost release (Redis gone meanwhile) is harmless: the lease expires.
      return () => void client.zrem(key, id).catch(() => undefined);
    },
  };
}

export function createLocalInFlight(limit: () => number): InFlight & { readonly taken: number } {
  let taken = 0;
  return {
    get taken() {
      return taken;
    },
    async tryTake() {
      if (taken >= limit()) return undefined;
      taken++;
      let released = false;
      return () => {
        if (!released) taken--;
        released = true;
      };
    },
  };
}
