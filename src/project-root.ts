import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder holding viralflow's package.json, from source (src/) or compiled (dist/src/) code alike. */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no viralflow project above ${from}`);
  }
}
