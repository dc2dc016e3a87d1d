/**
 * `npm run test:repeat -- <files…> [--times N] [--load]`: runs each test file N times, one run at a
 * time, optionally beside a CPU hog that keeps every core busy, and prints a table: file, runs,
 * failures, slowest run. A failed run's output is kept in artifacts/repeat/. Files are given as
 * sources (test/integration/x.test.ts) or compiled paths (dist/test/…); a folder means its test files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError } from '@commander-js/extra-typings';
import { projectRoot } from '../src/project-root';
import { resolveTemporalCli } from '../src/temporal/cli-path';
import { withPrerequisites } from './prerequisites';

const root = projectRoot();

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number ≥ 1');
  return n;
};

/** The compiled test files a source path, compiled path or folder stands for. */
function compiledFiles(arg: string): string[] {
  let path = resolve(arg);
  const rel = relative(root, path);
  if (!rel.startsWith('dist') && !rel.startsWith('..')) path = join(root, 'dist', rel).replace(/\.ts$/, '.js');
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new Error(`${arg}: no compiled test at ${relative(root, path)} (npm run build first)`);
  if (!stat.isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(path, f));
}

/** Busy loops, one per core, so the tests run on a machine with no idle CPU. */
function startLoad(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

interface RunResult {
  ok: boolean;
  ms: number;
  output: string;
}

/** The test file running now, for the signal handler. */
const running = new Set<ChildProcess>();

function runOnce(file: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--test', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('close', (code) => {
      running.delete(child);
      done({ ok: code === 0, ms: Date.now() - started, output: Buffer.concat(chunks).toString() });
    });
  });
}

withPrerequisites(async () => {
  const program = new Command('test:repeat')
    .argument('<files...>', 'test files or folders (source or compiled paths)')
    .option('--times <n>', 'runs of each file', positiveInt, 5)
    .option('--load', 'keep every core busy with a CPU hog while the tests run', false)
    .parse(process.argv);
  const { times, load } = program.opts();
  const files = program.args.flatMap(compiledFiles);
  const cli = await resolveTemporalCli({ log: (line) => console.log(line) });
  const env = { ...process.env, TEMPORAL_CLI_PATH: cli.path };
  const failures = join(root, 'artifacts', 'repeat');
  mkdirSync(failures, { recursive: true });

  const hogs = load ? startLoad() : [];
  // Ctrl-C or a kill: the busy loops and the running test file go too (the test's own hooks stop its servers).
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      for (const child of [...hogs, ...running]) child.kill(signal);
      process.exitCode = 130;
    });
  const rows: Array<{ file: string; runs: number; failed: number; slowestMs: number }> = [];
  try {
    for (const file of files) {
      const row = { file: relative(join(root, 'dist'), file), runs: 0, failed: 0, slowestMs: 0 };
      rows.push(row);
      for (let i = 1; i <= times && process.exitCode !== 130; i++) {
        const r = await runOnce(file, env);
        row.runs++;
        row.slowestMs = Math.max(row.slowestMs, r.ms);
        const verdict = r.ok ? 'ok' : `FAILED (output: artifacts/repeat/${basename(file)}.${i}.log)`;
        console.log(`${row.file} run ${i}/${times}: ${(r.ms / 1000).toFixed(1)} s ${verdict}`);
        if (!r.ok) {
          row.failed++;
          writeFileSync(join(failures, `${basename(file)}.${i}.log`), r.output);
        }
      }
    }
  } finally {
    for (const hog of hogs) hog.kill();
  }

  const width = Math.max(4, ...rows.map((r) => r.file.length));
  console.log(`\n${load ? `under load (${hogs.length} busy loops)` : 'no extra load'}, ${times} runs each`);
  console.log(`${'file'.padEnd(width)}  runs  failures  slowest`);
  for (const r of rows)
    console.log(
      `${r.file.padEnd(width)}  ${String(r.runs).padStart(4)}  ${String(r.failed).padStart(8)}  ${(r.slowestMs / 1000).toFixed(1).padStart(6)} s`,
    );
  return rows.some((r) => r.failed > 0) ? 1 : 0;
});
