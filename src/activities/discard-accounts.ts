import { discardAccountsInput, type DiscardAccountsInput } from '../contracts/scrape';
import { Context } from '@temporalio/activity';
import type { AttemptFence, ResultsSink } from '../sink/types';
import { parseInput } from './validate';

/**
 * Removes what earlier attempts stored for accounts the scrape reports as failed (their batch ran out of
 * attempts), so the store holds exactly the accounts the run's summary counts as scraped. Idempotent:
 * a retry, on any worker, deletes nothing more.
 */
export function createDiscardAccounts(deps: {
  sinkFor(runKey: string, fence?: AttemptFence): Pick<ResultsSink, 'discardAccounts'>;
}) {
  return async function discardAccounts(raw: DiscardAccountsInput): Promise<{ discarded: number }> {
    const { runKey, accountIds } = parseInput(discardAccountsInput, raw, 'discardAccounts');
    // Fenced like the scrape's attempts (scheduled after all of them): none of them can bring an account back.
    const sink = deps.sinkFor(runKey, Context.current().info.currentAttemptScheduledTimestampMs);
    return { discarded: await sink.discardAccounts(accountIds) };
  };
}
