/**
 * Bad workflow input on a real dev server: every workflow refuses it with a non-retryable InvalidInput
 * naming the field, before any upstream call, and never as a workflow-task crash (which Temporal would
 * retry forever, leaving the run stuck). Then a fuzz: ~30 runs of arbitrary and mutated inputs across
 * every workflow type, each of which must end failed with InvalidInput or completed, with no
 * WorkflowTaskFailed event in its history.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import fc from 'fast-check';
import type { ScrapeSummary } from '../../src/workflows/scrape';
import { mutationsOf } from '../helpers/fuzz-inputs';
import { workflowFailure, workflowTaskFailures } from '../helpers/history-facts';
import { startTemporalEnv, type TemporalEnv } from '../helpers/temporal-env';

type Outcome = { status: string; failure?: { type?: string; message: string }; taskFailures: string[] };

describe('bad workflow input on a real dev server', () => {
  let t: TemporalEnv;
  before(async () => {
    t = await startTemporalEnv({ sim: { postsPerAccount: 5 } });
  });
  after(async () => {
    // Valid bandit inputs start long-lived entities; end whatever is still running.
    for await (const w of t.client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
      await t.client.workflow
        .getHandle(w.workflowId)
        .terminate('test over')
        .catch(() => undefined);
    }
    await t?.close();
  });

  let seq = 0;
  const start = (type: string, input: unknown) =>
    t.client.workflow.start(type, { taskQueue: t.taskQueue, workflowId: `bad-${type}-${++seq}`, args: [input] });

  /** Waits until the run closes or a workflow task fails (a stuck run), at most `timeoutMs`. */
  async function settle(handle: WorkflowHandle, timeoutMs = 20_000): Promise<Outcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status } = await handle.describe();
      const history = await handle.fetchHistory();
      const taskFailures = workflowTaskFailures(history);
      if (status.name !== 'RUNNING' || taskFailures.length || Date.now() > deadline) {
        return { status: status.name, failure: workflowFailure(history), taskFailures };
      }
      await sleep(100);
    }
  }

  test('each workflow refuses bad input naming the field; nothing is sent upstream', { timeout: 90_000 }, async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['scrapeAccountsWorkflow', { accountIds: [] }, /accountIds: must be a non-empty array of account IDs/],
      [
        'scrapeAccountsWorkflow',
        { accountIds: Array.from({ length: 100_001 }, (_, i) => `a${i}`) },
        /accountIds: has 100001 IDs; more than 100000 must come from accountsFile/,
      ],
      [
        'scrapeAccountsWorkflow',
        { accountIds: ['ok', 'http://169.254.169.254'] },
        /accountIds\.1: "http:\/\/169\.254\.169\.254" is not an account ID/,
      ],
      [
        'scrapeAccountsWorkflow',
        { accountIds: ['..%2f..%2fetc'] },
        /accountIds\.0: "\.\.%2f\.\.%2fetc" is not an account ID/,
      ],
      ['scrapeAccountsWorkflow', { accountIds: ['..'] }, /accountIds\.0: "\.\." is not an account ID/],
      [
        'scrapeAccountsWorkflow',
        { accountIds: ['a'], maxPostsPerAccount: -1 },
        /maxPostsPerAccount: must be an integer from 1 to 10000, got -1/,
      ],
      [
        'scrapeAccountsWorkflow',
        { accountIds: ['a'], pageSize: 101 },
        /pageSize: must be an integer from 1 to 100, got 101/,
      ],
      [
        'scrapeAccountsWorkflow',
        { accountIds: ['a'], batchSize: 0 },
        /batchSize: must be an integer from 1 to 1000, got 0/,
      ],
      ['scrapeAccountsWorkflow', { accountIds: ['a'], since: 'yesterday' }, /since: must be an ISO date/],
      ['scrapeAccountsWorkflow', { accountIds: ['a'], url: 'http://evil.example' }, /url: is not a known field/],
      [
        'scrapeAccountsWorkflow',
        { accountIds: ['a'], retry: { maximumAttempts: -1 } },
        /retry\.maximumAttempts: must be a positive integer, got -1/,
      ],
      [
        'scrapeAccountsWorkflow',
        { accountIds: ['a'], retry: { initialInterval: 'soon' } },
        /retry\.initialInterval: must be a duration/,
      ],
      [
        'scrapeAccountsWorkflow',
        { accountsFile: '../../etc/passwd' },
        /accountsFile: must be a file name under <dataDir>\/accounts\//,
      ],
      ['scrapeAccountsWorkflow', { accountIds: 'acct-1' }, /accountIds: must be a non-empty array/],
      ['scrapeAccountsWorkflow', null, /input: must be a JSON object, got null/],
      [
        'healthCheckWorkflow',
        { services: ['http://169.254.169.254'] },
        /services\.0: Invalid option: expected one of "api"\|"auth"/,
      ],
      ['healthCheckWorkflow', { services: ['nope'] }, /services\.0: Invalid option/],
      ['healthCheckWorkflow', null, /input: must be a JSON object, got null/],
      [
        'healthCheckWorkflow',
        { retry: { backoffCoefficient: 0.5 } },
        /retry\.backoffCoefficient: must be a number of at least 1/,
      ],
      [
        'collectMetricsWorkflow',
        { services: ['billing', 'https://evil.example/metrics'] },
        /services\.1: Invalid option/,
      ],
      ['collectMetricsWorkflow', [], /input: must be a JSON object, got an array/],
      ['viralPipelineWorkflow', { accountIds: ['../x'] }, /accountIds\.0: "\.\.\/x" is not an account ID/],
      ['viralPipelineWorkflow', { accountIds: ['a'], experimentId: '../x' }, /experimentId: must be 1-128 of/],
      ['viralPipelineWorkflow', { accountIds: ['a'], services: ['nope'] }, /services\.0: Invalid option/],
      [
        'viralPipelineWorkflow',
        { accountIds: ['a'], services: ['http://169.254.169.254'] },
        /services\.0: "http:\/\/169\.254\.169\.254" is not a service name/,
      ],
      [
        'viralPipelineWorkflow',
        { accountIds: ['a'], successThreshold: 2 },
        /successThreshold: must be a number from 0 to 1/,
      ],
      ['extractPatternsWorkflow', { scrape: { runKey: '../x' } }, /runKey: must be 1-128/],
      ['extractPatternsWorkflow', { items: [], scrape: { runKey: 'x' } }, /give exactly one of items or scrape/],
      ['banditWorkflow', { experimentId: 'http://evil.example' }, /experimentId: must be 1-128 of/],
      // The publish activity refuses `..` (a dot-segment of its URL): the entity must not start with it.
      [
        'banditWorkflow',
        { experimentId: '..' },
        /experimentId: must be 1-128 of A-Z a-z 0-9 _ \. - \(and not "\." or "\.\."\)/,
      ],
      [
        'banditWorkflow',
        { experimentId: 'e', variants: ['a b'] },
        /variants\.0: must be 1-128 of A-Z a-z 0-9 _ \. : -/,
      ],
      ['banditWorkflow', { experimentId: 'e', publishEvery: 'banana' }, /publishEvery: must be a duration/],
      ['banditWorkflow', { experimentId: 'e', variants: 'ab' }, /variants: must be an array of variant names/],
    ];
    t.sim.reset();
    const handles = await Promise.all(cases.map(([type, input]) => start(type, input)));
    const outcomes = await Promise.all(handles.map((h) => settle(h)));
    outcomes.forEach((o, i) => {
      const [type, input, message] = cases[i]!;
      const what = `${type}(${JSON.stringify(input)?.slice(0, 80)})`;
      assert.deepEqual(o.taskFailures, [], `${what}: workflow task failed (a stuck run)`);
      assert.equal(o.status, 'FAILED', `${what}: ${o.status}`);
      assert.equal(o.failure?.type, 'InvalidInput', `${what}: ${o.failure?.message}`);
      assert.match(o.failure?.message ?? '', message, what);
    });
    assert.equal(t.sim.stats().requests, 0, 'no upstream request for any of them');
  });

  test('duplicate account IDs are dropped, and the result says how many', { timeout: 30_000 }, async () => {
    t.sim.reset();
    const summary = (await (
      await start('scrapeAccountsWorkflow', { accountIds: ['d-1', 'd-2', 'd-1', 'd-1'], pageSize: 5 })
    ).result()) as ScrapeSummary;
    assert.equal(summary.duplicatesDropped, 2);
    assert.equal(summary.accounts, 2);
    assert.equal(summary.scraped, 2);
    assert.equal(t.sim.stats().routes['social.profile']?.requests, 2);
  });

  test(
    'fuzz: 30 arbitrary or mutated inputs across every workflow end failed with InvalidInput or completed, never stuck',
    { timeout: 120_000 },
    async () => {
      const retry = { initialInterval: '100ms', maximumAttempts: 2 };
      const valid: Record<string, Record<string, unknown>> = {
        healthCheckWorkflow: { services: ['api'], timeoutMs: 500, retry },
        collectMetricsWorkflow: { services: ['api'], formats: ['json'], retry },
        scrapeAccountsWorkflow: {
          accountIds: ['fz-1', 'fz-2'],
          batchSize: 1,
          pageSize: 5,
          maxPostsPerAccount: 5,
          retry,
        },
        extractPatternsWorkflow: { items: [{ id: 'x', text: 'a cat video' }], retry },
        viralPipelineWorkflow: {
          accountIds: ['fz-3'],
          experimentId: 'fuzz-exp',
          pageSize: 5,
          maxPostsPerAccount: 5,
          services: ['api'],
          retry,
        },
        banditWorkflow: { experimentId: 'fuzz-bandit', variants: ['a', 'b'], publishEvery: '1 hour', seed: 1 },
      };
      const types = Object.keys(valid);
      const inputs = fc.sample(
        fc
          .constantFrom(...types)
          .chain((type) =>
            fc.tuple(
              fc.constant(type),
              fc.oneof(
                { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
                { weight: 3, arbitrary: mutationsOf(valid[type]!) },
              ),
            ),
          ),
        { numRuns: 30, seed: 20_260_101 },
      );
      // Values JSON cannot carry (undefined, NaN) change on the way; what the workflow sees is the JSON.
      const handles = await Promise.all(inputs.map(([type, input]) => start(type, input)));
      // A bad input fails in the first workflow task; a valid bandit then just waits, so it is given 3 s.
      const outcomes = await Promise.all(
        handles.map((h, i) => settle(h, inputs[i]![0] === 'banditWorkflow' ? 3_000 : 30_000)),
      );
      const tally: Record<string, number> = {};
      outcomes.forEach((o, i) => {
        const [type, input] = inputs[i]!;
        const what = `${type}(${JSON.stringify(input)?.slice(0, 120)})`;
        assert.deepEqual(o.taskFailures, [], `${what}: workflow task failed (a stuck run)`);
        const entity = type === 'banditWorkflow' && o.status === 'RUNNING'; // a valid bandit is a long-lived entity
        assert.ok(
          o.status === 'COMPLETED' || entity || (o.status === 'FAILED' && o.failure?.type === 'InvalidInput'),
          `${what}: ${o.status} ${o.failure?.type}: ${o.failure?.message}`,
        );
        const key = `${o.status}${o.failure?.type ? `:${o.failure.type}` : ''}`;
        tally[key] = (tally[key] ?? 0) + 1;
      });
      console.log(
        `bad-input fuzz: ${inputs.length} runs over ${types.length} workflow types: ${JSON.stringify(tally)}`,
      );
    },
  );
});
