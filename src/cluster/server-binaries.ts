import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../project-root';
import { findGo, findOnPath, isExecutable, runGo, type GoBuildError } from '../temporal/go-build';

/**
 * The Temporal server version the cluster runs: the one the CLI (v1.5.1) embeds, so the dev server the
 * tests use and the cluster are the same server. docker-compose.yml pins the same version.
 */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';

export type BinarySource = 'env' | 'PATH' | 'cache' | 'built';

export interface ServerBinaries {
  /** The server (`temporal-server` in release archives, `server` from `go install`). */
  server: string;
  /** The SQL schema tool (`temporal-sql-tool`, `sql` from `go install`). */
  sqlTool: string;
  /** The module's `schema/` folder: `postgresql/v12/{temporal,visibility}/versioned`. */
  schemaDir: string;
  sources: { server: BinarySource; sqlTool: BinarySource; schemaDir: 'env' | 'module' };
}

export class ServerBinariesUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ServerBinariesUnavailableError';
  }
}

export interface ResolveServerOptions {
  env?: NodeJS.ProcessEnv;
  /** Where cached builds live. @default <project>/.tools/bin (git-ignored) */
  cacheDir?: string;
  /** Progress lines (the first build takes minutes). @default stderr */
  log?: (line: string) => void;
}

interface Tool {
  /** Environment variable naming the file. */
  envVar: string;
  /** Name in release archives, looked up on PATH. */
  releaseName: string;
  /** What `go install` names it (the package folder's name). */
  goName: string;
  pkg: string;
}

const SERVER: Tool = {
  envVar: 'TEMPORAL_SERVER_PATH',
  releaseName: 'temporal-server',
  goName: 'server',
  pkg: 'cmd/server',
};
const SQL_TOOL: Tool = {
  envVar: 'TEMPORAL_SQL_TOOL_PATH',
  releaseName: 'temporal-sql-tool',
  goName: 'sql',
  pkg: 'cmd/tools/sql',
};

/**
 * Finds the Temporal server and its SQL schema tool by the same rules as the CLI (src/temporal/cli-path.ts):
 * the environment variable, the release name on PATH, a cached build, else `go install` of the pinned
 * module into the cache. The schema files come from $TEMPORAL_SCHEMA_DIR or the Go module cache.
 */
export async function resolveServerBinaries(options: ResolveServerOptions = {}): Promise<ServerBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  const cacheDir = options.cacheDir ?? join(projectRoot(), '.tools', 'bin');
  const server = await resolveTool(SERVER, env, cacheDir, log);
  const sqlTool = await resolveTool(SQL_TOOL, env, cacheDir, log);
  const schema = await resolveSchemaDir(env, log);
  return {
    server: server.path,
    sqlTool: sqlTool.path,
    schemaDir: schema.path,
    sources: { server: server.source, sqlTool: sqlTool.source, schemaDir: schema.source },
  };
}

async function resolveTool(tool: Tool, env: NodeJS.ProcessEnv, cacheDir: string, log: (l: string) => void) {
  const fromEnv = env[tool.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv))
      throw new ServerBinariesUnavailableError(`${tool.envVar}=${fromEnv} is not an executable file`);
    return { path: fromEnv, source: 'env' as const };
  }
  const onPath = findOnPath(tool.releaseName, env);
  if (onPath) return { path: onPath, source: 'PATH' as const };
  const cached = join(cacheDir, tool.goName);
  if (isExecutable(cached)) return { path: cached, source: 'cache' as const };

  const go = requireGo(env, `${tool.releaseName} (set ${tool.envVar} or put it on PATH)`);
  const module = `${TEMPORAL_SERVER_MODULE}/${tool.pkg}@v${TEMPORAL_SERVER_VERSION}`;
  mkdirSync(cacheDir, { recursive: true });
  log(`viralflow: building ${tool.releaseName} from ${module} into ${cacheDir} (first time only; a few minutes)`);
  const started = Date.now();
  try {
    await runGo(go, ['install', module], {
      env: { ...env, GOBIN: cacheDir, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
      log,
    });
  } catch (err) {
    throw new ServerBinariesUnavailableError((err as GoBuildError).message, { cause: err });
  }
  if (!isExecutable(cached)) throw new ServerBinariesUnavailableError(`go install finished but ${cached} is missing`);
  log(`viralflow: ${tool.releaseName} built in ${Math.round((Date.now() - started) / 1000)} s: ${cached}`);
  return { path: cached, source: 'built' as const };
}

async function resolveSchemaDir(env: NodeJS.ProcessEnv, log: (l: string) => void) {
  const fromEnv = env.TEMPORAL_SCHEMA_DIR;
  if (fromEnv) {
    requireSchemas(fromEnv, 'TEMPORAL_SCHEMA_DIR');
    return { path: fromEnv, source: 'env' as const };
  }
  // The module's source is in the Go module cache after a build; a download is only needed otherwise.
  const go = requireGo(env, "the schema files (set TEMPORAL_SCHEMA_DIR to the server source's schema/ folder)");
  let dir: string;
  try {
    const out = await runGo(go, ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`], {
      env,
      log,
      quiet: true,
    });
    dir = (JSON.parse(out) as { Dir?: string }).Dir ?? '';
  } catch (err) {
    throw new ServerBinariesUnavailableError(
      `cannot locate the server module's schema files: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const schemaDir = join(dir, 'schema');
  requireSchemas(schemaDir, `${TEMPORAL_SERVER_MODULE}@v${TEMPORAL_SERVER_VERSION}`);
  return { path: schemaDir, source: 'module' as const };
}

function requireSchemas(schemaDir: string, from: string) {
  for (const store of ['temporal', 'visibility']) {
    const versioned = join(schemaDir, 'postgresql', 'v12', store, 'versioned');
    if (!existsSync(versioned)) throw new ServerBinariesUnavailableError(`${from}: no ${versioned}`);
  }
}

function requireGo(env: NodeJS.ProcessEnv, what: string): string {
  const go = findGo(env);
  if (!go) {
    throw new ServerBinariesUnavailableError(
      `No ${what} found and no Go toolchain to build it: install Go 1.23 or newer (https://go.dev/dl/), ` +
        `or unpack Temporal's server release v${TEMPORAL_SERVER_VERSION} and set TEMPORAL_SERVER_PATH, TEMPORAL_SQL_TOOL_PATH and TEMPORAL_SCHEMA_DIR.`,
    );
  }
  return go;
}
