/**
 * The worker as users start it: `bin/viralflow.js worker` run as a program (its POSIX sh part sizes the heap,
 * then execs node on the CLI), with only the settings a user must give (where Temporal, the upstreams and the
 * data folder are; the role), so its RSS is the product's: the same module graph, launch flags, SDK runtime
 * (its Prometheus exporter on, as by default) and metrics server. Measured from outside, through /proc, since
 * the process is not the bench's to instrument.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerRole } from '../../src/config';
import { projectRoot } from '../../src/project-root';
import { freePort } from '../../src/temporal/dev-server';
import { SERVICES } from '../workload';
import type { BenchTemporal } from './env';
import type { WorkerHandle } from './worker-handle';
import type { WorkerSample } from './worker-protocol';

const START_TIMEOUT_MS = 60_000;
const SAMPLE_INTERVAL_MS = 50;
/** /metrics is scraped for the heap this often under load: a scrape allocates in the worker, so not at 50 ms. */
const HEAP_SCRAPE_INTERVAL_MS = 1_000;
const kB = 1024;
const MB = 1024 * 1024;

export interface ShippedWorkerOptions {
  role: WorkerRole;
  taskQueue: string;
  /**
   * `node bin/viralflow.js worker` instead: the sh part is skipped, so node starts with its default heap
   * limits and glibc's default malloc settings (the comparison). @default false
   */
  nodeDefaults?: boolean;
  /** Another build's project folder (bin/, dist/), to compare a baseline in the same run. @default this project */
  root?: string;
}

interface ProcMemory {
  rssBytes: number;
  anonBytes: number;
  hwmBytes: number;
  cpuUs: number;
}

function readProc(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? 0) * kB;
  // utime and stime, fields 14 and 15, counted after the command name's closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return {
    rssBytes: field('VmRSS'),
    anonBytes: field('RssAnon'),
    hwmBytes: field('VmHWM'),
    cpuUs: (ticks * 1e6) / 100,
  };
}

/** Resets the kernel's peak-RSS mark (VmHWM); false where that is not allowed. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function heapUsedBytes(metricsUrl: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(metricsUrl)).text();
    const value = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
    return value === undefined ? undefined : Number(value);
  } catch {
    return undefined;
  }
}

export async function startShippedWorker(
  label: string,
  env: BenchTemporal,
  options: ShippedWorkerOptions,
): Promise<WorkerHandle> {
  const inherited = { ...process.env };
  for (const name of ['NODE_OPTIONS', 'MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'VIRALFLOW_MEMORY_MB'])
    delete inherited[name];
  const spec = env.workerSpec([options.taskQueue], options.role, true);
  const bin = join(options.root ?? projectRoot(), 'bin', 'viralflow.js');
  const child = spawn(
    options.nodeDefaults ? process.execPath : bin,
    options.nodeDefaults ? [bin, 'worker'] : ['worker'],
    {
      // stderr: the SDK's INFO lines; kept to show if the worker does not start.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...inherited,
        TEMPORAL_ADDRESS: spec.address,
        TEMPORAL_NAMESPACE: spec.namespace,
        VIRALFLOW_TASK_QUEUE: options.taskQueue,
        VIRALFLOW_WORKER_ROLE: options.role,
        VIRALFLOW_UPSTREAM_URL: spec.simUrl,
        VIRALFLOW_SERVICES: SERVICES.join(','),
        VIRALFLOW_DATA_DIR: spec.dataDir,
        METRICS_PORT: '0',
        // The SDK's Prometheus exporter is on by default (9465); a free port, so workers side by side can start.
        TEMPORAL_METRICS_PORT: String(await freePort()),
      },
    },
  );
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString('utf8')).slice(-4_000);
  });
  const metricsUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: no start-up line within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const url = /metrics (http:\/\/\S+\/metrics)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(url);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}) before it was ready:\n${out}${errors}`));
    });
  });

  let peak = { rssBytes: 0, anonBytes: 0, heapBytes: 0 };
  let hwmReset = false;
  let cpuMark = readProc(pid).cpuUs;
  let lastHeap = (await heapUsedBytes(metricsUrl)) ?? 0;
  const observe = (now: ProcMemory) => {
    peak = {
      rssBytes: Math.max(peak.rssBytes, now.rssBytes, hwmReset ? now.hwmBytes : 0),
      anonBytes: Math.max(peak.anonBytes, now.anonBytes),
      heapBytes: Math.max(peak.heapBytes, lastHeap),
    };
  };
  const timer = setInterval(() => {
    try {
      observe(readProc(pid));
    } catch {
      // gone: stop() is on its way
    }
  }, SAMPLE_INTERVAL_MS);
  const heapTimer = setInterval(() => {
    void heapUsedBytes(metricsUrl).then((bytes) => {
      if (bytes !== undefined) lastHeap = bytes;
    });
  }, HEAP_SCRAPE_INTERVAL_MS);
  timer.unref();
  heapTimer.unref();

  const sample = async (): Promise<WorkerSample> => {
    lastHeap = (await heapUsedBytes(metricsUrl)) ?? lastHeap;
    const now = readProc(pid);
    observe(now);
    return {
      rssMB: now.rssBytes / MB,
      heapUsedMB: lastHeap / MB,
      anonMB: now.anonBytes / MB,
      peakRssMB: peak.rssBytes / MB,
      peakHeapUsedMB: peak.heapBytes / MB,
      peakAnonMB: peak.anonBytes / MB,
      cpuUs: now.cpuUs - cpuMark,
    };
  };
  return {
    label,
    async mark() {
      hwmReset = resetPeakRss(pid);
      peak = { rssBytes: 0, anonBytes: 0, heapBytes: 0 };
      cpuMark = readProc(pid).cpuUs;
      return sample();
    },
    sample,
    async stop() {
      clearInterval(timer);
      clearInterval(heapTimer);
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
