import { open } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../contracts/failure-types';
import { isAccountId } from '../contracts/names';
import { loadAccountIdsInput, type LoadAccountIdsInput } from '../contracts/scrape';
import { parseInput } from './validate';

export type { LoadAccountIdsInput } from '../contracts/scrape';

export interface AccountIdsPage {
  accountIds: string[];
  /** True when the file has no IDs past this page. */
  done: boolean;
}

/**
 * Reads one page of a large account list (one ID per line; blank lines and `#` comments skipped),
 * streaming, so a 100k-account job never has its whole list in a workflow history or in memory.
 */
export function createLoadAccountIds(deps: { dataDir: string }) {
  const root = resolve(deps.dataDir, 'accounts');
  return async function loadAccountIds(raw: LoadAccountIdsInput): Promise<AccountIdsPage> {
    const { file, offset, limit } = parseInput(loadAccountIdsInput, raw, 'loadAccountIds');
    const target = resolve(join(root, file));
    if (!target.startsWith(root + sep)) throw badList(`${file} is outside the accounts folder`);
    const handle = await open(target).catch((err: NodeJS.ErrnoException) => {
      throw badList(`cannot open accounts file ${file} (${err.code ?? err.message})`);
    });
    const accountIds: string[] = [];
    let index = 0;
    let line = 0;
    try {
      for await (const text of createInterface({ input: handle.createReadStream(), crlfDelay: Infinity })) {
        line++;
        const id = text.trim();
        if (!id || id.startsWith('#')) continue;
        if (!isAccountId(id)) throw badList(`${file}:${line}: ${JSON.stringify(id.slice(0, 80))} is not an account ID`);
        if (index >= offset + limit) return { accountIds, done: false };
        if (index++ >= offset) accountIds.push(id);
      }
    } finally {
      await handle.close();
    }
    return { accountIds, done: true };
  };
}

function badList(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidInput, message, nonRetryable: true });
}
