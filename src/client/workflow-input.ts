import { readFileSync } from 'node:fs';
import { accountId } from '../contracts/names';
import { UsageError } from './errors';
import { parseJson } from './json-input';

export type JsonObject = Record<string, unknown>;

/** Where a workflow's one JSON-object argument comes from on the command line. */
export interface WorkflowInputSources {
  /** `--input '{"a":1}'` */
  input?: string;
  /** `--input-file input.json` */
  inputFile?: string;
  /** `--accounts accounts.txt`: account IDs, one per line (# comments allowed) or a JSON array; becomes `accountIds`. */
  accountsFile?: string;
}

/** Builds the workflow argument from --input / --input-file / --accounts; every mistake is a UsageError naming its source. */
export function readWorkflowInput(sources: WorkflowInputSources): JsonObject {
  if (sources.input !== undefined && sources.inputFile !== undefined) {
    throw new UsageError('give either --input or --input-file, not both');
  }
  let input: JsonObject = {};
  if (sources.input !== undefined) input = asObject(parseJson(sources.input, '--input'), '--input');
  if (sources.inputFile !== undefined) {
    const source = `--input-file ${sources.inputFile}`;
    input = asObject(parseJson(readText(sources.inputFile, '--input-file'), source), source);
  }
  if (sources.accountsFile === undefined) return input;
  if ('accountIds' in input)
    throw new UsageError('--accounts and an "accountIds" in the input both name the accounts; give one');
  return { ...input, accountIds: readAccountIds(sources.accountsFile) };
}

/** Account IDs from a file: a JSON array of strings, or one ID per line (blank lines and # comments skipped). */
export function readAccountIds(file: string): string[] {
  const text = readText(file, '--accounts');
  const source = `--accounts ${file}`;
  if (text.trimStart().startsWith('[')) {
    const parsed = parseJson(text, source);
    if (!Array.isArray(parsed) || parsed.some((id) => typeof id !== 'string' || !id.trim())) {
      throw new UsageError(`${source}: a JSON accounts file must be an array of non-empty strings`);
    }
    return (parsed as string[]).map((id, i) => checkedAccountId(id.trim(), `${source}: [${i}]`));
  }
  const ids = text
    .split(/\r?\n/)
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line && !line.startsWith('#'))
    .map(([id, line]) => checkedAccountId(id, `${source}:${line}`));
  if (!ids.length) throw new UsageError(`${source}: no account IDs in the file`);
  return ids;
}

/** The workflow's account ID rule, applied before anything is sent: the mistake is named by file and line. */
function checkedAccountId(id: string, where: string): string {
  const checked = accountId.safeParse(id);
  if (!checked.success) throw new UsageError(`${where}: ${checked.error.issues[0]?.message ?? 'is not an account ID'}`);
  return checked.data;
}

function asObject(value: unknown, source: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new UsageError(`${source} must be a JSON object (each workflow takes one object argument), got ${got}`);
  }
  return value as JsonObject;
}

function readText(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `${option}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      { cause: err },
    );
  }
}
