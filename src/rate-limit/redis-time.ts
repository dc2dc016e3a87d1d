/**
 * Lua that sets `now` to Redis's clock in epoch ms. Every time the fleet shares (pauses, liveness,
 * lease expiries) is on this clock, never a worker's: one host's skewed clock must not lengthen
 * everyone's pause, age the other workers out, or end their leases early.
 */
export const REDIS_NOW = `local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
