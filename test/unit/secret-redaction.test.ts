/**
 * An upstream that echoes our credentials back (in an error body, or in a body that is not JSON) must
 * not get them into error messages: those become failure messages in workflow history and worker logs.
 * The end-to-end check, through a worker process and the dev server, is test/integration/secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { systemClock } from '../../src/clock';
import { jsonSyntaxError, MalformedResponseError, redactor, UpstreamHttpError } from '../../src/http/errors';
import { createHttpPool, type HttpPool } from '../../src/http/pool';
import { createUpstream } from '../../src/http/upstream';

const TOKEN = 'k9f3a1c5e7b2d4-secret/with+chars';

/** Every message down the cause chain, joined. */
function chain(err: unknown): string {
  const parts: string[] = [];
  for (let cur = err; cur instanceof Error; cur = cur.cause) parts.push(cur.message, cur.stack ?? '');
  return parts.join('\n');
}

describe('credentials echoed by an upstream are redacted from errors', () => {
  let server: Server;
  let pool: HttpPool;
  let body = '';
  let status = 500;
  before(async () => {
    server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    pool = createHttpPool({ connectionsPerOrigin: 2 });
  });
  after(async () => {
    await pool.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const upstream = () =>
    createUpstream(
      pool,
      { name: 'echo', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKEN },
      systemClock,
    );

  test('redactor: the token as is and percent-encoded; nothing to do without one', () => {
    const redact = redactor(TOKEN);
    assert.equal(redact(`a ${TOKEN} b ${encodeURIComponent(TOKEN)} c`), 'a [redacted] b [redacted] c');
    assert.equal(redactor(undefined)('unchanged'), 'unchanged');
    assert.equal(redactor('')('unchanged'), 'unchanged');
  });

  test("JSON.parse's excerpt of the body is dropped, its position kept", () => {
    const excerpt = (text: string) => {
      try {
        JSON.parse(text);
      } catch (err) {
        return jsonSyntaxError(err).message;
      }
      return 'parsed';
    };
    assert.equal(excerpt(`${TOKEN} is not JSON`), "Unexpected token 'k' (not valid JSON)");
    assert.equal(excerpt('{"a": "unterminated'), 'Unterminated string in JSON at position 19 (line 1 column 20)');
  });

  test('an error body echoing the token: the snippet keeps the rest, the token is [redacted], even across the 200-character cut', async () => {
    status = 401;
    body = JSON.stringify({ error: `token Bearer ${TOKEN} revoked` });
    await assert.rejects(upstream().send({ path: '/x' }), (err: unknown) => {
      assert.ok(err instanceof UpstreamHttpError);
      assert.match(err.message, /HTTP 401: \{"error":"token Bearer \[redacted\] revoked"\}/);
      return true;
    });
    body = `${'x'.repeat(195)}${TOKEN}`; // the cut would leave the token's first 5 characters
    await assert.rejects(upstream().send({ path: '/x' }), (err: unknown) => {
      assert.ok(err instanceof UpstreamHttpError);
      assert.ok(!chain(err).includes(TOKEN.slice(0, 5)), err.message);
      return true;
    });
  });

  test('a 200 body that is not JSON and starts with the token: no piece of it in the error or its cause', async () => {
    status = 200;
    body = `${TOKEN} is not allowed`;
    await assert.rejects(upstream().json({ path: '/x' }, z.object({})), (err: unknown) => {
      assert.ok(err instanceof MalformedResponseError);
      assert.match(chain(err), /body is not JSON[\s\S]*Unexpected token 'k' \(not valid JSON\)/);
      assert.ok(!chain(err).includes(TOKEN.slice(0, 8)), chain(err));
      return true;
    });
  });
});
