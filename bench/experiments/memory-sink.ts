/**
 * Experiment only: a ResultsSink that serializes every record exactly as the NDJSON sink does but
 * keeps the bytes in memory (no open, append, fsync or rename). The difference between the product
 * scraper with this sink and with the real one is what sink I/O costs on the critical path.
 */
import type { AccountWriter, ResultsSink } from '../../src/sink/types';

export function createMemorySink(): ResultsSink {
  const complete = new Set<string>();
  return {
    ref: { kind: 'ndjson', dir: '/dev/null' },
    async open(accountId) {
      let bytes = 0;
      const writer: AccountWriter = {
        get bytes() {
          return bytes;
        },
        async append({ profile, posts }) {
          const lines = posts.map((post) => `${JSON.stringify(post)}\n`);
          if (profile !== undefined) lines.unshift(`${JSON.stringify({ profile })}\n`);
          bytes += Buffer.byteLength(lines.join(''), 'utf8');
          return bytes;
        },
        async complete() {
          complete.add(accountId);
        },
        abandon: async () => undefined,
        discard: async () => undefined,
      };
      return writer;
    },
    isComplete: async (accountId) => complete.has(accountId),
    sweepPartials: async () => 0,
    async discardAccounts(accountIds) {
      return accountIds.filter((id) => complete.delete(id)).length;
    },
  };
}
