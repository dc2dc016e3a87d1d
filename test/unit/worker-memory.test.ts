import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes';
import { ConfigError } from '../../src/config';
import {
  cgroupMemoryLimitBytes,
  engineCacheMaxBytes,
  planWorkerMemory,
  WORKER_MEMORY,
} from '../../src/memory/worker-memory';
import { projectRoot } from '../../src/project-root';

const MiB = 1024 * 1024;

describe('planWorkerMemory', () => {
  test('without a setting or a container limit: the default budget for the role', () => {
    const p = planWorkerMemory({ role: 'activities', maxConcurrentActivities: 100 });
    assert.equal(p.source, 'default');
    assert.equal(p.budgetMB, WORKER_MEMORY.defaultBudgetMB.activities);
    assert.equal(p.maxOldSpaceMB, WORKER_MEMORY.defaultBudgetMB.activities - WORKER_MEMORY.nativeMB);
    assert.deepEqual(p.nodeFlags, [
      `--max-old-space-size=${p.maxOldSpaceMB}`,
      `--max-semi-space-size=${p.maxSemiSpaceMB}`,
    ]);
    assert.deepEqual(p.env, { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' });
    const all = planWorkerMemory({ role: 'all', maxConcurrentActivities: 100 });
    // Two isolates (main thread and workflow sandbox thread) share the budget.
    assert.equal(all.maxOldSpaceMB, Math.floor((WORKER_MEMORY.defaultBudgetMB.all - WORKER_MEMORY.nativeMB) / 2));
  });

  test('VIRALFLOW_MEMORY_MB wins over the cgroup limit, which wins over the default', () => {
    assert.equal(
      planWorkerMemory({
        role: 'activities',
        maxConcurrentActivities: 10,
        memoryBudgetMB: 300,
        cgroupLimitBytes: 200 * MiB,
      }).budgetMB,
      300,
    );
    const fromCgroup = planWorkerMemory({
      role: 'activities',
      maxConcurrentActivities: 10,
      cgroupLimitBytes: 200 * MiB,
    });
    assert.equal(fromCgroup.source, 'cgroup');
    assert.equal(fromCgroup.budgetMB, 200);
    const big = planWorkerMemory({ role: 'activities', maxConcurrentActivities: 10, memoryBudgetMB: 4096 });
    assert.equal(big.maxSemiSpaceMB, 16);
  });

  test('a budget too small for the activity slots is refused, naming both settings', () => {
    assert.throws(
      () => planWorkerMemory({ role: 'activities', maxConcurrentActivities: 400, memoryBudgetMB: 128 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /VIRALFLOW_MEMORY_MB=128/.test(e.message) &&
        /VIRALFLOW_MAX_CONCURRENT_ACTIVITIES=400/.test(e.message),
    );
    assert.throws(
      () => planWorkerMemory({ role: 'all', maxConcurrentActivities: 100, cgroupLimitBytes: 150 * MiB }),
      (e: unknown) => e instanceof ConfigError && /container's memory limit \(150 MB\)/.test(e.message),
    );
    // Fewer slots fit the same budget.
    assert.doesNotThrow(() =>
      planWorkerMemory({ role: 'activities', maxConcurrentActivities: 20, memoryBudgetMB: 110 }),
    );
    // Activity slots do not count for a workflow-only worker.
    assert.doesNotThrow(() =>
      planWorkerMemory({ role: 'workflows', maxConcurrentActivities: 10_000, memoryBudgetMB: 200 }),
    );
  });

  test("the engine cache's share of the heap comes off the top: slots that fit the heap but not beside the cache are refused", () => {
    const budgetMB = 160;
    const heapMB = budgetMB - WORKER_MEMORY.nativeMB;
    // Just under the whole heap, over what the cache leaves.
    const slots = Math.floor((heapMB - 1 - WORKER_MEMORY.idleHeapMB) / WORKER_MEMORY.heapPerActivityMB);
    assert.ok(WORKER_MEMORY.idleHeapMB + slots * WORKER_MEMORY.heapPerActivityMB <= heapMB);
    assert.throws(
      () => planWorkerMemory({ role: 'activities', maxConcurrentActivities: slots, memoryBudgetMB: budgetMB }),
      (e: unknown) => e instanceof ConfigError && /beside the engine cache/.test(e.message),
    );
    // The minimum budget the refusal names is accepted.
    const minimum = (() => {
      try {
        planWorkerMemory({ role: 'activities', maxConcurrentActivities: slots, memoryBudgetMB: budgetMB });
      } catch (e) {
        return Number(/a budget of at least (\d+) MB/.exec((e as Error).message)?.[1]);
      }
      return NaN;
    })();
    assert.doesNotThrow(() =>
      planWorkerMemory({ role: 'activities', maxConcurrentActivities: slots, memoryBudgetMB: minimum }),
    );
    assert.throws(() =>
      planWorkerMemory({ role: 'activities', maxConcurrentActivities: slots, memoryBudgetMB: minimum - 1 }),
    );
  });

  test('the default budget, when too small for the slots, is named as the default', () => {
    assert.throws(
      () => planWorkerMemory({ role: 'activities', maxConcurrentActivities: 1_000 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /default memory budget of a worker with role activities \(128 MB\)/.test(e.message) &&
        /raise VIRALFLOW_MEMORY_MB/.test(e.message),
    );
  });

  test("flags already in NODE_OPTIONS and malloc variables already set are the user's", () => {
    const p = planWorkerMemory({
      role: 'activities',
      maxConcurrentActivities: 100,
      nodeOptions: '--max-old-space-size=300',
      mallocEnv: { MALLOC_ARENA_MAX: '4' },
    });
    assert.deepEqual(p.nodeFlags, [`--max-semi-space-size=${p.maxSemiSpaceMB}`]);
    assert.deepEqual(p.env, { MALLOC_MMAP_THRESHOLD_: '65536' });
  });
});

describe('engineCacheMaxBytes', () => {
  test("the cache's share of the heap, in the JSON bytes it counts, at most the ceiling", () => {
    const heap = 64 * MiB;
    const bytes = engineCacheMaxBytes(heap, 64 * MiB);
    assert.equal(bytes, Math.floor((heap * WORKER_MEMORY.engineCacheHeapShare) / WORKER_MEMORY.engineCacheHeapPerByte));
    // The heap it may take stays within its share.
    assert.ok(bytes * WORKER_MEMORY.engineCacheHeapPerByte <= heap * WORKER_MEMORY.engineCacheHeapShare);
    assert.equal(engineCacheMaxBytes(16 * 1024 * MiB, 64 * MiB), 64 * MiB);
  });
});

describe('cgroupMemoryLimitBytes', () => {
  const root = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'cgroup-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), `${text}\n`);
    }
    return dir;
  };
  test('v2 memory.max, v1 memory.limit_in_bytes, unlimited, none', () => {
    assert.equal(cgroupMemoryLimitBytes(root({ 'memory.max': String(256 * MiB) })), 256 * MiB);
    assert.equal(cgroupMemoryLimitBytes(root({ 'memory.max': 'max' })), undefined);
    assert.equal(cgroupMemoryLimitBytes(root({ 'memory/memory.limit_in_bytes': String(512 * MiB) })), 512 * MiB);
    assert.equal(cgroupMemoryLimitBytes(root({ 'memory/memory.limit_in_bytes': '9223372036854771712' })), undefined);
    assert.equal(cgroupMemoryLimitBytes(root({})), undefined);
  });
});

/** Runs bin/viralflow.js as a program; a --require probe reports each node process's heap limit and pid. */
function launch(
  env: Record<string, string>,
  args = ['worker'],
): Promise<{ code: number | null; stderr: string; pid: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'launch-'));
  const probe = join(dir, 'probe.js');
  writeFileSync(
    probe,
    `process.stderr.write('PROBE ' + JSON.stringify({ pid: process.pid, script: process.argv[1], heapMB: require('v8').getHeapStatistics().heap_size_limit / 1048576, arenas: process.env.MALLOC_ARENA_MAX, mmap: process.env.MALLOC_MMAP_THRESHOLD_ }) + '\\n');` +
      // At exit: whether the process loaded the CLI (src/cli.js) or the client library (src/client/client.js).
      `process.on('exit', () => process.stderr.write('MODULES ' + process.pid + ' ' + JSON.stringify(Object.keys(require.cache).filter((k) => /dist[\\\\/]src[\\\\/](cli|client[\\\\/]client)[.]js$/.test(k))) + '\\n'));`,
  );
  const child = spawn(join(projectRoot(), 'bin', 'viralflow.js'), args, {
    env: {
      PATH: process.env.PATH ?? '',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      METRICS_PORT: '0',
      TEMPORAL_METRICS_PORT: '0',
      NODE_OPTIONS: `--require ${probe}`,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr, pid: child.pid! })));
}

describe('bin/viralflow.js worker', () => {
  test('starts one node process, with the heap limits its budget asks for', async () => {
    const { code, stderr, pid } = await launch({ VIRALFLOW_MEMORY_MB: '200', VIRALFLOW_WORKER_ROLE: 'activities' });
    const probes = stderr
      .split('\n')
      .filter((l) => l.startsWith('PROBE '))
      .map(
        (l) =>
          JSON.parse(l.slice(6)) as { pid: number; script: string; heapMB: number; arenas?: string; mmap?: string },
      );
    const worker = probes.find((p) => p.script.endsWith(join('bin', 'viralflow.js')));
    assert.ok(worker, stderr);
    // exec, not spawn: the worker is the process we started.
    assert.equal(worker.pid, pid);
    const plan = planWorkerMemory({ role: 'activities', maxConcurrentActivities: 100, memoryBudgetMB: 200 });
    // heap_size_limit = old space + the young generation (3 semi-spaces).
    assert.ok(
      worker.heapMB >= plan.maxOldSpaceMB && worker.heapMB <= plan.maxOldSpaceMB + 3 * plan.maxSemiSpaceMB + 1,
      `heap ${worker.heapMB} MB`,
    );
    assert.equal(worker.arenas, '2');
    assert.equal(worker.mmap, '65536');
    assert.match(stderr, /cannot reach the Temporal server/);
    // The CLI's exit code for an unreachable server, without the CLI: a plain `worker` loads none of its modules.
    assert.equal(code, EXIT.unreachable);
    const modules = JSON.parse(new RegExp(`^MODULES ${pid} (.*)$`, 'm').exec(stderr)?.[1] ?? 'null') as string[] | null;
    assert.deepEqual(modules, [], stderr);
    // The sh part runs clean (no shell errors before node starts).
    assert.doesNotMatch(stderr, /Permission denied|Syntax error|not found/);
  });

  test('anything but a plain `worker` goes through the CLI', async () => {
    const { code, stderr, pid } = await launch({}, ['worker', '--help']);
    assert.equal(code, EXIT.ok);
    const modules = JSON.parse(new RegExp(`^MODULES ${pid} (.*)$`, 'm').exec(stderr)?.[1] ?? 'null') as string[] | null;
    assert.ok(
      modules?.some((m) => /cli\.js$/.test(m)),
      stderr,
    );
  });

  test('a budget too small for the slots fails before the worker starts, naming both settings', async () => {
    const { code, stderr } = await launch({ VIRALFLOW_MEMORY_MB: '120', VIRALFLOW_MAX_CONCURRENT_ACTIVITIES: '500' });
    assert.equal(code, EXIT.usage);
    assert.match(stderr, /VIRALFLOW_MEMORY_MB=120.*VIRALFLOW_MAX_CONCURRENT_ACTIVITIES=500/);
    assert.doesNotMatch(stderr, /cannot reach the Temporal server/);
  });
});
