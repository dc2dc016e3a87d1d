/**
 * Connecting to a secured Temporal cluster: TEMPORAL_TLS*, TEMPORAL_API_KEY(_FILE) read and checked by
 * loadConfig (a bad file stops start-up naming the variable), and turned into the options both the
 * client's Connection and the worker's NativeConnection take. The end-to-end check against a TLS
 * endpoint is in test/integration/secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config';
import { describeConnectionSecurity, temporalConnectionOptions } from '../../src/temporal/connection-options';
import { makeTestPki, SERVER_NAME, type TestPki } from '../helpers/tls-certs';

describe('Temporal connection security from the environment', () => {
  let pki: TestPki;
  before(() => {
    pki = makeTestPki();
  });
  after(() => rmSync(pki.dir, { recursive: true, force: true }));

  const options = (env: Record<string, string>) => temporalConnectionOptions(loadConfig(env).temporal);
  const refused = (env: Record<string, string>, ...patterns: RegExp[]) =>
    assert.throws(
      () => loadConfig(env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        for (const p of patterns) assert.match(err.message, p);
        return true;
      },
    );

  test('plaintext by default (the dev server), no API key', () => {
    assert.deepEqual(options({}), { address: 'localhost:7233', tls: false });
    assert.equal(describeConnectionSecurity(loadConfig({}).temporal), 'plaintext');
  });

  test('TEMPORAL_TLS=true: TLS with the system roots', () => {
    assert.deepEqual(options({ TEMPORAL_TLS: 'true', TEMPORAL_ADDRESS: 'temporal.example:7233' }), { address: 'temporal.example:7233', tls: {} });
    assert.deepEqual(options({ TEMPORAL_TLS: '1' }).tls, {});
    assert.equal(options({ TEMPORAL_TLS: 'false' }).tls, false);
    refused({ TEMPORAL_TLS: 'yes' }, /TEMPORAL_TLS: must be true or false/);
  });

  test('mTLS: certificate, key, CA and server name are read from their files', () => {
    const o = options({
      TEMPORAL_TLS_CERT: pki.clientCert,
      TEMPORAL_TLS_KEY: pki.clientKey,
      TEMPORAL_TLS_CA: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    assert.ok(o.tls);
    assert.deepEqual(Buffer.from(o.tls.clientCertPair!.crt), readFileSync(pki.clientCert));
    assert.deepEqual(Buffer.from(o.tls.clientCertPair!.key), readFileSync(pki.clientKey));
    assert.deepEqual(Buffer.from(o.tls.serverRootCACertificate!), readFileSync(pki.caCert));
    assert.equal(o.tls.serverNameOverride, SERVER_NAME);
    assert.equal(o.apiKey, undefined);
    const described = describeConnectionSecurity(loadConfig({ TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.clientKey, TEMPORAL_TLS_CA: pki.caCert }).temporal);
    assert.equal(described, `mTLS (client certificate ${pki.clientCert}), CA ${pki.caCert}`);
  });

  test('a CA alone (server-side TLS with a private CA) turns TLS on; so does a server name alone', () => {
    const o = options({ TEMPORAL_TLS_CA: pki.caCert });
    assert.ok(o.tls && o.tls.serverRootCACertificate && !o.tls.clientCertPair);
    assert.deepEqual(options({ TEMPORAL_TLS_SERVER_NAME: SERVER_NAME }).tls, { serverNameOverride: SERVER_NAME });
  });

  test('unreadable or wrong files stop start-up with the variable and the path named, never the contents', () => {
    const missing = join(pki.dir, 'nope.pem');
    refused({ TEMPORAL_TLS_CA: missing }, /^TEMPORAL_TLS_CA: cannot read .*nope\.pem \(ENOENT\)$/);
    refused({ TEMPORAL_TLS_CERT: missing, TEMPORAL_TLS_KEY: pki.clientKey }, /^TEMPORAL_TLS_CERT: cannot read .*\(ENOENT\)$/);
    refused({ TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.dir }, /^TEMPORAL_TLS_KEY: cannot read .* \(EISDIR\)$/);
    // A key where a certificate belongs, and the other way round.
    refused({ TEMPORAL_TLS_CA: pki.clientKey }, /^TEMPORAL_TLS_CA: .* is not a PEM certificate$/);
    refused({ TEMPORAL_TLS_CERT: pki.clientKey, TEMPORAL_TLS_KEY: pki.clientKey }, /^TEMPORAL_TLS_CERT: .* is not a PEM certificate$/);
    refused({ TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.clientCert }, /^TEMPORAL_TLS_KEY: .* is not a PEM private key$/);
    // A key that does not belong to the certificate.
    refused({ TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.strayKey }, /^TEMPORAL_TLS_KEY: .*stray\.key is not the private key of the certificate in TEMPORAL_TLS_CERT/);
    // The key's PEM never shows up in a message.
    const keyPem = readFileSync(pki.strayKey, 'utf8');
    assert.throws(() => loadConfig({ TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.strayKey }), (err: Error) => !err.message.includes(keyPem.split('\n')[1]!));
  });

  test('half an mTLS pair, or TLS settings with TEMPORAL_TLS=false, is refused', () => {
    refused({ TEMPORAL_TLS_CERT: pki.clientCert }, /^TEMPORAL_TLS_KEY: required with TEMPORAL_TLS_CERT/);
    refused({ TEMPORAL_TLS_KEY: pki.clientKey }, /^TEMPORAL_TLS_CERT: required with TEMPORAL_TLS_KEY/);
    refused({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: pki.caCert }, /TEMPORAL_TLS=false conflicts with TEMPORAL_TLS_CA/);
    refused({ TEMPORAL_TLS_SERVER_NAME: 'not a host/name' }, /TEMPORAL_TLS_SERVER_NAME: must be a host name/);
  });

  test('API key from the environment or a file; it implies TLS unless TEMPORAL_TLS=false; never in the description', () => {
    const keyFile = join(pki.dir, 'api-key');
    writeFileSync(keyFile, 'vf-api-KEY-123\n');
    assert.deepEqual(options({ TEMPORAL_API_KEY: 'vf-api-KEY-123' }), { address: 'localhost:7233', tls: {}, apiKey: 'vf-api-KEY-123' });
    assert.deepEqual(options({ TEMPORAL_API_KEY_FILE: keyFile }).apiKey, 'vf-api-KEY-123');
    assert.deepEqual(options({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }), { address: 'localhost:7233', tls: false, apiKey: 'k' });
    const described = describeConnectionSecurity(loadConfig({ TEMPORAL_API_KEY: 'vf-api-KEY-123', TEMPORAL_TLS_CA: pki.caCert }).temporal);
    assert.equal(described, `TLS, CA ${pki.caCert}, API key`);
    assert.ok(!described.includes('vf-api-KEY-123'));
    refused({ TEMPORAL_API_KEY_FILE: join(pki.dir, 'missing') }, /^TEMPORAL_API_KEY_FILE: cannot read .*\(ENOENT\)$/);
    refused({ TEMPORAL_API_KEY: 'two words' }, /^TEMPORAL_API_KEY: must be one line of visible ASCII characters$/);
    writeFileSync(keyFile, 'line1\nline2\n');
    refused({ TEMPORAL_API_KEY_FILE: keyFile }, /^TEMPORAL_API_KEY_FILE: must be one line/);
  });

  test('the client connection takes an address override and keeps the security settings', () => {
    const temporal = loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS_CA: pki.caCert }).temporal;
    const o = temporalConnectionOptions(temporal, 'other:7233');
    assert.equal(o.address, 'other:7233');
    assert.equal(o.apiKey, 'k');
    assert.ok(o.tls && o.tls.serverRootCACertificate);
  });
});
