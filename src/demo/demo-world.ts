import type { SimConfig } from '../sim/types';

/** How many accounts the demo pipeline scrapes: enough for several batches, quick on a laptop. */
export const DEMO_ACCOUNT_COUNT = 300;
/** The demo's batches: three of them, so progress moves visibly. */
export const DEMO_BATCH_SIZE = 100;

const id = (n: number) => `demo-${String(n).padStart(4, '0')}`;

/** The demo's account list: the same every run, so runs compare. */
export function demoAccountIds(count = DEMO_ACCOUNT_COUNT): string[] {
  return Array.from({ length: count }, (_, i) => id(i + 1));
}

/**
 * Accounts that fail on purpose, each a different way, so the demo run shows the failure path in its
 * result and in the Web UI: deleted accounts (404), a forbidden one (403), a broken page (malformed JSON).
 */
export const DEMO_FAILING = {
  missing: [id(13), id(77), id(201)],
  forbidden: id(42),
  malformed: id(150),
} as const;

/**
 * The simulator the demo runs against: seeded, with the failing accounts above and a short 429 storm on
 * the posts API at the start (the first attempt of a batch is throttled and retried after `Retry-After`).
 */
export function demoSimConfig(port: number): SimConfig {
  return {
    seed: 42,
    port,
    missingAccounts: [...DEMO_FAILING.missing],
    knobs: {
      'social.posts': {
        latencyMs: { dist: 'lognormal', p50Ms: 5, p99Ms: 60 },
        rateLimitFirst: 3,
        retryAfterSeconds: 1,
      },
      [`social.posts:${DEMO_FAILING.forbidden}`]: { errorRate: 1, errorStatus: 403 },
      [`social.posts:${DEMO_FAILING.malformed}`]: { malformedRate: 1 },
    },
  };
}
