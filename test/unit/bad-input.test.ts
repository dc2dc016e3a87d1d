/**
 * Bad input is refused with a message naming the problem, before anything is sent upstream (the
 * simulator's request count does not move) or, for the CLI, before the Temporal server is contacted
 * (a listener standing in for it sees no connection). Workflow input is only names (accounts, services,
 * experiments, files under the data folder), never URLs: a URL or a path in any string field is refused,
 * or, where the field is free text, only ever sent as data to a configured origin.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../src/activities';
import type { ScrapeResult } from '../../src/activities/scraper';
import { EXIT } from '../../src/cli';
import { checkOutcomeRequest } from '../../src/client/bandit';
import { UsageError } from '../../src/client/errors';
import { banditOutcome, banditWorkflowInput } from '../../src/contracts/bandit';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';
import { viralflow } from '../helpers/viralflow-cli';

const URLS = [
  'http://169.254.169.254/latest/meta-data/',
  'https://evil.example/x',
  '//evil.example',
  'file:///etc/passwd',
  'http://127.0.0.1:22',
];
const PATHS = ['../etc/passwd', '..%2f..%2fetc', '..', '.', 'a/b', 'a\\b', '%2e%2e', 'a?b=1', 'a#b', 'a b', 'a\nb'];

describe('bad activity input is refused before any upstream call', () => {
  let s: SimDeps;
  let dataDir: string;
  let activities: Activities;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'viralflow-bad-input-'));
    mkdirSync(join(dataDir, 'accounts'));
    writeFileSync(join(dataDir, 'accounts', 'list.txt'), 'a-1\na-2\n');
    s = await startSimDeps({ postsPerAccount: 3 }, { VIRALFLOW_DATA_DIR: dataDir });
    activities = createActivities(s.deps);
  });
  after(async () => {
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = <N extends keyof Activities>(name: N, input: unknown) =>
    new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') }).run(
      activities[name] as (i: unknown) => Promise<unknown>,
      input,
    );

  /** Rejects with a non-retryable InvalidInput whose message matches, and nothing reached the simulator. */
  async function refused(name: keyof Activities, input: unknown, message: RegExp): Promise<void> {
    const before = s.sim.stats().requests;
    await assert.rejects(call(name, input), (err: unknown) => {
      assert.ok(
        err instanceof ApplicationFailure,
        `${name}(${JSON.stringify(input)?.slice(0, 100)}) threw ${String(err)}`,
      );
      assert.equal(err.type, 'InvalidInput', err.message);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, message);
      return true;
    });
    assert.equal(s.sim.stats().requests, before, `${name}: requests were made before the input was refused`);
  }

  test(
    'account lists: empty, over the batch maximum, IDs with path or URL characters, bad limits, unknown fields',
    { timeout: 30_000 },
    async () => {
      const base = { runKey: 'bad-run' };
      await refused(
        'scrapeAccounts',
        { ...base, accountIds: [] },
        /accountIds: Too small: expected array to have >=1 items/,
      );
      await refused(
        'scrapeAccounts',
        { ...base, accountIds: Array.from({ length: 1001 }, (_, i) => `a-${i}`) },
        /accountIds: Too big: expected array to have <=1000 items/,
      );
      for (const id of [...URLS, ...PATHS, '', 'x'.repeat(65)]) {
        // The workflows' words: the scrape workflow and the activity share one account ID rule (src/contracts/names.ts).
        await refused(
          'scrapeAccounts',
          { ...base, accountIds: ['ok-1', id] },
          /accountIds\.1: .* is not an account ID \(1-64 of A-Z a-z 0-9 _ \. -\)/,
        );
      }
      await refused('scrapeAccounts', { accountIds: ['a'], runKey: '../../tmp' }, /runKey: must be 1-128 characters/);
      await refused(
        'scrapeAccounts',
        { ...base, accountIds: ['a'], maxPostsPerAccount: -1 },
        /maxPostsPerAccount: must be an integer from 1 to 10000, got -1/,
      );
      await refused(
        'scrapeAccounts',
        { ...base, accountIds: ['a'], pageSize: 0 },
        /pageSize: must be an integer from 1 to 100, got 0/,
      );
      await refused('scrapeAccounts', { ...base, accountIds: ['a'], timeoutMs: 1e9 }, /timeoutMs: Too big/);
      await refused('scrapeAccounts', { ...base, accountIds: ['a'], since: 'last week' }, /since: must be an ISO date/);
      await refused(
        'scrapeAccounts',
        { ...base, accountIds: ['a'], baseUrl: 'http://evil.example' },
        /Unrecognized key: "baseUrl"/,
      );
      await refused(
        'scrapeAccounts',
        { ...base, accountIds: 'a-1' },
        /accountIds: Invalid input: expected array, received string/,
      );
      await refused(
        'loadAccountIds',
        { file: '../../etc/passwd', offset: 0, limit: 10 },
        /file: must be a file name under <dataDir>\/accounts\/ \(A-Z a-z 0-9 _ \. -\)/,
      );
      await refused('loadAccountIds', { file: 'list.txt', offset: -1, limit: 10 }, /offset: Too small/);
    },
  );

  test('duplicate IDs are deduplicated and the result says how many', { timeout: 30_000 }, async () => {
    s.sim.reset();
    const result = (await call('scrapeAccounts', {
      runKey: 'dups',
      accountIds: ['d-1', 'd-2', 'd-1', 'd-1'],
    })) as ScrapeResult;
    assert.equal(result.requested, 4);
    assert.equal(result.duplicatesDropped, 2);
    assert.equal(result.scraped, 2);
    assert.equal(s.sim.stats().routes['social.profile']?.requests, 2, 'each distinct account fetched once');
  });

  test(
    'services are names from the configuration: an unknown one, or a URL, is refused',
    { timeout: 30_000 },
    async () => {
      for (const name of ['nope', ...URLS, '../api']) {
        await refused(
          'checkHealth',
          { services: [name] },
          /services\.0: Invalid option: expected one of "api"\|"auth"\|"billing"\|"search"\|"feed"/,
        );
        await refused('collectMetrics', { services: ['api', name] }, /services\.1: Invalid option/);
      }
      await refused('checkHealth', { services: ['api'], timeoutMs: -5 }, /timeoutMs: Too small/);
      await refused('collectMetrics', { formats: ['xml'] }, /formats\.0: Invalid option/);
    },
  );

  test(
    'experiment IDs, run keys and variant IDs with path or URL characters are refused',
    { timeout: 30_000 },
    async () => {
      for (const id of [...URLS, ...PATHS]) {
        await refused('publishWeights', { experimentId: id, weights: { a: 1 } }, /experimentId: /);
        await refused('extractPatternsFromSink', { runKey: id }, /runKey: /);
      }
      await refused('publishWeights', { experimentId: 'e', weights: { a: 0.5, b: 0.2 } }, /weights: must sum to 1/);
      await refused(
        'sampleWeights',
        {
          variants: [
            { id: 'a', successes: 1, failures: 0 },
            { id: 'a', successes: 0, failures: 1 },
          ],
        },
        /variants\.1\.id: duplicate id "a"/,
      );
      await refused(
        'sampleWeights',
        { variants: [{ id: 'a', successes: -1, failures: 0 }] },
        /variants\.0\.successes: Too small/,
      );
      await refused('extractPatterns', { items: [] }, /items: Too small/);
    },
  );

  test(
    'the bandit workflow, the client and the publish activity refuse the same experiment IDs and variants',
    { timeout: 30_000 },
    async () => {
      // Each refused ID would otherwise be an entity (bandit-<id>) whose every publication fails.
      const ids = [
        ...URLS,
        ...PATHS,
        '',
        'x'.repeat(128),
        'x'.repeat(129),
        '...',
        '..a',
        'a..',
        'exp-1',
        'exp_1.v2',
        'a:b',
      ];
      for (const id of ids) {
        const workflow = banditWorkflowInput.safeParse({ experimentId: id }).success;
        const client = (() => {
          try {
            checkOutcomeRequest(id, { variant: 'a', successes: 1 });
            return true;
          } catch (err) {
            assert.ok(err instanceof UsageError, String(err));
            return false;
          }
        })();
        const activity = await call('publishWeights', { experimentId: id, weights: { a: 1 }, timeoutMs: 2_000 }).then(
          () => true,
          (err: unknown) => !(err instanceof ApplicationFailure && err.type === 'InvalidInput'),
        );
        assert.deepEqual({ id, workflow, client }, { id, workflow: activity, client: activity });
      }
      // Variants: the outcome (update, signal, CLI), the entity's start list and the weights the activities take.
      for (const variant of [
        ...PATHS,
        '',
        '__proto__',
        'x'.repeat(128),
        'x'.repeat(129),
        'a:b',
        'call-to-action',
        'constructor',
        'a b',
        'é',
      ]) {
        const outcome = banditOutcome.safeParse({ variant, successes: 1 }).success;
        const start = banditWorkflowInput.safeParse({ experimentId: 'e', variants: [variant] }).success;
        const sample = await call('sampleWeights', {
          variants: [{ id: variant, successes: 1, failures: 1 }],
          seed: 1,
          draws: 10,
        }).then(
          () => true,
          () => false,
        );
        const publish = await call('publishWeights', {
          experimentId: 'e',
          weights: { [variant]: 1 },
          timeoutMs: 2_000,
        }).then(
          () => true,
          (err: unknown) => !(err instanceof ApplicationFailure && err.type === 'InvalidInput'),
        );
        assert.deepEqual(
          { variant, start, sample, publish },
          { variant, start: outcome, sample: outcome, publish: outcome },
        );
      }
    },
  );

  test(
    'a URL in a free-text field is data: it goes as JSON to the configured engine, and no other origin is ever contacted',
    { timeout: 30_000 },
    async () => {
      await call('extractPatterns', { items: URLS.map((u, i) => ({ id: u.slice(0, 100) || `i${i}`, text: u })) });
      assert.deepEqual(
        Object.keys(s.deps.pool.stats()),
        [new URL(s.sim.url).origin],
        'the pool only ever opened the configured origin',
      );
    },
  );
});

