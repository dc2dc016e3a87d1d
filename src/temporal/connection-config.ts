import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import { distance } from 'fastest-levenshtein';
import { ConfigError } from '../config-error';
import { envSecret } from '../env-secret';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /**
   * TLS to the Temporal frontend, or false for plaintext (the dev server). On when any TLS setting or
   * TEMPORAL_TLS=true is given, and when an API key is (unless TEMPORAL_TLS=false says otherwise).
   */
  tls: TemporalTlsConfig | false;
  /** Sent as `Authorization: Bearer …` on every call (Temporal Cloud API keys); never logged. */
  apiKey?: string;
  /** gRPC headers on every call, from the profile's `grpc_meta`. */
  metadata?: Record<string, string>;
  /** The config-file profile the settings were merged with, for messages: `profile "prod" in /path/temporal.toml`. */
  profile?: string;
}

/** PEM contents, read and checked at start-up; where each came from is kept for messages. */
export interface TemporalTlsConfig {
  /** CA that signed the server's certificate (TEMPORAL_TLS_SERVER_CA_CERT_PATH); the system roots when absent. */
  serverRootCACertificate?: Buffer;
  /** mTLS client certificate and its key (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH). */
  clientCertPair?: { crt: Buffer; key: Buffer };
  /** Name checked against the server's certificate instead of the address's host (TEMPORAL_TLS_SERVER_NAME). */
  serverNameOverride?: string;
  /** Each PEM's file, or the variable or profile key that held it inline. */
  files: { ca?: string; cert?: string; key?: string };
}

type Env = Record<string, string | undefined>;

/**
 * The PEM settings under Temporal's standard names (the `temporal` CLI, every SDK's envconfig), each as a
 * file path or inline PEM, and the Web UI server's names this project read first, kept as aliases.
 */
const PEM_SETTINGS = [
  {
    field: 'serverCACert',
    file: 'ca',
    kind: 'certificate',
    path: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    data: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
    alias: 'TEMPORAL_TLS_CA',
    toml: 'server_ca_cert',
  },
  {
    field: 'clientCert',
    file: 'cert',
    kind: 'certificate',
    path: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
    data: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
    alias: 'TEMPORAL_TLS_CERT',
    toml: 'client_cert',
  },
  {
    field: 'clientKey',
    file: 'key',
    kind: 'key',
    path: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
    data: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
    alias: 'TEMPORAL_TLS_KEY',
    toml: 'client_key',
  },
] as const;
type PemSetting = (typeof PEM_SETTINGS)[number];
const [, CERT, KEY] = PEM_SETTINGS;

/** Every TEMPORAL_TLS_* name accepted; any other is a typo, refused rather than silently ignored. */
const STANDARD_TLS_VARIABLES = [
  ...PEM_SETTINGS.flatMap((s) => [s.path, s.data]),
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
];
const ALIASES: Record<string, string> = Object.fromEntries(PEM_SETTINGS.map((s) => [s.alias, s.path]));

const BOOLEAN = /^(true|false|1|0)$/;
// A DNS name: what the server's certificate must be issued for.
const HOST_NAME = /^[A-Za-z0-9*]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * The Temporal connection from the environment, merged over a config-file profile the way the `temporal`
 * CLI does (TEMPORAL_CONFIG_FILE, default ~/.config/temporalio/temporal.toml; TEMPORAL_PROFILE, default
 * `default`): environment first, then the profile, then the defaults. TLS files are read and checked now,
 * so a bad path fails start-up naming the variable or profile key. `env` holds no empty values.
 */
