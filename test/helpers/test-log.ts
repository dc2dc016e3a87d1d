import { after, afterEach } from 'node:test';
import { format } from 'node:util';
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * Logs of the system under test (the SDK's logger, worker processes, the dev server), kept per test and
 * printed only for a test that fails. Fault tests provoke hundreds of expected "Activity failed"
 * warnings; a green run leaves them out, a red test shows what led up to its failure.
 *
 * Importing this module registers two file-level hooks: after each test, its lines are printed (failed)
 * or dropped (passed); after the file, lines no test claimed (start-up, shutdown) are printed if any
 * test failed.
 */

/** The newest lines are the ones that explain a failure; older ones go past this many. */
const MAX_LINES = 5_000;

let lines: string[] = [];
let dropped = 0;
let anyFailed = false;

/** Adds one line (or several, split on newlines) from `source` to the current test's log. */
export function logLine(source: string, text: string): void {
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    lines.push(`[${source}] ${line}`);
  }
  if (lines.length > MAX_LINES) {
    dropped += lines.length - MAX_LINES;
    lines = lines.slice(-MAX_LINES);
  }
}

/** A line-splitting sink for a child process's stdout/stderr chunks. */
export function logStream(source: string): (chunk: Buffer | string) => void {
  let partial = '';
  return (chunk) => {
    const text = partial + chunk.toString();
    const end = text.lastIndexOf('\n');
    partial = end === -1 ? text : text.slice(end + 1);
    if (partial.length > 64 * 1024) {
      logLine(source, partial);
      partial = '';
    }
    if (end !== -1) logLine(source, text.slice(0, end));
  };
}

/** An SDK logger (for `Runtime.install`) that writes into the test log instead of stderr. */
export function bufferedLogger(level: LogLevel = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, ({ level, message, meta, timestampNanos }: LogEntry) => {
    const time = new Date(Number(timestampNanos / 1_000_000n)).toISOString();
    logLine('sdk', `${time} [${level}] ${message}${meta === undefined ? '' : ` ${format(meta)}`}`);
  });
}

/** Prints the collected lines under a heading, then starts a new log. */
export function flushLog(heading: string): void {
  if (lines.length) {
    const skipped = dropped ? ` (the first ${dropped} lines dropped)` : '';
    process.stderr.write(
      `--- ${heading}: logs of the system under test${skipped} ---\n${lines.join('\n')}\n--- end ---\n`,
    );
  }
  discardLog();
}

function discardLog(): void {
  lines = [];
  dropped = 0;
}

/** `passed` is on node's TestContext since 20.12 (not yet in @types/node 20). */
type Outcome = { readonly passed?: boolean };

afterEach((t) => {
  if ((t as Outcome).passed !== false) return discardLog();
  anyFailed = true;
  flushLog(`failed: ${t.name}`);
});

after(() => {
  if (anyFailed) flushLog('outside any test (start-up, shutdown)');
});