describe('bad CLI input is refused before the Temporal server is contacted (exit 2)', () => {
  let listener: Server;
  let connections = 0;
  let address: string;
  before(async () => {
    // Stands in for the Temporal frontend: any connection to it means the CLI went ahead.
    listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(listener.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  test('unknown workflows, invalid cron, JSON that is not an object or not JSON', { timeout: 60_000 }, async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['start', 'scraper'],
        /unknown workflow "scraper"; valid workflows: pipeline, scrape, patterns, bandit, metrics, health/,
      ],
      [['schedule', 'create', 's1', '--workflow', 'nope', '--cron', '@daily'], /unknown workflow "nope"/],
      [
        ['schedule', 'create', 's1', '--workflow', 'health', '--cron', '61 * * * *'],
        /invalid cron "61 \* \* \* \*": minute field "61": 61 is out of range 0-59/,
      ],
      [
        ['schedule', 'create', 's1', '--workflow', 'health', '--cron', '0 0 30 2 *'],
        /invalid cron "0 0 30 2 \*": day-of-month field "30" never occurs in month field "2"/,
      ],
      [['schedule', 'create', 's1', '--workflow', 'health', '--cron', '* * * * MON#2'], /invalid cron/],
      [['start', 'health', '--input', '[1,2]'], /--input must be a JSON object .*got an array/],
      [['start', 'scrape', '--input', '{"accountIds": ['], /--input is not valid JSON: .*line 1, column/],
    ];
    const runs = await Promise.all(cases.map(([args]) => viralflow(args, { TEMPORAL_ADDRESS: address })));
    runs.forEach((run, i) => {
      const [args, message] = cases[i]!;
      assert.equal(run.code, EXIT.usage, `${args.join(' ')}: exit ${run.code}\n${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
    });
    assert.equal(connections, 0, 'the CLI connected to the server for bad input');
  });
});
