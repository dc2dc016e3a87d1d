import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { HISTORY_DIR } from '../helpers/histories';
import { installTestRuntime, workflowBundle } from '../helpers/temporal-env';

installTestRuntime();

describe('replay of captured histories (determinism guard)', () => {
  const files = existsSync(HISTORY_DIR) ? readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json')) : [];
  type Fixture = {
    workflowId: string;
    history: { events: Array<{ workflowExecutionStartedEventAttributes?: { workflowType?: { name?: string } } }> };
  };
  const load = (f: string) => JSON.parse(readFileSync(join(HISTORY_DIR, f), 'utf8')) as Fixture;

  test('fixtures cover every workflow type', () => {
    const types = new Set(
      files.map((f) => load(f).history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name),
    );
    for (const type of [
      'scrapeAccountsWorkflow',
      'scrapeChunkWorkflow',
      'viralPipelineWorkflow',
      'banditWorkflow',
      'healthCheckWorkflow',
      'extractPatternsWorkflow',
      'collectMetricsWorkflow',
    ]) {
      assert.ok(types.has(type), `no captured history of ${type}: run the integration tests with UPDATE_HISTORIES=1`);
    }
  });

  test('every captured history replays against the current workflow code', async () => {
    assert.ok(files.length > 0);
    const histories = files.map(load);
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories);
    let replayed = 0;
    for await (const result of results) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${result.error?.message}`);
      replayed++;
    }
    assert.equal(replayed, files.length);
  });
});
