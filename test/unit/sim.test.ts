import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { Agent, request, type Dispatcher } from 'undici';
import { createServedPosts } from '../../src/sim/served-posts';
import { startSimulator, type Simulator } from '../../src/sim/server';
import type {
  EngineExtractResponse,
  PublishedWeights,
  ServiceHealth,
  SocialPost,
  SocialPostsPage,
  SocialProfile,
} from '../../src/sim/types';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  ms: number;
}

type Options = { method?: Dispatcher.HttpMethod; body?: unknown; signal?: AbortSignal; dispatcher?: Dispatcher };

async function call(url: string, { method = 'GET', body, signal, dispatcher }: Options = {}): Promise<Reply> {
  const started = performance.now();
  const res = await request(url, {
    method,
    ...(body === undefined
      ? {}
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        }),
    ...(signal ? { signal } : {}),
    ...(dispatcher ? { dispatcher } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, ms: performance.now() - started };
}

const parse = <T>(reply: Reply): T => JSON.parse(reply.text) as T;

describe('upstream simulator', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ seed: 7, missingAccounts: ['ghost'] });
  });
  after(() => sim.close());
  beforeEach(() => sim.reset());

  describe('social', () => {
    it('walks every post exactly once, newest first, with the opaque cursor', async () => {
      const seen: SocialPost[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`;
        const reply = await call(`${sim.url}/social/accounts/acct-1/posts${query}`);
        assert.equal(reply.status, 200);
        const page = parse<SocialPostsPage>(reply);
        assert.equal(page.accountId, 'acct-1');
        assert.ok(page.posts.length <= 10);
        seen.push(...page.posts);
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      assert.equal(pages, 3);
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen.map((p) => p.id)).size, 25);
      const times = seen.map((p) => Date.parse(p.createdAt));
      assert.ok(
        times.every((t, i) => i === 0 || t < (times[i - 1] ?? 0)),
        'createdAt goes back in time',
      );
    });

    it("holds a target's requests past `after` until released, and counts them while they wait", async () => {
      const hold = sim.hold({ route: 'social.posts', targets: ['acct-2'], after: 1 });
      assert.equal((await call(`${sim.url}/social/accounts/acct-2/posts`)).status, 200, 'the first request passes');
      const held = [call(`${sim.url}/social/accounts/acct-2/posts`), call(`${sim.url}/social/accounts/acct-2/posts`)];
      let answered = 0;
      for (const h of held) void h.then(() => answered++);
      await hold.whenWaiting(2);
      // Another account on the same route is not held.
      assert.equal((await call(`${sim.url}/social/accounts/acct-1/posts`)).status, 200);
      assert.equal(answered, 0, 'nothing answered while held');
      assert.equal(hold.waiting, 2);
      hold.release();
      assert.deepEqual(
        (await Promise.all(held)).map((r) => r.status),
        [200, 200],
      );
      assert.equal(hold.waiting, 0);
      assert.equal(
        (await call(`${sim.url}/social/accounts/acct-2/posts`)).status,
        200,
        'a released hold holds nothing',
      );
    });

    it('reset releases every hold', async () => {
      const hold = sim.hold({ route: 'social.posts' });
      const held = call(`${sim.url}/social/accounts/acct-1/posts`);
      await hold.whenWaiting(1);
      sim.reset();
      assert.equal((await held).status, 200);
    });

    it('honours limit, and rejects a bad limit or cursor', async () => {
      const page = parse<SocialPostsPage>(await call(`${sim.url}/social/accounts/acct-1/posts?limit=100`));
      assert.equal(page.posts.length, 25);
      assert.equal(page.nextCursor, null);
      for (const query of ['limit=101', 'limit=0', 'limit=abc', 'cursor=not-ours', 'cursor=%25%25']) {
        const reply = await call(`${sim.url}/social/accounts/acct-1/posts?${query}`);
        assert.equal(reply.status, 400, query);
        assert.equal(typeof parse<{ error: string }>(reply).error, 'string');
      }
    });

    it('answers 404 for missing accounts', async () => {
      for (const path of ['/social/accounts/ghost', '/social/accounts/ghost/posts']) {
        const reply = await call(sim.url + path);
        assert.equal(reply.status, 404);
        assert.deepEqual(parse(reply), { error: 'account not found' });
      }
      const profile = parse<SocialProfile>(await call(`${sim.url}/social/accounts/acct-1`));
      assert.equal(profile.accountId, 'acct-1');
      assert.equal(profile.postCount, 25);
    });
  });

  describe('engine', () => {
    it('caps batches with 413 and rejects bad bodies with 400', async () => {
      const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `i${i}`, text: `text ${i}` }));
      assert.equal(
        (await call(`${sim.url}/engine/extract`, { method: 'POST', body: { items: items(51) } })).status,
        413,
      );
      assert.equal(
        (await call(`${sim.url}/engine/extract`, { method: 'POST', body: { items: items(50) } })).status,
        200,
      );
      for (const body of ['{"items":', '{"nope":[]}', { items: [{ id: 1, text: 'x' }] }]) {
        assert.equal((await call(`${sim.url}/engine/extract`, { method: 'POST', body })).status, 400);
      }
      assert.deepEqual(parse(await call(`${sim.url}/engine/limits`)), { maxBatch: 50 });
    });

    it('scores the same text the same way', async () => {
      const body = {
        items: [
          { id: 'a', text: 'Hot take: sourdough' },
          { id: 'b', text: 'Hot take: sourdough' },
          { id: 'c', text: 'other' },
        ],
      };
      const first = parse<EngineExtractResponse>(await call(`${sim.url}/engine/extract`, { method: 'POST', body }));
      const again = parse<EngineExtractResponse>(await call(`${sim.url}/engine/extract`, { method: 'POST', body }));
      assert.deepEqual(first, again);
      const [a, b] = first.results;
      assert.ok(a && b);
      assert.equal(a.id, 'a');
      assert.equal(a.viralityScore, b.viralityScore);
      assert.deepEqual(a.patterns, b.patterns);
      for (const r of first.results) {
        assert.ok(r.viralityScore >= 0 && r.viralityScore <= 1);
        assert.ok(r.patterns.length > 0 && r.patterns.every((p) => p.score >= 0 && p.score <= 1));
      }
    });
  });

  describe('experiments', () => {
    it('versions weights per PUT and validates them', async () => {
      const url = `${sim.url}/experiments/exp-1/weights`;
      assert.equal((await call(url)).status, 404);
      const v1 = parse<PublishedWeights>(await call(url, { method: 'PUT', body: { weights: { a: 0.5, b: 0.5 } } }));
      assert.deepEqual(v1, { experimentId: 'exp-1', weights: { a: 0.5, b: 0.5 }, version: 1 });
      const body = { weights: { a: 0.9, b: 0.1 }, probabilityBest: { a: 0.8, b: 0.2 } };
      assert.equal(parse<PublishedWeights>(await call(url, { method: 'PUT', body })).version, 2);
      assert.deepEqual(parse(await call(url)), { experimentId: 'exp-1', ...body, version: 2 });
      for (const bad of [{ weights: { a: 'x' } }, { weights: [1] }, {}, 'nope', { weights: {}, probabilityBest: 3 }]) {
        assert.equal((await call(url, { method: 'PUT', body: bad })).status, 400);
      }
      assert.equal((await call(`${sim.url}/experiments/exp-2/weights`)).status, 404);
    });
  });

  describe('services', () => {
    it('serves health, Prometheus text and nested JSON, and 404s unknown services', async () => {
      const health = await call(`${sim.url}/services/billing/health`);
      assert.equal(health.status, 200);
      assert.equal(health.headers['content-type'], 'application/json');
      const h = parse<ServiceHealth>(health);
      assert.equal(h.service, 'billing');
      assert.ok(h.status === 'ok' || h.status === 'degraded');

      const metrics = await call(`${sim.url}/services/billing/metrics`);
      assert.equal(metrics.status, 200);
      assert.equal(metrics.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(Number(metrics.headers['content-length']), Buffer.byteLength(metrics.text));
      assertPrometheus(metrics.text);

      const nested = parse<Record<string, unknown>>(await call(`${sim.url}/services/billing/metrics.json`));
      assert.ok(depth(nested) >= 2);
      assert.ok(leaves(nested).every((n) => typeof n === 'number' && Number.isFinite(n)));

      for (const suffix of ['health', 'metrics', 'metrics.json']) {
        assert.equal((await call(`${sim.url}/services/nope/${suffix}`)).status, 404);
      }
    });

    it('grows counters between scrapes', async () => {
      const total = async () => {
        const m = parse<{ http: { requests: { total: number } } }>(await call(`${sim.url}/services/api/metrics.json`));
        return m.http.requests.total;
      };
      const first = await total();
      assert.ok((await total()) > first);
    });

    it('answers 404 JSON for unknown routes and 405 for known paths with the wrong method', async () => {
      const unknown = await call(`${sim.url}/nope`);
      assert.equal(unknown.status, 404);
      assert.equal(typeof parse<{ error: string }>(unknown).error, 'string');
      assert.equal((await call(`${sim.url}/engine/extract`)).status, 405);
    });
  });

  describe('knobs', () => {
    it('latencyMs delays the answer', async () => {
      sim.setKnobs('engine.limits', { latencyMs: 150 });
      assert.ok((await call(`${sim.url}/engine/limits`)).ms >= 140);
      sim.setKnobs('engine.limits', { latencyMs: { dist: 'lognormal', p50Ms: 20, p99Ms: 60 } });
      assert.equal((await call(`${sim.url}/engine/limits`)).status, 200);
    });

    it('errorRate 1 answers 503, or errorStatus', async () => {
      sim.setKnobs('engine.limits', { errorRate: 1 });
      assert.equal((await call(`${sim.url}/engine/limits`)).status, 503);
      sim.setKnobs('engine.limits', { errorRate: 1, errorStatus: 502 });
      assert.equal((await call(`${sim.url}/engine/limits`)).status, 502);
    });

    it('rateLimitFirst 2 gives two 429s with Retry-After, then service', async () => {
      sim.setKnobs('social.profile', { rateLimitFirst: 2, retryAfterSeconds: 3 });
      for (let i = 0; i < 2; i++) {
        const reply = await call(`${sim.url}/social/accounts/acct-1`);
        assert.equal(reply.status, 429);
        assert.equal(reply.headers['retry-after'], '3');
        assert.deepEqual(parse(reply), { error: 'rate limited' });
      }
      assert.equal((await call(`${sim.url}/social/accounts/acct-1`)).status, 200);
    });

    it('retryAfterHttpDate sends a parseable date', async () => {
      sim.setKnobs('social.profile', { rateLimitRate: 1, retryAfterSeconds: 5, retryAfterHttpDate: true });
      const reply = await call(`${sim.url}/social/accounts/acct-1`);
      assert.equal(reply.status, 429);
      const when = Date.parse(String(reply.headers['retry-after']));
      assert.ok(Number.isFinite(when));
      assert.ok(when >= Date.now() + 3_000 && when <= Date.now() + 7_000);
    });

    it('hang makes the client time out', async () => {
      sim.setKnobs('engine.limits', { hangRate: 1 });
      const started = performance.now();
      await assert.rejects(call(`${sim.url}/engine/limits`, { signal: AbortSignal.timeout(200) }));
      assert.ok(performance.now() - started < 1_000);
      assert.equal(sim.stats().routes['engine.limits']?.byStatus['hang'], 1);
    });

    it('close() returns promptly even with a hung request outstanding', async () => {
      const other = await startSimulator({ knobs: { 'engine.limits': { hangRate: 1 } } });
      const pending = call(`${other.url}/engine/limits`);
      pending.catch(() => undefined); // judged below, after close()
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      await other.close();
      assert.ok(performance.now() - started < 500);
      await assert.rejects(pending);
    });

    it('slowBodyMs dribbles the body', async () => {
      sim.setKnobs('social.posts', { slowBodyMs: 300 });
      const reply = await call(`${sim.url}/social/accounts/acct-1/posts`);
      assert.ok(reply.ms >= 280, `${reply.ms} ms`);
      assert.equal(parse<SocialPostsPage>(reply).posts.length, 10);
    });

    it('malformedRate 1 sends a 200 that is not JSON / not Prometheus', async () => {
      sim.setKnobs('social.profile', { malformedRate: 1 });
      const reply = await call(`${sim.url}/social/accounts/acct-1`);
      assert.equal(reply.status, 200);
      assert.throws(() => JSON.parse(reply.text));
      sim.setKnobs('services.metrics', { malformedRate: 1 });
      const garbled = await call(`${sim.url}/services/api/metrics`);
      assert.throws(() => assertPrometheus(garbled.text));
    });

    it('oversizeBytes sends exactly that many bytes of JSON-looking body', async () => {
      sim.setKnobs('services.metricsJson', { oversizeBytes: 300_000 });
      const reply = await call(`${sim.url}/services/api/metrics.json`);
      assert.equal(reply.status, 200);
      assert.equal(Buffer.byteLength(reply.text), 300_000);
      assert.equal(reply.headers['content-length'], '300000');
      assert.ok(reply.text.startsWith('{"padding":"xxx'));
      assert.equal((JSON.parse(reply.text) as { padding: string }).padding.length, 300_000 - 14);
      sim.setKnobs('services.metricsJson', { oversizeBytes: 5 });
      assert.equal((await call(`${sim.url}/services/api/metrics.json`)).text, '{"pad');
    });

    it('resetRate 1 fails the request with a connection error', async () => {
      sim.setKnobs('engine.limits', { resetRate: 1 });
      await assert.rejects(call(`${sim.url}/engine/limits`));
      assert.equal(sim.stats().routes['engine.limits']?.byStatus['reset'], 1);
    });

    it('takes knobs from the query string and rejects bad ones', async () => {
      assert.equal((await call(`${sim.url}/engine/limits?sim_errorRate=1&sim_errorStatus=500`)).status, 500);
      assert.ok((await call(`${sim.url}/engine/limits?sim_latencyMs=120`)).ms >= 110);
      const dated = await call(`${sim.url}/engine/limits?sim_rateLimitRate=1&sim_retryAfterHttpDate=true`);
      assert.ok(Number.isFinite(Date.parse(String(dated.headers['retry-after']))));
      for (const q of ['sim_latencyMs=fast', 'sim_errorRate=2', 'sim_bogus=1', 'sim_latencyMs=']) {
        assert.equal((await call(`${sim.url}/engine/limits?${q}`)).status, 400, q);
      }
      assert.equal((await call(`${sim.url}/engine/limits`)).status, 200);
    });

    it('a key:target override affects only that target', async () => {
      sim.setKnobs('services.health:billing', { errorRate: 1 });
      assert.equal((await call(`${sim.url}/services/billing/health`)).status, 503);
      assert.equal((await call(`${sim.url}/services/api/health`)).status, 200);
      sim.setKnobs('services.health:billing', undefined);
      assert.equal((await call(`${sim.url}/services/billing/health`)).status, 200);
    });

    it('takes knobs over HTTP, and /_sim routes ignore knobs', async () => {
      const set = await call(`${sim.url}/_sim/knobs`, {
        method: 'POST',
        body: { route: 'engine.limits', knobs: { errorRate: 1 } },
      });
      assert.equal(set.status, 200);
      assert.equal((await call(`${sim.url}/engine/limits`)).status, 503);
      assert.equal(
        (await call(`${sim.url}/_sim/knobs`, { method: 'POST', body: { route: 'bogus', knobs: {} } })).status,
        400,
      );
      assert.equal(
        (
          await call(`${sim.url}/_sim/knobs`, {
            method: 'POST',
            body: { route: 'engine.limits', knobs: { errorRate: 9 } },
          })
        ).status,
        400,
      );
      assert.equal((await call(`${sim.url}/_sim/stats?sim_errorRate=1`)).status, 200);
      assert.equal((await call(`${sim.url}/_sim/reset`, { method: 'POST' })).status, 200);
      assert.equal((await call(`${sim.url}/engine/limits`)).status, 200);
      assert.throws(() => sim.setKnobs('engine.limits', { errorRate: -1 }), TypeError);
    });

    it('config knobs apply, and runtime knobs replace them until reset', async () => {
      const other = await startSimulator({ knobs: { 'engine.limits': { errorRate: 1 } } });
      try {
        assert.equal((await call(`${other.url}/engine/limits`)).status, 503);
        other.setKnobs('engine.limits', {});
        assert.equal((await call(`${other.url}/engine/limits`)).status, 200);
        other.reset();
        assert.equal((await call(`${other.url}/engine/limits`)).status, 503);
      } finally {
        await other.close();
      }
    });
  });

  describe('determinism', () => {
    it('same seed, same answers; another seed, another profile', async () => {
      const knobs = {
        'social.profile': { errorRate: 0.5, latencyMs: { dist: 'uniform' as const, minMs: 0, maxMs: 2 } },
      };
      const a = await startSimulator({ seed: 42, knobs });
      const b = await startSimulator({ seed: 42, knobs });
      const c = await startSimulator({ seed: 43 });
      try {
        const run = async (s: Simulator) => {
          const out: string[] = [];
          for (let i = 0; i < 20; i++) {
            const r = await call(`${s.url}/social/accounts/acct-1`);
            out.push(`${r.status} ${r.text}`);
          }
          out.push((await call(`${s.url}/social/accounts/acct-1/posts`)).text);
          out.push((await call(`${s.url}/services/api/metrics`)).text);
          return out;
        };
        const [ra, rb] = [await run(a), await run(b)];
        assert.deepEqual(ra, rb);
        const statuses = new Set(ra.slice(0, 20).map((line) => line.slice(0, 3)));
        assert.deepEqual([...statuses].sort(), ['200', '503'], 'errorRate 0.5 gives both answers');
        const profileA = (await call(`${a.url}/social/accounts/acct-9?sim_errorRate=0`)).text;
        const profileC = (await call(`${c.url}/social/accounts/acct-9`)).text;
        assert.notEqual(profileA, profileC);
      } finally {
        await Promise.all([a.close(), b.close(), c.close()]);
      }
    });
  });

  describe('connections and stats', () => {
    it('reuses keep-alive connections', async () => {
      const agent = new Agent({ connections: 1 });
      try {
        for (let i = 0; i < 100; i++) {
          assert.equal((await call(`${sim.url}/engine/limits`, { dispatcher: agent })).status, 200);
        }
      } finally {
        await agent.close();
      }
      assert.ok(sim.stats().connections <= 2, `connections: ${sim.stats().connections}`);
      assert.equal(sim.stats().requests, 100);
    });

    it('counts requests by route and status, as a copy', async () => {
      await call(`${sim.url}/social/accounts/acct-1`);
      await call(`${sim.url}/social/accounts/ghost`);
      await call(`${sim.url}/social/accounts/acct-1/posts`);
      await call(`${sim.url}/nope`);
      const stats = sim.stats();
      assert.equal(stats.requests, 4);
      // One request at a time: a peak of 1 on each matched route.
      assert.deepEqual(stats.routes['social.profile'], {
        requests: 2,
        byStatus: { '200': 1, '404': 1 },
        peakInFlight: 1,
      });
      assert.deepEqual(stats.routes['social.posts'], { requests: 1, byStatus: { '200': 1 }, peakInFlight: 1 });
      assert.deepEqual(stats.routes['unmatched'], { requests: 1, byStatus: { '404': 1 }, peakInFlight: 0 });
      stats.requests = 999;
      assert.equal(sim.stats().requests, 4);
      assert.deepEqual(parse(await call(`${sim.url}/_sim/stats`)), sim.stats());
    });

    it('counts the requests a route answers at once', async () => {
      sim.reset();
      const latency = '?sim_latencyMs=100';
      await Promise.all([1, 2, 3].map((i) => call(`${sim.url}/social/accounts/acct-${i}${latency}`)));
      await call(`${sim.url}/social/accounts/acct-4${latency}`);
      assert.equal(sim.stats().routes['social.profile']?.peakInFlight, 3);
      sim.reset();
      assert.equal(sim.stats().routes['social.profile'], undefined, 'reset clears the peak');
    });

    it('counts posts served whole with a 200: every copy, and each post once', async () => {
      const page = async (id: string, cursor?: string | null, knob = '') => {
        const reply = await call(
          `${sim.url}/social/accounts/${id}/posts?limit=10${cursor ? `&cursor=${cursor}` : ''}${knob}`,
        );
        return {
          status: reply.status,
          page: reply.status === 200 && !knob ? parse<SocialPostsPage>(reply) : undefined,
        };
      };
      const first = (await page('acct-1')).page!; // posts 0-9 of 25
      await page('acct-1'); // the same page again: served twice, counted once
      const second = (await page('acct-1', first.nextCursor)).page!; // 10-19
      await page('acct-2'); // another account's 0-9
      const last = (await page('acct-1', second.nextCursor)).page!; // 20-24
      assert.equal(last.posts.length, 5);
      assert.equal(last.nextCursor, null);
      assert.equal((await page('acct-3', undefined, '&sim_errorRate=1')).status, 503); // an error carries no posts
      assert.equal((await page('acct-3', undefined, '&sim_malformedRate=1')).status, 200); // nor does a broken body
      assert.deepEqual(sim.stats().posts, { served: 10 + 10 + 10 + 10 + 5, distinct: 25 + 10 });
      sim.reset();
      assert.deepEqual(sim.stats().posts, { served: 0, distinct: 0 });
    });

    it('counts overlapping and out-of-order pages once per post', () => {
      const served = createServedPosts();
      served.add('a', 20, 10); // [20, 30)
      served.add('a', 0, 10); // [0, 10): apart
      served.add('a', 5, 10); // [5, 15): overlaps [0, 10) by 5
      served.add('a', 15, 5); // [15, 20): joins everything into [0, 30)
      served.add('a', 0, 30); // all again
      served.add('b', 0, 0); // an empty page
      served.add('b', 3, 2);
      assert.deepEqual(served.counts(), { served: 10 + 10 + 10 + 5 + 30 + 2, distinct: 30 + 2 });
    });
  });
});

const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? [-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|NaN|Inf)$/;

/** Enough of the exposition format to catch a broken renderer: line grammar, TYPE before samples, histogram sanity. */
function assertPrometheus(text: string): void {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const typed = new Map<string, string>();
  const buckets: number[] = [];
  let count = -1;
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') typed.set(meta[2] ?? '', meta[3] ?? '');
      continue;
    }
    assert.match(line, SAMPLE);
    const name = line.split(/[{ ]/)[0] ?? '';
    const family = [...typed.keys()].find(
      (f) => name === f || (typed.get(f) === 'histogram' && name.startsWith(`${f}_`)),
    );
    assert.ok(family, `${name} has a # TYPE`);
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (name.endsWith('_bucket')) buckets.push(value);
    if (name.endsWith('_count')) count = value;
  }
  assert.ok(buckets.length > 1 && buckets.every((b, i) => i === 0 || b >= (buckets[i - 1] ?? 0)), 'cumulative buckets');
  assert.equal(buckets.at(-1), count, '+Inf bucket equals _count');
}

function leaves(value: unknown): unknown[] {
  return typeof value === 'object' && value !== null ? Object.values(value).flatMap(leaves) : [value];
}

function depth(value: unknown): number {
  return typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depth)) : 0;
}
