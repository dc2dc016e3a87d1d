import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contracts/failure-types';
import { loadAccountIdsInput, type LoadAccountIdsInput } from '../contracts/scrape';
import { AccountListFormatError } from '../store/account-ids';
import { AccountListNotFoundError, type AccountIdsPage, type ResultsStore } from '../store/types';
import { parseInput } from './validate';

export type { LoadAccountIdsInput } from '../contracts/scrape';
export type { AccountIdsPage };

/**
 * Reads one page of a large account list from the results store, so a 100k-account job never has
 * its whole list in a workflow history or in memory.
 */
export function createLoadAccountIds(deps: { store: Pick<ResultsStore, 'loadAccountIds'> }) {
  return async function loadAccountIds(raw: LoadAccountIdsInput): Promise<AccountIdsPage> {
    const { list, file, offset, limit } = parseInput(loadAccountIdsInput, raw, 'loadAccountIds');
    const name = (list ?? file) as string;
    try {
      return await deps.store.loadAccountIds(name, offset, limit);
    } catch (err) {
      if (err instanceof AccountListNotFoundError || err instanceof AccountListFormatError) {
        throw ApplicationFailure.create({
          type: FailureType.InvalidInput,
          message: err.message,
          nonRetryable: true,
          cause: err,
        });
      }
      throw err;
    }
  };
}
