import { z } from 'zod';
import { systemClock } from '../clock';
import type { ViralflowConfig } from '../config';
import { probeServiceHealth } from '../activities/health';
import { UpstreamHttpError } from '../http/errors';
import { createHttpPool } from '../http/pool';
import { createUpstream, path, type Upstream } from '../http/upstream';
import { createMetrics } from '../metrics/registry';
import { createSourceHttp } from '../sources/source-http';
import type { Sources } from '../sources/types';
import { fail, pass, type CheckOutcome, type CheckResult, type DoctorCheck } from './check';

/** A name no account or experiment has: the probe wants the API's answer, not data. */
const PROBE_ID = 'viralflow-doctor-probe';
const limitsBody = z.looseObject({ maxBatch: z.number().int().min(1) });

type ApiName = 'social' | 'engine' | 'experiments';
type Probe = (api: Upstream, timeoutMs: number) => Promise<string>;

/**
 * How each API is asked whether it answers, per api/upstream.openapi.yaml: the engine's limits; the
 * social and experiment APIs answer a probe ID with 200 or 404, both of which prove they serve the contract.
 */
const API_PROBES: Record<ApiName, Probe> = {
  social: async (api, timeoutMs) => answers(api, path`/accounts/${PROBE_ID}`, timeoutMs),
  engine: async (api, timeoutMs) => `maxBatch ${(await api.json({ path: '/limits', timeoutMs }, limitsBody)).maxBatch}`,
  experiments: async (api, timeoutMs) => answers(api, path`/${PROBE_ID}/weights`, timeoutMs),
};

/**
 * The probes for an API a sources module replaced: asked through the plug-in, as the worker will ask it.
 * A publisher is not asked to publish (a write): its API is only reached.
 */
function pluggedProbes(sources: Partial<Sources>): Partial<Record<ApiName, Probe>> {
  const via = (api: Upstream, timeoutMs: number) => ({ http: createSourceHttp(api, { timeoutMs }) });
  const { social, engine, publisher } = sources;
  return {
    ...(social && {
      social: (api, timeoutMs) =>
        notFoundIsAnAnswer(async () => {
          await social.profile(PROBE_ID, via(api, timeoutMs));
          return 'answers through the sources module (profile)';
        }, 'HTTP 404 for a probe ID through the sources module'),
    }),
    ...(engine && {
      engine: async (api, timeoutMs) =>
        `maxBatch ${await engine.maxBatch(via(api, timeoutMs))} through the sources module`,
    }),
    ...(publisher && {
      experiments: async (api, timeoutMs) => {
        const status = await api.send({ path: '/', timeoutMs }).then(
          (res) => res.status,
          (err: unknown) => {
            if (err instanceof UpstreamHttpError) return err.status;
            throw err;
          },
        );
        return `reachable (HTTP ${status}); the sources module's publisher is not probed: publishing writes`;
      },
    }),
  };
}

function answers(api: Upstream, where: string, timeoutMs: number): Promise<string> {
  return notFoundIsAnAnswer(
    async () => `HTTP ${(await api.send({ path: where, timeoutMs })).status}`,
    'HTTP 404 for a probe ID, as the contract says',
  );
}

/** A probe's answer, where a 404 for the probe ID counts as one too: the API serves the contract. */
async function notFoundIsAnAnswer(ask: () => Promise<string>, notFound: string): Promise<string> {
  try {
    return await ask();
  } catch (err) {
    if (err instanceof UpstreamHttpError && err.status === 404) return notFound;
    throw err;
  }
}

function fixFor(err: unknown, variable: string, tokenVariable?: string): string {
  if (err instanceof UpstreamHttpError && (err.status === 401 || err.status === 403) && tokenVariable) {
    return `the API refused the credentials: set ${tokenVariable} (or ${tokenVariable}_FILE) to a valid token`;
  }
  return `start it or point ${variable} at it (the simulator: \`npx viralflow sim\`)`;
}

/** Every configured upstream: the three APIs, then each named service's /health (the health activity's own probe). */
export const upstreamsCheck: DoctorCheck = {
  id: 'upstreams',
  title: 'upstreams',
  requires: ['config'],
  async run(ctx) {
    const config: ViralflowConfig = ctx.config!;
    const pool = createHttpPool({ ...config.http, connectionsPerOrigin: 2 }, createMetrics({ processMetrics: false }));
    const upstream = (c: ViralflowConfig['social']) => createUpstream(pool, c, systemClock);
    const timed = async (id: string, title: string, probe: () => Promise<CheckOutcome>): Promise<CheckResult> => {
      const started = performance.now();
      const outcome = await probe();
      return { id, title, ...outcome, durationMs: Math.round(performance.now() - started) };
    };
    try {
      const plugged = pluggedProbes(ctx.sources ?? {});
      const apis = (Object.keys(API_PROBES) as ApiName[]).map((name) =>
        timed(`upstream:${name}`, `${name} API`, async () => {
          const c = config[name];
          const variable = `VIRALFLOW_${name.toUpperCase()}_URL`;
          const probe = plugged[name] ?? API_PROBES[name];
          try {
            return pass(`${c.baseUrl} answers (${await probe(upstream(c), ctx.timeoutMs)})`);
          } catch (err) {
            return fail(
              `${c.baseUrl}: ${(err as Error).message}`,
              fixFor(err, variable, `VIRALFLOW_${name.toUpperCase()}_TOKEN`),
            );
          }
        }),
      );
      const services = Object.values(config.services).map((c) =>
        timed(`service:${c.name}`, `service ${c.name}`, async () => {
          const probe = await probeServiceHealth(upstream(c), {
            timeoutMs: ctx.timeoutMs,
            degradedAfterMs: ctx.timeoutMs / 2,
          });
          const where = `${c.baseUrl}/health`;
          if (probe.status === 'down') {
            return fail(
              `${where}: ${probe.reason ?? 'down'}`,
              `start the service or fix its URL in VIRALFLOW_SERVICES (${c.name}=https://host/prefix)`,
            );
          }
          // Degraded still takes work (the pipeline uses it): reported, not failed.
          return pass(`${where} ${probe.status} in ${probe.latencyMs} ms${probe.reason ? ` (${probe.reason})` : ''}`);
        }),
      );
      return await Promise.all([...apis, ...services]);
    } finally {
      await pool.close();
    }
  },
};
