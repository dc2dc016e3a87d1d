import type { RouteKey } from './types';

/** Which requests a hold keeps waiting: those of `route` (for `targets`, each target counted on its own). */
export interface HoldSpec {
  route: RouteKey;
  /** Only requests for these targets (account IDs, service names); each target's own requests are counted. */
  targets?: readonly string[];
  /**
   * Requests answered before the hold starts holding: per target with `targets`, else on the route.
   * @default 0
   */
  after?: number;
}

/**
 * Requests held until the test says: the moment a fault lands is then a state the test made, not one
 * it polled for. A held request has been received and counted; it is answered (knobs and all) once released.
 */
export interface RouteHold {
  /** Requests waiting now. */
  readonly waiting: number;
  /** Resolves once at least `n` requests are waiting at the same time. */
  whenWaiting(n: number): Promise<void>;
  /** Lets every waiting request and any later one through; the hold ends. */
  release(): void;
}

export interface Holds {
  add(spec: HoldSpec): RouteHold;
  /**
   * Waits while an active hold covers this request. `index` is the request's count on the route before
   * it, `targetIndex` its target's; `signal` ends the wait when the exchange is over (client gone, close()).
   */
  pass(
    route: RouteKey,
    target: string | undefined,
    index: number,
    targetIndex: number,
    signal: AbortSignal,
  ): Promise<void>;
  /** Releases every hold (the simulator's reset and close). */
  releaseAll(): void;
}

interface ActiveHold extends RouteHold {
  covers(route: RouteKey, target: string | undefined, index: number, targetIndex: number): boolean;
  wait(signal: AbortSignal): Promise<void>;
}

export function createHolds(): Holds {
  const active = new Set<ActiveHold>();

  const add = (spec: HoldSpec): RouteHold => {
    const after = spec.after ?? 0;
    const targets = spec.targets && new Set(spec.targets);
    let waiting = 0;
    let released = false;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const watchers: Array<{ n: number; resolve: () => void }> = [];
    const notify = () => {
      for (const w of [...watchers]) {
        if (waiting >= w.n) {
          watchers.splice(watchers.indexOf(w), 1);
          w.resolve();
        }
      }
    };
    const hold: ActiveHold = {
      get waiting() {
        return waiting;
      },
      whenWaiting(n) {
        return new Promise((resolve) => {
          watchers.push({ n, resolve });
          notify();
        });
      },
      release() {
        released = true;
        active.delete(hold);
        open();
      },
      covers(route, target, index, targetIndex) {
        if (released || route !== spec.route) return false;
        if (!targets) return index >= after;
        return target !== undefined && targets.has(target) && targetIndex >= after;
      },
      async wait(signal) {
        waiting++;
        notify();
        try {
          await new Promise<void>((resolve, reject) => {
            if (signal.aborted) return reject(signal.reason as Error);
            const onAbort = () => reject(signal.reason as Error);
            signal.addEventListener('abort', onAbort, { once: true });
            void gate.then(() => {
              signal.removeEventListener('abort', onAbort);
              resolve();
            });
          });
        } finally {
          waiting--;
        }
      },
    };
    active.add(hold);
    return hold;
  };

  return {
    add,
    async pass(route, target, index, targetIndex, signal) {
      for (const hold of [...active]) {
        if (hold.covers(route, target, index, targetIndex)) await hold.wait(signal);
      }
    },
    releaseAll() {
      for (const hold of [...active]) hold.release();
    },
  };
}
