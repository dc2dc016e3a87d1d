import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../config';
import { TemporalUnreachableError } from '../temporal/connection-error';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { DEFAULT_UI_URL } from './web-ui';

export interface ConnectOptions {
  /** Temporal frontend host:port (default TEMPORAL_ADDRESS, then localhost:7233). */
  address?: string;
  /** Default TEMPORAL_NAMESPACE, then `default`. */
  namespace?: string;
  /** Where started workflows and schedule actions run (default VIRALFLOW_TASK_QUEUE, then `viralflow`). */
  taskQueue?: string;
  /** Web UI root for links (default TEMPORAL_UI_URL, then http://localhost:8233). */
  uiUrl?: string;
  /**
   * How long to wait for the server before giving up with TemporalUnreachableError. Short by default:
   * a CLI command against a server that is not there should say so promptly, not after the SDK's 10 s.
   */
  connectTimeoutMs?: number;
  /** Environment to read the defaults from (default process.env). */
  env?: Record<string, string | undefined>;
}

/** An open connection with the settings every operation needs. */
export interface TemporalSession {
  client: Client;
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
  close(): Promise<void>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

/** Connects to Temporal; an unreachable server is a TemporalUnreachableError naming the address tried. */
export async function openTemporal(options: ConnectOptions = {}): Promise<TemporalSession> {
  const env = options.env ?? process.env;
  const { temporal } = loadConfig(env);
  const address = options.address ?? temporal.address;
  const namespace = options.namespace ?? temporal.namespace;
  const uiUrl = options.uiUrl ?? uiUrlFrom(env);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...temporalConnectionOptions(temporal, address),
      connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new TemporalUnreachableError(address, { cause: err });
  }
  return {
    client: new Client({ connection, namespace }),
    address,
    namespace,
    taskQueue: options.taskQueue ?? temporal.taskQueue,
    uiUrl,
    close: () => connection.close(),
  };
}

function uiUrlFrom(env: Record<string, string | undefined>): string {
  const value = env['TEMPORAL_UI_URL'];
  if (!value) return DEFAULT_UI_URL;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new ConfigError(`TEMPORAL_UI_URL: "${value}" is not an http(s) URL`);
  }
  return value.replace(/\/+$/, '');
}
