import { MockActivityEnvironment } from '@temporalio/testing';
import { bufferedLogger } from './test-log';

/** Runs an activity function in a fresh MockActivityEnvironment, keeping its types (the SDK's `run` returns unknown). */
export function runActivity<I, O>(
  fn: (input: I) => Promise<O>,
  input: I,
  env: MockActivityEnvironment = new MockActivityEnvironment(undefined, { logger: bufferedLogger() }),
): Promise<O> {
  return env.run(fn, input) as Promise<O>;
}