export function temporalConfig(env: Env, taskQueue: string): TemporalConfig {
  refuseUnknownTlsVariables(env);
  for (const name of ['TEMPORAL_TLS', 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION']) {
    if (env[name] !== undefined && !BOOLEAN.test(env[name])) throw new ConfigError(`${name}: must be true or false`);
  }
  if (env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === 'true' || env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === '1') {
    throw new ConfigError(
      "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: the Temporal TypeScript SDK always verifies the server's certificate; " +
        'set TEMPORAL_TLS_SERVER_NAME to the name it is issued for (and TEMPORAL_TLS_SERVER_CA_CERT_PATH to its CA)',
    );
  }
  const { profile, label: profileLabel } = loadProfile(env);

  const apiKey = apiKeyFrom(env, profile, profileLabel);
  const base: TemporalConfig = {
    address: env.TEMPORAL_ADDRESS ?? profile.address ?? 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? profile.namespace ?? 'default',
    taskQueue,
    tls: false,
    ...(apiKey !== undefined && { apiKey }),
    ...(profile.grpcMeta && Object.keys(profile.grpcMeta).length > 0 && { metadata: profile.grpcMeta }),
    ...(profileLabel !== undefined && { profile: profileLabel }),
  };

  const tlsFlag = env.TEMPORAL_TLS === undefined ? undefined : env.TEMPORAL_TLS === 'true' || env.TEMPORAL_TLS === '1';
  const given = [...PEM_SETTINGS.flatMap((s) => [s.alias, s.path, s.data]), 'TEMPORAL_TLS_SERVER_NAME'].filter(
    (name) => env[name] !== undefined,
  );
  if (tlsFlag === false) {
    if (given.length) throw new ConfigError(`TEMPORAL_TLS=false conflicts with ${given.join(', ')}`);
    return base;
  }
  if (tlsFlag === undefined && profile.tls?.disabled) {
    if (given.length) {
      throw new ConfigError(
        `${profileLabel} has tls.disabled = true, which conflicts with ${given.join(', ')} (TEMPORAL_TLS=true overrides it)`,
      );
    }
    return base;
  }
  if (!tlsFlag && !given.length && profile.tls === undefined && apiKey === undefined) return base;

  const [ca, cert, key] = PEM_SETTINGS.map((s) => pemSource(env, s, profile, profileLabel));
  if ((cert === undefined) !== (key === undefined)) {
    const has = (cert ?? key)!;
    const missing = counterpart(has.label, cert ? CERT : KEY, cert ? KEY : CERT, profileLabel);
    throw new ConfigError(`${missing}: required with ${has.label} (mTLS needs the client certificate and its key)`);
  }
  const tls: TemporalTlsConfig = { files: {} };
  if (ca) {
    tls.serverRootCACertificate = readPem(ca, 'certificate');
    tls.files.ca = ca.path ?? ca.label;
  }
  if (cert && key) {
    const crt = readPem(cert, 'certificate');
    const pem = readPem(key, 'key');
    if (!new X509Certificate(crt).checkPrivateKey(createPrivateKey(pem))) {
      throw new ConfigError(
        `${key.label}: ${key.path ?? 'the value'} is not the private key of the certificate in ${cert.label}` +
          (cert.path ? ` (${cert.path})` : ''),
      );
    }
    tls.clientCertPair = { crt, key: pem };
    Object.assign(tls.files, { cert: cert.path ?? cert.label, key: key.path ?? key.label });
  }
  const serverName = env.TEMPORAL_TLS_SERVER_NAME ?? profile.tls?.serverName;
  if (serverName !== undefined) {
    if (!HOST_NAME.test(serverName)) {
      const from =
        env.TEMPORAL_TLS_SERVER_NAME !== undefined ? 'TEMPORAL_TLS_SERVER_NAME' : `${profileLabel} tls.server_name`;
      throw new ConfigError(`${from}: must be a host name`);
    }
    tls.serverNameOverride = serverName;
  }
  return { ...base, tls };
}

/** A TEMPORAL_TLS_* name no tool reads: most likely a misspelt standard one, which would otherwise leave TLS off. */
function refuseUnknownTlsVariables(env: Env): void {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('TEMPORAL_TLS_') || env[name] === undefined) continue;
    if (STANDARD_TLS_VARIABLES.includes(name) || name in ALIASES) continue;
    throw new ConfigError(`${name} is not a Temporal connection setting; did you mean ${closestTlsVariable(name)}?`);
  }
}

/**
 * The standard name sharing the most words with `name` (`TEMPORAL_TLS_CA_CERT` → …_SERVER_CA_CERT_PATH),
 * then the fewest edits (`…_SERVERNAME` → …_SERVER_NAME); edit distance alone prefers short names.
 */
function closestTlsVariable(name: string): string {
  const words = (n: string) => n.slice('TEMPORAL_TLS_'.length).split('_');
  const wanted = new Set(words(name));
  const score = (candidate: string) => words(candidate).filter((w) => wanted.has(w)).length;
  return [...STANDARD_TLS_VARIABLES].sort((a, b) => score(b) - score(a) || distance(name, a) - distance(name, b))[0]!;
}

