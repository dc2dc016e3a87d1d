import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { ViralflowMetrics } from '../metrics/registry';

export type CircuitStateName = 'closed' | 'half-open' | 'open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open a service's circuit. */
  failureThreshold: number;
  /** How long an open circuit refuses calls before letting one trial call through (half-open). */
  cooldownMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: CircuitBreakerOptions = { failureThreshold: 3, cooldownMs: 30_000 };

/** Raised instead of calling a service whose circuit is open. */
export class CircuitOpenError extends Error {
  constructor(readonly service: string) {
    super(`circuit open for ${service}: not called until its cool-down ends`);
    this.name = 'CircuitOpenError';
  }
}

/**
 * One breaker per service, kept for the life of the worker so that a check scheduled every minute
 * stops hammering a dead service. cockatiel does the state machine; this adds the per-service map
 * and the `viralflow_circuit_state` gauge.
 */
export interface CircuitBreakers {
  /** Runs `fn` through `service`'s breaker; a throw counts as a failure. Throws CircuitOpenError when open. */
  run<T>(service: string, fn: () => Promise<T>): Promise<T>;
  state(service: string): CircuitStateName;
}

const GAUGE_VALUE: Record<CircuitStateName, number> = { closed: 0, 'half-open': 1, open: 2 };

export function createCircuitBreakers(
  options: CircuitBreakerOptions = DEFAULT_BREAKER_OPTIONS,
  metrics?: Pick<ViralflowMetrics, 'circuitState'>,
): CircuitBreakers {
  const breakers = new Map<string, CircuitBreakerPolicy>();

  const breakerFor = (service: string) => {
    let breaker = breakers.get(service);
    if (!breaker) {
      breaker = circuitBreaker(handleAll, {
        halfOpenAfter: options.cooldownMs,
        breaker: new ConsecutiveBreaker(options.failureThreshold),
      });
      breaker.onStateChange((s) => metrics?.circuitState.set({ service }, GAUGE_VALUE[nameOf(s)]));
      metrics?.circuitState.set({ service }, GAUGE_VALUE.closed);
      breakers.set(service, breaker);
    }
    return breaker;
  };

  return {
    async run(service, fn) {
      try {
        return await breakerFor(service).execute(fn);
      } catch (err) {
        if (err instanceof BrokenCircuitError) throw new CircuitOpenError(service);
        throw err;
      }
    },
    state: (service) => nameOf(breakers.get(service)?.state ?? CircuitState.Closed),
  };
}

function nameOf(state: CircuitState): CircuitStateName {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'open'; // Open, or Isolated (held open by hand)
}
