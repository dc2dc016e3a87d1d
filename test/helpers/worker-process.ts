import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../../src/project-root';
import { logStream } from './test-log';

const BIN = join(projectRoot(), 'bin', 'viralflow.js');
/** The worker's start-up line (src/worker.ts, runWorker): identity, then where its metrics are. */
const READY = /^viralflow worker (\S+) \(\w+\): .*?, metrics (http:\/\/\S+\/metrics)/m;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Memory {
  /** VmRSS: resident now, in MB. */
  rssMb: number;
  /** VmHWM: the highest resident set size since the process started, in MB. */
  hwmMb: number;
}

export interface WorkerProcess {
  readonly pid: number;
  /** The worker identity the server records on each activity attempt (`activityTaskStartedEventAttributes.identity`). */
  readonly identity: string;
  /** viralflow's /metrics on this process. */
  readonly metricsUrl: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** From /proc/<pid>/status; undefined once the process is gone. */
  memory(): Memory | undefined;
  readonly exited: Promise<ProcessExit>;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with how it ended. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

const live = new Set<ChildProcess>();
// A test process that dies (or is killed by the runner's timeout) must not leave workers behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The environment a `viralflow worker` process needs, and nothing inherited from the caller's
 * TEMPORAL_* / VIRALFLOW_* variables (a developer's shell must not change what a test runs against).
 * Both metrics endpoints on free ports (0), so several workers can run side by side.
 */
export function workerEnv(vars: Record<string, string>): Record<string, string> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !/^(TEMPORAL_|VIRALFLOW_|METRICS_|REDIS_URL$)/.test(e[0]),
    ),
  );
  return { ...inherited, METRICS_PORT: '0', TEMPORAL_METRICS_PORT: '0', ...vars };
}

/**
 * Runs `node bin/viralflow.js worker` as a separate process (as in production: its own Node runtime,
 * Temporal core, HTTP pool and signal handling) and waits until it has printed its start-up line.
 */
export async function startWorkerProcess(
  env: Record<string, string>,
  { readyTimeoutMs = 60_000 } = {},
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [BIN, 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 4_000_000) output = output.slice(-2_000_000);
  };
  // Also to the test log, printed if the test fails (the process's output is otherwise only read by the test).
  for (const stream of [child.stdout!, child.stderr!]) {
    const log = logStream(`worker ${child.pid}`);
    stream.on('data', (chunk: Buffer) => {
      append(chunk);
      log(chunk);
    });
  }
  const exited = new Promise<ProcessExit>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  let ended: ProcessExit | undefined;
  void exited.then((e) => (ended = e));

  const deadline = Date.now() + readyTimeoutMs;
  let ready: RegExpExecArray | null = null;
  while (!(ready = READY.exec(output))) {
    if (ended) throw new Error(`worker process exited (${ended.code ?? ended.signal}) before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker process not ready after ${readyTimeoutMs} ms:\n${output}`);
    }
    await sleep(50);
  }
  const pid = child.pid!;
  const proc: WorkerProcess = {
    pid,
    identity: ready[1]!,
    metricsUrl: ready[2]!,
    output: () => output,
    memory: () => readMemory(pid),
    exited,
    kill: (signal) => {
      if (!ended) child.kill(signal);
    },
    async stop(graceMs = 15_000) {
      if (ended) return ended;
      child.kill('SIGTERM');
      const timer = new AbortController();
      const result = await Promise.race([
        exited,
        sleep(graceMs, undefined, { signal: timer.signal }).catch(() => undefined),
      ]);
      timer.abort();
      if (result) return result;
      child.kill('SIGKILL');
      return exited;
    },
  };
  return proc;
}

/** VmRSS and VmHWM of a process, in MB; undefined when it is gone. */
export function readMemory(pid: number): Memory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const rss = kb('VmRSS');
  if (!Number.isFinite(rss)) return undefined; // a zombie has no memory lines
  return { rssMb: rss / 1024, hwmMb: kb('VmHWM') / 1024 };
}

export interface MemorySampler {
  /** Stops sampling; answers the highest VmRSS seen and the process's own VmHWM at that moment. */
  stop(): { peakRssMb: number; hwmMb: number; samples: number };
}

/** Samples a process's VmRSS every `everyMs` until stopped (an unref'd timer: it never holds the test open). */
export function sampleMemory(pid: number, everyMs = 50): MemorySampler {
  let peak = 0;
  let samples = 0;
  const take = () => {
    const m = readMemory(pid);
    if (m) {
      peak = Math.max(peak, m.rssMb);
      samples++;
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  timer.unref();
  return {
    stop() {
      take();
      clearInterval(timer);
      return { peakRssMb: peak, hwmMb: readMemory(pid)?.hwmMb ?? NaN, samples };
    },
  };
}
