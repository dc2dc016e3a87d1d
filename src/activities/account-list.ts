import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { AccountListFormatError, storeName } from '../store/account-ids';
import { AccountListNotFoundError, type AccountIdsPage, type ResultsStore } from '../store/types';
import { FailureType } from './failures';
import { parseInput } from './validate';

const input = z
  .object({
    /** A list's name in the results store (a file under `<dataDir>/accounts/` for the NDJSON store): never a path. */
    list: storeName.optional(),
    /** The older name of `list`. */
    file: storeName.optional(),
    offset: z.number().int().min(0),
    limit: z.number().int().min(1).max(20_000),
  })
  .strict()
  .refine((i) => (i.list === undefined) !== (i.file === undefined), { message: 'give exactly one of list or file', path: ['list'] });

export interface LoadAccountIdsInput {
  list?: string;
  file?: string;
  offset: number;
  limit: number;
}

export type { AccountIdsPage };

/**
 * Reads one page of a large account list from the results store, so a 100k-account job never has
 * its whole list in a workflow history or in memory.
 */
export function createLoadAccountIds(deps: { store: Pick<ResultsStore, 'loadAccountIds'> }) {
  return async function loadAccountIds(raw: LoadAccountIdsInput): Promise<AccountIdsPage> {
    const { list, file, offset, limit } = parseInput(input, raw, 'loadAccountIds');
    const name = (list ?? file) as string;
    try {
      return await deps.store.loadAccountIds(name, offset, limit);
    } catch (err) {
      if (err instanceof AccountListNotFoundError || err instanceof AccountListFormatError) {
        throw ApplicationFailure.create({ type: FailureType.InvalidInput, message: err.message, nonRetryable: true, cause: err });
      }
      throw err;
    }
  };
}
