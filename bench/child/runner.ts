/**
 * Child-process entry: prepares one variant of one scenario, warms it up, waits for the parent to
 * zero the simulator's counters, then times each measured execution. One variant per process, so
 * the RSS, heap and CPU it reports are that variant's alone (plus a bare Node process: see
 * baselineRssBytes).
 */
import { once } from 'node:events';
import { recordGcPauses } from '../measure/gc-pauses';
import { startMemorySampler } from '../measure/memory-sampler';
import { loadVariant } from '../scenarios/registry';
import { isChildSpec } from './spec';
import type { ChildMessage, ChildResult, ChildSpec, ParentMessage } from './protocol';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('bench runner must be forked with an IPC channel'));
    process.send(message, undefined, undefined, (err) => (err ? reject(err) : resolve()));
  });
}

async function measure(spec: ChildSpec): Promise<ChildResult> {
  const baselineRssBytes = process.memoryUsage().rss;
  const memory = startMemorySampler();
  const gc = recordGcPauses();
  const variant = await (
    await loadVariant(spec.scenario, spec.variant)
  )({
    simUrl: spec.simUrl,
    dataDir: spec.dataDir,
    params: spec.params,
  });
  try {
    let iteration = 0;
    for (let i = 0; i < spec.warmup; i++) await variant.run(iteration++);

    const go = once(process, 'message') as Promise<[ParentMessage]>;
    await send({ type: 'warm' });
    await go;

    const poolBefore = variant.poolTotals?.();
    gc.reset();
    const cpuBefore = process.cpuUsage();
    const wallMs: number[] = [];
    for (let i = 0; i < spec.executions; i++) {
      const started = performance.now();
      await variant.run(iteration++);
      wallMs.push(performance.now() - started);
      memory.sample();
    }
    const cpu = process.cpuUsage(cpuBefore);
    // Entries are delivered asynchronously: let the last ones arrive before reading.
    await new Promise((resolve) => setImmediate(resolve));
    const gcPauses = gc.read();
    const poolAfter = variant.poolTotals?.();
    const peak = memory.peak();
    return {
      wallMs,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      baselineRssBytes,
      peakRssBytes: peak.rssBytes,
      peakHeapUsedBytes: peak.heapUsedBytes,
      gc: gcPauses,
      ...(poolBefore &&
        poolAfter && {
          pool: {
            requests: poolAfter.requests - poolBefore.requests,
            connections: poolAfter.connections - poolBefore.connections,
          },
        }),
    };
  } finally {
    gc.stop();
    memory.stop();
    await variant.close?.();
  }
}

async function main(): Promise<void> {
  const spec: unknown = JSON.parse(process.argv[2] ?? 'null');
  if (!isChildSpec(spec)) throw new Error(`bad child spec: ${process.argv[2] ?? '(none)'}`);
  const result = await measure(spec);
  await send({ type: 'done', result });
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    await send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }).catch(
      () => undefined,
    );
    process.exit(1);
  },
);
