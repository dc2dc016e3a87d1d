/**
 * The results store's own figures, against a real PostgreSQL started here (fsync on, as deployed):
 * raw ingest through each candidate client (the measurement behind the store's choice of `pg`),
 * ingest through the store's sink (the scraper's write path: staged rows, then one publishing
 * transaction per account), and read-back rate for the patterns stage, PostgreSQL beside NDJSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { Client } from 'pg';
import { startLocalPostgres } from '../../src/postgres/local-server';
import { socialPosts } from '../../src/sim/data';
import type { ScrapedPost, ScrapedProfile } from '../../src/sink/types';
import { createNdjsonStore } from '../../src/store/ndjson-store';
import { createPostgresStore } from '../../src/store/postgres/postgres-store';
import type { ResultsStore } from '../../src/store/types';
import type { StoreResult, StoreRow } from '../results-model';
import { BENCH_TABLE, ingestClient, ingestRate, INGEST_CLIENTS } from '../store/ingest-clients';
import { serverCpuMs } from '../store/server-cpu';
import { summarize } from '../stats';
import type { SuiteOptions } from './operators';

const POSTS_PER_ACCOUNT = 100;
const PAGE_SIZE = 100;
/** Statements in flight: the store's default pool size. */
const WRITERS = 10;
/** Accounts in flight through the sink, as the scraper keeps them (4 per upstream connection × 32). */
const ACCOUNTS_IN_FLIGHT = 128;

export async function runStoreSuite(options: SuiteOptions): Promise<StoreResult> {
  const accounts = options.quick ? 500 : 2_000;
  const reps = options.quick ? 2 : 5;
  const ids = Array.from({ length: accounts }, (_, i) => `bench-${i}`);
  const posts = new Map(
    ids.map((id) => [id, socialPosts(42, id, 0, POSTS_PER_ACCOUNT, POSTS_PER_ACCOUNT) as ScrapedPost[]]),
  );
  const total = accounts * POSTS_PER_ACCOUNT;

  const pgDir = mkdtempSync(join(tmpdir(), 'vf-bench-pg-'));
  const pg = await startLocalPostgres({ dataDir: pgDir });
  const url = pg.superuserUrl('viralflow');
  const store = createPostgresStore({ url, poolMax: WRITERS });
  try {
    await admin(pg.superuserUrl(), 'CREATE DATABASE viralflow');
    await store.migrate();
    await admin(url, `CREATE TABLE ${BENCH_TABLE} (LIKE posts INCLUDING ALL)`);

    const rows: StoreRow[] = [];
    const measure = async (
      label: string,
      what: string,
      once: (rep: number) => Promise<number>,
      reset: () => Promise<void>,
    ) => {
      const rates: number[] = [];
      let clientCpu = 0;
      let serverCpu = 0;
      for (let rep = 0; rep < reps; rep++) {
        await reset();
        const cpu0 = process.cpuUsage();
        const server0 = serverCpuMs(pg.pid);
        const started = performance.now();
        const n = await once(rep);
        rates.push(n / ((performance.now() - started) / 1000));
        const cpu = process.cpuUsage(cpu0);
        clientCpu += (cpu.user + cpu.system) / 1000 / (n / 1000);
        serverCpu += (serverCpuMs(pg.pid) - server0) / (n / 1000);
      }
      const s = summarize(rates);
      const row: StoreRow = {
        label,
        what,
        postsPerSecond: s.max,
        postsPerSecondP50: s.p50,
        clientCpuMsPer1kPosts: clientCpu / reps,
        serverCpuMsPer1kPosts: serverCpu / reps,
      };
      rows.push(row);
      options.log(`  store/${label}: ${int(row.postsPerSecond)} posts/s best, ${int(row.postsPerSecondP50)} p50`);
    };

    // Page-sized statements (what the scraper writes), and 1,000-row statements (what bulk loading could).
    for (const rowsPerStatement of [PAGE_SIZE, 1_000]) {
      const batches = chunks([...posts.values()].flat(), rowsPerStatement);
      for (const kind of INGEST_CLIENTS) {
        const client = ingestClient(kind, url, WRITERS);
        try {
          await measure(
            `${kind}, ${rowsPerStatement} rows`,
            `raw ingest: ${total.toLocaleString('en')} posts in statements of ${rowsPerStatement}, ${WRITERS} in flight`,
            async (rep) => (await ingestRate(client.write, `r${rep}`, { batches, writers: WRITERS })).posts,
            () => admin(url, `TRUNCATE ${BENCH_TABLE}`),
          );
        } finally {
          await client.close();
        }
      }
    }

    const ingest = (s: ResultsStore) => async (rep: number) => {
      const sink = s.sinkFor(`ingest-${rep}`);
      const limit = pLimit(ACCOUNTS_IN_FLIGHT);
      await Promise.all(
        ids.map((id) =>
          limit(async () => {
            const w = await sink.open(id, 1);
            const pages = chunks(posts.get(id)!, PAGE_SIZE);
            for (const [i, page] of pages.entries())
              await w.append({ ...(i === 0 && { profile: profile(id) }), posts: page });
            await w.complete();
          }),
        ),
      );
      return total;
    };
    const ndjsonDir = mkdtempSync(join(tmpdir(), 'vf-bench-ndjson-'));
    const ndjson = createNdjsonStore(ndjsonDir);
    try {
      const sinkWhat = `through the sink: ${accounts.toLocaleString('en')} accounts × ${POSTS_PER_ACCOUNT} posts, ${ACCOUNTS_IN_FLIGHT} accounts in flight, each published on completion`;
      await measure('postgres store', sinkWhat, ingest(store), async () => {
        for (let rep = 0; rep < reps; rep++) await store.purgeRun(`ingest-${rep}`);
      });
      await measure('ndjson store', sinkWhat, ingest(ndjson), async () => {});
      const read = (s: ResultsStore) => async () => {
        let n = 0;
        for await (const _ of s.readPosts('ingest-0')) n++;
        if (n !== total) throw new Error(`read back ${n} of ${total} posts`);
        return n;
      };
      await ingest(store)(0);
      const readWhat = `read-back (patterns stage input): every post of the run, streamed`;
      await measure('postgres read-back', readWhat, read(store), async () => {});
      await measure('ndjson read-back', readWhat, read(ndjson), async () => {});
    } finally {
      rmSync(ndjsonDir, { recursive: true, force: true });
    }
    return { accounts, postsPerAccount: POSTS_PER_ACCOUNT, pageSize: PAGE_SIZE, writers: WRITERS, reps, rows };
  } finally {
    await store.close();
    await pg.stop();
    rmSync(pgDir, { recursive: true, force: true });
  }
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function profile(accountId: string): ScrapedProfile {
  return { accountId, followers: 1000, following: 10, postCount: POSTS_PER_ACCOUNT, engagementRate: 0.05 };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en');
}
