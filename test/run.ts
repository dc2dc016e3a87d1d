/**
 * `npm test`: makes sure the Temporal CLI exists (building it with Go the first time, with progress),
 * then runs every unit and integration test file with node's built-in runner.
 * Extra arguments narrow the run to those files or folders (compiled paths under dist/test).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { resolveTemporalCli } from '../src/temporal/cli-path';

async function main(): Promise<number> {
  const cli = await resolveTemporalCli({ log: (line) => console.log(line) });
  console.log(`Temporal CLI: ${cli.path} (${cli.source})`);
  const targets = process.argv.slice(2);
  const files = targets.length ? targets : [join(__dirname, 'unit'), join(__dirname, 'integration')];
  const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {
    stdio: 'inherit',
    env: { ...process.env, TEMPORAL_CLI_PATH: cli.path },
  });
  return result.status ?? 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
