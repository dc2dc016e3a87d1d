/**
 * Connecting to a secured Temporal cluster: Temporal's standard TEMPORAL_TLS_* names (and the older
 * ones as aliases), TOML profiles, TEMPORAL_API_KEY(_FILE) read and checked by
 * loadConfig (a bad file stops start-up naming the variable), and turned into the options both the
 * client's Connection and the worker's NativeConnection take. The end-to-end check against a TLS
 * endpoint is in test/integration/secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    assert.deepEqual(options({ TEMPORAL_TLS: 'true', TEMPORAL_ADDRESS: 'temporal.example:7233' }), {
      address: 'temporal.example:7233',
      tls: {},
    });
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
    const described = describeConnectionSecurity(
      loadConfig({ TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.clientKey, TEMPORAL_TLS_CA: pki.caCert })
        .temporal,
    );
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
    refused(
      { TEMPORAL_TLS_CERT: missing, TEMPORAL_TLS_KEY: pki.clientKey },
      /^TEMPORAL_TLS_CERT: cannot read .*\(ENOENT\)$/,
    );
    refused(
      { TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.dir },
      /^TEMPORAL_TLS_KEY: cannot read .* \(EISDIR\)$/,
    );
    // A key where a certificate belongs, and the other way round.
    refused({ TEMPORAL_TLS_CA: pki.clientKey }, /^TEMPORAL_TLS_CA: .* is not a PEM certificate$/);
    refused(
      { TEMPORAL_TLS_CERT: pki.clientKey, TEMPORAL_TLS_KEY: pki.clientKey },
      /^TEMPORAL_TLS_CERT: .* is not a PEM certificate$/,
    );
    refused(
      { TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.clientCert },
      /^TEMPORAL_TLS_KEY: .* is not a PEM private key$/,
    );
    // A key that does not belong to the certificate.
    refused(
      { TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.strayKey },
      /^TEMPORAL_TLS_KEY: .*stray\.key is not the private key of the certificate in TEMPORAL_TLS_CERT/,
    );
    // The key's PEM never shows up in a message.
    const keyPem = readFileSync(pki.strayKey, 'utf8');
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CERT: pki.clientCert, TEMPORAL_TLS_KEY: pki.strayKey }),
      (err: Error) => !err.message.includes(keyPem.split('\n')[1]!),
    );
  });

  test('half an mTLS pair, or TLS settings with TEMPORAL_TLS=false, is refused', () => {
    refused({ TEMPORAL_TLS_CERT: pki.clientCert }, /^TEMPORAL_TLS_KEY: required with TEMPORAL_TLS_CERT/);
    refused({ TEMPORAL_TLS_KEY: pki.clientKey }, /^TEMPORAL_TLS_CERT: required with TEMPORAL_TLS_KEY/);
    refused(
      { TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: pki.caCert },
      /TEMPORAL_TLS=false conflicts with TEMPORAL_TLS_CA/,
    );
    refused({ TEMPORAL_TLS_SERVER_NAME: 'not a host/name' }, /TEMPORAL_TLS_SERVER_NAME: must be a host name/);
  });

  test('API key from the environment or a file; it implies TLS unless TEMPORAL_TLS=false; never in the description', () => {
    const keyFile = join(pki.dir, 'api-key');
    writeFileSync(keyFile, 'vf-api-KEY-123\n');
    assert.deepEqual(options({ TEMPORAL_API_KEY: 'vf-api-KEY-123' }), {
      address: 'localhost:7233',
      tls: {},
      apiKey: 'vf-api-KEY-123',
    });
    assert.deepEqual(options({ TEMPORAL_API_KEY_FILE: keyFile }).apiKey, 'vf-api-KEY-123');
    assert.deepEqual(options({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }), {
      address: 'localhost:7233',
      tls: false,
      apiKey: 'k',
    });
    const described = describeConnectionSecurity(
      loadConfig({ TEMPORAL_API_KEY: 'vf-api-KEY-123', TEMPORAL_TLS_CA: pki.caCert }).temporal,
    );
    assert.equal(described, `TLS, CA ${pki.caCert}, API key`);
    assert.ok(!described.includes('vf-api-KEY-123'));
    refused({ TEMPORAL_API_KEY_FILE: join(pki.dir, 'missing') }, /^TEMPORAL_API_KEY_FILE: cannot read .*\(ENOENT\)$/);
    refused({ TEMPORAL_API_KEY: 'two words' }, /^TEMPORAL_API_KEY: must be one line of visible ASCII characters$/);
    writeFileSync(keyFile, 'line1\nline2\n');
    refused({ TEMPORAL_API_KEY_FILE: keyFile }, /^TEMPORAL_API_KEY_FILE: must be one line/);
  });

  test("Temporal's standard names give the same connection as the older names, and name themselves in messages", () => {
    const standard = options({
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    const older = options({
      TEMPORAL_TLS_CERT: pki.clientCert,
      TEMPORAL_TLS_KEY: pki.clientKey,
      TEMPORAL_TLS_CA: pki.caCert,
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    assert.ok(standard.tls && standard.tls.clientCertPair && standard.tls.serverRootCACertificate);
    assert.deepEqual(standard, older);
    // The same file under both names is accepted (a deployment moving over); two different files are not.
    assert.deepEqual(
      options({ TEMPORAL_TLS_CA: pki.caCert, TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert }).tls,
      options({ TEMPORAL_TLS_CA: pki.caCert }).tls,
    );
    refused(
      { TEMPORAL_TLS_CA: pki.caCert, TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.clientCert },
      /^TEMPORAL_TLS_SERVER_CA_CERT_PATH and TEMPORAL_TLS_CA are both set/,
    );
    const missing = join(pki.dir, 'nope.pem');
    refused(
      { TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing },
      /^TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read .*nope\.pem \(ENOENT\)$/,
    );
    refused(
      { TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert },
      /^TEMPORAL_TLS_CLIENT_KEY_PATH: required with TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );
    refused(
      { TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: pki.strayKey },
      /^TEMPORAL_TLS_CLIENT_KEY_PATH: .*stray\.key is not the private key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );
    refused(
      { TEMPORAL_TLS: 'false', TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert },
      /TEMPORAL_TLS=false conflicts with TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );
  });

  test('inline PEMs (the _DATA variables) are checked like files; their contents never show in a message', () => {
    const pem = (file: string) => readFileSync(file, 'utf8');
    const o = options({
      TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.clientCert),
      TEMPORAL_TLS_CLIENT_KEY_DATA: pem(pki.clientKey),
      TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem(pki.caCert),
    });
    assert.ok(o.tls);
    assert.deepEqual(Buffer.from(o.tls.clientCertPair!.key), readFileSync(pki.clientKey));
    assert.deepEqual(Buffer.from(o.tls.serverRootCACertificate!), readFileSync(pki.caCert));
    assert.equal(
      describeConnectionSecurity(
        loadConfig({
          TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.clientCert),
          TEMPORAL_TLS_CLIENT_KEY_DATA: pem(pki.clientKey),
        }).temporal,
      ),
      'mTLS (client certificate TEMPORAL_TLS_CLIENT_CERT_DATA), system CAs',
    );
    refused(
      { TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem(pki.clientKey) },
      /^TEMPORAL_TLS_SERVER_CA_CERT_DATA: the value is not a PEM certificate$/,
    );
    refused(
      { TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.clientCert), TEMPORAL_TLS_CLIENT_KEY_DATA: pem(pki.strayKey) },
      /^TEMPORAL_TLS_CLIENT_KEY_DATA: the value is not the private key of the certificate in TEMPORAL_TLS_CLIENT_CERT_DATA$/,
    );
    refused(
      {
        TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.clientCert),
        TEMPORAL_TLS_CLIENT_CERT_PATH: pki.clientCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: pki.clientKey,
      },
      /both set/,
    );
    assert.throws(
      () =>
        loadConfig({
          TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.clientCert),
          TEMPORAL_TLS_CLIENT_KEY_DATA: pem(pki.strayKey),
        }),
      (err: Error) => !err.message.includes(pem(pki.strayKey).split('\n')[1]!),
    );
  });

  test('an unknown TEMPORAL_TLS_* variable is refused, naming the standard one it most likely means', () => {
    const suggests = (name: string, meant: string) =>
      refused(
        { [name]: pki.clientCert },
        new RegExp(`^${name} is not a Temporal connection setting; did you mean ${meant}\\?$`),
      );
    suggests('TEMPORAL_TLS_CLIENT_CERT', 'TEMPORAL_TLS_CLIENT_CERT_PATH');
    suggests('TEMPORAL_TLS_CLIENT_KEY', 'TEMPORAL_TLS_CLIENT_KEY_PATH');
    suggests('TEMPORAL_TLS_CA_CERT', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
    suggests('TEMPORAL_TLS_SERVER_CA_CERT', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
    suggests('TEMPORAL_TLS_CERT_DATA', 'TEMPORAL_TLS_CLIENT_CERT_DATA'); // the Web UI server's inline name
    suggests('TEMPORAL_TLS_SERVERNAME', 'TEMPORAL_TLS_SERVER_NAME');
    suggests('TEMPORAL_TLS_CLINET_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_PATH');
    // Refused even beside a complete, valid setting: a typo must not pass because TLS happens to be on.
    refused(
      { TEMPORAL_TLS_CA: pki.caCert, TEMPORAL_TLS_SERVER_NAMES: SERVER_NAME },
      /did you mean TEMPORAL_TLS_SERVER_NAME\?/,
    );
  });

  test('TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: false changes nothing; true is refused (the SDK cannot skip verification)', () => {
    assert.deepEqual(options({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'false' }), {
      address: 'localhost:7233',
      tls: false,
    });
    refused(
      { TEMPORAL_TLS_CA: pki.caCert, TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' },
      /^TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: .*always verifies .*TEMPORAL_TLS_SERVER_NAME/,
    );
    refused(
      { TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'no' },
      /^TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: must be true or false$/,
    );
  });

  describe('TOML profiles (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), as the temporal CLI reads them', () => {
    const toml = (name: string, text: string) => {
      const file = join(pki.dir, name);
      writeFileSync(file, text);
      return file;
    };
    let file: string;
    before(() => {
      file = toml(
        'temporal.toml',
        [
          '[profile.default]',
          'address = "default.example:7233"',
          '',
          '[profile.prod]',
          'address = "prod.example:7233"',
          'namespace = "prod-ns"',
          'api_key = "vf-profile-KEY"',
          '[profile.prod.grpc_meta]',
          'x-tenant = "viralflow"',
          '[profile.prod.tls]',
          `client_cert_path = "${pki.clientCert}"`,
          `client_key_path = "${pki.clientKey}"`,
          `server_ca_cert_path = "${pki.caCert}"`,
          `server_name = "${SERVER_NAME}"`,
          '',
          '[profile.off.tls]',
          'disabled = true',
          '',
        ].join('\n'),
      );
    });

    test('the selected profile gives address, namespace, mTLS, API key and gRPC headers', () => {
      const config = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }).temporal;
      assert.equal(config.namespace, 'prod-ns');
      const o = temporalConnectionOptions(config);
      assert.equal(o.address, 'prod.example:7233');
      assert.equal(o.apiKey, 'vf-profile-KEY');
      assert.deepEqual(o.metadata, { 'x-tenant': 'viralflow' });
      assert.ok(o.tls);
      assert.deepEqual(Buffer.from(o.tls.clientCertPair!.crt), readFileSync(pki.clientCert));
      assert.equal(o.tls.serverNameOverride, SERVER_NAME);
      assert.equal(
        describeConnectionSecurity(config),
        `mTLS (client certificate ${pki.clientCert}), CA ${pki.caCert}, server name ${SERVER_NAME}, API key, gRPC headers x-tenant, merged with profile "prod" in ${file}`,
      );
      // Without TEMPORAL_PROFILE, the "default" profile.
      assert.deepEqual(options({ TEMPORAL_CONFIG_FILE: file }), { address: 'default.example:7233', tls: false });
    });

    test('the environment overrides the profile, setting by setting', () => {
      const o = options({
        TEMPORAL_CONFIG_FILE: file,
        TEMPORAL_PROFILE: 'prod',
        TEMPORAL_ADDRESS: 'env.example:7233',
        TEMPORAL_API_KEY: 'env-key',
        TEMPORAL_TLS_SERVER_NAME: 'other.example',
      });
      assert.equal(o.address, 'env.example:7233');
      assert.equal(o.apiKey, 'env-key');
      assert.ok(o.tls && o.tls.clientCertPair);
      assert.equal(o.tls.serverNameOverride, 'other.example');
      assert.equal(options({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_TLS: 'false' }).tls, false);
      assert.equal(options({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'off' }).tls, false);
      assert.deepEqual(options({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'off', TEMPORAL_TLS: 'true' }).tls, {});
      refused(
        { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'off', TEMPORAL_TLS_CA: pki.caCert },
        /^profile "off" .* tls\.disabled = true, which conflicts with TEMPORAL_TLS_CA/,
      );
    });

    test('the default file is $XDG_CONFIG_HOME/temporalio/temporal.toml', () => {
      const home = join(pki.dir, 'xdg');
      mkdirSync(join(home, 'temporalio'), { recursive: true });
      writeFileSync(join(home, 'temporalio', 'temporal.toml'), readFileSync(file));
      assert.equal(options({ XDG_CONFIG_HOME: home, TEMPORAL_PROFILE: 'prod' }).address, 'prod.example:7233');
      assert.equal(options({ XDG_CONFIG_HOME: join(pki.dir, 'nothing-here') }).address, 'localhost:7233');
    });

    test('a missing file or profile, a typo in the file, or a bad file named in it is refused, naming where', () => {
      refused(
        { TEMPORAL_CONFIG_FILE: join(pki.dir, 'none.toml') },
        /^TEMPORAL_CONFIG_FILE: cannot read .*none\.toml \(ENOENT\)$/,
      );
      refused(
        { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' },
        /^TEMPORAL_PROFILE \(profile "staging" in .*\): Profile 'staging' not found/,
      );
      refused({ TEMPORAL_PROFILE: 'prod' }, /^TEMPORAL_PROFILE \(profile "prod"\): Profile 'prod' not found/);
      const typo = toml('typo.toml', `[profile.default.tls]\nclient_cert = "${pki.clientCert}"\n`);
      refused({ TEMPORAL_CONFIG_FILE: typo }, /unrecognized in profile\.default\.tls: client_cert/);
      refused(
        { TEMPORAL_CONFIG_FILE: toml('broken.toml', '[profile.default\naddress = 1\n') },
        /^the Temporal config file \(profile "default" in .*broken\.toml\): /,
      );
      const badPaths = toml(
        'bad-paths.toml',
        `[profile.default.tls]\nclient_cert_path = "${pki.clientCert}"\nclient_key_path = "${join(pki.dir, 'gone.key')}"\n`,
      );
      refused(
        { TEMPORAL_CONFIG_FILE: badPaths },
        new RegExp(
          `^profile "default" in .*bad-paths\\.toml tls\\.client_key_path: cannot read .*gone\\.key \\(ENOENT\\)$`,
        ),
      );
      const halfPair = toml('half.toml', `[profile.default.tls]\nclient_cert_path = "${pki.clientCert}"\n`);
      refused(
        { TEMPORAL_CONFIG_FILE: halfPair },
        /^profile "default" in .*half\.toml tls\.client_key_path: required with profile "default" in .*half\.toml tls\.client_cert_path/,
      );
      refused(
        { TEMPORAL_CONFIG_FILE: toml('key.toml', '[profile.default]\napi_key = "two words"\n') },
        /^profile "default" in .*key\.toml api_key: must be one line of visible ASCII characters$/,
      );
    });
  });

  test('the client connection takes an address override and keeps the security settings', () => {
    const temporal = loadConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS_CA: pki.caCert }).temporal;
    const o = temporalConnectionOptions(temporal, 'other:7233');
    assert.equal(o.address, 'other:7233');
    assert.equal(o.apiKey, 'k');
    assert.ok(o.tls && o.tls.serverRootCACertificate);
  });
});
