/**
 * Plugged-in sources: the offset-pagination example's mapping, the example under the real scraper
 * activity over real sockets (the simulator's `/v2/` API), its heartbeat resume from an offset, and
 * VIRALFLOW_SOURCES_MODULE loading with the errors a bad module gets.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivityDeps } from '../../src/activities/deps';
import { createEngineCache, createExtractPatterns } from '../../src/activities/engine';
import { createPublishWeights } from '../../src/activities/thompson';
import { createScrapeAccounts, type ScrapeProgress, type ScraperDeps } from '../../src/activities/scraper';
import { systemClock } from '../../src/clock';
import { ConfigError, loadConfig } from '../../src/config';
import { createUpstream, type Upstream } from '../../src/http/upstream';
import { createMetrics } from '../../src/metrics/registry';
import { exampleMediaPage, exampleUser } from '../../src/sim/example-api';
import { socialPosts, socialProfile } from '../../src/sim/data';
import { createNdjsonSink, readProfile } from '../../src/sink/ndjson-sink';
import type { NdjsonSinkRef, SinkRef } from '../../src/sink/types';
import { defaultSources } from '../../src/sources/http-sources';
import { loadSources } from '../../src/sources/load-sources';
import {
  cursorOffset,
  offsetCursor,
  offsetExampleSource,
  toScrapedPost,
} from '../../src/sources/offset-example-source';
import type { PatternEngine, SocialSource, WeightsPublisher } from '../../src/sources/types';
import { runActivity } from '../helpers/run-activity';
import { collectPosts } from '../helpers/sink-posts';
import { startSimDeps, type SimDeps } from '../helpers/sim-deps';
import { viralflow } from '../helpers/viralflow-cli';

const SEED = 42; // startSimDeps' seed
const POSTS = 25;
const EXAMPLE_MODULE = require.resolve('../../src/sources/offset-example-source');

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const simPosts = (id: string, n = POSTS) => socialPosts(SEED, id, 0, n, POSTS);
const quietEnv = (info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) =>
  new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });

function local(ref: SinkRef): NdjsonSinkRef {
  assert.equal(ref.kind, 'ndjson');
  return ref as NdjsonSinkRef;
}

describe('the offset-pagination example source: mapping', () => {
  test('maps every media field of the other API back to the post the simulator holds', () => {
    const posts = socialPosts(SEED, 'acct-1', 5, 10, POSTS);
    const page = exampleMediaPage(posts, 5, POSTS);
    assert.equal(page.has_more, true);
    assert.deepEqual(page.media.map(toScrapedPost), posts);
    assert.equal(exampleMediaPage(socialPosts(SEED, 'acct-1', 20, 10, POSTS), 20, POSTS).has_more, false);
    // The fields really are named differently: the mapping is doing the work.
    assert.deepEqual(Object.keys(page.media[0]!).sort(), [
      'caption',
      'comment_count',
      'like_count',
      'media_id',
      'owner_id',
      'share_count',
      'taken_at_ms',
      'view_count',
    ]);
  });

  test('the offset is the cursor: written and read back, anything else refused', () => {
    for (const offset of [1, 10, 25, 999_999_999]) assert.equal(cursorOffset(offsetCursor(offset)), offset);
    for (const bad of ['', '0', '01', '-5', '1e3', '10.5', 'b2Zmc2V0', '1234567890', ' 7'])
      assert.equal(cursorOffset(bad), undefined, JSON.stringify(bad));
  });
});

describe('the offset-pagination example source under scrapeAccounts, over real sockets', () => {
  let dataDir: string;
  let s: SimDeps;
  let v2: Upstream;
  let runs = 0;
  const runKey = () => `ex-${++runs}`;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'viralflow-sources-'));
    s = await startSimDeps({ postsPerAccount: POSTS, missingAccounts: ['ghost'] }, { VIRALFLOW_DATA_DIR: dataDir });
    // The other API, through the same pool as every upstream (as VIRALFLOW_SOCIAL_URL=<sim>/v2 would configure it).
    v2 = createUpstream(s.deps.pool, { name: 'social', baseUrl: `${s.sim.url}/v2` }, systemClock);
  });
  after(async () => {
    await s.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const activity = (over: Partial<ScraperDeps> = {}) =>
    createScrapeAccounts({
      social: v2,
      source: offsetExampleSource,
      concurrency: 8,
      sinkFor: (key) => createNdjsonSink(dataDir, key),
      ...over,
    });

  test('stores the same posts and profiles the contract API serves, and a missing user fails alone', async () => {
    s.sim.reset();
    const accounts = ids('acct-', 4);
    const input = { accountIds: [...accounts, 'ghost'], pageSize: 10, runKey: runKey() };
    const result = await runActivity(activity(), input, quietEnv());
    assert.equal(result.scraped, 4);
    assert.equal(result.posts, 4 * POSTS);
    assert.equal(result.pages, 4 * 3);
    assert.deepEqual(
      result.failed.map((f) => [f.accountId, f.status]),
      [['ghost', 404]],
    );
    for (const id of accounts) {
      assert.deepEqual(await collectPosts(local(result.sink), [id]), simPosts(id), id);
      assert.deepEqual(await readProfile(local(result.sink), id), socialProfile(SEED, id, POSTS));
    }
    const stats = s.sim.stats();
    assert.deepEqual(stats.posts, { served: 4 * POSTS, distinct: 4 * POSTS });
    assert.equal(stats.routes['unmatched'], undefined, 'every request was a /v2 route');
    // The /v2 user answer really is the other shape.
    const answer = (await (await fetch(`${s.sim.url}/v2/users/acct-0`)).json()) as unknown;
    assert.deepEqual(answer, exampleUser(socialProfile(SEED, 'acct-0', POSTS)));
  });

  test('a 429 from the other API ends the attempt with its Retry-After: viralflow, not the plug-in, handles it', async () => {
    s.sim.reset();
    s.sim.setKnobs('social.posts', { rateLimitFirst: 1_000, retryAfterSeconds: 4 });
    const failure = await quietEnv()
      .run(activity(), { accountIds: ids('rl-', 6), runKey: runKey() })
      .then(
        () => assert.fail('expected RateLimited'),
        (err: unknown) => err,
      );
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, 'RateLimited');
    assert.equal(Number(failure.nextRetryDelay), 4_000);
  });

  test('an unreadable page fails that account only, with a typed MalformedResponse reason', async () => {
    s.sim.reset();
    s.sim.setKnobs('social.posts:mal-1', { malformedRate: 1 });
    const result = await runActivity(activity(), { accountIds: ids('mal-', 3), runKey: runKey() }, quietEnv());
    assert.equal(result.scraped, 2);
    assert.deepEqual(
      result.failed.map((f) => f.accountId),
      ['mal-1'],
    );
    assert.match(result.failed[0]?.reason ?? '', /malformed response: body is not JSON \(\/users\/mal-1\/media\)/);
  });

  test('an attempt failed mid-pagination resumes from the offsets its heartbeat kept: every post once', async () => {
    s.sim.reset();
    const postsPerAccount = 60;
    // A bigger world for this test: 6 pages of 10 per account, 30 ms each; one account fails the batch at ~150 ms.
    const world = await startSimDeps(
      { postsPerAccount, knobs: { 'social.posts': { latencyMs: 30 } } },
      { VIRALFLOW_DATA_DIR: dataDir },
    );
    try {
      const api = createUpstream(world.deps.pool, { name: 'social', baseUrl: `${world.sim.url}/v2` }, systemClock);
      world.sim.setKnobs('social.profile:res-3', { latencyMs: 150, errorRate: 1, errorStatus: 503 });
      const input = { accountIds: ids('res-', 6), pageSize: 10, runKey: runKey() };
      const heartbeats: ScrapeProgress[] = [];
      const first = quietEnv();
      first.on('heartbeat', (d: ScrapeProgress) => heartbeats.push(d));
      await assert.rejects(
        first.run(activity({ social: api, concurrency: 6 }), input),
        (err) => err instanceof ApplicationFailure && /HTTP 503/.test(err.message),
      );
      const last = heartbeats.at(-1);
      assert.ok(last && last.partial.length > 0, 'the first attempt stopped with accounts mid-pagination');
      for (const p of last.partial) assert.ok(cursorOffset(p.cursor) === p.posts, `${p.id}: cursor is the offset`);

      world.sim.setKnobs('social.profile:res-3', undefined);
      const offsets: Array<{ path: string; offset: unknown }> = [];
      const recording: Upstream = {
        ...api,
        json(req, schema) {
          offsets.push({ path: req.path, offset: req.query?.offset });
          return api.json(req, schema);
        },
      };
      const heartbeatDetails = JSON.parse(JSON.stringify(last)) as ScrapeProgress;
      const result = await runActivity(
        activity({ social: recording, concurrency: 6 }),
        input,
        quietEnv({ heartbeatDetails, attempt: 2 }),
      );
      assert.equal(result.scraped, 6);
      assert.equal(result.continued, last.partial.length);
      for (const p of last.partial) {
        const firstAsked = offsets.find((o) => o.path === `/users/${p.id}/media`);
        assert.equal(firstAsked?.offset, p.posts, `${p.id} resumed at offset ${p.posts}`);
      }
      for (const id of input.accountIds) {
        assert.deepEqual(
          await collectPosts(local(result.sink), [id]),
          socialPosts(SEED, id, 0, postsPerAccount, postsPerAccount),
          `${id}: every post once, in order`,
        );
      }
    } finally {
      await world.close();
    }
  });
});

describe('VIRALFLOW_SOURCES_MODULE', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'viralflow-plugins-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const moduleFile = async (name: string, text: string) => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };
  const refused = (spec: string, message: RegExp) =>
    assert.rejects(
      loadSources({ sourcesModule: spec }),
      (err) => err instanceof ConfigError && message.test(err.message) && err.message.includes(spec),
    );

  test('is read from the environment, and loads the example as a module: its social source, the other defaults', async () => {
    const config = loadConfig({ VIRALFLOW_SOURCES_MODULE: EXAMPLE_MODULE });
    assert.equal(config.sourcesModule, EXAMPLE_MODULE);
    assert.equal(loadConfig({}).sourcesModule, undefined);
    const sources = await loadSources(config);
    assert.deepEqual(Object.keys(sources), ['social']);
    assert.equal(typeof sources.social?.page, 'function');
    assert.deepEqual(await loadSources({}), {});
    const deps = createActivityDeps(config, createMetrics({ processMetrics: false }), { sources });
    try {
      assert.equal(deps.sources.engine, defaultSources.engine);
      assert.equal(deps.sources.publisher, defaultSources.publisher);
      assert.equal(deps.sources.social, sources.social);
    } finally {
      await deps.close();
    }
  });

  test('deps are not built on the defaults when a module is configured but not loaded', () => {
    const config = loadConfig({ VIRALFLOW_SOURCES_MODULE: EXAMPLE_MODULE });
    assert.throws(
      () => createActivityDeps(config, createMetrics({ processMetrics: false })),
      (err) => err instanceof ConfigError && /loadSources/.test(err.message),
    );
  });

  test('refuses a missing file, a missing export, a factory that throws, a source without its methods, an unknown key', async () => {
    await refused(join(dir, 'nope.js'), /cannot load the module/);
    await refused(
      await moduleFile('misnamed.js', 'exports.makeSources = () => ({});'),
      /expected an exported function createSources.*exports makeSources/,
    );
    await refused(
      await moduleFile('throws.mjs', 'export function createSources() { throw new Error("no API key"); }'),
      /createSources threw: no API key/,
    );
    await refused(
      await moduleFile('half.js', 'exports.createSources = () => ({ social: { profile: async () => ({}) } });'),
      /social has no page function/,
    );
    await refused(
      await moduleFile('typo.js', 'exports.createSources = () => ({ socail: {} });'),
      /unknown source "socail"/,
    );
    await refused(await moduleFile('list.js', 'exports.createSources = () => [];'), /must answer an object/);
    // Exports Node cannot list statically (CommonJS built at run time) are found on the default export.
    const dynamic = await moduleFile(
      'dynamic.js',
      `const name = ['create', 'Sources'].join('');
       module.exports[name] = ({ defaults }) => ({ publisher: defaults.publisher });`,
    );
    assert.equal((await loadSources({ sourcesModule: dynamic })).publisher, defaultSources.publisher);
  });

  test('what a plug-in answers is checked against viralflow types: a bad post fails its account as malformed', async () => {
    const file = await moduleFile(
      'sloppy.mjs',
      `export function createSources({ defaults }) {
         return {
           social: {
             profile: (id, ctx) => defaults.social.profile(id, ctx),
             async page(id, cursor, ctx) {
               const page = await defaults.social.page(id, cursor, ctx);
               return { ...page, posts: page.posts.map((p) => (id === 'bad-1' ? { ...p, createdAt: 'yesterday' } : p)) };
             },
           },
         };
       }`,
    );
    const sources = await loadSources({ sourcesModule: file });
    const s = await startSimDeps({ postsPerAccount: 5 });
    const data = await mkdtemp(join(tmpdir(), 'viralflow-sloppy-'));
    try {
      const scrape = createScrapeAccounts({
        social: s.deps.social,
        source: sources.social as SocialSource,
        sinkFor: (key) => createNdjsonSink(data, key),
      });
      const result = await runActivity(scrape, { accountIds: ids('bad-', 3), runKey: 'sloppy' }, quietEnv());
      assert.equal(result.scraped, 2);
      assert.equal(result.failed[0]?.accountId, 'bad-1');
      assert.match(
        result.failed[0]?.reason ?? '',
        /malformed response: the plugged-in source's page at posts\.0\.createdAt/,
      );
    } finally {
      await s.close();
      await rm(data, { recursive: true, force: true });
    }
  });

  test('a plugged-in engine and publisher: viralflow splits what the API refuses (413) and checks what they answer', async () => {
    const file = await moduleFile(
      'engine.mjs',
      `export function createSources({ defaults }) {
         return {
           // Believes the API takes 200 a batch; the simulator refuses more than 50 with 413.
           engine: {
             maxBatch: async () => 200,
             async extract(items, ctx) {
               const results = await defaults.engine.extract(items, ctx);
               return results.map((r) => (r.id === process.env.VF_TEST_BAD_ID ? { ...r, viralityScore: 2 } : r));
             },
           },
           publisher: {
             async publish(id, weights, ctx) {
               const answer = await defaults.publisher.publish(id, weights, ctx);
               return id === 'exp-elsewhere' ? { ...answer, experimentId: 'another' } : answer;
             },
           },
         };
       }`,
    );
    const sources = await loadSources({ sourcesModule: file });
    const s = await startSimDeps({ engineMaxBatch: 50 });
    try {
      const extract = createExtractPatterns({
        engine: s.deps.engine,
        patternEngine: sources.engine as PatternEngine,
        cache: createEngineCache({ metrics: s.metrics, clock: s.deps.clock }),
      });
      const items = Array.from({ length: 120 }, (_, i) => ({ id: `p${i}`, text: `text number ${i}` }));
      const result = await runActivity(extract, { items, maxConcurrentBatches: 1 });
      assert.equal(result.results.length, 120);
      assert.ok(result.requests > 3, `${result.requests} requests: the 120 batch was refused and split`);
      assert.equal(s.sim.stats().routes['engine.extract']?.byStatus['413'], 2, '120 and 60 refused, then 30s');

      const { createHash } = await import('node:crypto');
      process.env.VF_TEST_BAD_ID = createHash('sha256').update('bad text', 'utf8').digest('hex');
      try {
        await assert.rejects(
          runActivity(extract, { items: [{ id: 'b', text: 'bad text' }] }, quietEnv()),
          (err) =>
            err instanceof ApplicationFailure &&
            err.type === 'MalformedResponseError' &&
            err.nonRetryable &&
            /plugged-in source's extractions at 0\.viralityScore/.test(err.message),
        );
      } finally {
        delete process.env.VF_TEST_BAD_ID;
      }

      const publish = createPublishWeights({
        experiments: s.deps.experiments,
        publisher: sources.publisher as WeightsPublisher,
      });
      const weights = { a: 0.4, b: 0.6 };
      assert.deepEqual(await runActivity(publish, { experimentId: 'exp-here', weights }), {
        experimentId: 'exp-here',
        version: 1,
      });
      await assert.rejects(
        runActivity(publish, { experimentId: 'exp-elsewhere', weights }, quietEnv()),
        (err) => err instanceof ApplicationFailure && /answered for experiment "another"/.test(err.message),
      );
    } finally {
      await s.close();
    }
  });

  test('a worker whose module has a bad export does not start: exit 2 and the setting named', async () => {
    const file = await moduleFile('bad-export.js', 'module.exports = { social: {} };');
    const run = await viralflow(['worker'], {
      VIRALFLOW_SOURCES_MODULE: file,
      VIRALFLOW_DATA_DIR: dir,
      TEMPORAL_ADDRESS: '127.0.0.1:1', // never reached: the sources are checked first
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(
      run.stderr,
      /VIRALFLOW_SOURCES_MODULE \(.*bad-export\.js\): expected an exported function createSources/,
    );
    assert.doesNotMatch(run.stdout, /viralflow worker .* task queue/, 'no start-up line');
  });
});
