import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { freePort } from '../../src/temporal/dev-server';
import { pollUntil } from './poll';

export const PROMETHEUS_PATH = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusRule {
  name: string;
  type: 'alerting' | 'recording';
  query: string;
  health: string;
  lastError?: string;
  state?: 'inactive' | 'pending' | 'firing';
  alerts?: Array<{ labels: Record<string, string>; state: string; value: string }>;
}

export interface PrometheusServer {
  url: string;
  /** An instant query; rejects with Prometheus' error text when the expression is invalid. */
  query(expr: string): Promise<PromSample[]>;
  /** Every loaded rule, with its health and (for alerts) state. */
  rules(): Promise<PrometheusRule[]>;
  close(): Promise<void>;
}

/** A real Prometheus server (Debian's /usr/bin/prometheus) on a free loopback port, with its TSDB in a temp dir. */
export async function startPrometheus(config: object): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_PATH)) {
    throw new Error(`Prometheus not found at ${PROMETHEUS_PATH}: apt-get install prometheus (or set PROMETHEUS_PATH)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'viralflow-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    PROMETHEUS_PATH,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      // Prometheus flushes its head block on SIGTERM; a second is plenty for a test-sized TSDB.
      const stopped = await Promise.race([exited.then(() => true), sleep(5_000, false, { ref: false })]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };

  try {
    await pollUntil(
      'Prometheus to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
        return res.ok ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  } catch (err) {
    await close();
    throw new Error(`${(err as Error).message}\n${output}`);
  }

  return {
    url,
    query: async (expr) =>
      (await api<{ resultType: string; result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`))
        .result,
    rules: async () =>
      (await api<{ groups: Array<{ rules: PrometheusRule[] }> }>('/api/v1/rules')).groups.flatMap((g) => g.rules),
    close,
  };
}
