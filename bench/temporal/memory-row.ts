/** One worker-RSS row of the report: idle (after settling) and the peak over a load window. */
import type { WorkerMemory } from '../results-model';
import type { WorkerSample } from './worker-protocol';

export function memoryRow(worker: string, idle: WorkerSample, loaded: WorkerSample, load: string): WorkerMemory {
  return {
    worker,
    idleRssMB: idle.rssMB,
    idleHeapUsedMB: idle.heapUsedMB,
    idleAnonMB: idle.anonMB,
    loadedPeakRssMB: loaded.peakRssMB,
    loadedPeakHeapUsedMB: loaded.peakHeapUsedMB,
    loadedPeakAnonMB: loaded.peakAnonMB,
    load,
  };
}
