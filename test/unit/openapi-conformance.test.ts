/**
 * The simulator against api/upstream.openapi.yaml: real requests over a socket, every answer (status,
 * headers, content type, body) checked against the document, faults included, so neither can drift.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../../src/project-root';
import { startSimulator, type Simulator } from '../../src/sim/server';

type Json = Record<string, unknown>;

interface Reply {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const DOC_PATH = join(projectRoot(), 'api', 'upstream.openapi.yaml');
const doc = parseYaml(readFileSync(DOC_PATH, 'utf8')) as Json;
const DOC_ID = 'https://viralflow.invalid/upstream.openapi.yaml';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `#/components/responses/X` -> the object it names; anything else as is. */
function deref(node: unknown): Json {
  if (!isObject(node)) throw new Error(`expected an object, got ${JSON.stringify(node)}`);
  const ref = node['$ref'];
  if (typeof ref !== 'string') return node;
  let at: unknown = doc;
  for (const part of ref.replace(/^#\//, '').split('/')) at = isObject(at) ? at[part] : undefined;
  return deref(at);
}

/** `/social/accounts/{accountId}` and `/social/accounts/{id}` are the same route. */
const shape = (template: string): string => template.replace(/\{[^}]+\}/g, '{}');

function templateFor(path: string): string | undefined {
  const segments = path.split('/');
  return Object.keys(doc['paths'] as Json).find((template) => {
    const parts = template.split('/');
    return parts.length === segments.length && parts.every((p, i) => p.startsWith('{') || p === segments[i]);
  });
}

/**
 * A response validator over the document: finds the operation and the response (exact status, then
 * `4XX`/`5XX`), and checks required headers, the content type and the body with Ajv (JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1). Answers the problems found; none means it conforms.
 */
class ContractValidator {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true });
  private readonly compiled = new Map<object, ValidateFunction>();

  constructor() {
    addFormats(this.ajv);
    // Schemas refer to each other as '#/components/schemas/X': register them under the document's id.
    this.ajv.addKeyword('components').addKeyword('x-format');
    this.ajv.addSchema({ $id: DOC_ID, components: { schemas: (doc['components'] as Json)['schemas'] } });
  }

  check(reply: Reply): string[] {
    const template = templateFor(reply.path);
    if (template === undefined) return [`${reply.path}: no such path in the document`];
    const operation = (doc['paths'] as Json)[template] as Json;
    const op = operation[reply.method.toLowerCase()];
    const where = `${reply.method} ${reply.path} -> ${reply.status}`;
    const problems: string[] = [];
    let declared: unknown;
    if (isObject(op)) {
      const responses = op['responses'] as Json;
      declared = responses[String(reply.status)] ?? responses[`${String(reply.status)[0]}XX`];
      if (declared === undefined) return [`${where}: status not in the document`];
    } else {
      // A method the path does not list: 405, with Allow naming exactly the listed ones.
      if (reply.status !== 405) return [`${where}: ${reply.method} is not an operation of ${template}, expected 405`];
      const listed = Object.keys(operation)
        .filter((k) => HTTP_METHODS.includes(k))
        .map((k) => k.toUpperCase());
      const allow = String(reply.headers['allow'] ?? '').split(/,\s*/);
      if (allow.sort().join() !== listed.sort().join())
        problems.push(`${where}: Allow ${allow.join()} is not ${listed.join()}`);
      declared = doc['x-method-not-allowed'];
    }
    const response = deref(declared);

    for (const [name, raw] of Object.entries((response['headers'] as Json | undefined) ?? {})) {
      const header = deref(raw);
      const value = reply.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header['required'] === true) problems.push(`${where}: missing header ${name}`);
        continue;
      }
      const validate = this.validator(header['schema'] as Json);
      if (!validate(Array.isArray(value) ? value.join(', ') : value)) {
        problems.push(`${where}: header ${name}=${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`);
      }
    }

    const content = response['content'] as Json | undefined;
    if (content === undefined) return problems;
    const type =
      String(reply.headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    const media = content[type];
    if (!isObject(media))
      return [...problems, `${where}: content type "${type}" not in ${Object.keys(content).join(', ')}`];
    let body: unknown = reply.text;
    if (type === 'application/json') {
      try {
        body = JSON.parse(reply.text);
      } catch {
        return [...problems, `${where}: body is not JSON`];
      }
    }
    const validate = this.validator(media['schema'] as Json);
    if (!validate(body)) problems.push(`${where}: body ${this.ajv.errorsText(validate.errors)}`);
    return problems;
  }

  private validator(schema: Json): ValidateFunction {
    let validate = this.compiled.get(schema);
    if (!validate) {
      // Relative refs resolve against the document's id, where the component schemas live.
      validate = this.ajv.compile({
        $id: `https://viralflow.invalid/operation/${this.compiled.size}`,
        ...rebase(schema),
      });
      this.compiled.set(schema, validate);
    }
    return validate;
  }
}

