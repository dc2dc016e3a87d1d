/** A fleet-wide /metrics.json: 20 services × 4 groups × 50 metrics = 4,000 numeric leaves, 3 levels deep. */
export const SERVICES = 20;
export const GROUPS = ['http', 'db', 'queue', 'process'];
export const METRICS = 50;
export const LEAVES = SERVICES * GROUPS.length * METRICS;

export function fleetDocument(): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (let s = 0; s < SERVICES; s++) {
    const service: Record<string, unknown> = {};
    for (const group of GROUPS) {
      const metrics: Record<string, number> = {};
      for (let m = 0; m < METRICS; m++) metrics[`metric_${m}`] = s * 1000 + m + 0.5;
      service[group] = metrics;
    }
    doc[`service-${s}`] = service;
  }
  return doc;
}

export function checkLeaves(size: number): void {
  if (size !== LEAVES) throw new Error(`flattened ${size} leaves, expected ${LEAVES}`);
}
