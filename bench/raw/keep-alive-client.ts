/**
 * The reference client for the "raw" variant: a bare undici Pool of C keep-alive connections to
 * the simulator, no validation, no typed errors, no metrics. What the same requests cost on this
 * machine with nothing but HTTP in the way.
 */
import { Pool } from 'undici';

export interface RawClient {
  send(method: 'GET' | 'POST' | 'PUT', path: string, json?: unknown): Promise<string>;
  close(): Promise<void>;
}

export function createRawClient(origin: string, connections: number): RawClient {
  const pool = new Pool(origin, { connections, keepAliveTimeout: 30_000 });
  return {
    async send(method, path, json) {
      const res = await pool.request({
        path,
        method,
        headers: json === undefined ? {} : { 'content-type': 'application/json' },
        body: json === undefined ? null : JSON.stringify(json),
      });
      const body = await res.body.text();
      if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`${method} ${path}: HTTP ${res.statusCode}`);
      return body;
    },
    close: () => pool.close(),
  };
}
