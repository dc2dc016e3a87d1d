import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';

/** Rejects with an ApplicationFailure of `type` whose message matches every pattern; answers the failure. */
export async function rejectsWith(
  promise: Promise<unknown>,
  type: string,
  ...patterns: RegExp[]
): Promise<ApplicationFailure> {
  let failure: ApplicationFailure | undefined;
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    assert.equal(err.type, type, err.message);
    for (const p of patterns) assert.match(err.message, p);
    failure = err;
    return true;
  });
  return failure!;
}
