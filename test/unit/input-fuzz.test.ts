/**
 * Property-based: every activity, fed arbitrary values and mutations of a valid input, through the
 * SDK's MockActivityEnvironment with the real dependencies against the simulator, either resolves or
 * rejects with an ApplicationFailure (never a bare TypeError/RangeError that Temporal would retry as if
 * it were transient), and a validation failure is a non-retryable InvalidInput raised before any
 * upstream request. (Workflow inputs are fuzzed against the dev server in test/integration/bad-input.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import fc from 'fast-check';
import { createActivities, type Activities } from '../../src/activities';
import { mutationsOf } from '../helpers/fuzz-inputs';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';

type ActivityName = keyof Activities;

describe('activity inputs, fuzzed (fast-check)', () => {
  let s: SimDeps;
  let dataDir: string;
  let activities: Activities;
  const valid: Record<ActivityName, Record<string, unknown>> = {
    checkHealth: { services: ['api', 'auth'], timeoutMs: 500 },
    scrapeAccounts: {
      accountIds: ['fz-1', 'fz-2'],
      runKey: 'fuzz-run',
      maxPostsPerAccount: 4,
      pageSize: 2,
      timeoutMs: 1_000,
    },
    discardAccounts: { runKey: 'fuzz-discard', accountIds: ['fz-1'] },
    advanceWatermarks: { runKey: 'fuzz-sink' },
    loadAccountIds: { file: 'fuzz.txt', offset: 0, limit: 10 },
    extractPatterns: { items: [{ id: 'x', text: 'a cat video' }], maxConcurrentBatches: 2 },
    extractPatternsFromSink: { runKey: 'fuzz-sink', chunkSize: 10, successThreshold: 0.5 },
    recordRunEvidence: { experimentId: 'fuzz-exp', runKey: 'fuzz-sink', successThreshold: 0.5 },
    recordOutcomes: { experimentId: 'fuzz-exp', outcome: { id: 'o-1', variant: 'a', successes: 2, failures: 1 } },
    evidenceTotals: { experimentId: 'fuzz-exp' },
    sampleWeights: {
      variants: [
        { id: 'a', successes: 3, failures: 1 },
        { id: 'b', successes: 0, failures: 2 },
      ],
      seed: 1,
      draws: 200,
    },
    publishWeights: { experimentId: 'fuzz-exp', weights: { a: 0.25, b: 0.75 }, timeoutMs: 1_000 },
    collectMetrics: { services: ['api'], formats: ['json', 'prometheus'], timeoutMs: 500 },
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'viralflow-fuzz-'));
    mkdirSync(join(dataDir, 'accounts'));
    writeFileSync(join(dataDir, 'accounts', 'fuzz.txt'), 'fz-1\nfz-2\n# comment\nfz-3\n');
    s = await startSimDeps({ postsPerAccount: 4 }, { VIRALFLOW_DATA_DIR: dataDir });
    activities = createActivities(s.deps);
    // A sink for extractPatternsFromSink to read.
    await call('scrapeAccounts', { accountIds: ['fz-1', 'fz-2'], runKey: 'fuzz-sink', pageSize: 2 });
  });
  after(async () => {
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The SDK logs each failed activity at WARN: hundreds of deliberate failures here. */
  const quiet = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  function call(name: ActivityName, input: unknown): Promise<unknown> {
    return quiet().run(activities[name] as (input: unknown) => Promise<unknown>, input);
  }

  const outcomes: Record<string, Record<string, number>> = {};
  /** The property: resolves, or an ApplicationFailure; InvalidInput is non-retryable and made no request. */
  async function check(name: ActivityName, input: unknown): Promise<void> {
    const before = s.sim.stats().requests;
    const tally = (outcomes[name] ??= {});
    try {
      await call(name, input);
      tally.resolved = (tally.resolved ?? 0) + 1;
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) {
        assert.fail(
          `${name}(${safeJson(input)}) crashed with ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
        );
      }
      tally[err.type ?? 'untyped'] = (tally[err.type ?? 'untyped'] ?? 0) + 1;
      if (err.type === 'InvalidInput') {
        assert.equal(err.nonRetryable, true, `${name}: InvalidInput must be non-retryable`);
        assert.match(err.message, /^invalid \w+ input: |^no account list named|is not an account ID/, err.message);
        assert.equal(
          s.sim.stats().requests,
          before,
          `${name}: ${err.message}: upstream called before validation failed`,
        );
      }
    }
  }

  for (const name of Object.keys(valid) as ActivityName[]) {
    test(
      `${name}: arbitrary values and mutated valid inputs resolve or fail as an ApplicationFailure`,
      { timeout: 120_000 },
      async () => {
        // Not an object at all: always InvalidInput, before anything else happens (no input at all is
        // the defaults, for the activities whose input is optional: checkHealth, collectMetrics).
        await fc.assert(
          fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.anything({ maxDepth: 3 })), async (input) => {
            await check(name, input);
            if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
              await assert.rejects(
                call(name, input),
                (err: unknown) => err instanceof ApplicationFailure && err.type === 'InvalidInput',
              );
            }
          }),
          { numRuns: 150, seed: 8 },
        );
        await fc.assert(
          fc.asyncProperty(mutationsOf(valid[name]), (input) => check(name, input)),
          { numRuns: 150, seed: 8 },
        );
        // The unmutated input still works (the mutations above are one step from a passing call).
        await call(name, valid[name]);
      },
    );
  }

  after(() => console.log(`input-fuzz outcomes per activity: ${JSON.stringify(outcomes)}`));
});

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}
