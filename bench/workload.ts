/**
 * The benchmark's fixed world: every upstream route answers after exactly L = 20 ms (seeded, no
 * faults), and the product pool keeps C = 32 keep-alive connections per origin (its default). The
 * simulator serves every API from one origin, so C bounds all upstream traffic together.
 */
import { ROUTE_KEYS } from '../src/sim/knobs';
import type { Knobs, SimConfig } from '../src/sim/types';

export const LATENCY_MS = 20;
/**
 * The product pool's default (DEFAULT_POOL_OPTIONS.connectionsPerOrigin, checked by
 * test/unit/bench-stats.test.ts), restated so that loading the bench's definitions does not load
 * undici into every measured child.
 */
export const CONNECTIONS = 32;
export const SIM_SEED = 42;
export const SERVICES = ['api', 'auth', 'billing', 'search', 'feed'];

export function fixedLatencySim(extra: Omit<SimConfig, 'knobs' | 'seed'> = {}): SimConfig {
  const knobs: Record<string, Knobs> = {};
  for (const route of ROUTE_KEYS) knobs[route] = { latencyMs: LATENCY_MS };
  return { seed: SIM_SEED, services: SERVICES, ...extra, knobs };
}
