/**
 * At most `limit` tasks at once; when a slot frees, the queued task with the highest priority runs
 * next (FIFO among equals). With priority = work still behind a request in its chain, this is Hu's
 * optimal schedule (floor.ts) executed for real.
 */

interface Waiting {
  priority: number;
  seq: number;
  start: () => void;
}

export interface PriorityLimiter {
  run<T>(priority: number, task: () => Promise<T>): Promise<T>;
}

export function createPriorityLimiter(limit: number): PriorityLimiter {
  let active = 0;
  let seq = 0;
  const waiting: Waiting[] = [];
  const next = () => {
    if (active >= limit || waiting.length === 0) return;
    let best = 0;
    for (let i = 1; i < waiting.length; i++) {
      const w = waiting[i]!;
      const b = waiting[best]!;
      if (w.priority > b.priority || (w.priority === b.priority && w.seq < b.seq)) best = i;
    }
    const [chosen] = waiting.splice(best, 1);
    active++;
    chosen!.start();
  };
  return {
    run(priority, task) {
      return new Promise((resolve, reject) => {
        waiting.push({
          priority,
          seq: seq++,
          start: () => {
            task()
              .then(resolve, reject)
              .finally(() => {
                active--;
                next();
              });
          },
        });
        next();
      });
    },
  };
}
