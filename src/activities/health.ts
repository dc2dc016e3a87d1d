import { Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import { z } from 'zod';
import { healthCheckInput, type HealthCheckInput } from '../contracts/health';
import type { Upstream } from '../http/upstream';
import { CircuitOpenError, type CircuitBreakers, type CircuitStateName } from '../resilience/circuit-breakers';
import { parseInput } from './validate';

export type { HealthCheckInput } from '../contracts/health';

export type ServiceStatus = 'up' | 'degraded' | 'down' | 'skipped';

export interface ServiceHealthResult {
  service: string;
  status: ServiceStatus;
  latencyMs: number;
  circuit: CircuitStateName;
  reason?: string;
}

export interface HealthReport {
  services: ServiceHealthResult[];
  /** Services that can take work now (up or degraded). */
  available: string[];
  /** Services that failed their check or were skipped because their circuit is open. */
  unavailable: string[];
  openCircuits: string[];
}

const healthBody = z.looseObject({ status: z.string() });

export interface ServiceProbeOptions {
  timeoutMs: number;
  /** An answer slower than this counts as degraded. */
  degradedAfterMs: number;
  signal?: AbortSignal;
  /** Runs the request, e.g. behind the service's circuit breaker. @default runs it as is */
  guard?: <T>(request: () => Promise<T>) => Promise<T>;
}

export type ServiceProbe = Pick<ServiceHealthResult, 'status' | 'latencyMs' | 'reason'>;

/**
 * One service's `GET /health`, timed and judged: `ok` in time is up, slow or another status is degraded,
 * an error is down (the guard's CircuitOpenError: skipped). The health activity runs it behind each
 * service's breaker; `viralflow doctor` runs it as is.
 */
export async function probeServiceHealth(upstream: Upstream, options: ServiceProbeOptions): Promise<ServiceProbe> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const guard = options.guard ?? ((request) => request());
  try {
    const body = await guard(() =>
      upstream.json(
        { path: '/health', timeoutMs: options.timeoutMs, ...(options.signal && { signal: options.signal }) },
        healthBody,
      ),
    );
    const slow = latency() > options.degradedAfterMs;
    const status: ServiceStatus = body.status === 'ok' && !slow ? 'up' : 'degraded';
    const reason =
      body.status !== 'ok' ? `reports status "${body.status}"` : slow ? `answered in ${latency()} ms` : undefined;
    return { status, latencyMs: latency(), ...(reason && { reason }) };
  } catch (err) {
    if (options.signal?.aborted) throw err;
    const status: ServiceStatus = err instanceof CircuitOpenError ? 'skipped' : 'down';
    return { status, latencyMs: latency(), reason: (err as Error).message };
  }
}

export interface HealthCheckDeps {
  services: Readonly<Record<string, Upstream>>;
  breakers: CircuitBreakers;
  /** Checks in flight at once. */
  concurrency: number;
}

/** HealthCheckOperator, rebuilt: every service at once over the shared pool, each behind its own circuit breaker. */
export function createCheckHealth(deps: HealthCheckDeps) {
  const limit = pLimit(deps.concurrency);
  const schema = healthCheckInput(Object.keys(deps.services));

  return async function checkHealth(rawInput: HealthCheckInput = {}): Promise<HealthReport> {
    const input = parseInput(schema, rawInput, 'checkHealth');
    const names = [...new Set(input.services ?? Object.keys(deps.services))];
    const degradedAfterMs = input.degradedAfterMs ?? input.timeoutMs / 2;
    const { cancellationSignal } = Context.current();

    const check = async (service: string): Promise<ServiceHealthResult> => {
      const probe = await probeServiceHealth(deps.services[service]!, {
        timeoutMs: input.timeoutMs,
        degradedAfterMs,
        signal: cancellationSignal,
        guard: (request) => deps.breakers.run(service, request),
      });
      return { service, ...probe, circuit: deps.breakers.state(service) };
    };

    const services = await Promise.all(names.map((name) => limit(() => check(name))));
    return {
      services,
      available: services.filter((s) => s.status === 'up' || s.status === 'degraded').map((s) => s.service),
      unavailable: services.filter((s) => s.status === 'down' || s.status === 'skipped').map((s) => s.service),
      openCircuits: services.filter((s) => s.circuit === 'open').map((s) => s.service),
    };
  };
}
