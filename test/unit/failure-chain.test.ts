/**
 * The one-line reason a failed workflow gives the CLI and client: the chain a pipeline produces, where
 * each stage repeats its cause's words, says each cause once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { failureChain } from '../../src/client/failure-chain';

const guard = 'the scrape recorded 60 accounts with 1500 posts, but the patterns stage found 30 accounts';

describe('failureChain', () => {
  test("a pipeline's stage failure over a child's and an activity's: each cause once, wrappers left out", () => {
    const activity = ApplicationFailure.create({ type: 'IncompleteResults', message: guard, nonRetryable: true });
    const inActivity = new ActivityFailure(
      undefined,
      'extractPatternsFromSink',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'w',
      activity,
    );
    const child = ApplicationFailure.create({ type: 'IncompleteResults', message: guard, cause: inActivity });
    const ofChild = new ChildWorkflowFailure(
      'default',
      { workflowId: 'p/patterns', runId: 'r' },
      'patternsWorkflow',
      RetryState.NON_RETRYABLE_FAILURE,
      child,
    );
    const stage = ApplicationFailure.create({
      type: 'IncompleteResults',
      message: `patterns stage: ${guard}`,
      cause: ofChild,
    });
    const err = new WorkflowFailedError('Workflow execution failed', stage, RetryState.NON_RETRYABLE_FAILURE);
    assert.equal(failureChain(err), `failed: IncompleteResults: patterns stage: ${guard}`);
  });

  test('causes that add words are kept, in order: a timeout under an activity', () => {
    const timeout = new TimeoutFailure('activity Heartbeat timeout', undefined, TimeoutType.HEARTBEAT);
    const inActivity = new ActivityFailure(
      'Activity task timed out',
      'scrapeAccounts',
      '3',
      RetryState.MAXIMUM_ATTEMPTS_REACHED,
      'w',
      timeout,
    );
    const err = new WorkflowFailedError('Workflow execution failed', inActivity, RetryState.NON_RETRYABLE_FAILURE);
    assert.equal(failureChain(err), 'failed: activity Heartbeat timeout');
  });
});
