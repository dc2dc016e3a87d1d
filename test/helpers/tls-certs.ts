import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  /** PEM file paths. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A key that belongs to no certificate here (for the mismatch check). */
  strayKey: string;
  /** A certificate from another CA, which the server must not accept as a client. */
  otherClientCert: string;
  otherClientKey: string;
}

/** The name the server certificate is issued for (besides localhost and 127.0.0.1). */
export const SERVER_NAME = 'temporal.viralflow.test';

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT')
      throw new Error(
        'these tests need the `openssl` command (Debian: apt-get install openssl) to make test certificates',
      );
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString() ?? e.message}`);
  }
}

/**
 * A throwaway PKI made with the openssl CLI: a CA, a server certificate for SERVER_NAME, localhost
 * and 127.0.0.1, a client certificate (mTLS) from the same CA, and a client pair from another CA.
 * EC P-256, valid for two days; nothing here is a secret anyone else holds.
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'viralflow-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) =>
    openssl(
      ['req', '-x509', ...ec, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`],
      dir,
    );
  const issue = (name: string, signer: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${signer}.crt`,
        '-CAkey',
        `${signer}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ],
      dir,
    );
  };
  ca('viralflow-test-ca');
  ca('other-ca');
  issue(
    'server',
    'viralflow-test-ca',
    `subjectAltName=DNS:${SERVER_NAME},DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n`,
  );
  issue('worker-client', 'viralflow-test-ca', 'extendedKeyUsage=clientAuth\n');
  issue('other-client', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  openssl(['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'stray.key'], dir);
  const f = (name: string) => join(dir, name);
  return {
    dir,
    caCert: f('viralflow-test-ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('worker-client.crt'),
    clientKey: f('worker-client.key'),
    strayKey: f('stray.key'),
    otherClientCert: f('other-client.crt'),
    otherClientKey: f('other-client.key'),
  };
}
