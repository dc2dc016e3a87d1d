/**
 * `npm test`: checks (and installs) the prerequisites, makes sure the Temporal CLI exists (building it
 * with Go the first time, with progress), then runs every unit and integration test file with node's
 * built-in runner, and ends with the slowest files (artifacts/slowest-tests.txt, with the count; every file's time is in
 * artifacts/test-durations.jsonl) and a plain closing count.
 * Extra arguments narrow the run to those files or folders (compiled paths under dist/test).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from '../src/project-root';
import { resolveTemporalCli } from '../src/temporal/cli-path';
import type fileDurations from './file-durations-reporter';
import { withPrerequisites } from './prerequisites';

const SLOWEST_SHOWN = 10;

withPrerequisites(async () => {
  const cli = await resolveTemporalCli({ log: (line) => console.log(line) });
  console.log(`Temporal CLI: ${cli.path} (${cli.source})`);
  const targets = process.argv.slice(2);
  // Node 22+ reads each argument as a file or glob, not a folder: a folder stands for its test files.
  const files = (targets.length ? targets : [join(__dirname, 'unit'), join(__dirname, 'integration')]).map((t) =>
    statSync(t, { throwIfNoEntry: false })?.isDirectory() ? join(t, '**', '*.test.js') : t,
  );
  const artifacts = join(projectRoot(), 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const durations = join(artifacts, 'test-durations.jsonl');
  const result = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-concurrency=2',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${join(__dirname, 'file-durations-reporter.js')}`,
      `--test-reporter-destination=${durations}`,
      ...files,
    ],
    { stdio: 'inherit', env: { ...process.env, TEMPORAL_CLI_PATH: cli.path } },
  );
  printSlowest(durations, join(artifacts, 'slowest-tests.txt'));
  return result.status ?? 1;
});

function printSlowest(path: string, tablePath: string): void {
  let rows: fileDurations.FileDuration[];
  try {
    rows = readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as fileDurations.FileDuration);
  } catch {
    return; // the runner died before writing any: its own output says why
  }
  const slowest = [...rows].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST_SHOWN);
  const table = [
    `slowest ${slowest.length} of ${rows.length} test files:`,
    ...slowest.map(
      (r) =>
        `${(r.ms / 1000).toFixed(1).padStart(7)} s  ${relative(__dirname, r.file)}${r.failed ? `  (${r.failed} failed)` : ''}`,
    ),
  ].join('\n');
  const tests = rows.reduce((n, r) => n + r.tests, 0);
  const failed = rows.reduce((n, r) => n + r.failed, 0);
  const summary = `${table}\n\ntests: ${tests - failed} passed, ${failed} failed`;
  writeFileSync(tablePath, `${summary}\n`);
  console.log(`\n${summary}`);
}