/** Inline schemas use '#/components/…' refs: point them at the registered document. */
function rebase(schema: unknown): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)) as Json;
}

describe('the simulator conforms to api/upstream.openapi.yaml', () => {
  let sim: Simulator;
  const contract = new ContractValidator();

  const call = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Reply> => {
    const res = await request(`${sim.url}${path}`, {
      method,
      // viralflow sends the bearer token when one is configured: the contract serves it alike.
      headers: {
        authorization: 'Bearer conformance-token',
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return {
      method,
      path: path.split('?')[0]!,
      status: res.statusCode,
      headers: res.headers,
      text: await res.body.text(),
    };
  };

  /** Calls, checks the answer against the document and answers it. */
  const conforming = async (
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    status: number,
    body?: unknown,
  ): Promise<Reply> => {
    const reply = await call(method, path, body);
    assert.equal(reply.status, status, `${method} ${path}: ${reply.text.slice(0, 200)}`);
    assert.deepEqual(contract.check(reply), []);
    return reply;
  };

  before(async () => {
    sim = await startSimulator({ seed: 7, missingAccounts: ['gone'], engineMaxBatch: 5, postsPerAccount: 25 });
  });
  after(() => sim?.close());

  it('is a valid OpenAPI 3.1 document whose every schema compiles', () => {
    assert.equal(doc['openapi'], '3.1.0');
    const schemes = (doc['components'] as Json)['securitySchemes'] as Json;
    assert.deepEqual(schemes['bearerAuth'], { ...(schemes['bearerAuth'] as Json), type: 'http', scheme: 'bearer' });
    const ajv = new Ajv2020({ strict: true });
    addFormats(ajv);
    ajv.addKeyword('components').addKeyword('x-format');
    ajv.addSchema({ $id: DOC_ID, components: { schemas: (doc['components'] as Json)['schemas'] } });
    for (const name of Object.keys((doc['components'] as Json)['schemas'] as Json)) {
      assert.ok(ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`), name);
    }
  });

  it('documents every route the simulator serves, and nothing it does not', () => {
    const served = sim.routes.map((r) => `${r.method} ${shape(r.path)}`).sort();
    const documented = Object.entries(doc['paths'] as Json)
      .flatMap(([template, ops]) =>
        Object.keys(ops as Json)
          .filter((k) => HTTP_METHODS.includes(k))
          .map((k) => `${k.toUpperCase()} ${shape(template)}`),
      )
      .sort();
    assert.ok(served.length >= 9);
    assert.deepEqual(documented, served);
  });

  it('social API: a profile, cursor pagination to the last page, 404 and 400s', async () => {
    const profile = JSON.parse((await conforming('GET', '/social/accounts/acct-1', 200)).text) as Json;
    assert.equal(profile['accountId'], 'acct-1');

    let cursor: string | null = null;
    let posts = 0;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=10' : `?limit=10&cursor=${encodeURIComponent(cursor)}`;
      const page = JSON.parse((await conforming('GET', `/social/accounts/acct-1/posts${query}`, 200)).text) as Json;
      posts += (page['posts'] as unknown[]).length;
      cursor = page['nextCursor'] as string | null;
      pages++;
    } while (cursor !== null);
    assert.deepEqual({ posts, pages }, { posts: 25, pages: 3 });

    await conforming('GET', '/social/accounts/gone', 404);
    await conforming('GET', '/social/accounts/gone/posts', 404);
    await conforming('GET', '/social/accounts/acct-1/posts?limit=0', 400);
    await conforming('GET', '/social/accounts/acct-1/posts?cursor=not-ours', 400);
  });

  it('engine: limits, a batch, 413 over maxBatch, 400 for a bad body, 413 over the 1 MiB body cap', async () => {
    const limits = JSON.parse((await conforming('GET', '/engine/limits', 200)).text) as Json;
    assert.equal(limits['maxBatch'], 5);
    const items = Array.from({ length: 5 }, (_, i) => ({ id: `p${i}`, text: `Hot take: sourdough #${i}` }));
    const extracted = JSON.parse((await conforming('POST', '/engine/extract', 200, { items })).text) as Json;
    assert.equal((extracted['results'] as unknown[]).length, 5);

    await conforming('POST', '/engine/extract', 413, { items: [...items, { id: 'p5', text: 'one too many' }] });
    await conforming('POST', '/engine/extract', 400, { items: [{ id: 1 }] });
    await conforming('POST', '/engine/extract', 400, '{"items": [');
    const cap = (doc['x-max-request-body-bytes'] as number) + 1;
    await conforming('POST', '/engine/extract', 413, { items: [{ id: 'big', text: 'x'.repeat(cap) }] });
  });

  it('experiment API: 404 before the first publish, then PUT and GET with versions', async () => {
    await conforming('GET', '/experiments/homepage/weights', 404);
    const first = JSON.parse(
      (
        await conforming('PUT', '/experiments/homepage/weights', 200, {
          weights: { A: 0.25, B: 0.75 },
          probabilityBest: { A: 0.1, B: 0.9 },
        })
      ).text,
    ) as Json;
    assert.equal(first['version'], 1);
    await conforming('PUT', '/experiments/homepage/weights', 200, { weights: { A: 0.5, B: 0.5 } });
    const read = JSON.parse((await conforming('GET', '/experiments/homepage/weights', 200)).text) as Json;
    assert.deepEqual([read['version'], read['weights']], [2, { A: 0.5, B: 0.5 }]);
    await conforming('PUT', '/experiments/homepage/weights', 400, { weights: { A: 'half' } });
  });

  it('services: /health, /metrics (Prometheus text), /metrics.json, 404 for an unknown service', async () => {
    await conforming('GET', '/services/api/health', 200);
    const text = await conforming('GET', '/services/api/metrics', 200);
    assert.match(text.text, /^# TYPE http_requests_total counter$/m);
    await conforming('GET', '/services/api/metrics.json', 200);
    for (const suffix of ['health', 'metrics', 'metrics.json'])
      await conforming('GET', `/services/nope/${suffix}`, 404);
  });

  it('429 with Retry-After in seconds and as an HTTP date, injected 5xx, and 405 with Allow', async () => {
    sim.setKnobs('social.profile', { rateLimitFirst: 1, retryAfterSeconds: 7 });
    const seconds = await conforming('GET', '/social/accounts/acct-2', 429);
    assert.equal(seconds.headers['retry-after'], '7');
    await conforming('GET', '/social/accounts/acct-2', 200); // the storm was one request long

    sim.setKnobs('engine.extract', { rateLimitFirst: 1, retryAfterSeconds: 3, retryAfterHttpDate: true });
    const dated = await conforming('POST', '/engine/extract', 429, { items: [] });
    assert.ok(Date.parse(String(dated.headers['retry-after'])) > Date.now());

    sim.setKnobs('experiments.weights', { errorRate: 1, errorStatus: 502 });
    await conforming('GET', '/experiments/homepage/weights', 502);
    sim.setKnobs('services.metricsJson', { errorRate: 1 });
    await conforming('GET', '/services/api/metrics.json', 503);
    sim.reset();

    const wrong = await conforming('POST', '/engine/limits', 405);
    assert.equal(wrong.headers['allow'], 'GET');
    await conforming('GET', '/engine/extract', 405);
  });

  it('the validator itself rejects answers that break the contract', () => {
    const ok = {
      method: 'GET',
      path: '/social/accounts/a/posts',
      status: 200,
      headers: { 'content-type': 'application/json' },
    };
    assert.deepEqual(contract.check({ ...ok, text: '{"accountId":"a","posts":[],"nextCursor":null}' }), []);
    const broken = [
      { ...ok, text: '{"accountId":"a","posts":[]}' }, // nextCursor missing
      { ...ok, text: '{"accountId":"a","posts":[],"nextCursor":""}' }, // empty cursor
      { ...ok, text: '{"accountId":"a","posts":[{"id":"x"}],"nextCursor":null}' }, // a post without fields
      { ...ok, headers: { 'content-type': 'text/html' }, text: '<html>' },
      { ...ok, status: 429, text: '{"error":"slow down"}' }, // no Retry-After
      { ...ok, status: 429, headers: { ...ok.headers, 'retry-after': 'soon' }, text: '{"error":"x"}' },
      { ...ok, status: 302, text: '{}' }, // a status the contract does not have
      { ...ok, method: 'DELETE', text: '{}' }, // not an operation, and not a 405
      { ...ok, method: 'POST', status: 405, headers: { ...ok.headers, allow: 'GET, POST' }, text: '{"error":"x"}' },
      {
        method: 'POST',
        path: '/engine/extract',
        status: 200,
        headers: ok.headers,
        text: '{"results":[{"id":"a","patterns":[],"viralityScore":1.5}]}',
      },
    ];
    for (const reply of broken) assert.notDeepEqual(contract.check(reply), [], reply.text);
  });
});
