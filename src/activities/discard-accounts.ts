import { discardAccountsInput, type DiscardAccountsInput } from '../contracts/scrape';
import type { ResultsSink } from '../sink/types';
import { parseInput } from './validate';

/**
 * Removes what earlier attempts stored for accounts the scrape reports as failed (their batch ran out of
 * attempts), so the store holds exactly the accounts the run's summary counts as scraped. Idempotent:
 * a retry, on any worker, deletes nothing more.
 */
export function createDiscardAccounts(deps: { sinkFor(runKey: string): Pick<ResultsSink, 'discardAccounts'> }) {
  return async function discardAccounts(raw: DiscardAccountsInput): Promise<{ discarded: number }> {
    const { runKey, accountIds } = parseInput(discardAccountsInput, raw, 'discardAccounts');
    return { discarded: await deps.sinkFor(runKey).discardAccounts(accountIds) };
  };
}
