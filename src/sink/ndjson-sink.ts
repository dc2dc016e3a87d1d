/**
 * The default results sink: one NDJSON file per account under `<dataDir>/scrape/<runKey>/`.
 *
 *   <account>.ndjson                      complete output: line 1 `{"profile":{…}}`, then one post per line
 *   <account>.<attempt>.ndjson.partial    unfinished output of one activity attempt
 *
 * Exactly once across retries and crashes: a checkpoint (heartbeat) records, per unfinished account,
 * the attempt and the byte length written when it was taken. The next attempt copies that attempt's
 * partial file, cuts it back to the recorded length (dropping whatever was written after the
 * checkpoint, which it will fetch again) and appends. Each attempt writes only its own file, so a
 * previous attempt still running somewhere (a heartbeat timeout does not stop a partitioned worker)
 * cannot interleave its lines with ours. Completion is an fsync and a rename, so readers see an
 * account whole or not at all, and a re-run replaces it the same way. With a fence (AttemptFence), the
 * open, the rename and every unlink happen inside a claim of the account's fence, so an older attempt
 * still running can neither publish over a newer one nor remove its output.
 */
import { closeSync, constants, fsync, open as openFd, renameSync, unlinkSync, writeSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { acceptsAsIs } from '../validation/exact-check';
import { fileLines } from './file-lines';
import {
  CorruptSinkError,
  SupersededAttemptError,
  type AccountFences,
  type AttemptFence,
  scrapedPost,
  scrapedProfile,
  SinkPathError,
  type AccountWriter,
  type ResultsSink,
  type ScrapedPost,
  type ScrapedProfile,
  type NdjsonSinkRef,
} from './types';

const COMPLETE = '.ndjson';
const PARTIAL = '.ndjson.partial';
/** The first line of every complete file; the key tells it apart from posts for line-oriented tools. */
const profileLine = z.object({ profile: scrapedProfile });

/** The ref for one run: `<dataDir>/scrape/<runKey>`, absolute. Later stages rebuild it from config + runKey. */
export function ndjsonSinkRef(dataDir: string, runKey: string): NdjsonSinkRef {
  const root = resolve(dataDir, 'scrape');
  const dir = resolve(root, runKey);
  if (dirname(dir) !== root || basename(dir) !== runKey) throw new SinkPathError(runKey);
  return { kind: 'ndjson', dir };
}

export function createNdjsonSink(
  dataDir: string,
  runKey: string,
  /** The writing attempt's fence and where fences live; undefined: unfenced. */
  fenced?: { fences: AccountFences; fence: AttemptFence },
): ResultsSink & { readonly ref: NdjsonSinkRef } {
  const ref = ndjsonSinkRef(dataDir, runKey);
  const { dir } = ref;
  /** Runs `step` on the accounts this attempt may change (all of them unfenced), atomically with the check. */
  const claim = (accountIds: readonly string[], step: (own: string[]) => void): string[] => {
    if (!fenced) {
      step([...accountIds]);
      return [...accountIds];
    }
    return fenced.fences.claim(runKey, accountIds, fenced.fence, step);
  };
  /** As `claim` for one account, throwing SupersededAttemptError when a newer attempt holds it. */
  const claimOne = (accountId: string, step: () => void = () => undefined): void => {
    if (claim([accountId], (own) => own.length > 0 && step()).length === 0)
      throw new SupersededAttemptError(accountId, fenced!.fence);
  };
  let ready: Promise<unknown> | undefined;
  const partialFile = (accountId: string, attempt: number) => fileIn(dir, `${accountId}.${attempt}${PARTIAL}`);

  return {
    ref,

    async open(accountId, attempt, resumeFrom) {
      if (!Number.isSafeInteger(attempt) || attempt < 1)
        throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
      const complete = fileIn(dir, `${accountId}${COMPLETE}`);
      const mine = partialFile(accountId, attempt);
      claimOne(accountId);
      await (ready ??= mkdir(dir, { recursive: true }).catch((err: unknown) => {
        ready = undefined; // let a later call try again rather than repeat a stale failure
        throw err;
      }));

      let bytes = 0;
      let source: string | undefined;
      if (resumeFrom && resumeFrom.bytes > 0) {
        const from = partialFile(accountId, resumeFrom.attempt);
        // Copy, never rename: the attempt that wrote `from` may still hold it open and be writing.
        const usable = from === mine || (await copyIfExists(from, mine));
        if (usable && ((await sizeOf(mine)) ?? -1) >= resumeFrom.bytes) {
          await truncate(mine, resumeFrom.bytes);
          bytes = resumeFrom.bytes;
          if (from !== mine) source = from;
        }
      }
      // 'w' starts a fresh output (creating or emptying the file); 'a' continues the copy cut back above.
      const fd = await openAsync(mine, bytes === 0 ? 'w' : 'a');
      return accountWriter({ fd, partial: mine, complete, source, bytes, guard: (step) => claimOne(accountId, step) });
    },

    async isComplete(accountId) {
      return (await sizeOf(fileIn(dir, `${accountId}${COMPLETE}`))) !== undefined;
    },

    async sweepPartials(accountIds) {
      const wanted = new Set(accountIds);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if (isMissing(err)) return 0;
        throw err;
      }
      const partials = new Map<string, string[]>();
      for (const name of names) {
        if (!name.endsWith(PARTIAL)) continue;
        const stem = name.slice(0, -PARTIAL.length);
        const dot = stem.lastIndexOf('.');
        const id = stem.slice(0, dot);
        if (dot > 0 && /^\d+$/.test(stem.slice(dot + 1)) && wanted.has(id))
          partials.set(id, [...(partials.get(id) ?? []), name]);
      }
      let swept = 0;
      // Synchronous unlinks inside the claim: a newer attempt cannot take an account between the check and them.
      claim([...partials.keys()], (own) => {
        for (const id of own)
          for (const name of partials.get(id)!) swept += unlinkSyncIfExists(fileIn(dir, name)) ? 1 : 0;
      });
      return swept;
    },

    async discardAccounts(accountIds) {
      await this.sweepPartials(accountIds);
      let removed = 0;
      claim(accountIds, (own) => {
        for (const id of own) removed += unlinkSyncIfExists(fileIn(dir, `${id}${COMPLETE}`)) ? 1 : 0;
      });
      return removed;
    },
  };
}

