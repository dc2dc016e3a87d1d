import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, DEFAULT_SERVICES, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('defaults point every upstream at the local simulator', () => {
    const c = loadConfig({});
    assert.equal(c.temporal.address, 'localhost:7233');
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.temporal.taskQueue, 'viralflow');
    assert.equal(c.metrics.port, 9464);
    assert.equal(c.social.baseUrl, 'http://127.0.0.1:8787/social');
    assert.deepEqual(Object.keys(c.services), DEFAULT_SERVICES);
    assert.equal(c.services.billing?.baseUrl, 'http://127.0.0.1:8787/services/billing');
  });

  test('explicit URLs, services with their own URLs, numbers from strings', () => {
    const c = loadConfig({
      VIRALFLOW_ENGINE_URL: 'https://engine.example/v2',
      VIRALFLOW_SERVICES: 'api, auth=https://auth.example/internal',
      VIRALFLOW_HTTP_CONNECTIONS: '8',
      TEMPORAL_ADDRESS: 'temporal:7233',
    });
    assert.equal(c.engine.baseUrl, 'https://engine.example/v2');
    assert.equal(c.services.auth?.baseUrl, 'https://auth.example/internal');
    assert.equal(c.http.connectionsPerOrigin, 8);
    assert.equal(c.temporal.address, 'temporal:7233');
  });

  test('bad values name the variable', () => {
    assert.throws(
      () => loadConfig({ METRICS_PORT: '70000' }),
      (e: unknown) => e instanceof ConfigError && /METRICS_PORT/.test(e.message),
    );
    assert.throws(() => loadConfig({ VIRALFLOW_SOCIAL_URL: 'file:///etc/passwd' }), /VIRALFLOW_SOCIAL_URL/);
    assert.throws(() => loadConfig({ VIRALFLOW_SERVICES: 'ok,../bad' }), /not a valid service name/);
    assert.throws(() => loadConfig({ VIRALFLOW_HTTP_CONNECTIONS: '0' }), /VIRALFLOW_HTTP_CONNECTIONS/);
  });

  test('tokens come from the environment or a *_FILE, never from input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vf-secret-'));
    writeFileSync(join(dir, 'token'), 's3cret\n');
    assert.equal(loadConfig({ VIRALFLOW_SOCIAL_TOKEN: 'abc' }).social.token, 'abc');
    assert.equal(loadConfig({ VIRALFLOW_ENGINE_TOKEN_FILE: join(dir, 'token') }).engine.token, 's3cret');
    assert.throws(
      () => loadConfig({ VIRALFLOW_ENGINE_TOKEN_FILE: join(dir, 'missing') }),
      /VIRALFLOW_ENGINE_TOKEN_FILE.*ENOENT/,
    );
  });
});
