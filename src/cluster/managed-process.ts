import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A long-running child process of the cluster (a server node, the load balancer) that can be killed
 * and started again with the same command: output appended to a log file (its tail kept for errors),
 * peak RSS tracked, and SIGKILLed if the supervising Node process exits without stopping it.
 */
export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Appended to across restarts. */
  logFile: string;
  /** @default 15_000 */
  stopGraceMs?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  private child?: ChildProcess;
  private exitPromise?: Promise<ProcessExit>;
  private log?: WriteStream;
  private tail = '';
  private peakKb = 0;
  private readonly sampler: NodeJS.Timeout;

  constructor(readonly options: ManagedProcessOptions) {
    this.sampler = setInterval(() => this.sampleMemory(), 1000);
    this.sampler.unref();
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  /** The last few KB the process wrote. */
  output(): string {
    return this.tail;
  }

  /** The highest resident set size (VmHWM) of any run so far, in MB. */
  peakRssMb(): number {
    this.sampleMemory();
    return this.peakKb / 1024;
  }

  start(): void {
    if (this.running) throw new Error(`${this.options.name} is already running`);
    this.log ??= createWriteStream(this.options.logFile, { flags: 'a' });
    this.log.write(`--- ${new Date().toISOString()} start: ${this.options.command} ${this.options.args.join(' ')}\n`);
    const child = spawn(this.options.command, this.options.args, {
      env: this.options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer) => {
      this.log?.write(chunk);
      this.tail = (this.tail + chunk.toString()).slice(-6000);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exitPromise = new Promise((resolve) => {
      child.once('error', (err) => {
        this.tail += `\ncannot run ${this.options.command}: ${err.message}`;
        resolve({ code: null, signal: null });
      });
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      });
    });
    live.add(child);
    this.child = child;
  }

  /** Resolves when the current run ends (at once when nothing runs). */
  exited(): Promise<ProcessExit> {
    return this.exitPromise ?? Promise.resolve({ code: null, signal: null });
  }

  /** A crash: SIGKILL, waiting for the exit. */
  async kill(): Promise<void> {
    this.sampleMemory();
    if (!this.running) return;
    this.child!.kill('SIGKILL');
    await this.exitPromise;
  }

  /** SIGTERM, then SIGKILL after the grace time. */
  async stop(): Promise<ProcessExit | undefined> {
    this.sampleMemory();
    if (!this.running) return undefined;
    this.child!.kill('SIGTERM');
    const grace = new AbortController();
    const exit = await Promise.race([
      this.exitPromise!,
      sleep(this.options.stopGraceMs ?? 15_000, undefined, { signal: grace.signal }).catch(() => undefined),
    ]);
    grace.abort();
    if (exit) return exit;
    this.child!.kill('SIGKILL');
    return this.exitPromise;
  }

  /** Stops the process and releases the log file and the sampler. */
  async close(): Promise<void> {
    await this.stop();
    clearInterval(this.sampler);
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    this.log = undefined;
  }

  private sampleMemory() {
    const pid = this.pid;
    if (!pid) return;
    try {
      const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      this.peakKb = Math.max(this.peakKb, kb);
    } catch {
      // gone between the check and the read
    }
  }
}

const live = new Set<ChildProcess>();
// A supervisor that dies must not leave servers holding the cluster's ports.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
