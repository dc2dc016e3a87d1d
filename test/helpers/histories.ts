import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { projectRoot } from '../../src/project-root';
import type { TemporalEnv } from './temporal-env';

/** Where captured histories live; test/integration/replay.test.ts replays every file here. */
export const HISTORY_DIR = join(projectRoot(), 'test', 'fixtures', 'histories');

/**
 * Saves a finished run's history as a replay fixture when UPDATE_HISTORIES=1. Committed fixtures are
 * replayed against the current workflow code on every run, so a non-deterministic change fails CI.
 */
export async function saveHistory(
  t: TemporalEnv,
  workflowId: string,
  /** One run of the workflow (default: the latest), saved under `name` (default: from the workflow ID). */
  { runId, name = workflowId }: { runId?: string; name?: string } = {},
): Promise<void> {
  if (process.env.UPDATE_HISTORIES !== '1') return;
  const history = await t.client.workflow.getHandle(workflowId, runId).fetchHistory();
  mkdirSync(HISTORY_DIR, { recursive: true });
  if (!history) throw new Error(`no history for ${workflowId}`);
  // The real workflow ID travels with the history: workflows derive child IDs from it, so replaying
  // under another ID would itself be a (false) nondeterminism.
  const fixture = `{"workflowId":${JSON.stringify(workflowId)},"history":${historyToJSON(history)}}\n`;
  writeFileSync(join(HISTORY_DIR, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`), fixture);
}
