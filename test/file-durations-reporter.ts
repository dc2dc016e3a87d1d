/**
 * A node:test reporter (`--test-reporter`) that writes one JSON line per test file: its path, wall time
 * (hooks included) and counts, from the runner's per-file summary. `npm test` prints the slowest from it.
 */
import type { TestEvent } from 'node:test/reporters';

async function* fileDurations(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== 'test:summary' || event.data.file === undefined) continue;
    const { file, duration_ms, counts } = event.data;
    const failed = counts.tests - counts.passed - counts.skipped - counts.todo; // cancelled ones failed too
    const line: fileDurations.FileDuration = { file, ms: Math.round(duration_ms), tests: counts.tests, failed };
    yield `${JSON.stringify(line)}\n`;
  }
}

// eslint-disable-next-line @typescript-eslint/no-namespace -- types beside a CommonJS `export =`, as node's loader needs
declare namespace fileDurations {
  /** One line of the reporter's output. */
  interface FileDuration {
    file: string;
    ms: number;
    tests: number;
    failed: number;
  }
}

// node --test-reporter takes the module's export itself as the reporter.
export = fileDurations;
