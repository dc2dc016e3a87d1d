import { redactUrl } from '../../redact-url';

/**
 * Typed errors for the PostgreSQL store, each naming the setting to fix and the server's own words,
 * never the password: every URL in a message goes through `redactDatabaseUrl`.
 */

export const DATABASE_URL_SETTING = 'VIRALFLOW_DATABASE_URL';

/** `postgres://user:***@host:port/db` — the URL with its password masked (and any `password=` query parameter). */
export function redactDatabaseUrl(url: string): string {
  return redactUrl(url, '(an unparsable URL)');
}

/** `host:port/database` of a database URL: which store, without user or password. */
export function databaseLocation(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}

export type StoreErrorKind =
  'unreachable' | 'authentication' | 'permission' | 'schema-too-new' | 'no-database' | 'other';

export class ResultsStoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ResultsStoreError';
  }
}

/** The schema in the database was written by a newer viralflow than this one. */
export class SchemaTooNewError extends ResultsStoreError {
  constructor(
    readonly databaseVersion: number,
    readonly codeVersion: number,
    unknown: readonly string[],
  ) {
    super(
      'schema-too-new',
      `database schema version ${databaseVersion} is newer than this viralflow (${codeVersion}): upgrade the workers ` +
        `(migrations this version does not know: ${unknown.join(', ')})`,
    );
    this.name = 'SchemaTooNewError';
  }
}

interface PgLikeError {
  code?: string;
  message?: string;
  errors?: unknown[];
}

/** Turns a driver or server error from `doing` into a ResultsStoreError that says what to fix. */
export function describeStoreError(err: unknown, url: string, doing: string): ResultsStoreError {
  if (err instanceof ResultsStoreError) return err;
  const e = (err ?? {}) as PgLikeError;
  // AggregateError (connect to both ::1 and 127.0.0.1) carries the codes on its members.
  const code = e.code ?? (e.errors?.[0] as PgLikeError | undefined)?.code;
  const detail = scrub(e.message || (e.errors?.[0] as PgLikeError | undefined)?.message || String(err), url);
  const where = `${DATABASE_URL_SETTING} (${redactDatabaseUrl(url)})`;
  const make = (kind: StoreErrorKind, text: string) => new ResultsStoreError(kind, text, { cause: err });
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ECONNRESET':
    case '57P01': // admin_shutdown
    case '57P03': // cannot_connect_now (starting up, shutting down)
      return make('unreachable', `cannot reach PostgreSQL at ${where} while ${doing}: ${detail}`);
    case '28P01':
    case '28000':
      return make('authentication', `PostgreSQL refused the credentials in ${where} while ${doing}: ${detail}`);
    case '3D000':
      return make('no-database', `the database named in ${where} does not exist: ${detail}`);
    case '42501':
      return make(
        'permission',
        `the role in ${where} lacks a privilege the results store needs while ${doing}: ${detail} ` +
          `(use the database owner's role, or grant SELECT, INSERT, UPDATE, DELETE on viralflow's tables and run \`viralflow db migrate\` as the owner)`,
      );
    default:
      if (/timeout|terminated|Connection terminated/i.test(detail)) {
        return make('unreachable', `lost PostgreSQL at ${where} while ${doing}: ${detail}`);
      }
      return make('other', `PostgreSQL error while ${doing} (${where}): ${detail}`);
  }
}

/** Server and driver messages never hold the password, but a URL echoed back might: mask it anyway. */
function scrub(message: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // nothing to mask
  }
  return password ? message.split(password).join('***') : message;
}