interface WriterState {
  fd: number;
  partial: string;
  complete: string;
  /** An earlier attempt's partial file this one continued from; deleted once ours is complete. */
  source: string | undefined;
  bytes: number;
  /** Runs a publishing or discarding step only while this attempt's fence is the account's newest. */
  guard(step: () => void): void;
}

const fsyncAsync = promisify(fsync);
const openAsync = promisify(openFd);

/**
 * Appends and close are synchronous calls on a plain descriptor: page-cache work of microseconds,
 * cheaper than the thread-pool round trip of the async API, which cost more CPU than the writes.
 * Open and fsync stay async: they wait on the disk or the filesystem journal, and blocking
 * the event loop on them would hold up every request in flight. The rename that publishes is
 * synchronous: it must happen inside the fence's transaction (a journal update, no data to flush).
 */
function accountWriter(state: WriterState): AccountWriter {
  const { fd, partial, complete, source, guard } = state;
  let bytes = state.bytes;
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    closeSync(fd);
  };

  return {
    get bytes() {
      return bytes;
    },
    async append({ profile, posts }) {
      if (!open) throw new Error(`${partial} is closed`);
      if (profile !== undefined && bytes !== 0) throw new Error(`${partial}: the profile must be the first line`);
      let text = profile === undefined ? '' : `${JSON.stringify({ profile })}\n`;
      for (const post of posts) text += `${JSON.stringify(post)}\n`;
      const chunk = Buffer.from(text, 'utf8');
      for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done, chunk.length - done);
      bytes += chunk.length;
      return bytes;
    },
    async complete() {
      if (!open) throw new Error(`${partial} is closed`);
      // Durable before visible: a rename must never expose a file whose data is still in flight.
      try {
        await fsyncAsync(fd);
      } finally {
        close();
      }
      guard(() => renameSync(partial, complete));
      if (source) await unlinkIfExists(source);
    },
    abandon: async () => close(),
    async discard() {
      close();
      guard(() => {
        for (const file of [partial, complete, ...(source ? [source] : [])]) unlinkSyncIfExists(file);
      });
    },
  };
}

