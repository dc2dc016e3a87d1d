import { Connection, isGrpcServiceError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { describeConnectionSecurity, temporalConnectionOptions } from '../temporal/connection-options';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { fail, pass, type DoctorCheck, type DoctorContext } from './check';

/** gRPC status codes the checks tell apart (grpc-js' `status` enum; not a dependency of ours). */
const GRPC = { NOT_FOUND: 5, PERMISSION_DENIED: 7, UNAUTHENTICATED: 16 } as const;
/**
 * The server lists pollers it has seen in the last few minutes, dead workers included; a live worker
 * re-polls at least every ~70 s (long poll), so one not seen for longer than this is taken as gone.
 */
const POLLER_FRESH_MS = 2 * 60_000;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const connection = (ctx: DoctorContext): Connection => ctx.temporal!;
const call = <T>(ctx: DoctorContext, fn: () => Promise<T>): Promise<T> =>
  connection(ctx).withDeadline(Date.now() + ctx.timeoutMs, fn);

function accessFix(err: unknown): string | undefined {
  if (!isGrpcServiceError(err)) return undefined;
  if (err.code === GRPC.UNAUTHENTICATED)
    return 'the server refused the credentials: check TEMPORAL_API_KEY(_FILE) or the mTLS pair TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY';
  if (err.code === GRPC.PERMISSION_DENIED)
    return 'the credentials in use may not do this: grant them access to the namespace';
  return undefined;
}

export const temporalServerCheck: DoctorCheck = {
  id: 'temporal-server',
  title: 'Temporal server',
  requires: ['config'],
  async run(ctx) {
    const { temporal: settings } = ctx.config!;
    const how = describeConnectionSecurity(settings);
    let conn: Connection;
    try {
      conn = await Connection.connect({ ...temporalConnectionOptions(settings), connectTimeout: ctx.timeoutMs });
    } catch (err) {
      return fail(
        `cannot reach ${settings.address} (${how}): ${message(err)}`,
        settings.tls === false
          ? 'start a server (`npm run dev` or `temporal server start-dev`) or set TEMPORAL_ADDRESS; a TLS server needs TEMPORAL_TLS=true or TEMPORAL_TLS_CA'
          : 'check TEMPORAL_ADDRESS and the TLS settings (TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT/KEY, TEMPORAL_TLS_SERVER_NAME); a plaintext dev server needs TEMPORAL_TLS=false and no TLS files',
      );
    }
    ctx.temporal = conn;
    try {
      const info = await call(ctx, () => conn.workflowService.getSystemInfo({}));
      return pass(`${settings.address} answers (${how}), server ${info.serverVersion || 'version unknown'}`);
    } catch (err) {
      return fail(
        `${settings.address} (${how}) did not answer GetSystemInfo: ${message(err)}`,
        accessFix(err) ?? 'check TEMPORAL_ADDRESS points at a Temporal frontend (port 7233 by default)',
      );
    }
  },
};

export const namespaceCheck: DoctorCheck = {
  id: 'namespace',
  title: 'namespace',
  requires: ['temporal-server'],
  async run(ctx) {
    const { namespace } = ctx.config!.temporal;
    try {
      const described = await call(ctx, () => connection(ctx).workflowService.describeNamespace({ namespace }));
      const state = described.namespaceInfo?.state;
      if (
        state !== undefined &&
        state !== null &&
        state !== temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_REGISTERED
      ) {
        return fail(
          `"${namespace}" exists but is ${temporal.api.enums.v1.NamespaceState[state]}`,
          'use a registered namespace (TEMPORAL_NAMESPACE)',
        );
      }
      return pass(`"${namespace}" exists`);
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === GRPC.NOT_FOUND) {
        return fail(
          `"${namespace}" does not exist on ${ctx.config!.temporal.address}`,
          `create it (\`temporal operator namespace create --namespace ${namespace}\`) or set TEMPORAL_NAMESPACE to an existing one`,
        );
      }
      return fail(`cannot describe "${namespace}": ${message(err)}`, accessFix(err) ?? 'check TEMPORAL_NAMESPACE');
    }
  },
};

export const searchAttributesCheck: DoctorCheck = {
  id: 'search-attributes',
  title: 'search attributes',
  requires: ['namespace'],
  async run(ctx) {
    const { namespace } = ctx.config!.temporal;
    let registered: Record<string, temporal.api.enums.v1.IndexedValueType>;
    try {
      registered = (await call(ctx, () => connection(ctx).operatorService.listSearchAttributes({ namespace })))
        .customAttributes;
    } catch (err) {
      return fail(
        `cannot list the search attributes of "${namespace}": ${message(err)}`,
        accessFix(err) ?? 'check the namespace and the credentials',
      );
    }
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    const names = Object.keys(DEV_SERVER_SEARCH_ATTRIBUTES);
    const missing = names.filter((name) => registered[name] === undefined);
    const wrongType = names.filter((name) => registered[name] !== undefined && registered[name] !== keyword);
    if (!missing.length && !wrongType.length) return pass(`${names.join(', ')} registered (Keyword)`);
    const detail = [
      missing.length ? `missing: ${missing.join(', ')}` : '',
      wrongType.length ? `not Keyword: ${wrongType.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return fail(
      `${detail} (runs still work, but the Web UI cannot find a pipeline's runs by ViralflowPipeline)`,
      missing
        .map(
          (name) => `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`,
        )
        .join(' && ') || `delete and re-create ${wrongType.join(', ')} as Keyword`,
    );
  },
};

export const workersCheck: DoctorCheck = {
  id: 'workers',
  title: 'workers',
  requires: ['namespace'],
  async run(ctx) {
    const { namespace, taskQueue } = ctx.config!.temporal;
    const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
    const pollers = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) => {
      const res = await call(ctx, () =>
        connection(ctx).workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType }),
      );
      const now = Date.now();
      return res.pollers.filter((p) => {
        const seconds = Number(p.lastAccessTime?.seconds ?? 0);
        return now - seconds * 1000 <= POLLER_FRESH_MS;
      });
    };
    let workflow: Awaited<ReturnType<typeof pollers>>;
    let activity: Awaited<ReturnType<typeof pollers>>;
    try {
      [workflow, activity] = await Promise.all([pollers(TASK_QUEUE_TYPE_WORKFLOW), pollers(TASK_QUEUE_TYPE_ACTIVITY)]);
    } catch (err) {
      return fail(
        `cannot describe task queue "${taskQueue}": ${message(err)}`,
        accessFix(err) ?? 'check VIRALFLOW_TASK_QUEUE',
      );
    }
    const found = `${workflow.length} workflow and ${activity.length} activity poller(s) on "${taskQueue}"`;
    const identities = [...new Set([...workflow, ...activity].map((p) => p.identity))].slice(0, 5).join(', ');
    if (workflow.length && activity.length) return pass(`${found} (${identities})`);
    const lacking = [!workflow.length && 'workflow', !activity.length && 'activity'].filter(Boolean).join(' and ');
    return fail(
      `${found}: nothing polls for ${lacking} tasks, so runs would wait forever`,
      `start a worker on this task queue: \`VIRALFLOW_TASK_QUEUE=${taskQueue} npx viralflow worker\`` +
        (workflow.length || activity.length
          ? ` (with VIRALFLOW_WORKER_ROLE=${!workflow.length ? 'workflows' : 'activities'} or all)`
          : '') +
        ', or set VIRALFLOW_TASK_QUEUE to the queue your workers poll',
    );
  },
};