/** The profile the environment is merged over; none (an empty one) when there is no config file. */
function loadProfile(env: Env): { profile: ClientConfigProfile; label?: string } {
  const file = env.TEMPORAL_CONFIG_FILE;
  let configSource: ConfigDataSource | undefined;
  if (file !== undefined) {
    // envconfig treats a missing file as no file; one named explicitly must exist.
    try {
      configSource = { data: readFileSync(file, 'utf8') };
    } catch (err) {
      throw new ConfigError(
        `TEMPORAL_CONFIG_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const name = env.TEMPORAL_PROFILE ?? 'default';
  const label = `profile "${name}"${file !== undefined ? ` in ${file}` : ''}`;
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      ...(configSource && { configSource }),
      ...(env.TEMPORAL_PROFILE !== undefined && { profile: env.TEMPORAL_PROFILE }),
      // The environment is merged here, so each value's source can be named in messages.
      disableEnv: true,
      // An unknown key (a typo such as `client_cert`) is refused, as an unknown TEMPORAL_TLS_* variable is.
      configFileStrict: true,
      overrideEnvVars: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    });
  } catch (err) {
    const from = env.TEMPORAL_PROFILE !== undefined ? 'TEMPORAL_PROFILE' : 'the Temporal config file';
    throw new ConfigError(`${from} (${label}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return Object.keys(profile).length > 0 ? { profile, label } : { profile };
}

function apiKeyFrom(env: Env, profile: ClientConfigProfile, profileLabel: string | undefined): string | undefined {
  const fromEnv = envSecret(env, 'TEMPORAL_API_KEY');
  const apiKey = fromEnv ?? profile.apiKey;
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) {
    // It travels in an HTTP/2 header: whitespace or control characters would break (or smuggle) headers.
    const from =
      fromEnv === undefined
        ? `${profileLabel} api_key`
        : env.TEMPORAL_API_KEY
          ? 'TEMPORAL_API_KEY'
          : 'TEMPORAL_API_KEY_FILE';
    throw new ConfigError(`${from}: must be one line of visible ASCII characters`);
  }
  return apiKey;
}

/** Where one PEM comes from: `label` names the variable or profile key; `path`, or inline `data`. */
interface PemSource {
  label: string;
  path?: string;
  data?: Buffer;
}

function pemSource(
  env: Env,
  s: PemSetting,
  profile: ClientConfigProfile,
  profileLabel?: string,
): PemSource | undefined {
  const given = [s.path, s.alias, s.data].filter((name) => env[name] !== undefined);
  const sameFile = given.length === 2 && !given.includes(s.data) && env[s.path] === env[s.alias];
  if (given.length > 1 && !sameFile) {
    throw new ConfigError(`${given.join(' and ')} are both set; set ${s.path} (or ${s.data} for inline PEM) only`);
  }
  if (env[s.path] !== undefined) return { label: s.path, path: env[s.path] };
  if (env[s.alias] !== undefined) return { label: s.alias, path: env[s.alias] };
  if (env[s.data] !== undefined) return { label: s.data, data: Buffer.from(env[s.data]!) };
  const fromProfile = profile.tls?.[s.field];
  if (fromProfile === undefined) return undefined;
  if ('path' in fromProfile) return { label: `${profileLabel} tls.${s.toml}_path`, path: fromProfile.path };
  return { label: `${profileLabel} tls.${s.toml}_data`, data: Buffer.from(fromProfile.data) };
}

/** The name of the other half of the mTLS pair, in the same family as the half that was given. */
function counterpart(givenLabel: string, given: PemSetting, other: PemSetting, profileLabel?: string): string {
  if (givenLabel === given.alias) return other.alias;
  if (givenLabel === given.path || givenLabel === given.data) return other.path;
  return `${profileLabel} tls.${other.toml}_path`;
}

/** A PEM that must hold a parsable certificate or private key; the message names its source, never its contents. */
function readPem(source: PemSource, kind: 'certificate' | 'key'): Buffer {
  let pem: Buffer;
  if (source.path !== undefined) {
    try {
      pem = readFileSync(source.path);
    } catch (err) {
      throw new ConfigError(
        `${source.label}: cannot read ${source.path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  } else {
    pem = source.data!;
  }
  try {
    if (kind === 'certificate') {
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
      new X509Certificate(pem); // the first one must parse; a CA bundle may hold more
    } else {
      createPrivateKey(pem);
    }
  } catch {
    const what = source.path ?? 'the value';
    throw new ConfigError(
      `${source.label}: ${what} is not a PEM ${kind === 'certificate' ? 'certificate' : 'private key'}`,
    );
  }
  return pem;
}
