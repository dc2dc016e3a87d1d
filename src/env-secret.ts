import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error';

/** A secret from `NAME` or from the file named by `NAME_FILE` (Docker/Kubernetes secrets). */
export function envSecret(env: Record<string, string | undefined>, name: string): string | undefined {
  if (env[name]) return env[name];
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
