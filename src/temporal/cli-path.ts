import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../project-root';
import { findGo, findOnPath, GoBuildError, isExecutable, runGo } from './go-build';

/** The newest CLI tag whose module `go install` accepts (later tags carry a `replace` directive). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'built';

export interface ResolvedCli {
  path: string;
  source: CliSource;
}

export class TemporalCliUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemporalCliUnavailableError';
  }
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the cached build lives (default: <project>/.tools/bin, git-ignored). */
  cacheDir?: string;
  /** Progress lines (the first build takes minutes). */
  log?: (line: string) => void;
}

/**
 * Finds the `temporal` CLI that runs the real dev server: $TEMPORAL_CLI_PATH, then `temporal` on
 * PATH, then a cached build, else builds it from its Go module into the cache.
 */
export async function resolveTemporalCli(options: ResolveOptions = {}): Promise<ResolvedCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  const cacheDir = options.cacheDir ?? join(projectRoot(), '.tools', 'bin');

  if (env.TEMPORAL_CLI_PATH) {
    if (!isExecutable(env.TEMPORAL_CLI_PATH)) {
      throw new TemporalCliUnavailableError(`TEMPORAL_CLI_PATH=${env.TEMPORAL_CLI_PATH} is not an executable file`);
    }
    return { path: env.TEMPORAL_CLI_PATH, source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = findOnPath('temporal', env);
  if (onPath) return { path: onPath, source: 'PATH' };
  const cached = join(cacheDir, 'temporal');
  if (isExecutable(cached)) return { path: cached, source: 'cache' };

  const go = findGo(env);
  if (!go) {
    throw new TemporalCliUnavailableError(
      'No Temporal CLI found and no Go toolchain to build one. Either install the Temporal CLI ' +
        '(https://docs.temporal.io/cli) and put `temporal` on PATH or set TEMPORAL_CLI_PATH, ' +
        'or install Go 1.23 or newer (https://go.dev/dl/) so viralflow can build it with ' +
        `\`go install ${TEMPORAL_CLI_MODULE}\`.`,
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  log(
    `viralflow: building the Temporal CLI from ${TEMPORAL_CLI_MODULE} into ${cacheDir} (first time only; takes a few minutes)`,
  );
  const started = Date.now();
  try {
    await runGo(go, ['install', TEMPORAL_CLI_MODULE], {
      env: { ...env, GOBIN: cacheDir, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
      log,
    });
  } catch (err) {
    throw new TemporalCliUnavailableError((err as GoBuildError).message, { cause: err });
  }
  if (!isExecutable(cached)) throw new TemporalCliUnavailableError(`go install finished but ${cached} is missing`);
  log(`viralflow: Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s: ${cached}`);
  return { path: cached, source: 'built' };
}
