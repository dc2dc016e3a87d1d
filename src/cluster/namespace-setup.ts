import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEV_SERVER_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const ALREADY_EXISTS = 6;

export interface NamespaceSetupOptions {
  /** Frontend addresses of every node: each must see the namespace and attributes before workers start. */
  frontends: string[];
  namespace: string;
  /** Closed runs are kept this long. @default '3 days' */
  retention?: string;
  /** How long to wait for every node to see them. @default 60_000 */
  timeoutMs?: number;
}

/**
 * Registers the namespace and viralflow's custom search attributes (what `temporal server start-dev`
 * does for the dev server) when they are missing, then waits until every node's frontend knows them:
 * nodes refresh their namespace caches on their own schedule, and a worker polling a node that does not
 * know the namespace yet would only see errors.
 */
export async function ensureNamespace(
  options: NamespaceSetupOptions,
): Promise<{ created: boolean; attributesAdded: string[] }> {
  const [first] = options.frontends;
  if (!first) throw new Error('no frontend to register the namespace with');
  const { namespace } = options;
  let created = false;
  let attributesAdded: string[] = [];
  await withConnection(first, async (conn) => {
    try {
      await conn.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(options.retention ?? '3 days'),
      });
      created = true;
    } catch (err) {
      if ((err as { code?: number }).code !== ALREADY_EXISTS) throw err;
    }
    // A namespace just registered may not be in this frontend's cache yet.
    const existing = await retry(
      async () => (await conn.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {},
      30_000,
    );
    const missing = Object.entries(DEV_SERVER_SEARCH_ATTRIBUTES).filter(([name]) => !(name in existing));
    if (missing.length) {
      await conn.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, indexedValueType(type)])),
      });
    }
    attributesAdded = missing.map(([name]) => name);
  });

  const wanted = Object.keys(DEV_SERVER_SEARCH_ATTRIBUTES);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (const frontend of options.frontends) {
    await withConnection(frontend, async (conn) => {
      for (;;) {
        const attrs = await conn.operatorService
          .listSearchAttributes({ namespace })
          .then((r) => r.customAttributes ?? {})
          .catch(() => ({}));
        if (wanted.every((name) => name in attrs)) return;
        if (Date.now() > deadline)
          throw new Error(`${frontend} does not know namespace ${namespace} with ${wanted.join(', ')} in time`);
        await sleep(500);
      }
    });
  }
  return { created, attributesAdded };
}

function indexedValueType(type: string): temporal.api.enums.v1.IndexedValueType {
  const key = `INDEXED_VALUE_TYPE_${type.toUpperCase()}` as keyof typeof temporal.api.enums.v1.IndexedValueType;
  const value = temporal.api.enums.v1.IndexedValueType[key];
  if (value === undefined) throw new Error(`unknown search attribute type ${type}`);
  return value;
}

async function withConnection<T>(address: string, use: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await Connection.connect({ address, connectTimeout: 10_000 });
  try {
    return await use(conn);
  } finally {
    await conn.close();
  }
}

async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}
