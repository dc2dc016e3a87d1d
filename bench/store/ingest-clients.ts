/**
 * The same post rows into the same table through each Node PostgreSQL client and write shape, for
 * choosing the store's client by measurement: node-postgres with a multi-row `INSERT … SELECT FROM
 * unnest(…)`, node-postgres with COPY (pg-copy-streams), and postgres.js with the same unnest
 * statement. Writers work in parallel, one page-sized batch per statement, as the scraper does.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import postgres from 'postgres';
import type { ScrapedPost } from '../../src/sink/types';
import { postColumns } from '../../src/store/postgres/post-columns';

export const BENCH_TABLE = 'bench_ingest_posts';

export interface IngestShape {
  /** Batches (pages) of posts, written one statement each. */
  batches: ScrapedPost[][];
  /** Statements in flight at once. */
  writers: number;
}

export type IngestClient = 'pg-unnest' | 'pg-copy' | 'postgresjs-unnest';
export const INGEST_CLIENTS: readonly IngestClient[] = ['pg-unnest', 'pg-copy', 'postgresjs-unnest'];

const UNNEST = `
INSERT INTO ${BENCH_TABLE} (run_key, account_id, post_id, seq, created_at, text, likes, shares, comments, views)
SELECT $1, s.account_id, s.post_id, s.ord::integer, s.created_at, s.text, s.likes, s.shares, s.comments, s.views
FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
  WITH ORDINALITY AS s(account_id, post_id, created_at, text, likes, shares, comments, views, ord)
ON CONFLICT DO NOTHING`;

const params = (runKey: string, posts: readonly ScrapedPost[]) => [
  runKey,
  posts.map((p) => p.accountId),
  ...postColumns(posts),
];

/** A writer for one client: `write(runKey, batch)` plus `close()`. */
export function ingestClient(kind: IngestClient, url: string, poolSize: number) {
  if (kind === 'postgresjs-unnest') {
    const sql = postgres(url, { max: poolSize, onnotice: () => {} });
    return {
      write: async (runKey: string, posts: readonly ScrapedPost[]) => {
        await sql.unsafe(UNNEST, params(runKey, posts) as never[], { prepare: true });
      },
      close: () => sql.end(),
    };
  }
  const pool = new Pool({ connectionString: url, max: poolSize });
  if (kind === 'pg-unnest') {
    return {
      write: async (runKey: string, posts: readonly ScrapedPost[]) => {
        await pool.query({ name: 'bench-unnest', text: UNNEST, values: params(runKey, posts) });
      },
      close: () => pool.end(),
    };
  }
  return {
    write: async (runKey: string, posts: readonly ScrapedPost[]) => {
      const client = await pool.connect();
      try {
        const lines = posts.map(
          (p, i) =>
            [
              runKey,
              p.accountId,
              p.id,
              i + 1,
              p.createdAt,
              p.text,
              p.metrics.likes,
              p.metrics.shares,
              p.metrics.comments,
              p.metrics.views,
            ]
              .map((v) => copyText(String(v)))
              .join('\t') + '\n',
        );
        await pipeline(
          Readable.from([lines.join('')]),
          client.query(
            copyFrom(
              `COPY ${BENCH_TABLE} (run_key, account_id, post_id, seq, created_at, text, likes, shares, comments, views) FROM STDIN`,
            ),
          ),
        );
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Posts per second for one pass of `shape` through `write`. */
export async function ingestRate(
  write: (runKey: string, posts: readonly ScrapedPost[]) => Promise<void>,
  runKey: string,
  shape: IngestShape,
) {
  const limit = pLimit(shape.writers);
  const total = shape.batches.reduce((n, b) => n + b.length, 0);
  const started = performance.now();
  await Promise.all(shape.batches.map((batch) => limit(() => write(runKey, batch))));
  const seconds = (performance.now() - started) / 1000;
  return { posts: total, seconds, postsPerSecond: total / seconds };
}

/** COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
}
