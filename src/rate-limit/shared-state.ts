import type { Redis as RedisClient } from 'ioredis';
import { AIMD, climb, initialState, slowDown, type RateState } from './adaptive-rate';
import { REDIS_NOW } from './redis-time';

/** What a worker learns on each refresh: the upstream's state, and how many workers are alive. */
export interface StateView {
  state: RateState;
  workers: number;
}

/** Where one upstream's adaptive state lives: Redis for the fleet, or this process alone. */
export interface StateStore {
  /** Registers this worker as alive, climbs if `clean`, answers the state (its times on this host's clock, `now`). */
  refresh(now: number, clean: boolean): Promise<StateView>;
  slowDown(now: number, pauseMs: number, admittedAt: number, decrease: boolean): Promise<RateState>;
}

/** The state in this process: a worker without Redis, or with Redis unreachable (seeded with the last shared state). */
export function createMemoryStore(
  ceiling: number,
  workers: number,
  seed?: RateState,
): StateStore & { readonly state: RateState } {
  let state = seed ?? initialState(ceiling);
  return {
    get state() {
      return state;
    },
    async refresh(now, clean) {
      if (clean) state = climb(state, ceiling, now);
      return { state, workers };
    },
    async slowDown(now, pauseMs, admittedAt, decrease) {
      state = slowDown(state, ceiling, now, pauseMs, admittedAt, decrease);
      return state;
    },
  };
}

/** State keys idle this long are dropped: the next worker to come starts from the ceiling. */
const STATE_TTL_MS = 3_600_000;

// The rules of adaptive-rate.ts (slowDown, climb), run atomically in Redis so that every worker's
// answer moves the one shared state. Floats go back as strings: Redis truncates Lua numbers to integers.
// Shared times are Redis's own (REDIS_NOW); each worker moves the times it reads onto its clock.

const READ_STATE = `
${REDIS_NOW}
local ceiling = tonumber(ARGV[1])
local s = redis.call('hmget', KEYS[1], 'rate', 'pausedUntil', 'recoverTo', 'lastDecrease', 'lastChange')
local rate = math.min(tonumber(s[1]) or ceiling, ceiling)
local pausedUntil = tonumber(s[2]) or 0
local recoverTo = tonumber(s[3]) or 0
local lastDecrease = tonumber(s[4]) or 0
local lastChange = tonumber(s[5]) or 0
local function save()
  redis.call('hset', KEYS[1], 'rate', tostring(rate), 'pausedUntil', tostring(pausedUntil), 'recoverTo', tostring(recoverTo),
    'lastDecrease', tostring(lastDecrease), 'lastChange', tostring(lastChange))
  redis.call('pexpire', KEYS[1], ${STATE_TTL_MS})
end
local function answer(workers)
  return {tostring(rate), tostring(pausedUntil), tostring(recoverTo), tostring(lastDecrease), tostring(lastChange), workers, tostring(now)}
end
`;

const REFRESH = `${READ_STATE}
-- ARGV: ceiling, clean, worker id, worker ttl ms
redis.call('zadd', KEYS[2], now, ARGV[3])
redis.call('zremrangebyscore', KEYS[2], '-inf', now - tonumber(ARGV[4]))
redis.call('pexpire', KEYS[2], ARGV[4])
if ARGV[2] == '1' and rate < ceiling and now >= pausedUntil and now - lastChange >= ${AIMD.increaseEveryMs} then
  local target
  if rate < recoverTo then
    target = math.min(recoverTo, rate + math.max((recoverTo - rate) / 2, ceiling * ${AIMD.quickStep}))
  else
    target = rate + ceiling * ${AIMD.probeStep}
  end
  rate = math.min(ceiling, target)
  lastChange = now
  save()
end
return answer(redis.call('zcard', KEYS[2]))
`;

const SLOW_DOWN = `${READ_STATE}
-- ARGV: ceiling, pause ms, ms since the request was admitted, decrease
pausedUntil = math.max(pausedUntil, now + tonumber(ARGV[2]))
if ARGV[4] == '1' and now - tonumber(ARGV[3]) >= lastDecrease + ${AIMD.decreaseGuardMs} then
  recoverTo = rate * ${AIMD.recoverTo}
  rate = math.max(ceiling * ${AIMD.floor}, rate * ${AIMD.decrease})
  lastDecrease = now
  lastChange = now
end
save()
return answer(0)
`;

type Reply = [string, string, string, string, string, number, string];
/** The shared state with its times moved from Redis's clock to this host's (`now`); 0 stays "never". */
const toState = (r: Reply, now: number): RateState => {
  const shift = (redisTime: string) => (Number(redisTime) === 0 ? 0 : Number(redisTime) + now - Number(r[6]));
  return {
    rate: Number(r[0]),
    pausedUntil: shift(r[1]),
    recoverTo: Number(r[2]),
    lastDecrease: shift(r[3]),
    lastChange: shift(r[4]),
  };
};

export interface RedisStoreOptions {
  client: RedisClient;
  /** Key prefix of this upstream's keys, e.g. `viralflow:ratelimit:social`. */
  prefix: string;
  /** The set of live workers, shared by every upstream. */
  workersKey: string;
  workerId: string;
  ceiling: number;
  /** A worker that has not refreshed for this long no longer counts as alive. */
  workerTtlMs: number;
}

/** The fleet's state of one upstream in Redis: rejects when Redis does (the limiter then goes local). */
export function createRedisStore(o: RedisStoreOptions): StateStore {
  const state = `${o.prefix}:state`;
  // Sent once, then called by SHA (EVALSHA), like rate-limiter-flexible's own script.
  const client = defineScripts(o.client);
  return {
    async refresh(now, clean) {
      const reply = await client.viralflowRateRefresh(
        state,
        o.workersKey,
        o.ceiling,
        clean ? 1 : 0,
        o.workerId,
        o.workerTtlMs,
      );
      return { state: toState(reply, now), workers: Math.max(1, reply[5]) };
    },
    async slowDown(now, pauseMs, admittedAt, decrease) {
      const reply = await client.viralflowRateSlowDown(
        state,
        o.ceiling,
        Math.round(pauseMs),
        Math.max(0, now - admittedAt),
        decrease ? 1 : 0,
      );
      return toState(reply, now);
    },
  };
}

type ScriptArg = string | number;
interface WithScripts {
  viralflowRateRefresh(...args: ScriptArg[]): Promise<Reply>;
  viralflowRateSlowDown(...args: ScriptArg[]): Promise<Reply>;
}

function defineScripts(client: RedisClient): WithScripts {
  const c = client as RedisClient & Partial<WithScripts>;
  if (!c.viralflowRateRefresh) {
    client.defineCommand('viralflowRateRefresh', { numberOfKeys: 2, lua: REFRESH });
    client.defineCommand('viralflowRateSlowDown', { numberOfKeys: 1, lua: SLOW_DOWN });
  }
  return c as RedisClient & WithScripts;
}
