/**
 * HealthCheckOperator before the review, in its sequential mode (parallel disabled):
 * `for service_name, service_url in self.service_urls.items(): ... self._check_service_health(...)`,
 * a new connection per check and no circuit breaker. Bench-only.
 */
import { naiveRequest } from './http';

export async function naiveCheckHealth(
  servicesUrl: string,
  services: readonly string[],
): Promise<Record<string, { status: string; latencyMs: number }>> {
  const out: Record<string, { status: string; latencyMs: number }> = {};
  for (const service of services) {
    const started = performance.now();
    try {
      const res = await naiveRequest(`${servicesUrl}/${service}/health`);
      const body = JSON.parse(res.body) as { status?: unknown };
      out[service] = {
        status: res.status === 200 && body.status === 'ok' ? 'up' : 'degraded',
        latencyMs: performance.now() - started,
      };
    } catch {
      out[service] = { status: 'down', latencyMs: performance.now() - started };
    }
  }
  return out;
}
