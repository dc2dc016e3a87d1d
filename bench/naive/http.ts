/**
 * The pre-review HTTP call: a fresh TCP connection for every request (the Airflow operators built
 * `requests` calls without a pooled, keep-alive session, which the review measured at ~30% reuse;
 * here it is 0%), and a 429 answered by blocking for the whole Retry-After before trying again.
 * Bench-only: the product goes through src/http/pool.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';

export interface NaiveResponse {
  status: number;
  body: string;
}

export interface NaiveRequest {
  method?: 'GET' | 'POST' | 'PUT';
  json?: unknown;
  /** Attempts after a 429 (the operators' max_rate_limit_retries). */
  maxRateLimitRetries?: number;
}

const DEFAULT_RATE_LIMIT_RETRIES = 3;

export async function naiveRequest(url: string, req: NaiveRequest = {}): Promise<NaiveResponse> {
  const retries = req.maxRateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES;
  for (let attempt = 0; ; attempt++) {
    const res = await onFreshConnection(new URL(url), req);
    if (res.status !== 429 || attempt >= retries) return res;
    // time.sleep(retry_after): the whole worker waits, nothing else runs in its slot.
    await sleep(retryAfterSeconds(res) * 1000);
  }
}

/** Sends and fails on non-2xx, like `response.raise_for_status()`. */
export async function naiveJson(url: string, req: NaiveRequest = {}): Promise<unknown> {
  const res = await naiveRequest(url, req);
  if (res.status < 200 || res.status > 299) throw new Error(`${req.method ?? 'GET'} ${url}: HTTP ${res.status}`);
  return JSON.parse(res.body) as unknown;
}

interface RawResponse extends NaiveResponse {
  retryAfter: string | undefined;
}

async function onFreshConnection(url: URL, req: NaiveRequest): Promise<RawResponse> {
  // A Client is one connection; closing it after the answer means the next request connects anew.
  const client = new Client(url.origin);
  try {
    const res = await client.request({
      path: url.pathname + url.search,
      method: req.method ?? 'GET',
      headers:
        req.json === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: req.json === undefined ? null : JSON.stringify(req.json),
    });
    const body = await res.body.text();
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, body, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
  } finally {
    await client.close();
  }
}

function retryAfterSeconds(res: RawResponse): number {
  const seconds = Number(res.retryAfter);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : 1;
}
