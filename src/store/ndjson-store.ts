import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { completeAccountIds, createNdjsonSink, ndjsonSinkRef, readPosts } from '../sink/ndjson-sink';
import { SinkPathError } from '../sink/types';
import { AccountListFormatError, accountId, storeName } from './account-ids';
import { createEmbeddedDb } from './embedded-db';
import { createSqliteEvidence } from './sqlite-evidence';
import { createSqliteFences } from './sqlite-fences';
import { createSqliteWatermarks } from './sqlite-watermarks';
import { AccountListNotFoundError, type PostOutcome, type ResultsStore } from './types';

/**
 * The embedded results store: files under one data folder, for a single machine (`npm run dev`).
 *
 *   scrape/<runKey>/<account>.ndjson   posts (see ndjson-sink.ts)
 *   outcomes/<runKey>/<hash>.ndjson    per-post outcomes, one file per write (a rewrite replaces it)
 *   accounts/<list>                    account lists, one ID per line
 *   viralflow.sqlite                   evidence ledger, scrape marks, attempt fences (./embedded-db.ts)
 *
 * Not shared between hosts: workers on several machines need the PostgreSQL store.
 */
export function createNdjsonStore(dataDir: string): ResultsStore {
  const root = resolve(dataDir);
  const folder = (kind: string, name: string) => {
    const parent = resolve(root, kind);
    const dir = resolve(parent, storeName.parse(name));
    if (dirname(dir) !== parent || basename(dir) !== name) throw new SinkPathError(name);
    return dir;
  };

  async function* runOutcomes(runKey: string): AsyncIterable<PostOutcome> {
    const dir = folder('outcomes', runKey);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.ndjson')).sort()) {
      const handle = await open(resolve(dir, name));
      try {
        for await (const line of createInterface({ input: handle.createReadStream(), crlfDelay: Infinity }))
          if (line) yield JSON.parse(line) as PostOutcome;
      } finally {
        await handle.close();
      }
    }
  }
  const db = createEmbeddedDb({ file: resolve(root, 'viralflow.sqlite') });
  const evidence = createSqliteEvidence({ db, runOutcomes });
  const fences = createSqliteFences(db);
  const marks = createSqliteWatermarks({ db, runPosts: (runKey) => readPosts(ndjsonSinkRef(root, runKey)) });

  return {
    kind: 'ndjson',
    location: root,
    migrate: async () => ({ applied: [], version: 0 }),
    sinkFor: (runKey, fence) => createNdjsonSink(root, runKey, fence === undefined ? undefined : { fences, fence }),
    readPosts: (runKey, accountIds) => readPosts(ndjsonSinkRef(root, runKey), accountIds),

    async completeAccounts(runKey, accountIds) {
      const complete = await completeAccountIds(ndjsonSinkRef(root, runKey));
      const wanted = accountIds && new Set(accountIds);
      return wanted ? complete.filter((id) => wanted.has(id)) : complete;
    },

    async writeOutcomes(runKey, outcomes) {
      if (!outcomes.length) return;
      const dir = folder('outcomes', runKey);
      // Named by the posts it covers: a retried round rewrites its own file instead of adding a second.
      const name = createHash('sha256')
        .update(outcomes.map((o) => `${o.accountId}/${o.postId}`).join('\n'))
        .digest('hex')
        .slice(0, 32);
      await mkdir(dir, { recursive: true });
      await atomicWrite(resolve(dir, `${name}.ndjson`), outcomes.map((o) => `${JSON.stringify(o)}\n`).join(''));
    },

    async importAccountList(name, accountIds) {
      const ids = accountIds.map((id) => accountId.parse(id));
      const dir = resolve(root, 'accounts');
      await mkdir(dir, { recursive: true });
      await atomicWrite(folder('accounts', name), ids.map((id) => `${id}\n`).join(''));
      return ids.length;
    },

    async loadAccountIds(name, offset, limit) {
      const file = folder('accounts', name);
      let handle: FileHandle;
      try {
        handle = await open(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AccountListNotFoundError(name);
        throw err;
      }
      // Streamed: a 100k-account list is never held whole, only the page asked for.
      const accountIds: string[] = [];
      let index = 0;
      let line = 0;
      try {
        for await (const text of createInterface({ input: handle.createReadStream(), crlfDelay: Infinity })) {
          line++;
          const id = text.trim();
          if (!id || id.startsWith('#')) continue;
          if (!accountId.safeParse(id).success) {
            throw new AccountListFormatError(
              `${name}:${line}: ${JSON.stringify(id.slice(0, 80))} is not an account ID`,
            );
          }
          if (index >= offset + limit) return { accountIds, done: false };
          if (index++ >= offset) accountIds.push(id);
        }
      } finally {
        await handle.close();
      }
      return { accountIds, done: true };
    },

    async listRuns(writtenBefore) {
      // A run folder's mtime moves with every file published (renamed) or written into it.
      const last = new Map<string, number>();
      for (const kind of ['scrape', 'outcomes']) {
        const names = await readdir(resolve(root, kind)).catch(() => [] as string[]);
        for (const name of names) {
          if (!storeName.safeParse(name).success) continue;
          const at = (await stat(resolve(root, kind, name)).catch(() => undefined))?.mtimeMs;
          if (at !== undefined) last.set(name, Math.max(last.get(name) ?? 0, at));
        }
      }
      return [...last]
        .filter(([, at]) => writtenBefore === undefined || at < writtenBefore.getTime())
        .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0))
        .map(([runKey, at]) => ({ runKey, lastWrite: new Date(at).toISOString() }));
    },

    async purgeRun(runKey) {
      const report: Record<string, number> = {};
      for (const kind of ['scrape', 'outcomes']) {
        const dir = folder(kind, runKey);
        report[kind === 'scrape' ? 'files' : 'outcome_files'] = await readdir(dir).then(
          (names) => names.length,
          () => 0,
        );
        await rm(dir, { recursive: true, force: true });
      }
      fences.forgetRun(runKey);
      return report;
    },

    recordRunEvidence: evidence.recordRunEvidence,
    recordOutcomes: evidence.recordOutcomes,
    evidenceTotals: evidence.evidenceTotals,
    watermarks: marks.watermarks,
    advanceWatermarks: marks.advanceWatermarks,

    close: async () => db.close(),
  };
}

/** Write to a temporary name, then rename: readers see the old file or the new one, never half of one. */
async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { flush: true });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