/**
 * Posts of a run, streamed line by line in account order: the given accounts (those without
 * complete output are skipped) or every complete account, sorted by ID.
 */
export async function* readPosts(ref: NdjsonSinkRef, accountIds?: readonly string[]): AsyncGenerator<ScrapedPost> {
  const dir = resolve(ref.dir);
  const ids = accountIds ?? (await completeAccounts(dir));
  for (const accountId of ids) {
    const file = fileIn(dir, `${accountId}${COMPLETE}`);
    let handle: FileHandle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if (isMissing(err)) continue;
      throw err;
    }
    try {
      let line = 0;
      for await (const text of fileLines(handle)) {
        line++;
        if (line === 1) parseProfileLine(file, text);
        else yield parseLine(file, line, text, scrapedPost);
      }
      if (line === 0) throw new CorruptSinkError(file, 1, 'empty file: no profile line');
    } finally {
      await handle.close();
    }
  }
}

/** The stored profile of one account, or undefined when it has no complete output. */
export async function readProfile(ref: NdjsonSinkRef, accountId: string): Promise<ScrapedProfile | undefined> {
  const file = fileIn(resolve(ref.dir), `${accountId}${COMPLETE}`);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  try {
    for await (const text of fileLines(handle)) return parseProfileLine(file, text);
    throw new CorruptSinkError(file, 1, 'empty file: no profile line');
  } finally {
    await handle.close();
  }
}

function parseProfileLine(file: string, text: string): ScrapedProfile {
  return parseLine(file, 1, text, profileLine).profile;
}

function parseLine<S extends z.ZodType>(file: string, line: number, text: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorruptSinkError(file, line, 'not JSON', { cause: err });
  }
  if (acceptsAsIs(schema, value)) return value as z.output<S>;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new CorruptSinkError(
    file,
    line,
    `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unexpected shape'}`,
    {
      cause: result.error,
    },
  );
}

/** Accounts of a run with complete output, sorted by ID (none when the run's folder is not there). */
export function completeAccountIds(ref: NdjsonSinkRef): Promise<string[]> {
  return completeAccounts(resolve(ref.dir));
}

async function completeAccounts(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names
      .filter((name) => name.endsWith(COMPLETE))
      .map((name) => name.slice(0, -COMPLETE.length))
      .sort();
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** `dir/name`, refusing any name that would resolve to another directory. */
function fileIn(dir: string, name: string): string {
  const file = resolve(dir, name);
  if (dirname(file) !== dir || basename(file) !== name) throw new SinkPathError(name);
  return file;
}

async function copyIfExists(from: string, to: string): Promise<boolean> {
  try {
    // FICLONE: a copy-on-write clone where the filesystem can, a plain copy elsewhere.
    await copyFile(from, to, constants.COPYFILE_FICLONE);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : undefined;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** Answers whether there was a file to remove. */
async function unlinkIfExists(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (err) {
    if (!isMissing(err)) throw err;
    return false;
  }
}

/** Synchronous, for the steps that must happen inside a fence claim's transaction. */
function unlinkSyncIfExists(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch (err) {
    if (!isMissing(err)) throw err;
    return false;
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
