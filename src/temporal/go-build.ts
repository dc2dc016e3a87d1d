import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A Go build that failed or could not start; `message` carries the tail of Go's output. */
export class GoBuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GoBuildError';
  }
}

/** `go` on PATH, else the official tarball's default location; undefined when there is no toolchain. */
export function findGo(env: NodeJS.ProcessEnv): string | undefined {
  return findOnPath('go', env) ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Runs `go <args>` (an install or a module download), relaying Go's output as progress lines and a
 * "still building" line every 30 s, since compiling prints nothing for minutes.
 * Resolves with stdout; rejects with a GoBuildError holding the output's tail.
 */
export function runGo(
  go: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; log: (line: string) => void; quiet?: boolean },
): Promise<string> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      if (!options.quiet)
        for (const line of text.split('\n').filter(Boolean)) options.log(`  go: ${line.replace(/^go: /, '')}`);
    });
    const ticker = setInterval(
      () => options.log(`  … still building (${Math.round((Date.now() - started) / 1000)} s)`),
      30_000,
    );
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(new GoBuildError(`could not run ${go}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve(stdout);
      else reject(new GoBuildError(`go ${args.join(' ')} failed (exit ${code}):\n${tail}`));
    });
  });
}
