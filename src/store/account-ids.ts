import { accountListName, isAccountId } from '../contracts/names';

export { accountId } from '../contracts/names';
/** A run key or list name the store keeps rows or a folder under: the contracts' name rule. */
export const storeName = accountListName;

export class AccountListFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountListFormatError';
  }
}

/**
 * Account IDs from a list file's text: a JSON array of strings, or one ID per line (blank lines and
 * `#` comments skipped). Every ID is checked; the first bad one is named with its line or index.
 */
export function parseAccountList(text: string, source: string): string[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw new AccountListFormatError(`${source}: not a valid JSON array (${(err as Error).message})`);
    }
    if (!Array.isArray(value)) throw new AccountListFormatError(`${source}: expected a JSON array of account IDs`);
    return value.map((id, i) => checked(id, `${source}[${i}]`));
  }
  const ids: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const id = line.trim();
    if (id && !id.startsWith('#')) ids.push(checked(id, `${source}:${i + 1}`));
  });
  return ids;
}

function checked(id: unknown, where: string): string {
  if (isAccountId(id)) return id as string;
  throw new AccountListFormatError(
    `${where}: ${JSON.stringify(typeof id === 'string' ? id.slice(0, 80) : id)} is not an account ID (1-64 of A-Z a-z 0-9 _ . -)`,
  );
}
